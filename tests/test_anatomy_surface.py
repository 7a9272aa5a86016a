"""Surface geometry helpers against analytic shapes: signed distance, inside test, edge crossings,
and moving one surface clear of another (the SIJ joint-space step of the mesh build)."""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim.anatomy.build import check_disjoint
from pelvisim.anatomy.surface import Surface, closest_points_on_surface, contains, crossing_edges, push_clear
from pelvisim.errors import MeshError, ParameterError


def box(lo, hi, n: int = 1) -> Surface:
    """Closed box from corner ``lo`` to ``hi``, each face an n × n grid of split quads, normals outward."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    g = np.linspace(0.0, 1.0, n + 1)
    U, W = np.meshgrid(g, g, indexing="ij")
    vertices, faces = [], []
    for axis in range(3):
        u_ax, v_ax = [a for a in range(3) if a != axis]
        for side, outward in ((lo, -1.0), (hi, 1.0)):
            P = np.zeros((n + 1, n + 1, 3))
            P[..., axis] = side[axis]
            P[..., u_ax] = lo[u_ax] + U * (hi - lo)[u_ax]
            P[..., v_ax] = lo[v_ax] + W * (hi - lo)[v_ax]
            ids = sum(len(v) for v in vertices) + np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
            a, b, c, d = ids[:-1, :-1], ids[1:, :-1], ids[1:, 1:], ids[:-1, 1:]
            tris = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
            # turn the face's triangles outward (checked on the first one)
            flat = P.reshape(-1, 3)
            t = flat[tris[0] - ids[0, 0]]
            if np.cross(t[1] - t[0], t[2] - t[0])[axis] * outward < 0:
                tris = tris[:, ::-1]
            vertices.append(flat)
            faces.append(tris)
    V = np.concatenate(vertices)
    welded, inverse = np.unique(np.round(V, 9), axis=0, return_inverse=True)
    F = inverse.ravel()[np.concatenate(faces)]
    surface = Surface(welded, F)
    assert surface.signed_volume > 0
    return surface


def box_signed_distance(points, lo, hi) -> np.ndarray:
    """Exact signed distance to an axis-aligned box (negative inside)."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    q = np.abs(points - (lo + hi) / 2) - (hi - lo) / 2
    return np.linalg.norm(np.maximum(q, 0.0), axis=1) + np.minimum(q.max(axis=1), 0.0)


REGULAR_TETRAHEDRON = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]]) * 5.0


def tetrahedron(V: np.ndarray = REGULAR_TETRAHEDRON) -> tuple[Surface, np.ndarray, np.ndarray]:
    """A tetrahedron (the regular one has sharp edges: neighbouring face normals 109° apart) and its
    outward face planes (unit normals n, offsets c: inside where n·x < c for all four)."""
    F = np.array([[0, 1, 2], [0, 3, 1], [0, 2, 3], [1, 3, 2]])
    surface = Surface(V, F).outward()
    # each face's outward plane from the opposite vertex (independent of the mesh's normals)
    normals, offsets = [], []
    for k in range(4):
        others = np.delete(V, k, axis=0)
        n = np.cross(others[1] - others[0], others[2] - others[0])
        n *= np.sign(n @ (others[0] - V[k]))
        n /= np.linalg.norm(n)
        normals.append(n)
        offsets.append(n @ others[0])
    return surface, np.array(normals), np.array(offsets)


def test_signed_distance_to_a_box_is_exact_inside_and_out():
    lo, hi = (-3.0, -2.0, -1.0), (3.0, 2.0, 1.0)
    surface = box(lo, hi, n=2)
    P = np.random.default_rng(1).uniform(-6, 6, size=(2000, 3))
    _, signed = closest_points_on_surface(P, surface, candidates=len(surface.faces))
    np.testing.assert_allclose(signed, box_signed_distance(P, lo, hi), atol=1e-9)


def test_signed_distance_sign_is_right_next_to_sharp_edges_and_corners():
    """Outside a sharp edge the point can lie behind one of the two faces' planes; the sign must still be +."""
    surface, normals, offsets = tetrahedron()
    rng = np.random.default_rng(2)
    # points scattered around the edges and corners, where a face-normal sign goes wrong
    ends = surface.vertices[surface.edges]
    t = rng.uniform(0, 1, size=(3000, 1))
    on_edges = ends[rng.integers(len(ends), size=3000)]
    P = on_edges[:, 0] + t * (on_edges[:, 1] - on_edges[:, 0]) + rng.normal(scale=1.5, size=(3000, 3))
    inside = (P @ normals.T < offsets).all(axis=1)
    _, signed = closest_points_on_surface(P, surface, candidates=4)
    assert inside.sum() > 100 and (~inside).sum() > 100
    np.testing.assert_array_equal(signed < 0, inside)


