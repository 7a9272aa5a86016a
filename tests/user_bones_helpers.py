"""Folders of 'user' bones made from the bundled pelvis: moved, rescaled, re-meshed, with or without landmarks."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from pelvisim import frames
from pelvisim.anatomy.io import default_mesh_dir
from pelvisim.anatomy.ply import read_ply, write_ply

PELVIS = ("sacrum", "innominate_left", "innominate_right")


def bundled_mesh(bone: str) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (mm, pelvic frame) and triangles of one bundled bone."""
    return read_ply(default_mesh_dir() / f"{bone}.ply")


def bundled_landmarks() -> dict[str, dict]:
    """The bundled landmarks.json entries (pelvic frame, mm)."""
    return json.loads((default_mesh_dir() / "landmarks.json").read_text(encoding="utf-8"))["landmarks"]


def write_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Binary STL: every triangle stores its own three corners (nothing shared, as STL does)."""
    records = np.zeros(len(faces), dtype=[("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attr", "<u2")])
    records["corners"] = vertices[faces]
    Path(path).write_bytes(b"pelvisim test".ljust(80, b" ") + np.uint32(len(faces)).tobytes() + records.tobytes())


@lru_cache(maxsize=None)
def remeshed(bone: str, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """A bundled bone re-meshed to about ``n_vertices`` (quadric decimation: new vertex positions)."""
    import pyvista as pv

    vertices, faces = bundled_mesh(bone)
    mesh = pv.PolyData(vertices, np.column_stack([np.full(len(faces), 3), faces]).ravel())
    out = mesh.decimate(1.0 - n_vertices / len(vertices))
    V, F = np.asarray(out.points, dtype=float), out.faces.reshape(-1, 4)[:, 1:].astype(np.int64)
    V.setflags(write=False)
    F.setflags(write=False)
    return V, F


def pose(rotation_deg: tuple[float, float, float], shift_mm: tuple[float, float, float]) -> np.ndarray:
    """A rigid transform (4, 4): rotations about X, then Y, then Z (degrees), then a shift (mm)."""
    R = np.eye(3)
    for axis, angle in zip(np.eye(3), rotation_deg):
        R = frames.rotation_matrix(axis, np.radians(angle)) @ R
    return frames.from_rt(R, shift_mm)


def make_folder(folder: Path, T: np.ndarray | None = None, scale: float = 1.0, fmt: str = "ply",
                bones: tuple[str, ...] = PELVIS, n_vertices: int | None = None, landmarks: str | None = "json",
                drop: tuple[str, ...] = (), femur_pose: np.ndarray | None = None) -> Path:
    """A folder of the bundled bones moved by ``T`` (mm), then scaled (``0.001``: metres).

    ``fmt``: ``ply`` or ``stl``; ``n_vertices``: re-mesh each pelvic bone; ``landmarks``: ``json``,
    ``csv`` (positions only, no normals) or None; ``drop``: landmark names left out of the file;
    ``femur_pose``: add both femurs, moved by this transform instead of ``T`` (their own frame).
    """
    folder.mkdir(parents=True, exist_ok=True)
    T = np.eye(4) if T is None else T
    names = list(bones) + (["femur_left", "femur_right"] if femur_pose is not None else [])
    for bone in names:
        if n_vertices is not None and not bone.startswith("femur"):
            V, F = remeshed(bone, n_vertices)
        else:
            V, F = bundled_mesh(bone)
        V = frames.apply(femur_pose if bone.startswith("femur") else T, V) * scale
        if fmt == "stl":
            write_stl(folder / f"{bone}.stl", V, F)
        else:
            write_ply(folder / f"{bone}.ply", V, F)
    if landmarks is None:
        return folder
    data = {k: v for k, v in bundled_landmarks().items() if not v["bone"].startswith("femur") and k not in drop}
    for v in data.values():  # the landmark file is in the meshes' frame and units
        v["position_mm"] = (frames.apply(T, v["position_mm"]) * scale).tolist()
        if "normal" in v:
            v["normal"] = (T[:3, :3] @ v["normal"]).tolist()
        if "radius_mm" in v:
            v["radius_mm"] *= scale
        if "area_mm2" in v:
            v["area_mm2"] *= scale**2
    if landmarks == "json":
        (folder / "landmarks.json").write_text(json.dumps({"landmarks": data}), encoding="utf-8")
    else:
        rows = ["name,bone,x,y,z"] + [f"{k},{v['bone']},{','.join(f'{c:.6g}' for c in v['position_mm'])}"
                                      for k, v in data.items()]
        (folder / "landmarks.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def swap_files(a: Path, b: Path) -> None:
    """Exchange the names of two files (e.g. ``innominate_left.ply`` and ``innominate_right.ply``)."""
    spare = a.with_name(a.name + ".swap")
    a.rename(spare)
    b.rename(a)
    spare.rename(b)
