"""Names re-checked where they are palpated (issue 10 review item 3).

Names are given on the least-motion account (:func:`pelvisim.naming.attributed`); a hand palpates in
a body frame. Here the §4 signature of every innominate name is re-derived by hand from the
landmark shifts ``describe`` exports for its body frame, and the summary must carry a contradiction
sentence exactly for the names whose signature fails there.
"""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import models
from pelvisim.cli import main
from pelvisim.cli.describe_cmd import describe_json

# §4 by hand: landmark, axis (1 = superior, 2 = +Z, read as medial/lateral by side), sign of the named motion.
HIGHER, LOWER = +1, -1
SIGNATURES = {
    "upslip": [("asis", 1, HIGHER), ("psis", 1, HIGHER), ("pubic_tubercle", 1, HIGHER), ("ischial_tuberosity", 1, HIGHER)],
    "downslip": [("asis", 1, LOWER), ("psis", 1, LOWER), ("pubic_tubercle", 1, LOWER), ("ischial_tuberosity", 1, LOWER)],
    # §4: ASIS anterior-inferior / superior-posterior (a sagittal diagonal), PSIS up / down; pubic
    # tubercle inferior for anterior rotation only
    "anterior innominate rotation": [("asis", "diagonal", (+1, -1)), ("psis", 1, HIGHER), ("pubic_tubercle", 1, LOWER)],
    "posterior innominate rotation": [("asis", "diagonal", (-1, +1)), ("psis", 1, LOWER)],
    "inflare": [("asis", 2, "medial"), ("psis", 2, "lateral")],
    "outflare": [("asis", 2, "lateral"), ("psis", 2, "medial")],
}
MIN_MM = 0.1  # naming.SIGNATURE_MIN_MM, the documented tolerance every signature landmark must move