def test_contains_matches_analytic_shapes_whatever_the_ray():
    rng = np.random.default_rng(3)
    lo, hi = (-3.0, -2.0, -1.0), (3.0, 2.0, 1.0)
    cube = box(lo, hi, n=3)
    tet, normals, offsets = tetrahedron()
    P = rng.uniform(-7, 7, size=(3000, 3))
    for direction in (None, *rng.normal(size=(3, 3))):
        kw = {} if direction is None else {"direction": direction}
        np.testing.assert_array_equal(contains(cube, P, **kw), box_signed_distance(P, lo, hi) < 0)
        np.testing.assert_array_equal(contains(tet, P, **kw), (P @ normals.T < offsets).all(axis=1))


def test_crossing_edges_finds_bars_crossing_with_no_vertex_inside():
    """A '+' of two bars: no vertex of either inside the other, yet they interpenetrate."""
    bar_x = box((-10, -1, -1), (10, 1, 1))
    bar_y = box((-1, -10, -0.5), (1, 10, 0.5))
    assert not contains(bar_x, bar_y.vertices).any() and not contains(bar_y, bar_x.vertices).any()
    assert crossing_edges(bar_y, bar_x).any()
    with pytest.raises(MeshError, match="interpenetrate"):
        check_disjoint(bar_x, bar_y, "bars")
    apart = Surface(bar_y.vertices + [0.0, 0.0, 1.6], bar_y.faces)
    assert not crossing_edges(apart, bar_x).any() and not crossing_edges(bar_x, apart).any()
    check_disjoint(bar_x, apart, "bars")


def rotated_cube_ridge(depth: float) -> tuple[Surface, Surface, tuple, tuple]:
    """A finely meshed cube turned 45° about z, one edge (a 90° ridge) ``depth`` mm into a wall at x ≥ 0."""
    cube = box((-5, -5, -5), (5, 5, 5), n=10)
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    V = cube.vertices @ R.T
    V[:, 0] += depth - V[:, 0].max()
    wall_lo, wall_hi = (0.0, -20.0, -20.0), (20.0, 20.0, 20.0)
    return Surface(V, cube.faces), box(wall_lo, wall_hi, n=2), wall_lo, wall_hi


def test_push_clear_moves_a_sharp_ridge_out_of_a_wall_without_folding():
    moving, wall, lo, hi = rotated_cube_ridge(depth=1.0)
    assert (box_signed_distance(moving.vertices, lo, hi) < 0).sum() > 5
    result = push_clear(moving, [wall], clearance_mm=0.3, falloff_mm=4.0)
    V = result.surface.vertices
    # clear of the wall by the clearance (exact box distance), checked both ways and by edges
    assert box_signed_distance(V, lo, hi).min() >= 0.3 - 0.011
    assert not contains(result.surface, wall.vertices).any()
    check_disjoint(result.surface, wall, "ridge and wall")
    # the ridge had to go back by at least depth + clearance, and nothing folded
    assert result.largest_move_mm >= 1.3 - 0.011
    assert result.deepest_overlap_mm == pytest.approx(1.0, abs=1e-9)
    turn = np.einsum("ij,ij->i", result.surface.face_normals, moving.face_normals)
    assert turn.min() > 0 and result.surface.signed_volume > 0
    # far from the contact nothing moved
    far = moving.vertices[:, 0] < -(1.0 + 4.0 + 0.5)
    np.testing.assert_array_equal(V[far], moving.vertices[far])


