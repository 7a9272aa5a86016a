"""The lesson viewer in Jupyter: a notebook executed headless (nbclient) shows it, and the kernel answers sliders."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

import pelvisim
from pelvisim import frames
from pelvisim.errors import ParameterError
from pelvisim.models import get_model
from pelvisim.notebook import LiveAnswers, StaticViewer, scene_for, viewer
from pelvisim.scene import load
from pelvisim.web import Resolution

SMALL = Resolution(grid_points=3, phase_samples=8, time_samples_per_s=2.0, overlap="scene")
"""A small page: these tests check the viewer output and the kernel's answers, not interpolation."""

NOTEBOOK_CELLS = [
    "import pelvisim.notebook as nb\nfrom pelvisim.web import Resolution\n"
    "small = Resolution(grid_points=3, phase_samples=8, time_samples_per_s=2.0, overlap='scene')",
    'nb.show("flare", resolution=small)',
    'w = nb.viewer("flare", resolution=small)\n'
    'reply = w.handle({"type": "request", "id": 7, "motion": 0, "overrides": {"left_deg": 1.3, "right_deg": -0.4}})\n'
    'import json; print(json.dumps(reply))',
]


def srcdoc_page(output_html: str) -> str:
    """The page inside the ``<iframe srcdoc="...">`` of a viewer's HTML output."""
    match = re.search(r'srcdoc="([^"]*)"', output_html)
    assert match, "no iframe srcdoc in the output"
    return html.unescape(match.group(1))


def page_meta(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="pelvisim-meta">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match.group(1).replace("<\\/", "</"))


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    folder = tmp_path_factory.mktemp("notebook")
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook


@pytest.mark.slow
def test_executed_notebook_shows_the_viewer(executed_notebook):
    outputs = executed_notebook.cells[1].outputs
    displays = [o for o in outputs if o.output_type == "display_data"]
    assert len(displays) == 1, outputs
    data = displays[0].data
    # The live widget for front ends with widgets, and the precomputed page for everything else.
    assert "application/vnd.jupyter.widget-view+json" in data
    page = srcdoc_page(data["text/html"])
    meta = page_meta(page)
    assert meta["title"] == "Inflare and outflare"
    assert [m["model"] for m in meta["motions"]] == ["flare"]
    assert "window.pelvisim" in page and "pelvisim-data" in page


@pytest.mark.slow
def test_kernel_answers_a_slider_move_exactly(executed_notebook, anatomy):
    text = "".join(o.get("text", "") for o in executed_notebook.cells[2].outputs if o.output_type == "stream")
    reply = json.loads(text)
    assert reply["type"] == "track" and reply["id"] == 7
    assert reply["overrides"] == {"left_deg": 1.3, "right_deg": -0.4}
    # Both innominates at the requested angles, whatever the keyframes say: independent check
    # through the model itself (not interpolated: 1.3° is not a grid value).
    state = get_model("flare").joint_state(anatomy, {"left_deg": 1.3, "right_deg": -0.4})
    twists = np.array(reply["twists"]).reshape(reply["n"], 6, 6)
    for k in range(reply["n"]):
        for slot, bone in ((1, "innominate_left"), (2, "innominate_right")):
            np.testing.assert_allclose(frames.exp(twists[k, slot]), state.T_pelvis[bone], atol=1e-12)


def test_answers_reject_bad_requests_with_a_message(anatomy):
    w = viewer("flare", resolution=SMALL, anatomy=anatomy)
    answers = w.answers if hasattr(w, "answers") else None
    assert isinstance(answers, LiveAnswers)
    bad_value = answers.answer({"id": 1, "motion": 0, "overrides": {"left_deg": 99}})
    assert bad_value["type"] == "error" and "left_deg must be a number from -15 to 15" in bad_value["message"]
    bad_motion = answers.answer({"id": 2, "motion": 3, "overrides": {}})
    assert bad_motion["type"] == "error" and "motion must be from 0 to 0" in bad_motion["message"]
    assert w.handle({"type": "ping"}) == {"type": "pong"}


def test_kernel_answers_carry_the_soft_tissue_at_the_requested_values(anatomy):
    """Gurd's multifidus scene shows the tissue: a live answer holds it at the requested pull, as
    JSON (a slack bundle as null, never NaN, which JSON cannot carry)."""
    from pelvisim.web.tissue import L5_VALUES, muscle_names

    w = viewer("gurd_multifidus", resolution=SMALL, anatomy=anatomy)
    reply = w.answers.answer({"id": 3, "motion": 0, "overrides": {"pull_n": 150.0}})
    assert reply["type"] == "track"
    json.dumps(reply, allow_nan=False)  # the page's JSON.parse would refuse NaN
    tissue = np.array([np.nan if v is None else v for v in reply["tissue"]]).reshape(reply["n"], -1)
    forces = dict(zip(muscle_names(anatomy), tissue[0, -len(muscle_names(anatomy)):]))
    assert forces["multifidus_left"] == pytest.approx(150.0)  # the requested pull, not the scene's 100 N
    assert tissue.shape[1] > L5_VALUES + len(forces)
    from pelvisim.notebook import _json_numbers

    assert _json_numbers(np.array([[0.25, np.nan]])) == [0.25, None]  # no bundle is slack here: the slack case by hand


