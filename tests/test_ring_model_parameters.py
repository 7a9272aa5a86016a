"""The ring models' parameters: defaults and ranges from the reference, units, and what each one drives.

Defaults and teaching ranges come from reference/BIOMECHANICS.md (§5 the compensation hypothesis
off by default, §6 the left/right stiffness ratio 1.0 with a teaching range 0.5–2, §1 horizontal
rotation ≤ 1°); effects are checked against independent solves or the documented contract.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pelvisim import frames, gait, mechanics, models
from pelvisim.anatomy.core import SIDES
from pelvisim.errors import ParameterError

PHASES = (0.1, 0.3, 0.8)


@pytest.mark.parametrize(("model", "name", "default", "low", "high", "why"), [
    ("gait", "stiffness_ratio", 1.0, 0.5, 2.0, "BIOMECHANICS §6: default ratio 1.0, teaching range 0.5–2"),
    ("gait", "coupling_gain", 0.0, 0.0, 2.0, "BIOMECHANICS §5: the jammed-side compensation is a hypothesis, default 0"),
    ("gait", "closure_gain", 0.0, 0.0, 5.0, "off by default: the linear ring is the calibrated one (docs/calibration.md)"),
    ("gait", "body_mass_kg", 70.0, 30.0, 150.0, "the 70 kg of the calibration"),
    ("gait", "speed_m_per_s", 1.3, 0.5, 2.0, "comfortable adult walking ≈ 1.3 m/s"),
    ("gait", "amplitude_scale", 1.0, 0.0, 2.0, "Saunders 1953 amplitudes at 1"),
    ("gait", "iliacus_left_nm", 0.0, 0.0, 30.0, "no direct in-vivo evidence (Russell seed claim): off by default"),
    ("gait", "iliacus_right_nm", 0.0, 0.0, 30.0, "same"),
    ("sacral_rotation", "left_deg", 1.0, -5.0, 5.0, "BIOMECHANICS §1/§5: horizontal-plane rotation ≤ ~1° (Goode 2008)"),
])
def test_defaults_and_ranges(model, name, default, low, high, why):
    p = models.get_model(model).parameter(name)
    assert (p.default, p.minimum, p.maximum) == (default, low, high), why
    m = models.get_model(model)
    m.resolve({name: low})
    m.resolve({name: high})
    with pytest.raises(ParameterError, match=name):
        m.resolve({name: high + 0.5})


def test_parameter_words():
    ratio = models.get_model("gait").parameter("stiffness_ratio")
    assert ratio.label == "SIJ stiffness, left ÷ right"
    assert ratio.positive_means.startswith("above 1: the left SIJ is stiffer")
    sacral = models.get_model("sacral_rotation").parameter("left_deg")
    assert sacral.label == "Sacrum rotated: left (+) / right (−)"
    assert sacral.positive_means.startswith("sacrum rotated left")
    assert models.get_model("gait").parameter("iliacus_left_nm").label == "Left iliacus pull (anterior moment on the ilium)"
    # issue 14: force closure follows the compression across the SIJ (pelvisim.tissue.closure)
    assert models.get_model("gait").parameter("closure_gain").label.startswith("Self-bracing: stiffening with compression")


def test_sacral_rotation_beyond_goodes_range_is_flagged():
    # Goode 2008 (systematic review): horizontal-plane SIJ rotation ≤ 1° typically, −0.8…4.0° across
    # studies; the flare model warns past 4.0°, and so does the sacral turn (issue 10 review item 14).
    m = models.get_model("sacral_rotation")
    assert m.warnings(m.resolve({"left_deg": 3.95})) == []
    (warning,) = m.warnings(m.resolve({"left_deg": -4.05}))
    assert "left_deg" in warning and "Goode 2008" in warning


def test_stiffness_ratio_reaches_the_ring(anatomy):
    # Left twice as stiff: the right SIJ moves more than the left over the cycle (issue 4). Issue 4's
    # "at least 1.5×" is checked on the bundled pelvis the defaults are calibrated on
    # (test_ring_models.py::test_done_criteria_on_the_bundled_anatomy); on this symmetric test pelvis
    # the symphysis, stiff across the joint (Walheim: no transverse motion), makes the two ilia share
    # their horizontal-plane turning, and the lax side moves 1.44× as much. 1.25 is well clear of
    # the 1.0 a parameter that did not reach the ring would give.
    def peak(values, side):
        return max(frames.rotation_angle_rad(models.joint_state(anatomy, "gait", values, p).relative("sacrum", f"innominate_{side}"))
                   for p in np.arange(20) / 20)

    assert peak({"stiffness_ratio": 2.0}, "right") > 1.25 * peak({"stiffness_ratio": 2.0}, "left")
    assert peak({"stiffness_ratio": 0.5}, "left") > 1.25 * peak({"stiffness_ratio": 0.5}, "right")


def test_sacral_rotation_has_no_stiffness_ratio(anatomy):
    # The sacrum's rotation is prescribed, so the SIJs' overall stiffness barely changes where the
    # ilia settle (tests/test_mechanics.py shows it is exactly inert without the symphysis): the
    # model does not offer a knob that does nothing.
    with pytest.raises(ParameterError, match="stiffness_ratio"):
        models.get_model("sacral_rotation").resolve({"stiffness_ratio": 2.0})


@pytest.mark.parametrize("side", SIDES)
def test_iliacus_pull_is_n_m_on_its_own_innominate(anatomy, side):
    # The pull is given in N·m; the ring works in N·mm. The extra motion it causes must equal a
    # separate linear solve of a pure moment of 10 000 N·mm (10 N·m) on that innominate, on the
    # ring the gait model solves (the soft-tissue ring, issue 14).
    from pelvisim.tissue.ring import TissueOptions, tissue_ring

    phase = 0.3
    base = models.joint_state(anatomy, "gait", {}, phase)
    pulled = models.joint_state(anatomy, "gait", {f"iliacus_{side}_nm": 10.0}, phase)
    ring = tissue_ring(anatomy, TissueOptions())
    alone = mechanics.solve_linear(ring, [mechanics.iliacus_moment(side, 10_000.0)], mechanics.hold_body("sacrum"))
    extra = frames.log(pulled.relative("sacrum", f"innominate_{side}"))[:3] - frames.log(base.relative("sacrum", f"innominate_{side}"))[:3]
    expected = frames.log(alone.joint_state().relative("sacrum", f"innominate_{side}"))[:3]
    np.testing.assert_allclose(extra, expected, atol=1e-9)
    assert expected[2] < 0  # anterior innominate rotation is about −Z


@pytest.mark.parametrize("closure_gain", [0.0, 0.5])
def test_gait_pelvic_frame_follows_the_innominates(anatomy, closure_gain):
    # The pelvic frame is built from the ASIS and PSIS, which sit on the innominates: the ring
    # models re-reference the bones so the two innominates' mean motion is zero (ring_models.
    # innominate_referenced). A mean of 1e-4 (rad or mm) is 1000× below any shown motion; measured 1e-7.
    for phase in PHASES:
        state = models.joint_state(anatomy, "gait", {"closure_gain": closure_gain}, phase)
        mean = 0.5 * (frames.log(state.T_pelvis["innominate_left"]) + frames.log(state.T_pelvis["innominate_right"]))
        assert np.abs(mean).max() < 1e-4, (phase, mean)
        assert np.abs(frames.log(state.T_pelvis["sacrum"])).max() > 1e-3  # the sacrum moves between them


def test_closure_gain_below_one_still_braces(anatomy):
    # Any closure gain > 0 takes the self-bracing solve: less SIJ motion than the linear ring.
    linear = models.joint_state(anatomy, "gait", {}, 0.3)
    braced = models.joint_state(anatomy, "gait", {"closure_gain": 0.5}, 0.3)
    angle = lambda s: frames.rotation_angle_rad(s.relative("sacrum", "innominate_right"))  # noqa: E731
    assert angle(braced) < angle(linear) * 0.999


@pytest.mark.parametrize("model", ["gait", "mitchell_gait"])
def test_gait_models_swing_the_hips_and_move_the_pelvis(anatomy, model):
    for phase in PHASES:
        state = models.joint_state(anatomy, model, {}, phase)
        for side in SIDES:
            np.testing.assert_allclose(state.T_innominate_femur[side], gait.T_innominate_femur(anatomy, phase, side), atol=1e-12)
        np.testing.assert_allclose(state.T_world_pelvis, gait.T_world_pelvis(phase), atol=1e-12)
    assert math.degrees(gait.hip_flexion_rad(0.0, "right")) > 10  # the swing is really there at initial contact


# --- fallbacks for missing keys, report loads, cycle errors, Mitchell axes -------------------------------------
def test_missing_values_fall_back_to_the_model_defaults(anatomy):
    # The helpers take partial values ("defaults for missing keys"): {} must mean the gait model's defaults.
    from pelvisim import ring_models

    defaults = models.get_model("gait").resolve({})
    assert ring_models.gait_ring_stiffness({}) == mechanics.ring_stiffness(defaults["stiffness_ratio"],
                                                                          coupling_gain=defaults["coupling_gain"])
    np.testing.assert_allclose(ring_models.gait_solution(anatomy, {}, 0.3).q, ring_models.gait_solution(anatomy, defaults, 0.3).q,
                               atol=1e-12)
    np.testing.assert_allclose(models.get_model("gait").state_function(anatomy, {}, 0.3).T_pelvis["innominate_left"],
                               models.joint_state(anatomy, "gait", defaults, 0.3).T_pelvis["innominate_left"], atol=1e-12)


@pytest.mark.parametrize("model", ["gait", "sacral_rotation", "mitchell_gait"])
def test_report_loads_are_what_the_innominate_receives(anatomy, model):
    # gait_report: the load a joint carries is the one the innominate (symphysis: right pubis)
    # receives from the other bone, −K e in joint axes, for solved and prescribed models alike.
    # The joints are the soft-tissue ring's equivalent springs (issue 14), at the model's defaults.
    from pelvisim.ring_models import gait_report, gait_tissue_options
    from pelvisim.tissue.ring import tissue_ring

    report = gait_report(anatomy, None, 0.3, model=model)
    ring = tissue_ring(anatomy, gait_tissue_options(models.get_model(model).resolve({})))
    for joint in mechanics.JOINTS:
        entry = report["joints"][joint]
        e = np.concatenate([np.radians(entry["rotations_deg"]), entry["translations_mm"]])
        load = -ring.spring(joint).stiffness @ e
        np.testing.assert_allclose(entry["moment_nmm"], load[:3], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(entry["force_n"], load[3:], rtol=1e-9, atol=1e-9)


def test_gait_cycle_refuses_what_it_cannot_do(anatomy):
    from pelvisim.ring_models import gait_cycle

    with pytest.raises(ParameterError, match="n_phases"):
        gait_cycle(anatomy, {}, n_phases=0)
    assert gait_cycle(anatomy, {}, n_phases=1)["phase"].tolist() == [0.0]
    with pytest.raises(ParameterError, match="closure_gain"):
        gait_cycle(anatomy, {"closure_gain": 0.5}, n_phases=4)


def test_mitchell_torsions_turn_about_their_oblique_axes(anatomy):
    # Each oblique axis runs through two sacral poles: both stay put under its torsion.
    from pelvisim.ring_models import left_oblique_axis, mitchell_sacrum

    point, direction = left_oblique_axis(anatomy)
    assert np.linalg.norm(direction) == pytest.approx(1.0)
    for phase, upper, lower in ((0.75, "left", "right"), (0.25, "right", "left")):
        T = mitchell_sacrum(anatomy, phase, 2.0)
        assert math.degrees(frames.rotation_angle_rad(T)) == pytest.approx(2.0)
        for pole in (f"auricular_sacrum_{upper}_superior_pole", f"auricular_sacrum_{lower}_inferior_pole"):
            np.testing.assert_allclose(frames.apply(T, anatomy.point(pole)), anatomy.point(pole), atol=1e-9)


def test_mitchell_peak_torsion_parameter():
    # Walking ceiling 0.5° per side (BIOMECHANICS §7, from Kibsgård 2014): the default and the in-vivo limit.
    p = models.get_model("mitchell_gait").parameter("torsion_deg")
    assert (p.default, p.minimum, p.maximum, p.in_vivo_limit) == (0.5, 0.0, 5.0, 0.5)
    assert p.positive_means == "larger alternating forward torsions"


# --- Gurd's cause: the multifidus imbalance ------------------------------------------------------------------
def test_multifidus_model_parameters():
    m = models.get_model("multifidus_imbalance")
    assert m.title == "Weak right multifidus (Gurd's cause)"
    pull, right = m.parameter("pull_n"), m.parameter("right_activation")
    assert (pull.default, pull.minimum, pull.maximum) == (100.0, 0.0, 500.0)
    assert pull.label == "Left multifidus pull on the sacrum" and "(left)" in pull.positive_means
    # Gurd 2010: the right multifidus "not firing at all" -> 0 by default; 1 = both sides alike.
    assert (right.default, right.minimum, right.maximum) == (0.0, 0.0, 1.0)
    assert right.label == "Right multifidus, fraction of the left pull"


def test_multifidus_ring_stands_on_both_hips_and_the_trunk_holds_l5(anatomy):
    # issue 14: the multifidus pulls through the soft-tissue ring to the L5 spinous process; the
    # legs hold both hip centres and the trunk holds the L5 (the soft_tissue model's standing posture).
    from pelvisim.ring_models import multifidus_solution

    s = multifidus_solution(anatomy, 100.0, 0.0).solution
    T = s.T_pelvis()
    for side in SIDES:
        c = anatomy.point(f"acetabulum_centre_{side}")
        np.testing.assert_allclose(frames.apply(T[f"innominate_{side}"], c), c, atol=1e-9)
    np.testing.assert_allclose(s.twist("l5"), 0.0, atol=1e-12)
    assert np.abs(s.twist("sacrum")).max() > 1e-7  # the pull moves the sacrum
    assert s.residual < 1e-9


def test_multifidus_pulls_nearly_superpose(anatomy):
    # Left pull with the right at 60 % ≈ left-only + right-only (60 N), each solved on its own. Not
    # exactly: tension-only ligaments and compression-only joint surfaces make the soft-tissue ring
    # nonlinear (2.3 % of the right pull's own effect measured); 5 % leaves room for that and no more.
    from pelvisim.ring_models import multifidus_solution
    from pelvisim.tissue.models import soft_tissue_result

    both = multifidus_solution(anatomy, 100.0, 0.6).solution.q
    left = soft_tissue_result(anatomy, {"multifidus_left_n": 100.0}).solution.q
    right = soft_tissue_result(anatomy, {"multifidus_right_n": 60.0}).solution.q
    assert np.abs(right).max() > 1e-6  # the right pull really acts
    assert np.abs(both - (left + right)).max() < 0.05 * np.abs(right).max()
