"""The sacral landmark rules a clinician palpates: the ILA at the inferior lateral angle, the sulci symmetric.

Checks are geometric and independent of the rules' code: the sacrum's own width profile, the PSIS
positions and mirror symmetry.
"""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import frames
from pelvisim.anatomy.landmarks import SULCUS_MEDIAL_TO_PSIS_MM

MIRROR_TOLERANCE_MM = 3.0  # the atlas mean pelvis itself differs left to right by 1–4 mm (auricular poles)


@pytest.mark.parametrize("base", ["ila", "sacral_sulcus"])
def test_palpated_sacral_landmarks_lie_within_3mm_of_their_mirror_partner(anatomy, base):
    left, right = anatomy.point(f"{base}_left"), anatomy.point(f"{base}_right")
    assert np.linalg.norm(frames.mirror_points(left) - right) < MIRROR_TOLERANCE_MM


def _width(anatomy, level_mm: float) -> float:
    """Full left-right width (mm) of the sacrum in a 1 mm slice at ``level_mm`` above the apex."""
    V = np.asarray(anatomy.bones["sacrum"].vertices_mm)
    apex, top = anatomy.point("sacral_apex"), anatomy.point("s1_endplate_centre")
    axis = (top - apex) / np.linalg.norm(top - apex)
    t = (V - apex) @ axis
    slab = V[np.abs(t - level_mm) < 0.5]
    return float(slab[:, 2].max() - slab[:, 2].min())


@pytest.mark.parametrize("side", ["left", "right"])
def test_ila_sits_where_the_lateral_border_turns_toward_the_apex(anatomy, side):
    apex, top = anatomy.point("sacral_apex"), anatomy.point("s1_endplate_centre")
    axis = (top - apex) / np.linalg.norm(top - apex)
    ila = anatomy.point(f"ila_{side}")
    level = float((ila - apex) @ axis)
    # Below the auricular surface and above the apex.
    assert 5.0 < level < float((anatomy.point(f"auricular_sacrum_{side}_inferior_pole") - apex) @ axis)
    # The width falls at least twice as fast over the 8 mm below the ILA as over the 8 mm above it:
    # the border turns there (on the bundled sacrum about 3 mm/mm below, under 1 mm/mm above).
    below = (_width(anatomy, level) - _width(anatomy, level - 8.0)) / 8.0
    above = (_width(anatomy, level + 8.0) - _width(anatomy, level)) / 8.0
    assert below > 2.0 * above
    # It is on the lateral border: within 2 mm of the slice's outermost point on its side.
    V = np.asarray(anatomy.bones["sacrum"].vertices_mm)
    slab = V[np.abs((V - apex) @ axis - level) < 1.0]
    outermost = slab[:, 2].max() if side == "right" else -slab[:, 2].min()
    assert abs(abs(ila[2]) - outermost) < 2.0


@pytest.mark.parametrize("side", ["left", "right"])
def test_sulcus_is_a_thumb_width_medial_to_the_psis_on_the_posterior_surface(anatomy, side):
    psis_height = 0.5 * (anatomy.point("psis_left")[1] + anatomy.point("psis_right")[1])
    psis_lateral = 0.5 * (abs(anatomy.point("psis_left")[2]) + abs(anatomy.point("psis_right")[2]))
    sulcus = anatomy.point(f"sacral_sulcus_{side}")
    assert abs(sulcus[1] - psis_height) < 3.0  # the rule's 3 mm search radius
    assert abs((psis_lateral - abs(sulcus[2])) - SULCUS_MEDIAL_TO_PSIS_MM) < 3.0
    # It is on the posterior surface: the back of the sacrum within 1 mm of that spot is at most
    # 1.5 mm further back (the surface slopes forward laterally, about 0.5 mm per mm there), while
    # the front of the bone is 40 mm ahead.
    V = np.asarray(anatomy.bones["sacrum"].vertices_mm)
    near = V[np.linalg.norm(V[:, 1:] - sulcus[1:], axis=1) < 1.0]
    assert sulcus[0] <= near[:, 0].min() + 1.5
    assert near[:, 0].max() - sulcus[0] > 20.0
    # Deeper than the PSIS: the thumb sinks in (a sulcus, not the PSIS itself).
    assert sulcus[0] > anatomy.point(f"psis_{side}")[0] + 5.0
