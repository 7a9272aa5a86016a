"""The tissue ring's mechanics: energy, reciprocity, rigid-body invariance, the L5 condensation,
the nonlinear solve, symmetry and the L5's published dimensions — checked against independent
facts, never against numbers the code printed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pelvisim import frames, gait, mechanics
from pelvisim.errors import ParameterError
from pelvisim.mechanics import SolverError
from pelvisim.synthetic import synthetic_anatomy
from pelvisim.tissue import l5 as l5_module
from pelvisim.tissue import solve as ts
from pelvisim.tissue.attachments import find_attachments
from pelvisim.tissue.ring import N_DOF, TissueOptions, assemble, condensation, tissue_ring

SYNTHETIC = synthetic_anatomy()


def _random_loads(seed: int, n: int = N_DOF) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=n) * np.array(([2e4] * 3 + [200.0] * 3) * (n // 6))


# --- invariants -------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-1.0, 1.0), min_size=6, max_size=6))
def test_a_rigid_motion_of_all_four_bodies_strains_nothing(twist):
    asm = assemble(SYNTHETIC)
    xi = np.array(twist) * np.array([0.01] * 3 + [5.0] * 3)
    q = np.tile(xi, 4)
    assert np.linalg.norm(asm.K @ q) < 1e-9 * np.linalg.norm(asm.K)
    np.testing.assert_allclose(asm.bundle_rows @ q, 0.0, atol=1e-12)


def test_the_24_coordinate_ring_has_exactly_six_rigid_body_modes(anatomy):
    eig = np.linalg.eigvalsh(assemble(anatomy).K)
    assert np.sum(np.abs(eig) < 1e-9 * eig.max()) == 6


def test_condensed_ring_equals_the_full_solve(anatomy):
    # eliminating the L5 by static condensation is exact for the linear ring
    f = _random_loads(3)
    full = ts.solve(anatomy, f, ts.hold("sacrum"))
    ring = tissue_ring(anatomy)
    c = condensation(anatomy)
    f_ring = f[:18] + c.load_transfer @ f[18:]
    q = mechanics.LinearSolver(ring, mechanics.hold_body("sacrum")).solve_many(f_ring)
    np.testing.assert_allclose(q, full.q[:18], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c.l5_from_ring @ q + c.l5_compliance @ f[18:], full.q[18:], rtol=1e-9, atol=1e-12)


def test_energy_work_of_loads_is_twice_strain_energy(anatomy):
    ring = tissue_ring(anatomy, TissueOptions(stiffness_ratio=1.6))
    f = mechanics.load_vector(gait.single_leg_stance_loads(anatomy, "right"))
    s = mechanics.solve_linear(ring, f, mechanics.hold_body("sacrum"))
    work = float(f @ s.q)
    assert work > 0 and work == pytest.approx(2.0 * ring.strain_energy(s.q), rel=1e-9)
    # and for the full 24-coordinate system with the L5 loaded too
    f24 = _random_loads(5)
    q = ts.solve(anatomy, f24, ts.hold("sacrum")).q
    assert float(f24 @ q) == pytest.approx(float(q @ assemble(anatomy).K @ q), rel=1e-9)


def test_maxwell_betti_reciprocity(anatomy):
    constraints = ts.hold("sacrum")
    f1, f2 = _random_loads(11), _random_loads(12)
    q1 = ts.solve(anatomy, f1, constraints, TissueOptions(stiffness_ratio=0.7)).q
    q2 = ts.solve(anatomy, f2, constraints, TissueOptions(stiffness_ratio=0.7)).q
    assert float(f1 @ q2) == pytest.approx(float(f2 @ q1), rel=1e-9)


def test_choice_of_grounding_changes_only_a_rigid_motion(anatomy):
    f = _random_loads(21)
    f24 = f.reshape(4, 6).copy()
    f24[0] -= f24.sum(axis=0)  # balance on the sacrum: self-equilibrated loads
    f24 = f24.ravel()
    a = ts.solve(anatomy, f24, ts.hold("sacrum")).q.reshape(4, 6)
    b = ts.solve(anatomy, f24, ts.hold("l5")).q.reshape(4, 6)
    # relative twists (small displacements: differences of twists) agree
    np.testing.assert_allclose(a - a[0], b - b[0], rtol=1e-8, atol=1e-12)


def test_mirror_loads_give_mirror_displacements_on_the_symmetric_pelvis():
    f_right = np.concatenate([mechanics.load_vector(gait.single_leg_stance_loads(SYNTHETIC, "right")), np.zeros(6)])
    f_left = np.concatenate([mechanics.load_vector(gait.single_leg_stance_loads(SYNTHETIC, "left")), np.zeros(6)])
    a = ts.solve(SYNTHETIC, f_right, ts.hold("sacrum")).joint_state()
    b = ts.solve(SYNTHETIC, f_left, ts.hold("sacrum")).joint_state()
    np.testing.assert_allclose(frames.mirror(a.relative("sacrum", "innominate_right")),
                               b.relative("sacrum", "innominate_left"), atol=1e-12)


def test_stiffness_ratio_scales_each_sij_and_keeps_the_geometric_mean(anatomy):
    from pelvisim.tissue.closure import sij_stiffness

    even, skew = assemble(anatomy), assemble(anatomy, TissueOptions(stiffness_ratio=2.0))
    for side, factor in (("left", math.sqrt(2.0)), ("right", 1.0 / math.sqrt(2.0))):
        np.testing.assert_allclose(sij_stiffness(skew, side), factor * sij_stiffness(even, side), rtol=1e-12, atol=1e-6)


def test_bracing_is_the_lumped_in_vivo_sij_at_the_joint_centre(anatomy):
    from pelvisim.tissue.ring import SACRUM, relative_stiffness_at_joint

    asm = assemble(anatomy)
    # by hand: Miller 1987's cadaver SIJ × 18 (mechanics.SIJ_IN_VIVO_SCALE), joint axes:
    # 30, 6.8, 15 N·m/° turning and 107, 200, 390 N/mm sliding / across
    per_deg = 1000.0 * 180.0 / math.pi  # N·mm/rad per N·m/°
    expected = 18.0 * np.diag([30.0 * per_deg, 6.8 * per_deg, 15.0 * per_deg, 107.0, 200.0, 390.0])
    for i, side in ((1, "left"), (2, "right")):
        K = relative_stiffness_at_joint(asm.bracing_rows[side], asm.bracing_k[side], SACRUM, i, asm.T_pelvis_sij[side])
        np.testing.assert_allclose(K, expected, rtol=1e-9, atol=1e-6 * expected.max())


def test_sij_slides_more_easily_than_a_bonded_surface_would(anatomy):
    # Miller 1987: turning ÷ sliding stiffness of the joint ≈ (65–90 mm)²; a layer bonded over the
    # ≈ 25 mm auricular surface gives ≈ (25 mm)², sliding ~17× too stiff (the stance innominate then
    # tilts about its ASIS–PSIS line in walking and earns a pubic-shear name). Whole joint, in-plane:
    # the effective radius sqrt(k_rz / k_tx) must stay well above the surface's radius.
    from pelvisim.tissue.closure import sij_stiffness

    asm = assemble(anatomy)
    for side in ("left", "right"):
        K = sij_stiffness(asm, side)
        radius_mm = math.sqrt(K[2, 2] / K[3, 3])
        assert radius_mm > 2.0 * 25.0  # twice the surface's radius: Miller's proportions, not a glued layer


# --- nonlinear solve --------------------------------------------------------------------------------
def test_small_loads_nonlinear_tends_to_linear(anatomy):
    # The toe-region law departs from its tangent at neutral by a term in Δε², so the nonlinear
    # solution's difference from the linear one shrinks like the load squared: ten times less load,
    # a hundred times less difference relative to... the displacement itself shrinks tenfold, so
    # the relative difference shrinks tenfold.
    def relative_difference(scale: float) -> float:
        f = scale * _random_loads(31)
        lin = ts.solve(anatomy, f, ts.hold("sacrum")).q
        non = ts.solve(anatomy, f, ts.hold("sacrum"), nonlinear=True)
        assert non.residual < 1e-9 and non.iterations >= 2
        return float(np.linalg.norm(non.q - lin) / np.linalg.norm(lin))

    big, small = relative_difference(1e-2), relative_difference(1e-3)
    assert small < 1e-3
    assert 0.05 < small / big < 0.2  # ≈ 0.1: the first-order term of the difference


def test_a_slackened_ligament_carries_nothing_in_the_nonlinear_solve(anatomy):
    # push the right innominate hard toward the sacrum along the interosseous ligament's line:
    # its bundles shorten below slack and their tension goes to zero, not negative
    from pelvisim.tissue.ligaments import bundle_force_n

    asm = assemble(anatomy)
    b = asm.bundles
    rows = np.flatnonzero(np.array(b.ligament) == "interosseous_right")
    d = b.direction[rows].mean(axis=0)
    d /= np.linalg.norm(d)
    centre = b.point_b[rows].mean(axis=0)
    f = ts.load_vector([ts.PointLoad("innominate_right", -30000.0 * d, centre)])
    s = ts.solve(anatomy, f, ts.hold("sacrum") + ts.hold("innominate_left"), nonlinear=True)
    strain = asm.options.reference_strain + b.series_share[rows] * (asm.bundle_rows[rows] @ s.q) / b.slack_length_mm[rows]
    assert np.all(strain < 0.0)
    assert np.all(bundle_force_n(strain, b.stiffness_per_strain_n[rows]) == 0.0)
    assert s.residual < 1e-9


def test_an_unconstrained_ring_is_reported_as_a_mechanism(anatomy):
    with pytest.raises(SolverError, match="mechanism"):
        ts.solve(anatomy, np.zeros(N_DOF), ts.pin("sacrum", (0.0, 0.0, 0.0)))


def test_bad_loads_are_refused(anatomy):
    with pytest.raises(ParameterError, match="shape"):
        ts.solve(anatomy, np.zeros(18), ts.hold("sacrum"))
    with pytest.raises(ParameterError, match="body"):
        ts.PointLoad("femur_left", np.zeros(3), np.zeros(3))


# --- the L5 ----------------------------------------------------------------------------------------
def test_l5_from_its_published_dimensions(anatomy):
    l5 = find_attachments(anatomy).l5
    centre = anatomy.point("s1_endplate_centre")
    # body on the disc: centre at disc + half the body height along the L5's up axis, disc on S1
    normal = anatomy.landmark("s1_endplate_centre").normal
    np.testing.assert_allclose(l5.disc_centre, centre + 0.5 * l5_module.DISC_HEIGHT_MM * normal, atol=1e-9)
    assert np.linalg.norm(l5.body_centre - l5.disc_centre) == pytest.approx(
        0.5 * (l5_module.DISC_HEIGHT_MM + l5_module.BODY_HEIGHT_MM))
    # tilted back from the S1 endplate by the disc wedge
    tilt = math.degrees(math.acos(np.clip(l5.up @ normal, -1, 1)))
    # turned about the transverse axis; the S1 normal leans a little sideways, so the angle between
    # them is the wedge to within a hundredth of a degree
    assert tilt == pytest.approx(l5_module.LUMBOSACRAL_ANGLE_DEG, abs=0.01)
    # backward: the S1 endplate faces up and forward (sacral slope), the L5 stands more upright (lordosis)
    from_vertical = lambda v: math.degrees(math.acos(v[1] / np.linalg.norm(v)))  # noqa: E731
    assert from_vertical(l5.up) == pytest.approx(from_vertical(normal) - l5_module.LUMBOSACRAL_ANGLE_DEG, abs=0.05)
    # iliolumbar ligament: the transverse-process tip placed at its published mean length (31.7 mm)
    at = find_attachments(anatomy)
    for side in ("left", "right"):
        iliac = at.footprint(f"iliolumbar_{side}.ilium").centre
        assert np.linalg.norm(iliac - l5.transverse_tip(side)) == pytest.approx(l5_module.ILIOLUMBAR_LENGTH_MM, abs=1e-6)
        # spinous process 76.7 mm from the transverse-process tips (Kim 2003)
        assert np.linalg.norm(l5.spinous_tip - l5.transverse_tip(side)) == pytest.approx(
            l5_module.SPINOUS_TO_TRANSVERSE_MM, abs=0.5)


def test_l5_mesh_is_closed_parts_with_outward_faces(anatomy):
    from pelvisim.anatomy.surface import Surface

    vertices, faces = l5_module.l5_mesh(find_attachments(anatomy).l5)
    assert faces.max() < len(vertices)
    assert Surface(vertices, faces).signed_volume > 0  # faces wound outward overall
