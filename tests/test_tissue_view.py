"""The tissue overlays as pixels: muscles drawn red, ligaments with a colour bar, load arrows; and
the overlay's read-out line names what it measures."""

from __future__ import annotations

import render_helpers  # noqa: F401  (headless settings before pyvista)
import numpy as np
import pytest
from PIL import Image

from pelvisim.models import get_model
from pelvisim.scene import parse
from pelvisim.view.render import render
from pelvisim.view.tissue import ARROW_COLOURS, frame_tissue, readout_text

pytestmark = pytest.mark.render

SCENE = '''title = "tissue view test"
magnification = 20
[[panels]]
model = "soft_tissue"
parameters = {{ posture = "single_leg_right", iliacus_left_n = 800.0 }}
[timeline]
kind = "still"
[camera]
view = "anterior"
[overlays]
landmarks = false
descriptors = false
tissue = {tissue}
loads = {loads}
[output]
size = "640x384"
title_card_s = 0
'''


def _image(tmp_path, anatomy, tissue: bool, loads: bool) -> np.ndarray:
    s = parse(SCENE.format(tissue=str(tissue).lower(), loads=str(loads).lower()), "tissue_view_test.toml")
    result = render(s, tmp_path / f"t{int(tissue)}{int(loads)}.png", anatomy=anatomy)
    return np.asarray(Image.open(result.path).convert("RGB")).astype(int)


def _count(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 45) -> int:
    return int(np.sum(np.all(np.abs(image - np.array(rgb)) < tolerance, axis=-1)))


@pytest.fixture(scope="module")
def images(tmp_path_factory, anatomy):
    tmp = tmp_path_factory.mktemp("tissue_view")
    return {key: _image(tmp, anatomy, *key) for key in ((False, False), (True, False), (False, True))}


def test_muscles_are_drawn_red_only_with_the_tissue_overlay(images):
    red = lambda im: int(np.sum((im[..., 0] > 150) & (im[..., 1] < 90) & (im[..., 2] < 80)))  # noqa: E731
    # bones, background and the default landmarks carry no saturated red here (landmarks are off)
    assert red(images[(False, False)]) < 20
    assert red(images[(True, False)]) > 150  # the iliacus and the stretched ligaments


def test_colour_bar_runs_blue_to_red_at_the_right_edge(images):
    image = images[(True, False)]
    h, w, _ = image.shape
    strip = image[int(0.25 * h): int(0.70 * h), int(0.86 * w): int(0.94 * w)]
    reds = (strip[..., 0] > 150) & (strip[..., 2] < 100)
    blues = (strip[..., 2] > 150) & (strip[..., 0] < 100)
    rows_red, rows_blue = np.nonzero(reds)[0], np.nonzero(blues)[0]
    assert len(rows_red) and len(rows_blue)
    assert rows_red.mean() < rows_blue.mean()  # red (+) above blue (−)
    assert not (((images[(False, False)][int(0.25 * h): int(0.70 * h), int(0.86 * w): int(0.94 * w), 2] > 150)).any())


def test_load_arrows_only_with_the_loads_overlay(images):
    blue = tuple(int(ARROW_COLOURS["body weight"][i: i + 2], 16) for i in (1, 3, 5))
    orange = tuple(int(ARROW_COLOURS["hip reaction"][i: i + 2], 16) for i in (1, 3, 5))
    below_labels = lambda im: im[int(0.12 * im.shape[0]):]  # noqa: E731  (the orange ×20 label is at the top)
    assert _count(below_labels(images[(False, True)]), orange) > 50
    assert _count(below_labels(images[(False, False)]), orange) < 5
    assert _count(images[(False, True)], blue) > 20 and _count(images[(False, False)], blue) < 5


def test_readout_line_gives_each_sij_rotation_and_compression(anatomy):
    model = get_model("soft_tissue")
    values = model.resolve({"posture": "single_leg_right", "closure_gain": 1.0})
    state = model.joint_state(anatomy, values)
    tissue = frame_tissue(anatomy, "soft_tissue", values, 0.0, state)
    text = readout_text(state, tissue.state)
    import math

    from pelvisim import frames

    right = math.degrees(frames.rotation_angle_rad(state.relative("sacrum", "innominate_right")))
    assert f"R {right:.3f}°" in text and "true scale" in text
    assert f"R {tissue.state.compression_n['right']:.0f} N" in text and "self-bracing" in text


def test_colour_bar_can_be_hidden_alone(anatomy):
    # The README thumbnails hide the bar (its title does not fit) but keep the coloured tissue.
    from pelvisim.view.render import Stage

    s = parse(SCENE.format(tissue="true", loads="false"), "tissue_view_test.toml")
    stage = Stage(s, anatomy, (640, 384))
    try:
        stage.show(0.0)
        overlay = stage.panels[0].tissue_overlay
        with_bar = np.asarray(stage.image()).astype(int)[..., :3]
        overlay.set_colour_bar_visible(False)
        without = np.asarray(stage.image()).astype(int)[..., :3]
        overlay.set_visible(False, False)
        overlay.set_colour_bar_visible(True)  # with the tissue off the bar stays hidden
        assert not overlay._scalar_bar_actor.GetVisibility()
    finally:
        stage.close()
    h, w, _ = without.shape
    rows, cols = slice(int(0.25 * h), int(0.70 * h)), slice(int(0.86 * w), int(0.94 * w))
    bar_red = lambda im: ((im[rows, cols, 0] > 150) & (im[rows, cols, 2] < 100)).any()  # noqa: E731
    assert bar_red(with_bar) and not bar_red(without)
    # everything left of the bar (the bones and their coloured tissue) is unchanged
    np.testing.assert_array_equal(with_bar[:, : int(0.80 * w)], without[:, : int(0.80 * w)])
