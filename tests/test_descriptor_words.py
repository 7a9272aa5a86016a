"""The words a student reads: every descriptor, landmark shift and finding named for what moved.

A label that says "anterior rotation" for a posterior one teaches the wrong lesson even when every
number is right. Each test makes a pure motion, checks by hand from the landmarks which way the
bone really went, and then checks the clinical word (reference/BIOMECHANICS.md §2–§4) — the
expected words are written here, not read from the code's term tables.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pelvisim import descriptors, frames, joints, models
from pelvisim.pose import JointState

DEG = math.radians(1.0)


def innominate_state(anatomy, side: str, q) -> JointState:
    """Only the ``side`` innominate moves, by clinical ``q`` about its SIJ centre (sacrum still)."""
    T = joints.q_to_transform(np.asarray(q, dtype=float), side, joints.joint_centre(anatomy, side))
    return JointState(T_pelvis={f"innominate_{side}": T})


def moved(anatomy, state, name):
    T = np.asarray(state.T_pelvis[anatomy.landmark(name).bone])
    return T[:3, :3] @ anatomy.point(name) + T[:3, 3]


def shift(anatomy, state, name):
    return moved(anatomy, state, name) - anatomy.point(name)


# (q index, +words, −words, hand check of the + direction from the landmarks)
INNOMINATE_WORDS = [
    (0, "anterior rotation", "posterior rotation", lambda a, s, side: shift(a, s, f"asis_{side}")[1] < 0),  # ASIS down
    (1, "inflare", "outflare", lambda a, s, side: abs(moved(a, s, f"asis_{side}")[2]) < abs(a.point(f"asis_{side}")[2])),
    (2, "lateral tilt down", "lateral tilt up", lambda a, s, side: shift(a, s, f"iliac_tubercle_{side}")[1] < 0),
    (3, "upslip", "downslip", lambda a, s, side: shift(a, s, f"asis_{side}")[1] > 0),
    (4, "anterior glide", "posterior glide", lambda a, s, side: shift(a, s, f"asis_{side}")[0] > 0),
    (5, "medial glide", "lateral glide", lambda a, s, side: abs(moved(a, s, f"asis_{side}")[2]) < abs(a.point(f"asis_{side}")[2])),
]


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize(("index", "positive", "negative", "goes_as_named"), INNOMINATE_WORDS,
                         ids=[w[1] for w in INNOMINATE_WORDS])
def test_each_innominate_motion_is_named_for_its_direction(anatomy, side, index, positive, negative, goes_as_named):
    for sign, word in ((+1.0, positive), (-1.0, negative)):
        q = np.zeros(6)
        q[index] = sign * (2.0 * DEG if index < 3 else 2.0)
        state = innominate_state(anatomy, side, q)
        assert goes_as_named(anatomy, state, side) == (sign > 0), (side, word)  # the bone really went that way
        d = descriptors.describe(anatomy, state)
        unit = "°" if index < 3 else " mm"
        assert d.innominate(side).words == f"{word} 2.0{unit}"
        other = "right" if side == "left" else "left"
        assert d.innominate(other).words == "neutral" and d.innominate(side).side == side


# (sacral rotation axis and point builder, +words, −words, hand check)
def _sacrum_rotation(anatomy, direction, angle_deg):
    centre = 0.5 * (anatomy.point("auricular_sacrum_left_centroid") + anatomy.point("auricular_sacrum_right_centroid"))
    return JointState(T_pelvis={"sacrum": frames.rotation_about_axis(direction, math.radians(angle_deg), centre)})


SACRUM_WORDS = [
    # nutation: promontory forward and down
    (-frames.Z_RIGHT, "nutation", "counternutation", lambda a, s: shift(a, s, "sacral_promontory")[0] > 0),
    # rotated left: the anterior surface faces left, so the right side of the base comes forward
    (frames.Y_SUPERIOR, "rotated left", "rotated right", lambda a, s: shift(a, s, "sacral_ala_right")[0] > 0),
    # side-bent left: the base tips down on the left
    (-frames.X_ANTERIOR, "side-bent left", "side-bent right", lambda a, s: shift(a, s, "sacral_ala_left")[1] < 0),
]


@pytest.mark.parametrize(("direction", "positive", "negative", "goes_as_named"), SACRUM_WORDS, ids=[w[1] for w in SACRUM_WORDS])
def test_each_sacral_rotation_is_named_for_its_direction(anatomy, direction, positive, negative, goes_as_named):
    for sign, word in ((+1.0, positive), (-1.0, negative)):
        state = _sacrum_rotation(anatomy, direction, 2.0 * sign)
        assert goes_as_named(anatomy, state) == (sign > 0), word
        words = descriptors.describe(anatomy, state).sacrum.words
        assert words.split(", ")[0] == f"{word} 2.0°", words


@pytest.mark.parametrize("sign, word", [(-1.0, "down"), (+1.0, "up")])
def test_sacral_halves_named_up_or_down(anatomy, sign, word):
    state = JointState(T_pelvis={"sacrum": frames.translation([0.0, 2.0 * sign, 0.0])})
    words = descriptors.describe(anatomy, state).sacrum.words
    assert words == f"left half of the sacrum {word} 2.0 mm, right half of the sacrum {word} 2.0 mm"


@pytest.mark.parametrize("side", ["left", "right"])
def test_named_sacral_patterns_come_first(anatomy, side):
    flexion = descriptors.describe(anatomy, models.joint_state(anatomy, "unilateral_sacral_flexion", {f"{side}_deg": 2.0}))
    assert flexion.sacrum.words.startswith(f"{side} unilateral flexion 2.0°, ")
    extension = descriptors.describe(anatomy, models.joint_state(anatomy, "unilateral_sacral_flexion", {f"{side}_deg": -2.0}))
    assert extension.sacrum.words.startswith(f"{side} unilateral extension 2.0°, ")
    torsion = descriptors.describe(anatomy, models.joint_state(
        anatomy, "sacral_torsion", {"axis": f"{side}_oblique", "direction": side, "angle_deg": 2.0}))
    assert torsion.sacrum.words.startswith(f"{side}-on-{side} forward torsion 2.0°, ")


# --- landmark shifts in words ---------------------------------------------------------------------
@pytest.mark.parametrize(("vector", "side", "words"), [
    ((1.0, -2.0, 0.5), "right", "2.0 mm inferior, 1.0 mm anterior, 0.5 mm lateral"),   # +Z is lateral on the right
    ((1.0, -2.0, 0.5), "left", "2.0 mm inferior, 1.0 mm anterior, 0.5 mm medial"),     # ... and medial on the left
    ((-0.3, 0.7, -1.2), "right", "1.2 mm medial, 0.7 mm superior, 0.3 mm posterior"),
    ((-0.3, 0.7, -1.2), "left", "1.2 mm lateral, 0.7 mm superior, 0.3 mm posterior"),
    ((0.0, 0.0, 0.4), None, "0.4 mm to the right"),
    ((0.0, 0.0, -0.4), None, "0.4 mm to the left"),
    ((0.06, 0.0, 0.0), None, "0.1 mm anterior"),  # printed to one decimal: 0.06 must show, not vanish
    ((0.04, -0.04, 0.0), None, "no shift"),       # would print as 0.0: reported as no shift
])
def test_shift_words_by_hand(vector, side, words):
    assert descriptors.shift_words(np.array(vector), side) == words


def test_landmark_shift_words_follow_the_landmark(anatomy):
    # 2° inflare on the left: the left ASIS goes medially (toward the midline) and forward.
    state = models.joint_state(anatomy, "flare", {"left_deg": 2.0})
    asis = descriptors.describe(anatomy, state).innominate_left.landmark_shifts["asis"]
    s = shift(anatomy, state, "asis_left")
    assert s[2] > 0 and s[0] > 0  # +Z on the left side is toward the midline
    assert asis.words == f"{abs(s[2]):.1f} mm medial, {abs(s[0]):.1f} mm anterior"


# --- findings in words, thresholds and verdicts -------------------------------------------------------
@pytest.mark.parametrize("side", ["left", "right"])
def test_finding_words_name_the_side_that_shows_the_sign(anatomy, side):
    other = "right" if side == "left" else "left"
    upslip = {f.name: f for f in descriptors.describe(anatomy, models.joint_state(anatomy, "shear", {f"{side}_mm": 3.0})).findings}
    assert upslip["ASIS height difference"].words == f"ASIS higher on the {side} by 3.0 mm"
    assert upslip["PSIS height difference"].words == f"PSIS higher on the {side} by 3.0 mm"
    assert upslip["apparent leg-length difference (medial malleoli)"].words == f"leg looks longer on the {other} by 3.0 mm"
    assert upslip["ASIS-PSIS tilt difference"].words == "ASIS-PSIS tilt difference: none (< 0.05°)"
    outflare = {f.name: f for f in descriptors.describe(anatomy, models.joint_state(anatomy, "flare", {f"{side}_deg": -2.0})).findings}
    assert outflare["ASIS-to-midline difference"].words.startswith(f"ASIS further from the midline on the {side} by ")
    forward = {f.name: f for f in descriptors.describe(anatomy, models.joint_state(anatomy, "innominate_rotation", {f"{side}_deg": 3.0})).findings}
    assert forward["ASIS-PSIS tilt difference"].words == f"ASIS tipped further down relative to the PSIS on the {side} by 3.0°"
    torsion = {f.name: f for f in descriptors.describe(anatomy, models.joint_state(
        anatomy, "sacral_torsion", {"axis": f"{side}_oblique", "direction": side, "angle_deg": 3.0})).findings}
    assert torsion["sacral sulcus depth difference"].words.startswith(f"sacral sulcus deeper on the {other} by ")
    assert torsion["ILA posterior difference"].words.startswith(f"ILA more posterior on the {side} by ")
    flexion = {f.name: f for f in descriptors.describe(anatomy, models.joint_state(
        anatomy, "unilateral_sacral_flexion", {f"{side}_deg": 3.0})).findings}
    assert flexion["ILA height difference"].words.startswith(f"ILA lower on the {side} by ")


def test_palpation_thresholds_are_the_published_figures(anatomy):
    # Landmark palpation error at the iliac spines 15–20 mm (Della Croce 1999): a difference from
    # 15 mm up is reported as palpable (the lower end: the most a hand could possibly feel);
    # ASIS–PSIS tilt: normal bony asymmetry up to 11° (Preece 2008).
    def findings(model, params):
        return {f.name: f for f in descriptors.describe(anatomy, models.joint_state(anatomy, model, params)).findings}

    at_16 = findings("shear", {"left_mm": 8.0, "right_mm": -8.0})["ASIS height difference"]
    at_14 = findings("shear", {"left_mm": 7.0, "right_mm": -7.0})["ASIS height difference"]
    assert at_16.difference == pytest.approx(16.0) and at_16.palpable and at_16.verdict == "palpable"
    assert at_14.difference == pytest.approx(14.0) and not at_14.palpable and at_14.verdict == "below palpation error"
    assert at_16.threshold == 15.0 and "Della Croce 1999" in at_16.source
    assert "16 mm" in at_16.note and "Preece 2008" in at_16.note
    tilt_12 = findings("innominate_rotation", {"left_deg": -6.0, "right_deg": 6.0})["ASIS-PSIS tilt difference"]
    tilt_10 = findings("innominate_rotation", {"left_deg": -5.0, "right_deg": 5.0})["ASIS-PSIS tilt difference"]
    assert tilt_12.difference == pytest.approx(-12.0) and tilt_12.palpable
    assert tilt_10.difference == pytest.approx(-10.0) and not tilt_10.palpable
    assert tilt_12.threshold == 11.0 and "Preece 2008" in tilt_12.source


def test_modelled_malleolus_is_one_tibia_below_the_knee(anatomy):
    # Leg segment 0.246 × stature (Drillis & Contini 1966), stature 1700 mm: 418 mm, on the line
    # from the hip centre through the knee centre.
    for side in ("left", "right"):
        hip, knee = anatomy.point(f"femoral_head_centre_{side}"), anatomy.point(f"knee_centre_{side}")
        malleolus = np.array(descriptors.describe(anatomy, JointState()).landmarks[f"medial_malleolus_{side}"]["position_mm"])
        assert np.linalg.norm(malleolus - knee) == pytest.approx(0.246 * 1700.0, abs=0.5)
        along = (knee - hip) / np.linalg.norm(knee - hip)
        np.testing.assert_allclose(malleolus - knee, np.linalg.norm(malleolus - knee) * along, atol=1e-9)


# --- the one-line summary ------------------------------------------------------------------------------
def test_summary_names_the_bone_the_asis_and_the_largest_finding(anatomy):
    state = models.joint_state(anatomy, "flare", {"left_deg": 2.0})
    s = shift(anatomy, state, "asis_left")
    medial, forward = abs(s[2]), s[0]
    expected = (f"Left innominate: inflare 2.0° (ASIS {medial:.1f} mm medial, {forward:.1f} mm anterior). "
                "Every palpation finding is below palpation error (largest: ASIS further from the midline on the "
                f"right by {medial:.1f} mm vs 15 mm).")
    assert descriptors.describe(anatomy, state).summary == expected


def test_summary_lists_every_palpable_finding(anatomy):
    # 10 mm upslip on the left, 10 mm downslip on the right: 20 mm height differences, beyond the
    # 15–20 mm palpation error (Della Croce 1999); the sulcus depth (antero-posterior) does not change.
    state = models.joint_state(anatomy, "shear", {"left_mm": 10.0, "right_mm": -10.0})
    expected = ("Left innominate: upslip 10.0 mm (ASIS 10.0 mm superior); Right innominate: downslip 10.0 mm "
                "(ASIS 10.0 mm inferior). Palpable: ASIS higher on the left by 20.0 mm; PSIS higher on the left by "
                "20.0 mm; leg looks longer on the right by 20.0 mm.")
    assert descriptors.describe(anatomy, state).summary == expected


def test_summary_of_a_symmetric_motion_has_nothing_to_palpate(symmetric):
    state = models.joint_state(symmetric, "nutation", {"angle_deg": 2.0})
    summary = descriptors.describe(symmetric, state).summary
    assert summary.startswith("Left innominate: posterior rotation 2.0°")
    assert "; Sacrum: nutation 2.0°" in summary
    assert summary.endswith(". No left-right difference to palpate.")


def test_summary_without_an_asis_shift_names_no_asis(anatomy):
    # A pure rotation about an axis through the left ASIS: the innominate moves, its ASIS does not.
    T = frames.rotation_about_axis(frames.Z_RIGHT, math.radians(2.0), anatomy.point("asis_left"))
    summary = descriptors.describe(anatomy, JointState(T_pelvis={"innominate_left": T})).summary
    assert summary.startswith("Left innominate: ") and "(ASIS" not in summary
