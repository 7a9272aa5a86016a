"""A user's own bones: find, read, validate, convert units, move into the pelvic frame.

A folder holds one mesh per bone, named after the bone (``sacrum``, ``innominate_left``,
``innominate_right``, optional ``femur_left``, ``femur_right``) with one of the extensions
``.ply``, ``.stl``, ``.obj``, ``.vtp``, and a landmark file ``landmarks.json`` (pelvisim's own
layout) or ``landmarks.csv`` (columns ``name,bone,x,y,z`` and optional ``nx,ny,nz``).

* Units: millimetres or metres, detected from the size of the innominate (an adult innominate
  is about 200 mm tall) and reported; anything else is refused.
* Frame: bones may come in any frame; they are moved into the pelvic frame (ISB) using the
  ``asis_*`` and ``psis_*`` landmarks.
* One innominate may be missing: it is made by mirroring the other, with its landmarks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pelvisim import frames
from pelvisim.anatomy.core import BONES, FEMURS, Anatomy, Bone, Landmark
from pelvisim.anatomy.io import landmarks_from_json
from pelvisim.anatomy.joint_frames import joint_frames
from pelvisim.anatomy.landmarks import pelvic_frame_from_landmarks
from pelvisim.anatomy.surface import Surface
from pelvisim.errors import DataNotFoundError, LandmarkError, MeshError

MESH_EXTENSIONS = (".ply", ".stl", ".obj", ".vtp")
REQUIRED_PELVIS_LANDMARKS = tuple(
    [f"{n}_{s}" for n in ("asis", "psis", "pubic_tubercle", "acetabulum_centre", "symphysis", "ischial_tuberosity")
     for s in ("left", "right")]
    + [f"auricular_{b}_{s}_{p}" for b in ("innominate", "sacrum") for s in ("left", "right")
       for p in ("centroid", "superior_pole", "inferior_pole")]
    + ["s1_endplate_centre", "sacral_promontory", "sacral_apex"]
)
INNOMINATE_HEIGHT_MM = (120.0, 320.0)  # plausible adult innominate heights (mean pelvis: ≈ 210 mm)


@dataclass(frozen=True)
class ImportReport:
    """What the import found and did, in plain words (printed by ``pelvisim meshes import``)."""

    anatomy: Anatomy
    units: str
    scale_to_mm: float
    mirrored: tuple[str, ...] = ()
    closed: dict[str, bool] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        out = [f"units: {self.units} (scaled ×{self.scale_to_mm:g} to mm)"]
        for bone in self.anatomy.bones:
            origin = "mirrored from the other side" if bone in self.mirrored else self.files.get(bone, "")
            out.append(f"{bone}: {self.anatomy.bones[bone].n_triangles} triangles, "
                       f"{'closed' if self.closed.get(bone) else 'open (has holes)'} — {origin}")
        out.append(f"landmarks: {len(self.anatomy.landmarks)}")
        return out


def read_mesh(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and triangles of one mesh file; a :class:`MeshError` names the file when it fails."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".vtp":
            from vtkmodules.util.numpy_support import vtk_to_numpy
            from vtkmodules.vtkFiltersCore import vtkTriangleFilter
            from vtkmodules.vtkIOXML import vtkXMLPolyDataReader

            reader = vtkXMLPolyDataReader()
            reader.SetFileName(str(path))
            reader.Update()
            if reader.GetErrorCode() or reader.GetOutput() is None:
                raise MeshError(f"{path}: could not be read as VTK XML PolyData")
            tri = vtkTriangleFilter()
            tri.SetInputData(reader.GetOutput())
            tri.Update()
            poly = tri.GetOutput()
            if poly.GetPoints() is None:
                raise MeshError(f"{path}: the mesh is empty (no points)")
            V = vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
            cells = vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).astype(np.int64)
            F = cells.reshape(-1, 3)
        else:
            import trimesh

            mesh = trimesh.load(path, force="mesh", process=False)
            V = np.asarray(mesh.vertices, dtype=float)
            F = np.asarray(mesh.faces, dtype=np.int64)
    except MeshError:
        raise
    except Exception as error:  # third-party readers raise many types; report them plainly
        raise MeshError(f"{path}: could not be read as a {suffix[1:].upper()} mesh ({error})") from None
    if len(V) == 0 or len(F) == 0:
        raise MeshError(f"{path}: the mesh is empty ({len(V)} vertices, {len(F)} triangles)")
    if not np.all(np.isfinite(V)):
        raise MeshError(f"{path}: some vertex coordinates are not finite numbers")
    if F.ndim != 2 or F.shape[1] != 3 or F.min() < 0 or F.max() >= len(V):
        raise MeshError(f"{path}: broken triangles (indices outside 0…{len(V) - 1})")
    return V, F


def is_closed(faces: np.ndarray) -> bool:
    """True when every edge is shared by exactly two triangles (a watertight surface)."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return bool(np.all(counts == 2))


