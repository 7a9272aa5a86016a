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
    assert all(b["closed"] for b in report["bones"].values())
    for side in ("left", "right"):
        assert 20_000 <= report["bones"][f"innominate_{side}"]["triangles"] <= 80_000  # issue 2's mesh budget
    lm = {name: np.array(p) for name, p in report["landmarks"].items()}
    assert lm["asis_left"].shape == (3,)
    d = report["dimensions"]
    for key in ("inter_asis_mm", "inter_psis_mm", "inter_hip_centre_mm", "pelvic_incidence_deg", "sacral_slope_deg",
                "asis_psis_angle_deg", "sacral_height_mm"):
        assert key in d
    # The printed distances are those of the printed landmarks (to the 0.01 mm the report rounds to) ...
    for key, (a, b) in {"inter_asis_mm": ("asis_left", "asis_right"), "inter_psis_mm": ("psis_left", "psis_right"),
                        "inter_hip_centre_mm": ("acetabulum_centre_left", "acetabulum_centre_right"),
                        "sacral_height_mm": ("sacral_promontory", "sacral_apex")}.items():
        assert d[key] == pytest.approx(np.linalg.norm(lm[a] - lm[b]), abs=0.02), key
    # ... and inside the published ranges (reference/BIOMECHANICS.md §8): CT, n = 200, mean ± 2 SD.
    assert 227 - 2 * 16 <= d["inter_asis_mm"] <= 227 + 2 * 16
    assert 160 - 2 * 8 <= d["inter_hip_centre_mm"] <= 160 + 2 * 8
    # Mac-Thiong 2011 (n = 709), mean ± 2 SD ranges for PI and SS.
    assert 32 <= d["pelvic_incidence_deg"] <= 74 and 24 <= d["sacral_slope_deg"] <= 55
    assert 13 - 2 * 5 <= d["asis_psis_angle_deg"] <= 13 + 2 * 5  # Preece 2008: 13° (SD 5°)


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
