"""Reading a user's mesh files: every format, welding, and 'not a valid STL file' with the reason."""

import numpy as np
import pytest

from pelvisim.anatomy.mesh_files import is_closed, read_mesh, weld
from pelvisim.anatomy.surface import Surface
from pelvisim.errors import MeshError
from user_bones_helpers import bundled_mesh, write_stl


@pytest.fixture(scope="module")
def sacrum():
    return bundled_mesh("sacrum")


def _ascii_stl(V, F, end=True):
    lines = ["solid bone"]
    for a, b, c in F:
        lines += ["facet normal 0 0 0", " outer loop"] + [f"  vertex {x:.9g} {y:.9g} {z:.9g}" for x, y, z in
                                                          V[[a, b, c]]] + [" endloop", "endfacet"]
    return "\n".join(lines + (["endsolid bone"] if end else [])) + "\n"


# --- fault: closed STL bones were reported "open (has holes)" because vertices were not merged ----

def test_binary_stl_is_welded_back_into_a_closed_surface(tmp_path, sacrum):
    V, F = sacrum
    assert is_closed(F)  # the bundled sacrum is closed
    path = tmp_path / "sacrum.stl"
    write_stl(path, V, F)
    V2, F2 = read_mesh(path)
    assert len(F2) == len(F) and len(V2) == len(V)  # 3 corners per triangle merged back to the shared vertices
    assert is_closed(F2)
    # same surface: same volume (float32 corners, as the PLY; 1e-6 relative is float32 rounding)
    assert Surface(V2, F2).signed_volume == pytest.approx(Surface(V, F).signed_volume, rel=1e-6)


def test_ascii_stl_is_read_and_welded(tmp_path, sacrum):
    V, F = sacrum
    path = tmp_path / "sacrum.stl"
    path.write_text(_ascii_stl(V, F[:2000]))
    V2, F2 = read_mesh(path)
    assert len(F2) == 2000 and len(V2) == len(np.unique(F[:2000]))


def test_weld_keeps_the_first_seen_vertex_order_and_drops_collapsed_and_repeated_triangles():
    V = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=float)  # vertex 3 repeats 1
    F = np.array([[0, 1, 2], [0, 3, 4], [0, 1, 3], [2, 1, 0]])  # third collapses, fourth repeats the first
    V2, F2 = weld(V, F)
    np.testing.assert_array_equal(V2, [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(F2, [[0, 1, 2], [0, 1, 3]])


# --- issue 11 item 9: truncated STL, binary junk and text junk are "not a valid STL file", and why --

def test_truncated_binary_stl(tmp_path, sacrum):
    path = tmp_path / "sacrum.stl"
    write_stl(path, *sacrum)
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(MeshError, match=r"sacrum\.stl: not a valid STL file: truncated binary STL: the header promises "
                                        r"37,632 triangles \(1,881,684 bytes\) but the file has 100,000 bytes"):
        read_mesh(path)


def test_truncated_ascii_stl(tmp_path, sacrum):
    path = tmp_path / "sacrum.stl"
    path.write_text(_ascii_stl(*sacrum, end=False)[:5000])
    with pytest.raises(MeshError, match=r"sacrum\.stl: not a valid STL file: (line \d+: expected 'vertex x y z'|"
                                        r"ASCII STL without 'endsolid': the file is truncated)"):
        read_mesh(path)


def test_binary_junk(tmp_path):
    path = tmp_path / "sacrum.stl"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(MeshError, match=r"sacrum\.stl: not a valid STL file: .*promises [\d,]+ triangles"):
        read_mesh(path)


def test_text_junk(tmp_path):
    path = tmp_path / "sacrum.stl"
    path.write_text("This is not a mesh, just a note somebody saved with the wrong name.\n" * 10)
    with pytest.raises(MeshError, match=r"sacrum\.stl: not a valid STL file: it is text that does not start with 'solid'"):
        read_mesh(path)


def test_short_junk_and_empty_file(tmp_path):
    path = tmp_path / "sacrum.stl"
    path.write_bytes(b"\x01\x02\x03")
    with pytest.raises(MeshError, match=r"not a valid STL file: 3 bytes is shorter than a binary STL header"):
        read_mesh(path)
    path.write_bytes(b"")
    with pytest.raises(MeshError, match=r"not a valid STL file: the file is empty \(0 bytes\)"):
        read_mesh(path)


def test_ascii_stl_with_a_bad_number_names_the_line(tmp_path, sacrum):
    text = _ascii_stl(sacrum[0], sacrum[1][:200]).splitlines()
    text[4] = "  vertex 1.0 two 3.0"
    path = tmp_path / "sacrum.stl"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(MeshError, match=r"not a valid STL file: line 5: expected 'vertex x y z' with three numbers"):
        read_mesh(path)


def test_nan_coordinates(tmp_path, sacrum):
    V, F = sacrum
    V = V.copy()
    V[5] = np.nan
    path = tmp_path / "sacrum.stl"
    write_stl(path, V, F)
    with pytest.raises(MeshError, match="not finite numbers"):
        read_mesh(path)


# --- the other formats ------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".obj", ".ply", ".vtp", ".vtk"])
def test_other_formats_round_trip(tmp_path, sacrum, suffix):
    import pyvista as pv

    V, F = sacrum
    path = tmp_path / f"sacrum{suffix}"
    pv.PolyData(V, np.column_stack([np.full(len(F), 3), F]).ravel()).save(str(path))
    V2, F2 = read_mesh(path)
    assert len(F2) == len(F) and is_closed(F2)
    assert Surface(V2, F2).signed_volume == pytest.approx(Surface(V, F).signed_volume, rel=1e-5)


@pytest.mark.parametrize("suffix, content, message", [
    (".obj", "v 0 0 0\nthis is not obj\n", r"no triangles found \(\d+ vertices, 0 faces\): the file holds no surface"),
    (".vtk", "hello\n", r"not a valid legacy VTK PolyData \(\.vtk\) file \(no '# vtk DataFile' first line\)"),
    (".vtk", "# vtk DataFile Version 3.0\nx\nASCII\nDATASET STRUCTURED_POINTS\n", r"not a valid .*: only DATASET POLYDATA is read"),
    (".vtp", "<VTKFile>broken", r"not a valid VTK XML PolyData \(\.vtp\) file"),
    (".ply", "ply\nformat ascii 1.0\nelement vertex 2\n", r"(not a valid PLY file|the mesh is empty)"),
])
def test_broken_files_of_other_formats(tmp_path, suffix, content, message):
    path = tmp_path / f"sacrum{suffix}"
    path.write_text(content)
    with pytest.raises(MeshError, match=rf"sacrum\{suffix}: {message}"):
        read_mesh(path)
