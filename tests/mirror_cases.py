"""Left/right parameter pairs of the kinematic models, shared by the mirror-symmetry tests.

Each entry is ``(model, left parameters, right parameters)``: the same motion on either side, so
on an exactly symmetric pelvis the two poses (and everything read off them) are mirror images.
Magnitudes are arbitrary teaching-range values; only the mirror relation is under test.
"""

from __future__ import annotations

from typing import Any

MIRROR_PAIRS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("innominate_rotation", {"left_deg": 2.0}, {"right_deg": 2.0}),
    ("innominate_rotation", {"left_deg": -1.0, "axis": "symphysis"}, {"right_deg": -1.0, "axis": "symphysis"}),
    ("flare", {"left_deg": 1.5}, {"right_deg": 1.5}),
    ("flare", {"left_deg": -1.5}, {"right_deg": -1.5}),
    ("shear", {"left_mm": 2.0}, {"right_mm": 2.0}),
    ("pubic_shear", {"left_mm": 1.5}, {"right_mm": 1.5}),
    ("unilateral_sacral_flexion", {"left_deg": 2.0}, {"right_deg": 2.0}),
    ("twisted_shifted_sacrum", {"side": "left", "shift_mm": 2.0, "twist_deg": 1.0}, {"side": "right", "shift_mm": 2.0, "twist_deg": 1.0}),
    ("sacral_torsion", {"axis": "left_oblique", "direction": "left", "angle_deg": 2.0},
     {"axis": "right_oblique", "direction": "right", "angle_deg": 2.0}),
]
"""Every kinematic model with a side, including both flare directions and the symphysis axis."""

MIRROR_IDS = [f"{model}-{'-'.join(f'{k}={v}' for k, v in left.items())}" for model, left, _ in MIRROR_PAIRS]
"""Readable, unique pytest ids for :data:`MIRROR_PAIRS`."""
