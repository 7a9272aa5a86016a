"""Joint limits: when a pose asks more of the symphysis or an SIJ than was ever measured in vivo.

Two checks, both on the model layer (numpy/scipy only):

- :func:`joint_limit_warnings` compares a true-scale pose with published in-vivo limits: the pubic
  symphysis (vertical shear, sagittal shift, gap change) and each sacroiliac joint (translation of
  its centre, total rotation). Each warning names the measurement and how it was made.
- :func:`magnification_overlap_note` says when display magnification makes bones pass through each
  other at a joint where the true-scale pose does not — an artefact of the drawing, not a finding.

How the symphysis is measured here: the right pubis relative to the left one
(``T_left⁻¹ · T_right``), read at the symphysis centre (mid-point of the two symphyseal surface
landmarks) in pelvic-frame axes: x = sagittal shift, y = vertical shear, z = gap change (positive
opens the gap). The SIJ: the innominate relative to the sacrum, the translation of the joint
centre (auricular centroid) and the total rotation angle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pelvisim import frames, joints
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.anatomy.surface import Surface, closest_points_on_surface
from pelvisim.pose import JointState, pose

# --- published limits (reference/BIOMECHANICS.md §1), each with how it was measured ---------------
SYMPHYSIS_VERTICAL_SHEAR_LIMIT_MM = 2.6
SYMPHYSIS_SAGITTAL_SHIFT_LIMIT_MM = 1.3
SYMPHYSIS_SOURCE = (
    "Walheim, in Meissner 1996 (Unfallchirurg 99:415): pubic symphysis motion in living subjects, one-leg stance "
    "(up to 2.6 mm vertical, 1.3 mm sagittal) and walking (2.2 mm, 1.3 mm); no effective transverse motion"
)
SYMPHYSIS_GAP_CHANGE_LIMIT_MM = 0.5
SYMPHYSIS_GAP_SOURCE = (
    "Walheim, in Meissner 1996: no effective transverse (gap) motion of the symphysis in one-leg stance or walking; "
    "pelvisim flags gap changes above 0.5 mm, about the smallest translation RSA resolves in patients "
    "(0.47 mm, Kibsgård 2012) [pelvisim threshold]"
)
SIJ_TRANSLATION_LIMIT_MM = 2.0
SIJ_TRANSLATION_SOURCE = (
    "RSA (tantalum markers in the bone): SIJ translation has never exceeded 2 mm (review in Kibsgård 2012, Clin "
    "Orthop Relat Res 470:3187); > 2 mm was proposed as pathological (Jacob & Kissling 1995, Kirschner wires with "
    "external markers photographed in stereo)"
)
SIJ_ROTATION_LIMIT_DEG = 3.6
SIJ_ROTATION_SOURCE = (
    "RSA: the largest SIJ rotation measured is 3.6° (review in Kibsgård 2012); only one symptomatic volunteer "
    "exceeded 6° (Jacob & Kissling 1995, Kirschner wires with external markers photographed in stereo)"
)

OVERLAP_DEPTH_MM = 0.5
"""A joint counts as overlapping when a vertex of one bone lies more than this deep inside the other.
Above the 0.3 mm joint clearance the bundled meshes are built with (PROVENANCE.md), so touching
surfaces at neutral never count."""
OVERLAP_PATCH_RADIUS_MM = 20.0
"""Vertices within this distance of the other bone at neutral are tested (joint-surface patches).
Bones reach each other through these vertices first, so deeper ones never need testing."""
OVERLAP_PROBE_SPACING_MM = 4.0
"""The probe vertices are thinned to one per cube of this size (keeps a call within a few ms)."""
OVERLAP_SEARCH_MM = 8.0
"""Probe vertices are looked up within this distance of the other bone's surface (speed; see code)."""
OVERLAP_CONFIRMED = 8
"""At most this many of the deepest nearest-vertex candidates are confirmed by exact closest points."""

