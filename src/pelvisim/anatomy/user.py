"""A user's own bones: read them, find their landmarks, check them, move them into the pelvic frame.

A folder holds one mesh per bone, named after the bone (``sacrum``, ``innominate_left``,
``innominate_right``; optional ``femur_left`` and ``femur_right``) with one of the extensions of
:data:`~pelvisim.anatomy.mesh_files.MESH_EXTENSIONS`, in any frame (all bones in the same one),
in mm or m. docs/anatomy.md is the user's guide; in short:

1. **Read** each mesh and weld its duplicate vertices (:mod:`pelvisim.anatomy.mesh_files`).
2. **Units** from the innominate's size (mm or m); every bone must be in the same units.
3. **Register** the bundled mean pelvis to the user's three bones (rigid + scale from 24 starting
   poses, then per bone, then a smooth deformation; :mod:`pelvisim.anatomy.auto_landmarks`,
   :mod:`pelvisim.anatomy.registration`). This
   tells anterior, superior and right on bones given in any frame, checks that the
   ``innominate_left`` / ``_right`` files hold a left and a right bone, and gives each landmark a
   second opinion. One missing innominate is made by mirroring the other across the sacrum's
   plane of symmetry.
4. **Find the landmarks** with the rules of :mod:`pelvisim.anatomy.landmarks`, in the pelvic frame
   found from the user's own anterior pelvic plane and PSIS (:mod:`pelvisim.anatomy.finder`);
   the rules run only when the landmark file does not give every landmark. A landmark file (``landmarks.json`` or ``landmarks.csv``, in the meshes' frame and units) is
   optional; each landmark it gives replaces the one found.
5. **Check** (:mod:`pelvisim.anatomy.checks`): each landmark on its bone, sides by anatomy,
   dimensions in adult ranges; overlap between bones is measured and reported, and the sacrum can
   be moved clear of the ilia with the same step as the bundled build (``clear_joints``).
6. **Femurs** given in the pelvis's frame are kept; femurs in their own frame are placed with the
   head on the acetabulum, oriented like the bundled femur (:mod:`pelvisim.anatomy.femur_placement`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy import checks, finder
from pelvisim.anatomy.auto_landmarks import (SYMPHYSIS_REACH_MM, find_landmarks, gap_mm, mean_surfaces, register_mean,
                                             sagittal_reflection)
from pelvisim.anatomy.core import BONES, FEMURS, PELVIC_BONES, Anatomy, Bone, Landmark
from pelvisim.anatomy.femur_placement import place_femurs
from pelvisim.anatomy.io import read_landmark_file
from pelvisim.anatomy.joint_frames import joint_frames
from pelvisim.anatomy.landmarks import pelvic_frame_from_landmarks
from pelvisim.anatomy.mesh_files import MESH_EXTENSIONS, is_closed, read_mesh
from pelvisim.anatomy.registration import Similarity
from pelvisim.anatomy.surface import Surface, push_clear
from pelvisim.errors import DataNotFoundError, LandmarkError, MeshError

__all__ = ["ImportReport", "LandmarkCheck", "MESH_EXTENSIONS", "is_closed", "load_user_anatomy", "read_mesh"]

# Plausible bounding-box diagonal of each adult bone, mm (bundled mean: sacrum 185, innominate
# 291, femur 470); wide, because they only tell mm from m and catch a wrong file.
BONE_DIAGONAL_MM = {"sacrum": (90.0, 320.0), "innominate": (150.0, 480.0), "femur": (280.0, 700.0)}
# Bones from one scan articulate: the SIJ space on CT is a few mm, the symphyseal disc 4–6 mm wide
# (SYMPHYSIS_REACH_MM, 15 mm, in auto_landmarks).
SIJ_REACH_MM = 10.0
# Confidence: how far apart the rule's landmark and the fitted mean pelvis's landmark are.
# Measured on the 25 of the 26 LLP26 training subjects that import (shape model of
# musculoskeletal-models, evaluated like the bundled pelvis, given in the CT frame;
# benchmarks/user_import_subjects.py): per landmark the median disagreement is 1–8 mm and the 90th
# percentile at most 15 mm, except where a rule picked another feature (AIIS on the pubis in 6
# subjects, 38–68 mm). So ≤ 10 mm is usual agreement, 10–20 mm unusual, beyond 20 mm a different
# feature: look at the picture. (Re-meshing the bundled pelvis moves the rules' points by ≤ 3 mm.)
CONFIDENCE_MM = {"high": 10.0, "medium": 20.0}
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


def _check_articulation(surfaces: dict[str, Surface], paths: dict[str, Path]) -> None:
    """The pelvic bones touch where they articulate: they come from one scan, in one frame."""
    present = [b for b in ("innominate_left", "innominate_right") if b in surfaces]
    for bone in present:
        gap = gap_mm(surfaces[bone], surfaces["sacrum"], SIJ_REACH_MM)
        if gap > SIJ_REACH_MM:
            raise MeshError(f"{paths[bone]}: articulation check failed: it is {gap:.0f} mm from "
                            f"{paths['sacrum'].name} (a sacroiliac joint is a few mm wide): the bones must be in one "
                            "frame, as exported together from one scan")
    if len(present) == 2:
        gap = gap_mm(surfaces[present[1]], surfaces[present[0]], SYMPHYSIS_REACH_MM)
        if gap > SYMPHYSIS_REACH_MM:
            raise MeshError(f"{paths[present[1]]}: articulation check failed: it is {gap:.0f} mm from "
                            f"{paths[present[0]].name} at the pubic symphysis (a few mm): the bones must be in one "
                            "frame, as exported together from one scan")


def _reflect(R4: NDArray, lm: Landmark, name: str, bone: str) -> Landmark:
    normal = None if lm.normal is None else R4[:3, :3] @ lm.normal
    return Landmark(name, bone, frames.apply(R4, lm.position_mm), normal, lm.radius_mm, lm.area_mm2)


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
    paths, notes = _bone_files(folder)
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
    sources = {n: "file" for n in from_file}
    pelvis_names = [n for n, b in known.items() if b in PELVIC_BONES]
    # the rules run unless the file gives every pelvic landmark and both innominates are there
    needs_rules = any(n not in from_file for n in pelvis_names) or not all(b in user for b in PELVIC_BONES)
    whole = register_mean(mean_surfaces(mean_anatomy), user, paths) if needs_rules else None
    mirrored = _mirror_missing_innominate(user, closed, from_file, sources, whole) if needs_rules else []
    overlaps, cleared = _overlaps(user, closed, clear_joints, paths)
    auto = find_landmarks(mean_anatomy, user, whole, folder, overlaps) if needs_rules else None
    found = auto.landmarks if auto else {}
    opinions = dict(auto.agreement_mm) if auto else {}

    # the file overrides; the frame comes from the final ASIS and PSIS
    landmarks = {**found, **from_file}
    missing = [n for n in pelvis_names if n not in landmarks]
    if missing:  # a safety net: the rules ran unless the file was complete
        raise LandmarkError(f"{lm_path}: missing landmarks {', '.join(missing)}")
    p = {n: landmarks[n].position_mm for n in ("asis_right", "asis_left", "psis_right", "psis_left")}
    T = pelvic_frame_from_landmarks(p["asis_right"], p["asis_left"], p["psis_right"], p["psis_left"])
    where = str(lm_path) if lm_path else str(folder)
    surfaces = {b: s.transformed(T) for b, s in user.items()}
    landmarks = {n: finder.transformed_landmark(T, lm) for n, lm in landmarks.items()}
    for name in from_file:  # how far the rule would have put it; what the file leaves out, from the rule
        if name in found:
            opinions[name] = float(np.linalg.norm(landmarks[name].position_mm - frames.apply(T, found[name].position_mm)))
            landmarks[name] = _completed(landmarks[name], found[name], surfaces)
    for name in PATCH_CENTROIDS:
        lm = landmarks[name]
        if lm.normal is None:  # a file without normals: take the bone's own
            landmarks[name] = Landmark(name, lm.bone, lm.position_mm, _surface_normal(surfaces[lm.bone], lm.position_mm),
                                       lm.radius_mm, lm.area_mm2)
    if any(b.startswith("femur") for b in surfaces):
        notes.extend(place_femurs(surfaces, landmarks, from_file, T, mean_anatomy, paths))
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
                        report_checks, auto.fit_mm if auto else {}, tuple(overlaps), cleared, tuple(notes), dims)


PATCH_CENTROIDS = tuple(f"auricular_{b}_{s}_centroid" for b in ("innominate", "sacrum") for s in ("left", "right")) + (
    "s1_endplate_centre",)


def _bone_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The mesh file of each bone present, and notes on what was left out."""
    if not folder.is_dir():
        raise DataNotFoundError(f"{folder}: not a folder (expected a folder of bone meshes)")
    paths = {bone: _find_mesh(folder, bone) for bone in BONES}
    if paths["sacrum"] is None or (paths["innominate_left"] is None and paths["innominate_right"] is None):
        absent = [b for b in PELVIC_BONES if paths[b] is None]
        expected = ", ".join(f"{b}{{{','.join(MESH_EXTENSIONS)}}}" for b in PELVIC_BONES)
        raise MeshError(f"{folder}: missing bone meshes {', '.join(absent)} (expected files {expected})")
    notes = []
    femurs = [b for b in FEMURS if paths[b] is not None]
    if len(femurs) == 1:
        notes.append(f"{paths[femurs[0]].name}: ignored (give both femurs or none)")
        paths[femurs[0]] = None
    return {b: p for b, p in paths.items() if p is not None}, notes


