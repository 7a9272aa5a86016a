"""Ring models: Gurd's sacral rotation, the gait cycle and Mitchell torsions, read off the bones."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pelvisim import frames, ring_models
from pelvisim.errors import ParameterError
from pelvisim.models import MODELS, get_model
from pelvisim.ring_models import gait_cycle, gait_report
from pelvisim.synthetic import synthetic_anatomy

ANATOMY = synthetic_anatomy()
PHASES = np.arange(100) / 100


def _relative_rotation_deg(state, side: str) -> np.ndarray:
    """Rotation vector (deg, pelvic axes) of an innominate relative to the sacrum."""
    return np.degrees(frames.log(state.relative("sacrum", f"innominate_{side}"))[:3])


def _asis_shift_in_sacrum_frame(state, side: str) -> np.ndarray:
    rel = state.relative("sacrum", f"innominate_{side}")
    p = ANATOMY.point(f"asis_{side}")
    return frames.apply(rel, p) - p


def test_models_are_registered():
    for name in ("sacral_rotation", "gait", "mitchell_gait"):
        assert name in MODELS
    assert MODELS["gait"].uses_gait and MODELS["mitchell_gait"].uses_gait


def test_sacral_rotation_left_gives_left_inflare_right_outflare():
    state = get_model("sacral_rotation").joint_state(ANATOMY, {"left_deg": 1.0})
    # the sacrum turned left (+Y) by exactly the prescribed degree
    assert np.degrees(frames.log(state.T_pelvis["sacrum"])[:3]) == pytest.approx([0.0, 1.0, 0.0], abs=1e-9)
    left_asis, right_asis = _asis_shift_in_sacrum_frame(state, "left"), _asis_shift_in_sacrum_frame(state, "right")
    assert left_asis[2] > 0  # left ASIS toward the midline: inflare
    assert right_asis[2] > 0  # right ASIS away from the midline (+Z on the right): outflare
    # horizontal-plane rotation of each innominate relative to the sacrum
    left_flare = _relative_rotation_deg(state, "left")[1]
    right_flare = _relative_rotation_deg(state, "right")[1]
    assert 0.3 <= abs(left_flare) <= 1.5 and 0.3 <= abs(right_flare) <= 1.5
    # symphysis gap: distance between the two pubic surfaces, before and after
    before = np.linalg.norm(ANATOMY.point("symphysis_right") - ANATOMY.point("symphysis_left"))
    after = np.linalg.norm(frames.apply(state.T_pelvis["innominate_right"], ANATOMY.point("symphysis_right"))
                           - frames.apply(state.T_pelvis["innominate_left"], ANATOMY.point("symphysis_left")))
    assert abs(after - before) < 0.5  # issue 4: the ring closes at the symphysis (gap change < 0.5 mm)
    # both hip centres stay put (standing legs)
    for side in ("left", "right"):
        c = ANATOMY.point(f"acetabulum_centre_{side}")
        np.testing.assert_allclose(frames.apply(state.T_pelvis[f"innominate_{side}"], c), c, atol=1e-9)


def test_sacral_rotation_right_is_the_mirror_of_left():
    model = get_model("sacral_rotation")
    left = model.joint_state(ANATOMY, {"left_deg": 1.0})
    right = model.joint_state(ANATOMY, {"left_deg": -1.0})
    np.testing.assert_allclose(frames.mirror(left.T_pelvis["innominate_left"]), right.T_pelvis["innominate_right"],
                               atol=1e-12)
    np.testing.assert_allclose(frames.mirror(left.T_pelvis["sacrum"]), right.T_pelvis["sacrum"], atol=1e-12)


def test_sacral_rotation_is_linear_in_the_prescribed_angle():
    model = get_model("sacral_rotation")
    one = frames.log(model.joint_state(ANATOMY, {"left_deg": 0.5}).T_pelvis["innominate_left"])
    two = frames.log(model.joint_state(ANATOMY, {"left_deg": 1.0}).T_pelvis["innominate_left"])
    np.testing.assert_allclose(two, 2.0 * one, rtol=1e-9, atol=1e-15)


def _cycle_states(values=None):
    model = get_model("gait")
    return [model.joint_state(ANATOMY, values or {}, p) for p in PHASES]


def test_default_gait_intrapelvic_rotation_at_most_half_a_degree():
    for state in _cycle_states():
        for side in ("left", "right"):
            angle = math.degrees(frames.rotation_angle_rad(state.relative("sacrum", f"innominate_{side}")))
            assert angle <= 0.5


def test_stance_side_nutates_relative_to_its_ilium():
    model = get_model("gait")
    # right mid-stance and left mid-stance (single support)
    for phase, side in ((0.3, "right"), (0.8, "left")):
        state = model.joint_state(ANATOMY, {}, phase)
        # sacral nutation = the ilium turning posteriorly about a transverse axis (+Z, both sides)
        assert _relative_rotation_deg(state, side)[2] > 0
        # read off a landmark: the promontory moves forward relative to the stance ilium
        T_ilium_sacrum = frames.invert(state.relative("sacrum", f"innominate_{side}"))
        p = ANATOMY.point("sacral_promontory")
        assert (frames.apply(T_ilium_sacrum, p) - p)[0] > 0


def test_default_gait_whole_pelvis_ranges_in_the_model_state():
    angles = []
    for state in _cycle_states():
        R = state.T_world_pelvis
        angles.append([math.degrees(math.atan2(R[0, 2], R[2, 2])), math.degrees(math.asin(-R[1, 2])),
                       math.degrees(math.atan2(R[1, 0], R[1, 1]))])
    p2p = np.ptp(np.array(angles), axis=0)
    assert 6 <= p2p[0] <= 10 and 6 <= p2p[1] <= 10 and 2 <= p2p[2] <= 4


def test_gait_stiffness_ratio_two_lax_right_moves_more():
    # Issue 4's "at least 1.5×" is checked on the bundled pelvis the defaults are calibrated on
    # (test_done_criteria_on_the_bundled_anatomy: 1.54×). On this symmetric test pelvis the
    # symphysis, stiff across the joint, ties the two ilia's horizontal-plane turning, which no
    # SIJ ratio can split: the lax side moves 1.42× as much. Without any symphysis it would be
    # exactly 2× (tests/test_mechanics.py), so the bounds are: clearly more than the 1.0 of an
    # ignored ratio (1.25), and less than the 2.0 of two untied SIJs.
    states = _cycle_states({"stiffness_ratio": 2.0})
    peak = {side: max(frames.rotation_angle_rad(s.relative("sacrum", f"innominate_{side}")) for s in states)
            for side in ("left", "right")}
    assert 1.25 * peak["left"] <= peak["right"] < 2.0 * peak["left"]


def test_gait_half_cycle_is_the_mirror_image():
    model = get_model("gait")
    a, b = model.joint_state(ANATOMY, {}, 0.2), model.joint_state(ANATOMY, {}, 0.7)
    np.testing.assert_allclose(frames.mirror(a.relative("sacrum", "innominate_right")),
                               b.relative("sacrum", "innominate_left"), atol=1e-12)


def test_gait_closure_gain_converges_and_reduces_motion():
    model = get_model("gait")
    linear = model.joint_state(ANATOMY, {}, 0.3)
    braced = model.joint_state(ANATOMY, {"closure_gain": 2.0}, 0.3)
    angle = lambda s: frames.rotation_angle_rad(s.relative("sacrum", "innominate_right"))  # noqa: E731
    assert angle(braced) < angle(linear)
    report = gait_report(ANATOMY, {"closure_gain": 2.0}, 0.3)
    assert report["solver"]["converged"] and report["solver"]["residual"] < 1e-9


def test_iliacus_tilts_its_innominate_anteriorly():
    model = get_model("gait")
    base = model.joint_state(ANATOMY, {}, 0.3)
    pulled = model.joint_state(ANATOMY, {"iliacus_left_nm": 10.0}, 0.3)
    delta = _relative_rotation_deg(pulled, "left")[2] - _relative_rotation_deg(base, "left")[2]
    assert delta < 0  # anterior innominate rotation is about −Z


def test_gait_report_contract():
    report = gait_report(ANATOMY, {}, 0.12)
    json.dumps(report)
    assert set(report["pelvis"]) == {"rotation_deg", "obliquity_deg", "tilt_deg"}
    for joint in ("sij_left", "sij_right", "symphysis"):
        entry = report["joints"][joint]
        for key in ("rotations_deg", "translations_mm", "force_n", "moment_nmm"):
            assert len(entry[key]) == 3
    assert [e["name"] for e in report["events"]] == ["left_toe_off"]
    assert report["solver"]["residual"] < 1e-9
    # same whole-pelvis numbers as the model's state
    state = get_model("gait").joint_state(ANATOMY, {}, 0.12)
    R = state.T_world_pelvis
    assert report["pelvis"]["obliquity_deg"] == pytest.approx(math.degrees(math.asin(-R[1, 2])))
    # the reported SIJ rotation is the bones' relative rotation, in the joint frame
    w = frames.log(state.relative("sacrum", "innominate_right"))[:3]
    Rj = ANATOMY.joint_frame("sij_right")[:3, :3]
    np.testing.assert_allclose(report["joints"]["sij_right"]["rotations_deg"], np.degrees(Rj.T @ w), atol=1e-9)


def test_gait_report_for_the_other_models():
    for model in ("mitchell_gait", "sacral_rotation"):
        report = gait_report(ANATOMY, None, 0.3, model=model)
        json.dumps(report)
        assert set(report["joints"]) == {"sij_left", "sij_right", "symphysis"}
    with pytest.raises(ParameterError, match="stiffness_ratio"):
        gait_report(ANATOMY, {"stiffness_ratio": 9.0}, 0.3)


def test_gait_cycle_matches_the_per_phase_model():
    cycle = gait_cycle(ANATOMY, {"stiffness_ratio": 1.4}, n_phases=20)
    report = gait_report(ANATOMY, {"stiffness_ratio": 1.4}, float(cycle["phase"][7]))
    np.testing.assert_allclose(np.degrees(cycle["sij_left"][:3, 7]), report["joints"]["sij_left"]["rotations_deg"],
                               atol=1e-12)


def test_mitchell_sequence():
    model = get_model("mitchell_gait")
    assert np.allclose(model.joint_state(ANATOMY, {}, 0.0).T_pelvis["sacrum"], np.eye(4), atol=1e-12)
    left_on_left = model.joint_state(ANATOMY, {"torsion_deg": 0.5}, 0.75).T_pelvis["sacrum"]
    right_on_right = model.joint_state(ANATOMY, {"torsion_deg": 0.5}, 0.25).T_pelvis["sacrum"]
    assert math.degrees(frames.rotation_angle_rad(left_on_left)) == pytest.approx(0.5)
    # L-on-L: right sacral base forward (deep right sulcus), left ILA posterior, sacrum turned left
    base = ANATOMY.point("auricular_sacrum_right_superior_pole")
    assert (frames.apply(left_on_left, base) - base)[0] > 0
    ila = ANATOMY.point("auricular_sacrum_left_inferior_pole")
    assert (frames.apply(left_on_left, ila) - ila)[0] < 0
    assert frames.log(left_on_left)[1] > 0
    # the axis is fixed: its upper (left) pole does not move
    upper = ANATOMY.point("auricular_sacrum_left_superior_pole")
    np.testing.assert_allclose(frames.apply(left_on_left, upper), upper, atol=1e-12)
    # R-on-R is its mirror image on a symmetric pelvis
    np.testing.assert_allclose(frames.mirror(left_on_left), right_on_right, atol=1e-12)


def test_in_vivo_warnings():
    # Review item 14: the sacral turn is flagged where the flare model is, past Goode 2008's 4.0° range
    # (it used to warn at 3° citing "≤ 1°" while a 2° flare got none).
    m = get_model("sacral_rotation")
    assert not m.warnings({"left_deg": 1.0}) and not m.warnings({"left_deg": 3.0})
    (warning,) = m.warnings({"left_deg": 4.5})
    assert "Goode 2008" in warning and "4.0°" in warning
    assert m.parameter("left_deg").in_vivo_limit == get_model("flare").parameter("left_deg").in_vivo_limit == 4.0


def test_mitchell_gait_warning_does_not_claim_a_measurement_in_walking():
    (warning,) = get_model("mitchell_gait").warnings({"torsion_deg": 3.0})
    assert "measured in-vivo motion" not in warning and "walking was never measured" in warning
    assert "exceeds the walking ceiling pelvisim takes from single-leg stance (≤ 0.5 deg" in warning


@pytest.fixture(scope="module")
def bundled():
    # The bundled meshes ship with the package: failing to load them is a failure, never a skip.
    import pelvisim

    return pelvisim.load_anatomy()


def test_done_criteria_on_the_bundled_anatomy(bundled):
    # the defaults are calibrated on the bundled pelvis: re-check the criteria there
    model = get_model("gait")
    states = [model.joint_state(bundled, {}, p) for p in PHASES]
    for s in states:
        for side in ("left", "right"):
            assert math.degrees(frames.rotation_angle_rad(s.relative("sacrum", f"innominate_{side}"))) <= 0.5
    assert np.degrees(frames.log(states[30].relative("sacrum", "innominate_right"))[2]) > 0
    assert np.degrees(frames.log(states[80].relative("sacrum", "innominate_left"))[2]) > 0
    lax = [model.joint_state(bundled, {"stiffness_ratio": 2.0}, p) for p in PHASES]
    peak = {side: max(frames.rotation_angle_rad(s.relative("sacrum", f"innominate_{side}")) for s in lax)
            for side in ("left", "right")}
    assert peak["right"] >= 1.5 * peak["left"]
    gurd = get_model("sacral_rotation").joint_state(bundled, {"left_deg": 1.0})
    assert _asis_shift_in_sacrum_frame(gurd, "left")[2] > 0 and _asis_shift_in_sacrum_frame(gurd, "right")[2] > 0
    for side in ("left", "right"):
        assert 0.3 <= abs(_relative_rotation_deg(gurd, side)[1]) <= 1.5


@pytest.mark.parametrize("phase, upper, lower", [
    (0.25, "auricular_sacrum_right_superior_pole", "auricular_sacrum_left_inferior_pole"),  # right-on-right
    (0.75, "auricular_sacrum_left_superior_pole", "auricular_sacrum_right_inferior_pole"),  # left-on-left
])
def test_mitchell_torsion_turns_about_the_stance_sides_oblique_axis(phase, upper, lower):
    # Hand geometry: a rotation about the line through the two poles leaves both poles where they
    # are, turns every other point by the torsion angle, and turns the sacral base toward the
    # stance side (right-on-right: the left half of the base comes forward).
    torsion_deg = 2.0
    T = ring_models.mitchell_sacrum(ANATOMY, phase, torsion_deg)
    for name in (upper, lower):
        p = ANATOMY.point(name)
        np.testing.assert_allclose(T[:3, :3] @ p + T[:3, 3], p, atol=1e-9)  # on the axis: does not move
    angle = np.degrees(np.arccos(np.clip((np.trace(T[:3, :3]) - 1.0) / 2.0, -1.0, 1.0)))
    assert angle == pytest.approx(torsion_deg, abs=1e-9)
    # BIOMECHANICS §4: right-on-right puts the left sacral base forward (deep left sulcus) and the
    # right ILA back; left-on-left the mirror image. The base read at the upper auricular pole off
    # the axis, the ILA opposite it.
    base, ila = ("left", "right") if phase == 0.25 else ("right", "left")
    def forward_mm(name: str) -> float:
        p = ANATOMY.point(name)
        return float((T[:3, :3] @ p + T[:3, 3])[0] - p[0])
    assert forward_mm(f"auricular_sacrum_{base}_superior_pole") > 0.1
    assert forward_mm(f"ila_{ila}") < -0.1
