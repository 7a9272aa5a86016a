"""Load an anatomy: the bundled mean pelvis, or a user's own bones.

A folder holds one mesh per bone (``sacrum``, ``innominate_left``, ``innominate_right``, optional
``femur_left``, ``femur_right``; ``.ply``, ``.stl``, ``.obj`` or ``.vtp``) and a landmark file
(``landmarks.json`` or ``landmarks.csv``). See :mod:`pelvisim.anatomy.user` for user folders.
"""

from __future__ import annotations

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


def landmarks_from_json(path: Path) -> dict[str, Landmark]:
    """Landmarks from a ``landmarks.json`` (``{"landmarks": {name: {"bone", "position_mm", …}}}``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataNotFoundError(f"{path}: landmark file not found") from None
    except json.JSONDecodeError as error:
        raise LandmarkError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    table = data.get("landmarks", data) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise LandmarkError(f"{path}: expected an object of landmarks, got {type(data).__name__}")
    out = {}
    for name, entry in table.items():
        try:
            position = np.asarray(entry["position_mm"], dtype=float)
            bone = str(entry["bone"])
        except (KeyError, TypeError, ValueError):
            raise LandmarkError(
                f"{path}: landmark {name!r} needs 'bone' and 'position_mm' [x, y, z], got {entry!r}") from None
        if position.shape != (3,) or not np.all(np.isfinite(position)):
            raise LandmarkError(f"{path}: landmark {name!r}: position_mm must be 3 finite numbers, got {entry['position_mm']!r}")
        if bone not in BONES:
            raise LandmarkError(f"{path}: landmark {name!r}: bone must be one of {', '.join(BONES)}, got {bone!r}")
        normal = entry.get("normal")
        out[name] = Landmark(name, bone, position, None if normal is None else np.asarray(normal, dtype=float),
                             entry.get("radius_mm"), entry.get("area_mm2"))
    return out


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
