"""``pelvisim render``, ``export``, ``scene check|list`` end to end."""

from __future__ import annotations

import csv

import render_helpers  # noqa: F401  (headless settings before pyvista)
import pytest

from pelvisim.cli import main
from render_helpers import count_video_frames


@pytest.mark.render
def test_render_bundled_scene_by_name(tmp_path, capsys):
    out = tmp_path / "clip.mp4"
    assert main(["render", "mitchell_gait", "-o", str(out), "--size", "320x192", "--fps", "5", "--title-card", "0",
                 "--end", "4"]) == 0
    assert count_video_frames(out)[0] == 20  # 4 s at 5 fps
    assert main(["render", "mitchell_gait", "-o", str(out), "--size", "320x192"]) == 2
    assert "exists" in capsys.readouterr().err


@pytest.mark.render
def test_render_several_scenes_in_parallel(tmp_path):
    argv = ["render", "flare", "shear", "-o", str(tmp_path), "--size", "160x96", "--fps", "2", "--title-card", "0",
            "--end", "1", "--jobs", "2"]
    assert main(argv) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flare.mp4", "shear.mp4"]


def test_render_unknown_scene_is_one_line(capsys):
    assert main(["render", "no_such_scene", "-o", "x.mp4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pelvisim: error: no_such_scene: no such scene file") and err.count("\n") == 1


def test_export_table_and_plot(tmp_path):
    out, plot = tmp_path / "t.csv", tmp_path / "t.png"
    assert main(["export", "flagship", "-o", str(out), "--plot", str(plot), "--fps", "5", "--cycles", "1"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 * 20  # two panels, one 4 s cycle at 5 fps
    assert {"time_s", "phase", "panel", "asis_left.x_mm", "sacrum.nutation_deg", "innominate_left.inflare_deg"} <= set(rows[0])
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert main(["export", "flagship", "-o", str(out)]) == 2


def test_scene_list(capsys):
    assert main(["scene", "list"]) == 0
    assert "flagship" in capsys.readouterr().out