def landmarks_from_csv(path: Path) -> dict[str, Landmark]:
    """Landmarks from a CSV with a header ``name,bone,x,y,z[,nx,ny,nz]``."""
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"name", "bone", "x", "y", "z"} - set(reader.fieldnames or [])
        if missing:
            raise LandmarkError(f"{path}: line 1: the header needs columns name,bone,x,y,z; missing {sorted(missing)}")
        for line_no, row in enumerate(reader, start=2):
            try:
                position = np.array([float(row["x"]), float(row["y"]), float(row["z"])])
                normal = None
                if row.get("nx") not in (None, ""):
                    normal = np.array([float(row["nx"]), float(row["ny"]), float(row["nz"])])
            except (TypeError, ValueError):
                raise LandmarkError(f"{path}: line {line_no}: expected numbers for x, y, z, got {row}") from None
            if row["bone"] not in BONES:
                raise LandmarkError(f"{path}: line {line_no}: bone must be one of {', '.join(BONES)}, got {row['bone']!r}")
            out[row["name"]] = Landmark(row["name"], row["bone"], position, normal)
    return out


def _find_mesh(folder: Path, bone: str) -> Path | None:
    found = [folder / f"{bone}{ext}" for ext in MESH_EXTENSIONS if (folder / f"{bone}{ext}").exists()]
    if len(found) > 1:
        raise MeshError(f"{folder}: several meshes for {bone}: {', '.join(p.name for p in found)}; keep one")
    return found[0] if found else None


def _other_side(name: str) -> str:
    return name.replace("left", "@").replace("right", "left").replace("@", "right")


