"""Direction words a student reads — pubis up/down, unilateral flexion/extension, sulcus deeper or
shallower, which pubis is higher or forward, which way the whole pelvis turned — each checked
against landmark motion computed here by hand from the bones' 4×4 transforms (``T_pelvis``).

These words had no test of their own: the mutation run of 1 December let a swapped word pass in
each of them (tools/mutate.py, descriptors.py survivors)."""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import models
from pelvisim.descriptors import PUBIC_TERM, UNILATERAL_FLEXION_TERMS, describe, symmetric_words

ANTERIOR, SUPERIOR = 0, 1  # pelvic frame: +X anterior, +Y superior, +Z right


def _moved(state, bone: str, point: np.ndarray) -> np.ndarray:
    """Where ``point`` (pelvic frame, neutral) goes when ``bone`` takes its pose (plain matrix arithmetic)."""
    T = np.asarray(state.T_pelvis[bone])
    return T[:3, :3] @ point + T[:3, 3]


def _relative_to_sacrum(state, bone: str, point: np.ndarray) -> np.ndarray:
    """The point's pose on ``bone`` seen from the sacrum: inverse(T_sacrum) · T_bone, by hand."""
    S, B = np.asarray(state.T_pelvis["sacrum"]), np.asarray(state.T_pelvis[bone])
    T = np.linalg.inv(S) @ B
    return T[:3, :3] @ point + T[:3, 3]


@pytest.mark.parametrize("degrees", [2.0, -2.0])
def test_pubis_up_or_down_is_the_way_the_symphysis_moved_against_the_sacrum(anatomy, degrees):
    state = models.joint_state(anatomy, "innominate_rotation", {"left_deg": degrees})
    p = anatomy.point("symphysis_left")
    rise_mm = float(_relative_to_sacrum(state, "innominate_left", p)[SUPERIOR] - p[SUPERIOR])
    assert abs(rise_mm) > 0.5  # a 2° turn about S2 carries the pubis well over a millimetre
    d = describe(anatomy, state)
    words = PUBIC_TERM.words(d.innominate_left.pubic_superior_mm)
    assert words.startswith("pubis up" if rise_mm > 0 else "pubis down"), (rise_mm, words)


@pytest.mark.parametrize("side", ["left", "right"])
def test_unilateral_flexion_is_named_when_that_ila_goes_back(anatomy, side):
    # Unilateral flexion: that half of the base forward and down, its ILA back (posterior) —
    # BIOMECHANICS §4. The words must follow the ILA, whichever sign the model's parameter has.
    for degrees in (2.0, -2.0):
        state = models.joint_state(anatomy, "unilateral_sacral_flexion", {f"{side}_deg": degrees})
        ila = anatomy.point(f"ila_{side}")
        back_mm = float(-(_moved(state, "sacrum", ila)[ANTERIOR] - ila[ANTERIOR]))
        d = describe(anatomy, state)
        value = getattr(d.sacrum, UNILATERAL_FLEXION_TERMS[side].field)
        words = UNILATERAL_FLEXION_TERMS[side].words(value)
        assert words.startswith(f"{side} unilateral {'flexion' if back_mm > 0 else 'extension'}"), (degrees, back_mm, words)


def _sulcus_depth_change_mm(anatomy, state, side: str) -> float:
    """How much further in front of its PSIS the sacral sulcus lies than at neutral (+ = deeper)."""
    sulcus, psis = anatomy.point(f"sacral_sulcus_{side}"), anatomy.point(f"psis_{side}")
    now = _moved(state, "sacrum", sulcus)[ANTERIOR] - _moved(state, f"innominate_{side}", psis)[ANTERIOR]
    return float(now - (sulcus[ANTERIOR] - psis[ANTERIOR]))


@pytest.mark.parametrize("degrees", [2.0, -2.0])
def test_sulcus_deeper_or_shallower_follows_the_sulcus_against_its_psis(anatomy, degrees):
    state = models.joint_state(anatomy, "nutation", {"angle_deg": degrees})
    d = describe(anatomy, state)
    text = symmetric_words(d.sacrum)
    for side in ("left", "right"):
        change = _sulcus_depth_change_mm(anatomy, state, side)
        assert abs(change) > 0.1
        word = "deeper" if change > 0 else "shallower"
        assert f"mm {word} ({side})" in text, (side, change, text)


def test_which_pubis_is_higher_and_forward_follows_the_two_symphysis_landmarks(anatomy):
    for left, right in ((-1.0, 1.0), (1.0, -1.0)):
        state = models.joint_state(anatomy, "innominate_rotation", {"left_deg": left, "right_deg": right})
        pl = _moved(state, "innominate_left", anatomy.point("symphysis_left"))
        pr = _moved(state, "innominate_right", anatomy.point("symphysis_right"))
        nl, nr = anatomy.point("symphysis_left"), anatomy.point("symphysis_right")
        higher = "right" if (pr - nr)[SUPERIOR] > (pl - nl)[SUPERIOR] else "left"
        forward = "right" if (pr - nr)[ANTERIOR] > (pl - nl)[ANTERIOR] else "left"
        words = describe(anatomy, state).ring.words
        assert f"{higher} pubis" in words.split("mm higher")[0].split(";")[-1], words
        assert f"{forward} pubis" in words.split("mm forward")[0].split(";")[-1], words


def test_whole_pelvis_words_swap_with_the_mirrored_pose(anatomy):
    # The standing frame re-seats the whole pelvis over the hips; the same motion on the other side
    # must turn it the other way and drop the other side (a mirror symmetry of the words).
    left = describe(anatomy, models.joint_state(anatomy, "innominate_rotation", {"left_deg": -1.0})).whole_pelvis
    right = describe(anatomy, models.joint_state(anatomy, "innominate_rotation", {"right_deg": -1.0})).whole_pelvis
    assert left.rotation_left_deg * right.rotation_left_deg < 0 and left.left_side_down_deg * right.left_side_down_deg < 0
    for pelvis in (left, right):
        facing = "left" if pelvis.rotation_left_deg > 0 else "right"
        down = "left" if pelvis.left_side_down_deg > 0 else "right"
        assert f"front facing {facing}" in pelvis.words and f"{down} side down" in pelvis.words, pelvis.words
    assert left.words != right.words
