"""Every number in ``describe --json`` says what it is measured against (issue 10 review item 14), the
magnified describe names the overlap artefact, and walking readouts say the whole-pelvis motion is removed."""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import models
from pelvisim.cli import main
from pelvisim.cli.describe_cmd import describe_json


@pytest.mark.parametrize("posture", ["standing", "supine"])
def test_every_block_names_its_frame(anatomy, posture):
    data = describe_json("pubic_shear", {"left_mm": "2"}, anatomy=anatomy, posture=posture)
    short = "standing body frame" if posture == "standing" else "supine, on the table"
    assert data["landmarks_frame"] == short
    d = data["descriptors"]
    for side in ("left", "right"):
        inn = d[f"innominate_{side}"]
        assert inn["frame"] == "relative to the sacrum" and inn["landmark_shifts_frame"] == short
        assert inn["inflare_deg"] == inn["relative_to_sacrum"]["inflare_deg"]  # the top level is what "frame" says
    assert d["ring"]["frame"].startswith("right pubis relative to the left")
    assert d["sacrum"]["landmark_frame"] == "prone, on the table" and d["sacrum"]["frame"].startswith("its own motion")
    # pubic_superior_mm is relative to the sacrum, by hand: S⁻¹·T applied to the symphyseal landmark
    state = models.joint_state(anatomy, "pubic_shear", {"left_mm": 2.0})
    T = np.linalg.solve(np.asarray(state.T_pelvis["sacrum"]), np.asarray(state.T_pelvis["innominate_left"]))
    p = anatomy.point("symphysis_left")
    assert d["innominate_left"]["pubic_superior_mm"] == pytest.approx((T[:3, :3] @ p + T[:3, 3] - p)[1], abs=1e-9)


def test_magnified_describe_names_the_overlap_artefact(anatomy, capsys):
    data = describe_json("flare", {"left_deg": "2"}, magnification=20.0, anatomy=anatomy)
    assert data["magnification_note"] == "bones overlap: an artefact of ×20"
    assert describe_json("flare", {"left_deg": "2"}, anatomy=anatomy)["magnification_note"] is None
    assert main(["describe", "--model", "flare", "--set", "left_deg=2", "--magnification", "20"]) == 0
    assert "drawn at ×20, bones overlap: an artefact of ×20" in capsys.readouterr().out


def test_walking_readouts_say_the_whole_pelvis_motion_is_removed(capsys):
    assert main(["describe", "--model", "gait", "--phase", "0.25"]) == 0
    assert "the whole-pelvis motion over the feet (rotation, obliquity, tilt" in capsys.readouterr().out
    assert main(["describe", "--model", "flare", "--set", "left_deg=1"]) == 0
    assert "whole-pelvis motion" not in capsys.readouterr().out