def fin(tip_x: float, half_thickness: float = 0.6) -> Surface:
    """A thin plate in the xz-plane with a rounded edge (radius ``half_thickness``) whose tip is at x = ``tip_x``.

    Like the rims of the mean sacral auricular surface, the edge's radius is smaller than the push
    it needs to clear a wall: moving its vertices along their own normals would make the two sides
    of the plate cross.
    """
    r = half_thickness
    arc = np.linspace(-np.pi / 2, np.pi / 2, 13)
    back = np.linspace(-8.0, 0.0, 21)
    loop = np.concatenate([np.column_stack([back, np.full_like(back, -r)])[:-1],
                           np.column_stack([r * np.cos(arc), r * np.sin(arc)]),
                           np.column_stack([back[::-1], np.full_like(back, r)])[1:-1]])  # counter-clockwise
    loop[:, 0] += tip_x - r
    zs = np.linspace(-4.0, 4.0, 17)
    m = len(loop)
    V = np.concatenate([np.column_stack([loop, np.full(m, z)]) for z in zs]
                       + [[[*loop.mean(axis=0), zs[0]], [*loop.mean(axis=0), zs[-1]]]])
    faces = []
    for k in range(len(zs) - 1):
        i, j = k * m + np.arange(m), k * m + (np.arange(m) + 1) % m
        faces += [np.column_stack([i, j, j + m]), np.column_stack([i, j + m, i + m])]
    bottom, top = len(V) - 2, len(V) - 1
    ring = np.arange(m)
    faces += [np.column_stack([np.full(m, bottom), (ring + 1) % m, ring]),
              np.column_stack([np.full(m, top), (len(zs) - 1) * m + ring, (len(zs) - 1) * m + (ring + 1) % m])]
    surface = Surface(V, np.concatenate(faces))
    assert surface.signed_volume > 0
    return surface


def test_push_clear_shortens_a_thin_rounded_rim_instead_of_folding_it():
    plate = fin(tip_x=1.0)
    lo, hi = (0.0, -20.0, -20.0), (20.0, 20.0, 20.0)
    wall = box(lo, hi, n=2)
    result = push_clear(plate, [wall], clearance_mm=0.3, falloff_mm=4.0)
    assert box_signed_distance(result.surface.vertices, lo, hi).min() >= 0.3 - 0.011
    check_disjoint(result.surface, wall, "plate and wall")
    turn = np.einsum("ij,ij->i", result.surface.face_normals, plate.face_normals)
    assert turn.min() > 0 and result.surface.signed_volume > 0
    # the two sides of the plate stay apart: the rim moved back, it did not get thinner
    sides = np.abs(plate.vertices[:, 1]) > 0.59
    np.testing.assert_allclose(np.abs(result.surface.vertices[sides, 1]), 0.6, atol=1e-9)


def test_push_clear_dents_a_face_that_a_corner_pokes_into_between_its_vertices():
    """The other surface's vertex is inside this one although none of this one's vertices is inside it."""
    slab = box((-6, -6, -4), (6, 6, 0), n=3)   # top-face vertices at x, y = ±2, ±6 mm
    # a spike standing on its tip, the tip 0.6 mm into the slab in the middle of a grid cell
    spike, _, _ = tetrahedron(np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 6.0], [-1.5, 2.6, 6.0], [-1.5, -2.6, 6.0]])
                              + [0.0, 0.0, -0.6])
    corner = 0
    assert contains(slab, spike.vertices).sum() == 1 and not contains(spike, slab.vertices).any()
    result = push_clear(slab, [spike], clearance_mm=0.3, falloff_mm=4.0)
    check_disjoint(result.surface, spike, "slab and spike")
    assert closest_points_on_surface(spike.vertices[[corner]], result.surface,
                                     candidates=len(slab.faces))[1][0] >= 0.3 - 0.011
    assert result.deepest_overlap_mm == pytest.approx(0.6, abs=1e-9)
    turn = np.einsum("ij,ij->i", result.surface.face_normals, slab.face_normals)
    assert turn.min() > 0


def test_push_clear_leaves_surfaces_that_are_already_apart_alone():
    moving, wall, _, _ = rotated_cube_ridge(depth=-2.0)
    result = push_clear(moving, [wall], clearance_mm=0.3)
    np.testing.assert_array_equal(result.surface.vertices, moving.vertices)
    assert result.iterations == 0 and result.largest_move_mm == 0 and result.deepest_overlap_mm == 0


def test_push_clear_reports_failure_instead_of_returning_overlapping_bones():
    moving, wall, _, _ = rotated_cube_ridge(depth=1.0)
    with pytest.raises(MeshError, match="still closer"):
        push_clear(moving, [wall], clearance_mm=0.3, max_iterations=0)
    with pytest.raises(ParameterError):
        push_clear(moving, [wall], clearance_mm=0.0)
