"""The positional-model registry: parameters, errors, warnings, poses and composition order."""

from __future__ import annotations

import numpy as np
import pytest

import pelvisim
from hypothesis import given, settings
from hypothesis import strategies as st

from mirror_cases import MIRROR_IDS, MIRROR_PAIRS
from pelvisim import frames, joints, models
from pelvisim.errors import ParameterError
from pelvisim.pose import pose

REQUIRED = {
    "neutral": set(),
    "nutation": {"angle_deg", "axis_level"},
    "innominate_rotation": {"left_deg", "right_deg"},
    "flare": {"left_deg", "right_deg"},
    "shear": {"left_mm", "right_mm"},
    "pubic_shear": {"left_mm"},
    "sacral_torsion": {"axis", "direction", "angle_deg"},
    "unilateral_sacral_flexion": {"left_deg", "right_deg"},
    "twisted_shifted_sacrum": {"side", "shift_mm", "twist_deg"},
}
KINEMATIC = [m.name for m in models.KINEMATIC_MODELS]


def test_registry_has_the_required_models_and_parameters():
    for name, params in REQUIRED.items():
        model = models.get_model(name)
        assert params <= {p.name for p in model.parameters}, name
        assert model.claim and model.source


def test_every_default_is_neutral_and_sourced(anatomy):
    for name in KINEMATIC:
        model = models.get_model(name)
        for p in model.parameters:
            assert p.source, f"{name}.{p.name} has no source"
            if not p.is_choice and p.name.endswith(("_deg", "_mm")) and "axis" not in p.name:
                assert p.default == 0.0, f"{name}.{p.name} default is not true-scale neutral"
        state = model.joint_state(anatomy)
        for T in state.T_pelvis.values():
            np.testing.assert_allclose(T, np.eye(4), atol=1e-12)
        assert model.warnings(model.resolve()) == []


def test_unknown_model_lists_valid_names():
    with pytest.raises(ParameterError) as error:
        models.get_model("flair")
    assert "Valid models:" in str(error.value) and "flare" in str(error.value) and "nutation" in str(error.value)


def test_unknown_parameter_lists_valid_parameters(anatomy):
    with pytest.raises(ParameterError) as error:
        models.joint_state(anatomy, "flare", {"lft_deg": 1.0})
    assert "left_deg" in str(error.value) and "right_deg" in str(error.value)


def test_out_of_range_value_gives_the_range(anatomy):
    with pytest.raises(ParameterError, match="from -15 to 15 deg"):
        models.joint_state(anatomy, "flare", {"left_deg": 40.0})
    with pytest.raises(ParameterError, match="'S1', 'S2', 'S3'"):
        models.joint_state(anatomy, "nutation", {"axis_level": "L5"})


def test_values_beyond_in_vivo_motion_are_flagged():
    flare = models.get_model("flare")
    assert flare.warnings(flare.resolve({"left_deg": 0.8})) == []
    (warning,) = flare.warnings(flare.resolve({"left_deg": -6.0}))
    assert "left_deg" in warning and "Goode 2008" in warning
    shear = models.get_model("shear")
    assert len(shear.warnings(shear.resolve({"left_mm": 3.0, "right_mm": -2.5}))) == 2


def test_nutation_moves_only_the_sacrum(anatomy):
    state = models.joint_state(anatomy, "nutation", {"angle_deg": 2.0})
    T = state.T_pelvis["sacrum"]
    for bone in ("innominate_left", "innominate_right"):
        np.testing.assert_allclose(state.T_pelvis[bone], np.eye(4))
    promontory = anatomy.point("sacral_promontory")
    apex = anatomy.point("sacral_apex")
    d_prom = frames.apply(T, promontory) - promontory
    d_apex = frames.apply(T, apex) - apex
    assert d_prom[0] > 0 and d_prom[1] < 0  # promontory anterior-inferior
    assert d_apex[0] < 0 and d_apex[1] > 0  # apex posterior-superior
    # The S2 axis point does not move.
    p = joints.nutation_axis(anatomy, "S2").point_mm
    np.testing.assert_allclose(frames.apply(T, p), p, atol=1e-9)


def test_axis_level_moves_the_fixed_point(anatomy):
    state = models.joint_state(anatomy, "nutation", {"angle_deg": 2.0, "axis_level": "S3", "axis_anterior_mm": 5.0})
    p = joints.sacral_level_point(anatomy, "S3", 5.0)
    np.testing.assert_allclose(frames.apply(state.T_pelvis["sacrum"], p), p, atol=1e-9)
    s2 = joints.sacral_level_point(anatomy, "S2")
    assert np.linalg.norm(frames.apply(state.T_pelvis["sacrum"], s2) - s2) > 0.1


