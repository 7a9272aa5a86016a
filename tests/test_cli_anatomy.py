"""`pelvisim anatomy`: the JSON contract and the three-view picture."""

import json
import os

import numpy as np
import pytest

from pelvisim.cli import main


def test_json_layout_and_ranges(capsys):
    assert main(["anatomy", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["bones"]) == {"sacrum", "innominate_left", "innominate_right", "femur_left", "femur_right"}
    assert all(set(b) == {"triangles", "closed"} for b in report["bones"].values())
    assert len(report["landmarks"]["asis_left"]) == 3
    d = report["dimensions"]
    for key in ("inter_asis_mm", "inter_psis_mm", "inter_hip_centre_mm", "pelvic_incidence_deg", "sacral_slope_deg",
                "asis_psis_angle_deg", "sacral_height_mm"):
        assert key in d


@pytest.mark.render
def test_png_shows_the_pelvis_in_three_views(tmp_path):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from matplotlib.image import imread

    out = tmp_path / "pelvis.png"
    assert main(["anatomy", "--png", str(out)]) == 0
    image = (imread(out)[..., :3] * 255).astype(int)
    bone = (np.abs(image - 255).sum(axis=2) > 30)        # anything not white
    thirds = np.array_split(bone, 3, axis=1)
    assert all(t.mean() > 0.08 for t in thirds), [round(t.mean(), 3) for t in thirds]
    assert main(["anatomy", "--png", str(out)]) == 2     # refuses to overwrite
