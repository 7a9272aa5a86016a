"""Small geometry helpers on triangle surfaces (numpy/scipy only)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from pelvisim import frames
from pelvisim.errors import MeshError, ParameterError


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
    def _edge_table(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Unique edges and, per face, the rows of its three edges (see :attr:`edges`)."""
        F = self.faces
        pairs = np.sort(np.stack([F[:, [0, 1]], F[:, [0, 2]], F[:, [1, 2]]], axis=1).reshape(-1, 2), axis=1)
        edges, inverse = np.unique(pairs, axis=0, return_inverse=True)
        return edges, inverse.reshape(-1, 3)

    @property
    def edges(self) -> NDArray[np.int64]:
        """Unique undirected edges, shape (n_edges, 2), lower vertex index first."""
        return self._edge_table[0]

    @property
    def face_edges(self) -> NDArray[np.int64]:
        """Row of :attr:`edges` of each face's edges (v0–v1, v0–v2, v1–v2), shape (n_faces, 3)."""
        return self._edge_table[1]

    @cached_property
    def edge_pseudo_normals(self) -> NDArray[np.float64]:
        """Unit sum of the normals of the faces sharing each edge (Bærentzen & Aanæs 2005)."""
        n = np.zeros((len(self.edges), 3))
        for k in range(3):
            np.add.at(n, self.face_edges[:, k], self.face_normals)
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)

    @cached_property
    def vertex_pseudo_normals(self) -> NDArray[np.float64]:
        """Angle-weighted unit vertex normals (Bærentzen & Aanæs 2005).

        With :attr:`edge_pseudo_normals` and :attr:`face_normals` these give the correct inside/outside
        sign of a point whose closest surface point is a vertex, an edge or a face interior.
        """
        v = self.vertices[self.faces]
        n = np.zeros_like(self.vertices)
        for k in range(3):
            e1, e2 = v[:, (k + 1) % 3] - v[:, k], v[:, (k + 2) % 3] - v[:, k]
            cos = np.einsum("ij,ij->i", e1, e2) / np.maximum(
                np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1), 1e-300)
            np.add.at(n, self.faces[:, k], self.face_normals * np.arccos(np.clip(cos, -1.0, 1.0))[:, None])
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)

    @cached_property
    def face_tree(self):
        """KD-tree (``scipy.spatial.cKDTree``) of the face centres."""
        from scipy.spatial import cKDTree

        return cKDTree(self.face_centres)

    @cached_property
    def edge_graph(self):
        """Sparse symmetric (n, n) matrix of edge lengths, mm (for geodesic distances along the mesh)."""
        from scipy.sparse import coo_matrix

        E = self.edges
        length = np.linalg.norm(self.vertices[E[:, 1]] - self.vertices[E[:, 0]], axis=1)
        n = len(self.vertices)
        return coo_matrix((np.concatenate([length, length]), (np.concatenate([E[:, 0], E[:, 1]]),
                                                               np.concatenate([E[:, 1], E[:, 0]]))),
                          shape=(n, n)).tocsr()

    @cached_property
    def signed_volume(self) -> float:
        """Enclosed volume, mm³; positive when the normals point outward."""
        v = self.vertices[self.faces]
        return float(np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum() / 6.0)

    def outward(self) -> Surface:
        """This surface with its faces wound so the normals point outward (positive volume)."""
        return self if self.signed_volume >= 0 else Surface(self.vertices, self.faces[:, ::-1].copy())

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
    them). The distance is negative inside the bone: its sign is taken against the angle-weighted
    pseudo-normal of the closest feature (face, edge or vertex), which is correct even where the
    closest point is a vertex or an edge (Bærentzen & Aanæs 2005).

    Parameters
    ----------
    points : (n, 3) array_like, mm
    surface : Surface
        A closed surface with outward normals.
    candidates : int
        How many nearest triangles (by centre) to test per point.

    Returns
    -------
    closest : (n, 3) ndarray, mm
    signed_distance : (n,) ndarray, mm
    """
    closest, signed, _, _ = _closest_features(points, surface, candidates)
    return closest, signed


# closest-feature codes returned by _closest_on_triangles (edges in the order of Surface.face_edges)
_FACE, _EDGE_AB, _EDGE_AC, _EDGE_BC, _VERTEX_A, _VERTEX_B, _VERTEX_C = range(7)


def _closest_features(points: NDArray, surface: Surface, candidates: int = 12
                      ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Closest point, signed distance, unit outward direction and the face it lies on.

    The direction is the unit vector from the closest point to the point, flipped for points inside;
    for points on the surface it is the feature's pseudo-normal.
    """
    P = np.atleast_2d(np.asarray(points, dtype=float))
    if len(P) == 0:
        return np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    k = min(candidates, len(surface.faces))
    _, idx = surface.face_tree.query(P, k=k)
    idx = idx.reshape(len(P), k)
    tri = surface.vertices[surface.faces[idx]]  # (n, k, 3, 3)
    closest, region = _closest_on_triangles(P[:, None, :], tri[..., 0, :], tri[..., 1, :], tri[..., 2, :])
    d = np.linalg.norm(closest - P[:, None, :], axis=2)
    best = np.argmin(d, axis=1)
    rows = np.arange(len(P))
    face = idx[rows, best]
    point_on, region, dist = closest[rows, best], region[rows, best], d[rows, best]
    normal = surface.face_normals[face]
    on_edge = (region >= _EDGE_AB) & (region <= _EDGE_BC)
    normal[on_edge] = surface.edge_pseudo_normals[surface.face_edges[face[on_edge], region[on_edge] - _EDGE_AB]]
    on_vertex = region >= _VERTEX_A
    normal[on_vertex] = surface.vertex_pseudo_normals[surface.faces[face[on_vertex], region[on_vertex] - _VERTEX_A]]
    offset = P - point_on
    sign = np.sign(np.einsum("ij,ij->i", offset, normal))
    sign[sign == 0] = 1.0
    tiny = dist < 1e-12
    outward = np.where(tiny[:, None], normal, sign[:, None] * offset / np.where(tiny, 1.0, dist)[:, None])
    return point_on, sign * dist, outward, face


