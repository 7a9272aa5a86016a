"""Landmark rules: every landmark is found by a documented geometric rule, never typed in.

The rules run on the bones already expressed in the pelvic frame (+X anterior, +Y superior,
+Z right, mm). Each per-side rule is written once for the right side; the left landmark is the
same rule applied to the mirrored left bone, mirrored back — so the rules are symmetric by
construction. Where a rule needs a region (e.g. "above the acetabulum"), the region is defined
from landmarks found before it, in the order of :func:`find_landmarks`.

Rules in brief (right side; details in each function's docstring):

* ``asis``: tangent point of the anterior pelvic plane on the iliac crest (see :func:`anterior_pelvic_plane`).
* ``psis``: most posterior point of the ilium above the greater sciatic notch.
* ``acetabulum_centre``: sphere fitted to the concave cup on the lateral face.
* … see the functions below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pelvisim import frames
from pelvisim.anatomy.surface import Surface, fit_sphere
from pelvisim.errors import LandmarkError


def _unit(v: NDArray) -> NDArray[np.float64]:
    n = np.linalg.norm(v)
    if n == 0:
        raise LandmarkError("Expected a non-zero direction while finding landmarks, got a zero vector")
    return np.asarray(v, dtype=float) / n


def support_point(points: NDArray, direction: NDArray) -> NDArray[np.float64]:
    """The point of ``points`` furthest along ``direction``."""
    if len(points) == 0:
        raise LandmarkError("A landmark rule found no candidate points in its region")
    return points[int(np.argmax(points @ np.asarray(direction, dtype=float)))]


@dataclass(frozen=True)
class PlaneResult:
    """The anterior pelvic plane: its tangent points and unit normal."""

    asis_right: NDArray[np.float64]
    asis_left: NDArray[np.float64]
    pubic_right: NDArray[np.float64]
    pubic_left: NDArray[np.float64]
    normal: NDArray[np.float64]


def anterior_pelvic_plane(right: Surface, left: Surface, anterior: NDArray, superior: NDArray,
                          iterations: int = 20) -> PlaneResult:
    """Anterior pelvic plane (APP) touching both ASIS and both pubic tubercles from the front.

    Rule: start with the plane normal ``anterior``. On each innominate, the ASIS is the support
    point along the normal of the vertices in the upper half of the bone (along ``superior``),
    and the pubic tubercle the support point of the vertices in the lowest 40 % that are in the
    medial third. The normal is then re-fitted to the plane through the two ASIS and the
    mid-point of the two pubic points; repeat until it stops changing (< 1e-9 rad). Because the
    result is a tangent plane, it does not depend on how the bones were tilted or turned in the
    scanner.
    """
    n = _unit(anterior)
    up = _unit(superior)

    def regions(surface: Surface) -> tuple[NDArray, NDArray]:
        V = surface.vertices
        h = V @ up
        lo, hi = h.min(), h.max()
        upper = V[h > (lo + hi) / 2]
        lower = V[h < lo + 0.4 * (hi - lo)]
        return upper, lower

    r_upper, r_lower = regions(right)
    l_upper, l_lower = regions(left)
    midline_gap = (right.vertices.mean(axis=0) - left.vertices.mean(axis=0))
    lateral = _unit(midline_gap)  # points to the right
    centre = (right.vertices.mean(axis=0) + left.vertices.mean(axis=0)) / 2

    def medial_third(lower: NDArray, sign: float) -> NDArray:
        d = (lower - centre) @ lateral * sign
        return lower[d < d.min() + (d.max() - d.min()) / 3]

    r_pub_region, l_pub_region = medial_third(r_lower, 1.0), medial_third(l_lower, -1.0)
    for _ in range(iterations):
        ra, la = support_point(r_upper, n), support_point(l_upper, n)
        rp, lp = support_point(r_pub_region, n), support_point(l_pub_region, n)
        new = _unit(np.cross(la - ra, (rp + lp) / 2 - ra))
        if new @ n < 0:
            new = -new
        converged = np.arccos(np.clip(new @ n, -1, 1)) < 1e-9
        n = new
        if converged:
            break
    return PlaneResult(ra, la, rp, lp, n)


def pelvic_frame_from_landmarks(asis_right: NDArray, asis_left: NDArray, psis_right: NDArray,
                                psis_left: NDArray) -> frames.Transform:
    """``T_pelvis_input``: the ISB pelvic frame (Wu et al. 2002) from both ASIS and both PSIS.

    Z runs from the left to the right ASIS; X lies in the plane of both ASIS and the PSIS mid-point,
    pointing anterior; Y = Z × X (superior); the origin is the ASIS mid-point.
    """
    z = _unit(asis_right - asis_left)
    mid_asis = (asis_right + asis_left) / 2
    x = mid_asis - (psis_right + psis_left) / 2
    x = _unit(x - (x @ z) * z)
    y = np.cross(z, x)
    R = np.array([x, y, z])
    return frames.from_rt(R, -R @ mid_asis)


def psis_point(innominate: Surface) -> NDArray[np.float64]:
    """PSIS (right side, pelvic frame): the most posterior point of the upper half of the innominate."""
    V = innominate.vertices
    upper = V[V[:, 1] > (V[:, 1].min() + V[:, 1].max()) / 2]
    return support_point(upper, -frames.X_ANTERIOR)


@dataclass(frozen=True)
class Found:
    """One landmark as found by a rule (pelvic frame, right side unless mirrored)."""

    position: NDArray[np.float64]
    normal: NDArray[np.float64] | None = None
    radius_mm: float | None = None
    area_mm2: float | None = None


def acetabulum(innominate: Surface, seed: NDArray, iterations: int = 4) -> Found:
    """Acetabulum centre and radius: sphere fitted to the concave cup around ``seed``.

    Rule: take the vertices within 40 mm of the seed (Harrington 2007's regression hip centre)
    whose outward normal points towards the seed (within 45°): the inside of the cup. Fit a
    sphere, then keep the vertices within 3 mm of that sphere whose normals point at its centre
    (within 30°) and refit, a few times. The lunate surface dominates the final fit.
    """
    V, N = innominate.vertices, innominate.vertex_normals
    centre, radius = np.asarray(seed, dtype=float), 40.0
    band, cos_limit = 40.0, np.cos(np.radians(45))
    for _ in range(iterations):
        to_centre = centre - V
        dist = np.linalg.norm(to_centre, axis=1)
        facing = np.einsum("ij,ij->i", N, to_centre) / np.maximum(dist, 1e-9)
        if band == 40.0:
            pick = (dist < band) & (facing > cos_limit)
        else:
            pick = (np.abs(dist - radius) < band) & (facing > cos_limit)
        if pick.sum() < 20:
            raise LandmarkError(f"acetabulum: only {int(pick.sum())} cup vertices near {np.round(seed, 1)} mm")
        centre, radius, _ = fit_sphere(V[pick])
        band, cos_limit = 3.0, np.cos(np.radians(30))
    return Found(centre, radius_mm=radius)


MIN_PATCH_FACES = 10
"""Fewer faces within the gap than this: the patch is measured from the closest approach instead."""


def contact_patch(bone: Surface, other: Surface, max_gap_mm: float) -> NDArray[np.bool_]:
    """Faces of ``bone`` whose centres lie within ``max_gap_mm`` of ``other``'s vertices.

    Where the two bones are further apart than that everywhere (some of the 26 LLP26 subjects have
    a wider pubic symphysis), the patch is the faces within ``max_gap_mm`` of the closest approach:
    closer than (closest distance + ``max_gap_mm``).
    """
    tree = cKDTree(other.vertices)
    distance, _ = tree.query(bone.face_centres, distance_upper_bound=max_gap_mm)  # inf beyond: fast
    faces = distance < max_gap_mm
    if faces.sum() < MIN_PATCH_FACES:
        distance, _ = tree.query(bone.face_centres)
        faces = distance < distance.min() + max_gap_mm
    return faces


def patch_landmarks(bone: Surface, faces: NDArray[np.bool_]) -> dict[str, Found]:
    """Centroid (with mean outward normal and area), superior and inferior pole of a surface patch.

    The centroid is the area-weighted centre of the patch moved to the nearest patch vertex (so it
    lies on the bone); the poles are the patch's highest and lowest vertices (+Y / −Y).
    """
    if faces.sum() < MIN_PATCH_FACES:
        raise LandmarkError(f"contact patch has only {int(faces.sum())} faces")
    area = bone.face_areas[faces]
    centres = bone.face_centres[faces]
    centroid = (centres * area[:, None]).sum(axis=0) / area.sum()
    patch_vertices = bone.vertices[np.unique(bone.faces[faces])]
    on_bone = patch_vertices[int(np.argmin(np.linalg.norm(patch_vertices - centroid, axis=1)))]
    normal = _unit((bone.face_normals[faces] * area[:, None]).sum(axis=0))
    return {
        "centroid": Found(on_bone, normal=normal, area_mm2=float(area.sum())),
        "superior_pole": Found(support_point(patch_vertices, frames.Y_SUPERIOR)),
        "inferior_pole": Found(support_point(patch_vertices, -frames.Y_SUPERIOR)),
    }


# --- rules on the innominate (right side; the left is found on the mirrored bone) -----------------

AIIS_ABOVE_RIM_MM = 25.0
"""The AIIS is sought from the top of the acetabular rim up to this height above it (the spine ends
at the rim: Hetsroni et al. 2013's types I and II)."""
TUBERCLE_BEHIND_ASIS_MM = (30.0, 75.0)
"""The iliac tubercle lies about 5 cm behind the ASIS on the outer lip of the crest (Gray's Anatomy);
the band allows ± 2.5 cm [U: pelvisim's band]."""
CREST_TOP_MM = 3.0
CREST_SLICE_MM = 4.0
"""Vertices within :data:`CREST_TOP_MM` of the highest point of the :data:`CREST_SLICE_MM` thick
front-to-back slice centred on them form the top of the iliac crest (the slice is two mesh
edges thick, so it always holds the crest)."""


def iliac_tubercle(innominate: Surface, asis: NDArray) -> NDArray[np.float64]:
    """The right iliac tubercle: the most lateral point of the top of the iliac crest.

    Rule: in the part of the bone :data:`TUBERCLE_BEHIND_ASIS_MM` behind the ASIS and above it
    (less 5 mm), the crest top is the vertices within :data:`CREST_TOP_MM` of the highest point of
    the front-to-back slice centred on them; the tubercle is its most lateral point.
    Without the crest-top step the most lateral point of the region lay on the gluteal surface
    below the crest (8–17 mm below its top on every LLP26 subject).
    """
    V = innominate.vertices
    near, far = TUBERCLE_BEHIND_ASIS_MM
    region = V[(V[:, 0] > asis[0] - far) & (V[:, 0] < asis[0] - near) & (V[:, 1] > asis[1] - 5.0)]
    if len(region) == 0:
        raise LandmarkError("iliac tubercle: no part of the iliac crest 30–75 mm behind the ASIS")
    order = np.argsort(region[:, 0])
    region = region[order]
    lo = np.searchsorted(region[:, 0], region[:, 0] - CREST_SLICE_MM / 2, side="left")
    hi = np.searchsorted(region[:, 0], region[:, 0] + CREST_SLICE_MM / 2, side="right")
    top = np.array([region[a:b, 1].max() for a, b in zip(lo, hi)])
    return support_point(region[region[:, 1] > top - CREST_TOP_MM], frames.Z_RIGHT)


AURICULAR_GAP_MAX_MM = 6.0
"""The widest joint space still counted as auricular surface (as for a user's bones)."""


def joint_width_mm(ilium: Surface, sacrum: Surface, reach_mm: float = 10.0) -> float:
    """Typical width of the sacroiliac joint space: median distance across the facing surfaces, mm.

    Rule: the ilium's faces within ``reach_mm`` of a sacral vertex whose normal points at that
    vertex (within 45°) while the vertex's normal points back (within 45°): the two joint faces
    facing each other. The median of those distances is the joint's width; it does not depend on
    which faces a gap threshold would count as the joint.
    """
    tree = cKDTree(sacrum.vertices)
    distance, index = tree.query(ilium.face_centres, distance_upper_bound=reach_mm)
    near = np.isfinite(distance)
    to_sacrum = sacrum.vertices[index[near]] - ilium.face_centres[near]
    to_sacrum /= np.maximum(np.linalg.norm(to_sacrum, axis=1, keepdims=True), 1e-9)
    cos45 = np.cos(np.radians(45.0))
    faces_it = np.einsum("ij,ij->i", ilium.face_normals[near], to_sacrum) > cos45
    faces_back = np.einsum("ij,ij->i", sacrum.vertex_normals[index[near]], ilium.face_normals[near]) < -cos45
    facing = faces_it & faces_back
    if facing.sum() < MIN_PATCH_FACES:
        raise LandmarkError(f"sacroiliac joint: only {int(facing.sum())} faces of the ilium face the sacrum "
                            f"within {reach_mm:g} mm")
    return float(np.median(distance[near][facing]))


def auricular_gap_mm(ilium: Surface, sacrum: Surface, least_mm: float) -> float:
    """The gap that counts as auricular surface at one joint: its width (:func:`joint_width_mm`)
    rounded to 0.5 mm, at least ``least_mm`` and at most :data:`AURICULAR_GAP_MAX_MM`.

    The rounding keeps the patch from following hundredths of a millimetre of width; a joint as wide
    as the bundled mean's (1.8 and 2.1 mm) keeps the 2 mm patch it always had.

    A fixed gap shrinks the patch to the closest part of a joint whose space is wider than the gap
    (down to 230 mm² on LLP26 subjects whose joint space is 4 mm, against ≈ 1000 mm² measured on
    bones), and moves its centroid and poles with it.
    """
    return float(np.clip(np.round(2.0 * joint_width_mm(ilium, sacrum)) / 2.0, least_mm, AURICULAR_GAP_MAX_MM))


def innominate_landmarks(bone: Surface, other_innominate: Surface, sacrum: Surface, asis: NDArray,
                         pubic_tangent: NDArray, inter_asis_mm: float, asis_psis_depth_mm: float,
                         auricular_gap_mm: float, symphysis_gap_mm: float = 6.0) -> dict[str, Found]:
    """Every landmark of the right innominate (pelvic frame), given its ASIS and APP pubic point.

    Rules (Y superior, X anterior, +Z lateral on the right side):

    * ``asis``: tangent point of the anterior pelvic plane on the upper half (given).
    * ``psis``: most posterior point of the upper half.
    * ``acetabulum_centre``: sphere fit to the cup (:func:`acetabulum`), seeded by Harrington 2007's
      regression from inter-ASIS width and ASIS–PSIS depth.
    * ``aiis``: most anterior point of the band from the top of the acetabular rim (centre height +
      radius) to :data:`AIIS_ABOVE_RIM_MM` above it, lateral of the acetabulum centre (the AIIS ends
      just above the rim; below the rim and medially the iliopubic eminence and the superior pubic
      ramus reach further forward on some pelves).
    * ``piis``: most posterior point of the band 15–50 mm below the PSIS.
    * ``iliac_tubercle``: :func:`iliac_tubercle` — the most lateral point of the top of the iliac
      crest 30–75 mm behind the ASIS.
    * ``pubic_tubercle``: tangent point of the anterior pelvic plane on the pubis (given).
    * ``symphysis``: centre of the faces within ``symphysis_gap_mm`` (6 mm for the bundled bones)
      of the other innominate (of its closest approach + that gap when the pubes are further apart:
      :func:`contact_patch`).
    * ``ischial_tuberosity``: lowest point of the bone.
    * ``ischial_spine``: most postero-medial point of the part more than 20 mm behind the
      acetabulum centre, from its height down 35 mm.
    * ``auricular_innominate_*``: the faces within ``auricular_gap_mm`` of the sacrum (centroid with
      normal and area, superior and inferior pole; :func:`patch_landmarks`).
    """
    V = bone.vertices
    y = V[:, 1]
    out: dict[str, Found] = {"asis": Found(asis), "pubic_tubercle": Found(pubic_tangent)}
    psis = psis_point(bone)
    out["psis"] = Found(psis)
    seed = np.array([-0.24 * asis_psis_depth_mm - 9.9, -0.30 * inter_asis_mm - 10.9, 0.33 * inter_asis_mm + 7.3])
    cup = acetabulum(bone, seed)
    out["acetabulum_centre"] = cup
    ac, r = cup.position, float(cup.radius_mm or 0.0)
    rim = ac[1] + r
    band = (y > rim) & (y < rim + AIIS_ABOVE_RIM_MM) & (V[:, 2] > ac[2])
    out["aiis"] = Found(support_point(V[band], frames.X_ANTERIOR))
    band = (y > psis[1] - 50.0) & (y < psis[1] - 15.0)
    out["piis"] = Found(support_point(V[band], -frames.X_ANTERIOR))
    out["iliac_tubercle"] = Found(iliac_tubercle(bone, asis))
    out["symphysis"] = patch_landmarks(bone, contact_patch(bone, other_innominate, symphysis_gap_mm))["centroid"]
    out["ischial_tuberosity"] = Found(support_point(V, -frames.Y_SUPERIOR))
    back = (V[:, 0] < ac[0] - 20.0) & (y > ac[1] - 35.0) & (y < ac[1])
    out["ischial_spine"] = Found(support_point(V[back], _unit(-frames.X_ANTERIOR - frames.Z_RIGHT)))
    for part, found in patch_landmarks(bone, contact_patch(bone, sacrum, auricular_gap_mm)).items():
        out[f"auricular_innominate_{part}"] = found
    return out


# --- rules on the sacrum --------------------------------------------------------------------------

# The auricular surface spans S1 to mid-S3 (BIOMECHANICS.md §3), i.e. about 2.5 segments: along
# it, S1's centre lies at 20 %, S2's at 60 % and mid-S3 at 100 % of the way from its upper pole.
SACRAL_LEVEL_FRACTIONS = {"s1": 0.2, "s2": 0.6, "s3": 1.0}


def s1_endplate(sacrum: Surface) -> Found:
    """Centre and outward normal of the S1 endplate.

    Rule: start from the faces that face upward (normal·Y > 0.5) within 20 mm of the midline
    (S1 body ≈ 40 mm wide) and in front of the sacrum's mid-depth (which leaves out the superior
    articular processes); then keep the faces whose normal is within 25° of their mean normal, twice.
    """
    n, c = sacrum.face_normals, sacrum.face_centres
    mid_depth = (c[:, 0].min() + c[:, 0].max()) / 2
    pick = (n[:, 1] > 0.5) & (np.abs(c[:, 2]) < 20.0) & (c[:, 0] > mid_depth)
    for _ in range(2):
        mean = _unit((n[pick] * sacrum.face_areas[pick, None]).sum(axis=0))
        pick = pick & (n @ mean > np.cos(np.radians(25)))
    return patch_landmarks(sacrum, pick)["centroid"]


SULCUS_MEDIAL_TO_PSIS_MM = 15.0
"""The sacral sulcus is palpated a thumb's width medial to the PSIS, at its height [U: teaching
convention; pelvisim's choice of 15 mm]."""
SULCUS_SEARCH_RADIUS_MM = 3.0


def inferior_lateral_angle(sacrum: Surface, endplate_centre: NDArray, apex: NDArray) -> NDArray[np.float64]:
    """The right inferior lateral angle (ILA): where the sacrum's lateral border turns toward the apex.

    Rule: along the long axis (apex → S1 endplate centre, coordinate ``t``), take the sacrum's full
    width (right-most minus left-most point) in 0.5 mm slices over the lower 60 %. Below the
    auricular surface the width shrinks slowly; at the inferior lateral angle the border turns and
    the width falls steeply toward the apex. The corner is the slice farthest from the straight
    line (chord) joining the two ends of that width profile — the point of greatest bend. Using
    the full width makes the level the same on both sides. The ILA is the mean of the vertices in
    that slice (± 1 mm) lying within 1 mm of its most lateral point.
    """
    V = sacrum.vertices
    axis = _unit(endplate_centre - apex)
    t = (V - apex) @ axis
    profile = []
    for level in np.arange(0.0, 0.6 * float(t.max()), 0.5):
        slab = np.abs(t - level) < 0.5
        if slab.any():
            profile.append((level, float(V[slab, 2].max() - V[slab, 2].min())))
    if len(profile) < 3:
        raise LandmarkError("inferior lateral angle: the sacrum has too few slices above its apex")
    P = np.array(profile)
    chord = P[-1] - P[0]
    normal = np.array([-chord[1], chord[0]]) / np.linalg.norm(chord)
    bend = (P - P[0]) @ normal
    corner = float(P[int(np.argmax(np.abs(bend))), 0])
    slab = V[np.abs(t - corner) < 1.0]
    lateral = slab[slab[:, 2] > slab[:, 2].max() - 1.0]
    return lateral.mean(axis=0)


def sacral_sulcus(sacrum: Surface, psis_mm: NDArray) -> NDArray[np.float64]:
    """The right sacral sulcus: the posterior sacral surface a thumb's width medial to the PSIS.

    Rule: the most posterior sacral vertex within :data:`SULCUS_SEARCH_RADIUS_MM` (in the
    frontal plane) of the point at the PSIS's height, :data:`SULCUS_MEDIAL_TO_PSIS_MM` medial to
    it. Pass the mean of both PSIS (right-side coordinates) so both sulci are placed by the same
    rule at the same height and distance from the midline.
    """
    V = sacrum.vertices
    target = np.array([psis_mm[1], psis_mm[2] - SULCUS_MEDIAL_TO_PSIS_MM])
    near = V[np.linalg.norm(V[:, 1:] - target, axis=1) < SULCUS_SEARCH_RADIUS_MM]
    return support_point(near, -frames.X_ANTERIOR)


def sacrum_landmarks(sacrum: Surface, innominate_right: Surface, psis_right: NDArray,
                     auricular_gap_mm: float) -> dict[str, Found]:
    """Landmarks of the sacrum; per-side ones are returned for the right side (``*_right``).

    Rules:

    * ``s1_endplate_centre``: :func:`s1_endplate`.
    * ``sacral_promontory``: most anterior point within 5 mm of the midline and at most 15 mm
      below the endplate centre.
    * ``sacral_apex``: the sacral point furthest from the S1 endplate centre.
    * ``sacral_ala_right``: the point of the upward-facing surface lateral to the S1 body
      (> 25 mm from the midline), nearest to that region's area-weighted centre.
    * ``sacral_sulcus_right``: :func:`sacral_sulcus` — the posterior surface a thumb's width (15 mm)
      medial to the PSIS at its height; ``psis_right`` should be the mean of both PSIS (right-side
      coordinates) so the two sulci are placed symmetrically.
    * ``s1_posterior``, ``s2_posterior``, ``s3_posterior``: most posterior point within 5 mm of the
      midline at the height of that segment (:data:`SACRAL_LEVEL_FRACTIONS` along the auricular
      surface, which spans S1 to mid-S3). Heights are pelvic-vertical: on a steep sacrum (subject 21,
      sacral slope 51°) the S1 height lands 59 mm down the sacrum (docs/population.md).
    * ``ila_right``: :func:`inferior_lateral_angle` — where the lateral border turns toward the
      apex (the sharpest bend of the width profile).
    * ``auricular_sacrum_right_*``: faces within ``auricular_gap_mm`` of the right innominate.
    """
    V = sacrum.vertices
    out: dict[str, Found] = {}
    endplate = s1_endplate(sacrum)
    out["s1_endplate_centre"] = endplate
    ep = endplate.position
    near_midline = np.abs(V[:, 2]) < 5.0
    out["sacral_promontory"] = Found(support_point(V[near_midline & (V[:, 1] > ep[1] - 15.0)], frames.X_ANTERIOR))
    apex = V[int(np.argmax(np.linalg.norm(V - ep, axis=1)))]
    out["sacral_apex"] = Found(apex)
    n = sacrum.face_normals
    c = sacrum.face_centres
    ala = (n @ endplate.normal > 0.7) & (c[:, 2] > 25.0)
    out["sacral_ala_right"] = Found(patch_landmarks(sacrum, ala)["centroid"].position)
    out["sacral_sulcus_right"] = Found(sacral_sulcus(sacrum, psis_right))
    patch = patch_landmarks(sacrum, contact_patch(sacrum, innominate_right, auricular_gap_mm))
    for part, found in patch.items():
        out[f"auricular_sacrum_right_{part}"] = found
    top, bottom = patch["superior_pole"].position[1], patch["inferior_pole"].position[1]
    for level, fraction in SACRAL_LEVEL_FRACTIONS.items():
        height = top + fraction * (bottom - top)
        band = near_midline & (np.abs(V[:, 1] - height) < 3.0)
        out[f"{level}_posterior"] = Found(support_point(V[band], -frames.X_ANTERIOR))
    out["ila_right"] = Found(inferior_lateral_angle(sacrum, ep, apex))
    return out


# --- rules on the femur ---------------------------------------------------------------------------

def femur_landmarks(femur: Surface, acetabulum_centre: NDArray) -> dict[str, Found]:
    """Femoral head centre (sphere fit) and knee centre (mid-point of the epicondyles).

    Rules: the head is the sphere fitted to the femur vertices within 30 mm of the vertex nearest
    the acetabulum centre whose normals point away from the fitted centre (iterated); the knee
    centre is the mid-point of the most medial and most lateral points of the distal 12 % of the
    bone along the head-to-far-end line.
    """
    V, N = femur.vertices, femur.vertex_normals
    seed = femur.nearest_vertex(acetabulum_centre)
    pick = np.linalg.norm(V - seed, axis=1) < 30.0
    centre, radius, _ = fit_sphere(V[pick])
    for _ in range(3):
        to_v = V - centre
        dist = np.linalg.norm(to_v, axis=1)
        outward = np.einsum("ij,ij->i", N, to_v) / np.maximum(dist, 1e-9)
        pick = (np.abs(dist - radius) < 3.0) & (outward > np.cos(np.radians(30)))
        centre, radius, _ = fit_sphere(V[pick])
    far = V[int(np.argmax(np.linalg.norm(V - centre, axis=1)))]
    axis = _unit(far - centre)
    t = (V - centre) @ axis
    distal = V[t > 0.88 * t.max()]
    lateral = np.cross(axis, frames.X_ANTERIOR)
    knee = (support_point(distal, lateral) + support_point(distal, -lateral)) / 2
    return {"femoral_head_centre": Found(centre, radius_mm=radius), "knee_centre": Found(knee)}
