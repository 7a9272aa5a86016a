"""The renderer's fast paths keep the picture: back-face culling, direct pixel reads, frames planned
ahead in a thread, repeated frames not drawn again."""

from __future__ import annotations

import render_helpers  # noqa: F401  (headless settings before pyvista)
import numpy as np
import pytest

from pelvisim.scene import parse
from pelvisim.view.render import Stage, render
from render_helpers import is_blank, mean_abs_difference

pytestmark = pytest.mark.render

SIZE = (320, 192)

FEMURS = parse(
    'title = "femurs"\nmagnification = 20\n[[panels]]\nmodel = "gait"\n[[panels]]\nmodel = "mitchell_gait"\n'
    'parameters = { torsion_deg = 3 }\n[overlays]\nfemurs = true\nghost = true\n[timeline]\ncycles = 1\n'
    'seconds_per_cycle = 1.0\n[[captions]]\ntext = "first"\nend_s = 0.5\n[[captions]]\ntext = "second"\nstart_s = 0.5\n'
    '[output]\nsize = "320x192"\nfps = 8\ntitle_card_s = 0.25\n',
    "femurs_test.toml",
)

HOLD = parse(
    'title = "hold"\n[[panels]]\nmodel = "flare"\n[timeline]\nkind = "keyframes"\n'
    '[[timeline.keyframes]]\ntime_s = 0.0\nparameters = { left_deg = 0.0 }\nhold_s = 0.5\n'
    '[[timeline.keyframes]]\ntime_s = 1.0\nparameters = { left_deg = 8.0 }\n'
    '[output]\nsize = "320x192"\nfps = 8\ntitle_card_s = 0\n',
    "hold_test.toml",
)


@pytest.fixture
def stage(anatomy):
    s = Stage(FEMURS, anatomy, SIZE)
    yield s
    s.close()


def _culling(stage: Stage, on: bool) -> None:
    for panel in stage.panels:
        for actor in panel.actors.values():
            actor.GetProperty().SetBackfaceCulling(on)


@pytest.mark.parametrize("view", ["anterior", "posterior", "left", "superior", "inferior"])
def test_back_face_culling_does_not_change_the_picture(stage, view):
    """The bones are closed and wound outwards: culling their back faces must leave the image alone."""
    from pelvisim.view.camera import set_view

    assert all(a.GetProperty().GetBackfaceCulling() for p in stage.panels for a in p.actors.values())
    set_view(stage.plotter, view, bounds=stage.panels[0].pelvic_bounds, renderers=[p.renderer for p in stage.panels])
    stage.show(0.3)
    culled = stage.image()
    _culling(stage, False)
    stage.show(0.3)
    stage.plotter.render()
    plain = stage.image()
    assert not is_blank(culled)
    changed = np.abs(culled.astype(int) - plain.astype(int)).max(axis=-1) > 24
    assert changed.mean() < 0.001, f"{changed.sum()} pixels changed in the {view} view"


def test_image_is_the_screenshot_pyvista_takes(stage):
    stage.show(0.6)
    ours = stage.image()
    theirs = np.asarray(stage.plotter.screenshot(return_img=True, transparent_background=False))[..., :3]
    assert ours.shape == (SIZE[1], SIZE[0], 3) and ours.dtype == np.uint8 and ours.flags.c_contiguous
    np.testing.assert_array_equal(ours, theirs)
    assert stage.image() is not ours  # every frame is a new array (frames may wait for the encoder)


def test_show_says_whether_the_picture_changes(anatomy):
    stage = Stage(HOLD, anatomy, SIZE)
    try:
        assert stage.show(0.0)
        assert not stage.show(0.0)
        assert not stage.show(0.25)  # the first keyframe is held for 0.5 s
        assert stage.show(0.75)
        assert stage.show(0.75, title_card=True)
    finally:
        stage.close()


def test_video_frames_match_stills_at_the_same_times(tmp_path, anatomy):
    """Frames are planned one ahead in a thread: every frame must still show its own time."""
    frames: list[np.ndarray] = []
    result = render(FEMURS, tmp_path / "clip.mp4", anatomy=anatomy, on_frame=lambda k, image: frames.append(image.copy()))
    card = 2  # 0.25 s at 8 fps
    assert result.n_frames == card + 8 == len(frames)
    np.testing.assert_array_equal(frames[0], frames[1])  # the title card is drawn once and repeated
    assert mean_abs_difference(frames[card - 1], frames[card]) > 1.0  # the card goes away
    from PIL import Image

    for k in (0, 3, 4, 7):  # both captions, several phases
        still = render(FEMURS, tmp_path / f"still{k}.png", anatomy=anatomy, start_s=k / 8)
        np.testing.assert_array_equal(np.asarray(Image.open(still.path)), frames[card + k], err_msg=f"frame {k}")


def test_held_keyframes_repeat_the_same_frame(tmp_path, anatomy):
    frames: list[np.ndarray] = []
    render(HOLD, tmp_path / "hold", frames=True, anatomy=anatomy, on_frame=lambda k, image: frames.append(image.copy()))
    assert len(frames) == 8
    for k in range(1, 4):  # 0 … 0.5 s: the hold
        np.testing.assert_array_equal(frames[k], frames[0])
    assert mean_abs_difference(frames[-1], frames[0]) > 1.0


def test_title_card_veils_the_scene(anatomy):
    """Behind the title card the scene fades to the background colour, so the title reads as a card."""
    import pyvista as pv

    stage = Stage(FEMURS, anatomy, SIZE)
    try:
        background = np.array(pv.Color(stage.theme.background).int_rgb)
        stage.show(0.0, title_card=True)
        card = stage.image().astype(int)
        stage.show(0.0)
        scene = stage.image().astype(int)
    finally:
        stage.close()
    # away from the card's own text (its middle band), pixels sit near the background colour
    rows = np.r_[0 : SIZE[1] // 4, 3 * SIZE[1] // 4 : SIZE[1]]
    scene_contrast = np.abs(scene[rows] - background).mean()
    card_contrast = np.abs(card[rows] - background).mean()
    assert scene_contrast > 10.0, "the scene itself should differ from its background"
    assert card_contrast < 0.25 * scene_contrast