def _closest_on_triangles(p: NDArray, a: NDArray, b: NDArray, c: NDArray) -> tuple[NDArray, NDArray]:
    """Closest point on triangles (a, b, c) to p, vectorised (Ericson, Real-Time Collision Detection §5.1.5).

    Returns the points and which feature they lie on: 0 face interior, 1–3 edges ab, ac, bc,
    4–6 vertices a, b, c.
    """
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
    region = np.full(result.shape[:-1], _FACE)
    # edge regions
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ab = np.clip(d1 / (d1 - d3), 0, 1)
        t_ac = np.clip(d2 / (d2 - d6), 0, 1)
        t_bc = np.clip((d4 - d3) / ((d4 - d3) + (d5 - d6)), 0, 1)
    for mask, point, code in (
        ((vc <= 0) & (d1 >= 0) & (d3 <= 0), a + ab * np.nan_to_num(t_ab)[..., None], _EDGE_AB),
        ((vb <= 0) & (d2 >= 0) & (d6 <= 0), a + ac * np.nan_to_num(t_ac)[..., None], _EDGE_AC),
        ((va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0), b + (c - b) * np.nan_to_num(t_bc)[..., None], _EDGE_BC),
        # vertex regions
        ((d1 <= 0) & (d2 <= 0), a, _VERTEX_A),
        ((d3 >= 0) & (d4 <= d3), b, _VERTEX_B),
        ((d6 >= 0) & (d5 <= d6), c, _VERTEX_C),
    ):
        result = np.where(mask[..., None], point, result)
        region = np.where(mask, code, region)
    return result, region


@dataclass(frozen=True)
class Separation:
    """Result of :func:`push_clear`: the moved surface and what was done to it.

    Attributes
    ----------
    surface : Surface
        The corrected surface (same faces, moved vertices).
    deepest_overlap_mm : float
        The deepest penetration before correction, either way round (a vertex of the surface inside
        another surface, or a vertex of another surface inside this one); 0 if none.
    largest_move_mm : float
        The largest vertex displacement applied.
    closest_approach_mm : float
        The smallest signed distance left, either way round, among vertices near the contacts.
    largest_face_turn_deg : float
        The largest change of a face's normal direction.
    iterations : int
        Correction passes applied.
    """

    surface: Surface
    deepest_overlap_mm: float
    largest_move_mm: float
    closest_approach_mm: float
    largest_face_turn_deg: float
    iterations: int