CASES = [("shear", {"left_mm": 2.0}), ("shear", {"right_mm": -2.0}), ("shear", {"left_mm": 2.0, "right_mm": -2.0}),
         ("flare", {"left_deg": 2.0}), ("innominate_rotation", {"left_deg": 2.0}),
         ("innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0}),
         ("innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0, "axis": "symphysis"})]


def _fails_by_hand(data, name):
    side, _, what = name.partition(" ")
    failed = []
    for base, axis, sign in SIGNATURES[what]:
        if axis == "diagonal":
            x, y = data["landmarks"][f"{base}_{side}"]["shift_mm"][:2]
            if (sign[0] * x + sign[1] * y) / 2 ** 0.5 < MIN_MM:
                failed.append(base)
            continue
        shift = data["landmarks"][f"{base}_{side}"]["shift_mm"][axis]
        if axis == 2:  # +Z is lateral on the right, medial on the left
            lateral = shift if side == "right" else -shift
            amount = lateral if sign == "lateral" else -lateral
        else:
            amount = sign * shift
        if amount < MIN_MM:
            failed.append(base)
    return failed


@pytest.mark.parametrize("posture", ["standing", "supine"])
@pytest.mark.parametrize(("model", "settings"), CASES)
def test_a_contradiction_sentence_for_every_name_whose_signature_fails_in_the_posture(anatomy, model, settings, posture):
    data = describe_json(model, {k: str(v) for k, v in settings.items()}, anatomy=anatomy, posture=posture)
    innominate_names = [n for n in data["named"] if n.split(" ", 1)[1] in SIGNATURES]
    assert innominate_names
    for name in innominate_names:
        sentence = f"{name[0].upper()}{name[1:]} is named on the least-motion account, but "
        check = next(c for c in data["name_checks"] if c["name"] == name)
        assert check["account"] == "least-motion account" and check["posture"] == posture
        if _fails_by_hand(data, name):
            assert sentence in data["summary"] and not check["met"]
        else:
            assert sentence not in data["summary"] and check["met"]


def test_the_left_upslip_standing_contradicts_its_asis(anatomy, capsys):
    # The review's case: standing on both hips, a 2 mm left upslip lowers the left ASIS 0.4 mm.
    data = describe_json("shear", {"left_mm": "2"}, anatomy=anatomy)
    asis_y = data["landmarks"]["asis_left"]["shift_mm"][1]
    assert asis_y < -MIN_MM  # independent of naming: the exported landmark goes down
    assert data["named"] == ["left upslip"]
    assert (f"Left upslip is named on the least-motion account, but in the standing body frame its signature fails "
            f"(left ASIS higher: {abs(asis_y):.1f} mm the other way).") in data["summary"]
    (check,) = data["name_checks"]
    assert check["failed"] == [{"check": "left ASIS higher", "amount_mm": pytest.approx(asis_y, abs=1e-12)}]
    assert main(["describe", "--model", "shear", "--set", "left_mm=2"]) == 0
    text = capsys.readouterr().out
    assert "left upslip: signature NOT met in the standing body frame: left ASIS higher" in text
    assert "checked on the least-motion account" in text


def test_sacral_names_are_rechecked_prone(anatomy):
    data = describe_json("nutation", {"angle_deg": "2"}, anatomy=anatomy)
    assert [(c["name"], c["posture"], c["met"]) for c in data["name_checks"]] == [("nutation", "prone", True)]


def test_every_name_pelvisim_gives_has_a_signature(anatomy):
    from pelvisim import naming

    for model in models.MODELS.values():
        for p in model.parameters:
            if p.unit not in ("deg", "mm") or p.maximum is None:
                continue
            for v in (p.minimum, p.maximum):
                values = model.resolve({p.name: str(v)})
                state = model.joint_state(anatomy, values, 0.25 if model.uses_gait else 0.0)
                for name in naming.names(anatomy, state).all:
                    assert naming.signature_of(name)


def test_a_mirror_pose_about_the_symphysis_names_both_sides(anatomy):
    # Review item 12: left 1° back, right 1° forward about the symphysis axis. The ASIS sits almost level
    # with that axis, so it mostly goes back (left) or forward (right); §4's diagonal catches both.
    data = describe_json("innominate_rotation", {"left_deg": "-1", "right_deg": "1", "axis": "symphysis"}, anatomy=anatomy)
    left = data["landmarks"]["asis_left"]["shift_mm"]
    assert left[0] < -1.0 and (-left[0] + left[1]) / 2 ** 0.5 > MIN_MM  # back and up, standing (exported landmark)
    assert set(data["named"]) == {"left posterior innominate rotation", "right anterior innominate rotation"}
    # The left ilium alone about the same axis: the ASIS hardly rises relative to the sacrum (by hand:
    # the ASIS turned about the axis through the symphysis centre), yet the name is given.
    from pelvisim import models

    state = models.joint_state(anatomy, "innominate_rotation", {"left_deg": -1.0, "axis": "symphysis"})
    T = np.linalg.solve(np.asarray(state.T_pelvis["sacrum"]), np.asarray(state.T_pelvis["innominate_left"]))
    p = anatomy.point("asis_left")
    shift = T[:3, :3] @ p + T[:3, 3] - p
    assert abs(shift[1]) < 0.15 and shift[0] < -1.0  # 0.15 mm: the review's 0.09 mm rise, well under a palpable mm
    assert describe_json("innominate_rotation", {"left_deg": "-1", "axis": "symphysis"}, anatomy=anatomy)["named"] == [
        "left posterior innominate rotation"]



def test_posterior_rotation_asks_for_no_pubic_sign():
    from pelvisim import naming

    for side in ("left", "right"):
        words = {c.words for c in naming.innominate_signature("posterior_rotation", side)}
        assert words == {"ASIS superior-posterior", "PSIS lower"}  # §4: ASIS superior-posterior; PSIS anterior-inferior
        assert "pubic tubercle lower" in {c.words for c in naming.innominate_signature("anterior_rotation", side)}
