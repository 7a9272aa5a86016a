"""Small geometry helpers on triangle surfaces (numpy/scipy only)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from pelvisim import frames


@dataclass(frozen=True, eq=False)
class Surface:
    """A triangle mesh with derived normals and areas (read-only by convention)."""

    vertices: NDArray[np.float64]
    faces: NDArray[np.int64]

    @cached_property
    def face_normals(self) -> NDArray[np.float64]:
        """Unit normal of each face (right-hand rule on the vertex order)."""
        v = self.vertices[self.faces]
        n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)

    @cached_property
    def face_areas(self) -> NDArray[np.float64]:
        """Area of each face, mm²."""
        v = self.vertices[self.faces]
        return 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)

    @cached_property
    def face_centres(self) -> NDArray[np.float64]:
        """Centroid of each face."""
        return self.vertices[self.faces].mean(axis=1)

    @cached_property
    def vertex_normals(self) -> NDArray[np.float64]:
        """Area-weighted unit vertex normals."""
        n = np.zeros_like(self.vertices)
        weighted = self.face_normals * self.face_areas[:, None]
        for k in range(3):
            np.add.at(n, self.faces[:, k], weighted)
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)

    @cached_property
    def signed_volume(self) -> float:
        """Enclosed volume, mm³; positive when the normals point outward."""
        v = self.vertices[self.faces]
        return float(np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum() / 6.0)

    def transformed(self, T: NDArray) -> Surface:
        """The surface moved by a rigid transform."""
        return Surface(frames.apply(T, self.vertices), self.faces)

    def mirrored(self) -> Surface:
        """The mirror image (z -> -z), with the face order flipped so normals stay outward."""
        return Surface(frames.mirror_points(self.vertices), self.faces[:, ::-1].copy())

    def nearest_vertex(self, point: NDArray) -> NDArray[np.float64]:
        """The vertex closest to ``point``."""
        return self.vertices[int(np.argmin(np.linalg.norm(self.vertices - point, axis=1)))]


def fit_sphere(points: NDArray) -> tuple[NDArray[np.float64], float, float]:
    """Least-squares sphere through ``points`` (n, 3): centre, radius and RMS residual (mm)."""
    P = np.asarray(points, dtype=float)
    A = np.column_stack([2 * P, np.ones(len(P))])
    b = (P**2).sum(axis=1)
    sol, *_ = np.linalg.lstsq(A, b, rcond=None)
    centre0 = sol[:3]
    radius0 = float(np.sqrt(sol[3] + centre0 @ centre0))

    def residual(x: NDArray) -> NDArray:
        return np.linalg.norm(P - x[:3], axis=1) - x[3]

    fit = least_squares(residual, np.append(centre0, radius0))
    centre, radius = fit.x[:3], float(fit.x[3])
    return centre, radius, float(np.sqrt(np.mean(fit.fun**2)))


def closest_points_on_surface(points: NDArray, surface: Surface, candidates: int = 12) -> tuple[NDArray, NDArray]:
    """Exact closest point on ``surface`` for each of ``points`` and its signed distance (mm).

    Candidate triangles are the ones whose centres are nearest to each point (``candidates`` of
    them); the distance is negative when the point lies behind the closest triangle's outward
    face, i.e. inside the bone.
    """
    from scipy.spatial import cKDTree

    P = np.asarray(points, dtype=float)
    _, idx = cKDTree(surface.face_centres).query(P, k=candidates)
    tri = surface.vertices[surface.faces[idx]]  # (n, k, 3, 3)
    closest = _closest_on_triangles(P[:, None, :], tri[..., 0, :], tri[..., 1, :], tri[..., 2, :])
    d = np.linalg.norm(closest - P[:, None, :], axis=2)
    best = np.argmin(d, axis=1)
    rows = np.arange(len(P))
    point_on = closest[rows, best]
    normal = surface.face_normals[idx[rows, best]]
    sign = np.sign(np.einsum("ij,ij->i", P - point_on, normal))
    sign[sign == 0] = 1.0
    return point_on, sign * d[rows, best]


def _closest_on_triangles(p: NDArray, a: NDArray, b: NDArray, c: NDArray) -> NDArray:
    """Closest point on triangles (a, b, c) to p, vectorised (Ericson, Real-Time Collision Detection §5.1.5)."""
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = np.einsum("...i,...i", ab, ap), np.einsum("...i,...i", ac, ap)
    bp = p - b
    d3, d4 = np.einsum("...i,...i", ab, bp), np.einsum("...i,...i", ac, bp)
    cp = p - c
    d5, d6 = np.einsum("...i,...i", ab, cp), np.einsum("...i,...i", ac, cp)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    denom = np.where(va + vb + vc == 0, 1.0, va + vb + vc)
    v = vb / denom
    w = vc / denom
    result = a + ab * v[..., None] + ac * w[..., None]  # inside the face
    # edge regions
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ab = np.clip(d1 / (d1 - d3), 0, 1)
        t_ac = np.clip(d2 / (d2 - d6), 0, 1)
        t_bc = np.clip((d4 - d3) / ((d4 - d3) + (d5 - d6)), 0, 1)
    on_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    on_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    on_bc = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    result = np.where(on_ab[..., None], a + ab * np.nan_to_num(t_ab)[..., None], result)
    result = np.where(on_ac[..., None], a + ac * np.nan_to_num(t_ac)[..., None], result)
    result = np.where(on_bc[..., None], b + (c - b) * np.nan_to_num(t_bc)[..., None], result)
    # vertex regions
    result = np.where(((d1 <= 0) & (d2 <= 0))[..., None], a, result)
    result = np.where(((d3 >= 0) & (d4 <= d3))[..., None], b, result)
    result = np.where(((d6 >= 0) & (d5 <= d6))[..., None], c, result)
    return result


def vertex_neighbours(surface: Surface):
    """Sparse (n, n) row-normalised adjacency matrix of the mesh's vertices."""
    from scipy.sparse import coo_matrix

    F = surface.faces
    rows = np.concatenate([F[:, 0], F[:, 1], F[:, 2], F[:, 1], F[:, 2], F[:, 0]])
    cols = np.concatenate([F[:, 1], F[:, 2], F[:, 0], F[:, 0], F[:, 1], F[:, 2]])
    n = len(surface.vertices)
    A = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    A.data[:] = 1.0
    degree = np.asarray(A.sum(axis=1)).ravel()
    return A.multiply(1.0 / np.maximum(degree, 1)[:, None]).tocsr()


