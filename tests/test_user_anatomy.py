"""A user's bones with a landmark file: units, frames, mirroring, and one clear line for each bad input.

The folders here carry a complete landmark file, so the import takes its landmarks as given (no
registration; fast). Automatic landmarks are tested in test_user_bones_auto.py.
"""

import json

import numpy as np
import pytest

import pelvisim
from pelvisim import frames
from pelvisim.anatomy.io import landmarks_from_csv, landmarks_from_json
from pelvisim.anatomy.ply import write_ply
from pelvisim.anatomy.user import load_user_anatomy
from pelvisim.cli import main
from pelvisim.errors import DataNotFoundError, LandmarkError, MeshError
from user_bones_helpers import bundled_mesh, make_folder, pose, swap_files

# A pose far from the pelvic frame: turned about all three axes and 0.9 m away.
FAR = pose((30.0, -50.0, 120.0), (250.0, -900.0, 40.0))
# Bones re-meshed to 3,000 vertices where the test is about the files, not the mesh: fast, and the
# bundled landmarks stay within 1 mm of the coarser surfaces (the on-bone check allows 5 mm).
LIGHT = 3000


def test_bones_in_metres_in_another_frame_are_scaled_and_moved_back(tmp_path):
    folder = make_folder(tmp_path / "bones", T=FAR, scale=0.001)
    report = load_user_anatomy(folder)
    reference = pelvisim.load_anatomy()
    assert report.units == "m" and report.scale_to_mm == 1000.0
    # back in the pelvic frame, in mm; PLY stores float32 (24-bit mantissa): coordinates up to 1 m are
    # kept to about 6e-8 m = 6e-5 mm, so 1e-3 mm is ample
    np.testing.assert_allclose(report.anatomy.point("asis_right"), reference.point("asis_right"), atol=1e-3)
    np.testing.assert_allclose(report.anatomy.bones["sacrum"].vertices_mm, reference.bones["sacrum"].vertices_mm,
                               atol=1e-3)


def test_a_missing_innominate_is_mirrored_from_the_other(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT, bones=("sacrum", "innominate_right"))
    report = load_user_anatomy(folder)
    anatomy = report.anatomy
    right = anatomy.bones["innominate_right"].vertices_mm
    left = anatomy.bones["innominate_left"].vertices_mm
    assert report.mirrored == ("innominate_left",)
    assert len(left) == len(right)
    np.testing.assert_allclose(anatomy.point("asis_left")[2], -anatomy.point("asis_right")[2], atol=1e-6)
    assert np.all(left[:, 2] < 0)
    # the bundled pelvis is symmetric to about 1 mm, so the mirrored left lands near the real left
    reference = pelvisim.load_anatomy()
    assert np.linalg.norm(anatomy.point("acetabulum_centre_left") - reference.point("acetabulum_centre_left")) < 4.0


def test_missing_bone_names_the_folder_and_the_expected_file(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT, bones=("innominate_left", "innominate_right"))
    with pytest.raises(MeshError, match=r"missing bone meshes sacrum.*sacrum\{\.stl,.*\.ply"):
        pelvisim.load_anatomy(folder)


def test_wrong_units_are_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT, scale=0.1)  # centimetres
    with pytest.raises(MeshError, match="implausible size"):
        pelvisim.load_anatomy(folder)


