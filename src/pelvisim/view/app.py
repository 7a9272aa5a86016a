"""The desktop app: panels side by side, sliders, gait playback, presentation mode.

``pelvisim show [SCENE]`` opens :class:`MainWindow`. The window keeps an
:class:`~pelvisim.view.state.AppState` (plain data), shows it in the control widgets of
:mod:`pelvisim.view.controls`, and draws it with one :class:`~pelvisim.view.panel.Panel` per
positional model in a pyvistaqt ``QtInteractor`` with linked cameras. A frame update only computes
poses and descriptors (pure Python) and sets actor matrices through ``Panel.update``.

Under ``QT_QPA_PLATFORM=offscreen`` Qt has no OpenGL: the window, widgets and actor matrices all
work, but nothing is rendered (:attr:`SceneView.can_render` is False). Real rendering needs a
display (a desktop, or Xvfb in tests).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv
from PySide6 import QtCore, QtGui, QtWidgets
from pyvistaqt import QtInteractor

from pelvisim.anatomy.core import Anatomy
from pelvisim.anatomy.sources import panel_title
from pelvisim.descriptors import describe
from pelvisim.errors import DisplayError, PelvisimError, SceneError
from pelvisim.output import atomic_path
from pelvisim.pose import cycle_poses
from pelvisim.pose import pose as make_pose
from pelvisim.scene import Camera
from pelvisim.view.controls import DisplayBox, PanelControls, PlaybackBar, presentation_style
from pelvisim.view.keys import KEYMAP, help_text
from pelvisim.view.camera import set_view, union_bounds
from pelvisim.view.gait_strip import STRIP_HEIGHT_FRACTION, GaitStrip
from pelvisim.view.layout import panel_grid, panel_viewports
from pelvisim.view.meshes import INTERACTIVE_TRIANGLES, interactive_triangles  # noqa: F401  (importable from here too)
from pelvisim.view.overlays import axes_for_model
from pelvisim.view.panel import Panel
from pelvisim.view.readout import panel_notes
from pelvisim.view.state import MAGNIFICATIONS, AppState
from pelvisim.view.theme import get_theme

BUNDLED_SCENES = Path(__file__).resolve().parent.parent / "scenes"
"""Teaching scenes shipped with pelvisim (PageDown/PageUp step through them)."""

PLAY_INTERVAL_MS = 33
"""Playback timer interval (about 30 frames per second)."""
TRAIL_SAMPLES = 48
"""Gait phases sampled for the ASIS/PSIS trails."""
DEFAULT_WINDOW_SIZE = (1280, 720)


# --- display check and Qt application -------------------------------------------------------
def display_available(environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """True when Qt can open a window: a desktop (not Linux), DISPLAY / WAYLAND_DISPLAY, or QT_QPA_PLATFORM."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def require_display() -> None:
    """Raise :class:`DisplayError` (one line, suggesting ``pelvisim render``) when there is no display."""
    if not display_available():
        raise DisplayError(
            "no display found (DISPLAY / WAYLAND_DISPLAY not set), so the window cannot open; "
            "use `pelvisim render SCENE -o video.mp4` to render without a screen"
        )


def application() -> QtWidgets.QApplication:
    """The process's QApplication (created on first use)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("pelvisim")
    return app  # type: ignore[return-value]


def load_scene_state(path: str | os.PathLike[str]) -> AppState:
    """The app state of the scene file at ``path`` (through :mod:`pelvisim.scene`)."""
    file = Path(path)
    if not file.is_file():
        raise SceneError(f"{file}: scene file not found (expected a .toml scene file)")
    try:
        from pelvisim import scene as scene_module
    except ImportError:  # pragma: no cover - scene files arrive with the scenes issue
        raise SceneError(f"{file}: cannot read scene files in this version of pelvisim") from None
    return AppState.from_scene(scene_module.load(file))


def scene_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The ``.toml`` scene files in ``folder``, sorted by name (the order PageDown steps through)."""
    path = Path(folder)
    return sorted(p for p in path.glob("*.toml") if p.is_file()) if path.is_dir() else []