def recess_overlap(surface: Surface, others: list[Surface], clearance_mm: float, falloff_rings: int = 4,
                   iterations: int = 4) -> tuple[Surface, float, float]:
    """Move ``surface`` inward where it overlaps ``others`` (or is closer than ``clearance_mm``).

    Each vertex closer than the clearance is pushed along its inward normal by the missing
    amount; the push is spread over ``falloff_rings`` rings of neighbours so no crease appears.

    Returns
    -------
    surface : Surface
        The corrected surface.
    worst_overlap_mm : float
        The deepest overlap before correction (positive = penetration depth).
    largest_move_mm : float
        The largest vertex displacement applied.
    """
    neighbours = vertex_neighbours(surface)
    V = surface.vertices.copy()
    worst = 0.0
    total = np.zeros(len(V))
    for it in range(iterations):
        current = Surface(V, surface.faces)
        need = np.zeros(len(V))
        for other in others:
            _, signed = closest_points_on_surface(V, other)
            if it == 0:
                worst = max(worst, float(-signed.min()))
            need = np.maximum(need, clearance_mm - signed)
        need = np.maximum(need, 0.0)
        if need.max() <= 1e-6:
            break
        spread = need.copy()
        for _ in range(falloff_rings):
            spread = np.maximum(need, neighbours @ spread)
        V = V - current.vertex_normals * spread[:, None]
        total += spread
    return Surface(V, surface.faces), worst, float(total.max())


def contains(surface: Surface, points: NDArray, direction: NDArray = np.array([0.5773, 0.5774, 0.5773])) -> NDArray[np.bool_]:
    """True for points inside a closed surface (parity of ray crossings, Möller–Trumbore)."""
    P = np.atleast_2d(np.asarray(points, dtype=float))
    tri = surface.vertices[surface.faces]
    a, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    d = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
    h = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, h)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    inside = np.zeros(len(P), dtype=bool)
    for k, p in enumerate(P):
        s = p - a
        u = np.einsum("ij,ij->i", s, h) * inv
        q = np.cross(s, e1)
        v = (q @ d) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        hits = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        inside[k] = bool(hits.sum() % 2)
    return inside

