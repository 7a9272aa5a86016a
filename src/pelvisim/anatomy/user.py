"""A user's own bones: read them, find their landmarks, check them, move them into the pelvic frame.

A folder holds one mesh per bone, named after the bone (``sacrum``, ``innominate_left``,
``innominate_right``; optional ``femur_left`` and ``femur_right``) with one of the extensions of
:data:`~pelvisim.anatomy.mesh_files.MESH_EXTENSIONS`, in any frame (all bones in the same one),
in mm or m. docs/anatomy.md is the user's guide; in short:

1. **Read** each mesh and weld its duplicate vertices (:mod:`pelvisim.anatomy.mesh_files`).
2. **Units** from the innominate's size (mm or m); every bone must be in the same units.
3. **Register** the bundled mean pelvis to the user's three bones (rigid + scale from 24 starting
   poses, then per bone, then a smooth deformation; :mod:`pelvisim.anatomy.registration`). This
   tells anterior, superior and right on bones given in any frame, checks that the
   ``innominate_left`` / ``_right`` files hold a left and a right bone, and gives each landmark a
   second opinion. One missing innominate is made by mirroring the other across the sacrum's
   plane of symmetry.
4. **Find the landmarks** with the rules of :mod:`pelvisim.anatomy.landmarks`, in the pelvic frame
   found from the user's own anterior pelvic plane and PSIS (:mod:`pelvisim.anatomy.finder`).
   A landmark file (``landmarks.json`` or ``landmarks.csv``, in the meshes' frame and units) is
   optional; each landmark it gives replaces the one found.
5. **Check** (:mod:`pelvisim.anatomy.checks`): each landmark on its bone, sides by anatomy,
   dimensions in adult ranges; overlap between bones is measured and reported, and the sacrum can
   be moved clear of the ilia with the same step as the bundled build (``clear_joints``).
6. **Femurs** given in the pelvis's frame are kept; femurs in their own frame are placed with the
   head on the acetabulum, oriented like the bundled femur.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy import checks
from pelvisim.anatomy import finder
from pelvisim.anatomy import registration as reg
from pelvisim.anatomy.core import BONES, FEMURS, PELVIC_BONES, Anatomy, Bone, Landmark
from pelvisim.anatomy.io import read_landmark_file
from pelvisim.anatomy.joint_frames import joint_frames
from pelvisim.anatomy.landmarks import contact_patch, pelvic_frame_from_landmarks
from pelvisim.anatomy.mesh_files import MESH_EXTENSIONS, is_closed, read_mesh
from pelvisim.anatomy.surface import Surface, closest_points_on_surface, push_clear
from pelvisim.errors import DataNotFoundError, LandmarkError, MeshError

__all__ = ["ImportReport", "LandmarkCheck", "MESH_EXTENSIONS", "is_closed", "load_user_anatomy", "read_mesh"]

# Plausible bounding-box diagonal of each adult bone, mm (bundled mean: sacrum 185, innominate
# 291, femur 470); wide, because they only tell mm from m and catch a wrong file.
BONE_DIAGONAL_MM = {"sacrum": (90.0, 320.0), "innominate": (150.0, 480.0), "femur": (280.0, 700.0)}
# Bones from one scan articulate: the SIJ space on CT is a few mm, the symphyseal disc 4–6 mm wide.
SIJ_REACH_MM = 10.0
SYMPHYSIS_REACH_MM = 15.0
# The bundled build counts faces within 2 mm of the other bone as auricular surface; a scan's joint
# space can be wider, so the gap grows with the measured joint width (+1 mm), up to 6 mm.
AURICULAR_GAP_MM = 2.0
AURICULAR_GAP_MAX_MM = 6.0
# Landmark rules look for vertices in bands a few mm wide: split coarse meshes until their median
# edge is no longer than the bundled meshes' (sacrum 1.4 mm, innominate 2.0 mm).
RULE_EDGE_MM = {"sacrum": 1.5, "innominate_left": 2.0, "innominate_right": 2.0}
# Confidence: how far apart the rule's landmark and the fitted mean pelvis's landmark are.
# Measured on the 25 of the 26 LLP26 training subjects that import (shape model of
# musculoskeletal-models, evaluated like the bundled pelvis, given in the CT frame;
# benchmarks/user_import_subjects.py): per landmark the median disagreement is 1–8 mm and the 90th
# percentile at most 15 mm, except where a rule picked another feature (AIIS on the pubis in 6
# subjects, 38–68 mm). So ≤ 10 mm is usual agreement, 10–20 mm unusual, beyond 20 mm a different
# feature: look at the picture. (Re-meshing the bundled pelvis moves the rules' points by ≤ 3 mm.)
CONFIDENCE_MM = {"high": 10.0, "medium": 20.0}
# The symphysis rule counts the faces within 6 mm of the other pubis as its surface (bundled bones);
# a scan's (or a shape-model subject's) pubic bones can be further apart (the disc is 4–6 mm wide in
# adults, wider in some): the gap grows to the measured distance + 3 mm, up to 20 mm.
SYMPHYSIS_GAP_MM = 6.0
SYMPHYSIS_GAP_MAX_MM = 20.0
# A femur whose head centre is within 10 mm of the acetabulum centre is taken as given in the
# pelvis's frame (same scan); otherwise it is placed.
HEAD_ON_ACETABULUM_MM = 10.0
JOINT_CLEARANCE_MM = 0.3  # as the bundled build (pelvisim.anatomy.build)
JOINT_FALLOFF_MM = 4.0


@dataclass(frozen=True)
class LandmarkCheck:
    """Where one landmark came from and how sure the import is of it.

    Attributes
    ----------
    source : str
        ``"rule"`` (found by its rule), ``"file"`` (given in the landmark file) or ``"mirrored"``
        (the file's landmark on the other innominate, mirrored).
    agreement_mm : float or None
        Distance to the second opinion: for a rule landmark, the registered mean pelvis's
        landmark; for a file landmark, the rule's; None when there is none.
    confidence : str
        ``high``, ``medium`` or ``low`` (:data:`CONFIDENCE_MM`); ``given`` for a file landmark and
        ``not compared`` for a rule landmark without a second opinion (femurs).
    """

    source: str
    agreement_mm: float | None
    confidence: str


@dataclass(frozen=True)
class ImportReport:
    """What the import found and did, in plain words (printed by ``pelvisim meshes import``)."""

    anatomy: Anatomy
    units: str
    scale_to_mm: float
    mirrored: tuple[str, ...] = ()
    closed: dict[str, bool] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    landmark_file: str | None = None
    checks: dict[str, LandmarkCheck] = field(default_factory=dict)
    registration_mm: dict[str, float] = field(default_factory=dict)
    overlaps: tuple[checks.Overlap, ...] = ()
    cleared_move_mm: float | None = None
    notes: tuple[str, ...] = ()
    dimensions: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary lines: units, bones, landmarks with confidence, overlaps, notes."""
        out = [f"units: {self.units} (scaled ×{self.scale_to_mm:g} to mm)"]
        for bone in self.anatomy.bones:
            origin = "mirrored from the other side" if bone in self.mirrored else self.files.get(bone, "")
            fit = (f"; the fitted mean pelvis lies {self.registration_mm[bone]:.2f} mm from it on average"
                   if bone in self.registration_mm else "")
            out.append(f"{bone}: {self.anatomy.bones[bone].n_triangles} triangles, "
                       f"{'closed' if self.closed.get(bone) else 'open (has holes)'} — {origin}{fit}")
        source = f"; {self.landmark_file} overrides" if self.landmark_file else ""
        out.append(f"landmarks: {len(self.anatomy.landmarks)} (pelvic frame, mm{source}; confidence: how far the "
                   "rule's point and the registered mean pelvis's point are apart)")
        out.append(f"  {'name':<40} {'x':>8} {'y':>8} {'z':>8}  source   confidence")
        for name, lm in self.anatomy.landmarks.items():
            check = self.checks.get(name)
            x, y, z = lm.position_mm
            text = ""
            if check is not None:
                agreement = "" if check.agreement_mm is None else f" ({check.agreement_mm:.1f} mm)"
                text = f"{check.source:<8} {check.confidence}{agreement}"
            out.append(f"  {name:<40} {x:8.1f} {y:8.1f} {z:8.1f}  {text}")
        low = [n for n, c in self.checks.items() if c.confidence == "low"]
        if low:
            out.append(f"check these on the picture (low confidence): {', '.join(low)}; "
                       "give them in landmarks.json to override")
        for item in self.overlaps:
            out.append(item.line())
        if self.overlaps and self.cleared_move_mm is None:
            out.append("the sacrum can be moved clear of the ilia (as for the bundled bones): "
                       "pelvisim meshes import DIR -o OUT --clear-joints")
        if self.cleared_move_mm is not None:
            out.append(f"joints cleared: the sacrum's joint surfaces were moved up to {self.cleared_move_mm:.1f} mm, "
                       f"leaving a {JOINT_CLEARANCE_MM} mm gap to the ilia")
        out.extend(self.notes)
        return out


def _find_mesh(folder: Path, bone: str) -> Path | None:
    found = [p for p in sorted(folder.iterdir()) if p.stem.lower() == bone and p.suffix.lower() in MESH_EXTENSIONS]
    if len(found) > 1:
        raise MeshError(f"{folder}: several meshes for {bone}: {', '.join(p.name for p in found)}; keep one")
    return found[0] if found else None


def _other_side(name: str) -> str:
    return name.replace("left", "@").replace("right", "left").replace("@", "right")


def _diagonal(V: NDArray) -> float:
    return float(np.linalg.norm(V.max(axis=0) - V.min(axis=0)))


def _units(raw: dict[str, tuple[NDArray, NDArray]], paths: dict[str, Path]) -> tuple[str, float]:
    """Units of the meshes (mm or m), from the innominate; every bone must be in the same units."""
    reference = "innominate_right" if "innominate_right" in raw else "innominate_left"
    extent = _diagonal(raw[reference][0])
    low, high = BONE_DIAGONAL_MM["innominate"]
    if low / 1000 <= extent <= high / 1000:
        units, scale = "m", 1000.0
    elif low <= extent <= high:
        units, scale = "mm", 1.0
    else:
        raise MeshError(f"{paths[reference]}: implausible size (bounding-box diagonal {extent:g}); expected an "
                        "adult innominate in mm (≈ 290) or m (≈ 0.29)")
    for bone, (V, _) in raw.items():
        kind = bone.split("_")[0]
        low, high = BONE_DIAGONAL_MM[kind]
        size = _diagonal(V) * scale
        if low <= size <= high:
            continue
        for other_units, factor in (("m", 1000.0), ("mm", 1.0), ("cm", 10.0)):
            if other_units != units and low <= _diagonal(V) * factor <= high:
                raise MeshError(f"{paths[bone]}: units inconsistent: this bone looks like {other_units} while "
                                f"{paths[reference].name} is in {units}; save every mesh in the same units")
        raise MeshError(f"{paths[bone]}: implausible size for a {kind} ({size:.0f} mm across in {units}; "
                        f"expected {low:.0f}–{high:.0f} mm): is it the right bone?")
    return units, scale


def _gap_mm(a: Surface, b: Surface, reach_mm: float) -> float:
    """Smallest vertex-to-vertex distance between two surfaces (exact up to ``reach_mm``, estimated beyond)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(b.vertices)
    near = tree.query(a.vertices, distance_upper_bound=reach_mm)[0]
    if np.isfinite(near).any():
        return float(near.min())
    return float(tree.query(a.vertices[::10])[0].min())  # only for the message


def _check_articulation(surfaces: dict[str, Surface], paths: dict[str, Path]) -> None:
    """The pelvic bones touch where they articulate: they come from one scan, in one frame."""
    present = [b for b in ("innominate_left", "innominate_right") if b in surfaces]
    for bone in present:
        gap = _gap_mm(surfaces[bone], surfaces["sacrum"], SIJ_REACH_MM)
        if gap > SIJ_REACH_MM:
            raise MeshError(f"{paths[bone]}: articulation check failed: it is {gap:.0f} mm from "
                            f"{paths['sacrum'].name} (a sacroiliac joint is a few mm wide): the bones must be in one "
                            "frame, as exported together from one scan")
    if len(present) == 2:
        gap = _gap_mm(surfaces[present[1]], surfaces[present[0]], SYMPHYSIS_REACH_MM)
        if gap > SYMPHYSIS_REACH_MM:
            raise MeshError(f"{paths[present[1]]}: articulation check failed: it is {gap:.0f} mm from "
                            f"{paths[present[0]].name} at the pubic symphysis (a few mm): the bones must be in one "
                            "frame, as exported together from one scan")


def _mean_surfaces(mean: Anatomy) -> dict[str, Surface]:
    return {b: Surface(bone.vertices_mm, bone.faces) for b, bone in mean.bones.items()}


def _register(mean: dict[str, Surface], user: dict[str, Surface], paths: dict[str, Path]) -> reg.Similarity:
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


def _sagittal_reflection(sacrum: Surface, whole: reg.Similarity) -> NDArray[np.float64]:
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


def _reflect(R4: NDArray, lm: Landmark, name: str, bone: str) -> Landmark:
    normal = None if lm.normal is None else R4[:3, :3] @ lm.normal
    return Landmark(name, bone, frames.apply(R4, lm.position_mm), normal, lm.radius_mm, lm.area_mm2)


def _in_frame(T: NDArray, lm: Landmark) -> Landmark:
    normal = None if lm.normal is None else T[:3, :3] @ lm.normal
    return Landmark(lm.name, lm.bone, frames.apply(T, lm.position_mm), normal, lm.radius_mm, lm.area_mm2)


def _scaled(lm: Landmark, scale: float) -> Landmark:
    normal = None if lm.normal is None else lm.normal / np.linalg.norm(lm.normal)
    radius = None if lm.radius_mm is None else lm.radius_mm * scale
    area = None if lm.area_mm2 is None else lm.area_mm2 * scale**2
    return Landmark(lm.name, lm.bone, lm.position_mm * scale, normal, radius, area)


def _file_landmarks(path: Path | None, given: dict[str, Landmark], scale: float, units: str, known: dict[str, str],
                    surfaces: dict[str, Surface], notes: list[str]) -> dict[str, Landmark]:
    """The landmark file's landmarks in mm (input frame), checked: names, bones, units, on their bones."""
    if path is None:
        return {}
    unknown = sorted(n for n in given if n not in known)
    if unknown:
        notes.append(f"{path.name}: ignored {len(unknown)} landmark(s) pelvisim does not know: {', '.join(unknown)}")
    out = {}
    for name, lm in given.items():
        if name not in known:
            continue
        if lm.bone != known[name]:
            raise LandmarkError(f"{path}: landmark {name!r}: bone is {lm.bone}, but {name} belongs to {known[name]}")
        if lm.bone in surfaces:
            out[name] = _scaled(lm, scale)
        elif not lm.bone.startswith("femur"):
            notes.append(f"{path.name}: {name} ignored: {lm.bone} is mirrored from the other side")
    if not out:
        return out
    # units: the file must be in the meshes' units; try the other unit before blaming the landmarks
    names = [n for n in out if not checks.is_centre(n)] or list(out)
    distance = np.median([checks.distance_to_bone(out[n].position_mm, surfaces[out[n].bone])[0] for n in names])
    if distance > checks.ON_SURFACE_MM:
        for other, factor in (("mm", 1.0), ("m", 1000.0)):
            if other == units:
                continue
            trial = np.median([checks.distance_to_bone(out[n].position_mm * factor / scale,
                                                       surfaces[out[n].bone])[0] for n in names])
            if trial <= checks.ON_SURFACE_MM:
                raise LandmarkError(f"{path}: units check failed: the meshes are in {units} but the landmarks are "
                                    f"in {other}; write the landmark file in the meshes' units ({units})")
    checks.check_on_bones(out, surfaces, str(path))
    return out


def _confidence(source: str, distance: float | None) -> str:
    if distance is None:
        return "given" if source != "rule" else "not compared"
    for level, limit in CONFIDENCE_MM.items():
        if distance <= limit:
            return level
    return "low"


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


def _surface_normal(surface: Surface, point: NDArray, radius_mm: float = 10.0) -> NDArray[np.float64]:
    """Area-weighted outward normal of the faces within ``radius_mm`` of a point."""
    near = np.linalg.norm(surface.face_centres - point, axis=1) < radius_mm
    if not near.any():
        near = np.zeros(len(surface.faces), bool)
        near[int(np.argmin(np.linalg.norm(surface.face_centres - point, axis=1)))] = True
    n = (surface.face_normals[near] * surface.face_areas[near, None]).sum(axis=0)
    return n / np.linalg.norm(n)


def load_user_anatomy(folder: Path, clear_joints: bool = False) -> ImportReport:
    """Read, check and normalise a user's anatomy folder (see the module docstring and docs/anatomy.md).

    Parameters
    ----------
    folder : Path
        The folder with the bone meshes and, optionally, a landmark file.
    clear_joints : bool
        When the sacrum and an ilium interpenetrate, move the sacrum clear (0.3 mm) as the
        bundled build does. Overlap is always measured and reported.

    Returns
    -------
    ImportReport
        The :class:`~pelvisim.anatomy.core.Anatomy` (pelvic frame, mm) and what was found and done.

    Raises
    ------
    DataNotFoundError, MeshError, LandmarkError
        One line naming the file and the check that failed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataNotFoundError(f"{folder}: not a folder (expected a folder of bone meshes)")
    paths = {bone: _find_mesh(folder, bone) for bone in BONES}
    if paths["sacrum"] is None or (paths["innominate_left"] is None and paths["innominate_right"] is None):
        absent = [b for b in PELVIC_BONES if paths[b] is None]
        expected = ", ".join(f"{b}{{{','.join(MESH_EXTENSIONS)}}}" for b in PELVIC_BONES)
        raise MeshError(f"{folder}: missing bone meshes {', '.join(absent)} (expected files {expected})")
    notes: list[str] = []
    femur_paths = [b for b in FEMURS if paths[b] is not None]
    if len(femur_paths) == 1:
        notes.append(f"{paths[femur_paths[0]].name}: ignored (give both femurs or none)")
        paths[femur_paths[0]] = None
    paths = {b: p for b, p in paths.items() if p is not None}
    lm_path, given = read_landmark_file(folder)

    raw = {bone: read_mesh(p) for bone, p in paths.items()}
    units, scale = _units(raw, paths)
    user = {bone: Surface(V * scale, F).outward() for bone, (V, F) in raw.items()}
    closed = {bone: is_closed(F) for bone, (V, F) in raw.items()}
    _check_articulation(user, paths)

    from pelvisim.anatomy.io import load_anatomy

    mean_anatomy = load_anatomy()
    known = {n: lm.bone for n, lm in mean_anatomy.landmarks.items()}
    from_file = _file_landmarks(lm_path, given, scale, units, known, user, notes)
    pelvis_names = [n for n, b in known.items() if b in PELVIC_BONES]
    mirrored: list[str] = []
    found: dict[str, Landmark] = {}  # in the input frame, mm
    opinions: dict[str, float] = {}
    sources = {n: "file" for n in from_file}
    registration_mm: dict[str, float] = {}
    overlaps: list[checks.Overlap] = []
    cleared: float | None = None
    # the rules run unless the file gives every pelvic landmark and both innominates are there
    needs_rules = any(n not in from_file for n in pelvis_names) or not all(b in user for b in PELVIC_BONES)

    if needs_rules:
        mean = _mean_surfaces(mean_anatomy)
        whole = _register(mean, user, paths)
        for side, other in (("left", "right"), ("right", "left")):
            bone = f"innominate_{side}"
            if bone in user:
                continue
            R4 = _sagittal_reflection(user["sacrum"], whole)
            twin = user[f"innominate_{other}"]
            user[bone] = Surface(frames.apply(R4, twin.vertices), twin.faces[:, ::-1].copy()).outward()
            closed[bone] = closed[f"innominate_{other}"]
            mirrored.append(bone)
            for name, lm in list(from_file.items()):
                if lm.bone == f"innominate_{other}":
                    from_file[_other_side(name)] = _reflect(R4, lm, _other_side(name), bone)
                    sources[_other_side(name)] = "mirrored"
        overlaps, cleared = _overlaps(user, closed, clear_joints, paths)
        fits = {b: reg.fit_bone(mean[b], user[b], whole, seed=k) for k, b in enumerate(PELVIC_BONES)}
        registration_mm = {b: fit.distance_mm for b, fit in fits.items()}
        frame = finder.find_pelvic_frame(user["innominate_right"], user["innominate_left"],
                                         whole.apply_direction(frames.X_ANTERIOR),
                                         whole.apply_direction(frames.Y_SUPERIOR))
        T = frame.T_pelvis_input
        dense = {b: finder.densified(user[b], RULE_EDGE_MM[b]).transformed(T) for b in PELVIC_BONES}
        try:
            symphysis_gap = float(np.clip(_gap_mm(user["innominate_left"], user["innominate_right"],
                                                  SYMPHYSIS_REACH_MM) + 3.0, SYMPHYSIS_GAP_MM, SYMPHYSIS_GAP_MAX_MM))
            rule = finder.pelvis_landmarks(dense["innominate_right"], dense["innominate_left"], dense["sacrum"], frame,
                                           _auricular_gaps(mean, fits, user), symphysis_gap)
        except LandmarkError as error:
            deep = [o for o in overlaps if o.deepest_mm > AURICULAR_GAP_MAX_MM]
            why = "".join(f"; {o.bones[0]} and {o.bones[1]} interpenetrate by up to {o.deepest_mm:.0f} mm" for o in deep)
            raise LandmarkError(f"{folder}: a landmark rule failed on these bones ({error}{why}); fix the meshes, or "
                                "give the landmarks in landmarks.json (see docs/anatomy.md)") from None
        back = frames.invert(T)
        for name, lm in rule.items():
            found[name] = _in_frame(back, lm)
            estimate = fits[lm.bone].map(mean_anatomy.point(name)[None])
            if not checks.is_centre(name):
                estimate, _ = closest_points_on_surface(estimate, user[lm.bone])
            opinions[name] = float(np.linalg.norm(estimate[0] - found[name].position_mm))
    else:
        overlaps, cleared = _overlaps(user, closed, clear_joints, paths)

    # the file overrides; the frame comes from the final ASIS and PSIS
    landmarks = {**{n: lm for n, lm in found.items()}, **from_file}
    missing = [n for n in pelvis_names if n not in landmarks]
    if missing:  # only when the rules did not run and the file is incomplete
        raise LandmarkError(f"{lm_path}: missing landmarks {', '.join(missing)}")
    p = {n: landmarks[n].position_mm for n in ("asis_right", "asis_left", "psis_right", "psis_left")}
    T = pelvic_frame_from_landmarks(p["asis_right"], p["asis_left"], p["psis_right"], p["psis_left"])
    where = str(lm_path) if lm_path else str(folder)
    surfaces = {b: s.transformed(T) for b, s in user.items()}
    landmarks = {n: _in_frame(T, lm) for n, lm in landmarks.items()}
    for name, lm in list(landmarks.items()):
        if name in from_file and name in found:
            opinions[name] = float(np.linalg.norm(lm.position_mm - frames.apply(T, found[name].position_mm)))
            rule = found[name]
            if lm.normal is None and rule.normal is not None:
                lm = Landmark(name, lm.bone, lm.position_mm, _surface_normal(surfaces[lm.bone], lm.position_mm),
                              lm.radius_mm, lm.area_mm2 if lm.area_mm2 is not None else rule.area_mm2)
            if lm.radius_mm is None and rule.radius_mm is not None:
                lm = Landmark(name, lm.bone, lm.position_mm, lm.normal, rule.radius_mm, lm.area_mm2)
            landmarks[name] = lm
    for name in [f"auricular_{b}_{s}_centroid" for b in ("innominate", "sacrum") for s in ("left", "right")] + [
            "s1_endplate_centre"]:
        lm = landmarks[name]
        if lm.normal is None:  # a file without normals: take the bone's own
            landmarks[name] = Landmark(name, lm.bone, lm.position_mm, _surface_normal(surfaces[lm.bone], lm.position_mm),
                                       lm.radius_mm, lm.area_mm2)
    if any(b.startswith("femur") for b in surfaces):
        notes.extend(_femurs(surfaces, landmarks, from_file, T, mean_anatomy, paths))
    checks.check_sides(landmarks, where)
    for name in landmarks:
        sources.setdefault(name, "rule")
    report_checks = {n: LandmarkCheck(sources[n], opinions.get(n), _confidence(sources[n], opinions.get(n)))
                     for n in landmarks}
    ordered = {n: landmarks[n] for n in sorted(landmarks)}
    bones = {b: Bone(b, s.vertices, s.faces) for b, s in surfaces.items()}
    try:
        anatomy = Anatomy(bones, ordered, joint_frames(ordered), source=f"user meshes from {folder.name}/")
    except LandmarkError as error:
        raise LandmarkError(f"{where}: {error}") from None
    dims = checks.check_dimensions(anatomy, where)
    files = {bone: p.name for bone, p in paths.items()}
    return ImportReport(anatomy, units, scale, tuple(mirrored), closed, files, lm_path.name if lm_path else None,
                        report_checks, registration_mm, tuple(overlaps), cleared, tuple(notes), dims)


def _overlaps(user: dict[str, Surface], closed: dict[str, bool], clear: bool, paths: dict[str, Path]
              ) -> tuple[list[checks.Overlap], float | None]:
    """Overlap of each pair of pelvic bones; with ``clear``, then move the sacrum clear of the ilia.

    Returns the overlaps found (before any move) and the sacrum's largest move in mm (None when
    it was not moved); ``user["sacrum"]`` is replaced by the moved sacrum.
    """
    pairs = [("sacrum", "innominate_left"), ("sacrum", "innominate_right"), ("innominate_left", "innominate_right")]
    found = [o for a, b in pairs
             if (o := checks.overlap(user[a], user[b], (a, b), closed[a] and closed[b])) is not None]
    sij = [o for o in found if "sacrum" in o.bones]
    if not (clear and sij):
        return found, None
    if not all(closed[b] for b in PELVIC_BONES):
        open_bones = ", ".join(paths.get(b, Path(b)).name for b in PELVIC_BONES if not closed[b])
        raise MeshError(f"{open_bones}: the joints can be cleared only between closed bones (this one has holes)")
    # each move fades out over 4 mm as in the bundled build, or over three edges of a coarser mesh
    # (a fade shorter than an edge moves single vertices and folds their triangles)
    falloff = max(JOINT_FALLOFF_MM, 3.0 * finder.median_edge_mm(user["sacrum"]))
    try:
        separation = push_clear(user["sacrum"], [user["innominate_right"], user["innominate_left"]],
                                JOINT_CLEARANCE_MM, falloff_mm=falloff)
    except MeshError as error:
        raise MeshError(f"{paths['sacrum']}: the clearance step failed ({error}); the bones overlap too much for a "
                        "small move: fix the meshes, or import without --clear-joints") from None
    user["sacrum"] = separation.surface
    left = [checks.overlap(user[a], user[b], (a, b), True) for a, b in pairs[:2]]
    if any(o is not None for o in left):
        raise MeshError(f"{paths['sacrum']}: the clearance step did not separate the sacrum from the ilia; "
                        "fix the meshes, or import without --clear-joints")
    return found, separation.largest_move_mm


def _femurs(surfaces: dict[str, Surface], landmarks: dict[str, Landmark], from_file: dict[str, Landmark],
            T: NDArray, mean: Anatomy, paths: dict[str, Path]) -> list[str]:
    """Keep femurs given in the pelvis's frame; place the others on the acetabula. Adds femur landmarks.

    ``surfaces`` and ``landmarks`` are in the pelvic frame and updated in place; ``from_file`` is in
    the input frame (``T`` takes it to the pelvic frame).
    """
    notes = []
    for side in ("left", "right"):
        bone = f"femur_{side}"
        femur = surfaces[bone]
        acetabulum = landmarks[f"acetabulum_centre_{side}"].position_mm
        head = None
        if float(np.min(np.linalg.norm(femur.vertices - acetabulum, axis=1))) < 40.0:
            found = finder.femur_landmarks(femur, side, acetabulum)
            head = found[f"femoral_head_centre_{side}"].position_mm
        given = [n for n, lm in from_file.items() if lm.bone == bone]
        if head is not None and np.linalg.norm(head - acetabulum) <= HEAD_ON_ACETABULUM_MM:
            landmarks.update(found)
            landmarks.update({n: _in_frame(T, from_file[n]) for n in given})
            continue
        distance = float(np.linalg.norm((head if head is not None else femur.vertices.mean(axis=0)) - acetabulum))
        surfaces[bone] = _place_femur(femur, side, mean, acetabulum, paths[bone])
        landmarks.update(finder.femur_landmarks(surfaces[bone], side, acetabulum))
        notes.append(f"{paths[bone].name}: its head was {distance:.0f} mm from the {side} acetabulum (a femur in its "
                     "own frame); placed with the head centre on the acetabulum centre, oriented like the bundled femur"
                     + (f" ({', '.join(given)} from the landmark file ignored)" if given else ""))
    return notes


def _place_femur(femur: Surface, side: str, mean: Anatomy, acetabulum: NDArray, path: Path) -> Surface:
    """The femur turned like the bundled one (pelvic frame) and moved so its head is on the acetabulum."""
    bone = f"femur_{side}"
    other = f"femur_{'right' if side == 'left' else 'left'}"
    target = reg.sample_surface(femur, 3000, 1)
    fits = {}
    for name in (bone, other):
        template = Surface(mean.bones[name].vertices_mm, mean.bones[name].faces)
        fits[name] = reg.register_similarity(reg.sample_surface(template, 1500, 2), target)
    if fits[other][1] < 0.8 * fits[bone][1]:
        raise MeshError(f"{path}: sides check failed: this looks like a {other.split('_')[1]} femur "
                        f"(the mean {other} fits it within {fits[other][1]:.1f} mm, the mean {bone} within "
                        f"{fits[bone][1]:.1f} mm): are femur_left and femur_right swapped?")
    S = fits[bone][0]
    R = S.rotation.T
    turned = Surface((femur.vertices - S.translation) @ R.T, femur.faces)  # = scale × the mean femur's pose
    head = R @ (S.apply(mean.point(f"femoral_head_centre_{side}")) - S.translation)
    found = finder.femur_landmarks(turned, side, head)
    shift = acetabulum - found[f"femoral_head_centre_{side}"].position_mm
    return Surface(turned.vertices + shift, turned.faces)
