"""The body frame a clinician palpates in: standing on the floor, or lying on the table.

A :class:`~pelvisim.pose.JointState` gives each pelvic bone's displacement in the pelvic frame, but
which bone a model moves is the model's choice (nutation moves the sacrum between still ilia; the
ring models pin the hips or take the innominates' mean). A hand on a patient feels landmarks move
against the rest of the body. The body frame fixes that reference once, for every model, by a
rigid change of reference that never changes a relative motion:

``standing``
    Fixed to the floor through the feet and the femurs. Both hip centres (acetabulum centres) stay
    on their femoral heads: the mid-point between them stays put and the line through them keeps
    its direction. That leaves one freedom, a turn about the line through the two hips (whole-pelvis
    tilt, which is posture, not joint motion); it is fixed by keeping the mid-point of the four
    iliac spines (both ASIS, both PSIS) in its plane through that line, so the pelvis as a whole
    keeps its tilt over the hips.

``supine`` and ``prone``
    Fixed to the table. The table's plane is the pelvic frame's Y–Z plane (its normal is X, anterior).
    Out of that plane the pelvis rests on its bony prominences — supine on the posterior midline of
    the sacrum (S1, S2, S3) and both PSIS, prone on both ASIS and both pubic tubercles — and does not
    sink into or lift off the table as a whole: their heights above the table (X) are kept in the
    least-squares sense (a turn about Y and Z and a shift along X). Within the plane the patient
    does not turn on the table (no turn about X: the examiner has lined them up, and a turn would
    swing one leg past the other), and the sacral midline (S1 and S3 posterior points) keeps its
    place along and across the table (shifts along Y and Z, which change no height).

Both are rules, not simulations of feet, femurs or table contact; they are exact (no small-angle
approximation) and pure functions of the state and the anatomy's landmarks. A state that moves no
innominate (nutation, torsion, any pure sacral motion) has the standing body frame equal to the
pelvic frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.frames import Transform
from pelvisim.pose import JointState

POSTURES = ("standing", "supine", "prone")
"""The body frames a readout can be given in; ``standing`` is the default."""

BODY_FRAME_TEXT: Mapping[str, str] = {
    "standing": (
        "standing body frame: fixed to the floor through the feet and femurs — both hip centres stay on their "
        "femoral heads (mid-point fixed, inter-hip line keeps its direction) and the pelvis keeps its tilt over the "
        "hips (the mid-point of both ASIS and both PSIS stays in its plane through the inter-hip line); "
        "axes +X anterior, +Y superior, +Z right, mm"
    ),
    "supine": (
        "supine body frame: fixed to the table — the pelvis lies on the posterior midline of the sacrum (S1, S2, S3) "
        "and both PSIS without sinking into or lifting off the table as a whole (least-squares fit), does not turn on "
        "the table, and the sacral midline keeps its place; axes +X up from the table (anterior), +Y toward the head, "
        "+Z right, mm"
    ),
    "prone": (
        "prone body frame: fixed to the table — the pelvis lies on both ASIS and both pubic tubercles without "
        "sinking into or lifting off the table as a whole (least-squares fit), does not turn on the table, and the "
        "sacral midline keeps its place; axes +X down into the table (anterior), +Y toward the head, +Z right, mm"
    ),
}
"""One-sentence definition of each body frame, printed with every readout that uses it."""

SHORT_NAME: Mapping[str, str] = {
    "standing": "standing body frame", "supine": "supine, on the table", "prone": "prone, on the table",
}
IN_WORDS: Mapping[str, str] = {
    "standing": "in the standing body frame", "supine": "lying supine on the table", "prone": "lying prone on the table",
}
"""Each body frame as a phrase inside a sentence ("... but lying supine on the table that ASIS moves ...")."""
LYING = frozenset({"supine", "prone"})
"""Postures in which the pelvic Y axis runs toward the head, not up: words say "toward the head", not "higher"."""
LONG_AXIS: Mapping[str, str] = {"standing": "vertical axis", "supine": "long (head–foot) axis", "prone": "long (head–foot) axis"}
"""The pelvic Y axis in words, per posture (vertical only when standing)."""

TABLE_CONTACTS: Mapping[str, tuple[str, ...]] = {
    "supine": ("s1_posterior", "s2_posterior", "s3_posterior", "psis_left", "psis_right"),
    "prone": ("asis_left", "asis_right", "pubic_tubercle_left", "pubic_tubercle_right"),
}
"""Landmarks the lying pelvis rests on."""
TABLE_MIDLINE = ("s1_posterior", "s3_posterior")
"""The sacral midline the examiner lines up along the table."""

ILIAC_SPINES = ("asis_left", "asis_right", "psis_left", "psis_right")


def check_posture(posture: str) -> str:
    """Return ``posture`` or raise a :class:`ParameterError` naming the valid ones."""
    if posture not in POSTURES:
        raise ParameterError(f"posture must be one of {', '.join(POSTURES)}, got {posture!r}")
    return posture


def hip_centre(anatomy: Anatomy, side: str) -> NDArray[np.float64]:
    """Hip centre (3,) at neutral: the acetabulum centre (or the femoral head centre)."""
    name = f"acetabulum_centre_{side}"
    return np.array(anatomy.point(name if name in anatomy.landmarks else f"femoral_head_centre_{side}"), dtype=float)


def _moved(anatomy: Anatomy, state: JointState, name: str) -> NDArray[np.float64]:
    landmark = anatomy.landmarks[name]
    return frames.apply(state.T_pelvis[landmark.bone], landmark.position_mm)


def rotation_between(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """The smallest rotation (3, 3) turning unit vector ``a`` onto unit vector ``b``."""
    axis = np.cross(a, b)
    s, c = float(np.linalg.norm(axis)), float(a @ b)
    if s < 1e-15:
        if c > 0:
            return np.eye(3)
        raise ParameterError("the inter-hip line turned by 180°: no body frame can be defined")
    return frames.rotation_matrix(axis, float(np.arctan2(s, c)))  # rotation_matrix normalises the axis


def _standing(anatomy: Anatomy, state: JointState) -> Transform:
    hips = [hip_centre(anatomy, side) for side in SIDES]
    moved = [frames.apply(state.T_pelvis[f"innominate_{side}"], h) for side, h in zip(SIDES, hips)]
    m, m_moved = 0.5 * (hips[0] + hips[1]), 0.5 * (moved[0] + moved[1])
    u = (hips[1] - hips[0]) / np.linalg.norm(hips[1] - hips[0])
    u_moved = (moved[1] - moved[0]) / np.linalg.norm(moved[1] - moved[0])
    R0 = rotation_between(u_moved, u)
    spines = np.mean([anatomy.point(n) for n in ILIAC_SPINES], axis=0)
    spines_moved = np.mean([_moved(anatomy, state, n) for n in ILIAC_SPINES], axis=0)
    a = spines - m
    b = R0 @ (spines_moved - m_moved)
    # The turn about u that brings b's direction across u onto a's. Parts along u add nothing to
    # (b × a)·u, nor to b_perp·a once one factor is across u, so only b is projected.
    b_perp = b - (b @ u) * u
    angle = float(np.arctan2(np.cross(b, a) @ u, b_perp @ a))
    R = frames.rotation_matrix(u, angle) @ R0
    return frames.from_rt(R, m - R @ m_moved)


def twist_jacobian(points: NDArray[np.float64], axes: NDArray[np.int_]) -> NDArray[np.float64]:
    """How coordinate ``axes[i]`` of ``points[i]`` changes with a small twist ``[w, v]`` (n, 6).

    A twist moves a point p by w × p + v, so row i is row ``axes[i]`` of [−[p]×, I]: the
    Gauss–Newton steps of the lying frames solve with it.
    """
    P = np.asarray(points, dtype=float)
    axes = np.asarray(axes, dtype=int)
    index = np.arange(len(P))
    J = np.zeros((len(P), 6))
    J[:, :3] = [-frames.skew(p)[axis] for p, axis in zip(P, axes)]  # d(w × p)/dw = −[p]×
    J[index, 3 + axes] = 1.0
    return J


def _least_squares_steps(anatomy: Anatomy, state: JointState, B: Transform, rows: list[tuple[str, int]],
                         unknowns: tuple[int, ...]) -> Transform:
    """Refine ``B`` by Gauss–Newton steps over the twist components ``unknowns`` (0–2 rotation, 3–5 translation)."""
    neutral = np.array([anatomy.point(n) for n, _ in rows])
    moved = np.array([_moved(anatomy, state, n) for n, _ in rows])
    axes = np.array([axis for _, axis in rows])
    index = np.arange(len(rows))
    columns = list(unknowns)
    for _ in range(30):
        P = frames.apply(B, moved)
        residual = P[index, axes] - neutral[index, axes]
        J = twist_jacobian(P, axes)
        step, *_ = np.linalg.lstsq(J[:, columns], -residual, rcond=None)
        twist = np.zeros(6)
        twist[columns] = step
        B = frames.exp(twist) @ B
        if np.linalg.norm(step) < 1e-12:
            break
    return B


def _lying(anatomy: Anatomy, state: JointState, posture: str) -> Transform:
    """Table frame: first the contact heights (X; turns about Y and Z, shift along X), then the sacral
    midline's place on the table (shifts along Y and Z, which change no height)."""
    out_of_plane = [(n, 0) for n in TABLE_CONTACTS[posture]]
    B = _least_squares_steps(anatomy, state, frames.identity(), out_of_plane, (1, 2, 3))
    in_plane = [(n, axis) for n in TABLE_MIDLINE for axis in (1, 2)]
    return _least_squares_steps(anatomy, state, B, in_plane, (4, 5))


