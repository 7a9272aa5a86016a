"""The gait model's solve paths: muscles, self-bracing, the L5 and missing values.

What is checked, and the independent fact each check rests on:

- muscles enter the walking loads in proportion to their activity: the ring is linear, so the
  solution at activity 0.5 lies half-way between those at 0 and 1, and the muscles do move it;
  the full tissue ring (24 coordinates) and its condensed form (18) agree, because static
  condensation is exact for a linear ring;
- self-bracing (``closure_gain``): switched on by a vanishing gain it is the nonlinear tissue
  solve without closure (the solve's documented rule: any gain > 0 makes it nonlinear), which is
  not the linear ring; its joint loads are ``−K e`` of each joint's spring, worked out here; its
  held sacrum carries nothing because the walking loads balance (summed here), with one reaction
  per held coordinate (:class:`pelvisim.mechanics.Solution`);
- the L5 shown with the tissue is in equilibrium: its disc and ligaments (the tissue ring's
  stiffness rows) balance the loads on it (body weight as a follower load, multifidus pulls);
- the muscle forces shown with the tissue are the walking pattern worked out by hand:
  activity × peak fraction of body weight × the sin² burst;
- the helpers take partial values: a missing key means the gait model's default (the contract of
  ``gait_parameters``; ``models.get_model("gait").resolve`` gives the defaults).
"""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import frames, mechanics, models
from pelvisim import ring_models as rm
from pelvisim.tissue import solve as tissue_solve
from pelvisim.tissue.loading import gait_tissue_loads
from pelvisim.tissue.models import gait_muscle_forces
from pelvisim.tissue.ring import TissueOptions, assemble, tissue_ring

PHASE = 0.3  # right single stance: hips, trunk and several muscles loaded
GAIT = models.get_model("gait")
BODY_WEIGHT_N = 70.0 * 9.81  # the gait model's default 70 kg


def _values(**given):
    return GAIT.resolve(given)


def _applied_loads(anatomy, values, phase):
    """(24,) walking loads on sacrum, innominates and L5 (pelvisim.tissue.loading), muscles included."""
    params = rm.gait_parameters(values)
    activity = float(values["muscle_activity"])
    muscles = gait_muscle_forces(phase, activity, params) if activity else None
    ring, l5 = gait_tissue_loads(anatomy, phase, params, muscles=muscles)
    return np.concatenate([ring[:, 0], l5[:, 0]])


# --- muscles -------------------------------------------------------------------------------------


def _condensed_ring(anatomy, activity):
    return rm.gait_solution(anatomy, _values(muscle_activity=activity), PHASE).q


def _full_tissue_ring(anatomy, activity):
    # closure_gain 0: the linear tissue ring with its 24 coordinates (the L5 solved, not condensed)
    return rm.gait_tissue_solution(anatomy, _values(muscle_activity=activity), PHASE).q[:18]


@pytest.mark.parametrize("solve", [_condensed_ring, _full_tissue_ring], ids=["condensed ring", "full tissue ring"])
def test_half_the_muscle_activity_moves_the_ring_half_as_far(anatomy, solve):
    rest, half, full = (solve(anatomy, a) for a in (0.0, 0.5, 1.0))
    # the muscles really move the ring: more than 1 % of the walking motion without them
    assert np.abs(full - rest).max() > 0.01 * np.abs(rest).max()
    # linear ring, loads linear in the forces: exact up to rounding (1e-9 of the motion)
    np.testing.assert_allclose(half - rest, 0.5 * (full - rest), rtol=0, atol=1e-9 * np.abs(rest).max())


def test_full_tissue_ring_and_condensed_ring_agree_with_muscles_pulling(anatomy):
    # static condensation of the L5 is exact for the linear ring: same bones, up to rounding
    condensed, full = _condensed_ring(anatomy, 1.0), _full_tissue_ring(anatomy, 1.0)
    np.testing.assert_allclose(full, condensed, rtol=0, atol=1e-9 * np.abs(condensed).max())


