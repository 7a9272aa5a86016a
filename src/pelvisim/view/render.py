"""Offscreen rendering of scenes: PNG, MP4, GIF or a folder of PNG frames.

Frame ``k`` shows timeline time ``start_s + k / fps`` (the gait phase follows from it, never from
the wall clock). Outputs are written by :mod:`pelvisim.view.writers` to temporaries next to the
target and renamed when complete, so an error, Ctrl-C or SIGTERM leaves no partial file; an
existing output is kept unless ``overwrite=True``. Signals are held while a frame is drawn and acted
on between frames (:func:`pelvisim.output.deferred_interrupts`), never inside VTK.

Per frame: a worker thread plans frame k + 1 (models, poses, descriptors, caption) while frame k
is drawn (VTK releases the GIL while it renders); the bones are drawn without their back faces
(closed, opaque meshes: the same picture for less work); pixels are read straight from the render
window; a writer thread hands frames to ffmpeg or the PNG encoder; a frame that shows what the last one showed
(title card, keyframe holds, still timelines) is repeated without being drawn again.
``benchmarks/bench_render.py`` compares this loop with a bare pyvista loop.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np
import pyvista as pv
import vtk
from vtk.util import numpy_support

from pelvisim import output as safe
from pelvisim import pose as make_pose
from pelvisim.pose import cycle_poses
from pelvisim.anatomy.sources import panel_title
from pelvisim.errors import ParameterError, PelvisimError
from pelvisim.scene import MAX_DURATION_S, Camera, Output, PanelSpec, Scene, Timeline, frame_times, load, parse_size
from pelvisim.view import writers
from pelvisim.view.camera import set_view, union_bounds, view_preset
from pelvisim.view.flat import flat_actor, quads
from pelvisim.view.gait_strip import STRIP_HEIGHT_FRACTION, GaitStrip
from pelvisim.view.layout import panel_grid, panel_viewports
from pelvisim.view.overlays import axes_for_model
from pelvisim.view.panel import Panel
from pelvisim.view.readout import panel_notes
from pelvisim.view.text import display_text, text_actor, wrap_to_width
from pelvisim.view.theme import get_theme
from pelvisim.view.writers import FORMATS, Progress, RenderError  # noqa: F401  (public names of this module)

CAPTION_WIDTH = 0.96
"""Captions wrap to this fraction of the frame's width."""

CARD_NOTES_WIDTH = 0.66
"""The title card's sources and notes wrap to this fraction of the frame's width."""

TITLE_CARD_VEIL_OPACITY = 0.88
"""Opacity of the background-coloured veil over the scene while the title card shows."""

MSAA_SAMPLES = 8
"""Multi-sampling of ``quality="final"`` (drafts use none: MSAA costs 3–5× on software OpenGL)."""
TRAIL_SAMPLES = 60
FEMUR_SHOWN_MM = 120.0
"""With the femurs on, the fitted view reaches this far below the pelvis (the upper thighs)."""
TURNTABLE_S = 8.0
"""Length of a turntable video: one orbit of the camera in this many seconds (45° a second)."""


