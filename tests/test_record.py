"""The app's "Record this": render_state renders one gait cycle of an AppState to a video.

Videos are read back with imageio-ffmpeg (frame count, size, pixels): nothing of pelvisim is mocked.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the app test's widgets (the video is rendered by EGL)

import render_helpers  # noqa: F401  (headless settings before pyvista)
import numpy as np
import pytest

from app_helpers import open_window
from pelvisim.errors import ParameterError
from pelvisim.view.render import RenderCancelled, render_state, scene_from_state
from pelvisim.view.state import AppState, PanelChoice
from render_helpers import count_video_frames, is_blank, mean_abs_difference, read_frames

pytestmark = pytest.mark.render

SIZE = (320, 192)
FPS = 8


def gait_state(**values) -> AppState:
    """One gait panel at ×20, seen from the front, one cycle per second."""
    return AppState(panels=[PanelChoice("gait", values)], magnification=20.0, speed=1.0, view="anterior")


def test_writes_one_gait_cycle_whose_frames_move(tmp_path, anatomy):
    out = render_state(anatomy, gait_state(), tmp_path / "cycle.mp4", size=SIZE, fps=FPS)
    assert out == tmp_path / "cycle.mp4"
    n, fps, size = count_video_frames(out)
    assert (n, fps, size) == (FPS, FPS, SIZE)  # one cycle at 1 cycle/s
    frames = read_frames(out)
    assert len(frames) == FPS
    assert not is_blank(frames[0])
    assert mean_abs_difference(frames[0], frames[len(frames) // 2]) > 1.0


def test_playback_speed_sets_the_length_and_the_overwrite_rule_holds(tmp_path, anatomy):
    state = gait_state()
    state.speed = 0.5  # half a cycle per second: a two-second video
    out = render_state(anatomy, state, tmp_path / "slow.mp4", size=SIZE, fps=FPS)
    assert count_video_frames(out)[0] == 2 * FPS
    with pytest.raises(ParameterError, match="exists"):
        render_state(anatomy, state, out, size=SIZE, fps=FPS)
    render_state(anatomy, state, out, size=SIZE, fps=FPS, seconds_per_cycle=0.5, overwrite=True)
    assert count_video_frames(out)[0] == FPS // 2


def test_cancel_from_the_progress_callback_leaves_no_file(tmp_path, anatomy):
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return done < 3

    with pytest.raises(RenderCancelled, match="cancelled after 3 of 8 frames"):
        render_state(anatomy, gait_state(), tmp_path / "cancelled.mp4", size=SIZE, fps=FPS, progress=progress)
    assert calls == [(0, 8), (1, 8), (2, 8), (3, 8)]
    assert list(tmp_path.iterdir()) == []


def test_cancel_keeps_an_existing_file(tmp_path, anatomy):
    out = tmp_path / "old.mp4"
    out.write_bytes(b"old video")
    with pytest.raises(RenderCancelled):
        render_state(anatomy, gait_state(), out, size=SIZE, fps=FPS, overwrite=True, progress=lambda done, total: False)
    assert out.read_bytes() == b"old video"
    assert [p.name for p in tmp_path.iterdir()] == ["old.mp4"]


def test_progress_returning_none_goes_on(tmp_path, anatomy):
    seen = []
    out = render_state(anatomy, gait_state(), tmp_path / "x.mp4", size=SIZE, fps=FPS, progress=lambda d, t: seen.append(d))
    assert seen == list(range(FPS + 1)) and out.exists()


def test_the_panel_parameters_reach_the_video(tmp_path, anatomy):
    soft = render_state(anatomy, gait_state(stiffness_ratio=0.5), tmp_path / "left_soft.mp4", size=SIZE, fps=FPS)
    stiff = render_state(anatomy, gait_state(stiffness_ratio=2.0), tmp_path / "left_stiff.mp4", size=SIZE, fps=FPS)
    a, b = read_frames(soft), read_frames(stiff)
    # Same phases, same camera: only the parameter differs, so some frame must differ visibly.
    assert max(mean_abs_difference(x, y) for x, y in zip(a, b)) > 1.0
    # And the same state renders the same video (the difference is not encoder noise).
    again = read_frames(render_state(anatomy, gait_state(stiffness_ratio=0.5), tmp_path / "left_soft2.mp4", size=SIZE, fps=FPS))
    assert max(mean_abs_difference(x, y) for x, y in zip(a, again)) < 0.05


def test_the_model_magnification_and_view_reach_the_video(tmp_path, anatomy):
    base = gait_state()
    other_model = AppState(panels=[PanelChoice("mitchell_gait", {"torsion_deg": 5.0})], magnification=20.0, speed=1.0)
    true_scale = gait_state()
    true_scale.set_magnification(1.0)
    posterior = gait_state()
    posterior.set_view("posterior")
    reference = read_frames(render_state(anatomy, base, tmp_path / "base.mp4", size=SIZE, fps=FPS))
    for name, state in (("model", other_model), ("magnification", true_scale), ("view", posterior)):
        frames = read_frames(render_state(anatomy, state, tmp_path / f"{name}.mp4", size=SIZE, fps=FPS))
        assert mean_abs_difference(reference[FPS // 4], frames[FPS // 4]) > 1.0, name


def test_scene_from_state_carries_the_panels_and_display_settings():
    state = AppState(panels=[PanelChoice("flare", {"left_deg": 2.0}, label="my flare"), PanelChoice("nutation")],
                     magnification=5.0, speed=0.25, view="superior", title="lecture 3")
    state.set_overlay("trails", True)
    state.set_phase(0.3)
    scene = scene_from_state(state, size="640x360", fps=24)
    assert [p.model for p in scene.panels] == ["flare", "nutation"]
    assert scene.panels[0].parameters["left_deg"] == 2.0 and scene.panels[0].label == "my flare"
    assert scene.panels[1].label == state.panels[1].title
    assert scene.magnification == 5.0 and scene.camera.view == "superior" and scene.title == "lecture 3"
    assert scene.panel_overlays(0)["trails"] and not scene.panel_overlays(0)["ghost"]
    assert scene.timeline.kind == "gait" and scene.timeline.cycles == 1.0
    assert scene.timeline.seconds_per_cycle == 4.0 and scene.timeline.start_phase == pytest.approx(0.3)
    assert scene.output.size == "640x360" and scene.output.fps == 24 and scene.output.title_card_s == 0.0
    assert scene.captions == ()


@pytest.mark.parametrize(
    ("options", "message"),
    [({"fps": 0}, "fps must be an integer from 1 to 120"), ({"size": "big"}, "size must be 720p"),
     ({"quality": "best"}, "quality must be one of draft, final"), ({"theme": "dark"}, "theme must be one of"),
     ({"seconds_per_cycle": -1.0}, "seconds_per_cycle must be")],
)
def test_bad_options_name_the_option(options, message):
    with pytest.raises(ParameterError, match=message):
        scene_from_state(AppState(), **options)


def test_only_video_outputs_and_a_bare_name_becomes_mp4(tmp_path, anatomy):
    with pytest.raises(ParameterError, match=r"x\.png: a recording must be an \.mp4"):
        render_state(anatomy, AppState(), tmp_path / "x.png")
    out = render_state(anatomy, gait_state(), tmp_path / "lecture", size=SIZE, fps=FPS, seconds_per_cycle=0.25)
    assert out == tmp_path / "lecture.mp4" and count_video_frames(out)[0] == 2


# --- the button in the app ------------------------------------------------------------------
@pytest.fixture
def window(anatomy):
    with open_window(anatomy, AppState(panels=[PanelChoice("gait")], magnification=20.0, speed=2.0)) as win:
        yield win


def test_record_in_the_app_writes_half_a_second_at_two_cycles_per_second(window, tmp_path):
    out = window.record(tmp_path / "app.mp4")
    assert out == tmp_path / "app.mp4"
    n, fps, size = count_video_frames(out)
    assert (n, fps, size) == (15, 30.0, (1280, 720))
    assert "Saved" in window.statusBar().currentMessage()


def test_cancel_in_the_app_writes_nothing(window, tmp_path):
    from PySide6 import QtCore, QtWidgets

    def press_cancel() -> None:
        dialog = window.findChild(QtWidgets.QProgressDialog)
        assert dialog is not None
        dialog.cancel()

    QtCore.QTimer.singleShot(0, press_cancel)
    assert window.record(tmp_path / "app.mp4") is None
    assert list(tmp_path.iterdir()) == []
    assert "cancelled" in window.statusBar().currentMessage()


def test_a_camera_turned_with_the_mouse_is_recorded(window, tmp_path):
    scene_view = window.scene_view
    assert scene_view.moved_camera() is None  # still the preset
    preset = window.record(tmp_path / "preset.mp4")
    camera = scene_view.panels[0].renderer.GetActiveCamera()
    camera.Azimuth(60.0)  # what a mouse drag does
    moved = scene_view.moved_camera()
    assert moved is not None
    np.testing.assert_allclose(moved.position_mm, camera.GetPosition())
    np.testing.assert_allclose(moved.focal_point_mm, camera.GetFocalPoint())
    turned = window.record(tmp_path / "turned.mp4")
    first_preset, first_turned = read_frames(preset)[0], read_frames(turned)[0]
    assert mean_abs_difference(first_preset, first_turned) > 5.0
    window.set_view("anterior")
    assert scene_view.moved_camera() is None  # a preset again