# --- the 3D area --------------------------------------------------------------------------
class SceneView(QtWidgets.QWidget):
    """The 3D panels: one ``QtInteractor``, one Panel each, a gait strip under gait panels.

    Panels sit side by side, or 2 × 2 when the area's aspect favours it (re-laid out on resize);
    each shows its own view, and panels with the same view share one camera.

    Parameters
    ----------
    anatomy : Anatomy or list of Anatomy
        One for every panel, or one per panel.
    state : AppState
        Panels (models, titles, views, key numbers), overlays, arrow scale and colour-map frame at creation.
    theme : str
        Panel theme, ``"default"`` or ``"projector"``.
    """

    def __init__(self, anatomy: Anatomy | Sequence[Anatomy], state: AppState, theme: str = "default",
                 parent: QtWidgets.QWidget | None = None, size: tuple[int, int] | None = None) -> None:
        super().__init__(parent)
        anatomies = list(anatomy) if isinstance(anatomy, (list, tuple)) else [anatomy] * len(state.panels)
        self.anatomy = anatomies[0]
        self.theme = theme
        self.can_render = QtGui.QGuiApplication.platformName() not in ("offscreen", "minimal")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        n = len(state.panels)
        self.plotter = QtInteractor(self, shape=(1, n), border=False, multi_samples=1, auto_update=False)
        if size is not None and min(size) > 100:
            # The render window takes its true size at the next resize event; start at the expected
            # one so the first frame's text layout (fitted to each panel's pixels) is already right.
            self.plotter.window_size = size
        layout.addWidget(self.plotter.interactor)
        self.panels: list[Panel] = []
        for i, choice in enumerate(state.panels):
            panel = Panel(self.plotter, anatomies[i], subplot=(0, i), theme=theme,
                          title=panel_title(choice.title, anatomies[i]),
                          overlays=[name for name, on in state.overlays.items() if on],
                          max_triangles=interactive_triangles(n))
            panel.set_readout_keys(choice.readout_keys)
            panel.set_arrow_scale(state.arrow_scale)
            panel.set_colour_map_frame(state.colour_map_frame)
            panel.set_axes(axes_for_model(choice.model, [choice.values]))
            self.panels.append(panel)
        self.gait_strip: GaitStrip | None = None
        if state.uses_gait:
            self.gait_strip = GaitStrip(get_theme(theme), int(self.plotter.window_size[1]))
            self.gait_strip.add_to(self.plotter.ren_win)
        self.grid = (1, n)
        self.layout_panels()
        self.set_views([state.panel_view(i) for i in range(n)])

    def layout_panels(self) -> None:
        """Put the panels in a row or 2 × 2 (whichever suits the area's aspect) above the gait strip."""
        width, height = (int(v) for v in self.plotter.window_size)
        if min(self.width(), self.height()) > 50:  # the render window follows the widget's size
            width, height = self.width(), self.height()
        bottom = STRIP_HEIGHT_FRACTION if self.gait_strip is not None else 0.0
        self.grid = panel_grid(len(self.panels), width, height * (1.0 - bottom))
        for panel, viewport in zip(self.panels, panel_viewports(len(self.panels), self.grid, bottom)):
            panel.renderer.SetViewport(*viewport)
        if self.gait_strip is not None:
            self.gait_strip.set_viewport((0.0, 0.0, 1.0, bottom))

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt name
        """Lay the panels out again for the new aspect (a wide area: a row; a squarer one: 2 × 2)."""
        super().resizeEvent(event)
        grid = self.grid
        self.layout_panels()
        if self.grid != grid:
            self.set_views(self._views)

    def set_view(self, view: str) -> None:
        """One view for every panel (cameras linked)."""
        self.set_views([view] * len(self.panels))

    def set_views(self, views: Sequence[str]) -> None:
        """A view per panel; panels with the same view share one camera, fitted to the pelvis."""
        self._views = list(views)
        groups: dict[str, list[Panel]] = {}
        for panel, view in zip(self.panels, views):
            groups.setdefault(view, []).append(panel)
        parallel = bool(self.panels[0].renderer.GetActiveCamera().GetParallelProjection())
        for view, group in groups.items():
            camera = pv.Camera()  # a fresh camera per view: no panel stays linked to another view's
            camera.SetParallelProjection(parallel)
            for panel in group:
                panel.renderer.camera = camera
                panel.apply_view(view)
            set_view(self.plotter, view, bounds=union_bounds([p.view_bounds() for p in group]),
                     renderers=[p.renderer for p in group])
        self._view = views[0]
        self._preset_camera = self._camera()

    def _camera(self) -> tuple[tuple[float, ...], ...]:
        camera = self.panels[0].renderer.GetActiveCamera()
        return camera.GetPosition(), camera.GetFocalPoint(), camera.GetViewUp()

    def moved_camera(self) -> Camera | None:
        """The camera as the user turned it with the mouse, or None while it is still the preset."""
        position, focal_point, up = self._camera()
        if np.allclose(np.array(self._preset_camera), np.array((position, focal_point, up)), atol=1e-6):
            return None
        return Camera(view=self._view, position_mm=tuple(position), focal_point_mm=tuple(focal_point), up=tuple(up))

    def render(self) -> None:
        """Ask Qt to redraw the 3D area at its next paint (a no-op without OpenGL).

        The paint event renders the VTK scene, so an explicit render here would draw every frame
        twice; several changes before the next paint are drawn once.
        """
        if self.can_render and self.isVisible():
            self.plotter.interactor.update()

    def image(self) -> np.ndarray:
        """The rendered 3D area as an RGB array (height, width, 3)."""
        if not self.can_render:
            raise DisplayError("the 3D view has no OpenGL here (QT_QPA_PLATFORM=offscreen); run under a display or Xvfb")
        self.plotter.render()
        return np.asarray(self.plotter.screenshot(return_img=True))

    def close_plotter(self) -> None:
        """Release the render window (call before the widget is dropped)."""
        try:
            self.plotter.close()
        except Exception:  # noqa: BLE001 - closing a half-built VTK window must not hide the real error
            pass


