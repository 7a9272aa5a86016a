"""Two repairs a shape-model reconstruction needs before the bundled pipeline can take it.

The LLP26 shape model reproduces each of its 26 subjects from the subject's own fitted mesh, and
those fits carry two artefacts the mean hides (both measured over all 26 in ``docs/population.md``):

1. **Folds.** At sharp rims (sacral ala, auricular rims, sacral apex) neighbouring element nodes of
   a subject pass each other, so the surface crosses itself in small pleats: most raw sacra
   self-intersect somewhere, and shape modes at ±2 SD do too. :func:`unfold` smooths each bone's
   node displacement from the mean with a Gaussian in space (σ = :data:`FOLD_SMOOTHING_MM`), within
   that bone only, then smooths again near them (fading out over :data:`UNFOLD_REACH_MM`), pass after pass, wherever a face still points more than
   :data:`FOLD_TURN_DEG` away from the same face of the mean (a pleat turns faces over). The mean
   has no displacement and is unchanged; sizes, proportions and left–right asymmetry (which vary
   over tens of millimetres) stay.
2. **Deep sacroiliac overlap.** A subject's sacrum and ilia, fitted separately, overlap at the
   auricular surfaces by up to ≈ 7 mm (the mean: 1.34 mm). The clearance step of the bundled build
   (:func:`pelvisim.anatomy.surface.push_clear`) is made for overlaps like the mean's; deeper ones fold
   it. :func:`ease_deep_overlap` first moves the sacrum's joint region straight out of each ilium
   (along the ilium's mean outward direction there) by the depth that exceeds
   :data:`DEEP_OVERLAP_MM`, fading to nothing over :data:`EASE_RADIUS_MM`, by moving the sacrum's
   element nodes, so the surface stays a smooth Lagrange surface. Overlaps no deeper than
   :data:`DEEP_OVERLAP_MM` (the mean's) are left to the clearance step, unchanged.

Both act on node coordinates in the atlas (CT) frame, before :func:`pelvisim.anatomy.build.build_anatomy`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pelvisim.anatomy.atlas import AtlasMesh, triangulate
from pelvisim.anatomy.surface import Surface, _closest_features, contains, first_hit_distance
from pelvisim.errors import MeshError

# σ of the displacement smoothing: 4 mm left folds in 3 of 5 sacra tried; 6 mm removed them with an
# rms node change of 1.0–1.6 mm (node spacing of the atlas ≈ 6 mm).
FOLD_SMOOTHING_MM = 6.0
# Overlap the clearance step handles on its own: the mean's is 1.34 mm and clears with no fold.
DEEP_OVERLAP_MM = 1.5
# Distance over which the ease of a joint region fades to zero: at most 7 mm over 30 mm (a slope
# ≤ 0.37) bends the sacrum gently and never folds it.
EASE_RADIUS_MM = 30.0
MAX_EASE_ROUNDS = 4
# A face of a subject turned this far from the same face of the mean is taken as part of a fold:
# pleats turn faces by 90–180°; real shape differences turn the mean's faces by < 50° (measured on
# the smoothed subjects away from folds).
FOLD_TURN_DEG = 60.0
UNFOLD_REACH_MM = 15.0  # smoothing again fades from full at a folded face to none at this distance (on the mean)
MAX_UNFOLD_ROUNDS = 12
UNFOLD_WIDENING = 1.15  # σ of pass k is FOLD_SMOOTHING_MM × 1.15^k (≈ 28 mm at the 12th)
# A few turned faces (each < 1 mm², at a sharp rim) that survive every pass are left and reported:
# they cannot be seen, and the bones' disjointness is checked independently afterwards.
MAX_FOLDED_FACES_LEFT = 10
CT_RIGHT = np.array([-1.0, 0.0, 0.0])  # anterior (−y) × superior (+z) in the atlas's CT axes


def element_node_groups(atlas: AtlasMesh, groups: dict[str, range | list[int]]) -> dict[str, NDArray[np.int64]]:
    """Node numbers used by each named group of elements."""
    out = {}
    for name, elements in groups.items():
        wanted = set(elements)
        out[name] = np.unique(np.concatenate([n for e, n in zip(atlas.element_ids, atlas.element_nodes) if e in wanted]))
    return out


def smooth_displacement(nodes_mm: NDArray, mean_mm: NDArray, groups: dict[str, NDArray[np.int64]],
                        sigma_mm: float = FOLD_SMOOTHING_MM) -> NDArray[np.float64]:
    """Nodes whose displacement from the mean is Gaussian-smoothed in space, within each group.

    Each node's new displacement is the weighted mean of the displacements of the nodes of its own
    group, weights ``exp(-r² / 2σ²)`` of their distance ``r`` on the mean shape (up to 3σ). Nodes
    on the two faces of a thin rim are close in space, so they move together and cannot pass each
    other; a displacement that varies over tens of millimetres passes nearly unchanged.
    """
    nodes = np.asarray(nodes_mm, dtype=float)
    out = nodes.copy()
    for idx in groups.values():
        X = mean_mm[idx]
        D = nodes[idx] - X
        pairs = cKDTree(X).query_pairs(3.0 * sigma_mm, output_type="ndarray")
        own = np.arange(len(X))
        i = np.concatenate([pairs[:, 0], pairs[:, 1], own])
        j = np.concatenate([pairs[:, 1], pairs[:, 0], own])
        w = np.exp(-((X[i] - X[j]) ** 2).sum(axis=1) / (2.0 * sigma_mm**2))
        total = np.zeros_like(D)
        np.add.at(total, i, w[:, None] * D[j])
        weight = np.zeros(len(X))
        np.add.at(weight, i, w)
        out[idx] = X + total / weight[:, None]
    return out


@dataclass(frozen=True)
class Unfold:
    """What :func:`unfold` did.

    Attributes
    ----------
    node_change_rms_mm, node_change_max_mm : float
        How far the smoothing moved the nodes, over all nodes of the bones given.
    folded_faces_before : int
        Faces turned more than :data:`FOLD_TURN_DEG` from the mean after the first, global smoothing.
    local_rounds : int
        Extra local smoothing passes needed.
    folded_faces_left : int
        Faces still turned over at the end (at most :data:`MAX_FOLDED_FACES_LEFT`).
    """

    node_change_rms_mm: float
    node_change_max_mm: float
    folded_faces_before: int
    local_rounds: int
    folded_faces_left: int = 0


def _turn_deg(a: Surface, b: Surface) -> NDArray[np.float64]:
    return np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", a.face_normals, b.face_normals), -1.0, 1.0)))


def unfold(mean: AtlasMesh, nodes_mm: NDArray, bones: dict[str, tuple[range | list[int], int]]) -> tuple[NDArray, Unfold]:
    """Smooth a shape's displacement from the mean until no face is folded over (see the module docstring).

    Parameters
    ----------
    mean : AtlasMesh
        The atlas at the mean shape (its ``nodes_mm`` are the reference).
    nodes_mm : (n, 3) array
        The shape's nodes, same numbering.
    bones : dict
        Bone name → (its elements, subdivisions to evaluate it at). Each bone is smoothed on its own.

    Raises
    ------
    MeshError
        When folds remain after :data:`MAX_UNFOLD_ROUNDS` local passes.
    """
    groups = element_node_groups(mean, {name: elements for name, (elements, _) in bones.items()})
    # same parametrisation, same triangles: compare face by face (orientation as evaluated, for both)
    reference = {name: Surface(*triangulate(mean, elements, sub)) for name, (elements, sub) in bones.items()}
    raw = np.asarray(nodes_mm, dtype=float)
    nodes = smooth_displacement(raw, mean.nodes_mm, groups)
    folded_first = None
    best: tuple[int, NDArray[np.float64]] | None = None
    for round_number in range(MAX_UNFOLD_ROUNDS + 1):
        shape = replace(mean, nodes_mm=nodes)
        blend: dict[str, NDArray[np.float64]] = {}
        n_folded = 0
        for name, (elements, sub) in bones.items():
            surface = Surface(*triangulate(shape, elements, sub))
            if surface.faces.shape != reference[name].faces.shape or not np.array_equal(surface.faces, reference[name].faces):
                raise MeshError(f"{name}: the shape's surface does not have the mean's triangles; cannot compare them")
            folded = _turn_deg(surface, reference[name]) > FOLD_TURN_DEG
            n_folded += int(folded.sum())
            if folded.any():
                distance = cKDTree(reference[name].face_centres[folded]).query(mean.nodes_mm[groups[name]])[0]
                # full smoothing at the fold, fading out smoothly: no new edge where the smoothing stops
                blend[name] = 0.5 * (1.0 + np.cos(np.pi * np.minimum(distance, UNFOLD_REACH_MM) / UNFOLD_REACH_MM))
        if folded_first is None:
            folded_first = n_folded
        if best is None or n_folded < best[0]:
            best = (n_folded, nodes.copy())
        if not blend or round_number == MAX_UNFOLD_ROUNDS:
            break
        # a little wider each pass, for the few folds one width does not undo
        smoother = smooth_displacement(nodes, mean.nodes_mm, groups, FOLD_SMOOTHING_MM * UNFOLD_WIDENING ** round_number)
        for name, weight in blend.items():
            idx = groups[name]
            nodes[idx] += weight[:, None] * (smoother[idx] - nodes[idx])
    n_folded, nodes = best  # passes can also turn faces elsewhere: keep the pass with the fewest folds
    if n_folded > MAX_FOLDED_FACES_LEFT:
        raise MeshError(f"{', '.join(bones)}: {n_folded} faces still folded over after {MAX_UNFOLD_ROUNDS} smoothing passes")
    change = np.linalg.norm(nodes - raw, axis=1)
    used = np.concatenate(list(groups.values()))
    return nodes, Unfold(float(np.sqrt(np.mean(change[used] ** 2))), float(change[used].max()), int(folded_first or 0),
                         round_number, n_folded)


@dataclass(frozen=True)
class Ease:
    """What :func:`ease_deep_overlap` did at each sacroiliac joint (sides by anatomy, not by index).

    Attributes
    ----------
    overlap_before_mm : dict
        Deepest overlap per side before easing: how far the deepest sacral point inside the ilium
        (or ilium point inside the sacrum) lies from the surface along the joint direction.
    moved_mm : dict
        How far each joint region was moved out of the ilium (0 when the overlap was ≤ the threshold).
    rounds : int
    """

    overlap_before_mm: dict[str, float]
    moved_mm: dict[str, float]
    rounds: int


def _depths(sacrum: Surface, ilium: Surface, direction: NDArray | None) -> tuple[NDArray | None, NDArray, NDArray]:
    """Joint direction (out of the ilium), overlapping points and their depth along it."""
    inside = np.flatnonzero(contains(ilium, sacrum.vertices))
    ilium_inside = np.flatnonzero(contains(sacrum, ilium.vertices))
    if len(inside) == 0 and len(ilium_inside) == 0:
        return direction, np.zeros((0, 3)), np.zeros(0)
    if direction is None:
        probe = sacrum.vertices[inside] if len(inside) else ilium.vertices[ilium_inside]
        _, _, outward, _ = _closest_features(probe, ilium)
        direction = outward.sum(axis=0)  # out of the ilium, towards the sacrum, in both cases
        direction = direction / np.linalg.norm(direction)
    depth_sacral = first_hit_distance(ilium, sacrum.vertices[inside], direction)
    Q = ilium.vertices[ilium_inside]
    depth_ilium = first_hit_distance(sacrum, Q, -direction)
    points = np.vstack([sacrum.vertices[inside], Q - np.where(np.isfinite(depth_ilium), depth_ilium, 0.0)[:, None] * direction])
    depth = np.concatenate([depth_sacral, depth_ilium])
    keep = np.isfinite(depth)
    return direction, points[keep], depth[keep]


def ease_deep_overlap(atlas: AtlasMesh, sacrum_elements: range, ilia: list[Surface], subdivisions: int,
                      threshold_mm: float = DEEP_OVERLAP_MM, radius_mm: float = EASE_RADIUS_MM) -> tuple[AtlasMesh, Ease]:
    """Move the sacrum's joint regions out of the ilia until no overlap is deeper than ``threshold_mm``.

    Per joint and round: the direction is the mean outward direction of the ilium at the sacral
    points inside it (fixed after the first round); every overlapping point's depth is measured along
    it; the sacral nodes within ``radius_mm`` of the overlap move along it by (deepest − threshold),
    fully at the overlap and fading with a raised cosine of their distance from it. Only sacral nodes
    move; the ilia are given as surfaces and stay where they are.

    Returns
    -------
    atlas : AtlasMesh
        The same object when nothing was deeper than the threshold.
    Ease
    """
    sacral_nodes = element_node_groups(atlas, {"sacrum": sacrum_elements})["sacrum"]
    nodes = atlas.nodes_mm.copy()
    sides = ["right" if (ilium.vertices.mean(axis=0) - np.mean([i.vertices.mean(axis=0) for i in ilia], axis=0)) @ CT_RIGHT > 0
             else "left" for ilium in ilia]
    directions: list[NDArray | None] = [None] * len(ilia)
    before: dict[str, float] = {}
    moved = {side: 0.0 for side in sides}
    for round_number in range(MAX_EASE_ROUNDS + 1):
        sacrum = Surface(*triangulate(replace(atlas, nodes_mm=nodes), sacrum_elements, subdivisions)).outward()
        changed = False
        for k, (side, ilium) in enumerate(zip(sides, ilia)):
            directions[k], points, depth = _depths(sacrum, ilium, directions[k])
            deepest = float(depth.max(initial=0.0))
            before.setdefault(side, deepest)
            excess = deepest - threshold_mm
            if excess <= 1e-3:  # a micrometre is not worth a pass
                continue
            if round_number == MAX_EASE_ROUNDS:
                raise MeshError(f"sacroiliac joint ({side}): still {deepest:.2f} mm of overlap after easing "
                                f"{MAX_EASE_ROUNDS} times (the limit is {threshold_mm} mm)")
            distance, _ = cKDTree(points).query(nodes[sacral_nodes])
            weight = np.where(distance < radius_mm, 0.5 * (1.0 + np.cos(np.pi * np.minimum(distance, radius_mm) / radius_mm)), 0.0)
            nodes[sacral_nodes] += (excess * weight)[:, None] * directions[k]
            moved[side] += excess
            changed = True
        if not changed:
            break
    result = atlas if not any(moved.values()) else replace(atlas, nodes_mm=nodes)
    return result, Ease(before, moved, round_number)
