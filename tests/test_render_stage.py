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


def _window_box(actor, renderer) -> list[float]:
    """A text actor's drawn box (xmin, xmax, ymin, ymax) in window pixels."""
    box = [0.0] * 4
    actor.GetBoundingBox(renderer, box)  # about the text's anchor
    ax, ay = actor.GetPositionCoordinate().GetComputedDisplayValue(renderer)
    return [box[0] + ax, box[1] + ax, box[2] + ay, box[3] + ay]


def test_the_longest_bundled_caption_fits_inside_its_strip(anatomy):
    # The caption strip is three lines tall (3 × 1.35 × the text size, plus a margin); the caption is
    # wrapped to the frame's width in its own font. The longest caption of the bundled scenes (289
    # characters) must lie inside the strip, measured from the drawn text's pixel bounding box.
    from pelvisim.scene import bundled_scene_names, load

    captions = [(len(c.text), name, c) for name in bundled_scene_names() for c in load(name).captions]
    _, name, caption = max(captions, key=lambda item: item[0])
    scene = load(name)
    size = (1280, 720)
    stage = Stage(scene, anatomy, size)
    try:
        stage.show(0.5 * (caption.start_s + min(caption.end_s, scene.duration_s)), describe=False)
        stage.plotter.render()
        renderer = stage.caption_renderer
        x0, y0, x1, y1 = renderer.GetViewport()
        box = _window_box(stage.caption_actor, renderer)
        strip_w, strip_h = (x1 - x0) * size[0], (y1 - y0) * size[1]  # the strip starts at the window's corner
        assert stage.caption_actor.GetInput().count("\n") <= 2, stage.caption_actor.GetInput()
        assert 0 <= box[0] and box[1] <= strip_w, (box, strip_w)
        assert 0 <= box[2] and box[3] <= strip_h, (box, strip_h)
        assert box[3] - box[2] > 0.5 * strip_h  # three lines of text fill most of it
    finally:
        stage.close()


def test_the_title_card_text_is_centred_title_above_sources(anatomy):
    # On the flagship's card (1280 × 720) the title and the sources are centred across the frame,
    # inside it, the title above the sources.
    from pelvisim.scene import load

    size = (1280, 720)
    stage = Stage(load("flagship"), anatomy, size)
    try:
        stage.show(0.0, title_card=True, describe=False)
        stage.plotter.render()
        title = _window_box(stage.card_title, stage.card_renderer)
        notes = _window_box(stage.card_notes, stage.card_renderer)
    finally:
        stage.close()
    for box in (title, notes):
        assert 0 <= box[0] and box[1] <= size[0] and 0 <= box[2] and box[3] <= size[1], box
        assert abs(0.5 * (box[0] + box[1]) - size[0] / 2) <= 2.0, box  # centred to 2 px (rounding of glyph widths)
    assert title[2] > notes[3], (title, notes)  # the title's bottom above the sources' top


def test_a_scene_orbit_turns_the_camera_evenly_over_the_timeline(anatomy):
    # orbit_deg = 360 over a 2 s timeline: half-way the camera stands opposite its start (the
    # focal point midway between the two positions), a quarter of the way it has turned 90°.
    scene = parse('title = "o"\n[[panels]]\nmodel = "flare"\n[camera]\norbit_deg = 360\n'
                  '[timeline]\nkind = "still"\nstill_s = 2.0\n[output]\nsize = "320x192"\ntitle_card_s = 0\n', "o.toml")
    stage = Stage(scene, anatomy, SIZE)
    try:
        camera = stage.panels[0].renderer.GetActiveCamera()
        positions = []
        for t in (0.0, 0.5, 1.0):
            stage.show(t, describe=False)
            positions.append(np.array(camera.GetPosition()))
        focus = np.array(camera.GetFocalPoint())
    finally:
        stage.close()
    start, quarter, half = (p - focus for p in positions)
    np.testing.assert_allclose(half, -start, atol=1e-6 * np.linalg.norm(start))
    assert abs(quarter @ start) < 1e-6 * (start @ start)  # a right angle
