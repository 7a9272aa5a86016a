"""The body frame's whole-pelvis re-seating, reported on its own (issue 10 review item 4).

A left ilium turned back alone leaves the right ilium still relative to the sacrum, yet the standing
frame (hips on the femoral heads) re-seats the whole pelvis and the right ilium reads a motion it did
not make. The re-seating is recomputed here by a Kabsch fit of the right innominate's landmarks as
``describe --json`` exports them (neutral → body frame), independent of the descriptor code."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pelvisim.cli.describe_cmd import describe_json


def _fit_rotation_deg(data, bone_suffix):
    names = [n for n in data["landmarks"] if n.endswith(bone_suffix) and not n.startswith(("medial_malleolus", "femoral",
                                                                                           "knee", "sacral", "ila"))]
    moved = np.array([data["landmarks"][n]["position_mm"] for n in names])
    neutral = moved - np.array([data["landmarks"][n]["shift_mm"] for n in names])
    a0, b0 = neutral.mean(axis=0), moved.mean(axis=0)
    U, _, Vt = np.linalg.svd((neutral - a0).T @ (moved - b0))
    R = Vt.T @ np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))]) @ U.T
    return np.degrees(Rotation.from_matrix(R).as_rotvec())


def test_the_untouched_ilium_moves_only_by_the_reseating(anatomy):
    data = describe_json("innominate_rotation", {"left_deg": "-1"}, anatomy=anatomy)
    right = data["descriptors"]["innominate_right"]
    assert right["relative_to_sacrum"]["anterior_rotation_deg"] == pytest.approx(0.0, abs=1e-9)  # untouched
    w = _fit_rotation_deg(data, "_right")  # the right innominate's rotation in the standing body frame
    reseat = data["whole_pelvis"]
    assert reseat["frame"] == "standing body frame against the least-motion account"
    assert reseat["anterior_tilt_deg"] == pytest.approx(-w[2], abs=1e-6)  # 1e-6°: Kabsch on exported floats
    assert reseat["rotation_left_deg"] == pytest.approx(w[1], abs=1e-6)
    assert reseat["left_side_down_deg"] == pytest.approx(-w[0], abs=1e-6)
    assert abs(reseat["anterior_tilt_deg"]) > 0.3 and abs(reseat["rotation_left_deg"]) > 0.3  # the review's 0.5° and 0.4°
    assert right["in_body_frame"]["anterior_rotation_deg"] == pytest.approx(reseat["anterior_tilt_deg"], abs=0.05)
    assert f"tipped {reseat['anterior_tilt_deg']:.1f}° forward (ASIS down)" in reseat["words"]
    assert "Held on the hips, the whole pelvis is re-seated over the feet: " in data["summary"]


def test_no_reseating_when_only_the_sacrum_moves_standing(anatomy):
    data = describe_json("nutation", {"angle_deg": "2"}, anatomy=anatomy)
    reseat = data["whole_pelvis"]
    assert reseat["words"] == "none" and "re-seated" not in data["summary"]
    # supine the table takes the sacrum as its contact, so the same nutation re-seats the pelvis there
    supine = describe_json("nutation", {"angle_deg": "2"}, anatomy=anatomy, posture="supine")
    assert abs(supine["whole_pelvis"]["anterior_tilt_deg"]) > 1.0 and "toward the" in supine["whole_pelvis"]["words"]


@pytest.mark.parametrize("side, degrees", [("left", -1.0), ("left", 1.0), ("right", -1.0), ("right", 1.0)])
def test_each_reseating_word_follows_the_fitted_turn_of_the_untouched_ilium(anatomy, side, degrees):
    # Forward/backward, ASIS down/up, facing left/right and which side goes down, each read off the
    # Kabsch rotation of the ilium that did not move (so only the re-seating moves it), by where that
    # rotation carries a point in front (+X), and one on the left (−Z): plain geometry, no sign rule
    # of the descriptor code.
    other = "right" if side == "left" else "left"
    data = describe_json("innominate_rotation", {f"{side}_deg": str(degrees)}, anatomy=anatomy)
    R = Rotation.from_rotvec(np.radians(_fit_rotation_deg(data, f"_{other}"))).as_matrix()
    front, left_point = R @ [1.0, 0.0, 0.0], R @ [0.0, 0.0, -1.0]
    words = data["whole_pelvis"]["words"]
    assert ("forward (ASIS down)" if front[1] < 0 else "backward (ASIS up)") in words, words
    assert f"front facing {'left' if front[2] < 0 else 'right'}" in words, words
    assert f"{'left' if left_point[1] < 0 else 'right'} side down" in words, words