def test_a_model_gets_a_one_panel_scene():
    gait = scene_for("gait", parameters={"stiffness_ratio": 2.0})
    assert gait.timeline.kind == "gait" and gait.panels[0].parameters["stiffness_ratio"] == 2.0
    still = scene_for("flare", parameters={"left_deg": 1.0}, magnification=10, view="superior")
    assert still.timeline.kind == "still" and still.magnification == 10 and still.camera.view == "superior"
    # "flare" is also a bundled scene: the name means the scene, unless parameters say "model".
    with pytest.raises(ParameterError, match="parameters= applies to a model"):
        scene_for("flagship", parameters={"stiffness_ratio": 2.0})
    with pytest.raises(ParameterError, match="neither a scene"):
        scene_for("no_such_thing")
    with pytest.raises(ParameterError, match="view must be one of"):
        scene_for("gait", view="sideways")


def test_without_anywidget_the_viewer_is_the_static_page(anatomy, monkeypatch):
    import pelvisim.notebook as notebook

    def missing():
        raise ImportError("No module named 'anywidget'")

    monkeypatch.setattr(notebook, "_widget_class", missing)
    assert isinstance(viewer("flare", resolution=SMALL, anatomy=anatomy), StaticViewer)


def test_static_viewer_without_live_kernel(anatomy):
    static = viewer(get_model("neutral"), resolution=SMALL, anatomy=anatomy, live=False)
    assert isinstance(static, StaticViewer)
    meta = page_meta(srcdoc_page(static._repr_html_()))
    assert meta["title"] == "Neutral" and meta["timeline"]["kind"] == "still"


@pytest.fixture(scope="module")
def anatomy(page_anatomy):
    return page_anatomy


# --- in a browser: the output as a notebook front end shows it -----------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_notebook_output_draws_in_a_browser(executed_notebook, tmp_path, page):
    from browser_helpers import png_pixels, share_of_background

    output = next(o for o in executed_notebook.cells[1].outputs if o.output_type == "display_data").data["text/html"]
    host = tmp_path / "output.html"
    host.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{output}</body></html>", encoding="utf-8")
    page.open(host, wait_for_frame=False)
    frame = page.page.frame_locator("iframe.pelvisim-lesson")
    frame.locator(".view").first.wait_for()
    lesson = next(f for f in page.page.frames if f != page.page.main_frame)
    lesson.wait_for_function("() => window.pelvisim && window.pelvisim.state().frames > 0", timeout=60000)
    image = png_pixels(frame.locator(".view").first.screenshot())
    background = lesson.evaluate("() => window.pelvisim.meta.theme.background")
    assert share_of_background(image, background) < 0.95
    assert lesson.evaluate("() => window.pelvisim.state().live") is False  # no kernel: precomputed
    assert page.blocked == []


WIDGET_HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="host"></div>
<script type="module">
%(esm)s
const handlers = [];
const values = { page: %(page)s, height_px: 700 };
const model = {
  get: (key) => values[key],
  send: (message) => { window.pelvisimKernel(JSON.stringify(message)).then((text) => {
    const reply = JSON.parse(text);
    if (reply) handlers.forEach((h) => h(reply));
  }); },
  on: (name, handler) => { if (name === "msg:custom") handlers.push(handler); },
  off: () => {},
};
render({ model, el: document.getElementById("host") });
</script></body></html>"""


@pytest.mark.browser
@pytest.mark.slow
def test_sliders_go_live_against_the_kernel(tmp_path, anatomy, browser):
    """The widget's own front-end code, with its messages answered by the widget's Python handler.

    Live, two sliders of one panel apply together and the pose is the model's at exactly those
    values; the precomputed page could only show the last slider moved.
    """
    from browser_helpers import Page
    from pelvisim.notebook import _WIDGET_ESM

    widget = viewer("flare", resolution=SMALL, anatomy=anatomy)
    host = tmp_path / "widget.html"
    host.write_text(WIDGET_HOST % {"esm": _WIDGET_ESM.replace("export default { render };", ""),
                                   "page": json.dumps(widget.page).replace("</", "<\\/")}, encoding="utf-8")
    page = Page(browser)  # its own tab: the kernel's answers come through a function exposed to this tab only
    try:
        page.page.expose_function("pelvisimKernel", lambda text: json.dumps(widget.handle(json.loads(text))))
        page.open(host, wait_for_frame=False)
        page.page.frame_locator("iframe").locator(".view").first.wait_for()
        lesson = next(f for f in page.page.frames if f != page.page.main_frame)
        lesson.wait_for_function("() => window.pelvisim && window.pelvisim.state().live", timeout=60000)
        lesson.evaluate("() => { window.pelvisim.setSlider(0, 'left_deg', 1.3); window.pelvisim.setSlider(0, 'right_deg', -0.4); }")
        lesson.wait_for_function("() => window.pelvisim.shown().panels[0].source === 'kernel'", timeout=60000)
        shown = lesson.evaluate("() => window.pelvisim.shown().panels[0]")
        text = lesson.locator(".readout").first.inner_text()
        errors = list(page.errors)
    finally:
        page.close()
    assert not errors
    twists = np.array(shown["twists"]).reshape(6, 6)
    state = get_model("flare").joint_state(anatomy, {"left_deg": 1.3, "right_deg": -0.4})
    np.testing.assert_allclose(frames.exp(twists[1]), state.T_pelvis["innominate_left"], atol=1e-12)
    np.testing.assert_allclose(frames.exp(twists[2]), state.T_pelvis["innominate_right"], atol=1e-12)
    assert "Computed live by the Python kernel" in text
    # The compact readout and the notes follow the kernel's exact answer too.
    from pelvisim.descriptors import describe
    from pelvisim.view.readout import panel_notes, readout_lines

    scene = load("flare")
    assert shown["compact"] == readout_lines(describe(anatomy, state), scene.panel_readouts(0))
    assert shown["notes"] == panel_notes(anatomy, state, scene.panel_magnification(0))
