"""Apparent leg length (medial malleoli): read supine, legs straight on the table, hips at neutral.

Hand checks: a straight leg lying on the table translates with its acetabulum centre and keeps
its direction, so the finding is the difference of the two acetabulum centres' vertical shifts
(left minus right of "leg looks longer" = right rise − left rise). The pose's hip angles (the
femurs swinging in gait) must never reach it: before this rule the gait models read 56–180 mm.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pelvisim import body_frame, descriptors, frames, gait, models, scene
from pelvisim.anatomy.core import SIDES
from pelvisim.pose import JointState

LEG = "apparent leg-length difference (medial malleoli)"
PHASES = np.linspace(0.0, 1.0, 20, endpoint=False)
WALKING_SIJ_CEILING_DEG = 0.5  # per side, walking (Kibsgård 2014 ceiling; reference/BIOMECHANICS.md §7)


def leg_length_mm(anatomy, state: JointState) -> float:
    """The finding's left-minus-right difference, mm (positive: the left leg looks longer)."""
    return {f.name: f for f in descriptors.describe(anatomy, state).findings}[LEG].difference


def acetabulum_rise_mm(anatomy, state: JointState, side: str) -> float:
    """Vertical shift of the acetabulum centre on the table, read straight off the innominate's 4×4 transform.

    The finding is read supine: the state is first re-referenced to the table (the supine body
    frame, whose own rule is tested in test_body_frame.py).
    """
    T = np.asarray(body_frame.in_body_frame(anatomy, state, "supine").T_pelvis[f"innominate_{side}"])
    c = anatomy.point(f"acetabulum_centre_{side}")
    return float(T[1, 0] * c[0] + T[1, 1] * c[1] + T[1, 2] * c[2] + T[1, 3] - c[1])


def with_hips(state: JointState, hips: dict) -> JointState:
    """The same pelvis with other hip angles (``T_innominate_femur`` per side)."""
    return JointState(T_pelvis=state.T_pelvis, T_innominate_femur=hips, T_world_pelvis=state.T_world_pelvis)


def gait_hips(anatomy, phase: float) -> dict:
    """Both femurs swung as in walking at ``phase``."""
    return {side: gait.T_innominate_femur(anatomy, phase, side) for side in SIDES}


def flexed_hips(anatomy, right_deg: float, left_deg: float) -> dict:
    """Hip flexion (+) / extension (−) about each acetabulum centre (transverse axis)."""
    return {side: frames.rotation_about_axis(frames.Z_RIGHT, math.radians(angle), anatomy.point(f"acetabulum_centre_{side}"))
            for side, angle in (("right", right_deg), ("left", left_deg))}


@pytest.mark.parametrize("phase", [None, 0.0, 0.45, 0.95])
@pytest.mark.parametrize(("side", "expected_mm"), [("left", -5.0), ("right", +5.0)])
def test_pure_5mm_upslip_reads_5mm_shorter_whatever_the_hip_angles(anatomy, side, expected_mm, phase):
    # A rigid 5 mm upward translation lifts the acetabulum 5 mm, so that leg looks 5 mm shorter:
    # left upslip -> left minus right = -5 mm; right upslip -> +5 mm. Hips still or swung as in gait.
    state = models.joint_state(anatomy, "shear", {f"{side}_mm": 5.0})
    if phase is not None:
        state = with_hips(state, gait_hips(anatomy, phase))
    assert leg_length_mm(anatomy, state) == pytest.approx(expected_mm, abs=1e-9)


def test_hip_angles_alone_give_no_leg_length_difference(symmetric):
    # Right hip flexed 30°, left extended 10° on a neutral ring: the femurs swing far apart, yet a
    # supine examiner straightens both legs, so there is nothing to see.
    state = with_hips(JointState(), flexed_hips(symmetric, 30.0, -10.0))
    d = descriptors.describe(symmetric, state)
    knee_shift = np.linalg.norm(d.landmarks["knee_centre_right"]["shift_mm"])
    assert knee_shift > 100.0  # the hip angle is really in the pose (knee ≈ 390 mm × 30° away)
    assert {f.name: f for f in d.findings}[LEG].difference == pytest.approx(0.0, abs=1e-9)


def test_mirror_symmetric_ring_with_asymmetric_hips_reads_zero(symmetric):
    # Both innominates rotated 2° anteriorly (a mirror-symmetric ring): both acetabula move alike.
    ring = models.joint_state(symmetric, "innominate_rotation", {"left_deg": 2.0, "right_deg": 2.0})
    for hips in (flexed_hips(symmetric, 30.0, -10.0), gait_hips(symmetric, 0.0), gait_hips(symmetric, 0.45)):
        assert leg_length_mm(symmetric, with_hips(ring, hips)) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("axis", ["sij", "symphysis"])
