"""Run every landmark rule on a pelvis whose rough anterior and superior directions are known.

The rules themselves live in :mod:`pelvisim.anatomy.landmarks` and run in the pelvic frame; this
module finds that frame on bones given in any frame (the anterior pelvic plane and the PSIS, as the
bundled build does) and runs the rules on both sides: each per-side rule is written for the right
side and runs on the mirrored left bones, its result mirrored back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy import landmarks as rules
from pelvisim.anatomy.core import Landmark
from pelvisim.anatomy.surface import Surface
from pelvisim.errors import LandmarkError


@dataclass(frozen=True)
class PelvicFrame:
    """``T_pelvis_input`` and the anterior-pelvic-plane points, in the pelvic frame (mm)."""

    T_pelvis_input: frames.Transform
    asis_right: NDArray[np.float64]
    asis_left: NDArray[np.float64]
    pubic_right: NDArray[np.float64]
    pubic_left: NDArray[np.float64]


def find_pelvic_frame(right: Surface, left: Surface, anterior: NDArray, superior: NDArray) -> PelvicFrame:
    """The ISB pelvic frame of two innominates given in any frame (mm).

    Rule (as for the bundled bones): the anterior pelvic plane gives both ASIS (its tangent
    points, :func:`~pelvisim.anatomy.landmarks.anterior_pelvic_plane`, started from
    ``anterior`` / ``superior``); the PSIS are the most posterior points of the upper halves,
    which depends on the frame's "posterior", so the frame and the PSIS are iterated to a fixed
    point (:func:`~pelvisim.anatomy.landmarks.pelvic_frame_from_landmarks`).
    """
    app = rules.anterior_pelvic_plane(right, left, anterior, superior)
    z = rules._unit(app.asis_right - app.asis_left)
    x = app.normal - (app.normal @ z) * z
    x = rules._unit(x)
    T = frames.from_rt(np.array([x, np.cross(z, x), z]), np.zeros(3))
    for _ in range(10):
        back = frames.invert(T)
        psis_r = frames.apply(back, rules.psis_point(right.transformed(T)))
        psis_l = frames.apply(back, frames.mirror_points(rules.psis_point(left.transformed(T).mirrored())))
        T_new = rules.pelvic_frame_from_landmarks(app.asis_right, app.asis_left, psis_r, psis_l)
        done = np.allclose(T_new, T, atol=1e-10)
        T = T_new
        if done:
            break
    return PelvicFrame(T, frames.apply(T, app.asis_right), frames.apply(T, app.asis_left),
                       frames.apply(T, app.pubic_right), frames.apply(T, app.pubic_left))


def transformed_landmark(T: frames.Transform, lm: Landmark) -> Landmark:
    """The landmark moved by a rigid transform (its normal turned with it)."""
    normal = None if lm.normal is None else T[:3, :3] @ lm.normal
    return Landmark(lm.name, lm.bone, frames.apply(T, lm.position_mm), normal, lm.radius_mm, lm.area_mm2)


def _landmark(name: str, bone: str, found: rules.Found, mirror: bool) -> Landmark:
    side = frames.mirror_points if mirror else np.asarray
    normal = None if found.normal is None else side(found.normal)
    return Landmark(name, bone, side(found.position), normal, found.radius_mm, found.area_mm2)


def pelvis_landmarks(right: Surface, left: Surface, sacrum: Surface, frame: PelvicFrame,
                     auricular_gap_mm: dict[str, float], symphysis_gap_mm: float = 6.0) -> dict[str, Landmark]:
    """Every landmark of the sacrum and both innominates; bones already in the pelvic frame (mm).

    ``auricular_gap_mm`` gives, per side, how close the sacrum and ilium must come for a face to
    count as auricular surface (the bundled bones use 2 mm); ``symphysis_gap_mm`` the same for
    the two pubic bones (6 mm).
    """
    inter_asis = float(np.linalg.norm(frame.asis_right - frame.asis_left))
    psis_mid = (rules.psis_point(right) + frames.mirror_points(rules.psis_point(left.mirrored()))) / 2
    depth = float(np.linalg.norm(((frame.asis_right + frame.asis_left) / 2 - psis_mid)[:2]))
    inputs = {
        "right": (right, left, sacrum, frame.asis_right, frame.pubic_right),
        "left": (left.mirrored(), right.mirrored(), sacrum.mirrored(), frames.mirror_points(frame.asis_left),
                 frames.mirror_points(frame.pubic_left)),
    }
    out: dict[str, Landmark] = {}
    for side, (bone, other, sac, asis, pub) in inputs.items():
        mirror = side == "left"
        gap = auricular_gap_mm[side]
        found = rules.innominate_landmarks(bone, other, sac, asis, pub, inter_asis, depth, gap, symphysis_gap_mm)
        for name, f in found.items():
            key = (name.replace("auricular_innominate_", f"auricular_innominate_{side}_")
                   if name.startswith("auricular") else f"{name}_{side}")
            out[key] = _landmark(key, f"innominate_{side}", f, mirror)
        for name, f in rules.sacrum_landmarks(sac, bone, rules.psis_point(bone), gap).items():
            if "right" in name:
                key = name.replace("right", side)
                out[key] = _landmark(key, "sacrum", f, mirror)
            elif not mirror:
                out[name] = _landmark(name, "sacrum", f, False)
    return out


def femur_landmarks(femur: Surface, side: str, acetabulum_centre: NDArray) -> dict[str, Landmark]:
    """Femoral head centre and knee centre of one femur in the pelvic frame (rule on the right side)."""
    mirror = side == "left"
    bone = femur.mirrored() if mirror else femur
    seed = frames.mirror_points(acetabulum_centre) if mirror else acetabulum_centre
    try:
        found = rules.femur_landmarks(bone, seed)
    except (LandmarkError, ValueError, np.linalg.LinAlgError) as error:
        raise LandmarkError(f"femur_{side}: the femoral head could not be fitted ({error})") from None
    return {f"{name}_{side}": _landmark(f"{name}_{side}", f"femur_{side}", f, mirror) for name, f in found.items()}


def median_edge_mm(surface: Surface) -> float:
    """Median edge length of a surface, mm."""
    V, F = surface.vertices, surface.faces  # each inner edge twice: the same median, no edge table needed
    lengths = [np.linalg.norm(V[F[:, (k + 1) % 3]] - V[F[:, k]], axis=1) for k in range(3)]
    return float(np.median(np.concatenate(lengths)))


def densified(surface: Surface, median_edge_mm_at_most: float) -> Surface:
    """The same surface split 1-to-4 (edge mid-points) until its median edge is short enough.

    The new vertices lie on the old flat triangles, so the shape does not change: only the rules
    that look for vertices in a narrow band (a few mm) get enough of them on a coarse mesh.
    """
    for _ in range(4):  # at most 256× the triangles
        if median_edge_mm(surface) <= median_edge_mm_at_most:
            break
        F, E, FE = surface.faces, surface.edges, surface.face_edges
        n = len(surface.vertices)
        V = np.vstack([surface.vertices, surface.vertices[E].mean(axis=1)])
        m01, m02, m12 = (n + FE[:, k] for k in range(3))  # face_edges order: v0–v1, v0–v2, v1–v2
        a, b, c = F[:, 0], F[:, 1], F[:, 2]
        faces = np.vstack([np.column_stack([a, m01, m02]), np.column_stack([m01, b, m12]),
                           np.column_stack([m02, m12, c]), np.column_stack([m01, m12, m02])])
        surface = Surface(V, faces)
    return surface
