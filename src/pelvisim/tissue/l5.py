"""A simple fifth lumbar vertebra (L5) resting on the sacrum: where the trunk load enters the ring.

The L5 is built from the S1 endplate (its centre and normal, found by the landmark rules) and a
few published dimensions; it is not a scanned bone. Parts:

- the L5/S1 disc, a layer of :data:`DISC_HEIGHT_MM` on the S1 endplate;
- the vertebral body, an elliptic cylinder :data:`BODY_WIDTH_MM` wide (left–right) and
  :data:`BODY_DEPTH_MM` deep (front–back), :data:`BODY_HEIGHT_MM` high, on the disc;
- two transverse processes from the pedicles; each tip is placed where the iliolumbar ligament
  to the iliac crest has its published mean length (:data:`ILIOLUMBAR_LENGTH_MM`), see
  :mod:`pelvisim.tissue.attachments`;
- a spinous process tip on the midline behind the body, :data:`SPINOUS_TO_TRANSVERSE_MM` from the
  transverse-process tips.

Axes of the L5 (pelvic frame at neutral): ``up`` = the S1 endplate normal tilted back by the
disc's wedge (:data:`LUMBOSACRAL_ANGLE_DEG`), ``anterior`` = +X made orthogonal to ``up``,
``right`` = +Z. Units: mm. This module never imports the view; the mesh it
makes (:func:`l5_mesh`) is plain arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import Anatomy
from pelvisim.errors import LandmarkError

BODY_WIDTH_MM = 47.4
"""Transverse diameter of the L5 upper endplate: 4.74 cm (Bhat 2025, 50 dry L5 vertebrae) [V]."""
BODY_DEPTH_MM = 33.5
"""Antero-posterior diameter of the L5 upper endplate: 3.35 cm (Bhat 2025) [V]."""
BODY_HEIGHT_MM = 25.0
"""Height of the L5 body [U: typical textbook value; L5 is the shortest lumbar body (Gilad & Nissan 1985)]."""
DISC_HEIGHT_MM = 10.0
"""Height of the L5/S1 disc [U: typical radiographic value, not from the project reference]."""
ILIOLUMBAR_LENGTH_MM = 31.7
"""Mean length of the iliolumbar ligament, 60 ligaments of 30 cadavers (Surg Radiol Anat 2023,
PMC9899183) [V]; 33 mm in white adults (Hanson & Sonesson 1998, Acta Anat 163:218) [V]."""
SPINOUS_TO_TRANSVERSE_MM = 76.7
"""Distance from the L5 spinous process to the origin of the iliolumbar ligament on the transverse
process, 7.67 ± 0.39 cm in 14 cadaver sides (Kim 2003, J Korean Acad Rehabil Med 27:974) [V]."""
MIN_TRANSVERSE_MM = 10.0
"""Shortest transverse process drawn, should the iliac crest lie too close for the published
ligament length [U: a floor for odd anatomies; the bundled pelvis does not reach it]."""
LUMBOSACRAL_ANGLE_DEG = 15.0
"""Wedge of the L5/S1 disc: the L5 sits tilted back this much from the S1 endplate (segmental
lordosis) [U: typical radiographic value, not from the project reference]."""
PEDICLE_OFFSET_MM = (8.0, 14.0)
"""Transverse-process roots behind the body (mm behind its posterior wall) and beside the midline
[U: pedicle position, drawn only; the tips carry the ligament]."""


@dataclass(frozen=True)
class L5Geometry:
    """Where the L5 sits, at neutral, in the pelvic frame (mm).

    Attributes
    ----------
    disc_centre : ndarray (3,)
        Centre of the L5/S1 disc (the lumbosacral joint's spring sits here).
    body_centre : ndarray (3,)
        Centre of the vertebral body.
    up, anterior, right : ndarray (3,)
        Unit axes of the vertebra (``up`` = S1 endplate normal).
    transverse_root_right, transverse_root_left : ndarray (3,)
        Where each transverse process leaves the vertebra.
    transverse_tip_right, transverse_tip_left : ndarray (3,)
        Tips of the transverse processes (iliolumbar ligament origin).
    spinous_tip : ndarray (3,)
        Tip of the spinous process (multifidus insertion).
    """

    disc_centre: NDArray[np.float64]
    body_centre: NDArray[np.float64]
    up: NDArray[np.float64]
    anterior: NDArray[np.float64]
    right: NDArray[np.float64]
    transverse_root_right: NDArray[np.float64]
    transverse_root_left: NDArray[np.float64]
    transverse_tip_right: NDArray[np.float64]
    transverse_tip_left: NDArray[np.float64]
    spinous_tip: NDArray[np.float64]

    @property
    def T_pelvis_l5(self) -> frames.Transform:
        """Frame of the vertebra: origin at the body centre, axes (anterior, up, right)."""
        return frames.from_rt(np.column_stack([self.anterior, self.up, self.right]), self.body_centre)

    @property
    def T_pelvis_disc(self) -> frames.Transform:
        """Frame of the L5/S1 disc: origin at its centre, axes (anterior, up, right)."""
        return frames.from_rt(np.column_stack([self.anterior, self.up, self.right]), self.disc_centre)

    def transverse_tip(self, side: str) -> NDArray[np.float64]:
        """Transverse-process tip of ``side``."""
        return self.transverse_tip_right if side == "right" else self.transverse_tip_left

    def transverse_root(self, side: str) -> NDArray[np.float64]:
        """Transverse-process root of ``side``."""
        return self.transverse_root_right if side == "right" else self.transverse_root_left


def endplate_axes(anatomy: Anatomy) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """(S1 endplate centre, up, anterior, right) from the landmark ``s1_endplate_centre`` and its normal."""
    lm = anatomy.landmark("s1_endplate_centre")
    if lm.normal is None:
        raise LandmarkError("The L5 needs the S1 endplate normal: landmark 's1_endplate_centre' has no normal")
    up = np.asarray(lm.normal, dtype=float)
    up = up / np.linalg.norm(up)
    anterior = frames.X_ANTERIOR - (frames.X_ANTERIOR @ up) * up
    anterior = anterior / np.linalg.norm(anterior)
    right = np.cross(anterior, up)
    return np.asarray(lm.position_mm, dtype=float), up, anterior, right


def l5_geometry(anatomy: Anatomy, iliolumbar_iliac_right: NDArray, iliolumbar_iliac_left: NDArray) -> L5Geometry:
    """Build the L5 on the S1 endplate of ``anatomy``.

    Parameters
    ----------
    anatomy : Anatomy
        Needs ``s1_endplate_centre`` with its normal.
    iliolumbar_iliac_right, iliolumbar_iliac_left : ndarray (3,)
        Centres of the iliolumbar ligament's footprints on the iliac crests (from
        :mod:`pelvisim.tissue.attachments`); each transverse-process tip is put on the line from its
        root toward that footprint, :data:`ILIOLUMBAR_LENGTH_MM` short of it.

    Returns
    -------
    L5Geometry
    """
    centre, normal, _, _ = endplate_axes(anatomy)
    disc = centre + 0.5 * DISC_HEIGHT_MM * normal
    up = frames.rotation_matrix(frames.Z_RIGHT, math.radians(LUMBOSACRAL_ANGLE_DEG)) @ normal
    anterior = frames.X_ANTERIOR - (frames.X_ANTERIOR @ up) * up
    anterior = anterior / np.linalg.norm(anterior)
    right = np.cross(anterior, up)
    body = disc + 0.5 * (DISC_HEIGHT_MM + BODY_HEIGHT_MM) * up
    behind, beside = PEDICLE_OFFSET_MM
    roots = {side: body - (0.5 * BODY_DEPTH_MM + behind) * anterior + sign * beside * right
             for side, sign in (("right", 1.0), ("left", -1.0))}
    tips = {}
    for side, iliac in (("right", iliolumbar_iliac_right), ("left", iliolumbar_iliac_left)):
        to_iliac = np.asarray(iliac, dtype=float) - roots[side]
        distance = float(np.linalg.norm(to_iliac))
        reach = max(distance - ILIOLUMBAR_LENGTH_MM, MIN_TRANSVERSE_MM)
        tips[side] = roots[side] + reach * to_iliac / distance
    spinous = _spinous_tip(body, up, anterior, tips)
    return L5Geometry(disc, body, up, anterior, right, roots["right"], roots["left"], tips["right"], tips["left"],
                      spinous)


def _spinous_tip(body: NDArray, up: NDArray, anterior: NDArray, tips: dict[str, NDArray]) -> NDArray[np.float64]:
    """Midline point behind the body at the tips' height, :data:`SPINOUS_TO_TRANSVERSE_MM` from the tips."""
    mid = 0.5 * (tips["right"] + tips["left"])
    base = body + ((mid - body) @ up) * up  # on the body's axis, at the tips' height
    r = tips["right"] - base
    # distance from base − d·anterior to the tip equals SPINOUS_TO_TRANSVERSE_MM:
    # d² + 2d(a·r) + |r|² = S²  ->  d = −a·r + √((a·r)² − |r|² + S²)
    ar = float(anterior @ r)
    d = -ar + math.sqrt(max(ar * ar - float(r @ r) + SPINOUS_TO_TRANSVERSE_MM**2, 0.0))
    return base - d * anterior


