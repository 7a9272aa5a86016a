"""Landmarks found automatically on a user's pelvis: the mean pelvis fitted over it, then the rules.

Step 3 and 4 of :mod:`pelvisim.anatomy.user`: :func:`register_mean` lays the bundled mean pelvis
over the user's bones (and checks which innominate is which), :func:`sagittal_reflection` gives
the plane to mirror a missing innominate across, and :func:`find_landmarks` finds the pelvic frame
and runs every rule of :mod:`pelvisim.anatomy.landmarks`, each landmark with the fitted mean
pelvis's point as a second opinion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy import checks, finder
from pelvisim.anatomy import registration as reg
from pelvisim.anatomy.core import PELVIC_BONES, Anatomy, Landmark
from pelvisim.anatomy.landmarks import contact_patch
from pelvisim.anatomy.surface import Surface, closest_points_on_surface
from pelvisim.errors import LandmarkError, MeshError

# The bundled build counts faces within 2 mm of the other bone as auricular surface; a scan's joint
# space can be wider, so the gap grows with the measured joint width (+1 mm), up to 6 mm.
AURICULAR_GAP_MM = 2.0
AURICULAR_GAP_MAX_MM = 6.0
# The symphysis rule counts the faces within 6 mm of the other pubis as its surface (bundled bones);
# a scan's (or a shape-model subject's) pubic bones can be further apart (the disc is 4–6 mm wide in
# adults, wider in some): the gap grows to the measured distance + 3 mm, up to 20 mm.
SYMPHYSIS_GAP_MM = 6.0
SYMPHYSIS_GAP_MAX_MM = 20.0
SYMPHYSIS_REACH_MM = 15.0
# Landmark rules look for vertices in bands a few mm wide: split coarse meshes until their median
# edge is no longer than the bundled meshes' (sacrum 1.4 mm, innominate 2.0 mm).
RULE_EDGE_MM = {"sacrum": 1.5, "innominate_left": 2.0, "innominate_right": 2.0}


@dataclass(frozen=True)
class FoundLandmarks:
    """Every pelvic landmark found by its rule, in the user's frame (mm), with a second opinion.

    Attributes
    ----------
    landmarks : dict
        Name → :class:`Landmark`, input frame, mm.
    agreement_mm : dict
        Name → distance between the rule's point and the fitted mean pelvis's point.
    fit_mm : dict
        Bone → mean distance of the fitted mean pelvis from the user's bone.
    """

    landmarks: dict[str, Landmark]
    agreement_mm: dict[str, float]
    fit_mm: dict[str, float]


def gap_mm(a: Surface, b: Surface, reach_mm: float) -> float:
    """Smallest vertex-to-vertex distance between two surfaces (exact up to ``reach_mm``, estimated beyond)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(b.vertices)
    near = tree.query(a.vertices, distance_upper_bound=reach_mm)[0]
    if np.isfinite(near).any():
        return float(near.min())
    return float(tree.query(a.vertices[::10])[0].min())  # only for the message


def mean_surfaces(mean: Anatomy) -> dict[str, Surface]:
    return {b: Surface(bone.vertices_mm, bone.faces) for b, bone in mean.bones.items()}


def register_mean(mean: dict[str, Surface], user: dict[str, Surface], paths: dict[str, Path]) -> reg.Similarity:
    """Lay the mean pelvis over the user's (bones present in both), and check the files' sides."""
    bones = [b for b in PELVIC_BONES if b in user]
    source = np.concatenate([reg.sample_surface(mean[b], 1500, k) for k, b in enumerate(bones)])
    target = np.concatenate([reg.sample_surface(user[b], 3000, k) for k, b in enumerate(bones)])
    whole, _ = reg.register_similarity(source, target)
    if not 0.6 <= whole.scale <= 1.6:
        raise MeshError(f"{paths['sacrum'].parent}: the bones are {whole.scale:.2f}× the size of the mean adult "
                        "pelvis; expected an adult pelvis in mm or m")
    if len(bones) == 3:
        placed = {b: whole.apply(reg.sample_surface(mean[b], 400, 7)) for b in bones}
        from scipy.spatial import cKDTree

        for bone in ("innominate_left", "innominate_right"):
            tree = cKDTree(user[bone].vertices)
            fits = {b: float(np.median(tree.query(placed[b])[0])) for b in bones}
            nearest = min(fits, key=fits.get)
            if nearest != bone:
                what = "a sacrum" if nearest == "sacrum" else f"the {nearest.split('_')[1]} innominate"
                raise MeshError(f"{paths[bone]}: sides check failed: this bone lies where the mean pelvis has {what} "
                                f"(right = anterior × superior): are innominate_left and innominate_right swapped?")
    return whole