def _mirror_missing_innominate(user: dict[str, Surface], closed: dict[str, bool], from_file: dict[str, Landmark],
                               sources: dict[str, str], whole: Similarity) -> list[str]:
    """Make a missing innominate (and the file's landmarks on it) by mirroring the other; in place."""
    mirrored = []
    for side, other in (("left", "right"), ("right", "left")):
        bone = f"innominate_{side}"
        if bone in user:
            continue
        R4 = sagittal_reflection(user["sacrum"], whole)
        twin = user[f"innominate_{other}"]
        user[bone] = Surface(frames.apply(R4, twin.vertices), twin.faces[:, ::-1].copy()).outward()
        closed[bone] = closed[f"innominate_{other}"]
        mirrored.append(bone)
        for name, lm in list(from_file.items()):
            if lm.bone == f"innominate_{other}":
                from_file[_other_side(name)] = _reflect(R4, lm, _other_side(name), bone)
                sources[_other_side(name)] = "mirrored"
    return mirrored


def _completed(given: Landmark, rule: Landmark, surfaces: dict[str, Surface]) -> Landmark:
    """A file's landmark with what it leaves out: normal from its bone, radius and area from the rule."""
    normal = given.normal
    if normal is None and rule.normal is not None:
        normal = _surface_normal(surfaces[given.bone], given.position_mm)
    radius = given.radius_mm if given.radius_mm is not None else rule.radius_mm
    area = given.area_mm2 if given.area_mm2 is not None else rule.area_mm2
    return Landmark(given.name, given.bone, given.position_mm, normal, radius, area)


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
