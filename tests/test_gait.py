"""Gait cycle: timing, whole-pelvis motion, hip angles and loads — checked from the geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pelvisim import frames, gait, mechanics
from pelvisim.errors import ParameterError
from pelvisim.synthetic import synthetic_anatomy

ANATOMY = synthetic_anatomy()
PHASES = np.arange(200) / 200


def test_events_match_the_reference_timing():
    phases = {e.name: e.phase for e in gait.EVENTS}
    assert phases == {"right_initial_contact": 0.0, "left_toe_off": 0.12, "left_initial_contact": 0.5,
                      "right_toe_off": 0.62}
    assert [e["name"] for e in gait.events(0.115)] == ["left_toe_off"]
    assert [e["name"] for e in gait.events(0.99)] == ["right_initial_contact"]


def test_stance_and_swing():
    assert gait.in_stance(0.05, "left") and gait.in_stance(0.05, "right")  # double support
    assert gait.in_stance(0.3, "right") and not gait.in_stance(0.3, "left")
    assert gait.in_stance(0.8, "left") and not gait.in_stance(0.8, "right")
    assert not gait.in_stance(0.62, "right") and gait.in_stance(0.61, "right")


def _cardan_deg(phase: float) -> np.ndarray:
    """(rotation, obliquity, tilt) by scipy's intrinsic Y-X-Z decomposition (independent code)."""
    R = gait.T_world_pelvis(phase)[:3, :3].copy()
    return np.degrees(Rotation.from_matrix(R).as_euler("YXZ"))


def test_default_whole_pelvis_ranges():
    angles = np.array([_cardan_deg(p) for p in PHASES])
    p2p = angles.max(axis=0) - angles.min(axis=0)
    assert 6.0 <= p2p[0] <= 10.0  # rotation (Saunders ±4°)
    assert 6.0 <= p2p[1] <= 10.0  # obliquity
    assert 2.0 <= p2p[2] <= 4.0  # tilt


def test_angles_round_trip_in_baker_order():
    for p in (0.0, 0.17, 0.42, 0.8):
        expected = np.degrees(gait.pelvis_angles_rad(p))
        np.testing.assert_allclose(_cardan_deg(p), expected, atol=1e-9)
        np.testing.assert_allclose(np.degrees(gait.pelvis_angles_from_transform(gait.T_world_pelvis(p))), expected,
                                   atol=1e-9)


def _world(phase: float, name: str) -> np.ndarray:
    return frames.apply(gait.T_world_pelvis(phase), ANATOMY.point(name))


def test_right_side_forward_at_right_initial_contact_and_swing_side_moves_forward():
    assert _world(0.0, "asis_right")[0] > _world(0.0, "asis_left")[0]
    assert _world(0.5, "asis_left")[0] > _world(0.5, "asis_right")[0]
    # during right swing (0.62 -> 1) the right ASIS moves forward
    assert _world(0.95, "asis_right")[0] > _world(0.7, "asis_right")[0]


def test_swing_side_drops_just_after_initial_contact():
    # after right initial contact the left (swing) side drops
    assert _world(0.17, "asis_left")[1] < _world(0.17, "asis_right")[1]
    assert _world(0.67, "asis_right")[1] < _world(0.67, "asis_left")[1]


def test_amplitude_scale_and_speed():
    slow = gait.GaitParameters(amplitude_scale=0.5)
    full = np.array(gait.pelvis_angles_rad(0.0))
    np.testing.assert_allclose(np.array(gait.pelvis_angles_rad(0.0, slow)), 0.5 * full)
    fast = gait.GaitParameters(speed_m_per_s=2.0)
    tilt = lambda params: max(abs(gait.pelvis_angles_rad(p, params)[2]) for p in PHASES)  # noqa: E731
    assert tilt(fast) > tilt(gait.DEFAULT_GAIT)