def push_clear(surface: Surface, others: list[Surface], clearance_mm: float, falloff_mm: float = 4.0,
               max_iterations: int = 30, tolerance_mm: float = 0.01) -> Separation:
    """Move ``surface`` away from ``others`` until it is at least ``clearance_mm`` from each of them.

    Only ``surface`` moves. Each pass finds, near the contacts (KD-tree prefilter):

    * vertices of ``surface`` closer than the clearance to (or inside) another surface: each is moved
      to the point at ``clearance_mm`` along the other surface's outward direction at its closest
      point;
    * vertices of another surface closer than the clearance to (or inside) ``surface``: the three
      vertices of the closest triangle of ``surface`` are moved along the other surface's outward
      vertex normal there, by the missing clearance (later passes finish the job if the two
      directions differ).

    Moving along the *other* surface's normal, not this surface's own, keeps sharp ridges of
    ``surface`` from folding over (an inward offset along its own normals folds wherever the push
    exceeds the local radius of curvature, and then pushes the folded part the wrong way). Each displacement is spread over the neighbouring
    vertices within ``falloff_mm`` (geodesic, along the mesh edges) with a raised-cosine weight; where
    spreads overlap, the largest wins. Passes repeat until no vertex is closer than the clearance
    (less ``tolerance_mm``).

    Parameters
    ----------
    surface : Surface
        The surface to move (closed, outward normals).
    others : list of Surface
        Surfaces that stay where they are.
    clearance_mm : float
        Gap to leave, mm (> 0).
    falloff_mm : float
        Radius over which each move fades to zero, mm.
    max_iterations : int
        Give up (``MeshError``) after this many passes.
    tolerance_mm : float
        How far below the clearance still counts as clear, mm.

    Returns
    -------
    Separation

    Raises
    ------
    MeshError
        If the surfaces are still closer than the clearance after ``max_iterations`` passes, or a
        face of ``surface`` was turned inside out (folded).
    """
    from scipy.spatial import cKDTree

    if clearance_mm <= 0 or falloff_mm <= 0:
        raise ParameterError(f"clearance and falloff must be > 0 mm, got {clearance_mm} and {falloff_mm}")
    faces = surface.faces
    V = surface.vertices.copy()
    reach = clearance_mm + 2.0 * max(_longest_edge(s) for s in [surface, *others])
    other_trees = [cKDTree(other.vertices) for other in others]  # the others never move
    deepest = 0.0
    closest_left = np.inf
    for iteration in range(max_iterations + 1):
        current = Surface(V, faces)
        targets_idx: list[NDArray] = []
        targets_move: list[NDArray] = []
        closest_left = np.inf
        for other, other_tree in zip(others, other_trees):
            # vertices of this surface near the other one
            near = np.flatnonzero(np.isfinite(other_tree.query(V, distance_upper_bound=reach)[0]))
            point_on, signed, outward, _ = _closest_features(V[near], other)
            if iteration == 0:
                deepest = max(deepest, float(-signed.min(initial=0.0)))
            closest_left = min(closest_left, float(signed.min(initial=np.inf)))
            bad = signed < clearance_mm - tolerance_mm
            targets_idx.append(near[bad])
            targets_move.append(point_on[bad] + clearance_mm * outward[bad] - V[near[bad]])
            # vertices of the other surface near this one
            near_o = np.flatnonzero(np.isfinite(cKDTree(V).query(other.vertices, distance_upper_bound=reach)[0]))
            point_on, signed, outward, face = _closest_features(other.vertices[near_o], current)
            if iteration == 0:
                deepest = max(deepest, float(-signed.min(initial=0.0)))
            closest_left = min(closest_left, float(signed.min(initial=np.inf)))
            bad = signed < clearance_mm - tolerance_mm
            if bad.any():
                # along the other surface's normal at its vertex, like the moves above: this surface's
                # own normal would fold its sharp ridges
                move = (clearance_mm - signed[bad])[:, None] * other.vertex_pseudo_normals[near_o[bad]]
                targets_idx.append(faces[face[bad]].ravel())
                targets_move.append(np.repeat(move, 3, axis=0))
        idx = np.concatenate(targets_idx)
        if len(idx) == 0:
            break
        if iteration == max_iterations:
            raise MeshError(f"surfaces still closer than {clearance_mm} mm after {max_iterations} passes "
                            f"({len(np.unique(idx))} vertices; closest {closest_left:.3f} mm)")
        V = V + _spread(current, idx, np.concatenate(targets_move), falloff_mm)
    moved = Surface(V, faces)
    turn = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", moved.face_normals, surface.face_normals), -1, 1)))
    if turn.max() > 90.0:
        raise MeshError(f"moving the surface clear folded {int((turn > 90).sum())} faces over")
    return Separation(moved, deepest, float(np.linalg.norm(V - surface.vertices, axis=1).max()),
                      float(closest_left), float(turn.max()), iteration)


