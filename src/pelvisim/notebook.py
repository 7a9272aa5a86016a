"""The lesson viewer inside Jupyter: ``pelvisim.notebook.show("flagship")``.

The output is the same page ``pelvisim share`` writes, inside an iframe, so it needs no server
extension. Two forms travel together in one output:

- an **anywidget** (when ``anywidget`` is installed and the front end shows widgets): while the
  kernel runs, every slider move is answered by the kernel with samples computed exactly for the
  chosen values — any combination of sliders, no interpolation between slider grid values;
- a plain **HTML** copy (``text/html``) of the precomputed page, which front ends without widgets,
  notebook viewers and exported notebooks show when no kernel runs.

Example
-------
>>> import pelvisim.notebook as nb
>>> nb.show("flagship")                                  # a bundled scene        # doctest: +SKIP
>>> nb.show("flare", parameters={"left_deg": 1.0}, magnification=10)             # doctest: +SKIP
"""

from __future__ import annotations

import functools
import html
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pelvisim.anatomy.core import Anatomy
from pelvisim.errors import ParameterError, PelvisimError, SceneError
from pelvisim.parameters import PositionalModel
from pelvisim.scene import CAMERA_VIEWS, Camera, PanelSpec, Scene, Timeline, find_scene, load

DEFAULT_HEIGHT_PX = 900
"""Height of the viewer's frame in the notebook (the page scrolls inside it)."""

GAIT_SECONDS_PER_CYCLE = 4.0
"""A model shown on its own plays one gait cycle in this many seconds (as the flagship scene)."""


# --- what to show -----------------------------------------------------------------------------
def scene_for(scene_or_model: Scene | PositionalModel | str | os.PathLike[str], *,
              parameters: Mapping[str, Any] | None = None, magnification: float | None = None,
              view: str | None = None) -> Scene:
    """The scene to show for a scene, a scene file or name, or a positional model (name or object).

    A string is a model name (``pelvisim models``) when ``parameters`` are given, otherwise a
    scene (a file, or a bundled scene name) when one exists by that name, otherwise a model name:
    ``"flare"`` is the bundled scene, ``"flare"`` with ``parameters={"left_deg": 1}`` the model. A model gets a one-panel scene: one gait cycle when the
    model moves with the gait, otherwise a still, at ``parameters`` over its defaults.

    Raises
    ------
    ParameterError
        An unknown model or parameter, ``parameters`` given with a scene, or a bad view.
    """
    from pelvisim.models import MODELS, get_model

    if view is not None and view not in CAMERA_VIEWS:
        raise ParameterError(f"view must be one of {', '.join(CAMERA_VIEWS)}, got {view!r}")
    scene: Scene | None = scene_or_model if isinstance(scene_or_model, Scene) else None
    model: PositionalModel | None = scene_or_model if isinstance(scene_or_model, PositionalModel) else None
    if scene is None and model is None:
        name = os.fspath(scene_or_model)
        if parameters and name in MODELS:
            model = get_model(name)
        else:
            try:
                find_scene(name)
            except SceneError:
                if name not in MODELS:
                    raise ParameterError(f"{name!r} is neither a scene (file or bundled name) nor a model; "
                                         f"models: {', '.join(MODELS)}") from None
                model = get_model(name)
            else:
                scene = load(name)
    if scene is not None:
        if parameters:
            raise ParameterError("parameters= applies to a model; a scene sets its own parameters (edit the scene file)")
        scene = scene.with_overrides(magnification=magnification)
        if view is not None:
            from dataclasses import replace

            scene = replace(scene, camera=Camera(view=view, zoom=scene.camera.zoom),
                            panels=tuple(replace(p, view=None) for p in scene.panels))  # every panel
        return scene
    assert model is not None
    values = model.resolve(parameters)
    timeline = (Timeline(kind="gait", cycles=1.0, seconds_per_cycle=GAIT_SECONDS_PER_CYCLE) if model.uses_gait
                else Timeline(kind="still"))
    return Scene(
        title=model.title, subtitle=model.claim, sources=model.source,
        panels=(PanelSpec(model=model.name, parameters=values, label=model.title),),
        timeline=timeline, camera=Camera(view=view or "anterior"),
        overlays={"landmarks": True, "descriptors": True, "femurs": model.uses_gait},
        magnification=1.0 if magnification is None else float(magnification),
    )


