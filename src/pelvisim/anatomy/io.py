"""Load an anatomy: the bundled mean pelvis, or a user's own bones; read landmark files.

A user's folder holds one mesh per bone (``sacrum``, ``innominate_left``, ``innominate_right``,
optional ``femur_left``, ``femur_right``) and, optionally, a landmark file (``landmarks.json`` or
``landmarks.csv``) that overrides the landmarks found automatically. See
:mod:`pelvisim.anatomy.user` and docs/anatomy.md.
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from pelvisim.anatomy.core import BONES, Anatomy, Bone, Landmark
from pelvisim.anatomy.joint_frames import joint_frames
from pelvisim.anatomy.ply import read_ply
from pelvisim.errors import DataNotFoundError, LandmarkError


def default_mesh_dir() -> Path:
    """Folder of the bundled meshes (inside the installed package)."""
    return Path(str(resources.files("pelvisim") / "meshes"))


LANDMARK_FILES = ("landmarks.json", "landmarks.csv")


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (a bad value may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def _decode(path: Path, data: bytes) -> str:
    """The file's text (UTF-8, with or without a byte-order mark); a clear line when it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise LandmarkError(f"{path}: line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}); "
                            "save the file as UTF-8") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DataNotFoundError(f"{path}: landmark file not found") from None
    except OSError as error:
        raise LandmarkError(f"{path}: cannot be read ({error.strerror or error})") from None


def _numbers(value: object, count: int) -> np.ndarray | None:
    """``value`` as ``count`` finite floats, or None when it is not that."""
    if not isinstance(value, (list, tuple)) or len(value) != count:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    out = np.asarray(value, dtype=float)
    return out if np.all(np.isfinite(out)) else None


def _positive(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value) and value > 0:
        return float(value)
    return None


def checked_normal(where: str, value: object) -> np.ndarray:
    """A normal direction from 3 numbers (as given; not rescaled); ``where`` names the file and key."""
    normal = _numbers(value, 3)
    if normal is None or np.linalg.norm(normal) == 0:
        raise LandmarkError(f"{where}: 'normal' must be 3 numbers [nx, ny, nz], not all zero, got {_short(value)}")
    return normal