def _longest_edge(surface: Surface) -> float:
    E = surface.edges
    return float(np.linalg.norm(surface.vertices[E[:, 1]] - surface.vertices[E[:, 0]], axis=1).max())


def _spread(surface: Surface, idx: NDArray, move: NDArray, falloff_mm: float) -> NDArray[np.float64]:
    """Displacement of every vertex: the moves at ``idx`` faded out over ``falloff_mm`` along the mesh.

    Where a vertex has several moves (or lies within reach of several), the largest weighted one wins.
    """
    from scipy.sparse.csgraph import dijkstra

    # one move per vertex: the largest
    size = np.linalg.norm(move, axis=1)
    order = np.lexsort((size, idx))
    idx, move, size = idx[order], move[order], size[order]
    last = np.r_[idx[1:] != idx[:-1], True]
    idx, move, size = idx[last], move[last], size[last]
    # vertices within the falloff of any moved vertex, then geodesic distances inside that region
    graph = surface.edge_graph
    reach = np.isfinite(dijkstra(graph, directed=False, indices=idx, limit=falloff_mm, min_only=True))
    region = np.flatnonzero(reach)
    local = np.full(len(surface.vertices), -1)
    local[region] = np.arange(len(region))
    dist = dijkstra(graph[region][:, region], directed=False, indices=local[idx], limit=falloff_mm)
    weight = np.where(np.isfinite(dist), 0.5 * (1.0 + np.cos(np.pi * np.minimum(dist, falloff_mm) / falloff_mm)), 0.0)
    best = np.argmax(weight * size[:, None], axis=0)
    out = np.zeros_like(surface.vertices)
    out[region] = move[best] * weight[best, np.arange(len(region))][:, None]
    return out


# Three ray directions with no simple ratios between their components, so that rays from points with
# round coordinates do not run exactly through the edges of meshes with round coordinates.
_RAY_DIRECTIONS = np.array([[0.41218, 0.57735, 0.70484], [-0.65270, 0.27104, 0.70744], [0.33682, -0.86603, 0.36954]])


def contains(surface: Surface, points: NDArray, direction: NDArray | None = None) -> NDArray[np.bool_]:
    """True for points inside a closed surface (parity of ray crossings, Möller–Trumbore).

    Independent of the surface's normals and of any distance computation. By default the parity is
    taken along three rays and the majority wins, so a ray that grazes an edge (and counts it twice
    or not at all) cannot flip the answer. Only the triangles whose projection along the ray could
    contain the point are tested (KD-tree of the projected centres, searched within the largest
    projected triangle radius), so the test is exact and fast.

    Parameters
    ----------
    surface : Surface
        A closed surface.
    points : (n, 3) array_like, mm
    direction : (3,) array_like, optional
        Use this one ray direction instead of the majority of three.

    Returns
    -------
    (n,) ndarray of bool
    """
    if direction is None:
        votes = sum(_ray_parity(surface, points, d).astype(int) for d in _RAY_DIRECTIONS)
        return votes >= 2
    return _ray_parity(surface, points, np.asarray(direction, dtype=float))


def _ray_parity(surface: Surface, points: NDArray, direction: NDArray) -> NDArray[np.bool_]:
    """Odd number of crossings of the ray from each point along ``direction``."""
    n, point, _ = _ray_hits(surface, points, direction)
    return (np.bincount(point, minlength=n) % 2).astype(bool)


