"""Read a user's bone mesh (STL, OBJ, PLY, VTP, legacy VTK) into welded vertices and triangles.

Every failure is a :class:`~pelvisim.errors.MeshError` naming the file and saying what is wrong
with it. STL files are parsed here (not by a third-party reader) so that a truncated file, binary
junk and text junk each get their own reason. Every format is *welded*: vertices with identical
coordinates are merged, because STL stores each triangle's corners separately and OBJ/PLY exporters
split vertices along texture or normal seams; without welding a closed bone looks open.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pelvisim.errors import MeshError

MESH_EXTENSIONS = (".stl", ".obj", ".ply", ".vtp", ".vtk")
MIN_TRIANGLES = 100  # a bone surface needs at least this many (the bundled sacrum has 37,632)

_STL_HEADER_BYTES = 84
_STL_RECORD_BYTES = 50
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_VERTEX_LINE = re.compile(rf"^\s*vertex\s+({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s*$", re.MULTILINE)


def read_mesh(path: Path) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Welded vertices (n, 3) and triangles (m, 3) of one mesh file, in the file's own units.

    Raises
    ------
    MeshError
        The file cannot be read, is not a valid file of its kind, is empty, has non-finite
        coordinates or broken triangles, or is degenerate (all triangles of zero area).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_EXTENSIONS:
        raise MeshError(f"{path}: unknown mesh type {suffix!r}; expected one of {', '.join(MESH_EXTENSIONS)}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MeshError(f"{path}: cannot be read ({error.strerror or error})") from None
    if suffix == ".stl":
        V, F = _stl(path, data)
    elif suffix in (".vtp", ".vtk"):
        V, F = _vtk(path, suffix)
    else:
        V, F = _trimesh(path, suffix)
    if not np.all(np.isfinite(V)):
        raise MeshError(f"{path}: some vertex coordinates are not finite numbers (NaN or infinity)")
    if len(F) and (F.min() < 0 or F.max() >= len(V)):
        raise MeshError(f"{path}: broken triangles (vertex indices outside 0…{len(V) - 1})")
    if len(V) and np.all(V == V[0]):
        raise MeshError(f"{path}: degenerate mesh: all {len(V)} vertices are at one point {V[0].tolist()}")
    V, F = weld(V, F)
    if len(F) == 0:
        raise MeshError(f"{path}: the mesh is empty (no triangles with three distinct corners)")
    if len(F) < MIN_TRIANGLES:
        raise MeshError(f"{path}: only {len(F)} triangle{'s' * (len(F) != 1)}; a bone surface needs at least {MIN_TRIANGLES}")
    tri = V[F]
    if not np.any(np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1) > 0):
        raise MeshError(f"{path}: degenerate mesh: every triangle has zero area")
    return V, F


def weld(vertices: NDArray, faces: NDArray) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Merge vertices with identical coordinates; drop triangles that collapse or repeat.

    Unused vertices are dropped too, so the result holds only the surface.
    """
    V = np.asarray(vertices, dtype=float)
    F = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    _, first, inverse = np.unique(V, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)  # keep the vertices in their first-seen order
    rank[np.argsort(first)] = np.arange(len(first))
    unique = V[np.sort(first)]
    F = rank[inverse.reshape(-1)][F]
    F = F[(F[:, 0] != F[:, 1]) & (F[:, 1] != F[:, 2]) & (F[:, 0] != F[:, 2])]
    if len(F) == 0:
        return unique[:0], F
    # the same triangle twice (in any rotation or winding) is a seam artefact: keep the first
    _, first = np.unique(np.sort(F, axis=1), axis=0, return_index=True)
    F = F[np.sort(first)]
    used = np.zeros(len(unique), dtype=bool)
    used[F] = True
    index = np.cumsum(used) - 1
    return unique[used], index[F]