def test_anterior_rotation_by_hand_with_the_hips_swung(anatomy, axis):
    theta = math.radians(2.0)
    if axis == "symphysis":
        # The osteopathic axis: through the mid-point of the two symphyseal surfaces.
        pivot = 0.5 * (anatomy.point("symphysis_left") + anatomy.point("symphysis_right"))
    else:
        pivot = np.asarray(descriptors.joints.nutation_axis(anatomy).point_mm)  # the S2 transverse axis
    rx, ry = (anatomy.point("acetabulum_centre_right") - pivot)[:2]
    # Anterior rotation turns the innominate by θ about −Z (ASIS forward and down, reference §2):
    # y' = −x·sinθ + y·cosθ, so the right acetabulum rises by −rx·sinθ + ry·(cosθ − 1).
    right_rise = -rx * math.sin(theta) + ry * (math.cos(theta) - 1.0)
    state = with_hips(models.joint_state(anatomy, "innominate_rotation", {"right_deg": 2.0, "axis": axis}),
                      gait_hips(anatomy, 0.0))
    # Left minus right of "leg looks longer" = (−0) − (−right_rise), in the pelvic frame. Supine,
    # the right PSIS rises off the table and the pelvis settles by a small turn about Y and Z; the
    # turn about Z lifts both acetabula alike except for their 0.5 mm difference in depth, and the
    # turn about Y does not move them along the table: within 0.1 mm of the hand value.
    assert leg_length_mm(anatomy, state) == pytest.approx(right_rise, abs=0.1)
    table = acetabulum_rise_mm(anatomy, state, "right") - acetabulum_rise_mm(anatomy, state, "left")
    assert leg_length_mm(anatomy, state) == pytest.approx(table, abs=1e-9)
    if axis == "sij":
        assert right_rise < 0  # the acetabulum lies in front of the S2 axis: right leg looks longer


def test_mitchell_gait_reads_almost_zero_at_every_phase(anatomy):
    # The Mitchell sequence turns only the sacrum; the innominates stay put relative to each other.
    # Supine the sacrum is one of the table contacts, so the pelvis settles a little on the table,
    # but that moves both acetabula alike (same depth within 0.5 mm): under 0.01 mm apart.
    for phase in PHASES:
        state = models.joint_state(anatomy, "mitchell_gait", {}, phase=float(phase))
        expected = acetabulum_rise_mm(anatomy, state, "right") - acetabulum_rise_mm(anatomy, state, "left")
        assert leg_length_mm(anatomy, state) == pytest.approx(expected, abs=1e-9), phase
        assert abs(leg_length_mm(anatomy, state)) < 0.01, phase


@pytest.mark.parametrize("stiffness_ratio", [1.0, 2.0])
def test_gait_reads_only_the_ring_displacement_of_the_hip_centres(anatomy, stiffness_ratio):
    # Each acetabulum moves with its innominate by at most the walking ceiling (0.5° per side)
    # times its lever from the SIJ centre, so the two legs differ by at most twice that: a few mm.
    lever = max(np.linalg.norm(anatomy.point(f"acetabulum_centre_{s}") - anatomy.point(f"auricular_innominate_{s}_centroid"))
                for s in SIDES)
    ceiling = 2.0 * math.radians(WALKING_SIJ_CEILING_DEG) * lever
    assert 1.0 < ceiling < 3.0  # ≈ 1.9 mm on the bundled pelvis (lever ≈ 107 mm)
    for phase in PHASES:
        state = models.joint_state(anatomy, "gait", {"stiffness_ratio": stiffness_ratio}, phase=float(phase))
        expected = acetabulum_rise_mm(anatomy, state, "right") - acetabulum_rise_mm(anatomy, state, "left")
        measured = leg_length_mm(anatomy, state)
        assert measured == pytest.approx(expected, abs=1e-9), phase
        assert abs(measured) < ceiling, phase


def test_flagship_scene_shows_no_palpable_leg_length(anatomy):
    flagship = scene.load("flagship")
    for t in np.arange(0.0, flagship.duration_s, 0.25):
        for index in range(len(flagship.panels)):
            d = descriptors.describe(anatomy, flagship.joint_state(anatomy, index, float(t)))
            leg = {f.name: f for f in d.findings}[LEG]
            assert not leg.palpable and abs(leg.difference) < 2.0, (t, leg.words)
            assert "Palpable" not in d.summary, (t, d.summary)
