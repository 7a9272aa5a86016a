"""Rigid transforms (SE(3)) as plain (4, 4) float64 arrays.

Conventions
-----------
``T_a_b`` is the pose of frame b in frame a: it maps points expressed in b into a
(``p_a = T_a_b @ p_b``), so inner frames cancel:
``T_world_innominate_left = T_world_sacrum @ T_sacrum_innominate_left``.

Lengths are in mm, angles in radians. The pelvic frame (ISB, Wu et al. 2002) has +X anterior,
+Y superior, +Z right, origin at the mid-point of the two ASIS. The left side is the mirror image
(z -> -z) of the right: :func:`mirror` conjugates a transform by that reflection, which keeps it a
proper rotation (det +1).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Transform = NDArray[np.float64]
"""A (4, 4) homogeneous rigid transform."""

MIRROR = np.diag([1.0, 1.0, -1.0, 1.0])
MIRROR.setflags(write=False)

X_ANTERIOR = np.array([1.0, 0.0, 0.0])
Y_SUPERIOR = np.array([0.0, 1.0, 0.0])
Z_RIGHT = np.array([0.0, 0.0, 1.0])
for _axis in (X_ANTERIOR, Y_SUPERIOR, Z_RIGHT):
    _axis.setflags(write=False)


def identity() -> Transform:
    """The identity transform (a new, writable array)."""
    return np.eye(4)


def from_rt(R: ArrayLike, t: ArrayLike) -> Transform:
    """Build a transform from a (3, 3) rotation and a (3,) translation in mm."""
    T = np.eye(4)
    T[:3, :3] = np.asarray(R, dtype=float)
    T[:3, 3] = np.asarray(t, dtype=float)
    return T


def translation(t_mm: ArrayLike) -> Transform:
    """A pure translation by ``t_mm`` (3,)."""
    return from_rt(np.eye(3), t_mm)


def invert(T_a_b: Transform) -> Transform:
    """Return ``T_b_a``, the inverse of a rigid transform."""
    R, t = T_a_b[:3, :3], T_a_b[:3, 3]
    return from_rt(R.T, -R.T @ t)


def skew(w: ArrayLike) -> NDArray[np.float64]:
    """The (3, 3) cross-product matrix of a (3,) vector."""
    x, y, z = np.asarray(w, dtype=float)
    return np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])


def rotation_matrix(axis: ArrayLike, angle_rad: float) -> NDArray[np.float64]:
    """Rotation by ``angle_rad`` about the unit direction ``axis`` (right-hand rule)."""
    a = np.asarray(axis, dtype=float)
    norm = np.linalg.norm(a)
    if norm == 0.0:
        raise ValueError("Expected a non-zero rotation axis, got [0, 0, 0]")
    K = skew(a / norm)
    return np.eye(3) + np.sin(angle_rad) * K + (1.0 - np.cos(angle_rad)) * (K @ K)


def rotation_about_axis(axis: ArrayLike, angle_rad: float, point_mm: ArrayLike = (0.0, 0.0, 0.0)) -> Transform:
    """Rotation by ``angle_rad`` about the line through ``point_mm`` along ``axis``."""
    R = rotation_matrix(axis, angle_rad)
    p = np.asarray(point_mm, dtype=float)
    return from_rt(R, p - R @ p)


def apply(T_a_b: Transform, points_b: ArrayLike) -> NDArray[np.float64]:
    """Map points (…, 3) from frame b into frame a."""
    P = np.asarray(points_b, dtype=float)
    return P @ T_a_b[:3, :3].T + T_a_b[:3, 3]


def mirror(T: Transform) -> Transform:
    """Mirror a transform across the sagittal plane (z -> -z): ``M @ T @ M``.

    For a displacement of a right-side bone this gives the same clinical motion of the left one.
    """
    return MIRROR @ T @ MIRROR


def mirror_points(points: ArrayLike) -> NDArray[np.float64]:
    """Mirror points (…, 3) across the sagittal plane (z -> -z)."""
    P = np.array(points, dtype=float, copy=True)
    P[..., 2] *= -1.0
    return P


def log(T: Transform) -> NDArray[np.float64]:
    """Twist (6,) ``[w (rad), v (mm)]`` whose exponential is ``T`` (rotation angle < pi)."""
    R, t = T[:3, :3], T[:3, 3]
    cos = np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0)
    theta = float(np.arccos(cos))
    W = (R - R.T) / 2.0
    if theta < 1e-9:
        w = np.array([W[2, 1], W[0, 2], W[1, 0]])
        return np.concatenate([w, t])
    w = np.array([W[2, 1], W[0, 2], W[1, 0]]) * theta / np.sin(theta)
    K = skew(w)
    half = theta / 2.0
    V_inv = np.eye(3) - 0.5 * K + (1.0 - half / np.tan(half)) / theta**2 * (K @ K)
    return np.concatenate([w, V_inv @ t])


def exp(twist: ArrayLike) -> Transform:
    """Rigid transform from a twist (6,) ``[w (rad), v (mm)]``; the inverse of :func:`log`."""
    xi = np.asarray(twist, dtype=float)
    w, v = xi[:3], xi[3:]
    theta = float(np.linalg.norm(w))
    K = skew(w)
    if theta < 1e-9:
        return from_rt(np.eye(3) + K, v + 0.5 * K @ v)
    R = np.eye(3) + np.sin(theta) / theta * K + (1.0 - np.cos(theta)) / theta**2 * (K @ K)
    V = np.eye(3) + (1.0 - np.cos(theta)) / theta**2 * K + (theta - np.sin(theta)) / theta**3 * (K @ K)
    return from_rt(R, V @ v)


def power(T: Transform, factor: float) -> Transform:
    """Scale a rigid motion along its own screw: same axis, ``factor`` times the angle and slide.

    This is how magnification is applied for display: a rotation about the nutation axis,
    magnified, is still a rotation about the nutation axis.
    """
    if factor == 1.0:
        return np.array(T, dtype=float, copy=True)
    return exp(factor * log(T))


def is_rigid(T: ArrayLike, atol: float = 1e-9) -> bool:
    """True when ``T`` is a (4, 4) transform with an orthonormal, right-handed rotation."""
    A = np.asarray(T, dtype=float)
    if A.shape != (4, 4) or not np.allclose(A[3], [0, 0, 0, 1], atol=atol):
        return False
    R = A[:3, :3]
    return bool(np.allclose(R.T @ R, np.eye(3), atol=atol) and abs(np.linalg.det(R) - 1.0) < atol)


def rotation_angle_rad(T: Transform) -> float:
    """Total rotation angle of a transform, in radians."""
    cos = np.clip((np.trace(T[:3, :3]) - 1.0) / 2.0, -1.0, 1.0)
    return float(np.arccos(cos))
