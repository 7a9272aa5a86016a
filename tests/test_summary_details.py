"""Details of the summary, the at-rest readout and the neutral-asymmetry note that a student reads.

Each is checked against landmark positions computed here by hand, or against the rule its
docstring states, on poses chosen so that a small slip (a threshold, a sign, a count, the order of
two items) changes the text. The mutation run of 1 December let each of these slips through
(tools/mutate.py, descriptors.py survivors).
"""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import joints, models
from pelvisim.descriptors import NEGLIGIBLE, at_rest_words, describe
from pelvisim.pose import JointState

DEG = np.pi / 180.0
MEDIAL_ON_THE_LEFT = 2  # pelvic frame: +Z is right, so +Z is medial for a left landmark


def _asis_toward_the_sacral_midline_mm(anatomy, state, side: str) -> float:
    """How far the ASIS came toward the sacrum's midline, seen from the sacrum (inverse(S) · B), by hand."""
    S, B = np.asarray(state.T_pelvis["sacrum"]), np.asarray(state.T_pelvis[f"innominate_{side}"])
    T = np.linalg.inv(S) @ B
    p = anatomy.point(f"asis_{side}")
    shift = T[:3, :3] @ p + T[:3, 3] - p
    return float(shift[MEDIAL_ON_THE_LEFT] if side == "left" else -shift[MEDIAL_ON_THE_LEFT])


@pytest.mark.parametrize("degrees", [0.5, -0.5, 1.0])
def test_the_sacral_midline_words_follow_the_asis_seen_from_the_sacrum(anatomy, degrees):
    # Gurd's sacral rotation: under a degree, the ASIS moves well under a millimetre against the
    # sacrum's midline, and its words must still give the way it went.
    state = models.joint_state(anatomy, "sacral_rotation", {"left_deg": degrees})
    summary = describe(anatomy, state).summary
    for side in ("left", "right"):
        toward = _asis_toward_the_sacral_midline_mm(anatomy, state, side)
        assert abs(toward) >= 0.3
        words = f"({abs(toward):.1f} mm {'closer to' if toward > 0 else 'further from'} the sacrum's midline, the patient's"
        assert words in summary, (side, toward, summary)


def _one_innominate(anatomy, rotation_deg: float, superior_mm: float) -> JointState:
    q = np.array([rotation_deg * DEG, 0, 0, superior_mm, 0, 0])
    return JointState(T_pelvis={"innominate_left": joints.q_to_transform(q, "left", joints.joint_centre(anatomy, "left"))})


def test_the_summary_orders_a_joints_components_with_a_degree_like_1_7_mm(anatomy):
    # The summary's short words put the larger component first, 1° weighing like 1.7 mm (about 1°
    # at a 100 mm lever): 1° comes before 1.5 mm and after 1.9 mm.
    first = describe(anatomy, _one_innominate(anatomy, 1.0, 1.5)).summary
    assert first.startswith("Left ilium turned 1.0° forward about a transverse axis (ASIS down), 1.5 mm superior "
                            "relative to the sacrum."), first
    second = describe(anatomy, _one_innominate(anatomy, 1.0, 1.9)).summary
    assert second.startswith("Left ilium 1.9 mm superior, turned 1.0° forward about a transverse axis (ASIS down) "
                             "relative to the sacrum."), second


def test_the_summary_names_the_two_largest_sacral_components_only(anatomy):
    # A sacral turn with three clear components (1.5°, 1.0°, 0.6° about X, Y, Z): the summary keeps
    # the two largest, the sacrum's own words keep all three.
    from scipy.spatial.transform import Rotation

    T = np.eye(4)  # about the pelvic origin: the words read angles only
    T[:3, :3] = Rotation.from_rotvec(np.array([1.5, 1.0, 0.6]) * DEG).as_matrix()
    d = describe(anatomy, JointState(T_pelvis={"sacrum": T}))
    sacral_sentence = next(s for s in d.summary.split(". ") if s.startswith("Sacrum"))
    components = sacral_sentence.count("°")
    assert components == 2, sacral_sentence
    assert d.sacrum.words.count("°") == 3, d.sacrum.words
    # the smallest (0.6°, about the pelvic Z axis: nutation) is the one left out
    assert "0.6°" in d.sacrum.words and "0.6°" not in sacral_sentence


def test_the_at_rest_readout_keeps_the_largest_differences_over_half_a_millimetre(anatomy):
    # Its rule: differences at the pose of 0.5 mm / 0.5° or more, largest first against their band's
    # upper end, at most ``most`` of them; lying findings say where they are felt.
    d = describe(anatomy, JointState())
    kept = sorted((f for f in d.findings if abs(f.at_pose) >= 0.5), key=lambda f: abs(f.at_pose) / f.band[1], reverse=True)
    left_out = [f for f in d.findings if 0 < abs(f.at_pose) < 0.5]
    assert len(kept) >= 4 and left_out  # the bundled pelvis: four at 0.5 mm or more, two under it
    words = at_rest_words(d, most=len(d.findings))
    felt = words.split("This pelvis's own bones: ")[1].split(". Normal bony asymmetry")[0].split("; ")
    assert len(felt) == len(kept)
    for item, f in zip(felt, kept):
        assert item.startswith(f.pose_words), (item, f.pose_words)
        lying = "prone" in f.frame or "supine" in f.frame
        assert item.endswith(f"({f.frame})") == lying, item
    for f in left_out:
        assert f.pose_words not in words
    # ``most`` caps the list; the default is three.
    def items(text: str) -> list[str]:
        return text.split("own bones: ")[1].split(". Normal bony asymmetry")[0].split("; ")

    assert items(at_rest_words(d, most=1)) == felt[:1]
    assert items(at_rest_words(d)) == felt[:3]


