"""``pelvisim meshes import DIR -o OUT``: never writes over the user's files, all or nothing, a loadable result."""

import hashlib
import os

import numpy as np
import pytest

import pelvisim
from pelvisim.cli import main
from user_bones_helpers import make_folder, pose

FAR = pose((10.0, 20.0, -70.0), (-40.0, 120.0, 900.0))


@pytest.fixture(scope="module")
def bones(tmp_path_factory):
    """Bones in metres in another frame, with a complete landmark file (imports without registration)."""
    return make_folder(tmp_path_factory.mktemp("import") / "bones", T=FAR, scale=0.001, n_vertices=3000)


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- issue 11 item 1: `meshes import DIR -o DIR` overwrote the input meshes -------------------------

@pytest.mark.parametrize("how", ["same path", "trailing dot", "symlink"])
def test_import_into_the_input_folder_is_refused_and_nothing_changes(bones, tmp_path, capsys, how):
    before = _digests(bones)
    target = {"same path": str(bones), "trailing dot": str(bones / "."), "symlink": str(tmp_path / "link")}[how]
    if how == "symlink":
        os.symlink(bones, target)
    code, out, err = run(capsys, "meshes", "import", str(bones), "-o", target, "--overwrite")
    assert code == 2
    assert "-o is the input folder; pelvisim never writes over your meshes" in err and "Traceback" not in err
    assert _digests(bones) == before


# --- issue 11 item 1: `meshes import -o` had no overwrite guard -----------------------------------

def test_import_refuses_to_replace_an_earlier_import_without_overwrite(bones, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(capsys, "meshes", "import", str(bones), "-o", str(out), "--no-png")[0] == 0
    before = _digests(out)
    code, _, err = run(capsys, "meshes", "import", str(bones), "-o", str(out), "--no-png")
    assert code == 2 and err.count("\n") == 1
    assert f"{out} exists; pass --overwrite to replace it" in err and "overwrite=True" not in err
    assert _digests(out) == before
    assert run(capsys, "meshes", "import", str(bones), "-o", str(out), "--no-png", "--overwrite")[0] == 0


def test_overwrite_replaces_the_whole_earlier_import(bones, tmp_path, capsys):
    # an earlier import with femurs, replaced by one without: no stale femur is left to be loaded
    out = tmp_path / "out"
    out.mkdir()
    for name in ("femur_left.ply", "femur_right.ply"):
        (out / name).write_bytes(b"from an earlier import")
    assert run(capsys, "meshes", "import", str(bones), "-o", str(out), "--no-png", "--overwrite")[0] == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["landmarks.json", "sacrum.ply", "innominate_left.ply", "innominate_right.ply"])


@pytest.mark.parametrize("foreign", ["notes.txt", "sacrum.stl", "bones"])
def test_a_folder_holding_anything_of_the_users_is_refused_even_with_overwrite(bones, tmp_path, capsys, foreign):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sacrum.ply").write_bytes(b"from an earlier import")
    if foreign == "bones":
        (out / foreign).mkdir()
    else:
        (out / foreign).write_bytes(b"the user's own file")
    before = _digests(out)
    code, printed, err = run(capsys, "meshes", "import", str(bones), "-o", str(out), "--overwrite")
    assert code == 2 and f"holds files that are not pelvisim's import files ({foreign})" in err
    assert printed == ""  # refused before any work
    assert "nothing of yours is deleted" in err
    assert _digests(out) == before and (out / foreign).exists()


def test_import_onto_a_file_is_refused(bones, tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("keep")
    code, _, err = run(capsys, "meshes", "import", str(bones), "-o", str(target))
    assert code == 2 and "is not a folder" in err and target.read_text() == "keep"


def test_a_failure_while_writing_leaves_the_output_folder_as_it_was(bones, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run(capsys, "meshes", "import", str(bones), "-o", str(out), "--no-png")[0] == 0
    before = _digests(out)
    import pelvisim.anatomy.ply as ply

    real, calls = ply.write_ply, []

    def failing(path, *args, **kwargs):  # the disk fills up on the third bone
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(ply, "write_ply", failing)
    code, _, err = run(capsys, "meshes", "import", str(bones), "-o", str(out), "--no-png", "--overwrite")
    assert code != 0 and "No space left on device" in err and str(out) in err
    assert _digests(out) == before  # the earlier import, untouched
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no temporary folder left


def test_the_imported_folder_loads_as_the_same_anatomy(bones, tmp_path, capsys):
    out = tmp_path / "out"
    code, printed, _ = run(capsys, "meshes", "import", str(bones), "-o", str(out), "--no-png")
    assert code == 0 and "units: m" in printed
    imported = pelvisim.load_anatomy(out)
    direct = pelvisim.load_anatomy(bones)
    # float32 PLY (≈ 1e-5 mm at 200 mm) and 4-decimal landmarks: 1e-3 mm
    for name in direct.landmarks:
        np.testing.assert_allclose(imported.point(name), direct.point(name), atol=1e-3)
    np.testing.assert_allclose(imported.bones["sacrum"].vertices_mm, direct.bones["sacrum"].vertices_mm, atol=1e-3)


@pytest.mark.render
def test_import_writes_a_three_view_picture_to_check(bones, tmp_path, capsys):
    import render_helpers  # noqa: F401  (headless settings before pyvista)
    from matplotlib.image import imread
    from render_helpers import is_blank

    out = tmp_path / "out"
    code, printed, _ = run(capsys, "meshes", "import", str(bones), "-o", str(out))
    assert code == 0 and "import_check.png" in printed
    image = imread(out / "import_check.png")
    assert image.shape[:2] == (640, 1800) and not is_blank((image[..., :3] * 255).astype(np.uint8))