JOINT_BONES = {
    "symphysis": ("innominate_left", "innominate_right"),
    "sij_left": ("innominate_left", "sacrum"),
    "sij_right": ("innominate_right", "sacrum"),
}
JOINT_WORDS = {"symphysis": "symphysis", "sij_left": "left SIJ", "sij_right": "right SIJ"}


@dataclass(frozen=True)
class LimitWarning:
    """One joint quantity beyond its published in-vivo limit.

    Attributes
    ----------
    joint : str
        ``"symphysis"``, ``"sij_left"`` or ``"sij_right"``.
    quantity : str
        ``"vertical shear"``, ``"sagittal shift"``, ``"gap change"``, ``"translation"`` or ``"rotation"``.
    value : float
        Magnitude, in ``unit`` (always positive).
    unit : str
        ``"mm"`` or ``"deg"``.
    limit : float
        The published limit it exceeds, in ``unit``.
    source : str
        Citation with the measurement method.
    text : str
        One display line.
    """

    joint: str
    quantity: str
    value: float
    unit: str
    limit: float
    source: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return dataclasses.asdict(self)


# --- joint motions ---------------------------------------------------------------------------------
def symphysis_centre(anatomy: Anatomy) -> NDArray[np.float64]:
    """Mid-point (3,) of the two symphyseal surface landmarks, mm."""
    return joints.symphysis_centre(anatomy)


def symphysis_gap_mm(anatomy: Anatomy) -> float:
    """Width of the symphysis at neutral: left-right distance between the two symphyseal surface landmarks, mm."""
    return float(abs(anatomy.point("symphysis_right")[2] - anatomy.point("symphysis_left")[2]))


def symphysis_motion_mm(anatomy: Anatomy, state: JointState) -> NDArray[np.float64]:
    """Right pubis relative to the left one at the symphysis centre: (sagittal, vertical, gap opening), mm."""
    D = frames.invert(state.T_pelvis["innominate_left"]) @ state.T_pelvis["innominate_right"]
    c = symphysis_centre(anatomy)
    return frames.apply(D, c) - c


def sij_motion(anatomy: Anatomy, state: JointState, side: str) -> tuple[float, float]:
    """``(translation_mm, rotation_deg)`` of one innominate relative to the sacrum at its SIJ centre."""
    T = state.relative("sacrum", f"innominate_{side}")
    c = joints.joint_centre(anatomy, side)
    return float(np.linalg.norm(frames.apply(T, c) - c)), float(np.degrees(frames.rotation_angle_rad(T)))


