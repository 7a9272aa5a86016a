"""Rebuilding the bundled meshes from the installed dataset reproduces what is committed."""

import json

import numpy as np
import pytest

from pelvisim.anatomy.build import sha256, write_meshes
from pelvisim.anatomy.io import default_mesh_dir
from pelvisim.anatomy.ply import read_ply


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("meshes")
    write_meshes(out)
    return out


@pytest.mark.parametrize("bone", ["sacrum", "innominate_left", "innominate_right", "femur_left", "femur_right"])
def test_rebuilt_bones_match_the_committed_ones(rebuilt, bone):
    V_new, F_new = read_ply(rebuilt / f"{bone}.ply")
    V_old, F_old = read_ply(default_mesh_dir() / f"{bone}.ply")
    np.testing.assert_array_equal(F_new, F_old)
    np.testing.assert_allclose(V_new, V_old, atol=1e-3)  # float32 storage; bit-identical on one machine


def test_rebuilt_landmarks_match_and_checksums_are_recorded(rebuilt):
    new = json.loads((rebuilt / "landmarks.json").read_text())["landmarks"]
    old = json.loads((default_mesh_dir() / "landmarks.json").read_text())["landmarks"]
    assert set(new) == set(old)
    for name in new:
        np.testing.assert_allclose(new[name]["position_mm"], old[name]["position_mm"], atol=1e-2, err_msg=name)
    recorded = dict(line.split()[::-1] for line in (default_mesh_dir() / "SHA256SUMS").read_text().splitlines())
    for name, digest in recorded.items():
        assert sha256(default_mesh_dir() / name) == digest, f"{name} changed since the last build"
