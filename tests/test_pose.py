"""Display magnification: only the intrapelvic displacements grow; whole-pelvis motion and hip angles never do.

pose.py promises (and the lessons depend on it) that a "×20" panel exaggerates the motion of the
bones relative to the pelvic frame only: walking's whole-pelvis rotation, obliquity and tilt (±4°,
Saunders 1953) and the hip angles stay true scale. Each check reads the displayed transforms
back against the true-scale state with independent arithmetic (rotation angles from the trace,
fixed points of a screw).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pelvisim import frames, gait, joints, models
from pelvisim.anatomy.core import PELVIC_BONES, SIDES
from pelvisim.errors import ParameterError
from pelvisim.pose import JointState, cycle_poses, pose

EXACT = 1e-9  # transforms composed in a different order: only rounding may differ
MAGNIFICATIONS = (1.0, 5.0, 20.0)
GAIT_PHASES = (0.1, 0.3, 0.62, 0.8)


def angle_deg(T) -> float:
    """Rotation angle of a rigid transform from the trace of its 3×3 block."""
    R = np.asarray(T)[:3, :3]
    return math.degrees(math.acos(np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0)))


@pytest.mark.parametrize("magnification", MAGNIFICATIONS)
@pytest.mark.parametrize("phase", GAIT_PHASES)
def test_whole_pelvis_motion_and_hip_angles_are_never_magnified(anatomy, phase, magnification):
    # A walking pelvis with the ring held rigid: every displayed pelvic bone is exactly the
    # whole-pelvis transform, whatever the display factor.
    state = models.joint_state(anatomy, "gait", {}, phase=phase)
    rigid_ring = JointState(T_innominate_femur=state.T_innominate_femur, T_world_pelvis=state.T_world_pelvis)
    displayed = pose(anatomy, rigid_ring, magnification)
    for bone in PELVIC_BONES:
        np.testing.assert_allclose(displayed.T_world[bone], state.T_world_pelvis, atol=EXACT)
    # ... and so its whole-pelvis angles are Saunders-sized (a few degrees), not ×20.
    assert angle_deg(displayed.T_world["sacrum"]) == pytest.approx(angle_deg(gait.T_world_pelvis(phase)), abs=1e-7)
    assert angle_deg(displayed.T_world["sacrum"]) < 8.0  # rotation ±4°, obliquity ±4°, tilt ±1.5° combined
    for side in SIDES:
        hip = frames.invert(displayed.T_world[f"innominate_{side}"]) @ displayed.T_world[f"femur_{side}"]
        np.testing.assert_allclose(hip, state.T_innominate_femur[side], atol=EXACT)


@pytest.mark.parametrize("magnification", MAGNIFICATIONS)
@pytest.mark.parametrize("phase", GAIT_PHASES)
def test_walking_magnifies_only_the_intrapelvic_part(anatomy, phase, magnification):
    state = models.joint_state(anatomy, "gait", {"stiffness_ratio": 2.0}, phase=phase)
    displayed = pose(anatomy, state, magnification)
    W = np.asarray(state.T_world_pelvis)
    for bone in PELVIC_BONES:
        # Undo the (true-scale) whole-pelvis motion: what is left is the bone's own displacement,
        # turned exactly `magnification` times as far about the same screw axis.
        own = frames.invert(W) @ displayed.T_world[bone]
        true_angle = angle_deg(state.T_pelvis[bone])
        assert true_angle > 1e-4, bone  # the ring really moves at this phase
        assert angle_deg(own) == pytest.approx(magnification * true_angle, rel=1e-6), bone
    for side in SIDES:
        hip = frames.invert(displayed.T_world[f"innominate_{side}"]) @ displayed.T_world[f"femur_{side}"]
        np.testing.assert_allclose(hip, state.T_innominate_femur[side], atol=EXACT)


def test_magnified_nutation_turns_about_the_same_axis(anatomy):
    # 1° of nutation about the S2 axis shown ×10: 10° about the same axis, whose point stays put.
    state = models.joint_state(anatomy, "nutation", {"angle_deg": 1.0})
    displayed = pose(anatomy, state, 10.0).T_world["sacrum"]
    axis = joints.nutation_axis(anatomy)
    assert angle_deg(displayed) == pytest.approx(10.0, rel=1e-9)
    np.testing.assert_allclose(frames.apply(displayed, axis.point_mm), axis.point_mm, atol=1e-9)
    np.testing.assert_allclose(displayed, axis.rotation(math.radians(10.0)), atol=1e-9)


def test_pose_keeps_the_true_scale_state(anatomy):
    state = models.joint_state(anatomy, "flare", {"left_deg": 1.0})
    displayed = pose(anatomy, state, 20.0)
    assert displayed.state is state and displayed.magnification == 20.0
    assert angle_deg(displayed.state.T_pelvis["innominate_left"]) == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("bad", [0.0, -2.0, float("nan"), float("inf")])
def test_bad_magnification_is_refused(anatomy, bad):
    with pytest.raises(ParameterError, match="magnification"):
        pose(anatomy, JointState(), bad)


def test_cycle_poses_sample_the_cycle_and_close_the_loop(anatomy):
    model = models.get_model("gait")
    poses = cycle_poses(anatomy, model, {}, magnification=20.0, samples=8)
    assert len(poses) == 9
    for k in range(8):
        expected = pose(anatomy, model.joint_state(anatomy, {}, k / 8), 20.0)
        for bone, T in expected.T_world.items():
            np.testing.assert_allclose(poses[k].T_world[bone], T, atol=EXACT)
    assert poses[-1] is poses[0]


def test_joint_state_keeps_its_own_read_only_copies():
    # A state is a record of one instant: changing the caller's arrays afterwards must not move
    # the bones, and nobody may write into the state's transforms (a shared pose in a panel).
    T = frames.translation([1.0, 2.0, 3.0])
    W = frames.rotation_about_axis(frames.Y_SUPERIOR, 0.05)
    hip = frames.rotation_about_axis(frames.Z_RIGHT, 0.3)
    state = JointState(T_pelvis={"sacrum": T}, T_innominate_femur={"left": hip}, T_world_pelvis=W)
    T[0, 3], W[0, 0], hip[1, 1] = 99.0, 99.0, 99.0
    assert state.T_pelvis["sacrum"][0, 3] == 1.0
    assert state.T_world_pelvis[0, 0] != 99.0
    assert state.T_innominate_femur["left"][1, 1] != 99.0
    for array in (state.T_pelvis["sacrum"], state.T_world_pelvis, state.T_innominate_femur["left"]):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = 1.0
    displayed = pose(None, state, 3.0)
    with pytest.raises(ValueError, match="read-only"):
        displayed.T_world["sacrum"][0, 0] = 1.0


def test_joint_state_rejects_unknown_bones_and_sides():
    with pytest.raises(ParameterError, match="pelvic bones"):
        JointState(T_pelvis={"femur_left": np.eye(4)})
    with pytest.raises(ParameterError, match="sides"):
        JointState(T_innominate_femur={"middle": np.eye(4)})