def joint_limit_warnings(anatomy: Anatomy, state: JointState) -> tuple[LimitWarning, ...]:
    """Every joint quantity of a true-scale pose that exceeds its published in-vivo limit.

    Parameters
    ----------
    anatomy : Anatomy
    state : JointState
        True scale (magnification never reaches a limit check).

    Returns
    -------
    tuple of LimitWarning
        Empty when every joint stays within what was measured in vivo.
    """
    out: list[LimitWarning] = []
    sagittal, vertical, gap = (float(v) for v in symphysis_motion_mm(anatomy, state))
    if abs(vertical) > SYMPHYSIS_VERTICAL_SHEAR_LIMIT_MM:
        higher = "right" if vertical > 0 else "left"
        out.append(LimitWarning(
            "symphysis", "vertical shear", abs(vertical), "mm", SYMPHYSIS_VERTICAL_SHEAR_LIMIT_MM, SYMPHYSIS_SOURCE,
            f"Symphysis vertical shear {abs(vertical):.1f} mm ({higher} pubis higher) exceeds the "
            f"{SYMPHYSIS_VERTICAL_SHEAR_LIMIT_MM:g} mm measured in vivo (Walheim, in Meissner 1996, one-leg stance)"))
    if abs(sagittal) > SYMPHYSIS_SAGITTAL_SHIFT_LIMIT_MM:
        forward = "right" if sagittal > 0 else "left"
        out.append(LimitWarning(
            "symphysis", "sagittal shift", abs(sagittal), "mm", SYMPHYSIS_SAGITTAL_SHIFT_LIMIT_MM, SYMPHYSIS_SOURCE,
            f"Symphysis sagittal shift {abs(sagittal):.1f} mm ({forward} pubis forward) exceeds the "
            f"{SYMPHYSIS_SAGITTAL_SHIFT_LIMIT_MM:g} mm measured in vivo (Walheim, in Meissner 1996)"))
    if abs(gap) > SYMPHYSIS_GAP_CHANGE_LIMIT_MM:
        width = symphysis_gap_mm(anatomy)
        if gap < 0:
            what = f"closes by {-gap:.1f} mm of its {width:.1f} mm"
            if -gap >= width:
                what += " (the pubic bones would pass through each other)"
        else:
            what = f"opens by {gap:.1f} mm from {width:.1f} mm"
        out.append(LimitWarning(
            "symphysis", "gap change", abs(gap), "mm", SYMPHYSIS_GAP_CHANGE_LIMIT_MM, SYMPHYSIS_GAP_SOURCE,
            f"Symphysis gap {what}; no transverse symphysis motion was measured in vivo (Walheim, in Meissner 1996)"))
    for side in SIDES:
        translation, rotation = sij_motion(anatomy, state, side)
        joint = f"sij_{side}"
        if translation > SIJ_TRANSLATION_LIMIT_MM:
            out.append(LimitWarning(
                joint, "translation", translation, "mm", SIJ_TRANSLATION_LIMIT_MM, SIJ_TRANSLATION_SOURCE,
                f"{side.capitalize()} SIJ translation {translation:.1f} mm exceeds the {SIJ_TRANSLATION_LIMIT_MM:g} mm "
                "ever measured by RSA (Kibsgård 2012)"))
        if rotation > SIJ_ROTATION_LIMIT_DEG:
            out.append(LimitWarning(
                joint, "rotation", rotation, "deg", SIJ_ROTATION_LIMIT_DEG, SIJ_ROTATION_SOURCE,
                f"{side.capitalize()} SIJ rotation {rotation:.1f}° exceeds the {SIJ_ROTATION_LIMIT_DEG:g}° largest "
                "measured by RSA (Kibsgård 2012); > 6° was seen once, in a symptomatic volunteer (Jacob & Kissling 1995)"))
    return tuple(out)


def limit_note(warning: LimitWarning) -> str:
    """A joint-limit warning in one short line, e.g. ``"symphysis vertical shear 3.9 mm > 2.6 mm in vivo"``.

    The full sentence with its source is ``warning.text`` (the app's side panel, ``describe``); the
    panels of the app, videos and lesson pages show this line.
    """
    unit = "°" if warning.unit == "deg" else f" {warning.unit}"
    return (f"{JOINT_WORDS.get(warning.joint, warning.joint)} {warning.quantity} {warning.value:.1f}{unit} "
            f"> {warning.limit:g}{unit} in vivo")


# --- bones passing through each other under magnification ------------------------------------------
@dataclass(frozen=True, eq=False)
class _JointPatch:
    """Probe vertices of one bone near a joint, and the other bone's surface to test them against."""

    joint: str
    probe_bone: str
    surface_bone: str
    probes: NDArray[np.float64]
    surface: Surface
    tree: cKDTree
    vertex_index: NDArray[np.int64]


def _thinned(points: NDArray[np.float64], spacing_mm: float) -> NDArray[np.float64]:
    """One point per cube of ``spacing_mm`` (the first in each), deterministic."""
    keys = np.floor(points / spacing_mm).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return points[np.sort(first)]


