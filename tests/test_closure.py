"""Force closure: the law by hand, the stated doubling of the SIJ's rotational stiffness, and the
closure scenes showing the smaller motion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pelvisim import frames, scene
from pelvisim.errors import ParameterError
from pelvisim.models import get_model
from pelvisim.tissue.closure import (
    CLOSURE_TEST_COMPRESSION_RATIO,
    FORM_CLOSURE_FLOOR,
    closure_factor,
    rotational_stiffness_nmm_per_rad,
    sij_stiffness,
)
from pelvisim.tissue.ring import assemble


def test_law_by_hand():
    rest = 200.0
    assert closure_factor(rest, rest) == 1.0  # at rest: the calibrated ring
    assert closure_factor(2 * rest, rest) == pytest.approx(2.0)  # proportional to compression
    assert closure_factor(0.5 * rest, rest) == pytest.approx(0.5)
    assert closure_factor(0.0, rest) == FORM_CLOSURE_FLOOR  # form closure stays
    assert closure_factor(3 * rest, rest, gain=0.0) == 1.0  # closure off
    assert closure_factor(3 * rest, rest, gain=0.5) == pytest.approx(1.0 + 0.5 * 2.0)
    with pytest.raises(ParameterError, match="resting compression"):
        closure_factor(100.0, 0.0)
    with pytest.raises(ParameterError, match="gain"):
        closure_factor(100.0, 100.0, gain=-1.0)


@pytest.mark.parametrize("side", ["left", "right"])
def test_closure_at_the_stated_compression_at_least_doubles_the_sij_rotational_stiffness(anatomy, side):
    # Stated compression: 2.5 × the resting compression (+150 %; Pel 2008 modelled +70 … +400 %).
    asm = assemble(anatomy)
    rest = asm.resting_compression_n[side]
    assert 50.0 < rest < 1000.0  # the ligaments' pretension presses the joint: a few hundred N
    k_rest = rotational_stiffness_nmm_per_rad(asm, side)
    k_closed = rotational_stiffness_nmm_per_rad(asm, side, CLOSURE_TEST_COMPRESSION_RATIO * rest)
    assert k_closed >= 2.0 * k_rest
    # at the resting compression closure changes nothing
    assert rotational_stiffness_nmm_per_rad(asm, side, rest) == pytest.approx(k_rest, rel=1e-12)
    # by hand: the shear bracing (factor f) and the rest (ligaments, contact, normal bracing) add up;
    # the rotational stiffness about the normal is 1 / C[2, 2] of the sum
    f = CLOSURE_TEST_COMPRESSION_RATIO
    K = sij_stiffness(asm, side, 1.0) + (f - 1.0) * (sij_stiffness(asm, side, 1.0) - sij_stiffness(asm, side, 0.0))
    assert k_closed == pytest.approx(1.0 / np.linalg.inv(K)[2, 2], rel=1e-9)


def _sij_angles(state):
    return [math.degrees(frames.rotation_angle_rad(state.relative("sacrum", f"innominate_{s}"))) for s in ("left", "right")]


def moment_motion(anatomy, s, panel, t):
    """Per side, the SIJ rotation (°) the scene's moment adds between time 0 (no moment) and ``t``."""
    a, b = s.joint_state(anatomy, panel, t), s.joint_state(anatomy, panel, 0.0)
    return [math.degrees(frames.rotation_angle_rad(np.linalg.inv(np.asarray(b.relative("sacrum", f"innominate_{x}")))
                                                   @ np.asarray(a.relative("sacrum", f"innominate_{x}")))) for x in ("left", "right")]


@pytest.mark.parametrize("name", ["melt_closure", "force_closure"])
def test_closure_scenes_show_the_smaller_motion(anatomy, name):
    s = scene.load(name)
    t = s.output.still_time_s
    assert s.panels[0].parameters["closure_gain"] == 0.0 and s.panels[1].parameters["closure_gain"] == 1.0
    # same loads in both panels, at every time: only closure differs
    for time in (0.0, t):
        p0, p1 = dict(s.parameters_at(0, time)), dict(s.parameters_at(1, time))
        p0.pop("closure_gain"), p1.pop("closure_gain")
        assert p0 == p1
    assert dict(s.parameters_at(0, 0.0))["sij_compression_n"] > 0.0  # pressed together before the moment comes
    # the readout (total rotation from neutral) is smaller with closure on
    off, on = (_sij_angles(s.joint_state(anatomy, i, t)) for i in (0, 1))
    assert all(b < a for a, b in zip(off, on))
    # what the moment adds: closure at about twice the resting compression roughly doubles the
    # bracing (85–95 % of the joint's turning stiffness), so the moment's motion drops by ~40 %;
    # 0.7 leaves room for the ligaments' share and the nonlinear contact
    off, on = (moment_motion(anatomy, s, i, t) for i in (0, 1))
    for a, b in zip(off, on):
        assert b < 0.7 * a


def test_closure_off_is_the_linear_ring_and_closure_converges(anatomy):
    from pelvisim.tissue.models import soft_tissue_solution

    model = get_model("soft_tissue")
    values = model.resolve({"torsion_nm": 10.0, "sij_compression_n": 330.0, "posture": "single_leg_right"})
    off = soft_tissue_solution(anatomy, values)
    on = soft_tissue_solution(anatomy, {**values, "closure_gain": 1.0})
    assert off.residual < 1e-9 and on.residual < 1e-9
    assert all(v == 1.0 for v in off.closure_factor.values())
    # compression above rest on both sides -> factor N / N_rest (above the floor)
    asm = assemble(anatomy)
    for side in ("left", "right"):
        assert on.closure_factor[side] == pytest.approx(
            max(on.compression_n[side] / asm.resting_compression_n[side], FORM_CLOSURE_FLOOR), rel=1e-9)


def test_compression_read_out_of_a_linear_pose_is_the_solvers(anatomy):
    # Two routes to the compression across each SIJ: the solver's element forces and the read-out
    # the gait overlay uses (readout.sij_compression). A squeeze presses each joint: the pair of
    # 200 N forces raises the compression, the ligaments taking a little of it.
    from pelvisim.tissue import solve as ts
    from pelvisim.tissue.models import compression_pairs
    from pelvisim.tissue.readout import sij_compression
    from pelvisim.tissue.ring import TissueOptions

    f = ts.load_vector(compression_pairs(anatomy, 200.0))
    s = ts.solve(anatomy, f, ts.hold("sacrum") + ts.hold("l5"))
    read = sij_compression(anatomy, TissueOptions(), s.q)
    asm = assemble(anatomy)
    for side in ("left", "right"):
        assert read[side] == pytest.approx(s.compression_n[side], rel=1e-9)
        rise = read[side] - asm.resting_compression_n[side]
        assert 100.0 < rise < 200.0  # most of the squeeze goes across the joint surfaces
