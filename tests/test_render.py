"""Offscreen renderer: not blank, differs between phases, frame counts, atomic and no-overwrite."""

from __future__ import annotations

import render_helpers  # noqa: F401  (headless settings before pyvista)
import numpy as np
import pytest

from pelvisim.errors import ParameterError
from pelvisim.scene import bundled_scene_names, parse
from pelvisim.view import render as render_module
from pelvisim.view.render import render
from render_helpers import SMALL, count_video_frames, is_blank, mean_abs_difference

pytestmark = pytest.mark.render

GAIT = parse(
    'title = "gait test"\nmagnification = 20\n[[panels]]\nmodel = "mitchell_gait"\nparameters = { torsion_deg = 3 }\n'
    '[timeline]\ncycles = 1\nseconds_per_cycle = 1.0\n[camera]\nview = "posterior"\n'
    '[[captions]]\ntext = "a caption"\n[output]\nsize = "320x192"\nfps = 8\ntitle_card_s = 0\n',
    "gait_test.toml",
)


def test_png_is_not_blank_and_differs_between_phases(tmp_path, anatomy):
    a = render(GAIT, tmp_path / "a.png", start_s=0.0, anatomy=anatomy)
    b = render(GAIT, tmp_path / "b.png", start_s=0.5, anatomy=anatomy)
    from PIL import Image

    image_a, image_b = (np.asarray(Image.open(r.path)) for r in (a, b))
    assert image_a.shape == (192, 320, 3)
    assert not is_blank(image_a)
    assert mean_abs_difference(image_a, image_b) > 0.05


def test_mp4_has_fps_times_duration_frames(tmp_path, anatomy):
    result = render(GAIT, tmp_path / "clip.mp4", anatomy=anatomy, cycles=2, title_card_s=0.5)
    n, fps, size = count_video_frames(result.path)
    assert fps == 8 and size == (320, 192)
    assert n == result.n_frames == 8 * (2 * 1.0 + 0.5)


def test_gif_and_frames_folder(tmp_path, anatomy):
    gif = render(GAIT, tmp_path / "clip.gif", anatomy=anatomy, end_s=0.5)
    assert gif.path.stat().st_size > 0 and gif.n_frames == 4
    folder = render(GAIT, tmp_path / "frames", frames=True, anatomy=anatomy, end_s=0.5)
    assert sorted(p.name for p in folder.path.iterdir()) == [f"frame_0000{i}.png" for i in range(4)]


def test_refuses_to_overwrite(tmp_path, anatomy):
    out = tmp_path / "x.png"
    out.write_bytes(b"keep me")
    with pytest.raises(ParameterError, match="exists"):
        render(GAIT, out, anatomy=anatomy)
    assert out.read_bytes() == b"keep me"
    render(GAIT, out, anatomy=anatomy, overwrite=True)
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_error_mid_render_leaves_no_partial_file(tmp_path, anatomy):
    out = tmp_path / "clip.mp4"

    def explode(k, image):
        if k == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render(GAIT, out, anatomy=anatomy, on_frame=explode)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_keeps_old_file_until_the_new_one_is_complete(tmp_path, anatomy):
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"old video")

    def explode(k, image):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        render(GAIT, out, anatomy=anatomy, overwrite=True, on_frame=explode)
    assert out.read_bytes() == b"old video"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_bad_output_suffix(tmp_path, anatomy):
    with pytest.raises(ParameterError, match=r"\.png, \.mp4, \.gif"):
        render(GAIT, tmp_path / "clip.avi", anatomy=anatomy)


def test_progress_bar_only_when_asked(capsys):
    import io

    stream = io.StringIO()
    bar = render_module.Progress(10, "x", enabled=None, stream=stream)
    bar(10)
    assert stream.getvalue() == ""
    bar = render_module.Progress(10, "x", enabled=True, stream=stream)
    bar(5)
    bar(10)
    assert "ETA" in stream.getvalue() and "done" in stream.getvalue()


@pytest.mark.parametrize("name", bundled_scene_names())
def test_every_bundled_scene_renders(tmp_path, anatomy, name):
    result = render(name, tmp_path / f"{name}.png", size=SMALL, anatomy=anatomy, start_s=1.0)
    from PIL import Image

    assert not is_blank(np.asarray(Image.open(result.path)))