class RenderCancelled(PelvisimError):
    """The progress callback asked to stop; no output file was written."""


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render` wrote.

    Attributes
    ----------
    path : Path
    n_frames : int
        Frames written (title card included).
    size : tuple of int
        (width, height) in pixels.
    fps : int
    seconds : float
        Wall time the render took.
    video_s : float
        Length of the video (title card included); 0 for a PNG.
    n_bytes : int
        Bytes written (all frames of a frames folder).
    """

    path: Path
    n_frames: int
    size: tuple[int, int]
    fps: int
    seconds: float
    video_s: float = 0.0
    n_bytes: int = 0


# --- the stage: plotter + panels + overlay text ----------------------------------------------
@dataclass(frozen=True)
class FramePlan:
    """What one frame shows, computed by :meth:`Stage.plan` and drawn by :meth:`Stage.apply`.

    Attributes
    ----------
    key : tuple
        Equal keys show the same picture.
    poses : tuple of Pose
        Displayed pose of each panel.
    descriptors : tuple
        Descriptors of each panel, or None to keep the text shown.
    notes : tuple
        Warnings of each panel (joint limits, overlap at ×N), or None to keep those shown.
    captions : tuple of str
        Captions visible.
    title_card : bool
    orbit_rad : float or None
        Camera turn about its up axis, or None for a still camera.
    phase : float
        Gait phase (the gait strip's cursor).
    tissue : tuple
        Soft tissue of each panel (:func:`pelvisim.view.tissue.frame_tissue`), or None when the
        panel shows no tissue overlay.
    """

    key: tuple[Any, ...]
    poses: tuple[Any, ...]
    descriptors: tuple[Any, ...]
    notes: tuple[Any, ...]
    captions: tuple[str, ...]
    title_card: bool
    orbit_rad: float | None
    phase: float = 0.0
    tissue: tuple[Any, ...] = ()


def _anatomies(scene: Scene, anatomy: Any) -> list[Any]:
    """One anatomy per panel: ``anatomy`` for all of them (or a list, one per panel), else each panel's own."""
    from pelvisim.anatomy import sources
    from pelvisim.anatomy.core import Anatomy

    if anatomy is None:
        return [sources.load(scene.panel_anatomy(index)) for index in range(len(scene.panels))]
    if isinstance(anatomy, (list, tuple)) and len(anatomy) == len(scene.panels):  # one per panel (the app's)
        return [a if isinstance(a, Anatomy) else sources.load(a) for a in anatomy]
    return [anatomy if isinstance(anatomy, Anatomy) else sources.load(anatomy)] * len(scene.panels)


class Stage:
    """A plotter with one :class:`Panel` per scene panel, a gait strip, a caption strip and a title card.

    Panels sit side by side, or 2 × 2 when the frame's aspect favours it (:func:`panel_grid`).
    Each panel shows its own view (its ``view`` key, else the scene's ``[camera]``); panels with the
    same view share one camera.

    Parameters
    ----------
    scene : Scene
    anatomy : Anatomy or sequence of Anatomy
        One anatomy for every panel, or one per panel.
    size : tuple of int
        Window size (width, height), pixels.
    quality : str
        ``"draft"`` (no anti-aliasing) or ``"final"`` (MSAA).
    off_screen : bool
    """

    def __init__(self, scene: Scene, anatomy: Any, size: tuple[int, int], quality: str = "draft", off_screen: bool = True) -> None:
        from pelvisim.models import get_model

        self.scene = scene
        self.anatomies = list(anatomy) if isinstance(anatomy, (list, tuple)) else [anatomy] * len(scene.panels)
        self.anatomy = self.anatomies[0]
        self.theme = get_theme(scene.theme)
        width, height = size
        text_px = max(10, int(round(self.theme.text_height_fraction * height)))
        caption_lines = 3 if scene.captions else 0
        caption = (caption_lines * 1.35 * text_px + 0.6 * text_px) / height if caption_lines else 0.0
        self.uses_gait = any(get_model(p.model).uses_gait for p in scene.panels)
        strip = STRIP_HEIGHT_FRACTION if self.uses_gait else 0.0
        bottom = caption + strip
        n = len(scene.panels)
        self.grid = panel_grid(n, width, height * (1.0 - bottom))
        self.plotter = pv.Plotter(off_screen=off_screen, window_size=list(size), shape=self.grid, border=False,
                                  lighting="light kit")
        self.plotter.ren_win.SetMultiSamples(MSAA_SAMPLES if quality == "final" else 0)
        for renderer in self.plotter.renderers:  # an empty cell of a 2 × 2 grid shows the background
            renderer.set_background(self.theme.background)
        self.panels: list[Panel] = []
        cols = self.grid[1]
        for index, (spec, viewport) in enumerate(zip(scene.panels, panel_viewports(n, self.grid, bottom))):
            overlays = [name for name, on in scene.panel_overlays(index).items() if on]
            panel = Panel(self.plotter, self.anatomies[index], subplot=divmod(index, cols), theme=self.theme,
                          title=panel_title(spec.label, self.anatomies[index]), overlays=overlays,
                          axis_level=str(spec.parameters.get("axis_level", "S2")))
            panel.renderer.SetViewport(*viewport)
            panel.set_readout_keys(scene.panel_readouts(index))
            panel.set_arrow_scale(scene.arrow_scale)
            panel.set_colour_map_frame(scene.colour_map_frame)
            seen = [dict(spec.parameters)] + [dict(k.parameters) for k in scene.timeline.keyframes
                                              if k.panels is None or index in k.panels]
            panel.set_axes(axes_for_model(spec.model, seen))
            self.panels.append(panel)
        # Gait strip and caption strip (layer 0, below the panels); title card (top layer, over everything).
        self.gait_strip: GaitStrip | None = None
        if self.uses_gait:
            self.gait_strip = GaitStrip(self.theme, height)
            self.gait_strip.set_viewport((0.0, caption, 1.0, caption + strip))
            self.gait_strip.add_to(self.plotter.ren_win)
        self.caption_renderer = vtk.vtkRenderer()
        self.caption_renderer.SetViewport(0.0, 0.0, 1.0, max(caption, 1e-3))
        self.caption_renderer.SetBackground(pv.Color(self.theme.background).float_rgb)
        self.caption_renderer.SetInteractive(False)
        self.caption_actor = text_actor("", (0.5, 0.5), int(text_px * 0.95), self.theme.text_colour)
        self.caption_actor.GetTextProperty().SetJustificationToCentered()
        self.caption_actor.GetTextProperty().SetVerticalJustificationToCentered()
        self.caption_renderer.AddViewProp(self.caption_actor)
        if caption > 0:
            self.plotter.ren_win.AddRenderer(self.caption_renderer)
        self.card_renderer = vtk.vtkRenderer()
        layers = max(3, self.plotter.ren_win.GetNumberOfLayers())  # pyvista keeps layer 2 for backgrounds
        self.card_renderer.SetLayer(layers)
        self.card_renderer.SetInteractive(False)
        self.plotter.ren_win.SetNumberOfLayers(layers + 1)
        self._card_shown = False  # the card renderer is only in the window while the card shows
        # A veil in the background colour over the whole frame: the title reads as a card, the
        # scene (labels included) stays only as a faint hint behind it.
        self.card_veil = _veil(self.theme.background, TITLE_CARD_VEIL_OPACITY)
        self.card_renderer.AddViewProp(self.card_veil)
        card_text = scene.title + (f"\n{scene.subtitle}" if scene.subtitle else "")
        self.card_title = text_actor(card_text, (0.5, 0.56), int(text_px * 2.0), self.theme.text_colour, bold=True)
        self.card_notes = text_actor("", (0.5, 0.42), int(text_px * 0.9), self.theme.text_colour)
        self.card_notes.SetInput(_wrap(scene.sources, self.card_notes, CARD_NOTES_WIDTH * size[0]))
        for actor, top in ((self.card_title, False), (self.card_notes, True)):
            prop = actor.GetTextProperty()
            prop.SetJustificationToCentered()
            prop.SetVerticalJustificationToTop() if top else prop.SetVerticalJustificationToBottom()
            prop.SetBackgroundColor(pv.Color(self.theme.background).float_rgb)
            prop.SetBackgroundOpacity(0.85)
            self.card_renderer.AddViewProp(actor)
        self.views = [scene.panel_view(index) for index in range(n)]
        """Each panel's view preset name."""
        self._link_cameras()
        self._set_camera()
        self._camera_start = self._camera_states()
        if any("trails" in p.overlays for p in self.panels):
            self._set_trails()
        self._pixels = vtk.vtkUnsignedCharArray()  # reused by every grab
        self._rendered = False
        self._shown: tuple[Any, ...] | None = None  # key of the plan on screen
        self._planned: tuple[Any, ...] | None = None  # key of the last plan computed
        self._captions: dict[tuple[str, ...], str] = {}

    def _camera_groups(self) -> dict[str, list[Panel]]:
        """Panels by the camera they share: one per view, one for the scene's explicit camera."""
        explicit = self.scene.camera.position_mm is not None
        groups: dict[str, list[Panel]] = {}
        for panel, spec, view in zip(self.panels, self.scene.panels, self.views):
            key = "explicit camera" if explicit and spec.view is None else view
            groups.setdefault(key, []).append(panel)
        return groups

    def _link_cameras(self) -> None:
        for group in self._camera_groups().values():
            for panel in group[1:]:
                panel.renderer.camera = group[0].renderer.camera

    def _set_camera(self) -> None:
        cam = self.scene.camera
        for key, group in self._camera_groups().items():
            renderers = [p.renderer for p in group]
            if key == "explicit camera":
                for panel in group:
                    panel.apply_view(cam.view)
                camera = group[0].renderer.GetActiveCamera()
                camera.SetPosition(*cam.position_mm)
                camera.SetFocalPoint(*cam.focal_point_mm)
                camera.SetViewUp(*cam.up)
                if cam.zoom != 1.0:
                    camera.Zoom(cam.zoom)
                for renderer in renderers:
                    renderer.ResetCameraClippingRange()
                    renderer.camera_set = True
                continue
            for panel in group:
                panel.apply_view(key)
            bounds = union_bounds([p.view_bounds() for p in group])  # panels may show different pelves
            if any("femurs" in p.overlays for p in group) and not view_preset(key).close_up:
                bounds[2] -= FEMUR_SHOWN_MM  # the upper thighs, not whole femurs
            set_view(self.plotter, key, bounds=bounds, zoom=cam.zoom, renderers=renderers)

    def _camera_states(self) -> list[tuple[Any, np.ndarray, np.ndarray, np.ndarray]]:
        states, seen = [], set()
        for panel in self.panels:
            camera = panel.renderer.GetActiveCamera()
            if id(camera) not in seen:
                seen.add(id(camera))
                states.append((camera, np.array(camera.GetPosition()), np.array(camera.GetFocalPoint()),
                               np.array(camera.GetViewUp())))
        return states

    def _set_trails(self) -> None:
        from pelvisim.models import get_model

        for index, (panel, spec) in enumerate(zip(self.panels, self.scene.panels)):
            panel.set_trails(cycle_poses(self.anatomies[index], get_model(spec.model), spec.parameters,
                                         self.scene.panel_magnification(index), TRAIL_SAMPLES))

    def show_title_card(self, on: bool) -> None:
        """Show or hide the title card over the panels."""
        self.card_veil.SetVisibility(on)
        self.card_title.SetVisibility(on)
        self.card_notes.SetVisibility(on and bool(self.scene.sources))
        if on and not self._card_shown:
            self.plotter.ren_win.AddRenderer(self.card_renderer)
        elif not on and self._card_shown:
            self.plotter.ren_win.RemoveRenderer(self.card_renderer)
        self._card_shown = on

    def plan(self, time_s: float, *, title_card: bool = False, describe: bool = True,
             orbit_rad: float | None = None) -> FramePlan:
        """Everything frame ``time_s`` shows, computed without touching the render window.

        Pure Python and numpy (models, poses, descriptors, warnings, caption), so the renderer
        computes the next frame's plan in a worker thread while the current frame is drawn.
        Descriptors and warnings are skipped when the poses and caption are those of the previous
        plan (title card, holds). ``orbit_rad`` turns the cameras (a turntable); default the
        scene's ``orbit_deg`` spread over the timeline.
        """
        from pelvisim.descriptors import describe as describe_state

        anatomies = self.anatomies
        states = [self.scene.joint_state(anatomies[index], index, time_s) for index in range(len(self.panels))]
        magnifications = [self.scene.panel_magnification(index) for index in range(len(self.panels))]
        poses = tuple(make_pose(anatomy, state, m) for anatomy, state, m in zip(anatomies, states, magnifications))
        texts = tuple(self.scene.captions_at(time_s))
        angle = orbit_rad
        if angle is None and self.scene.camera.orbit_deg and self.scene.duration_s > 0:
            angle = math.radians(self.scene.camera.orbit_deg) * time_s / self.scene.duration_s
        phase = self.scene.phase_at(time_s)
        key = (title_card, texts, angle, round(phase, 6) if self.uses_gait else None,
               tuple(_pose_key(pose) for pose in poses))
        fresh = describe and not (self._planned is not None and key[1:] == self._planned[1:])
        descriptors = tuple(
            describe_state(anatomy, state) if fresh and "descriptors" in panel.overlays else None
            for panel, state, anatomy in zip(self.panels, states, anatomies)
        )
        notes = tuple(panel_notes(anatomy, state, m) if fresh else None
                      for anatomy, state, m in zip(anatomies, states, magnifications))
        self._planned = key
        tissue = tuple(self._tissue(panel, index, time_s, state) for index, (panel, state) in enumerate(zip(self.panels, states)))
        return FramePlan(key=key, poses=poses, descriptors=descriptors, notes=notes, captions=texts,
                         title_card=title_card, orbit_rad=angle, phase=phase, tissue=tissue)

    def _tissue(self, panel: Any, index: int, time_s: float, state: Any) -> Any:
        """The panel's soft tissue at ``time_s`` when it shows a tissue overlay (else None)."""
        if not panel.wants_tissue:
            return None
        from pelvisim.view.tissue import frame_tissue

        return frame_tissue(self.anatomies[index], self.scene.panels[index].model, self.scene.parameters_at(index, time_s),
                            self.scene.phase_at(time_s), state)

    def apply(self, plan: FramePlan) -> bool:
        """Put ``plan`` on the stage (does not render).

        Returns
        -------
        bool
            False when it is what the stage already shows (same poses, caption, title card and
            camera): nothing changed and the last image can be reused.
        """
        if plan.key == self._shown:
            return False
        for i, (panel, pose, descriptors, notes) in enumerate(zip(self.panels, plan.poses, plan.descriptors, plan.notes)):
            panel.update(pose, descriptors, plan.tissue[i] if i < len(plan.tissue) else None)
            if notes is not None:
                panel.set_notes(notes)
        if self.gait_strip is not None:
            self.gait_strip.set_phase(plan.phase)
        if plan.captions not in self._captions:
            self._captions[plan.captions] = _wrap("  ".join(plan.captions), self.caption_actor,
                                                  CAPTION_WIDTH * self.plotter.window_size[0])
        self.caption_actor.SetInput(self._captions[plan.captions])
        self.show_title_card(plan.title_card)
        if plan.orbit_rad is not None:
            self._orbit(plan.orbit_rad)
        self._shown = plan.key
        return True

    def show(self, time_s: float, *, title_card: bool = False, describe: bool = True,
             orbit_rad: float | None = None) -> bool:
        """Pose every panel at timeline time ``time_s`` and set the caption (does not render).

        Returns False when nothing changed since the last frame (see :meth:`apply`).
        """
        return self.apply(self.plan(time_s, title_card=title_card, describe=describe, orbit_rad=orbit_rad))

    def _orbit(self, angle_rad: float) -> None:
        from pelvisim import frames

        for camera, position, focus, up in self._camera_start:
            R = frames.rotation_matrix(up, angle_rad)
            camera.SetPosition(*(focus + R @ (position - focus)))
            camera.SetViewUp(*up)
        for panel in self.panels:
            panel.renderer.ResetCameraClippingRange()

    def image(self) -> np.ndarray:
        """Render and return the frame as a new (h, w, 3) uint8 array, top row first.

        The pixels are read straight from the render window into one reused buffer and flipped
        into the returned array: one copy per frame, no image filter.
        """
        if not self._rendered:
            # pyvista's first render request sets up the window (and any camera not set yet).
            self.plotter.screenshot(return_img=False)
            self._rendered = True
        else:
            self.plotter.render()
        ren_win = self.plotter.ren_win
        w, h = ren_win.GetSize()
        ren_win.GetPixelData(0, 0, w - 1, h - 1, 1, self._pixels, 0)  # front buffer: MSAA already resolved
        bottom_up = numpy_support.vtk_to_numpy(self._pixels).reshape(h, w, 3)
        return np.ascontiguousarray(bottom_up[::-1])

    def close(self) -> None:
        """Release the render window."""
        self.plotter.close()


def _veil(colour: str, opacity: float) -> vtk.vtkActor2D:
    """A rectangle covering its whole viewport in ``colour`` at ``opacity`` (drawn behind later props)."""
    return flat_actor(quads([(0.0, 1.0, 0.0, 1.0)]), colour, opacity)


def _pose_key(pose: Any) -> bytes:
    """The displayed bone transforms of ``pose`` as bytes (equal bytes: the same picture)."""
    return b"".join(np.ascontiguousarray(pose.T_world[bone], dtype=float).tobytes() for bone in sorted(pose.T_world))


def _wrap(text: str, actor: vtk.vtkTextActor, width_px: float) -> str:
    """``text`` as ``actor`` can draw it, wrapped to ``width_px`` measured in the actor's font."""
    return "\n".join(wrap_to_width(display_text(text), actor.GetTextProperty(), width_px)) if text else ""


def render(
    scene: Scene | str | Path,
    output: str | Path,
    *,
    frames: bool = False,
    size: str | Sequence[int] | None = None,
    fps: int | None = None,
    cycles: float | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    magnification: float | None = None,
    quality: str | None = None,
    title_card_s: float | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
    anatomy: Any = None,
    on_frame: Callable[[int, np.ndarray], None] | None = None,
    on_progress: Callable[[int, int], bool | None] | None = None,
    turntable: bool = False,
) -> RenderResult:
    """Render a scene offscreen to a PNG, MP4, GIF or (``frames=True``) a folder of PNG frames.

    Parameters
    ----------
    scene : Scene, str or Path
        A scene, a scene file or the name of a bundled scene.
    output : str or Path
        ``.png`` (one still at ``output.still_time_s``), ``.mp4``, ``.gif``, or a folder with ``frames``.
    frames : bool
        Write ``frame_00000.png`` … into the folder ``output``.
    size : str or (int, int), optional
        ``720p``, ``1080p``, ``4k`` or ``WxH`` (rounded to multiples of 16); default the scene's.
    fps : int, optional
        Frames per second; default the scene's.
    cycles : float, optional
        Gait cycles (gait timelines).
    start_s, end_s : float, optional
        Part of the timeline to render, seconds (the title card is only added when starting at 0).
    magnification : float, optional
        Display factor for every panel (descriptors stay true scale).
    quality : str, optional
        ``draft`` (no anti-aliasing) or ``final`` (MSAA).
    title_card_s : float, optional
        Title-card seconds (videos only); default the scene's.
    overwrite : bool
        Replace an existing output.
    progress : bool, optional
        Progress bar on stderr; default only on a terminal.
    anatomy : Anatomy or anatomy spec, optional
        One anatomy for every panel: an :class:`~pelvisim.anatomy.core.Anatomy`, or anything
        :func:`pelvisim.anatomy.sources.load` accepts (``{"subject": 7}``, a folder …). Default: each
        panel's own (the scene's ``anatomy`` keys; the bundled mean pelvis without them).
    on_frame : callable, optional
        Called with (index, image) after each frame (tests, previews). Do not modify the image:
        repeated frames share one array, and it may still be waiting to be encoded.
    on_progress : callable, optional
        Called with (frames done, total) before the first frame and after each frame; returning
        ``False`` stops the render (None or True go on).
    turntable : bool
        Instead of the timeline: the cameras orbit once about their up axis in :data:`TURNTABLE_S`
        seconds with the pose fixed at ``output.still_time_s`` (or ``start_s``); no title card.

    Returns
    -------
    RenderResult

    Raises
    ------
    ParameterError
        Bad options, or the output exists and ``overwrite`` is False.
    SceneError
        The scene file is invalid.
    RenderCancelled
        ``on_progress`` returned False (nothing is written; an existing output is kept).
    """
    started = time.perf_counter()
    with safe.deferred_interrupts():  # Ctrl-C / SIGTERM stop between frames, never inside VTK
        if not isinstance(scene, Scene):
            scene = load(scene)
        scene = scene.with_overrides(cycles=cycles, magnification=magnification, size=size if isinstance(size, str) else None,
                                     fps=fps, quality=quality, title_card_s=title_card_s)
        width, height = parse_size(size if size is not None and not isinstance(size, str) else scene.output.size)
        path = Path(output)
        kind = writers.check_output(path, frames, overwrite)
        fps = writers.gif_fps(scene.output.fps) if kind == ".gif" else scene.output.fps
        orbits: list[float | None] = []
        if turntable:
            if kind == ".png":
                raise ParameterError(f"{path}: a turntable is a video: write an .mp4 or .gif (or --frames)")
            t0 = scene.output.still_time_s if start_s is None else float(start_s)
            n_turn = max(2, int(round(TURNTABLE_S * fps)))
            times, card = [t0] * n_turn, 0
            orbits = [2.0 * math.pi * k / n_turn for k in range(n_turn)]
        elif kind == ".png":
            t0 = scene.output.still_time_s if start_s is None else float(start_s)
            if not 0.0 <= t0 <= MAX_DURATION_S:  # also false for nan
                raise ParameterError(f"the still's time must be from 0 to {MAX_DURATION_S:g} s, got {t0:g}")
            times, card = [t0], 0
        else:
            times = frame_times(scene, fps, start_s, end_s)
            card = int(round(scene.output.title_card_s * fps)) if (start_s or 0.0) == 0.0 and scene.output.title_card_s > 0 else 0
        total = card + len(times)
        label = f"{scene.name or 'scene'} → {path.name}"
        notice = writers.long_render_notice(label, total, (width, height), len(scene.panels), scene.output.quality)
        if notice and progress is not False:
            print(f"pelvisim: {notice}", file=sys.stderr, flush=True)
        anatomy = _anatomies(scene, anatomy)
        safe.check_interrupted()

        pv.global_theme.multi_samples = 1
        stage = None
        try:
            with writers.open_output(path, kind, (width, height), fps, scene.output.quality, overwrite=overwrite,
                                     n_frames=total) as writer:
                stage = Stage(scene, anatomy, (width, height), quality=scene.output.quality)
                bar = writers.Progress(total, label, progress)
                bar(0)
                _report(on_progress, 0, total)
                safe.check_interrupted()
                # Frame k + 1 is planned in a worker thread while frame k renders (VTK drops the GIL).
                orbits = orbits or [None] * len(times)
                jobs = [(times[0], True, k == 0, None) for k in range(card)] + [
                    (t, False, True, orbit) for t, orbit in zip(times, orbits)]
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pelvisim-plan")
                try:
                    upcoming = pool.submit(stage.plan, jobs[0][0], title_card=jobs[0][1], describe=jobs[0][2],
                                           orbit_rad=jobs[0][3])
                    image: np.ndarray | None = None
                    for k in range(total):
                        plan = upcoming.result()
                        if k + 1 < total:
                            t, on_card, with_text, orbit = jobs[k + 1]
                            upcoming = pool.submit(stage.plan, t, title_card=on_card, describe=with_text,
                                                   orbit_rad=orbit)
                        if stage.apply(plan) or image is None:
                            image = stage.image()  # a new array: frames still queued for the writer are not touched
                        # else: title card, holds and still timelines repeat the last image without drawing it again
                        if image.shape[:2] != (height, width):
                            raise RenderError(f"expected {width}x{height} frames, the renderer gave {image.shape[1]}x{image.shape[0]}")
                        writer.write(image)
                        if on_frame is not None:
                            on_frame(k, image)
                        bar(k + 1)
                        _report(on_progress, k + 1, total)
                        safe.check_interrupted()
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)
                stage = _close(stage)  # before the output is complete: nothing is left to do after it
        finally:
            _close(stage)
    if writer.fps_written is not None:  # a GIF thinned to stay within its size budget
        total, fps = int(round(total * writer.fps_written / fps)), writer.fps_written
    return RenderResult(path=path, n_frames=total, size=(width, height), fps=fps, seconds=time.perf_counter() - started,
                        video_s=0.0 if kind == ".png" else total / fps, n_bytes=writers.output_bytes(path))


# --- the app's "Record this" ------------------------------------------------------------------
def scene_from_state(
    state: Any,
    *,
    size: str | Sequence[int] = "720p",
    fps: int = 30,
    quality: str = "draft",
    theme: str = "default",
    seconds_per_cycle: float | None = None,
    camera: Camera | None = None,
) -> Scene:
    """The scene that shows what the app shows: one gait cycle of its current panels.

    Parameters
    ----------
    state : pelvisim.view.state.AppState
        Panels (model, parameter values, title, their own magnification and view), magnification,
        overlays, camera view, title, gait phase (the first frame), playback speed, arrow scale and
        colour-map frame.
    size : str or (int, int)
        ``720p``, ``1080p``, ``4k`` or ``WxH``, or (width, height).
    fps : int
        Frames per second.
    quality : str
        ``draft`` or ``final`` (MSAA).
    theme : str
        ``default`` or ``projector``.
    seconds_per_cycle : float, optional
        Video seconds per gait cycle; default ``1 / state.speed`` (the app's playback speed).
    camera : Camera, optional
        An explicit camera (e.g. where the user turned the view with the mouse); default the
        preset ``state.view``.

    Returns
    -------
    Scene
        A gait timeline of one cycle from ``state.phase``, no captions and no title card.

    Raises
    ------
    ParameterError
        A size, fps, quality, theme or speed out of range.
    """
    from pelvisim.scene import QUALITIES, THEMES

    width, height = parse_size(size)
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 120:
        raise ParameterError(f"fps must be an integer from 1 to 120, got {fps!r}")
    if quality not in QUALITIES:
        raise ParameterError(f"quality must be one of {', '.join(QUALITIES)}, got {quality!r}")
    if theme not in THEMES:
        raise ParameterError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")
    if seconds_per_cycle is None:
        speed = float(state.speed)
        if not (math.isfinite(speed) and speed > 0):
            raise ParameterError(f"the playback speed must be > 0 cycles per second to record a cycle, got {speed!r}")
        seconds_per_cycle = 1.0 / speed
    if not (math.isfinite(seconds_per_cycle) and 0 < seconds_per_cycle <= 600):
        raise ParameterError(f"seconds_per_cycle must be a number of seconds in (0, 600], got {seconds_per_cycle!r}")
    panels = tuple(PanelSpec(model=choice.model, parameters=dict(choice.values), label=choice.title,
                             magnification=choice.magnification, view=choice.view, readouts=choice.readouts)
                   for choice in state.panels)
    return Scene(
        title=str(state.title),
        panels=panels,
        timeline=Timeline(kind="gait", cycles=1.0, seconds_per_cycle=float(seconds_per_cycle), start_phase=float(state.phase)),
        camera=camera if camera is not None else Camera(view=state.view),
        overlays={name: bool(on) for name, on in state.overlays.items()},
        magnification=float(state.magnification),
        theme=theme,
        output=Output(size=f"{width}x{height}", fps=fps, quality=quality, title_card_s=0.0),
        arrow_scale=float(state.arrow_scale),
        colour_map_frame=str(state.colour_map_frame),
    )


def render_state(
    anatomy: Any,
    state: Any,
    path: str | os.PathLike[str],
    *,
    progress: Callable[[int, int], bool | None] | None = None,
    size: str | Sequence[int] = "720p",
    fps: int = 30,
    quality: str = "draft",
    theme: str = "default",
    seconds_per_cycle: float | None = None,
    overwrite: bool = False,
    camera: Camera | None = None,
) -> Path:
    """Render one gait cycle of the app's current panels to a video (the app's "Record this").

    The panels, their models and parameter values, the magnification, the overlays and the camera
    view preset of ``state`` go through the same offscreen renderer as :func:`render` (see
    :func:`scene_from_state`). The video starts at the current gait phase and plays one cycle at
    the app's playback speed. The camera is the view preset unless ``camera`` gives the one the
    user turned to; four panels are laid out 2 × 2 as in every video.

    Parameters
    ----------
    anatomy : Anatomy or list of Anatomy
        Bones and landmarks (the app's): one for every panel, or one per panel.
    state : pelvisim.view.state.AppState
        What the app shows.
    path : str or Path
        Output ``.mp4`` (or ``.gif``); a name without a suffix gets ``.mp4``.
    progress : callable, optional
        ``progress(done, total)`` after each frame; returning ``False`` cancels.
    size, fps, quality, theme, seconds_per_cycle, camera
        See :func:`scene_from_state`.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    RenderCancelled
        ``progress`` returned False; no file is left behind (an existing one is kept).
    ParameterError
        Bad options, an output that is not ``.mp4``/``.gif``, or an existing file without ``overwrite``.
    """
    target = Path(path)
    if not target.suffix:
        target = target.with_name(target.name + ".mp4")
    if target.suffix.lower() not in (".mp4", ".gif"):
        raise ParameterError(f"{target}: a recording must be an .mp4 (or .gif) file")
    scene = scene_from_state(state, size=size, fps=fps, quality=quality, theme=theme, seconds_per_cycle=seconds_per_cycle,
                             camera=camera)
    result = render(scene, target, overwrite=overwrite, progress=False, anatomy=anatomy, on_progress=progress)
    return result.path


def _close(stage: Stage | None) -> None:
    """Close the stage and let its VTK objects die now, while signals are still held (a Ctrl-C
    during their clean-up would reach VTK's Python callbacks, which answer it with exit code 1)."""
    if stage is not None:
        stage.close()
        del stage
        gc.collect()


def _report(on_progress: Callable[[int, int], bool | None] | None, done: int, total: int) -> None:
    if on_progress is not None and on_progress(done, total) is False:
        raise RenderCancelled(f"rendering cancelled after {done} of {total} frames; no file was written")


def _render_job(job: tuple[Any, str, dict[str, Any]]) -> RenderResult:
    scene, output, options = job
    return render(scene, output, progress=False, **options)


def render_many(jobs: Sequence[tuple[Any, str | Path, dict[str, Any]]], n_jobs: int = 1,
                progress: bool | None = None) -> list[RenderResult]:
    """Render several scenes, ``n_jobs`` at a time in separate processes.

    Every output is checked (writable, not existing without ``overwrite``) before the first render
    starts. An error or interrupt stops the other renders; each removes its temporaries.

    Parameters
    ----------
    jobs : sequence of (scene, output, options)
        ``scene`` a path or bundled name, ``options`` keyword arguments of :func:`render`.
    n_jobs : int
        Processes used (1 renders in this process, with a progress bar).

    Returns
    -------
    list of RenderResult, in the order of ``jobs``.
    """
    if n_jobs < 1:
        raise ParameterError(f"jobs must be >= 1, got {n_jobs}")
    jobs = [(s if not isinstance(s, Path) else str(s), str(o), dict(opts)) for s, o, opts in jobs]
    for _, out, options in jobs:
        writers.check_output(Path(out), bool(options.get("frames", False)), bool(options.get("overwrite", False)))
    if n_jobs == 1 or len(jobs) == 1:
        return [render(scene, output, progress=progress, **options) for scene, output, options in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return list(pool.map(_render_job, jobs))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()  # SIGTERM: the render stops at its next frame and removes its temporaries
            raise
