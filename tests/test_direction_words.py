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


def _symphysis_by_hand(anatomy, state) -> tuple[float, float, float]:
    """Right pubis against the left at the mid-point of the two symphysis landmarks:
    (forward, higher, gap opening) in mm, from the two bones' matrices alone."""
    c = 0.5 * (anatomy.point("symphysis_left") + anatomy.point("symphysis_right"))
    L, R = np.asarray(state.T_pelvis["innominate_left"]), np.asarray(state.T_pelvis["innominate_right"])
    D = np.linalg.inv(L) @ R  # the right bone's pose seen from the left one
    d = D[:3, :3] @ c + D[:3, 3] - c
    return float(d[ANTERIOR]), float(d[SUPERIOR]), float(d[2])  # +Z is right: + = the pubes part


RING_POSES = [
    ("innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0}),
    ("innominate_rotation", {"left_deg": 2.0}),
    ("flare", {"left_deg": 2.0}),
    ("flare", {"left_deg": -2.0}),
    ("pubic_shear", {"left_mm": 1.0}),
]


@pytest.mark.parametrize("model, params", RING_POSES)
def test_which_pubis_is_higher_and_forward_and_the_gap_follow_the_symphysis_by_hand(anatomy, model, params):
    # Each symphysis component is one comma-separated item, e.g. "right pubis 1.8 mm forward": its
    # side and size must be the hand-computed ones, item by item (an earlier test looked for the side
    # anywhere before "mm forward" and so also accepted the side of the "higher" item).
    import re

    state = models.joint_state(anatomy, model, params)
    forward, higher, opening = _symphysis_by_hand(anatomy, state)
    words = describe(anatomy, state).ring.words
    items = words.split("symphysis: ")[1].split(", ")
    expected = []
    if abs(higher) >= 0.05:
        expected.append(f"{'right' if higher > 0 else 'left'} pubis {abs(higher):.1f} mm higher")
    if abs(forward) >= 0.05:
        expected.append(f"{'right' if forward > 0 else 'left'} pubis {abs(forward):.1f} mm forward")
    if abs(opening) >= 0.05:
        expected.append(f"gap {'opens' if opening > 0 else 'closes'} by {abs(opening):.1f} mm")
    assert sorted(items) == sorted(expected), (words, forward, higher, opening)
    # The largest first (sizes as printed).
    sizes = [float(re.search(r"([0-9.]+) mm", item).group(1)) for item in items]
    assert sizes == sorted(sizes, reverse=True), words


def test_the_ring_poses_cover_both_sides_and_both_gap_directions(anatomy):
    # The poses above are chosen so that every word of the ring readout is met at least once.
    words = " ".join(describe(anatomy, models.joint_state(anatomy, m, p)).ring.words for m, p in RING_POSES)
    for phrase in ("left pubis", "right pubis", "mm higher", "mm forward", "gap opens", "gap closes"):
        assert phrase in words, phrase


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