def body_frame_transform(anatomy: Anatomy, state: JointState, posture: str = "standing") -> Transform:
    """``T_body_pelvis``: maps a point displaced in the state's pelvic frame into the body frame.

    A bone's pose in the body frame is ``T_body_pelvis @ state.T_pelvis[bone]``; relative motions
    between bones are unchanged. Whole-pelvis gait motion (``state.T_world_pelvis``) is not part of
    it: the body frame moves with the walking body.

    Parameters
    ----------
    anatomy : Anatomy
        Supplies the hip centres, iliac spines and table contacts (see the module docstring).
    state : JointState
        True-scale displacements.
    posture : {"standing", "supine", "prone"}

    Returns
    -------
    Transform
        Identity when the state moves nothing the rule holds.
    """
    check_posture(posture)
    return _standing(anatomy, state) if posture == "standing" else _lying(anatomy, state, posture)


def in_body_frame(anatomy: Anatomy, state: JointState, posture: str = "standing") -> JointState:
    """The same state re-referenced to the body frame (``T_pelvis[bone]`` → ``T_body_pelvis @ T_pelvis[bone]``)."""
    B = body_frame_transform(anatomy, state, posture)
    return JointState(
        T_pelvis={bone: B @ T for bone, T in state.T_pelvis.items()},
        T_innominate_femur=state.T_innominate_femur,
        T_world_pelvis=state.T_world_pelvis,
    )