# --- answers to slider moves ------------------------------------------------------------------
@dataclass
class LiveAnswers:
    """Computes what the page asks for when a kernel runs: one motion's samples at chosen values.

    A request is ``{"id": int, "motion": int, "overrides": {parameter: value}}`` (the page's own
    message); the answer is ``{"type": "track", "id", "motion", "overrides", "n", "twists",
    "readouts", "texts", "overlap", "categories"}`` with the samples of
    :func:`pelvisim.web.lesson.motion_track` flattened, or ``{"type": "error", "id", "message"}``.
    """

    scene: Scene
    evaluators: list[Any]
    """One :class:`~pelvisim.web.lesson.Evaluator` per panel (its anatomy, its cache; shared texts)."""
    resolution: Any
    motion_panels: list[list[int]]

    def answer(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The reply to one request (never raises for bad input: the page shows the message)."""
        from pelvisim.web.lesson import motion_track

        identifier = request.get("id")
        try:
            motion = int(request["motion"])
            if not 0 <= motion < len(self.motion_panels):
                raise ParameterError(f"motion must be from 0 to {len(self.motion_panels) - 1}, got {motion}")
            overrides = request.get("overrides") or {}
            if not isinstance(overrides, Mapping):
                raise ParameterError(f"overrides must map parameter names to values, got {overrides!r}")
            panel = self.motion_panels[motion][0]
            evaluate = self.evaluators[panel]
            track = motion_track(evaluate.anatomy, self.scene, panel, dict(overrides), self.resolution, evaluate)
        except (PelvisimError, KeyError, TypeError, ValueError) as error:
            return {"type": "error", "id": identifier, "message": f"pelvisim: {error}"}
        return {"type": "track", "id": identifier, "motion": motion, "overrides": dict(overrides), "n": int(track["n"]),
                "twists": track["twists"].ravel().tolist(), "readouts": track["readouts"].ravel().tolist(),
                "texts": track["texts"].ravel().tolist(), "overlap": track["overlap"].ravel().tolist(),
                "tissue": _json_numbers(track["tissue"]) if "tissue" in track else None,
                "categories": list(self.evaluators[0].categories)}


def _json_numbers(values: Any) -> list[float | None]:
    """Numbers for JSON, NaN (a slack ligament) as null."""
    return [None if math.isnan(x) else x for x in np.asarray(values, dtype=float).ravel().tolist()]


def iframe_html(page: str, height_px: int = DEFAULT_HEIGHT_PX) -> str:
    """The page inside an ``<iframe srcdoc>`` (scripts allowed, nothing else: no same-origin access)."""
    return (f'<iframe class="pelvisim-lesson" sandbox="allow-scripts" style="width:100%;height:{int(height_px)}px;border:0" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>')


class StaticViewer:
    """The precomputed page as notebook HTML output (no kernel needed to move its sliders)."""

    def __init__(self, page: str, height_px: int = DEFAULT_HEIGHT_PX) -> None:
        self.page = page
        self.height_px = int(height_px)

    def _repr_html_(self) -> str:
        return iframe_html(self.page, self.height_px)


_WIDGET_ESM = """
function render({ model, el }) {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.style.cssText = "width:100%;border:0;height:" + model.get("height_px") + "px";
  frame.srcdoc = model.get("page");
  el.appendChild(frame);
  const post = (message) => { if (frame.contentWindow) frame.contentWindow.postMessage(message, "*"); };
  function fromPage(event) {
    if (event.source !== frame.contentWindow) return;
    const d = event.data;
    if (d && d.pelvisim === "request") model.send({ type: "request", id: d.id, motion: d.motion, overrides: d.overrides });
  }
  function fromKernel(message) {
    if (!message || typeof message !== "object") return;
    if (message.type === "pong") post({ pelvisim: "hello" });
    else if (message.type === "track" || message.type === "error") post(Object.assign({}, message, { pelvisim: message.type }));
  }
  window.addEventListener("message", fromPage);
  model.on("msg:custom", fromKernel);
  /* The page goes live only once the kernel has answered: a saved widget without a kernel stays precomputed. */
  frame.addEventListener("load", () => model.send({ type: "ping" }));
  return () => { window.removeEventListener("message", fromPage); model.off("msg:custom", fromKernel); };
}
export default { render };
"""


@functools.cache
def _widget_class() -> Any:
    import anywidget
    import traitlets

    class LessonWidget(anywidget.AnyWidget):
        """The lesson page as a widget whose sliders the kernel answers (see :class:`LiveAnswers`)."""

        _esm = _WIDGET_ESM
        page = traitlets.Unicode("").tag(sync=True)
        height_px = traitlets.Int(DEFAULT_HEIGHT_PX).tag(sync=True)

        def __init__(self, page: str, answers: LiveAnswers, height_px: int) -> None:
            super().__init__(page=page, height_px=int(height_px))
            self.answers = answers
            self.on_msg(self._on_message)

        def handle(self, content: Mapping[str, Any]) -> dict[str, Any] | None:
            """The reply to a message from the front end (None for messages that need none)."""
            kind = content.get("type") if isinstance(content, Mapping) else None
            if kind == "ping":
                return {"type": "pong"}
            if kind == "request":
                return self.answers.answer(content)
            return None

        def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
            reply = self.handle(content)
            if reply is not None:
                self.send(reply)

        def _repr_mimebundle_(self, **kwargs: Any) -> Any:
            bundle = super()._repr_mimebundle_(**kwargs)
            data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
            data = dict(data or {})
            data["text/html"] = iframe_html(self.page, self.height_px)
            return data, metadata

    return LessonWidget


def viewer(scene_or_model: Scene | PositionalModel | str | os.PathLike[str] = "flagship", *,
           parameters: Mapping[str, Any] | None = None, magnification: float | None = None, view: str | None = None,
           resolution: Any = None, height_px: int = DEFAULT_HEIGHT_PX, anatomy: Anatomy | None = None,
           live: bool = True) -> Any:
    """The lesson viewer object for a scene or a model (display it, or use :func:`show`).

    Parameters
    ----------
    scene_or_model : Scene, PositionalModel or str
        A scene, a scene file, a bundled scene name, or a model (``pelvisim models``).
    parameters : mapping, optional
        Parameter values of a model (not with a scene).
    magnification : float, optional
        Display factor of every panel (default: the scene's; 1 = true scale for a model).
    view : str, optional
        Camera preset of every panel: an anatomical view (anterior, posterior, superior, inferior,
        left, right) or a lesson view (``pelvisim.scene.LESSON_VIEWS``).
    resolution : pelvisim.web.Resolution, optional
        Sample density of the precomputed page.
    height_px : int
        Height of the frame in the notebook.
    anatomy : Anatomy or sequence of Anatomy, optional
        One anatomy for every panel, or one per panel. Default: each panel's own as the scene
        names it (the bundled mean pelvis when it names none).
    live : bool
        Answer slider moves from the kernel (needs ``anywidget``); False gives the static page only.

    Returns
    -------
    LessonWidget or StaticViewer
        The widget when ``live`` and anywidget is installed (it carries the static page as its
        HTML fallback), otherwise the static page.
    """
    from pelvisim.web.lesson import Resolution, panel_evaluators
    from pelvisim.web.page import overlap_magnifications, page_data, page_html, scene_anatomies

    scene = scene_for(scene_or_model, parameters=parameters, magnification=magnification, view=view)
    labels = None
    if anatomy is None:
        anatomy, labels = scene_anatomies(scene)
    resolution = resolution or Resolution()
    evaluators = panel_evaluators(scene, anatomy, None, overlap_magnifications(scene, resolution))
    meta, binary = page_data(scene, anatomy, resolution, evaluators, anatomy_labels=labels)
    page = page_html(meta, binary)
    if live:
        try:
            widget = _widget_class()
        except ImportError:
            widget = None
        if widget is not None:
            answers = LiveAnswers(scene, evaluators, resolution, [m["panels"] for m in meta["motions"]])
            return widget(page, answers, height_px)
    return StaticViewer(page, height_px)


def show(scene_or_model: Scene | PositionalModel | str | os.PathLike[str] = "flagship", **options: Any) -> None:
    """Display the lesson viewer in the notebook (same options as :func:`viewer`)."""
    from IPython.display import display

    display(viewer(scene_or_model, **options))
