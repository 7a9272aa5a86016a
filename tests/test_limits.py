"""Joint limits and the magnification overlap note.

Limits are checked against hand computations at the symphysis centre and the SIJ centres; the
overlap note against the scene that motivated it (true_scale_vs_x20) and against poses whose bones
stay apart.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pelvisim import limits, models, scene
from pelvisim.cli import main
from pelvisim.pose import JointState


def symphysis_by_hand(anatomy, state):
    """Right pubis relative to the left at the mid-point of the two symphyseal landmarks, by hand."""
    c = 0.5 * (anatomy.point("symphysis_left") + anatomy.point("symphysis_right"))
    L, R = np.asarray(state.T_pelvis["innominate_left"]), np.asarray(state.T_pelvis["innominate_right"])
    return np.linalg.solve(L, np.append(R[:3, :3] @ c + R[:3, 3], 1.0))[:3] - c


def test_opposite_innominate_rotations_warn_about_symphysis_shear(anatomy):
    state = models.joint_state(anatomy, "innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0})
    vertical = symphysis_by_hand(anatomy, state)[1]
    assert abs(vertical) > 2.6  # the 3.9 mm
    (shear,) = [w for w in limits.joint_limit_warnings(anatomy, state) if w.quantity == "vertical shear"]
    assert shear.joint == "symphysis" and shear.unit == "mm" and shear.limit == 2.6
    assert shear.value == pytest.approx(abs(vertical), abs=1e-9)
    assert f"{abs(vertical):.1f} mm" in shear.text and "Walheim" in shear.source and "Meissner 1996" in shear.source


def test_the_warning_reaches_describe_text_and_json(capsys):
    assert main(["describe", "--model", "innominate_rotation", "--set", "left_deg=-1", "--set", "right_deg=1"]) == 0
    text = capsys.readouterr().out
    assert "Joint limit: Symphysis vertical shear 3.9 mm" in text
    assert main(["describe", "--model", "innominate_rotation", "--set", "left_deg=-1", "--set", "right_deg=1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    quantities = {(w["joint"], w["quantity"]) for w in data["limit_warnings"]}
    assert ("symphysis", "vertical shear") in quantities
    assert set(data["limit_warnings"][0]) == {"joint", "quantity", "value", "unit", "limit", "source", "text", "basis"}


def test_a_one_degree_inflare_reports_the_symphysis_gap_closing(anatomy):
    state = models.joint_state(anatomy, "flare", {"left_deg": 1.0})
    # Hand value: the left pubis turns 1° about the vertical axis through the left SIJ centre; its
    # medial (+Z on the left) motion is the lever along X times the angle (small angle, 2 % slack).
    c = 0.5 * (anatomy.point("symphysis_left") + anatomy.point("symphysis_right"))
    lever = c[0] - anatomy.point("auricular_innominate_left_centroid")[0]
    closing = lever * math.radians(1.0)
    (gap,) = [w for w in limits.joint_limit_warnings(anatomy, state) if w.quantity == "gap change"]
    assert gap.value == pytest.approx(closing, rel=0.02)
    assert "closes by" in gap.text and f"{limits.symphysis_gap_mm(anatomy):.1f} mm" in gap.text


def test_neutral_and_small_motions_warn_about_nothing(anatomy):
    assert limits.joint_limit_warnings(anatomy, JointState()) == ()
    assert limits.joint_limit_warnings(anatomy, models.joint_state(anatomy, "nutation", {"angle_deg": 2.0})) == ()


@pytest.mark.parametrize(("model", "params", "joint", "quantity"), [
    ("nutation", {"angle_deg": 4.0}, "sij_left", "rotation"),
    ("shear", {"right_mm": 2.5}, "sij_right", "translation"),
])
def test_sij_limits(anatomy, model, params, joint, quantity):
    warnings = limits.joint_limit_warnings(anatomy, models.joint_state(anatomy, model, params))
    assert (joint, quantity) in {(w.joint, w.quantity) for w in warnings}


def test_overlap_note_at_x20_for_the_true_scale_vs_x20_scene(anatomy):
    s = scene.load("true_scale_vs_x20")
    state = s.joint_state(anatomy, 1, 0.0)
    magnification = s.panels[1].magnification
    assert magnification == 20
    assert limits.magnification_overlap_note(anatomy, state, magnification) == "bones overlap: an artefact of ×20"
    # At true scale the same pose keeps its bones apart.
    assert limits.magnification_overlap_note(anatomy, state, 1.0) is None
    assert limits.overlapping_joints(anatomy, state, 1.0) == {}
    assert "symphysis" in limits.overlapping_joints(anatomy, state, 20.0)


def test_no_overlap_note_when_magnified_bones_stay_apart(anatomy):
    assert limits.magnification_overlap_note(anatomy, JointState(), 20.0) is None
    small = models.joint_state(anatomy, "nutation", {"angle_deg": 0.1})
    assert limits.magnification_overlap_note(anatomy, small, 5.0) is None


def test_overlap_is_real_penetration_checked_by_exact_distance(anatomy):
    # Independent check: push the left innominate 6 mm to the right (across the 3.6 mm symphysis
    # gap): the exact signed distance of its pubic vertices to the right innominate goes negative.
    from pelvisim.anatomy.surface import Surface, closest_points_on_surface

    pushed = JointState(T_pelvis={"innominate_left": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 6.0], [0, 0, 0, 1]])})
    right = anatomy.bones["innominate_right"]
    surface = Surface(np.asarray(right.vertices_mm), np.asarray(right.faces))
    left = np.asarray(anatomy.bones["innominate_left"].vertices_mm)
    near = left[np.linalg.norm(left - anatomy.point("symphysis_left"), axis=1) < 15.0] + [0.0, 0.0, 6.0]
    _, signed = closest_points_on_surface(near, surface)
    assert signed.min() < -limits.OVERLAP_DEPTH_MM
    assert "symphysis" in limits.overlapping_joints(anatomy, pushed, 1.0)


# --- issue 10 review items 1 and 9: "3.6° > 3.6°" never prints; the gap threshold is pelvisim's --------
@pytest.mark.parametrize(("model", "key", "values"), [
    ("innominate_rotation", "left_deg", np.linspace(3.55, 3.70, 31)),   # SIJ rotation about 3.6°
    ("nutation", "angle_deg", np.linspace(3.55, 3.70, 31)),
    ("flare", "left_deg", np.linspace(0.20, 0.50, 31)),                   # symphysis gap about 0.5 mm
])
def test_no_warning_prints_a_value_equal_to_its_limit(anatomy, model, key, values):
    # Independent of limits.exceeds: compare the value as the warning prints it with the limit.
    seen = 0
    for v in values:
        for w in limits.joint_limit_warnings(anatomy, models.joint_state(anatomy, model, {key: float(v)})):
            printed = float(f"{w.value:.1f}")
            assert printed > w.limit, w.short_text
            assert f"{w.limit:g}° >" not in w.short_text and f"{w.limit:g} mm >" not in w.short_text
            seen += 1
    assert seen  # the sweep does cross a limit (otherwise it tests nothing)


def test_a_pose_at_exactly_the_largest_measured_sij_rotation_is_not_beyond_it(anatomy):
    state = models.joint_state(anatomy, "innominate_rotation", {"left_deg": 3.6})
    # Hand check: the left ilium turns 3.6° about one axis relative to the sacrum (float noise only).
    R = np.asarray(state.relative("sacrum", "innominate_left"))[:3, :3]
    assert math.degrees(math.acos((np.trace(R) - 1) / 2)) == pytest.approx(3.6, abs=1e-9)
    assert ("sij_left", "rotation") not in {(w.joint, w.quantity) for w in limits.joint_limit_warnings(anatomy, state)}


def test_the_symphysis_gap_threshold_is_labelled_as_pelvisims_own(anatomy):
    state = models.joint_state(anatomy, "flare", {"left_deg": 1.0})
    warnings = {w.quantity: w for w in limits.joint_limit_warnings(anatomy, state)}
    gap = warnings["gap change"]
    assert gap.basis == limits.PELVISIM_THRESHOLD
    assert "in vivo" not in gap.short_text and "pelvisim's 0.5 mm threshold" in gap.short_text
    assert "pelvisim's 0.5 mm threshold" in gap.text and "measured in vivo" not in gap.text
    shear = limits.joint_limit_warnings(
        anatomy, models.joint_state(anatomy, "innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0}))
    measured = [w for w in shear if w.quantity in ("vertical shear", "sagittal shift")]
    assert measured and all(w.basis == limits.IN_VIVO and "measured in vivo" in w.short_text for w in measured)


def test_view_limit_note_uses_the_basis(anatomy):
    from pelvisim.view.readout import panel_notes

    notes = panel_notes(anatomy, models.joint_state(anatomy, "flare", {"left_deg": 1.0}), 1.0)
    (gap,) = [n for n in notes if "gap change" in n]
    assert gap.endswith("> pelvisim's 0.5 mm threshold")


def test_what_a_hand_can_feel_says_the_one_sided_pose_is_impossible_at_the_symphysis(anatomy):
    s = scene.load("what_a_hand_can_feel")
    caption = " ".join(c.text for c in s.captions)
    peak = max(k.parameters["left_deg"] for k in s.timeline.keyframes)
    assert peak == 3.6 and "3.6°" in caption
    vertical = abs(symphysis_by_hand(anatomy, models.joint_state(anatomy, "innominate_rotation", {"left_deg": peak}))[1])
    assert vertical > limits.SYMPHYSIS_VERTICAL_SHEAR_LIMIT_MM
    assert "impossible at the symphysis" in caption and f"shears {vertical:.1f} mm" in caption
    # The angle at which the first symphysis limit is passed, by bisection on the hand computation.
    lo, hi = 0.0, peak
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        sag, ver, _gap = symphysis_by_hand(anatomy, models.joint_state(anatomy, "innominate_rotation", {"left_deg": mid}))
        if abs(sag) > limits.SYMPHYSIS_SAGITTAL_SHIFT_LIMIT_MM or abs(ver) > limits.SYMPHYSIS_VERTICAL_SHEAR_LIMIT_MM:
            hi = mid
        else:
            lo = mid
    assert f"past {hi:.1f}°" in caption
    assert scene.caption_warnings(s) == []


def test_pubic_shear_says_it_closes_the_gap_by_itself(anatomy):
    # Review item 11: turning about the ASIS–PSIS line to lift the pubis 2 mm also closes the gap.
    state = models.joint_state(anatomy, "pubic_shear", {"left_mm": 2.0})
    sagittal, vertical, gap = symphysis_by_hand(anatomy, state)
    assert vertical == pytest.approx(-2.0, abs=0.05)  # the left pubis 2 mm up = right 2 mm lower (0.05: turn, not slide)
    assert gap < -limits.SYMPHYSIS_GAP_CHANGE_LIMIT_MM
    L = np.asarray(state.T_pelvis["innominate_left"])
    S = np.asarray(state.T_pelvis["sacrum"])
    p = anatomy.point("ischial_tuberosity_left")
    medial = (np.linalg.solve(S, L @ np.append(p, 1.0))[:3] - p)[2]  # +Z is medial on the left
    evidence = models.get_model("pubic_shear").evidence
    assert f"closes the symphysis gap by about {-gap:.1f} mm" in evidence
    assert f"ischial tuberosity about {medial:.1f} mm medially" in evidence
    caption = " ".join(c.text for c in scene.load("pubic_shear").captions)
    assert f"the symphysis gap closes {-gap:.1f} mm" in caption and "sets off the warning" in caption
    assert ("symphysis", "gap change") in {(w.joint, w.quantity) for w in limits.joint_limit_warnings(anatomy, state)}