def load_user_anatomy(folder: Path) -> ImportReport:
    """Read, validate and normalise a user's anatomy folder (see the module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataNotFoundError(f"{folder}: not a folder (expected a folder of bone meshes and a landmark file)")
    paths = {bone: _find_mesh(folder, bone) for bone in BONES}
    expected = ", ".join(f"{b}{{{','.join(MESH_EXTENSIONS)}}}" for b in ("sacrum", "innominate_left", "innominate_right"))
    if paths["sacrum"] is None or (paths["innominate_left"] is None and paths["innominate_right"] is None):
        absent = [b for b in ("sacrum", "innominate_left", "innominate_right") if paths[b] is None]
        raise MeshError(f"{folder}: missing bone meshes {', '.join(absent)} (expected files {expected})")
    lm_json, lm_csv = folder / "landmarks.json", folder / "landmarks.csv"
    if lm_json.exists():
        lms = landmarks_from_json(lm_json)
    elif lm_csv.exists():
        lms = landmarks_from_csv(lm_csv)
    else:
        raise DataNotFoundError(f"{folder}: no landmark file (expected landmarks.json or landmarks.csv)")

    raw = {bone: read_mesh(p) for bone, p in paths.items() if p is not None}
    mirrored: list[str] = []
    for side, other in (("left", "right"), ("right", "left")):
        if f"innominate_{side}" not in raw:
            V, F = raw[f"innominate_{other}"]
            raw[f"innominate_{side}"] = (V, F)  # mirrored below, once in the pelvic frame
            mirrored.append(f"innominate_{side}")
            for name, lm in list(lms.items()):
                if lm.bone == f"innominate_{other}":
                    lms.pop(_other_side(name), None)
    known = set(lms) | {(_other_side(n)) for n, lm in lms.items() if lm.bone.startswith("innominate") and mirrored}
    missing = [n for n in REQUIRED_PELVIS_LANDMARKS if n not in known]
    if missing:
        raise LandmarkError(f"{lm_json if lm_json.exists() else lm_csv}: missing landmarks {', '.join(missing)}")

    # units, from the innominate's height
    V0 = raw["innominate_right" if "innominate_right" not in mirrored else "innominate_left"][0]
    extent = float(np.linalg.norm(V0.max(axis=0) - V0.min(axis=0)))
    if INNOMINATE_HEIGHT_MM[0] / 1000 <= extent <= INNOMINATE_HEIGHT_MM[1] * 2 / 1000:
        units, scale = "m", 1000.0
    elif INNOMINATE_HEIGHT_MM[0] <= extent <= INNOMINATE_HEIGHT_MM[1] * 2:
        units, scale = "mm", 1.0
    else:
        raise MeshError(f"{paths['innominate_right'] or paths['innominate_left']}: implausible size "
                        f"(bounding-box diagonal {extent:g}); expected an adult innominate in mm (≈ 250) or m (≈ 0.25)")

    # frame, from the ASIS and PSIS (mirroring a missing side's landmarks first)
    def position(name: str) -> np.ndarray:
        if name in lms:
            return lms[name].position_mm * scale
        return None  # type: ignore[return-value]

    # Mirroring needs a sagittal plane: build it from the present side's landmarks and the sacrum.
    if mirrored:
        present = "right" if "innominate_left" in mirrored else "left"
        mid = np.array(lms["sacral_promontory"].position_mm) * scale
        ap = (lms["sacral_promontory"].position_mm - lms["sacral_apex"].position_mm) * scale
        lateral = lms[f"asis_{present}"].position_mm * scale - mid
        lateral = lateral - (lateral @ ap) / (ap @ ap) * ap
        n = lateral / np.linalg.norm(lateral)

        def reflect(p: np.ndarray) -> np.ndarray:
            return p - 2 * ((p - mid) @ n)[..., None] * n if p.ndim > 1 else p - 2 * ((p - mid) @ n) * n

        for name, lm in list(lms.items()):
            if lm.bone == f"innominate_{present}":
                twin = _other_side(name)
                normal = None if lm.normal is None else lm.normal - 2 * (lm.normal @ n) * n
                lms[twin] = Landmark(twin, _other_side(lm.bone), reflect(lm.position_mm * scale) / scale, normal,
                                     lm.radius_mm)
        Vp, Fp = raw[f"innominate_{present}"]
        raw[f"innominate_{'left' if present == 'right' else 'right'}"] = (reflect(Vp * scale) / scale, Fp[:, ::-1].copy())

    T = pelvic_frame_from_landmarks(position("asis_right"), position("asis_left"), position("psis_right"),
                                    position("psis_left"))
    bones, closed = {}, {}
    for bone, (V, F) in raw.items():
        surface = Surface(frames.apply(T, V * scale), F).outward()
        bones[bone] = Bone(bone, surface.vertices, surface.faces)
        closed[bone] = is_closed(F)
    landmarks = {}
    for name, lm in lms.items():
        normal = None if lm.normal is None else T[:3, :3] @ lm.normal
        radius = None if lm.radius_mm is None else lm.radius_mm * scale
        landmarks[name] = Landmark(name, lm.bone, frames.apply(T, lm.position_mm * scale), normal, radius)
    for side in ("left", "right"):  # auricular normals from the mesh when the file has none
        for bone in ("innominate", "sacrum"):
            key = f"auricular_{bone}_{side}_centroid"
            if landmarks[key].normal is None:
                mesh_bone = "sacrum" if bone == "sacrum" else f"innominate_{side}"
                s = Surface(bones[mesh_bone].vertices_mm, bones[mesh_bone].faces)
                near = np.linalg.norm(s.face_centres - landmarks[key].position_mm, axis=1) < 10.0
                if not near.any():
                    raise LandmarkError(f"{key}: no {mesh_bone} surface within 10 mm; is it on the right bone?")
                normal = (s.face_normals[near] * s.face_areas[near, None]).sum(axis=0)
                landmarks[key] = Landmark(key, landmarks[key].bone, landmarks[key].position_mm,
                                          normal / np.linalg.norm(normal))
    if not all(f in bones for f in FEMURS):
        for f in FEMURS:
            bones.pop(f, None)
    anatomy = Anatomy(bones, landmarks, joint_frames(landmarks), source=f"user meshes from {folder.name}/")
    files = {bone: p.name for bone, p in paths.items() if p is not None}
    return ImportReport(anatomy, units, scale, tuple(mirrored), closed, files)
