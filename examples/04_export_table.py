"""Export landmark positions and descriptors over a gait cycle to CSV (no rendering)."""

import sys
from pathlib import Path

import pelvisim
from pelvisim.scene import frame_times, load, table_rows, write_table

out = Path(sys.argv[1] if len(sys.argv) > 1 else "mitchell_gait.csv")
scene = load("mitchell_gait")                 # a bundled scene, by name
rows = list(table_rows(scene, pelvisim.load_anatomy(), frame_times(scene, fps=5)))
write_table(rows, out)
peak = max(rows, key=lambda r: abs(r["sacrum.rotation_left_deg"]))
print(f"wrote {out}: {len(rows)} rows; largest sacral rotation {peak['sacrum.rotation_left_deg']:.2f}° at phase {peak['phase']:.2f}")
