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
zoom = 0.7
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


@pytest.fixture(scope="module")
def bar(anatomy):
    """Image and colour-bar box of the tissue overlay (with and without the bar), and the bar's title."""
    from pelvisim.view.render import Stage

    s = parse(SCENE.format(tissue="true", loads="false"), "tissue_view_test.toml")
    stage = Stage(s, anatomy, (640, 384))
    try:
        stage.show(0.0)
        drawing = stage.panels[0].layers["tissue"].drawing
        box = drawing.bar_box
        with_bar = np.asarray(stage.image()).astype(int)[..., :3]
        title = drawing._scalar_bar_actor.GetTitle()
        drawing.set_colour_bar_visible(False)
        without = np.asarray(stage.image()).astype(int)[..., :3]
        drawing.set_visible(False, False)
        drawing.set_colour_bar_visible(True)  # with the tissue off the bar stays hidden
        hidden_when_off = not drawing._scalar_bar_actor.GetVisibility()
    finally:
        stage.close()
    return {"with": with_bar, "without": without, "box": box, "title": title, "hidden_when_off": hidden_when_off}


def _box_pixels(image, box):
    x0, x1, y0, y1 = box
    h = image.shape[0]
    return image[int(h - y1): int(h - y0), int(x0): int(x1)]


def test_colour_bar_runs_blue_to_red_left_to_right_and_names_quantity_unit_and_reference(bar):
    # the panels' colour-bar style (view.overlays.colour_bar): horizontal, at the lower right
    x0, x1, y0, y1 = bar["box"]
    h, w, _ = bar["with"].shape
    assert x1 > 0.6 * w and y0 < 0.4 * h
    strip = _box_pixels(bar["with"], bar["box"])
    reds = (strip[..., 0] > 150) & (strip[..., 2] < 100)
    blues = (strip[..., 2] > 150) & (strip[..., 0] < 100)
    cols_red, cols_blue = np.nonzero(reds)[1], np.nonzero(blues)[1]
    assert len(cols_red) and len(cols_blue)
    assert cols_red.mean() > cols_blue.mean()  # red (+) right of blue (−)
    assert "%-points (true scale)" in bar["title"] and "from the neutral pose" in bar["title"]


def test_load_arrows_only_with_the_loads_overlay(images):
    blue = tuple(int(ARROW_COLOURS["body weight"][i: i + 2], 16) for i in (1, 3, 5))
    orange = tuple(int(ARROW_COLOURS["hip reaction"][i: i + 2], 16) for i in (1, 3, 5))

    def added(colour):  # pixels of that colour with the loads on that are not so without them
        near = lambda im: np.all(np.abs(im - np.array(colour)) < 45, axis=-1)  # noqa: E731
        return int(np.sum(near(images[(False, True)]) & ~near(images[(False, False)])))

    # (the orange ×20 badge and the warnings are in both images; the arrows only with the loads)
    assert added(orange) > 50 and added(blue) > 20
    assert _count(images[(False, False)], blue) < 5


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


def test_colour_bar_can_be_hidden_alone(bar):
    without, with_bar = bar["without"], bar["with"]
    assert bar["hidden_when_off"]
    bar_red = lambda im: ((_box_pixels(im, bar["box"])[..., 0] > 150) & (_box_pixels(im, bar["box"])[..., 2] < 100)).any()  # noqa: E731
    assert bar_red(with_bar) and not bar_red(without)
    # everything outside the bar's box (the bones and their coloured tissue) is unchanged
    # (grown by 16 px: the end labels are centred on the bar's ends, half a label beyond its box)
    x0, x1, y0, y1 = bar["box"]
    h = with_bar.shape[0]
    mask = np.ones(with_bar.shape[:2], dtype=bool)
    mask[max(0, int(h - y1) - 16): int(h - y0) + 16, max(0, int(x0) - 16): int(x1) + 16] = False
    np.testing.assert_array_equal(with_bar[mask], without[mask])


def _overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


@pytest.mark.parametrize("size", [(640, 384), (1280, 720)])
def test_tissue_text_and_bar_keep_clear_of_the_title_readout_and_colour_map_bar(anatomy, size):
    """With the colour map on too, the two colour bars stack; the SIJ line sits under the title."""
    from pelvisim.view.render import Stage

    text = SCENE.format(tissue="true", loads="false").replace("descriptors = false", "descriptors = true\ncolour_map = true")
    # a title long enough to take two lines, with the badge under it, at 640 px
    text = text.replace('model = "soft_tissue"', 'label = "The left iliacus pulls while standing on the right leg, seen from the front"\n'
                        'model = "soft_tissue"')
    stage = Stage(parse(text, "tissue_view_test.toml"), anatomy, size)
    try:
        stage.show(0.0)
        stage.image()
        panel = stage.panels[0]
        drawing = panel.layers["tissue"].drawing
        boxes = {"tissue bar": drawing.bar_box, "tissue line": drawing.text_box, "title": panel.title_box,
                 "readout": panel.readout_box, "colour map bar": panel.layers["colour_map"].boxes()[0]}
    finally:
        stage.close()
    assert all(box is not None for box in boxes.values()), boxes
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(boxes[a], boxes[b]), (a, boxes[a], b, boxes[b])
    assert boxes["tissue bar"][2] > boxes["colour map bar"][3]  # stacked above it
    assert boxes["tissue line"][3] <= boxes["title"][2] + 2  # under the title band (boxes carry a 2 px rim)


def test_a_joint_in_tension_reads_pulling_apart_not_a_negative_compression(anatomy):
    # gold_jammed_left's even panel at mid-stance once read "SIJ compression: L -38 N": the model's
    # linear joint spring in tension, printed as a negative compression.
    from dataclasses import replace

    model = get_model("soft_tissue")
    values = model.resolve({"posture": "single_leg_right", "closure_gain": 1.0})
    state = model.joint_state(anatomy, values)
    tissue = frame_tissue(anatomy, "soft_tissue", values, 0.0, state)
    pulled = replace(tissue.state, compression_n={"left": -38.4, "right": 608.0})
    text = readout_text(state, pulled)
    assert "L 38 N pulling apart, R 608 N" in text and "-38" not in text
