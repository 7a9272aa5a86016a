"""Ring mechanics checked against independent facts: hand-computed springs, symmetry, energy,
reciprocity, rigid-body invariance — never against numbers the code printed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pelvisim import frames, gait, mechanics
from pelvisim.errors import ParameterError, PelvisimError
from pelvisim.synthetic import synthetic_anatomy

ANATOMY = synthetic_anatomy()


@pytest.fixture(scope="module")
def anatomy():
    return ANATOMY


def _chain_ring(k1: float, k2: float, k3: float = 0.0) -> mechanics.Ring:
    """Three collinear springs with identity frames at the origin, diagonal stiffness k·I."""
    I = np.eye(4)
    return mechanics.Ring((
        mechanics.Spring("a", "sacrum", "innominate_left", I, k1 * np.eye(6)),
        mechanics.Spring("b", "innominate_left", "innominate_right", I, k2 * np.eye(6)),
        mechanics.Spring("c", "sacrum", "innominate_right", I, k3 * np.eye(6)),
    ))


def test_two_springs_in_series_by_hand():
    # sacrum held; force F along x at the origin of the right innominate; springs a and b in series
    k1, k2, F = 300.0, 200.0, 50.0
    ring = _chain_ring(k1, k2)
    f = mechanics.load_vector([mechanics.Wrench("innominate_right", np.array([F, 0, 0]))])
    s = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum"))
    assert s.twist("innominate_right")[3] == pytest.approx(F * (1 / k1 + 1 / k2), rel=1e-12)
    assert s.twist("innominate_left")[3] == pytest.approx(F / k1, rel=1e-12)
    assert s.residual < 1e-12


def test_two_springs_in_parallel_by_hand():
    # sacrum and left innominate held: the right innominate hangs on springs b and c in parallel
    k2, k3, F = 200.0, 700.0, 90.0
    ring = _chain_ring(1.0, k2, k3)
    f = mechanics.load_vector([mechanics.Wrench("innominate_right", np.array([0, 0, F]))])
    s = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum") + mechanics.hold_body("innominate_left"))
    assert s.twist("innominate_right")[5] == pytest.approx(F / (k2 + k3), rel=1e-12)
    # reactions carry the load: nothing is unbalanced in the free directions
    assert s.residual < 1e-12


def test_offset_force_rotates_by_moment_over_rotational_stiffness():
    # a force through a point off the joint centre makes a moment p × F (hand computed)
    k_rot, k_tr = 4.0e6, 500.0
    K = np.diag([k_rot] * 3 + [k_tr] * 3)
    ring = mechanics.Ring((mechanics.Spring("j", "sacrum", "innominate_right", np.eye(4), K),))
    p, F = np.array([0.0, 0.0, 100.0]), np.array([0.0, 40.0, 0.0])
    constraints = mechanics.hold_body("sacrum") + mechanics.hold_body("innominate_left")
    s = mechanics.solve_linear(ring, [mechanics.Wrench("innominate_right", F, p)], constraints)
    # moment about the origin: p × F = (−100·40, 0, 0) → rotation −4000/k_rot about x
    assert s.twist("innominate_right")[0] == pytest.approx(-4000.0 / k_rot, rel=1e-12)
    assert s.twist("innominate_right")[4] == pytest.approx(40.0 / k_tr, rel=1e-12)


def test_joint_frame_rotates_stiffness():
    # a spring soft along its own z, with z turned onto pelvic x: a pelvic-x force meets the soft axis
    R = frames.rotation_matrix([0, 1, 0], math.pi / 2)  # joint z -> pelvic x
    T = frames.from_rt(R, [10.0, 20.0, 30.0])
    K = np.diag([1e6, 1e6, 1e6, 1000.0, 1000.0, 10.0])
    ring = mechanics.Ring((mechanics.Spring("j", "sacrum", "innominate_right", T, K),))
    cons = mechanics.hold_body("sacrum") + mechanics.hold_body("innominate_left")
    s = mechanics.solve_linear(ring, [mechanics.Wrench("innominate_right", np.array([5.0, 0, 0]), T[:3, 3])], cons)
    displacement = s.twist("innominate_right")[3:] + np.cross(s.twist("innominate_right")[:3], T[:3, 3])
    np.testing.assert_allclose(displacement, [0.5, 0.0, 0.0], atol=1e-12)


def test_default_ring_has_exactly_six_rigid_body_modes(anatomy):
    K = mechanics.build_ring(anatomy).stiffness_matrix()
    eig = np.linalg.eigvalsh(K)
    assert np.sum(np.abs(eig) < 1e-6 * eig.max()) == 6


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1.0, 1.0), min_size=6, max_size=6))
def test_rigid_body_motion_strains_nothing(anatomy, twist):
    ring = mechanics.build_ring(anatomy)
    xi = np.array(twist) * np.array([0.01] * 3 + [5.0] * 3)
    q = np.tile(xi, 3)
    for e in ring.deformations(q).values():
        np.testing.assert_allclose(e, 0.0, atol=1e-12)
    assert np.linalg.norm(ring.stiffness_matrix() @ q) < 1e-9 * np.linalg.norm(ring.stiffness_matrix())


def _stance(anatomy, side="right"):
    return mechanics.load_vector(gait.single_leg_stance_loads(anatomy, side))


def test_linear_residual_below_1e9_and_loads_balanced(anatomy):
    ring = mechanics.build_ring(anatomy)
    for f in (_stance(anatomy), mechanics.load_vector(gait.gait_loads(anatomy, 0.3))):
        s = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum"))
        # the full 18-DOF system, no reactions subtracted: the loads are self-equilibrated
        assert np.linalg.norm(ring.stiffness_matrix() @ s.q - f) / np.linalg.norm(f) < 1e-9
        assert s.residual < 1e-9 and s.unbalanced < 1e-9


def test_energy_work_of_loads_is_twice_strain_energy(anatomy):
    ring = mechanics.build_ring(anatomy, mechanics.ring_stiffness(1.7))
    f = _stance(anatomy)
    s = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum"))
    work = float(f @ s.q)
    assert work > 0
    assert work == pytest.approx(2.0 * ring.strain_energy(s.q), rel=1e-9)


def test_maxwell_betti_reciprocity(anatomy):
    ring = mechanics.build_ring(anatomy, mechanics.ring_stiffness(0.6))
    constraints = mechanics.hold_body("sacrum")
    rng = np.random.default_rng(7)
    f1 = rng.normal(size=18) * np.array(([1e4] * 3 + [100.0] * 3) * 3)
    f2 = rng.normal(size=18) * np.array(([1e4] * 3 + [100.0] * 3) * 3)
    q1 = mechanics.solve_linear(ring, f1, constraints).q
    q2 = mechanics.solve_linear(ring, f2, constraints).q
    assert f1 @ q2 == pytest.approx(f2 @ q1, rel=1e-9)


def test_mirror_loads_give_mirror_displacements(anatomy):
    ring = mechanics.build_ring(anatomy)
    constraints = mechanics.hold_body("sacrum")
    right = mechanics.solve_linear(ring, gait.single_leg_stance_loads(anatomy, "right"), constraints)
    mirrored_loads = [w.mirrored() for w in gait.single_leg_stance_loads(anatomy, "right")]
    left = mechanics.solve_linear(ring, mirrored_loads, constraints)
    T_right, T_left = right.T_pelvis(), left.T_pelvis()
    np.testing.assert_allclose(frames.mirror(T_right["innominate_right"]), T_left["innominate_left"], atol=1e-12)
    np.testing.assert_allclose(frames.mirror(T_right["innominate_left"]), T_left["innominate_right"], atol=1e-12)
    # and the mirrored load case is the other side's stance, built independently
    direct = mechanics.solve_linear(ring, gait.single_leg_stance_loads(anatomy, "left"), constraints)
    np.testing.assert_allclose(direct.q, left.q, atol=1e-12)


def test_choice_of_grounding_changes_only_a_rigid_motion(anatomy):
    ring = mechanics.build_ring(anatomy)
    f = _stance(anatomy)
    held_sacrum = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum"))
    held_left = mechanics.solve_linear(ring, f, mechanics.hold_body("innominate_left"))
    for j in mechanics.JOINTS:
        np.testing.assert_allclose(held_sacrum.deformations[j], held_left.deformations[j], atol=1e-12)


NO_SYMPHYSIS = mechanics.JointStiffness((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))


def _gait_peaks(anatomy, stiffness):
    ring = mechanics.build_ring(anatomy, stiffness)
    solver = mechanics.LinearSolver(ring, mechanics.hold_body("sacrum"))
    F = np.column_stack([mechanics.load_vector(gait.gait_loads(anatomy, p)) for p in np.arange(100) / 100])
    E = ring.deformations(solver.solve_many(F))
    return np.linalg.norm(E["sij_left"][:3], axis=0).max(), np.linalg.norm(E["sij_right"][:3], axis=0).max()


def test_stiffness_ratio_two_without_symphysis_halves_and_doubles_exactly(anatomy):
    # By hand: with no symphysis each ilium hangs on its own SIJ alone, so its motion is its load ×
    # the SIJ's compliance; left = √2·k, right = k/√2, and the mirror-symmetric pelvis under the
    # mirror-symmetric gait cycle loads both alike over a cycle: right peak = 2 × left peak.
    left, right = _gait_peaks(anatomy, mechanics.ring_stiffness(2.0, symphysis=NO_SYMPHYSIS))
    assert right / left == pytest.approx(2.0, rel=1e-9)  # linear algebra round-off only


def test_stiffness_ratio_two_makes_right_sij_move_more_in_gait(anatomy):
    # The symphysis, stiff across the joint, ties the two ilia's horizontal-plane turning (which
    # no SIJ ratio can split), so the lax side moves more than the stiff one but less than the 2×
    # of two untied SIJs (above); 1.25 is clear of the 1.0 of an ignored ratio. (Issue 4's 1.5× on
    # the tissue ring of the bundled pelvis: test_ring_models.py, docs/calibration.md.)
    left, right = _gait_peaks(anatomy, mechanics.ring_stiffness(2.0))
    assert 1.25 * left <= right < 2.0 * left


def test_sacral_rotation_ignores_the_sij_stiffness_scale_without_symphysis(anatomy):
    # Why sacral_rotation has no stiffness_ratio: the sacrum's rotation is prescribed and both hips
    # are pinned, so each ilium is held only by its own SIJ; scaling that spring scales its force,
    # not the ilium's equilibrium. Exactly inert without the symphysis (by that argument).
    from pelvisim.ring_models import sacral_rotation_solution

    ilia = []
    for ratio in (0.5, 2.0):
        sol = sacral_rotation_solution(anatomy, 1.0, mechanics.ring_stiffness(ratio, symphysis=NO_SYMPHYSIS))
        ilia.append(np.concatenate([sol.twist("innominate_left"), sol.twist("innominate_right")]))
    np.testing.assert_allclose(ilia[0], ilia[1], atol=1e-12)


def test_stiffness_ratio_is_left_over_right_and_keeps_the_geometric_mean():
    base = mechanics.ring_stiffness(1.0)
    r = mechanics.ring_stiffness(2.0)
    kL, kR, k0 = (np.array(x.translational_n_per_mm) for x in (r.sij_left, r.sij_right, base.sij_left))
    np.testing.assert_allclose(kL / kR, 2.0)
    np.testing.assert_allclose(np.sqrt(kL * kR), k0)


def test_coupling_gain_softens_only_the_lax_side():
    off = mechanics.ring_stiffness(2.0)
    on = mechanics.ring_stiffness(2.0, coupling_gain=1.0)
    assert on.sij_left == off.sij_left
    np.testing.assert_allclose(np.array(on.sij_right.translational_n_per_mm) * 2.0,
                               np.array(off.sij_right.translational_n_per_mm))
    assert mechanics.ring_stiffness(1.0, coupling_gain=2.0) == mechanics.ring_stiffness(1.0)


def test_per_side_override_is_used_as_given():
    custom = mechanics.JointStiffness((1e6, 1e6, 1e6), (100.0, 100.0, 100.0))
    r = mechanics.ring_stiffness(2.0, sij_right=custom)
    assert r.sij_right == custom


def test_symphysis_stiff_across_soft_in_vertical_shear():
    kx, ky, kz = mechanics.SYMPHYSIS_STIFFNESS.translational_n_per_mm
    assert kz > kx > ky


def test_symphysis_across_the_joint_is_the_disc_without_the_rami():
    # By hand: across the joint the disc keeps its own E·A/t = 5 MPa × 600 mm² / 5 mm = 600 N/mm
    # (SYMPHYSIS_GAP_SCALE 1) and the two pubic ligaments (500 N/mm each) take the rami's share
    # 0.05; the other directions are the block × 0.05 (vertical shear G·A/t × 0.05 ≈ 10.3 N/mm).
    kx, ky, kz = mechanics.SYMPHYSIS_STIFFNESS.translational_n_per_mm
    assert kz == pytest.approx(600.0 + 0.05 * 1000.0)
    assert ky == pytest.approx(0.05 * (5.0 / 2.9) * 600.0 / 5.0)


def test_sij_defaults_convert_newton_metre_per_degree():
    # 15 N·m/° = 15 000 N·mm per (π/180 rad)
    assert mechanics.SIJ_CADAVER_STIFFNESS.rotational_nmm_per_rad[2] == pytest.approx(15000.0 * 180.0 / math.pi)


def test_closure_solve_converges_and_stiffens(anatomy):
    ring = mechanics.build_ring(anatomy)
    f = _stance(anatomy)
    linear = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum"))
    closed = mechanics.solve_closure(ring, f, mechanics.hold_body("sacrum"), mechanics.ClosureStiffening(2.0, 2.0))
    assert closed.converged and closed.residual < 1e-9 and closed.iterations > 1
    total = lambda s: np.linalg.norm(s.deformations["sij_right"][:3])  # noqa: E731
    assert total(closed) < total(linear)


def test_closure_with_zero_gains_is_the_linear_solution(anatomy):
    ring = mechanics.build_ring(anatomy)
    f = _stance(anatomy)
    linear = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum"))
    closed = mechanics.solve_closure(ring, f, mechanics.hold_body("sacrum"), mechanics.ClosureStiffening(0.0, 0.0))
    np.testing.assert_allclose(closed.q, linear.q, rtol=1e-9, atol=1e-12)


def test_unconstrained_ring_is_reported_as_a_mechanism(anatomy):
    ring = mechanics.build_ring(anatomy)
    with pytest.raises(mechanics.SolverError, match="mechanism"):
        mechanics.LinearSolver(ring, mechanics.pin_point("sacrum", [0, 0, 0]))


def test_errors_say_what_was_expected():
    with pytest.raises(ParameterError, match="stiffness_ratio"):
        mechanics.ring_stiffness(0.0)
    with pytest.raises(ParameterError, match="body"):
        mechanics.Wrench("femur_left")
    with pytest.raises(PelvisimError, match="18"):
        mechanics.solve_linear(mechanics.build_ring(ANATOMY), np.zeros(5), mechanics.hold_body("sacrum"))


def test_solution_becomes_a_true_scale_joint_state(anatomy):
    ring = mechanics.build_ring(anatomy)
    s = mechanics.solve_linear(ring, _stance(anatomy), mechanics.hold_body("sacrum"))
    state = s.joint_state()
    np.testing.assert_allclose(state.T_pelvis["sacrum"], np.eye(4), atol=1e-15)
    # the SIJ deformation is the relative motion of the bones, read back from the transforms
    rel = state.relative("sacrum", "innominate_right")
    T_j = anatomy.joint_frame("sij_right")
    w_joint = T_j[:3, :3].T @ frames.log(rel)[:3]
    np.testing.assert_allclose(w_joint, s.deformations["sij_right"][:3], atol=1e-12)


def test_model_layer_never_imports_pyvista():
    import subprocess
    import sys

    code = "import sys, pelvisim.mechanics, pelvisim.gait, pelvisim.ring_models; assert 'pyvista' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
