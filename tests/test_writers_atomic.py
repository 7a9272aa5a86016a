"""Every writer is atomic (issues 11 and 12): a failure mid-write keeps the existing file and
leaves no temporary behind; a disk error is one line naming the user's file.

Writers: CSV export (``scene.write_table``), the descriptor plot (``render_cmd.plot_table``), the
app's screenshot (``MainWindow.screenshot``), the anatomy picture (``snapshots.anatomy_png``), and
rendered PNG / MP4 / GIF / frames folders (``view.render.render``). Failures are injected in the
third-party call that writes the bytes (csv, matplotlib, Qt, Pillow) or through the render's own
``on_frame`` hook.
"""

from __future__ import annotations

import errno
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the app test builds a window in this process

import render_helpers  # noqa: F401,E402  (headless settings before pyvista)
import pytest  # noqa: E402

from pelvisim.errors import PelvisimError  # noqa: E402
from pelvisim.output import OutputError  # noqa: E402
from pelvisim.scene import parse, write_table  # noqa: E402


def names(folder) -> list[str]:
    return sorted(os.listdir(folder))


class FailsOnStr:
    """A table value whose text cannot be produced: the CSV writer fails on the row holding it."""

    def __str__(self) -> str:
        raise RuntimeError("cannot format this value")


def test_csv_export_failing_mid_write_keeps_the_old_table(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old table\n")
    rows = [{"time_s": float(k), "label": "x"} for k in range(2000)]
    rows[1500]["label"] = FailsOnStr()  # 1,500 rows are already in the temporary when this one fails
    with pytest.raises(RuntimeError, match="cannot format"):
        write_table(rows, out)
    assert out.read_text() == "old table\n" and names(tmp_path) == ["t.csv"]
    write_table(rows[:3], out)
    assert out.read_text().splitlines()[0] == "time_s,label"


def test_csv_export_refuses_an_existing_file_without_overwrite(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old table\n")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        write_table([{"a": 1.0}], out, overwrite=False)
    assert out.read_text() == "old table\n"


def test_plot_png_disk_full_mid_write_is_one_line_and_keeps_the_old_plot(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from pelvisim.cli.render_cmd import plot_table

    scene = parse('title = "t"\n[[panels]]\nmodel = "flare"\n', "t.toml")
    rows = [{"phase": p / 10, "panel": 1, "sacrum.nutation_deg": 0.1 * p} for p in range(10)]
    out = tmp_path / "plot.png"
    out.write_bytes(b"old plot")

    def disk_full(self, handle, **kwargs):
        handle.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Figure, "savefig", disk_full)
    with pytest.raises(OutputError) as info:
        plot_table(rows, scene, out)
    assert str(info.value) == f"cannot write {out}: No space left on device; free some space or write to another disk"
    assert out.read_bytes() == b"old plot" and names(tmp_path) == ["plot.png"]


def test_app_screenshot_failing_keeps_the_old_file(tmp_path, monkeypatch, anatomy):
    from PySide6 import QtGui

    from app_helpers import open_window
    from pelvisim.view.state import AppState

    out = tmp_path / "shot.png"
    out.write_bytes(b"old screenshot")

    def half_written(self, path, *args):
        with open(path, "wb") as handle:
            handle.write(b"\x89PNG half")
        return False  # Qt's way of saying the write failed

    with open_window(anatomy, AppState.from_models(["flare"])) as window:
        monkeypatch.setattr(QtGui.QImage, "save", half_written)
        with pytest.raises(PelvisimError, match="could not write"):
            window.screenshot(out)
        assert out.read_bytes() == b"old screenshot" and names(tmp_path) == ["shot.png"]
        monkeypatch.undo()
        window.screenshot(out)
    assert out.read_bytes()[:4] == b"\x89PNG" and names(tmp_path) == ["shot.png"]


@pytest.mark.render
def test_anatomy_png_disk_full_keeps_the_old_picture(tmp_path, monkeypatch, anatomy):
    from PIL import Image

    from pelvisim.view.snapshots import anatomy_png

    out = tmp_path / "anatomy.png"
    out.write_bytes(b"old picture")

    def disk_full(self, handle, *args, **kwargs):
        handle.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OutputError, match=r"^cannot write .*anatomy\.png: No space left on device"):
        anatomy_png(anatomy, out, size=(300, 120))
    assert out.read_bytes() == b"old picture" and names(tmp_path) == ["anatomy.png"]
    with pytest.raises(OutputError, match="exists"):
        anatomy_png(anatomy, out, size=(300, 120), overwrite=False)


SCENE = parse('title = "t"\n[[panels]]\nmodel = "flare"\n[timeline]\nkind = "still"\nstill_s = 1\n'
              '[output]\nsize = "160x96"\nfps = 6\ntitle_card_s = 0\n', "t.toml")


@pytest.mark.render
@pytest.mark.parametrize("name, frames", [("x.png", False), ("x.mp4", False), ("x.gif", False), ("frames", True)])
def test_render_failing_mid_write_keeps_the_old_output(tmp_path, anatomy, name, frames):
    from pelvisim.view.render import render

    out = tmp_path / name
    if frames:
        out.mkdir()
        for k in range(10):
            (out / f"frame_{k:05d}.png").write_bytes(b"old frame")
    else:
        out.write_bytes(b"old output")
    before = {p.name: p.read_bytes() for p in (out.iterdir() if frames else [out])}

    def fail(k, image):
        if k == (0 if name.endswith(".png") else 3):
            raise RuntimeError("mid-render failure")

    with pytest.raises(RuntimeError, match="mid-render"):
        render(SCENE, out, frames=frames, overwrite=True, anatomy=anatomy, on_frame=fail)
    assert {p.name: p.read_bytes() for p in (out.iterdir() if frames else [out])} == before
    assert names(tmp_path) == [name]
    result = render(SCENE, out, frames=frames, overwrite=True, anatomy=anatomy)
    assert names(tmp_path) == [name]
    if frames:
        assert names(out) == [f"frame_{k:05d}.png" for k in range(6)]  # the 4 stale old frames are gone
    else:
        assert out.read_bytes() != b"old output" and result.n_bytes == out.stat().st_size


@pytest.mark.render
def test_video_sizes_are_exact_even_when_not_multiples_of_16(tmp_path, anatomy):
    """H.264 works in 16-pixel blocks; the encoder pads and crops, the file keeps the asked size."""
    from render_helpers import count_video_frames

    from pelvisim.view.render import render

    result = render(SCENE, tmp_path / "x.mp4", size="200x90", anatomy=anatomy, end_s=0.5)
    assert count_video_frames(result.path)[2] == (200, 90)  # decoded back, not what the writer was told


@pytest.mark.render
def test_a_gif_over_its_size_budget_is_thinned(tmp_path, anatomy, monkeypatch):
    from render_helpers import count_video_frames

    from pelvisim.view import writers
    from pelvisim.view.render import render

    scene = parse('title = "t"\n[[panels]]\nmodel = "gait"\n[timeline]\nseconds_per_cycle = 2\n'
                  '[output]\nsize = "160x96"\nfps = 30\ntitle_card_s = 0\n', "g.toml")
    full = render(scene, tmp_path / "full.gif", anatomy=anatomy)
    assert full.fps == writers.GIF_MAX_FPS and full.n_frames == 30  # 2 s rendered at 15 fps, not 30
    monkeypatch.setattr(writers, "GIF_BUDGET_BYTES_PER_S", 1.0)  # nothing fits: thinned as far as it goes
    thin = render(scene, tmp_path / "thin.gif", anatomy=anatomy)
    frames, fps, _ = count_video_frames(thin.path)
    assert (thin.fps, thin.n_frames, frames) == (6, 12, 12) and fps == pytest.approx(6, abs=0.5)
    assert thin.n_bytes < full.n_bytes


@pytest.mark.render
@pytest.mark.parametrize("signum", [2, 15])  # SIGINT, SIGTERM
def test_a_signal_stops_the_render_at_the_next_frame(tmp_path, anatomy, signum):
    """Ctrl-C is held while a frame is drawn (never raised inside VTK) and acted on right after it."""
    from pelvisim.output import Interrupted
    from pelvisim.view.render import render

    out = tmp_path / "x.mp4"
    out.write_bytes(b"old output")
    frames_seen = []

    def signal_at_frame_2(k, image):
        frames_seen.append(k)
        if k == 2:
            os.kill(os.getpid(), signum)

    with pytest.raises(Interrupted) as info:
        render(SCENE, out, overwrite=True, anatomy=anatomy, on_frame=signal_at_frame_2)
    assert info.value.exit_code == 128 + signum
    assert frames_seen == [0, 1, 2]  # not one frame more of the 6
    assert out.read_bytes() == b"old output" and names(tmp_path) == ["x.mp4"]