# --- self-bracing (closure path) -----------------------------------------------------------------


def test_a_vanishing_self_bracing_gain_gives_the_nonlinear_ring(anatomy):
    values = _values(closure_gain=1e-9)
    braced = rm.gait_solution(anatomy, values, PHASE)
    f = _applied_loads(anatomy, values, PHASE)
    nonlinear = tissue_solve.solve(anatomy, f, tissue_solve.Constraints.from_ring(mechanics.hold_body("sacrum")),
                                   TissueOptions(), nonlinear=True)
    linear = rm.gait_solution(anatomy, _values(), PHASE)
    scale = np.abs(linear.q).max()
    # a gain of 1e-9 changes the bracing by about 1e-9; the solve converges to 1e-10: 1e-6 of the motion is ample
    np.testing.assert_allclose(braced.q, nonlinear.q[:18], rtol=0, atol=1e-6 * scale)
    # and that is not the linear ring (slack ligaments, contact letting go): about 1 % apart here
    assert np.abs(braced.q - linear.q).max() > 1e-3 * scale


def test_joint_loads_with_self_bracing_are_what_the_joint_springs_give(anatomy):
    values = _values(closure_gain=1.0)
    solution = rm.gait_solution(anatomy, values, PHASE)
    ring = tissue_ring(anatomy, rm.gait_tissue_options(values))
    deformations = ring.deformations(solution.q)
    for joint in mechanics.JOINTS:
        # the load the innominate (symphysis: right pubis) receives: −K e of the joint's spring
        expected = -ring.spring(joint).stiffness @ deformations[joint]
        np.testing.assert_allclose(solution.deformations[joint], deformations[joint], rtol=1e-12, atol=1e-15)
        # moments in N·mm reach 1e4: 1e-9 relative plus a micro-unit floor is rounding only
        np.testing.assert_allclose(solution.joint_loads[joint], expected, rtol=1e-9, atol=1e-6)
        assert np.abs(expected).max() > 1.0  # the joints do carry load at mid-stance


def test_with_self_bracing_the_held_sacrum_carries_nothing(anatomy):
    values = _values(closure_gain=1.0)
    f = _applied_loads(anatomy, values, PHASE)
    net = f.reshape(4, 6).sum(axis=0)
    scale = float(np.linalg.norm(f))
    # the walking loads balance (hips, abductors and trunk): net wrench is rounding only
    assert np.linalg.norm(net) < 1e-9 * scale
    solution = rm.gait_solution(anatomy, values, PHASE)
    held = mechanics.hold_body("sacrum")
    # one reaction per held coordinate of the sacrum (Solution.reactions: one per constraint row)
    assert solution.reactions.shape == (held.matrix.shape[0],) == (6,)
    # balanced loads: the constraints carry nothing (Solution.unbalanced "0 for self-equilibrated loads")
    assert np.abs(solution.reactions).max() < 1e-9 * scale
    assert solution.unbalanced < 1e-9
    # the closure solve stops at a relative residual of 1e-10 and raises when it does not converge
    assert solution.converged is True
    assert solution.residual < 1e-8


# --- the tissue shown with the gait model --------------------------------------------------------


def test_the_l5_is_held_by_its_disc_and_ligaments_against_its_own_loads(anatomy):
    values = _values(muscle_activity=1.0)  # multifidus pulls on the L5 as well as body weight
    ring_state = rm.gait_solution(anatomy, values, PHASE).joint_state()
    tissue = rm.gait_tissue_extras(anatomy, values, PHASE, ring_state)
    twists = [frames.log(ring_state.T_pelvis[b]) for b in mechanics.BODIES] + [frames.log(tissue.T_pelvis_l5)]
    q = np.concatenate(twists)
    K = assemble(anatomy, rm.gait_tissue_options(values)).K
    on_l5 = _applied_loads(anatomy, values, PHASE)[18:]
    assert np.linalg.norm(on_l5[3:]) > 100.0  # body weight comes down the spine: hundreds of N
    # the L5's disc and ligaments push back with exactly its loads (rounding: 1e-9 of them)
    np.testing.assert_allclose((K @ q)[18:], on_l5, rtol=0, atol=1e-9 * np.abs(on_l5).max())