def test_hip_flexion_drives_the_femur_about_the_hip_centre():
    centre = ANATOMY.point("acetabulum_centre_right")
    T = gait.T_innominate_femur(ANATOMY, 0.0, "right")  # initial contact: hip flexed
    np.testing.assert_allclose(frames.apply(T, centre), centre, atol=1e-12)
    knee = centre + np.array([0.0, -400.0, 0.0])
    moved = frames.apply(T, knee)
    assert moved[0] > knee[0] + 100.0  # knee forward
    flex = math.degrees(gait.hip_flexion_rad(0.0, "right"))
    assert math.degrees(math.atan2(moved[0] - centre[0], centre[1] - moved[1])) == pytest.approx(flex)
    assert gait.hip_flexion_rad(0.45, "right") < 0  # extended in terminal stance
    assert gait.hip_flexion_rad(0.3, "left") == pytest.approx(gait.hip_flexion_rad(0.8, "right"))


def test_hip_force_zero_in_swing_double_hump_in_stance():
    p = gait.DEFAULT_GAIT
    right = gait.hip_force_n(PHASES, "right")
    swing = ~np.isfinite(gait.stance_fraction(PHASES, "right"))
    np.testing.assert_array_equal(right[swing], 0.0)
    vertical = right[~swing, 1]
    peak = vertical.max()
    assert peak == pytest.approx(p.hip_force_peak_bw * p.body_weight_n, rel=1e-3)
    interior = (vertical[1:-1] > vertical[:-2]) & (vertical[1:-1] > vertical[2:])
    assert interior.sum() == 2  # two humps
    # medial on the acetabulum: toward the midline
    assert np.all(right[~swing, 2] <= 0)


def test_left_hip_force_is_the_mirrored_right_half_a_stride_later():
    for p in (0.03, 0.2, 0.55, 0.9):
        np.testing.assert_allclose(gait.hip_force_n(p, "left"),
                                   frames.mirror_points(gait.hip_force_n((p + 0.5) % 1.0, "right")), atol=1e-9)


def test_gait_loads_are_self_equilibrated():
    for p in (0.0, 0.25, 0.6):
        net = mechanics.resultant(gait.gait_loads(ANATOMY, p))
        assert np.linalg.norm(net) < 1e-9


def test_single_leg_stance_pauwels_balance():
    loads = gait.single_leg_stance_loads(ANATOMY, "right", 70.0)
    hip = next(w for w in loads if w.label == "hip reaction (right)")
    supported = (1 - gait.LEG_MASS_FRACTION) * 70.0 * gait.GRAVITY
    # body weight lever (hip to midline) over abductor lever, plus one (Pauwels)
    z = ANATOMY.point("acetabulum_centre_right")[2]
    assert hip.force_n[1] == pytest.approx(supported * (1 + z / gait.DEFAULT_GAIT.abductor_lever_mm), rel=1e-9)
    assert np.linalg.norm(mechanics.resultant(loads)) < 1e-9


def test_bad_phase_and_parameters_are_refused():
    with pytest.raises(ParameterError, match=r"\[0, 1\)"):
        gait.T_world_pelvis(1.0)
    with pytest.raises(ParameterError, match="body_mass_kg"):
        gait.GaitParameters(body_mass_kg=-3)
    with pytest.raises(ParameterError, match="side"):
        gait.hip_force_n(0.1, "middle")


def test_vectorised_load_matrix_equals_the_wrench_list():
    phases = np.array([0.0, 0.1, 0.33, 0.5, 0.61, 0.9])
    extra = (mechanics.iliacus_moment("left", 5000.0), mechanics.multifidus_pull(ANATOMY, "right", 40.0))
    F = gait.gait_load_matrix(ANATOMY, phases, extra=extra)
    for k, p in enumerate(phases):
        np.testing.assert_allclose(F[:, k], mechanics.load_vector(gait.gait_loads(ANATOMY, float(p), extra=extra)),
                                   rtol=1e-12, atol=1e-9)