@lru_cache(maxsize=8)
def _joint_patches(anatomy: Anatomy) -> tuple[_JointPatch, ...]:
    patches = []
    for joint, (probe_bone, surface_bone) in JOINT_BONES.items():
        if probe_bone not in anatomy.bones or surface_bone not in anatomy.bones:
            continue
        a, b = anatomy.bones[probe_bone], anatomy.bones[surface_bone]
        surface = Surface(np.asarray(b.vertices_mm, dtype=float), np.asarray(b.faces))
        near_b, _ = cKDTree(b.vertices_mm).query(a.vertices_mm, distance_upper_bound=OVERLAP_PATCH_RADIUS_MM)
        probes = _thinned(np.asarray(a.vertices_mm, dtype=float)[np.isfinite(near_b)], OVERLAP_PROBE_SPACING_MM)
        near_a, _ = cKDTree(a.vertices_mm).query(b.vertices_mm, distance_upper_bound=2.0 * OVERLAP_PATCH_RADIUS_MM)
        index = np.flatnonzero(np.isfinite(near_a))
        for prepared in (surface.face_tree, surface.vertex_pseudo_normals, surface.edge_pseudo_normals):
            assert prepared is not None  # build the cached search structures now, not during a frame
        patches.append(_JointPatch(joint, probe_bone, surface_bone, probes, surface,
                                   cKDTree(surface.vertices[index]), index))
    return tuple(patches)


def _deepest_penetration_mm(patch: _JointPatch, T_world: dict[str, NDArray]) -> float:
    """How deep (mm, ≥ 0) the probe bone's patch vertices sit inside the other bone in this pose."""
    T = frames.invert(T_world[patch.surface_bone]) @ T_world[patch.probe_bone]
    P = frames.apply(T, patch.probes)
    # A vertex more than OVERLAP_SEARCH_MM from the other bone's surface cannot be a shallow
    # penetration; a deep one always comes with shallow ones along the penetration front.
    distance, nearest = patch.tree.query(P, distance_upper_bound=OVERLAP_SEARCH_MM)
    found = np.isfinite(distance)
    P, index = P[found], patch.vertex_index[nearest[found]]
    v, n = patch.surface.vertices[index], patch.surface.vertex_pseudo_normals[index]
    approx = np.einsum("ij,ij->i", P - v, n)
    # Nearest-vertex signs are approximate; confirm the candidates with exact closest points.
    candidates = np.flatnonzero(approx < -0.5 * OVERLAP_DEPTH_MM)
    if not len(candidates):
        return 0.0
    deepest = candidates[np.argsort(approx[candidates])[:OVERLAP_CONFIRMED]]
    _, signed = closest_points_on_surface(P[deepest], patch.surface)
    return float(max(0.0, -signed.min()))


def overlapping_joints(anatomy: Anatomy, state: JointState, magnification: float = 1.0,
                       only: frozenset[str] | None = None) -> dict[str, float]:
    """Penetration depth (mm) per joint where bones pass through each other at this magnification.

    ``only`` restricts the check to those joints (``"symphysis"``, ``"sij_left"``, ``"sij_right"``).
    """
    T_world = dict(pose(anatomy, state, magnification).T_world)
    out = {}
    for patch in _joint_patches(anatomy):
        if only is not None and patch.joint not in only:
            continue
        depth = _deepest_penetration_mm(patch, T_world)
        if depth > OVERLAP_DEPTH_MM:
            out[patch.joint] = depth
    return out


def magnification_overlap_note(anatomy: Anatomy, state: JointState, magnification: float) -> str | None:
    """``"bones overlap: an artefact of ×20"`` when magnification makes bones pass through each other.

    Only joints where the true-scale pose does not overlap count (a kinematic model that already
    overlaps at true scale is reported by :func:`joint_limit_warnings`, not blamed on the drawing).

    Parameters
    ----------
    anatomy : Anatomy
    state : JointState
        True-scale state.
    magnification : float
        The display factor of the drawn pose.

    Returns
    -------
    str or None
        None at true scale and whenever the magnified bones stay apart.
    """
    if magnification == 1.0:
        return None
    magnified = overlapping_joints(anatomy, state, magnification)
    if not magnified:
        return None
    true_scale = overlapping_joints(anatomy, state, 1.0, only=frozenset(magnified))
    if not set(magnified) - set(true_scale):
        return None
    return f"bones overlap: an artefact of ×{magnification:g}"
