"""Importing a user's own bones: units, mirroring, and a clear error for each kind of bad input."""

import json
import shutil

import numpy as np
import pytest

import pelvisim
from pelvisim.anatomy.io import default_mesh_dir
from pelvisim.anatomy.ply import read_ply, write_ply
from pelvisim.cli import main
from pelvisim.errors import DataNotFoundError, LandmarkError, MeshError


def make_folder(tmp_path, scale=1.0, drop_bone=None, drop_landmark=None, shift=(0.0, 0.0, 0.0)):
    folder = tmp_path / "bones"
    folder.mkdir()
    src = default_mesh_dir()
    for bone in ("sacrum", "innominate_left", "innominate_right"):
        if bone == drop_bone:
            continue
        V, F = read_ply(src / f"{bone}.ply")
        write_ply(folder / f"{bone}.ply", (V + shift) * scale, F)
    data = json.loads((src / "landmarks.json").read_text())["landmarks"]
    data = {k: v for k, v in data.items() if not v["bone"].startswith("femur") and k != drop_landmark}
    for v in data.values():  # the landmark file is in the meshes' units
        v["position_mm"] = list((np.array(v["position_mm"]) + shift) * scale)
        if "radius_mm" in v:
            v["radius_mm"] *= scale
        if "area_mm2" in v:
            v["area_mm2"] *= scale**2
    (folder / "landmarks.json").write_text(json.dumps({"landmarks": data}))
    return folder


def test_bones_in_metres_are_detected_and_scaled(tmp_path):
    folder = make_folder(tmp_path, scale=0.001, shift=(30.0, -500.0, 12.0))
    anatomy = pelvisim.load_anatomy(folder)
    reference = pelvisim.load_anatomy()
    # moved back into the pelvic frame, in mm
    np.testing.assert_allclose(anatomy.point("asis_right"), reference.point("asis_right"), atol=1e-3)
    np.testing.assert_allclose(anatomy.bones["sacrum"].vertices_mm, reference.bones["sacrum"].vertices_mm, atol=1e-3)


def test_a_missing_innominate_is_mirrored_from_the_other(tmp_path):
    folder = make_folder(tmp_path, drop_bone="innominate_left")
    anatomy = pelvisim.load_anatomy(folder)
    right = anatomy.bones["innominate_right"].vertices_mm
    left = anatomy.bones["innominate_left"].vertices_mm
    assert len(left) == len(right)
    np.testing.assert_allclose(anatomy.point("asis_left")[2], -anatomy.point("asis_right")[2], atol=1e-6)
    assert np.all(left[:, 2] < 0)


def test_missing_bone_names_the_folder_and_the_expected_file(tmp_path):
    folder = make_folder(tmp_path, drop_bone="sacrum")
    with pytest.raises(MeshError, match=r"missing bone meshes sacrum.*sacrum\{\.ply"):
        pelvisim.load_anatomy(folder)


def test_missing_landmark_is_named(tmp_path):
    folder = make_folder(tmp_path, drop_landmark="psis_left")
    with pytest.raises(LandmarkError, match="landmarks.json: missing landmarks psis_left"):
        pelvisim.load_anatomy(folder)


def test_wrong_units_are_refused(tmp_path):
    folder = make_folder(tmp_path, scale=0.1)  # centimetres
    with pytest.raises(MeshError, match="implausible size"):
        pelvisim.load_anatomy(folder)


def test_empty_mesh_is_named(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "sacrum.ply").unlink()
    (folder / "sacrum.stl").write_text("solid empty\nendsolid empty\n")
    with pytest.raises(MeshError, match=r"sacrum\.stl"):
        pelvisim.load_anatomy(folder)


def test_broken_mesh_file_is_named(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "innominate_right.ply").write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nend_header\n\x00")
    with pytest.raises(MeshError, match=r"innominate_right\.ply"):
        pelvisim.load_anatomy(folder)


def test_no_landmark_file(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "landmarks.json").unlink()
    with pytest.raises(DataNotFoundError, match="landmarks.json or landmarks.csv"):
        pelvisim.load_anatomy(folder)


def test_csv_landmarks_with_a_bad_number_give_the_line(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "landmarks.json").unlink()
    (folder / "landmarks.csv").write_text("name,bone,x,y,z\nasis_left,innominate_left,0,0,-114\npsis_left,innominate_left,a,b,c\n")
    with pytest.raises(LandmarkError, match="landmarks.csv: line 3"):
        pelvisim.load_anatomy(folder)


def test_cli_import_reports_units_and_writes_a_loadable_folder(tmp_path, capsys):
    folder = make_folder(tmp_path, scale=0.001)
    out = tmp_path / "imported"
    assert main(["meshes", "import", str(folder), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "units: m" in text
    assert pelvisim.load_anatomy(out).bones["sacrum"].n_triangles > 1000


def test_cli_error_is_one_line(tmp_path, capsys):
    assert main(["meshes", "import", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pelvisim: error:") and "not a folder" in err and "Traceback" not in err