def _box(centre: NDArray, axes: NDArray, half: tuple[float, float, float]) -> tuple[NDArray, NDArray]:
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
    vertices = centre + (signs * np.asarray(half)) @ axes
    faces = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return vertices, faces


def _bar(a: NDArray, b: NDArray, thickness: float, up: NDArray) -> tuple[NDArray, NDArray]:
    along = b - a
    length = float(np.linalg.norm(along))
    u = along / length
    v = np.cross(up, u)
    v = v / np.linalg.norm(v) if np.linalg.norm(v) > 1e-9 else np.cross(u, frames.X_ANTERIOR)
    w = np.cross(u, v)
    return _box(0.5 * (a + b), np.array([u, v, w]), (0.5 * length, 0.5 * thickness, 0.5 * thickness))


def _elliptic_cylinder(geometry: L5Geometry, segments: int = 32) -> tuple[NDArray, NDArray]:
    t = np.linspace(0.0, 2.0 * np.pi, segments, endpoint=False)
    ring = (0.5 * BODY_DEPTH_MM * np.cos(t))[:, None] * geometry.anterior + (0.5 * BODY_WIDTH_MM * np.sin(t))[:, None] * geometry.right
    half = 0.5 * BODY_HEIGHT_MM * geometry.up
    c = geometry.body_centre
    vertices = np.vstack([c - half + ring, c + half + ring, [c - half], [c + half]])
    faces = []
    n = segments
    for i in range(n):
        j = (i + 1) % n
        faces += [[i, j, n + j], [i, n + j, n + i], [2 * n, j, i], [2 * n + 1, n + i, n + j]]
    return vertices, np.array(faces)


