"""Muscles: the loads of a path by hand, their balance, the Rajagopal mapping, symmetry, and what
each story muscle does to the ring (signs from anatomy, not from the code's output)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pelvisim import frames
from pelvisim.errors import ParameterError
from pelvisim.models import get_model
from pelvisim.synthetic import synthetic_anatomy
from pelvisim.tissue.muscles import (
    RAJAGOPAL_2016_M,
    fibre_points,
    find_muscles,
    muscle_loads,
    muscle_names,
    rajagopal_to_pelvis,
)
from pelvisim.tissue.solve import load_vector

SYNTHETIC = synthetic_anatomy()


def _net(loads):
    f = load_vector(loads).reshape(4, 6)
    return f[:, 3:].sum(axis=0), f[:, :3].sum(axis=0)  # force, moment about the origin


def test_every_muscle_has_fibres_with_shares_adding_to_one(anatomy):
    muscles = find_muscles(anatomy)
    assert set(muscles) == set(muscle_names())
    for m in muscles.values():
        assert sum(f.share for f in m.fibres) == pytest.approx(1.0)


@pytest.mark.parametrize("name", muscle_names())
def test_loads_by_hand_net_force_zero_and_the_moment_is_the_legs(anatomy, name):
    m = find_muscles(anatomy)[name]
    force = 300.0
    loads = muscle_loads(anatomy, {name: force})
    net_force, net_moment = _net(loads)
    np.testing.assert_allclose(net_force, 0.0, atol=1e-9)  # every pull has its reaction on the ring
    # by hand: the moment the ring keeps is that of the pulls on the femur/leg points moved to the hip
    expected = np.zeros(3)
    for fibre in m.fibres:
        P = fibre_points(anatomy, fibre)
        t = force * fibre.share
        for j, body in enumerate(fibre.bodies):
            if body.startswith(("femur_", "leg_")):
                pull = sum(t * (P[k] - P[j]) / np.linalg.norm(P[k] - P[j]) for k in (j - 1, j + 1) if 0 <= k < len(P))
                hip = anatomy.point(f"acetabulum_centre_{body.split('_', 1)[1]}")
                expected += np.cross(hip - P[j], pull)  # moving the pull from P[j] to the hip
    np.testing.assert_allclose(net_moment, expected, atol=1e-6 * force * 100.0)


def test_a_via_point_is_pulled_toward_both_neighbours(anatomy):
    m = find_muscles(anatomy)["iliacus_left"]
    fibre = m.fibres[0]
    P = fibre_points(anatomy, fibre)
    t = 90.0 * fibre.share
    (brim,) = [w for w in muscle_loads(anatomy, {"iliacus_left": 90.0})
               if np.allclose(w.point_mm, P[1]) and w.body == "innominate_left"][:1]
    expected = t * ((P[0] - P[1]) / np.linalg.norm(P[0] - P[1]) + (P[2] - P[1]) / np.linalg.norm(P[2] - P[1]))
    np.testing.assert_allclose(brim.force_n, expected, atol=1e-9)


def test_loads_are_linear_in_force(anatomy):
    a = load_vector(muscle_loads(anatomy, {"gluteus_maximus_right": 100.0}))
    b = load_vector(muscle_loads(anatomy, {"gluteus_maximus_right": 250.0}))
    np.testing.assert_allclose(b, 2.5 * a, atol=1e-9)
    assert not muscle_loads(anatomy, {"gluteus_maximus_right": 0.0})


def test_sacrotuberous_fibres_share_their_pull_by_the_lever_rule(anatomy):
    # biceps femoris: 30 % of its pull on the sacrotuberous ligament 85 % of the way to the ischium
    loads = [w for w in muscle_loads(anatomy, {"biceps_femoris_right": 100.0}) if "sacrotuberous" in w.label]
    sacral, ischial = (next(w for w in loads if w.body == b) for b in ("sacrum", "innominate_right"))
    ratio = np.linalg.norm(sacral.force_n) / np.linalg.norm(ischial.force_n)
    assert ratio == pytest.approx(0.15 / 0.85)


def test_rajagopal_mapping_matches_the_landmarks(anatomy):
    # the model's ASIS/PSIS are skin markers (≈ 1 cm outside the bone): an RMS of up to 10 mm is expected
    A, rms = rajagopal_to_pelvis(anatomy)
    assert rms < 10.0
    scales = np.linalg.svd(A[:, :3], compute_uv=False)
    assert np.all((0.6 < scales) & (scales < 1.3))  # a pelvis of another size, not a distortion
    # the hip joint of the model lands within 10 mm of this anatomy's hip centre
    hip = A[:, :3] @ (1000.0 * np.array(RAJAGOPAL_2016_M["hip_r"][1])) + A[:, 3]
    assert np.linalg.norm(hip - anatomy.point("acetabulum_centre_right")) < 10.0


def test_left_muscles_mirror_the_right_on_the_symmetric_pelvis():
    for name in ("iliacus", "psoas", "piriformis", "multifidus", "gluteus_maximus", "biceps_femoris"):
        right = load_vector(muscle_loads(SYNTHETIC, {f"{name}_right": 200.0})).reshape(4, 6)
        left = load_vector(muscle_loads(SYNTHETIC, {f"{name}_left": 200.0})).reshape(4, 6)
        swap = [0, 2, 1, 3]  # sacrum, left <-> right innominate, L5
        mirrored = right[swap].copy()
        mirrored[:, :3] = -frames.mirror_points(mirrored[:, :3])  # moments: axial vectors
        mirrored[:, 3:] = frames.mirror_points(mirrored[:, 3:])
        np.testing.assert_allclose(left, mirrored, atol=1e-8, err_msg=name)


def test_bad_muscle_input_is_refused(anatomy):
    with pytest.raises(ParameterError, match="Expected a muscle"):
        muscle_loads(anatomy, {"deltoid_left": 10.0})
    with pytest.raises(ParameterError, match=">= 0"):
        muscle_loads(anatomy, {"iliacus_left": -5.0})


# --- what the story muscles do to the ring (directions from anatomy) ------------------------------
def _rel_deg(state, side):
    return np.degrees(frames.log(state.relative("sacrum", f"innominate_{side}"))[:3])


def test_iliacus_tips_its_ilium_forward(anatomy):
    # Russell's claim's direction: anterior innominate rotation is about −Z on either side
    model = get_model("soft_tissue")
    pulled = model.joint_state(anatomy, {"iliacus_left_n": 600.0})
    assert _rel_deg(pulled, "left")[2] < 0


def test_bilateral_multifidus_nutates_the_sacrum(anatomy):
    # pulling the dorsal sacrum up toward L5 turns its base forward: the ilia turn posteriorly on it (+Z)
    model = get_model("soft_tissue")
    state = model.joint_state(anatomy, {"multifidus_left_n": 400.0, "multifidus_right_n": 400.0})
    assert _rel_deg(state, "left")[2] > 0 and _rel_deg(state, "right")[2] > 0


def test_muscle_effects_stay_far_below_the_rsa_floor(anatomy):
    # 800 N of any one muscle moves the SIJ by less than 0.2°: below the RSA floor (0.5–0.7°,
    # Kibsgård 2012). A guard on the model's scale, not a measured figure.
    model = get_model("soft_tissue")
    for name in muscle_names():
        state = model.joint_state(anatomy, {f"{name}_n": 800.0})
        for side in ("left", "right"):
            assert math.degrees(frames.rotation_angle_rad(state.relative("sacrum", f"innominate_{side}"))) < 0.2, name
