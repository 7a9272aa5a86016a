"""Checks that a user's anatomy is a plausible adult pelvis with its landmarks in the right places.

Each check raises one :class:`~pelvisim.errors.LandmarkError` or :class:`~pelvisim.errors.MeshError`
whose message starts with the check's name (``sides check failed: …``), so a user knows which
assumption their files broke. Overlap between bones is measured here too (reported, not refused).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pelvisim.anatomy.core import Anatomy, Landmark
from pelvisim.anatomy.surface import Surface, closest_points_on_surface, contains, crossing_edges
from pelvisim.errors import LandmarkError

# Landmarks that are centres inside or beside their bone, not points on its surface.
CENTRE_LANDMARKS = ("acetabulum_centre", "femoral_head_centre", "knee_centre")
# A hand-placed surface landmark sits within 1–2 mm of the surface; 5 mm also allows for a mesh
# decimated after the landmarks were placed.
ON_SURFACE_MM = 5.0
# A centre lies about one radius from its surface: femoral head radius ≈ 25 mm (BIOMECHANICS.md §8),
# the knee centre up to ≈ 40 mm inside the condyles (half the distal femur's ≈ 80 mm width).
NEAR_CENTRE_MM = 45.0

# Bones that overlap at a joint cross there by a few mm: vertices inside the other bone are sought
# within 30 mm of its vertices (an overlap deeper than that is still reported, by its crossing edges,
# with a lower bound on the count). A bone wholly inside another is checked separately.
OVERLAP_SEARCH_MM = 30.0

# Pairs at the midline (the two symphyseal surfaces, 1–3 mm apart) can cross it in a real pelvis:
# a pair counts as swapped when the right one lies more than 10 mm left of the left one.
SIDES_MARGIN_MM = 10.0

# Adult ranges (BIOMECHANICS.md §8): published mean ± 4 SD where an SD is published (outside it lies
# fewer than 1 in 15,000 adults); the observed pelvic-incidence range widened by 10°.
ADULT_RANGES = {
    "inter_asis_mm": (163.0, 291.0, "227 ± 16 mm, CT, n = 200 (Skeletal Radiol 2009/10)"),
    "inter_hip_centre_mm": (128.0, 192.0, "160 ± 8 mm, n = 200 (Skeletal Radiol 2009/10)"),
    "pelvic_incidence_deg": (22.0, 84.0, "32–74°, n = 709 (Mac-Thiong 2011)"),
    "acetabulum_radius_left_mm": (17.5, 32.5, "femoral head diameter ≈ 50 mm, ± 30 %"),
    "acetabulum_radius_right_mm": (17.5, 32.5, "femoral head diameter ≈ 50 mm, ± 30 %"),
}


def is_centre(name: str) -> bool:
    """True for landmarks that are centres (of a sphere fit or a joint), not surface points."""
    return name.startswith(CENTRE_LANDMARKS)


def distance_to_bone(points: NDArray, surface: Surface) -> NDArray[np.float64]:
    """Unsigned distance (mm) from each point to a surface."""
    _, signed = closest_points_on_surface(np.atleast_2d(points), surface)
    return np.abs(signed)


def check_on_bones(landmarks: Mapping[str, Landmark], surfaces: Mapping[str, Surface], where: str) -> None:
    """Each landmark lies on (or, for a centre, near) its own bone.

    A landmark far from its bone but on another one is reported as such (files or names swapped).
    """
    for name, lm in landmarks.items():
        if lm.bone not in surfaces:
            continue
        limit = NEAR_CENTRE_MM if is_centre(name) else ON_SURFACE_MM
        d = float(distance_to_bone(lm.position_mm, surfaces[lm.bone])[0])
        if d <= limit:
            continue
        others = {b: float(distance_to_bone(lm.position_mm, s)[0]) for b, s in surfaces.items() if b != lm.bone}
        on_other = [b for b, e in others.items() if e <= limit]
        hint = (f"; it lies on {on_other[0]}: are left and right swapped (names or files)?" if on_other
                else "; is the landmark file in the meshes' frame and units?")
        raise LandmarkError(f"{where}: on-bone check failed: {name} is {d:.0f} mm from its bone {lm.bone} "
                            f"(at most {limit:g} mm){hint}")


def check_sides(landmarks: Mapping[str, Landmark], where: str) -> None:
    """Left and right by anatomy: in the pelvic frame built from the landmarks, right = anterior × superior.

    The frame's Z runs from ``asis_left`` to ``asis_right``; its Y = Z × X then points superior only
    when the names are on the correct sides, so the ischial tuberosities (the lowest points of the
    pelvis) must come out below the ASIS, and no ``*_right`` landmark more than
    :data:`SIDES_MARGIN_MM` to the left of its ``*_left`` partner.
    """
    p = {n: lm.position_mm for n, lm in landmarks.items()}
    tuberosity = (p["ischial_tuberosity_left"][1] + p["ischial_tuberosity_right"][1]) / 2
    if tuberosity > 0:
        raise LandmarkError(f"{where}: sides check failed: with asis_right on the right, the ischial tuberosities "
                            f"come out {tuberosity:.0f} mm above the ASIS, so left and right are swapped "
                            "(right = anterior × superior)")
    for name in sorted(p):
        twin = name.replace("right", "left")
        if "right" in name and twin in p and p[name][2] < p[twin][2] - SIDES_MARGIN_MM:
            raise LandmarkError(f"{where}: sides check failed: {name} lies {p[twin][2] - p[name][2]:.0f} mm to "
                                f"the left of {twin} (right = anterior × superior): are their names swapped?")


def check_dimensions(anatomy: Anatomy, where: str) -> dict[str, float]:
    """Dimensions within adult ranges (:data:`ADULT_RANGES`); returns the dimensions."""
    from pelvisim.anatomy.dimensions import dimensions

    values = dimensions(anatomy)
    for key, (low, high, source) in ADULT_RANGES.items():
        if key in values and not low <= values[key] <= high:
            raise LandmarkError(f"{where}: adult-range check failed: {key} = {values[key]:g}, outside {low:g}–{high:g} "
                                f"(published {source}); are the meshes in mm or m and the landmarks on the right bones?")
    return values


@dataclass(frozen=True)
class Overlap:
    """Two bones that interpenetrate."""

    bones: tuple[str, str]
    vertices_inside: int
    edges_crossing: int
    deepest_mm: float

    def line(self) -> str:
        """One line for the import report."""
        a, b = self.bones
        return (f"overlap: {a} and {b} interpenetrate ({self.vertices_inside} vertices inside the other bone, "
                f"{self.edges_crossing} edges through it, deepest {self.deepest_mm:.1f} mm)")


def overlap(a: Surface, b: Surface, names: tuple[str, str], closed: bool) -> Overlap | None:
    """How far two bones interpenetrate, or None when they are apart.

    Edges of either bone through the other's triangles are always counted. When both bones are
    closed, vertices inside the other bone are counted too (ray parity): where the surfaces cross,
    among the vertices within :data:`OVERLAP_SEARCH_MM` of the other bone; where they do not
    cross, one bone can only be wholly inside the other, which one vertex each decides.
    """
    edges = int(crossing_edges(a, b).sum() + crossing_edges(b, a).sum())
    inside_a, inside_b = np.zeros(len(a.vertices), bool), np.zeros(len(b.vertices), bool)
    if closed and edges == 0:
        if contains(b, a.vertices[:1])[0]:
            inside_a[:] = True
        elif contains(a, b.vertices[:1])[0]:
            inside_b[:] = True
    elif closed:
        for points, inside, other in ((a.vertices, inside_a, b), (b.vertices, inside_b, a)):
            near = np.flatnonzero(np.isfinite(cKDTree(other.vertices).query(
                points, distance_upper_bound=OVERLAP_SEARCH_MM)[0]))
            inside[near] = contains(other, points[near])
    inside = int(inside_a.sum() + inside_b.sum())
    if edges == 0 and inside == 0:
        return None
    deepest = 0.0
    if inside_a.any():
        deepest = max(deepest, float(distance_to_bone(a.vertices[inside_a], b).max()))
    if inside_b.any():
        deepest = max(deepest, float(distance_to_bone(b.vertices[inside_b], a).max()))
    return Overlap(names, inside, edges, deepest)

