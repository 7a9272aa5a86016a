"""The "motion or morphology" scenes say what the model computes on their own pelves: every figure in
their captions is recomputed here from the descriptors (findings, landmark shifts) and the
dimensions of the LLP26 subjects and shape-mode points they show, at one decimal as printed."""

from __future__ import annotations

import numpy as np
import pytest

import pelvisim
from pelvisim import scene
from pelvisim.anatomy import sources
from pelvisim.anatomy.dimensions import dimensions
from pelvisim.descriptors import describe
from pelvisim.models import get_model
from pelvisim.pose import NEUTRAL


def _caption(name: str) -> str:
    return " ".join(c.text for c in scene.load(name).captions)


def _finding(d, words: str):
    return next(f for f in d.findings if f.name == words)


def test_motion_or_morphology_numbers():
    s = scene.load("motion_or_morphology")
    caption = _caption("motion_or_morphology")
    own = describe(sources.load(s.panel_anatomy(0), progress=None), NEUTRAL)  # subject 5, no joint motion
    psis, tilt = _finding(own, "PSIS height difference"), _finding(own, "ASIS-PSIS tilt difference")
    sulcus = _finding(own, "sacral sulcus depth difference")
    assert psis.at_pose < 0 and f"left PSIS {abs(psis.at_pose):.1f} mm lower than the right" in caption
    assert f"ASIS–PSIS line {abs(tilt.at_pose):.1f}° differently" in caption
    assert sulcus.at_pose > 0 and f"deepen the left sacral sulcus by {sulcus.at_pose:.1f} mm" in caption
    mean = pelvisim.load_anatomy()
    rotated = describe(mean, s.joint_state(mean, 1, s.output.still_time_s or 0.0))
    figures = [abs(_finding(rotated, n).at_pose) for n in
               ("PSIS height difference", "ASIS-PSIS tilt difference", "sacral sulcus depth difference")]
    assert f"PSIS {figures[0]:.1f} mm, tilt {figures[1]:.1f}°, sulcus {figures[2]:.1f} mm" in caption
    # the point of the scene: the pelvis at rest differs more than the rotated one
    assert abs(psis.at_pose) > figures[0] and abs(tilt.at_pose) > figures[1] and abs(sulcus.at_pose) > figures[2]


def test_one_model_three_subjects_numbers():
    s = scene.load("one_model_three_subjects")
    caption = _caption("one_model_three_subjects")
    asis, psis = [], []
    for i in range(len(s.panels)):
        anatomy = sources.load(s.panel_anatomy(i), progress=None)
        d = describe(anatomy, s.joint_state(anatomy, i, s.output.still_time_s))
        asis.append(_finding(d, "ASIS height difference").difference)  # left minus right, standing
        psis.append(_finding(d, "PSIS height difference").difference)
    assert asis[0] < 0 < asis[1] and asis[2] > 0
    assert (f"the left ASIS drops {abs(asis[0]):.1f} mm on subject 2 but rises {asis[1]:.1f} mm on subject 18 "
            f"and {asis[2]:.1f} mm on subject 23") in caption
    assert f"the PSIS rises {psis[0]:.1f}, {psis[1]:.1f} and {psis[2]:.1f} mm" in caption


def test_shape_modes_numbers():
    s = scene.load("shape_modes_vs_sij_range")
    caption = _caption("shape_modes_vs_sij_range")
    dims = [dimensions(sources.load(s.panel_anatomy(i), progress=None)) for i in range(4)]
    asis = sorted(d["inter_asis_mm"] for d in dims[2:])  # mode 2 at -2 and +2 SD
    height = sorted(d["sacral_height_mm"] for d in dims[:2])  # mode 1
    assert f"mode 2 alone takes the ASIS from {asis[0]:.0f} to {asis[1]:.0f} mm apart" in caption
    assert f"mode 1 the sacrum from {height[0]:.0f} to {height[1]:.0f} mm tall" in caption
    mean = pelvisim.load_anatomy()
    angle = max(k.parameters["angle_deg"] for k in s.timeline.keyframes)
    d = describe(mean, get_model("nutation").joint_state(mean, {"angle_deg": angle}))
    moved = float(np.linalg.norm(d.landmarks["sacral_promontory"]["shift_mm"]))
    assert f"nods through {angle:.1f}°" in caption and f"its promontory moves {moved:.1f} mm" in caption


@pytest.mark.parametrize("name", ["motion_or_morphology", "one_model_three_subjects", "shape_modes_vs_sij_range"])
def test_captions_can_be_read(name):
    assert scene.caption_warnings(scene.load(name)) == []