def landmarks_from_json(path: Path) -> dict[str, Landmark]:
    """Landmarks from a ``landmarks.json``.

    Layout: ``{"landmarks": {name: {"bone": …, "position_mm": [x, y, z]}}}`` (the outer
    ``"landmarks"`` may be left out). Optional per landmark: ``"normal"`` (3 numbers),
    ``"radius_mm"`` and ``"area_mm2"`` (positive numbers). ``"position"`` is accepted for
    ``"position_mm"``. Every problem is one :class:`LandmarkError` naming the file and the key.
    """
    text = _decode(path, _read_bytes(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LandmarkError(f"{path}: line {error.lineno}: not valid JSON ({error.msg})") from None
    except RecursionError:
        raise LandmarkError(f"{path}: not valid JSON (nested too deeply)") from None
    table = data.get("landmarks", data) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise LandmarkError(f"{path}: expected an object of landmarks {{name: {{bone, position_mm}}}}, "
                            f"got {type(data).__name__}")
    out = {}
    for name, entry in table.items():
        where = f"{path}: landmark {_short(name)}"
        if not isinstance(entry, dict):
            raise LandmarkError(f"{where}: expected {{\"bone\": …, \"position_mm\": [x, y, z]}}, got {_short(entry)}")
        raw = entry.get("position_mm", entry.get("position"))
        position = _numbers(raw, 3)
        if position is None:
            raise LandmarkError(f"{where}: 'position_mm' must be 3 finite numbers [x, y, z], got {_short(raw)}")
        bone = entry.get("bone")
        if bone not in BONES:
            raise LandmarkError(f"{where}: 'bone' must be one of {', '.join(BONES)}, got {_short(bone)}")
        normal = None if entry.get("normal") is None else checked_normal(where, entry["normal"])
        sizes = {}
        for key in ("radius_mm", "area_mm2"):
            if entry.get(key) is not None:
                sizes[key] = _positive(entry[key])
                if sizes[key] is None:
                    raise LandmarkError(f"{where}: {key!r} must be a positive number, got {_short(entry[key])}")
        out[name] = Landmark(name, bone, position, normal, sizes.get("radius_mm"), sizes.get("area_mm2"))
    return out


def landmarks_from_csv(path: Path) -> dict[str, Landmark]:
    """Landmarks from a CSV with a header ``name,bone,x,y,z`` and optional ``nx,ny,nz`` and ``radius``.

    Every problem is one :class:`LandmarkError` naming the file and the line.
    """
    text = _decode(path, _read_bytes(path))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise LandmarkError(f"{path}: line 1: not a valid CSV header ({error})") from None
    header = [h.strip() for h in header]
    reader.fieldnames = header
    missing = [c for c in ("name", "bone", "x", "y", "z") if c not in header]
    if missing:
        raise LandmarkError(f"{path}: line 1: the header needs columns name,bone,x,y,z; missing {', '.join(missing)}")
    out: dict[str, Landmark] = {}
    try:
        for row in reader:
            line = reader.line_num
            values = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
            if not any(values.values()):
                continue
            name, bone = values["name"], values["bone"]
            try:
                position = np.array([float(values[c]) for c in ("x", "y", "z")])
                normal = None
                if any(values.get(c) for c in ("nx", "ny", "nz")):
                    normal = np.array([float(values.get(c, "")) for c in ("nx", "ny", "nz")])
                radius = float(values["radius"]) if values.get("radius") else None
            except ValueError:
                raise LandmarkError(f"{path}: line {line}: expected numbers for x, y, z (and nx, ny, nz, radius "
                                    f"if given), got {_short(row)}") from None
            if not np.all(np.isfinite(position)):
                raise LandmarkError(f"{path}: line {line}: x, y, z must be finite numbers")
            if normal is not None:
                normal = checked_normal(f"{path}: line {line}", normal.tolist())
            if radius is not None and not (np.isfinite(radius) and radius > 0):
                raise LandmarkError(f"{path}: line {line}: radius must be a positive number, got {radius}")
            if bone not in BONES:
                raise LandmarkError(f"{path}: line {line}: bone must be one of {', '.join(BONES)}, got {_short(bone)}")
            if not name:
                raise LandmarkError(f"{path}: line {line}: the name is empty")
            if name in out:
                raise LandmarkError(f"{path}: line {line}: {name!r} is given twice")
            out[name] = Landmark(name, bone, position, normal, radius)
    except csv.Error as error:
        raise LandmarkError(f"{path}: line {reader.line_num}: not valid CSV ({error})") from None
    return out


def read_landmark_file(folder: Path) -> tuple[Path | None, dict[str, Landmark]]:
    """The landmark file of a folder (``landmarks.json`` or ``landmarks.csv``) and its landmarks.

    Returns ``(None, {})`` when the folder has neither (the landmark file is optional).
    """
    found = [Path(folder) / name for name in LANDMARK_FILES if (Path(folder) / name).exists()]
    if len(found) > 1:
        raise LandmarkError(f"{folder}: both landmarks.json and landmarks.csv; keep one")
    if not found:
        return None, {}
    path = found[0]
    return path, (landmarks_from_json(path) if path.suffix == ".json" else landmarks_from_csv(path))


@lru_cache(maxsize=1)
def _load_default() -> Anatomy:
    folder = default_mesh_dir()
    if not (folder / "landmarks.json").exists():
        raise DataNotFoundError(f"bundled meshes not found in the installed package ({folder.name}/); "
                                "rebuild them with: pelvisim meshes build")
    bones = {}
    for name in BONES:
        vertices, faces = read_ply(folder / f"{name}.ply")
        bones[name] = Bone(name, vertices, faces)
    lms = landmarks_from_json(folder / "landmarks.json")
    source = json.loads((folder / "landmarks.json").read_text(encoding="utf-8")).get("source", "")
    return Anatomy(bones, lms, joint_frames(lms), source=source)


def load_anatomy(path: str | Path | None = None) -> Anatomy:
    """Load the bundled mean pelvis (``path=None``) or a user's anatomy folder.

    Parameters
    ----------
    path : str or Path, optional
        A folder with one mesh per bone and a landmark file; see :mod:`pelvisim.anatomy.user`.

    Returns
    -------
    Anatomy
        Bones and landmarks in the pelvic frame, mm, at neutral. The bundled one is cached.
    """
    if path is None:
        return _load_default()
    from pelvisim.anatomy.user import load_user_anatomy

    return load_user_anatomy(Path(path)).anatomy