def sagittal_reflection(sacrum: Surface, whole: reg.Similarity) -> NDArray[np.float64]:
    """The (4, 4) reflection across the sacrum's plane of symmetry (for mirroring an innominate).

    Started from the registered mean pelvis's sagittal plane, then refined so the mirrored sacrum
    falls onto itself (rigid ICP).
    """
    centre, normal = whole.apply(np.zeros(3)), whole.apply_direction(frames.Z_RIGHT)
    M = np.eye(4)
    M[:3, :3] -= 2 * np.outer(normal, normal)
    M[:3, 3] = 2 * (centre @ normal) * normal
    points = reg.sample_surface(sacrum, 2000, 3)
    fix, _ = reg.icp_similarity(frames.apply(M, points), points, reg.Similarity.identity(), allow_scale=False)
    A = frames.from_rt(fix.rotation, fix.translation)
    return A @ M


def _auricular_gaps(mean: dict[str, Surface], fits: dict[str, reg.BoneFit], user: dict[str, Surface]) -> dict[str, float]:
    """Per side, the gap that counts as auricular surface: the joint's measured width + 1 mm (2–6 mm).

    The width is the median distance from the user's ilium, where the fitted mean pelvis has its
    auricular surface, to the user's sacrum (exact closest points; where the bones overlap, 0).
    """
    out = {}
    for side in ("left", "right"):
        bone = f"innominate_{side}"
        faces = contact_patch(mean[bone], mean["sacrum"], AURICULAR_GAP_MM)
        on_user = fits[bone].map(mean[bone].face_centres[faces])
        nearest, _ = closest_points_on_surface(on_user, user[bone])
        _, signed = closest_points_on_surface(nearest, user["sacrum"])
        width = float(np.median(np.maximum(signed, 0.0)))
        out[side] = float(np.clip(width + 1.0, AURICULAR_GAP_MM, AURICULAR_GAP_MAX_MM))
    return out


def find_landmarks(mean_anatomy: Anatomy, user: dict[str, Surface], whole: reg.Similarity, folder: Path,
                   overlaps: list[checks.Overlap]) -> FoundLandmarks:
    """Fit the mean pelvis bone by bone, find the pelvic frame, run every rule (see the module docstring).

    ``user`` holds the three pelvic bones in the input frame, mm; ``whole`` is :func:`register_mean`'s
    result; ``overlaps`` are only used to explain a rule that fails.
    """
    mean = mean_surfaces(mean_anatomy)
    fits = {b: reg.fit_bone(mean[b], user[b], whole, seed=k) for k, b in enumerate(PELVIC_BONES)}
    frame = finder.find_pelvic_frame(user["innominate_right"], user["innominate_left"],
                                     whole.apply_direction(frames.X_ANTERIOR), whole.apply_direction(frames.Y_SUPERIOR))
    T = frame.T_pelvis_input
    dense = {b: finder.densified(user[b], RULE_EDGE_MM[b]).transformed(T) for b in PELVIC_BONES}
    symphysis_gap = float(np.clip(gap_mm(user["innominate_left"], user["innominate_right"], SYMPHYSIS_REACH_MM) + 3.0,
                                  SYMPHYSIS_GAP_MM, SYMPHYSIS_GAP_MAX_MM))
    try:
        rule = finder.pelvis_landmarks(dense["innominate_right"], dense["innominate_left"], dense["sacrum"], frame,
                                       _auricular_gaps(mean, fits, user), symphysis_gap)
    except LandmarkError as error:
        deep = [o for o in overlaps if o.deepest_mm > AURICULAR_GAP_MAX_MM]
        why = "".join(f"; {o.bones[0]} and {o.bones[1]} interpenetrate by up to {o.deepest_mm:.0f} mm" for o in deep)
        raise LandmarkError(f"{folder}: a landmark rule failed on these bones ({error}{why}); fix the meshes, or "
                            "give the landmarks in landmarks.json (see docs/anatomy.md)") from None
    back = frames.invert(T)
    found, agreement = {}, {}
    for name, lm in rule.items():
        found[name] = finder.transformed_landmark(back, lm)
        estimate = fits[lm.bone].map(mean_anatomy.point(name)[None])
        if not checks.is_centre(name):
            estimate, _ = closest_points_on_surface(estimate, user[lm.bone])
        agreement[name] = float(np.linalg.norm(estimate[0] - found[name].position_mm))
    return FoundLandmarks(found, agreement, {b: fit.distance_mm for b, fit in fits.items()})
