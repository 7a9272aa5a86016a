"""Minimal binary PLY reader and writer for triangle meshes (no dependencies beyond numpy).

The bundled bones are stored this way so that the files are byte-for-byte reproducible (the
rebuild test compares checksums) and readable by trimesh, pyvista, MeshLab and Blender alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pelvisim.errors import MeshError


def write_ply(path: Path, vertices_mm: NDArray, faces: NDArray, comment: str = "") -> None:
    """Write a binary little-endian PLY: float32 vertices, int32 triangle indices."""
    V = np.ascontiguousarray(vertices_mm, dtype="<f4")
    F = np.asarray(faces, dtype="<i4")
    lines = ["ply", "format binary_little_endian 1.0"]
    lines += [f"comment {c}" for c in comment.splitlines() if c]
    lines += [
        f"element vertex {len(V)}",
        "property float x",
        "property float y",
        "property float z",
        f"element face {len(F)}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    face_records = np.empty(len(F), dtype=[("n", "u1"), ("idx", "<i4", (3,))])
    face_records["n"] = 3
    face_records["idx"] = F
    tmp = Path(path).with_suffix(Path(path).suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(("\n".join(lines) + "\n").encode("ascii"))
        fh.write(V.tobytes())
        fh.write(face_records.tobytes())
    tmp.replace(path)


def read_ply(path: Path) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Read a PLY written by :func:`write_ply` (binary little-endian, float xyz, triangles)."""
    data = Path(path).read_bytes()
    end = data.find(b"end_header\n")
    if not data.startswith(b"ply") or end < 0:
        raise MeshError(f"{path}: not a PLY file (no 'ply' magic or 'end_header')")
    header = data[:end].decode("ascii", errors="replace").splitlines()
    counts = {}
    for line in header:
        parts = line.split()
        if parts[:1] == ["element"]:
            counts[parts[1]] = int(parts[2])
    if "binary_little_endian" not in header[1] or "vertex" not in counts or "face" not in counts:
        raise MeshError(f"{path}: expected a binary little-endian PLY with vertices and faces")
    body = data[end + len("end_header\n"):]
    n_v, n_f = counts["vertex"], counts["face"]
    V = np.frombuffer(body, dtype="<f4", count=3 * n_v).reshape(n_v, 3).astype(float)
    records = np.frombuffer(body, dtype=[("n", "u1"), ("idx", "<i4", (3,))], count=n_f, offset=12 * n_v)
    if n_f and not np.all(records["n"] == 3):
        raise MeshError(f"{path}: expected only triangles")
    return V, records["idx"].astype(np.int64)
