"""Render a side-by-side comparison video from a scene built in Python (no TOML file needed)."""

import sys
from pathlib import Path

from pelvisim.scene import parse
from pelvisim.view.render import render

out = Path(sys.argv[1] if len(sys.argv) > 1 else "stiffness_comparison.mp4")
scene = parse(
    """
title = "Even vs uneven SIJ stiffness"
magnification = 20

[[panels]]
label = "Even"
model = "gait"

[[panels]]
label = "Left SIJ 2× stiffer"
model = "gait"
parameters = { stiffness_ratio = 2.0 }

[timeline]
kind = "gait"
cycles = 1
seconds_per_cycle = 2.0

[overlays]
ghost = true
colour_map = true

[[captions]]
text = "Same walk, two SIJ stiffness ratios (×20). Teaching model after Damen 2002."

[output]
size = "640x368"
fps = 10
title_card_s = 0.5
""",
    "example",
)
result = render(scene, out, overwrite=True)
print(f"wrote {result.path}: {result.n_frames} frames at {result.fps} fps, {result.size[0]}x{result.size[1]}")