def is_closed(faces: NDArray) -> bool:
    """True when every edge is shared by exactly two triangles (a watertight surface)."""
    F = np.asarray(faces)
    if len(F) == 0:
        return False
    edges = np.sort(np.concatenate([F[:, [0, 1]], F[:, [1, 2]], F[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return bool(np.all(counts == 2))


# --- STL ------------------------------------------------------------------------------------------

def _stl(path: Path, data: bytes) -> tuple[NDArray, NDArray]:
    invalid = f"{path}: not a valid STL file"
    if len(data) == 0:
        raise MeshError(f"{invalid}: the file is empty (0 bytes)")
    if len(data) >= _STL_HEADER_BYTES:
        (count,) = struct.unpack_from("<I", data, 80)
        if len(data) == _STL_HEADER_BYTES + _STL_RECORD_BYTES * count:
            return _stl_binary(data, count)
    if data.lstrip()[:5].lower() == b"solid":
        return _stl_ascii(path, data)
    if len(data) < _STL_HEADER_BYTES:
        raise MeshError(f"{invalid}: {len(data)} bytes is shorter than a binary STL header "
                        f"({_STL_HEADER_BYTES} bytes) and the file is not ASCII STL (no 'solid' at the start)")
    expected = _STL_HEADER_BYTES + _STL_RECORD_BYTES * count
    if _looks_like_text(data):
        raise MeshError(f"{invalid}: it is text that does not start with 'solid' (ASCII STL) "
                        f"and not a binary STL")
    if len(data) < expected:
        raise MeshError(f"{invalid}: truncated binary STL: the header promises {count:,} triangles "
                        f"({expected:,} bytes) but the file has {len(data):,} bytes")
    raise MeshError(f"{invalid}: the header promises {count:,} triangles ({expected:,} bytes) but the file has "
                    f"{len(data):,} bytes: binary junk, or a file that is not STL")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in sample


def _stl_binary(data: bytes, count: int) -> tuple[NDArray, NDArray]:
    records = np.frombuffer(data, dtype=[("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attr", "<u2")],
                            count=count, offset=_STL_HEADER_BYTES)
    V = records["corners"].reshape(-1, 3).astype(float)
    return V, np.arange(len(V), dtype=np.int64).reshape(-1, 3)


def _stl_ascii(path: Path, data: bytes) -> tuple[NDArray, NDArray]:
    invalid = f"{path}: not a valid STL file"
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        raise MeshError(f"{invalid}: starts with 'solid' (ASCII STL) but byte {error.start} is not ASCII text") from None
    numbers = _VERTEX_LINE.findall(text)
    vertex_lines = len(re.findall(r"^\s*vertex\b", text, re.MULTILINE))
    if vertex_lines != len(numbers):
        line = _first_bad_vertex_line(text)
        raise MeshError(f"{invalid}: line {line}: expected 'vertex x y z' with three numbers")
    if not re.search(r"^\s*endsolid\b", text, re.MULTILINE):
        raise MeshError(f"{invalid}: ASCII STL without 'endsolid': the file is truncated")
    if len(numbers) % 3:
        raise MeshError(f"{invalid}: {len(numbers)} 'vertex' lines, not a multiple of 3 (each facet has 3)")
    V = np.array(numbers, dtype=float).reshape(-1, 3)
    return V, np.arange(len(V), dtype=np.int64).reshape(-1, 3)


def _first_bad_vertex_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^\s*vertex\b", line) and not _VERTEX_LINE.match(line):
            return number
    return 0


# --- OBJ, PLY (trimesh) and VTK -------------------------------------------------------------------

def _trimesh(path: Path, suffix: str) -> tuple[NDArray, NDArray]:
    import trimesh

    try:
        mesh = trimesh.load(path, force="mesh", process=False)
        V = np.asarray(mesh.vertices, dtype=float)
        F = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
    except Exception as error:  # trimesh raises many types for bad files; report them plainly
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise MeshError(f"{path}: not a valid {suffix[1:].upper()} file ({reason})") from None
    if len(F) == 0:
        raise MeshError(f"{path}: no triangles found ({len(V)} vertices, 0 faces): the file holds no surface")
    return V, F


def _vtk(path: Path, suffix: str) -> tuple[NDArray, NDArray]:
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkObject
    from vtkmodules.vtkFiltersCore import vtkTriangleFilter

    vtkObject.GlobalWarningDisplayOff()  # errors are reported below, in one line
    if suffix == ".vtp":
        from vtkmodules.vtkIOXML import vtkXMLPolyDataReader

        reader = vtkXMLPolyDataReader()
        kind = "VTK XML PolyData (.vtp)"
    else:
        from vtkmodules.vtkIOLegacy import vtkPolyDataReader

        reader = vtkPolyDataReader()
        kind = "legacy VTK PolyData (.vtk)"
        head = path.read_bytes()[:256]
        if not head.startswith(b"# vtk DataFile"):
            raise MeshError(f"{path}: not a valid {kind} file (no '# vtk DataFile' first line)")
        if b"POLYDATA" not in path.read_bytes()[:1024]:
            raise MeshError(f"{path}: not a valid {kind} file: only DATASET POLYDATA is read "
                            "(save the surface as polygonal data)")
    reader.SetFileName(str(path))
    reader.Update()
    poly = reader.GetOutput()
    if reader.GetErrorCode() or poly is None or poly.GetPoints() is None:
        raise MeshError(f"{path}: not a valid {kind} file, or it holds no points")
    tri = vtkTriangleFilter()
    tri.SetInputData(poly)
    tri.Update()
    poly = tri.GetOutput()
    if poly.GetPoints() is None or poly.GetNumberOfPolys() == 0:
        raise MeshError(f"{path}: the mesh is empty (no triangles)")
    V = vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
    F = vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).astype(np.int64).reshape(-1, 3)
    return V, F