def test_muscle_forces_shown_while_walking_follow_the_pattern(anatomy):
    phase = 0.075  # middle of the right gluteus maximus burst (-0.05 to 0.20 of the right stride)
    values = _values(muscle_activity=0.5)
    state = GAIT.joint_state(anatomy, values, phase)
    forces = rm.gait_tissue_extras(anatomy, values, phase, state).muscle_forces_n
    # activity × peak fraction of body weight × sin²(π·0.5) = 1 at mid-burst
    assert forces["gluteus_maximus_right"] == pytest.approx(0.5 * 0.4 * BODY_WEIGHT_N, rel=1e-12)
    # the abdominal wall holds a steady 0.05 body weight at full activity
    assert forces["transversus_abdominis"] == pytest.approx(0.5 * 0.05 * BODY_WEIGHT_N, rel=1e-12)
    # the left side is half a stride later (phase 0.575): its gluteus maximus is quiet
    assert forces["gluteus_maximus_left"] == 0.0
    rest = rm.gait_tissue_extras(anatomy, _values(), phase, GAIT.joint_state(anatomy, _values(), phase))
    assert dict(rest.muscle_forces_n) == {}  # activity 0: the calibrated ring, no muscles


# --- partial values ------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [{"stiffness_ratio": 2.0}, {"coupling_gain": 1.0, "stiffness_ratio": 0.5},
                                   {"coupling_gain": 1.0}])
def test_a_missing_stiffness_value_means_the_model_default(anatomy, given):
    full = _values(**given)
    ratio, coupling = float(full["stiffness_ratio"]), float(full["coupling_gain"])
    assert rm.gait_ring_stiffness(given) == mechanics.ring_stiffness(ratio, coupling_gain=coupling)
    assert rm.gait_tissue_options(given) == TissueOptions(stiffness_ratio=ratio, coupling_gain=coupling)
    np.testing.assert_allclose(rm.gait_solution(anatomy, given, PHASE).q, rm.gait_solution(anatomy, full, PHASE).q,
                               rtol=0, atol=1e-12)


def test_the_coupling_hypothesis_changes_an_uneven_ring():
    # makes the check above meaningful: with uneven SIJs the coupling gain does change the stiffness
    assert mechanics.ring_stiffness(2.0, coupling_gain=1.0) != mechanics.ring_stiffness(2.0, coupling_gain=0.0)


def test_no_values_at_all_solve_the_default_linear_ring(anatomy):
    partial, full = rm.gait_solution(anatomy, {}, PHASE), rm.gait_solution(anatomy, _values(), PHASE)
    assert partial.method == full.method
    np.testing.assert_allclose(partial.reactions, full.reactions, rtol=0, atol=1e-9)
    partial_tissue = rm.gait_tissue_solution(anatomy, {}, PHASE)
    full_tissue = rm.gait_tissue_solution(anatomy, _values(), PHASE)
    assert partial_tissue.method == full_tissue.method
    np.testing.assert_allclose(partial_tissue.q, full_tissue.q, rtol=0, atol=1e-12)
    state = GAIT.joint_state(anatomy, {}, PHASE)
    assert dict(rm.gait_tissue_extras(anatomy, {}, PHASE, state).muscle_forces_n) == {}


def test_self_bracing_given_alone_keeps_the_other_defaults(anatomy):
    # closure_gain without muscle_activity: the muscles stay at their default (off)
    partial, full = (rm.gait_solution(anatomy, v, PHASE) for v in ({"closure_gain": 1.0}, _values(closure_gain=1.0)))
    np.testing.assert_allclose(partial.q, full.q, rtol=0, atol=1e-12)