def test_the_neutral_asymmetry_note_lists_each_difference_at_neutral_with_its_unit(anatomy, symmetric):
    d = describe(anatomy, JointState())
    note = d.neutral_asymmetry
    psis = anatomy.point("psis_left")[1] - anatomy.point("psis_right")[1]  # straight from the landmarks
    assert f"PSIS height {abs(psis):.1f} mm" in note
    tilt = next(f for f in d.findings if f.unit == "deg")
    assert abs(tilt.at_neutral) >= NEGLIGIBLE and f"ASIS-PSIS tilt {abs(tilt.at_neutral):.1f}°" in note
    for f in d.findings:
        short = f.name.split(" (")[0].replace(" difference", "")
        assert (f"{short} " in note) == (abs(f.at_neutral) >= NEGLIGIBLE), (short, f.at_neutral, note)
    assert describe(symmetric, JointState()).neutral_asymmetry == \
        "This pelvis is symmetric at neutral to within 0.05 mm / 0.05°."


def test_both_ilia_pressed_alike_toward_the_midline_leave_nothing_to_palpate(symmetric):
    # On a mirror-symmetric pelvis both ilia pressed 0.5 mm toward the midline are mirror images:
    # every left–right difference stays zero and no sacral landmark moves, so the summary says there
    # is nothing to compare (and no "both sides move alike" list).
    from pelvisim import frames

    state = JointState(T_pelvis={"innominate_left": frames.translation([0.0, 0.0, 0.5]),
                                 "innominate_right": frames.translation([0.0, 0.0, -0.5])})
    left = state.T_pelvis["innominate_left"] @ np.append(symmetric.point("asis_left"), 1.0)
    right = state.T_pelvis["innominate_right"] @ np.append(symmetric.point("asis_right"), 1.0)
    assert left[:2] == pytest.approx(right[:2], abs=1e-9) and left[2] == pytest.approx(-right[2], abs=1e-9)
    d = describe(symmetric, state)
    assert all(abs(f.difference) < NEGLIGIBLE for f in d.findings)
    assert "Left ilium 0.5 mm medial relative to the sacrum. Right ilium 0.5 mm medial" in d.summary
    assert " No left-right difference to palpate. " in d.summary, d.summary


def test_a_pelvis_without_sulcus_and_ila_landmarks_still_gets_its_sacral_words(anatomy):
    # An imported bone set whose landmark rules placed no sacral sulcus and no ILA: the prone list
    # gives what it has (the apex) and the sulcus depths are simply absent, never an error.
    from dataclasses import replace

    from pelvisim.descriptors import symmetric_words

    landmarks = {k: v for k, v in anatomy.landmarks.items() if not k.startswith(("sacral_sulcus", "ila_"))}
    partial = replace(anatomy, landmarks=landmarks)
    d = describe(partial, models.joint_state(partial, "nutation", {"angle_deg": 2.0}))
    assert d.sacrum.sulcus_deeper_mm == {} and set(d.sacrum.landmark_shifts) == {"sacral_apex"}
    apex = partial.point("sacral_apex")
    moved = d.sacrum.landmark_shifts["sacral_apex"].shift_mm
    assert moved[0] < -1.0  # nutation 2°: the apex goes back (posterior, −X) by about 2 mm
    assert symmetric_words(d.sacrum) == f"apex {abs(moved[0]):.1f} mm posterior", (apex, moved)


def test_the_sacrum_in_the_body_frame_says_no_rotation_only_when_it_did_not_turn(anatomy):
    still = describe(anatomy, JointState()).sacrum.in_body_frame_words
    assert still == "in the standing body frame: no rotation", still
    nodded = describe(anatomy, models.joint_state(anatomy, "nutation", {"angle_deg": 2.0})).sacrum.in_body_frame_words
    assert nodded.startswith("in the standing body frame: ") and "no rotation" not in nodded and "2.0°" in nodded, nodded


@pytest.mark.parametrize("degrees, mentioned", [(0.3, True), (0.05, False)])
def test_the_summary_mentions_the_reseating_once_it_shows_in_one_decimal_numbers(anatomy, degrees, mentioned):
    # The re-seating is mentioned from 0.1° on, the size at which it changes a body-frame number
    # printed with one decimal. A left ilium turned 0.3° re-seats the pelvis by about 0.15°; 0.05°
    # by about 0.03°.
    from pelvisim.cli.describe_cmd import describe_json

    data = describe_json("innominate_rotation", {"left_deg": str(degrees)}, anatomy=anatomy)
    reseat = data["whole_pelvis"]
    largest = max(abs(reseat[k]) for k in ("anterior_tilt_deg", "rotation_left_deg", "left_side_down_deg"))
    assert (largest >= 0.1) == mentioned and (largest < 0.2 if mentioned else largest < 0.05), largest
    assert ("re-seated over the feet" in data["summary"]) == mentioned, data["summary"]