# --- the window ---------------------------------------------------------------------------
class MainWindow(QtWidgets.QMainWindow):
    """The pelvisim window.

    Parameters
    ----------
    anatomy : Anatomy
        Bones and landmarks to show.
    state : AppState, optional
        What to show first (default: the flare model in one panel).
    scenes : sequence of Path, optional
        Scene files PageDown / PageUp step through.
    scene_index : int
        Index in ``scenes`` of the scene shown first (-1: none of them).
    """

    def __init__(self, anatomy: Anatomy, state: AppState | None = None, *, scenes: Sequence[Path] = (),
                 scene_index: int = -1) -> None:
        super().__init__()
        pv.global_theme.multi_samples = 1
        self.anatomy = anatomy
        self.state = state or AppState()
        self.scenes = list(scenes)
        self.scene_index = scene_index
        self.presenting = False
        self.descriptors: list[Any] = []
        self.last_frame_s = 0.0
        self.setWindowTitle(f"pelvisim — {self.state.title}")
        self.resize(*DEFAULT_WINDOW_SIZE)

        # layout: 3D area | control column ; playback bar below
        central = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.view_holder = QtWidgets.QWidget()
        QtWidgets.QVBoxLayout(self.view_holder).setContentsMargins(0, 0, 0, 0)
        self.splitter.addWidget(self.view_holder)
        self.controls_scroll = QtWidgets.QScrollArea()
        self.controls_scroll.setWidgetResizable(True)
        self.controls_scroll.setMinimumWidth(340)
        self.controls_scroll.setMaximumWidth(460)
        self.controls_column = QtWidgets.QWidget()
        self.controls_layout = QtWidgets.QVBoxLayout(self.controls_column)
        self.display_box = DisplayBox()
        self.controls_layout.addWidget(self.display_box)
        capture = QtWidgets.QHBoxLayout()
        self.screenshot_button = QtWidgets.QPushButton("Screenshot…")
        self.screenshot_button.clicked.connect(lambda: self.screenshot())
        self.record_button = QtWidgets.QPushButton("Record this (MP4)…")
        self.record_button.clicked.connect(lambda: self.record())
        self.help_button = QtWidgets.QPushButton("Keys (?)")
        self.help_button.clicked.connect(self.show_help)
        for b in (self.screenshot_button, self.record_button, self.help_button):
            capture.addWidget(b)
        self.controls_layout.addLayout(capture)
        self.panel_controls: list[PanelControls] = []
        self.panel_box = QtWidgets.QVBoxLayout()
        self.controls_layout.addLayout(self.panel_box)
        self.controls_layout.addStretch(1)
        self.controls_scroll.setWidget(self.controls_column)
        self.splitter.addWidget(self.controls_scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        outer.addWidget(self.splitter, 1)
        self.playback = PlaybackBar()
        outer.addWidget(self.playback)
        self.setCentralWidget(central)

        self.display_box.panel_count_changed.connect(self.set_panel_count)
        self.display_box.magnification_changed.connect(self.set_magnification)
        self.display_box.overlay_toggled.connect(self.set_overlay)
        self.display_box.view_picked.connect(self.set_view)
        self.display_box.reset_clicked.connect(self.reset)
        self.playback.phase_changed.connect(self.set_phase)
        self.playback.play_toggled.connect(self.set_playing)
        self.playback.speed_changed.connect(self._speed_changed)
        self.playback.loop_toggled.connect(self._loop_toggled)

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(PLAY_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self._clock = QtCore.QElapsedTimer()
        self.trail_timer = QtCore.QTimer(self)
        self.trail_timer.setSingleShot(True)
        self.trail_timer.setInterval(250)
        self.trail_timer.timeout.connect(self.update_trails)

        self.shortcuts: list[QtGui.QShortcut] = []
        for key in KEYMAP:
            for sequence in key.keys:
                shortcut = QtGui.QShortcut(QtGui.QKeySequence(sequence), self)
                shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(lambda action=key.action: self.run_action(action))
                self.shortcuts.append(shortcut)

        self.scene_view: SceneView | None = None
        self.rebuild()

    # --- building ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recreate the 3D panels and the per-panel controls from :attr:`state`."""
        if self.scene_view is not None:
            self.scene_view.close_plotter()
            self.scene_view.setParent(None)
            self.scene_view.deleteLater()
        holder = self.view_holder.size()
        self.scene_view = SceneView(self.anatomies(), self.state, "projector" if self.presenting else "default",
                                    size=(holder.width(), holder.height()) if self.isVisible() else None)
        self.view_holder.layout().addWidget(self.scene_view)
        for controls in self.panel_controls:
            controls.setParent(None)
            controls.deleteLater()
        self.panel_controls = []
        for i, choice in enumerate(self.state.panels):
            controls = PanelControls(i, choice)
            controls.model_changed.connect(self.set_model)
            controls.value_changed.connect(self.set_value)
            controls.magnification_changed.connect(self.set_panel_magnification)
            controls.anatomy_changed.connect(self.set_anatomy)
            self.panel_box.addWidget(controls)
            self.panel_controls.append(controls)
        self.setWindowTitle(f"pelvisim — {self.state.title}")
        self._show_state_in_widgets()
        if self.isVisible():
            QtWidgets.QApplication.processEvents()  # let the new 3D area take its size before fitting
            self.fit_views()
        self.refresh()
        if self.state.overlays.get("trails"):
            self.update_trails()

    def _show_state_in_widgets(self) -> None:
        s = self.state
        self.display_box.show_state(len(s.panels), s.magnification, s.overlays)
        self.playback.show_state(s.phase, s.playing, s.speed, s.loop)

    def anatomy_of(self, index: int) -> Anatomy:
        """The anatomy panel ``index`` shows: its own choice, else the window's."""
        spec = self.state.panel(index).anatomy
        if spec is None:
            return self.anatomy
        from pelvisim.anatomy import sources

        return sources.load(spec, progress=lambda text: self.statusBar().showMessage(text.strip(), 8000))

    def anatomies(self) -> list[Anatomy]:
        """The anatomy of every panel, left to right."""
        return [self.anatomy_of(i) for i in range(len(self.state.panels))]

    @property
    def panels(self) -> list[Panel]:
        """The 3D panels, left to right."""
        return self.scene_view.panels if self.scene_view is not None else []

    # --- one frame ----------------------------------------------------------------------------
    def refresh(self, indices: Sequence[int] | None = None, *, tables: bool = True) -> None:
        """Recompute poses and descriptors of panels ``indices`` (default all), update and render.

        Only actor matrices change (``Panel.update``); ``tables=False`` skips the Qt descriptor
        tables (during playback they refresh at most every few frames).
        """
        start = time.perf_counter()
        which = range(len(self.state.panels)) if indices is None else indices
        while len(self.descriptors) < len(self.state.panels):
            self.descriptors.append(None)
        del self.descriptors[len(self.state.panels):]
        for i in which:
            anatomy = self.anatomy_of(i)
            state = self.state.joint_state(anatomy, i)
            descriptors = describe(anatomy, state)
            self.descriptors[i] = descriptors
            magnification = self.state.panel_magnification(i)
            tissue = self._tissue(i, anatomy, state) if self.panels[i].wants_tissue else None
            self.panels[i].update(make_pose(anatomy, state, magnification), descriptors, tissue)
            if tables:
                self.panels[i].set_notes(panel_notes(anatomy, state, magnification))
                controls = self.panel_controls[i]
                controls.show_descriptors(descriptors, self._tissue_rows(i, anatomy, state))
                controls.show_warnings(self.state.warnings(i) + [w.text for w in descriptors.limit_warnings])
                controls.show_magnification(self.state.panels[i].magnification)
        if self.scene_view is not None and self.scene_view.gait_strip is not None:
            self.scene_view.gait_strip.set_phase(self.state.phase)
        if self.scene_view is not None:
            self.scene_view.render()
        self.last_frame_s = time.perf_counter() - start

    def _tissue(self, index: int, anatomy: Anatomy, state: Any) -> Any:
        """Soft tissue of panel ``index`` for its overlays (:func:`pelvisim.view.tissue.frame_tissue`)."""
        from pelvisim.view.tissue import frame_tissue

        choice = self.state.panels[index]
        return frame_tissue(anatomy, choice.model, choice.values, self.state.phase, state)

    def _tissue_rows(self, index: int, anatomy: Anatomy, state: Any) -> list[tuple[str, str]]:
        """Ligament strains, muscle forces and SIJ compression rows of panel ``index``'s side table."""
        from pelvisim.tissue.readout import describe_entries, side_table_rows

        choice = self.state.panels[index]
        return side_table_rows(describe_entries(anatomy, choice.model, choice.values, self.state.phase, state))

    def update_trails(self) -> None:
        """Recompute the ASIS/PSIS trails of every panel over one gait cycle."""
        for i, (panel, choice) in enumerate(zip(self.panels, self.state.panels)):
            panel.set_trails(cycle_poses(self.anatomy_of(i), choice.positional_model, choice.values,
                                         self.state.panel_magnification(i), TRAIL_SAMPLES))
        if self.scene_view is not None:
            self.scene_view.render()

    # --- changes from the widgets (and from tests / keys) --------------------------------------
    def set_value(self, index: int, name: str, value: Any) -> None:
        """Set one parameter of panel ``index`` (slider, number box, drop-down) and redraw it."""
        try:
            checked = self.state.set_value(index, name, value)
        except PelvisimError as error:
            self.statusBar().showMessage(str(error), 5000)
            return
        control = self.panel_controls[index].controls.get(name)
        if control is not None and control.value() != checked:
            control.set_value(checked)
        if isinstance(checked, str):  # a choice (e.g. the torsion's axis) may change the axes drawn
            self._configure_panel(index)
        self.refresh([index])
        if self.state.overlays.get("trails"):
            self.trail_timer.start()

    def set_model(self, index: int, model: str) -> None:
        """Show ``model`` in panel ``index`` (its parameters at their defaults)."""
        self.state.set_model(index, model)
        self.panel_controls[index].show_choice(self.state.panels[index])
        self.panels[index].set_title(panel_title(self.state.panels[index].title, self.anatomy_of(index)))
        self._configure_panel(index)
        self.refresh([index])
        if self.state.overlays.get("trails"):
            self.trail_timer.start()

    def set_anatomy(self, index: int, anatomy: Any) -> None:
        """Show ``anatomy`` (an anatomy spec, or None for the window's) in panel ``index``.

        A subject or shape-mode point not yet built takes a few seconds (the status bar says so);
        bad input is reported in the status bar and changes nothing.
        """
        before = self.state.panel(index).anatomy
        try:
            self.state.set_anatomy(index, anatomy)
            spec = self.state.panel(index).anatomy
            if spec is not None:
                self.statusBar().showMessage(f"Loading {spec.label} (first use builds it: a few seconds)…")
                QtWidgets.QApplication.processEvents()
            self.anatomy_of(index)
        except PelvisimError as error:
            self.state.panel(index).anatomy = before
            self.panel_controls[index].show_choice(self.state.panel(index))
            self.statusBar().showMessage(str(error), 8000)
            return
        self.statusBar().clearMessage()
        self.rebuild()

    def set_panel_count(self, count: int) -> None:
        """Show ``count`` panels side by side (1–4)."""
        if count != len(self.state.panels):
            self.state.set_panel_count(count)
            self.rebuild()

    def set_magnification(self, magnification: float) -> None:
        """Display magnification of every panel (1 = true scale); panels drop their own."""
        self.state.set_magnification(magnification)
        self.display_box.show_state(len(self.state.panels), self.state.magnification, self.state.overlays)
        self.refresh()
        if self.state.overlays.get("trails"):
            self.update_trails()

    def set_panel_magnification(self, index: int, magnification: float | None) -> None:
        """Display magnification of panel ``index`` only (None: back to the one of all panels)."""
        self.state.set_panel_magnification(index, magnification)
        self.refresh([index])
        if self.state.overlays.get("trails"):
            self.update_trails()

    def set_overlay(self, name: str, on: bool) -> None:
        """Switch an overlay on or off in every panel."""
        self.state.set_overlay(name, on)
        for panel in self.panels:
            panel.set_overlay(name, on)
        self.display_box.show_state(len(self.state.panels), self.state.magnification, self.state.overlays)
        if name == "trails" and on:
            self.update_trails()
        elif self.scene_view is not None:
            self.scene_view.render()

    def set_view(self, view: str) -> None:
        """One camera view for every panel (anatomical or lesson view, see ``view.camera.VIEW_PRESETS``)."""
        self.state.set_view(view)
        self.fit_views()
        assert self.scene_view is not None
        self.scene_view.render()

    def fit_views(self) -> None:
        """Point every panel's camera along its view (its own, else the one of all panels)."""
        assert self.scene_view is not None
        self.scene_view.set_views([self.state.panel_view(i) for i in range(len(self.state.panels))])

    def _configure_panel(self, index: int) -> None:
        """Give panel ``index`` its model's key numbers and axes."""
        choice = self.state.panels[index]
        self.panels[index].set_readout_keys(choice.readout_keys)
        self.panels[index].set_axes(axes_for_model(choice.model, [choice.values]))

    def set_phase(self, phase: float) -> None:
        """Move every panel to gait ``phase`` in [0, 1)."""
        self.state.set_phase(phase)
        self.playback.show_state(self.state.phase, self.state.playing, self.state.speed, self.state.loop)
        self.refresh()

    def set_playing(self, playing: bool) -> None:
        """Start or stop gait playback."""
        self.state.playing = bool(playing)
        if playing:
            if self.state.phase >= 0.999 and not self.state.loop:
                self.state.set_phase(0.0)
            self._clock.start()
            self.timer.start()
        else:
            self.timer.stop()
        self.playback.show_state(self.state.phase, self.state.playing, self.state.speed, self.state.loop)

    def _speed_changed(self, speed: float) -> None:
        self.state.speed = float(speed)

    def _loop_toggled(self, on: bool) -> None:
        self.state.loop = bool(on)

    def _tick(self) -> None:
        seconds = self._clock.restart() / 1000.0
        self.state.advance(min(seconds, 0.25))
        self.playback.show_state(self.state.phase, self.state.playing, self.state.speed, self.state.loop)
        self._ticks = getattr(self, "_ticks", 0) + 1
        self.refresh(tables=self._ticks % 6 == 0 or not self.state.playing)
        if not self.state.playing:
            self.timer.stop()

    def reset(self) -> None:
        """Camera back to the current preset and every parameter back to its default."""
        for i in range(len(self.state.panels)):
            self.state.reset_panel(i)
            self.panel_controls[i].show_choice(self.state.panels[i])
        self.set_view(self.state.view)
        self.refresh()

    # --- keys ---------------------------------------------------------------------------------
    def run_action(self, action: str) -> None:
        """Do what a keyboard shortcut of :data:`~pelvisim.view.keys.KEYMAP` names."""
        kind, _, arg = action.partition(":")
        if kind == "view":
            self.set_view(arg)
        elif kind == "overlay":
            self.set_overlay(arg, not self.state.overlays.get(arg, False))
        elif action == "play_pause":
            self.set_playing(not self.state.playing)
        elif action in ("phase_forward", "phase_back"):
            self.set_phase(self.state.phase + (0.01 if action == "phase_forward" else -0.01))
        elif action == "phase_start":
            self.set_phase(0.0)
        elif action == "reset":
            self.reset()
        elif action in ("magnify_up", "magnify_down"):
            steps = list(MAGNIFICATIONS)
            current = min(range(len(steps)), key=lambda k: abs(steps[k] - self.state.magnification))
            current = max(0, min(len(steps) - 1, current + (1 if action == "magnify_up" else -1)))
            self.set_magnification(steps[current])
        elif action == "presentation":
            self.set_presentation(not self.presenting)
        elif action == "leave_presentation":
            if self.presenting:
                self.set_presentation(False)
        elif action == "next_scene":
            self.step_scene(+1)
        elif action == "previous_scene":
            self.step_scene(-1)
        elif action == "screenshot":
            self.screenshot()
        elif action == "record":
            self.record()
        elif action == "help":
            self.show_help()
        elif action == "quit":
            self.close()
        else:  # pragma: no cover - KEYMAP and this method are kept in step by a test
            raise KeyError(action)

    def show_help(self) -> QtWidgets.QMessageBox:
        """The keyboard map in a (non-blocking) dialog; returns the dialog."""
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle("pelvisim — keyboard")
        box.setText("Keyboard shortcuts")
        box.setInformativeText(f"<pre>{help_text()}</pre>")
        box.setModal(False)
        box.show()
        self.help_dialog = box
        return box

    # --- presentation mode and scenes --------------------------------------------------------------
    def set_presentation(self, on: bool) -> None:
        """Presentation mode: full screen, large high-contrast text, controls hidden, 3D descriptor text on."""
        on = bool(on)
        if on == self.presenting:
            return
        self.presenting = on
        self.controls_scroll.setVisible(not on)
        self.playback.setVisible(not on)
        self.statusBar().setVisible(not on)
        self.setStyleSheet(presentation_style(on))
        if on:
            self._overlays_before = dict(self.state.overlays)
            self.state.overlays["descriptors"] = True
            self.showFullScreen()
        else:
            self.state.overlays.update(getattr(self, "_overlays_before", {}))
            self.showNormal()
        QtWidgets.QApplication.processEvents()
        self.rebuild()

    def step_scene(self, step: int) -> bool:
        """Show the next (``+1``) or previous (``-1``) scene of :attr:`scenes`; False when there is none."""
        if not self.scenes:
            self.statusBar().showMessage("No scene folder to step through", 4000)
            return False
        index = min(max(self.scene_index + step, 0), len(self.scenes) - 1)
        if index == self.scene_index:
            return False
        try:
            state = load_scene_state(self.scenes[index])
        except PelvisimError as error:
            self.statusBar().showMessage(str(error), 8000)
            return False
        self.scene_index = index
        if self.presenting:
            state.overlays["descriptors"] = True
        self.state = state
        self.timer.stop()
        self.rebuild()
        return True

    # --- capture ------------------------------------------------------------------------------
    def window_image(self) -> QtGui.QImage:
        """The whole window as an image, with the 3D area rendered into it."""
        assert self.scene_view is not None
        QtWidgets.QApplication.processEvents()
        image = self.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
        if self.scene_view.can_render:
            rgb = np.ascontiguousarray(self.scene_view.image())
            h, w = rgb.shape[:2]
            view = QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()
            widget = self.scene_view.plotter.interactor
            top_left = widget.mapTo(self, QtCore.QPoint(0, 0))
            ratio = image.devicePixelRatio() or 1.0
            painter = QtGui.QPainter(image)
            target = QtCore.QRect(top_left, widget.size())
            painter.drawImage(QtCore.QRectF(target.x() * ratio, target.y() * ratio, target.width() * ratio,
                                            target.height() * ratio), view)
            painter.end()
        return image

    def screenshot(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """Save the window to a PNG at ``path`` (asks for a file name when None); returns the path."""
        if path is None:
            chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save screenshot", "pelvisim.png", "PNG image (*.png)")
            if not chosen:
                return None
            path = chosen
        target = Path(path)
        if target.suffix.lower() != ".png":
            raise PelvisimError(f"screenshot must be a .png file, got {target.name!r}")
        image = self.window_image()
        with atomic_path(target, overwrite=True) as temporary:  # the save dialog asked before replacing
            if not image.save(str(temporary), "PNG"):
                raise PelvisimError(f"could not write {target}")
        self.statusBar().showMessage(f"Saved {target}", 4000)
        return target

    def record(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """Record one gait cycle of the current panels to MP4 with the offscreen renderer.

        Asks for a file name when ``path`` is None; a progress dialog can cancel (nothing is written
        then). Returns the written path, or None when cancelled or failed (the reason is shown).
        """
        from pelvisim.view.render import RenderCancelled, render_state

        overwrite = False
        if path is None:
            chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Record this", "pelvisim.mp4", "MP4 video (*.mp4)")
            if not chosen:
                return None
            path, overwrite = chosen, True  # the file dialog has already asked before replacing a file
        progress = QtWidgets.QProgressDialog("Rendering video…", "Cancel", 0, 100, self)
        progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)

        def on_progress(done: int, total: int) -> bool:
            progress.setMaximum(max(total, 1))
            progress.setValue(done)
            QtWidgets.QApplication.processEvents()
            return not progress.wasCanceled()

        try:
            camera = self.scene_view.moved_camera() if self.scene_view is not None else None
            out = render_state(self.anatomies(), self.state, path, progress=on_progress, overwrite=overwrite, camera=camera)
        except RenderCancelled:
            self.statusBar().showMessage("Recording cancelled; no file written", 6000)
            return None
        except PelvisimError as error:
            QtWidgets.QMessageBox.warning(self, "pelvisim", str(error))
            return None
        finally:
            progress.close()
        self.statusBar().showMessage(f"Saved {out}", 6000)
        return Path(out)

    # --- showing and closing ----------------------------------------------------------------------
    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt name
        """Fit the camera once the 3D area has its real size (fitting needs the panel's aspect)."""
        super().showEvent(event)
        if not getattr(self, "_fitted", False) and self.scene_view is not None:
            self._fitted = True
            QtWidgets.QApplication.processEvents()
            self.fit_views()
            self.refresh()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt name
        """Stop the timers and release the render window before Qt tears the widgets down."""
        self.timer.stop()
        self.trail_timer.stop()
        if self.scene_view is not None:
            self.scene_view.close_plotter()
        super().closeEvent(event)


# --- entry point --------------------------------------------------------------------------
def run(scene: str | os.PathLike[str] | None = None, *, screenshot: str | os.PathLike[str] | None = None,
        size: tuple[int, int] = DEFAULT_WINDOW_SIZE, models: Sequence[str] = (), presentation: bool = False,
        anatomy: Anatomy | None = None) -> int:
    """Open the window (``pelvisim show``); returns the exit code.

    Parameters
    ----------
    scene : path, optional
        Scene file to show first; PageDown/PageUp step through the other scenes of its folder.
        Without one, the first bundled scene (or the flare model) is shown.
    screenshot : path, optional
        Render the window to this PNG and exit instead of waiting for the user.
    size : (int, int)
        Window size in pixels (ignored in presentation mode).
    models : sequence of str
        Positional models to show side by side (instead of a scene).
    presentation : bool
        Start in presentation mode.
    anatomy : Anatomy, optional
        Default: the bundled mean pelvis.
    """
    require_display()
    from pelvisim import load_anatomy

    if scene is not None:
        state = load_scene_state(scene)
        scenes = scene_files(Path(scene).parent)
        index = next((i for i, p in enumerate(scenes) if p.resolve() == Path(scene).resolve()), -1)
    else:
        scenes = scene_files(BUNDLED_SCENES)
        state, index = None, -1
        if models:
            state = AppState.from_models(models)
        elif scenes:
            try:
                state, index = load_scene_state(scenes[0]), 0
            except PelvisimError:
                state = None
    app = application()
    if screenshot is not None and QtGui.QGuiApplication.platformName() in ("offscreen", "minimal"):
        raise DisplayError("--screenshot needs OpenGL, which QT_QPA_PLATFORM=offscreen lacks; run under a display "
                           "or Xvfb, or use `pelvisim render`")
    if anatomy is not None and state is not None:  # given on the command line: every panel shows it
        for choice in state.panels:
            choice.anatomy = None
    window = MainWindow(anatomy or load_anatomy(), state, scenes=scenes, scene_index=index)
    window.resize(*size)
    if presentation:
        window.set_presentation(True)
    window.show()
    if screenshot is not None:
        for _ in range(3):
            app.processEvents()
        window.fit_views()
        window.refresh()
        window.screenshot(screenshot)
        window.close()
        return 0
    app.exec()
    return 0