def test_empty_mesh_is_named(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    (folder / "sacrum.ply").unlink()
    (folder / "sacrum.stl").write_text("solid empty\nendsolid empty\n")
    with pytest.raises(MeshError, match=r"sacrum\.stl: the mesh is empty"):
        pelvisim.load_anatomy(folder)


def test_broken_mesh_file_is_named(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    (folder / "innominate_right.ply").write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nend_header\n\x00")
    with pytest.raises(MeshError, match=r"innominate_right\.ply"):
        pelvisim.load_anatomy(folder)


def test_two_landmark_files_are_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    (folder / "landmarks.csv").write_text("name,bone,x,y,z\n")
    with pytest.raises(LandmarkError, match="both landmarks.json and landmarks.csv"):
        pelvisim.load_anatomy(folder)


def test_unknown_landmark_names_are_reported_not_silently_used(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    data = json.loads((folder / "landmarks.json").read_text())
    data["landmarks"]["asis_rigth"] = data["landmarks"]["asis_right"]
    (folder / "landmarks.json").write_text(json.dumps(data))
    report = load_user_anatomy(folder)
    assert "asis_rigth" not in report.anatomy.landmarks
    assert any("asis_rigth" in line and "ignored" in line for line in report.lines())


# --- fault: `pelvisim anatomy --anatomy DIR` crashed (IndexError) with a CSV without nx,ny,nz -----

def test_csv_without_normals_gives_normals_from_the_bones_and_the_anatomy_command_works(tmp_path, capsys):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT, T=FAR, landmarks="csv")
    assert "nx" not in (folder / "landmarks.csv").read_text()
    assert main(["anatomy", "--anatomy", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "pelvic_incidence_deg" in out
    anatomy = pelvisim.load_anatomy(folder)
    reference = pelvisim.load_anatomy()
    for name in ("s1_endplate_centre", "auricular_sacrum_right_centroid", "auricular_innominate_left_centroid"):
        # the mean outward normal of the bone within 10 mm: the bundled patch normals average a larger
        # patch of a curved surface, so they differ by some degrees, not by a sign
        cos = anatomy.landmark(name).normal @ reference.landmark(name).normal
        assert cos > np.cos(np.radians(30)), name


def test_dimensions_without_an_endplate_normal_is_a_clear_error_not_an_index_error():
    from pelvisim.anatomy.core import Anatomy, Landmark
    from pelvisim.anatomy.dimensions import dimensions

    reference = pelvisim.load_anatomy()
    landmarks = dict(reference.landmarks)
    landmarks["s1_endplate_centre"] = Landmark("s1_endplate_centre", "sacrum", reference.point("s1_endplate_centre"))
    anatomy = Anatomy(reference.bones, landmarks, reference.joint_frames)
    with pytest.raises(LandmarkError, match="s1_endplate_centre has no normal"):
        dimensions(anatomy)


# --- issue 11 item 4: landmark files with bad text or values: one line naming the file and key/line --

def _json_with(tmp_path, **changes):
    path = tmp_path / "landmarks.json"
    entry = {"bone": "innominate_right", "position_mm": [1.0, 2.0, 3.0], **changes}
    path.write_text(json.dumps({"landmarks": {"asis_right": entry}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("changes, message", [
    ({"normal": "up"}, r"landmark 'asis_right': 'normal' must be 3 numbers \[nx, ny, nz\].*got 'up'"),
    ({"normal": [1, 0]}, r"landmark 'asis_right': 'normal' must be 3 numbers.*got \[1, 0\]"),
    ({"normal": [0, 0, 0]}, r"landmark 'asis_right': 'normal' must be 3 numbers \[nx, ny, nz\], not all zero"),
    ({"radius_mm": "big"}, r"landmark 'asis_right': 'radius_mm' must be a positive number, got 'big'"),
    ({"radius_mm": -3}, r"landmark 'asis_right': 'radius_mm' must be a positive number, got -3"),
    ({"position_mm": [1, 2]}, r"landmark 'asis_right': 'position_mm' must be 3 finite numbers"),
    ({"position_mm": ["1", 2, 3]}, r"landmark 'asis_right': 'position_mm' must be 3 finite numbers"),
    ({"bone": "pelvis"}, r"landmark 'asis_right': 'bone' must be one of sacrum, .*got 'pelvis'"),
])
def test_bad_json_values_name_the_file_and_key(tmp_path, changes, message):
    path = _json_with(tmp_path, **changes)
    with pytest.raises(LandmarkError, match=f"landmarks.json: {message}"):
        landmarks_from_json(path)


def test_a_huge_bad_value_is_cut_in_the_message(tmp_path):
    path = _json_with(tmp_path, normal="x" * 200_000)
    with pytest.raises(LandmarkError) as caught:
        landmarks_from_json(path)
    assert len(str(caught.value)) < 400 and "200,002 characters" in str(caught.value)


def test_non_utf8_json_names_the_file_and_line(tmp_path):
    path = tmp_path / "landmarks.json"
    path.write_bytes('{\n "landmarks": {\n  "épine": {}}}'.encode("latin-1"))
    with pytest.raises(LandmarkError, match=r"landmarks.json: line 3: not UTF-8 text \(byte 0xe9\); save the file as UTF-8"):
        landmarks_from_json(path)


def test_latin1_csv_names_the_file_and_line(tmp_path):
    path = tmp_path / "landmarks.csv"
    path.write_bytes("name,bone,x,y,z\nasis_right,innominate_right,1,2,3\n# épine iliaque\n".encode("latin-1"))
    with pytest.raises(LandmarkError, match=r"landmarks.csv: line 3: not UTF-8 text \(byte 0xe9\)"):
        landmarks_from_csv(path)


def test_utf8_with_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "landmarks.csv"
    path.write_bytes("name,bone,x,y,z\nasis_right,innominate_right,1,2,3\n".encode("utf-8-sig"))
    assert landmarks_from_csv(path)["asis_right"].position_mm.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("row, message", [
    ("psis_left,innominate_left,a,b,c", r"line 3: expected numbers for x, y, z"),
    ("psis_left,innominate_left,1,2,3,up,0,0", r"line 3: expected numbers"),
    ("psis_left,innominate_left,1,2,3,0,0,0", r"line 3: 'normal' must be 3 numbers"),
    ("psis_left,innominate_left,1,2,3,,,,big", r"line 3: expected numbers"),
    ("psis_left,femur,1,2,3", r"line 3: bone must be one of"),
    ("asis_left,innominate_left,1,2,3", r"line 3: 'asis_left' is given twice"),
])
def test_bad_csv_rows_name_the_file_and_line(tmp_path, row, message):
    path = tmp_path / "landmarks.csv"
    path.write_text(f"name,bone,x,y,z,nx,ny,nz,radius\nasis_left,innominate_left,0,0,-114,,,,\n{row}\n")
    with pytest.raises(LandmarkError, match=f"landmarks.csv: {message}"):
        landmarks_from_csv(path)


def test_csv_header_without_coordinates(tmp_path):
    path = tmp_path / "landmarks.csv"
    path.write_text("name;bone;x;y;z\n")
    with pytest.raises(LandmarkError, match=r"landmarks.csv: line 1: the header needs columns name,bone,x,y,z"):
        landmarks_from_csv(path)


# --- issue 11 item 8: wrong anatomy is refused with the check that failed ------------------------

def _edit_landmarks(folder, edit):
    path = folder / "landmarks.json"
    data = json.loads(path.read_text())
    edit(data["landmarks"])
    path.write_text(json.dumps(data))


def test_left_right_landmark_names_swapped_is_refused_by_the_sides_check(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT, T=FAR)

    def swap(table):  # names and bones swapped together, so each landmark is still on "its" bone
        swapped = {}
        for name, entry in table.items():
            twin = name.replace("left", "@").replace("right", "left").replace("@", "right")
            swapped[twin] = {**entry, "bone": entry["bone"].replace("left", "@").replace("right", "left")
                             .replace("@", "right")}
        table.clear()
        table.update(swapped)

    _edit_landmarks(folder, swap)
    swap_files(folder / "innominate_left.ply", folder / "innominate_right.ply")  # a consistently mirrored labelling
    with pytest.raises(LandmarkError, match=r"sides check failed: .*ischial tuberosities come out \d+ mm above the "
                                            r"ASIS.*right = anterior × superior"):
        pelvisim.load_anatomy(folder)


def test_one_pair_of_names_swapped_is_refused_by_the_on_bone_check(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)

    def swap(table):
        table["psis_left"]["position_mm"], table["psis_right"]["position_mm"] = (
            table["psis_right"]["position_mm"], table["psis_left"]["position_mm"])

    _edit_landmarks(folder, swap)
    with pytest.raises(LandmarkError, match=r"on-bone check failed: psis_left is \d+ mm from its bone innominate_left.*"
                                            r"lies on innominate_right: are left and right swapped"):
        pelvisim.load_anatomy(folder)


def test_innominate_files_swapped_is_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    swap_files(folder / "innominate_left.ply", folder / "innominate_right.ply")
    with pytest.raises(LandmarkError, match=r"on-bone check failed: .* mm from its bone innominate_.*"
                                            r"are left and right swapped \(names or files\)"):
        pelvisim.load_anatomy(folder)


def test_meshes_in_metres_with_landmarks_in_millimetres_is_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT, scale=0.001)
    _edit_landmarks(folder, lambda table: [e.update(position_mm=[v * 1000 for v in e["position_mm"]])
                                           for e in table.values()])
    with pytest.raises(LandmarkError, match=r"units check failed: the meshes are in m but the landmarks are in mm"):
        pelvisim.load_anatomy(folder)


def test_landmarks_150_mm_off_the_bones_are_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    _edit_landmarks(folder, lambda table: [e.update(position_mm=[e["position_mm"][0] + 150.0, *e["position_mm"][1:]])
                                           for e in table.values()])
    with pytest.raises(LandmarkError, match=r"on-bone check failed: \w+ is \d+ mm from its bone"):
        pelvisim.load_anatomy(folder)


def test_a_landmark_on_the_wrong_bone_name_is_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    _edit_landmarks(folder, lambda table: table["asis_left"].update(bone="sacrum"))
    with pytest.raises(LandmarkError, match=r"landmark 'asis_left': bone is sacrum, but asis_left belongs to "
                                            r"innominate_left"):
        pelvisim.load_anatomy(folder)


@pytest.mark.parametrize("what, message", [
    ("zeros", r"sacrum\.ply: degenerate mesh: all \d+ vertices are at one point"),
    ("one triangle", r"sacrum\.ply: only 1 triangle; a bone surface needs at least 100"),
])
def test_a_degenerate_sacrum_is_refused(tmp_path, what, message):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    V, F = bundled_mesh("sacrum")
    if what == "zeros":
        write_ply(folder / "sacrum.ply", np.zeros_like(V), F)
    else:
        write_ply(folder / "sacrum.ply", V[:3], np.array([[0, 1, 2]]))
    with pytest.raises(MeshError, match=message):
        pelvisim.load_anatomy(folder)


def test_a_pelvis_outside_adult_ranges_is_refused(tmp_path):
    # 1.35× the mean: inter-ASIS 309 mm, more than 4 SD above the published 227 ± 16 mm
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT, T=np.diag([1.35, 1.35, 1.35, 1.0]))
    with pytest.raises(LandmarkError, match=r"adult-range check failed: inter_asis_mm = 309\.\d+, outside 163–291"):
        pelvisim.load_anatomy(folder)


def test_bones_from_different_frames_are_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    V, F = bundled_mesh("sacrum")
    write_ply(folder / "sacrum.ply", V + [0.0, 300.0, 0.0], F)
    with pytest.raises(MeshError, match=r"articulation check failed: it is \d+ mm from sacrum\.ply"):
        pelvisim.load_anatomy(folder)


def test_mixed_units_are_refused(tmp_path):
    folder = make_folder(tmp_path / "bones", n_vertices=LIGHT)
    V, F = bundled_mesh("sacrum")
    write_ply(folder / "sacrum.ply", V / 1000, F)
    with pytest.raises(MeshError, match=r"sacrum\.ply: units inconsistent: this bone looks like m while "
                                        r"innominate_right\.ply is in mm"):
        pelvisim.load_anatomy(folder)


def test_the_bundled_pelvis_passes_every_check(tmp_path):
    # the same checks, on the bones they were written for: nothing refused, nothing moved
    report = load_user_anatomy(make_folder(tmp_path / "bones"))
    reference = pelvisim.load_anatomy()
    for name in ("asis_left", "psis_right", "s1_endplate_centre", "sacral_apex"):
        np.testing.assert_allclose(report.anatomy.point(name), reference.point(name), atol=1e-3)
    assert report.overlaps == ()


def test_no_folder(tmp_path, capsys):
    assert main(["meshes", "import", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pelvisim: error:") and "not a folder" in err and "Traceback" not in err
    with pytest.raises(DataNotFoundError):
        pelvisim.load_anatomy(tmp_path / "nowhere")


def test_the_frame_round_trip_of_the_far_pose(tmp_path):
    # independent check of FAR itself: the pelvic frame found from the moved landmarks is FAR's inverse
    folder = make_folder(tmp_path / "bones", T=FAR)
    table = json.loads((folder / "landmarks.json").read_text())["landmarks"]
    from pelvisim.anatomy.landmarks import pelvic_frame_from_landmarks

    T = pelvic_frame_from_landmarks(*(np.array(table[n]["position_mm"]) for n in
                                      ("asis_right", "asis_left", "psis_right", "psis_left")))
    np.testing.assert_allclose(T @ FAR, np.eye(4), atol=1e-9)
    assert frames.is_rigid(FAR)
