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
    assert set(data["limit_warnings"][0]) == {"joint", "quantity", "value", "unit", "limit", "source", "text"}


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