def test_pubic_shear_keeps_asis_and_psis_in_place(anatomy):
    state = models.joint_state(anatomy, "pubic_shear", {"left_mm": 2.0})
    T = state.T_pelvis["innominate_left"]
    for name in ("asis_left", "psis_left"):
        np.testing.assert_allclose(frames.apply(T, anatomy.point(name)), anatomy.point(name), atol=1e-9)
    pubis = anatomy.point("symphysis_left")
    assert frames.apply(T, pubis)[1] - pubis[1] == pytest.approx(2.0, rel=1e-9)


def test_innominate_rotation_about_symphysis_keeps_the_symphysis(anatomy):
    state = models.joint_state(anatomy, "innominate_rotation", {"right_deg": 3.0, "axis": "symphysis"})
    c = joints.symphysis_centre(anatomy)
    np.testing.assert_allclose(frames.apply(state.T_pelvis["innominate_right"], c), c, atol=1e-9)
    asis = anatomy.point("asis_right")
    assert frames.apply(state.T_pelvis["innominate_right"], asis)[1] < asis[1]  # anterior: ASIS down


# --- mirror symmetry on poses ----------------------------------------------------------------


@pytest.mark.parametrize(("model", "left", "right"), MIRROR_PAIRS, ids=MIRROR_IDS)
def test_left_parameters_give_the_mirror_pose(symmetric, model, left, right):
    pose_left = pose(symmetric, models.joint_state(symmetric, model, left), magnification=5.0)
    pose_right = pose(symmetric, models.joint_state(symmetric, model, right), magnification=5.0)
    pairs = {"sacrum": "sacrum", "innominate_left": "innominate_right", "innominate_right": "innominate_left"}
    for bone_l, bone_r in pairs.items():
        np.testing.assert_allclose(frames.mirror(pose_right.T_world[bone_r]), pose_left.T_world[bone_l], atol=1e-9)
    assert not np.allclose(pose_left.T_world["sacrum"], pose_right.T_world["sacrum"]) or not np.allclose(
        pose_left.T_world["innominate_left"], pose_right.T_world["innominate_left"]
    )


# --- composition order -----------------------------------------------------------------------
@settings(max_examples=30, derandomize=True, deadline=None)
@given(side=st.sampled_from(["left", "right"]), shift=st.floats(0.5, 10.0), twist=st.floats(0.5, 15.0))
def test_twisted_shifted_sacrum_applies_shift_then_twist(side, shift, twist):
    anatomy = pelvisim.load_anatomy()
    T_shift, T_twist = models.twisted_shifted_parts(anatomy, side, shift, twist)
    T = models.joint_state(anatomy, "twisted_shifted_sacrum", {"side": side, "shift_mm": shift, "twist_deg": twist}).T_pelvis["sacrum"]
    np.testing.assert_allclose(T, T_twist @ T_shift, atol=1e-9)
    assert not np.allclose(T, T_shift @ T_twist, atol=1e-6)  # the order matters, so the test can fail
    # The shifted side's auricular centroid drops exactly shift_mm before the twist.
    c = anatomy.point(f"auricular_sacrum_{side}_centroid")
    assert frames.apply(T_shift, c)[1] - c[1] == pytest.approx(-shift, rel=1e-9)


@settings(max_examples=30, derandomize=True, deadline=None)
@given(left=st.floats(-15, 15), right=st.floats(-15, 15))
def test_unilateral_flexion_applies_left_then_right(left, right):
    anatomy = pelvisim.load_anatomy()
    T = models.joint_state(anatomy, "unilateral_sacral_flexion", {"left_deg": left, "right_deg": right}).T_pelvis["sacrum"]
    T_left = joints.unilateral_flexion_axis(anatomy, "left").rotation(np.radians(left))
    T_right = joints.unilateral_flexion_axis(anatomy, "right").rotation(np.radians(right))
    np.testing.assert_allclose(T, T_right @ T_left, atol=1e-9)


# --- every model, random parameters: rigid poses ------------------------------------------------
def _values(model):
    out = {}
    for p in model.parameters:
        if p.is_choice:
            out[p.name] = st.sampled_from(list(p.choices))
        else:
            out[p.name] = st.floats(p.minimum, p.maximum)
    return st.fixed_dictionaries(out)


@settings(max_examples=80, derandomize=True, deadline=None)
@given(data=st.data(), magnification=st.sampled_from([1.0, 10.0, 20.0]))
def test_random_parameters_give_rigid_poses(data, magnification):
    anatomy = pelvisim.load_anatomy()
    name = data.draw(st.sampled_from(KINEMATIC))
    model = models.get_model(name)
    values = data.draw(_values(model))
    state = model.joint_state(anatomy, values)
    displayed = pose(anatomy, state, magnification)
    for T in (*state.T_pelvis.values(), *displayed.T_world.values()):
        assert frames.is_rigid(T, atol=1e-8)