def _ray_hits(surface: Surface, points: NDArray, direction: NDArray) -> tuple[int, NDArray[np.int64], NDArray[np.float64]]:
    """Every crossing of the rays from ``points`` along ``direction``: (number of points, point index, distance)."""
    P = np.atleast_2d(np.asarray(points, dtype=float))
    d = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
    # project along the ray: a triangle can only be hit if its projection contains the point's
    e1 = np.cross(d, [1.0, 0.0, 0.0] if abs(d[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    basis = np.array([e1, np.cross(d, e1)]).T
    tri = surface.vertices[surface.faces]
    point, face = _pairs_in_grid(tri @ basis, P @ basis)
    u, v, t = _ray_triangle(P[point], np.broadcast_to(d, (len(point), 3)), tri[face])
    hits = (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
    return len(P), point[hits], t[hits]


def _pairs_in_grid(flat: NDArray, q: NDArray) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(point, triangle) pairs whose 2-D bounding box (``flat``: (m, 3, 2)) contains the point (``q``: (n, 2)).

    Exact and conservative: each triangle is listed in every cell of a uniform grid its box touches,
    and each point is looked up in its own cell (``floor`` keeps both on the same side of a cell edge).
    """
    lo, hi = flat.min(axis=1), flat.max(axis=1)
    cell = max(float(np.median((hi - lo).max(axis=1))), 1e-9)
    origin = lo.min(axis=0)
    i0 = np.floor((lo - origin) / cell).astype(np.int64)
    i1 = np.floor((hi - origin) / cell).astype(np.int64)
    n_rows = int(i1[:, 1].max()) + 1
    span = i1 - i0 + 1
    count = span[:, 0] * span[:, 1]
    tri = np.repeat(np.arange(len(flat)), count)
    k = np.arange(len(tri)) - np.repeat(np.cumsum(count) - count, count)
    key = (i0[tri, 0] + k % span[tri, 0]) * n_rows + i0[tri, 1] + k // span[tri, 0]
    order = np.argsort(key, kind="stable")
    key, tri = key[order], tri[order]
    cell_of = np.floor((q - origin) / cell).astype(np.int64)
    inside = (cell_of >= 0).all(axis=1) & (cell_of[:, 0] <= i1[:, 0].max()) & (cell_of[:, 1] < n_rows)
    qkey = np.where(inside, cell_of[:, 0] * n_rows + cell_of[:, 1], -1)
    first, last = np.searchsorted(key, qkey, "left"), np.searchsorted(key, qkey, "right")
    n = np.where(inside, last - first, 0)
    point = np.repeat(np.arange(len(q)), n)
    offset = np.arange(len(point)) - np.repeat(np.cumsum(n) - n, n)
    return point, tri[np.repeat(first, n) + offset]


def crossing_edges(surface: Surface, other: Surface) -> NDArray[np.bool_]:
    """True for each edge of ``surface`` that passes through a triangle of ``other``.

    Two triangle meshes in general position intersect exactly when an edge of one crosses a triangle
    of the other (either way round), so ``crossing_edges(a, b)`` and ``crossing_edges(b, a)`` both all-False, together with
    no vertex of either inside the other (:func:`contains`), mean no interpenetration at all.

    Parameters
    ----------
    surface, other : Surface

    Returns
    -------
    (n_edges,) ndarray of bool, aligned with ``surface.edges``
    """
    E = surface.edges
    start, end = surface.vertices[E[:, 0]], surface.vertices[E[:, 1]]
    mid, half = (start + end) / 2, np.linalg.norm(end - start, axis=1) / 2
    tri = other.vertices[other.faces]
    tri_radius = float(np.linalg.norm(tri - other.face_centres[:, None, :], axis=2).max())
    crossing = np.zeros(len(E), dtype=bool)
    # only edges whose bounding sphere can reach a triangle of the other surface
    reach = half.max() + tri_radius
    near = np.flatnonzero(np.isfinite(other.face_tree.query(mid, distance_upper_bound=reach)[0]))
    if len(near) == 0:
        return crossing
    pairs = other.face_tree.query_ball_point(mid[near], r=half[near] + tri_radius + 1e-9)
    counts = np.fromiter((len(c) for c in pairs), dtype=np.int64, count=len(near))
    if counts.sum() == 0:
        return crossing
    edge = np.repeat(near, counts)
    face = np.concatenate([np.asarray(c, dtype=np.int64) for c in pairs])
    u, v, t = _ray_triangle(start[edge], end[edge] - start[edge], tri[face])
    hits = (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0) & (t <= 1)
    crossing[edge[hits]] = True
    return crossing


def _ray_triangle(origin: NDArray, direction: NDArray, tri: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Möller–Trumbore for pairs: barycentric (u, v) of the hit and ray parameter t (NaN if parallel)."""
    a, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    h = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, h)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), np.nan)
    s = origin - a
    u = np.einsum("ij,ij->i", s, h) * inv
    q = np.cross(s, e1)
    v = np.einsum("ij,ij->i", direction, q) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    return u, v, t


def first_hit_distance(surface: Surface, points: NDArray, direction: NDArray) -> NDArray[np.float64]:
    """Distance from each point along ``direction`` to the first triangle of ``surface`` it meets (mm).

    ``inf`` where the ray from the point meets nothing. For a point inside a closed surface this is
    how far it must travel along ``direction`` to get out.

    Parameters
    ----------
    surface : Surface
    points : (n, 3) array_like, mm
    direction : (3,) array_like
        Need not be a unit vector.
    """
    n, point, t = _ray_hits(surface, points, direction)
    out = np.full(n, np.inf)
    np.minimum.at(out, point, t)
    return out
