"""The body frames: each rule checked on its own terms, from landmark positions.

Standing: both hip centres stay on their femoral heads (mid-point fixed, inter-hip line keeps its
direction) and the mid-point of the four iliac spines stays in its plane through that line.
Lying: the table contacts keep their heights in the least-squares sense, the pelvis does not turn
on the table, the sacral midline keeps its place.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pelvisim import body_frame, frames, models
from pelvisim.pose import JointState

EXACT = 1e-9  # mm or rad: exact constructions, only rounding differs


def random_state(seed: int, max_deg: float = 3.0, max_mm: float = 3.0) -> JointState:
    rng = np.random.default_rng(seed)
    T_pelvis = {}
    for bone in ("sacrum", "innominate_left", "innominate_right"):
        T = np.eye(4)
        T[:3, :3] = Rotation.from_rotvec(np.radians(rng.uniform(-max_deg, max_deg, 3))).as_matrix()
        T[:3, 3] = rng.uniform(-max_mm, max_mm, 3)
        T_pelvis[bone] = T
    return JointState(T_pelvis=T_pelvis)


def moved(anatomy, state, name):
    lm = anatomy.landmark(name)
    T = np.asarray(state.T_pelvis[lm.bone])
    return T[:3, :3] @ lm.position_mm + T[:3, 3]


@pytest.mark.parametrize("seed", range(8))
def test_standing_keeps_both_hips_on_their_femoral_heads_and_the_tilt(anatomy, seed):
    body = body_frame.in_body_frame(anatomy, random_state(seed), "standing")
    hips = {s: anatomy.point(f"acetabulum_centre_{s}") for s in ("left", "right")}
    now = {s: moved(anatomy, body, f"acetabulum_centre_{s}") for s in ("left", "right")}
    np.testing.assert_allclose(0.5 * (now["left"] + now["right"]), 0.5 * (hips["left"] + hips["right"]), atol=EXACT)
    u = (hips["right"] - hips["left"]) / np.linalg.norm(hips["right"] - hips["left"])
    u_now = (now["right"] - now["left"]) / np.linalg.norm(now["right"] - now["left"])
    np.testing.assert_allclose(u_now, u, atol=EXACT)
    # The iliac-spine mid-point stays in its half-plane through the inter-hip line.
    m = 0.5 * (hips["left"] + hips["right"])
    spines = ("asis_left", "asis_right", "psis_left", "psis_right")
    before = np.mean([anatomy.point(n) for n in spines], axis=0) - m
    after = np.mean([moved(anatomy, body, n) for n in spines], axis=0) - m
    b, a = before - (before @ u) * u, after - (after @ u) * u
    assert np.linalg.norm(np.cross(a, b)) == pytest.approx(0.0, abs=1e-9) and a @ b > 0


@pytest.mark.parametrize("posture", ["supine", "prone"])
@pytest.mark.parametrize("seed", range(6))
def test_table_contacts_keep_their_heights_in_the_least_squares_sense(anatomy, posture, seed):
    body = body_frame.in_body_frame(anatomy, random_state(seed), posture)
    contacts = body_frame.TABLE_CONTACTS[posture]
    heights = np.array([moved(anatomy, body, n)[0] - anatomy.point(n)[0] for n in contacts])
    points = np.array([moved(anatomy, body, n) for n in contacts])
    # Optimality: no shift along X and no small turn about Y or Z lowers the sum of squared heights.
    # A turn by w moves p by w × p, whose X part is w_y p_z − w_z p_y.
    gradient = np.array([heights.sum(), (heights * points[:, 2]).sum(), -(heights * points[:, 1]).sum()])
    np.testing.assert_allclose(gradient, 0.0, atol=1e-7)  # mm², mm³: 1e-7 against residues of order 1 mm


@pytest.mark.parametrize("seed", range(6))
def test_the_table_frame_never_turns_the_pelvis_about_the_table_normal(anatomy, seed):
    state = random_state(seed)
    B = body_frame.body_frame_transform(anatomy, state, "supine")
    # Out of plane it turns about Y and Z, then only shifts in the plane: the X component of the
    # rotation vector of its first step is zero, so B's rotation has no part about X to first order
    # beyond the coupling of the two Y/Z turns (second order in the angles).
    rotvec = Rotation.from_matrix(B[:3, :3]).as_rotvec()
    yz = np.linalg.norm(rotvec[1:])
    assert abs(rotvec[0]) <= yz ** 2  # second order only


def test_a_pure_sacral_motion_leaves_the_standing_frame_at_the_pelvic_frame(anatomy):
    for model, params in (("nutation", {"angle_deg": 2.0}), ("sacral_torsion", {"angle_deg": 2.0}),
                          ("twisted_shifted_sacrum", {"shift_mm": 1.5, "twist_deg": 1.0})):
        B = body_frame.body_frame_transform(anatomy, models.joint_state(anatomy, model, params), "standing")
        np.testing.assert_allclose(B, np.eye(4), atol=EXACT)


def test_the_standing_frame_does_not_depend_on_how_the_state_was_referenced(anatomy):
    # Re-reference every bone by the same rigid motion X: the standing body-frame poses must not
    # change (the rule uses only relative geometry). The lying frames keep the state's turn about
    # the table normal by design (the patient is not turned on the table), so they are not tested so.
    state = random_state(42)
    X = frames.rotation_about_axis([0.3, 1.0, -0.2], np.radians(2.0), [10.0, -20.0, 5.0]) @ frames.translation([1.0, -2.0, 0.5])
    shifted = JointState(T_pelvis={b: X @ T for b, T in state.T_pelvis.items()})
    a = body_frame.in_body_frame(anatomy, state, "standing")
    b = body_frame.in_body_frame(anatomy, shifted, "standing")
    for bone in a.T_pelvis:
        np.testing.assert_allclose(a.T_pelvis[bone], b.T_pelvis[bone], atol=1e-9)


def test_unknown_posture_is_a_one_line_error(anatomy):
    from pelvisim.errors import ParameterError

    with pytest.raises(ParameterError, match="posture must be one of standing, supine, prone"):
        body_frame.body_frame_transform(anatomy, JointState(), "sitting")


@pytest.mark.parametrize("seed", range(3))
def test_the_lying_frames_step_with_the_true_derivative_of_a_small_twist(seed):
    # The Gauss–Newton steps of the lying frames use the derivative of each point's coordinate with
    # respect to a twist [w, v]. Checked here against central differences of frames.exp: a wrong
    # sign or index in it only slows the steps on the tested poses, so the final frames alone
    # would not show it.
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(7, 3)) * 80.0  # mm, pelvis-sized
    axes = rng.integers(0, 3, size=7)
    J = body_frame.twist_jacobian(points, axes)
    h = 1e-6  # rad or mm: the second-order term is h²·|p| ≈ 1e-10 mm
    numeric = np.zeros((7, 6))
    for k in range(6):
        e = np.zeros(6)
        e[k] = h
        plus = frames.apply(frames.exp(e), points)
        minus = frames.apply(frames.exp(-e), points)
        numeric[:, k] = (plus - minus)[np.arange(7), axes] / (2 * h)
    np.testing.assert_allclose(J, numeric, atol=1e-6)


def test_a_rigid_turn_of_a_lopsided_pelvis_is_undone_exactly_by_the_standing_frame(anatomy):
    # The standing rule holds for any pelvis, also one whose four iliac spines sit well off the
    # mid-plane (their mean 25 mm off it here; under 1 mm on the bundled pelvis, where a rule that
    # ignored that offset would go unnoticed). A whole-pelvis rigid motion moves nothing relative to
    # the hips, so the body frame must undo it exactly.
    from dataclasses import replace

    landmarks = dict(anatomy.landmarks)
    for name in ("asis_left", "psis_left"):
        landmarks[name] = replace(landmarks[name], position_mm=landmarks[name].position_mm + np.array([0.0, 0.0, 50.0]))
    lopsided = replace(anatomy, landmarks=landmarks)
    X = frames.rotation_about_axis([0.4, 0.2, 1.0], np.radians(12.0), [5.0, 30.0, -10.0]) @ frames.translation([2.0, -3.0, 4.0])
    state = JointState(T_pelvis={b: X for b in ("sacrum", "innominate_left", "innominate_right")})
    B = body_frame.body_frame_transform(lopsided, state, "standing")
    np.testing.assert_allclose(B @ X, np.eye(4), atol=1e-9)


def test_the_hip_centre_is_the_acetabulum_centre_where_the_pelvis_has_one(anatomy):
    # At neutral the femoral head sits in the acetabulum, so the two centres coincide on the bundled
    # pelvis; a femur placed 4 mm off (an imported bone set) must not move the body frame's hip.
    from dataclasses import replace

    landmarks = dict(anatomy.landmarks)
    head = landmarks["femoral_head_centre_left"]
    landmarks[head.name] = replace(head, position_mm=head.position_mm + np.array([4.0, 0.0, 0.0]))
    off = replace(anatomy, landmarks=landmarks)
    np.testing.assert_array_equal(body_frame.hip_centre(off, "left"), anatomy.point("acetabulum_centre_left"))
    # without an acetabulum landmark, the femoral head centre stands in
    del landmarks["acetabulum_centre_left"]
    bare = replace(anatomy, landmarks=landmarks)
    np.testing.assert_array_equal(body_frame.hip_centre(bare, "left"), head.position_mm + np.array([4.0, 0.0, 0.0]))