def l5_mesh(geometry: L5Geometry) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """A simple closed-part triangle mesh of the L5 (body, pedicles, transverse and spinous processes).

    Returns
    -------
    vertices : ndarray (n, 3), mm, pelvic frame at neutral
    faces : ndarray (m, 3), counter-clockwise seen from outside
    """
    parts = [_elliptic_cylinder(geometry)]
    for side in ("right", "left"):
        parts.append(_bar(geometry.body_centre + (0.4 * BODY_WIDTH_MM * (1 if side == "right" else -1)) * geometry.right
                          - 0.3 * BODY_DEPTH_MM * geometry.anterior, geometry.transverse_root(side), 9.0, geometry.up))
        parts.append(_bar(geometry.transverse_root(side), geometry.transverse_tip(side), 7.0, geometry.up))
    lamina = 0.5 * (geometry.transverse_root_right + geometry.transverse_root_left)
    parts.append(_bar(geometry.transverse_root_right, geometry.transverse_root_left, 8.0, geometry.up))
    parts.append(_bar(lamina, geometry.spinous_tip, 9.0, geometry.up))
    from pelvisim.anatomy.surface import Surface

    vertices, faces, offset = [], [], 0
    for v, f in parts:
        f = Surface(v, f).outward().faces  # each part wound so its normals point outward
        vertices.append(v)
        faces.append(f + offset)
        offset += len(v)
    return np.vstack(vertices), np.vstack(faces).astype(np.int64)
