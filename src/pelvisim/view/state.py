"""What the desktop app shows, as plain data: no Qt, no pyvista.

:class:`AppState` holds the panels (one positional model and its parameter values each), the
gait phase shared by every panel, playback, magnification, overlays and the camera preset. The
Qt widgets in :mod:`pelvisim.view.controls` only read and change an :class:`AppState`; the 3D
panels only draw what it says. That keeps the app's logic testable without a screen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pelvisim.anatomy.core import Anatomy
from pelvisim.errors import ParameterError
from pelvisim.models import MODELS, get_model
from pelvisim.parameters import PositionalModel, Value
from pelvisim.pose import JointState, Pose, pose
from pelvisim.scene import ARROW_SCALE, CAMERA_VIEWS, COLOUR_MAP_FRAMES, DEFAULT_READOUTS, MAX_READOUTS, READOUTS, VIEWS

MAX_PANELS = 4
"""Panels side by side at most (more would be unreadable on a projector)."""

OVERLAYS: Mapping[str, str] = {
    "ghost": "Ghost of the neutral pose",
    "landmarks": "Landmarks and labels",
    "axes": "Joint axes (nutation, oblique)",
    "colour_map": "Colour map of displacement",
    "trails": "ASIS / PSIS trails over gait",
    "palpation": "Palpation-error spheres (15–20 mm)",
    "femurs": "Femurs",
    "descriptors": "Key numbers in the 3D view",
    "arrows": "Displacement arrows at the landmarks",
    "tissue": "Ligaments (coloured by strain), muscles, L5",
    "loads": "Body weight and hip reactions (arrows)",
}
"""Overlay name (as :meth:`pelvisim.view.panel.Panel.set_overlay` takes it) -> check-box label."""

DEFAULT_OVERLAYS: Mapping[str, bool] = {
    "ghost": False,  # translucent: doubles the frame time on software OpenGL; hidden at true scale anyway
    "landmarks": True,
    "axes": False,
    "colour_map": False,
    "trails": False,
    "palpation": False,
    "femurs": True,
    "descriptors": False,
    "arrows": False,
    "tissue": False,
    "loads": False,
}

MAGNIFICATIONS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
"""Display magnifications offered; 1 = true scale."""

PHASE_END = math.nextafter(1.0, 0.0)
"""Largest gait phase (phases live in [0, 1))."""


def magnification_text(magnification: float) -> str:
    """The label every panel shows (the 3D panels and the app's controls), e.g. ``"true scale"``,
    ``"×20 — exaggerated"`` or ``"×0.5 — reduced"``."""
    m = float(magnification)
    if abs(m - 1.0) < 1e-9:
        return "true scale"
    return f"×{m:g} — {'exaggerated' if m > 1.0 else 'reduced'}"


@dataclass
class PanelChoice:
    """One panel: a positional model and the current value of each of its parameters.

    Attributes
    ----------
    model : str
        Registry name of the positional model.
    values : dict
        Validated value of every parameter of the model (defaults filled in).
    label : str
        Optional caption (from a scene file); empty uses the model's title.
    magnification : float or None
        This panel's own display factor; None follows :attr:`AppState.magnification` (all panels).
    view : str or None
        This panel's own view (one of :data:`~pelvisim.scene.CAMERA_VIEWS`); None follows :attr:`AppState.view`.
    readouts : tuple of str or None
        Keys of :data:`~pelvisim.scene.READOUTS` for the panel's key numbers; None: the model's defaults.
    anatomy : AnatomySpec or None
        This panel's anatomy (:mod:`pelvisim.anatomy.sources`); None shows the window's.
    """

    model: str
    values: dict[str, Value] = field(default_factory=dict)
    label: str = ""
    magnification: float | None = None
    view: str | None = None
    readouts: tuple[str, ...] | None = None
    anatomy: Any = None

    def __post_init__(self) -> None:
        self.values = get_model(self.model).resolve(self.values)
        if self.magnification is not None:
            self.magnification = _checked_magnification(self.magnification)
        if self.view is not None and self.view not in CAMERA_VIEWS:
            raise ParameterError(f"Unknown view {self.view!r}. Valid views: {', '.join(CAMERA_VIEWS)}")
        if self.readouts is not None:
            unknown = [k for k in self.readouts if k not in READOUTS]
            if unknown or len(self.readouts) > MAX_READOUTS:
                raise ParameterError(f"Expected at most {MAX_READOUTS} readouts of {', '.join(READOUTS)}; got {self.readouts}")
            self.readouts = tuple(self.readouts)

    @property
    def positional_model(self) -> PositionalModel:
        """The registry entry of :attr:`model`."""
        return get_model(self.model)

    @property
    def title(self) -> str:
        """The caption shown on the panel (a chosen pelvis is named when there is no scene label)."""
        if self.label:
            return self.label
        kind = getattr(self.anatomy, "kind", "bundled")
        return self.positional_model.title + ("" if kind == "bundled" else f" — {self.anatomy.label}")

    @property
    def readout_keys(self) -> tuple[str, ...]:
        """The panel's key numbers: its own, else its model's defaults."""
        return self.readouts if self.readouts is not None else DEFAULT_READOUTS.get(self.model, ())


def _checked_magnification(magnification: float) -> float:
    m = float(magnification)
    if not math.isfinite(m) or not 1.0 <= m <= 100.0:
        raise ParameterError(f"magnification must be from 1 to 100, got {magnification!r}")
    return m


@dataclass
class AppState:
    """Everything the window shows, as plain data.

    Attributes
    ----------
    panels : list of PanelChoice
        1 to :data:`MAX_PANELS` panels, left to right.
    phase : float
        Gait phase in [0, 1), the same for every panel.
    playing : bool
        True while the gait cycle plays.
    speed : float
        Playback speed in gait cycles per second (a normal walk is about 1).
    loop : bool
        Start the cycle again at its end; otherwise playback stops there.
    magnification : float
        Display factor of the intrapelvic motion (1 = true scale) of every panel without its own;
        descriptors never use it.
    overlays : dict of str to bool
        Which overlays are on (keys of :data:`OVERLAYS`).
    view : str
        Camera preset of every panel without its own, one of :data:`~pelvisim.scene.CAMERA_VIEWS`.
    title : str
        Scene title shown in the window title.
    arrow_scale : float
        Length factor of the displacement arrows.
    colour_map_frame : str
        ``"sacrum"`` or ``"pelvis"``: the frame of the colour map.
    """

    panels: list[PanelChoice] = field(default_factory=lambda: [PanelChoice("flare")])
    phase: float = 0.0
    playing: bool = False
    speed: float = 0.5
    loop: bool = True
    magnification: float = 1.0
    overlays: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_OVERLAYS))
    view: str = "anterior"
    title: str = "pelvisim"
    arrow_scale: float = ARROW_SCALE
    colour_map_frame: str = "sacrum"

    def __post_init__(self) -> None:
        if not 1 <= len(self.panels) <= MAX_PANELS:
            raise ParameterError(f"Expected 1 to {MAX_PANELS} panels, got {len(self.panels)}")
        unknown = set(self.overlays) - set(OVERLAYS)
        if unknown:
            raise ParameterError(f"Unknown overlays {sorted(unknown)}. Valid overlays: {', '.join(OVERLAYS)}")
        self.overlays = {**DEFAULT_OVERLAYS, **self.overlays}
        if self.view not in CAMERA_VIEWS:
            raise ParameterError(f"Unknown view {self.view!r}. Valid views: {', '.join(CAMERA_VIEWS)}")
        self.magnification = _checked_magnification(self.magnification)
        self.set_phase(self.phase)

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_models(cls, models: Iterable[str], **kwargs: Any) -> AppState:
        """One panel per model name, each at its defaults."""
        return cls(panels=[PanelChoice(m) for m in models], **kwargs)

    @classmethod
    def from_scene(cls, scene: Any) -> AppState:
        """The state a scene file describes (read duck-typed from a :mod:`pelvisim.scene` Scene).

        Reads ``title``, ``panels`` (each with ``model``, ``parameters``, ``label`` and, when set,
        its own ``magnification``, ``view`` and ``readouts``), ``magnification``, ``overlays``
        (mapping or names that are on), ``camera`` (a preset name or an object with
        ``preset``/``view``), ``arrow_scale`` and ``colour_map_frame``; anything missing keeps its default.
        """

        def read(p: Any, key: str, default: Any = None) -> Any:
            return p.get(key, default) if isinstance(p, Mapping) else getattr(p, key, default)

        panels = [
            PanelChoice(
                str(read(p, "model")),
                dict(read(p, "parameters") or {}),
                str(read(p, "label", "") or ""),
                magnification=read(p, "magnification"),
                view=read(p, "view"),
                readouts=read(p, "readouts"),
                anatomy=read(p, "anatomy") or getattr(scene, "anatomy", None),
            )
            for p in getattr(scene, "panels", ())
        ] or [PanelChoice("neutral")]
        state = cls(panels=panels[:MAX_PANELS], title=str(getattr(scene, "title", "") or "pelvisim"))
        magnification = getattr(scene, "magnification", None)
        if magnification:
            state.magnification = _checked_magnification(float(magnification))
        overlays = getattr(scene, "overlays", None)
        if isinstance(overlays, Mapping):
            for name, on in overlays.items():
                if name in OVERLAYS:
                    state.overlays[name] = bool(on)
        elif overlays:
            for name in overlays:
                if name in OVERLAYS:
                    state.overlays[name] = True
        camera = getattr(scene, "camera", None)
        view = camera if isinstance(camera, str) else getattr(camera, "preset", None) or getattr(camera, "view", None)
        if isinstance(view, str) and view in CAMERA_VIEWS:
            state.view = view
        state.arrow_scale = float(getattr(scene, "arrow_scale", ARROW_SCALE))
        frame = getattr(scene, "colour_map_frame", "sacrum")
        state.colour_map_frame = frame if frame in COLOUR_MAP_FRAMES else "sacrum"
        return state

    # --- panels ------------------------------------------------------------------------------
    def panel(self, index: int) -> PanelChoice:
        """Panel ``index`` (0 = leftmost); a clear error when there is no such panel."""
        if not 0 <= index < len(self.panels):
            raise ParameterError(f"Expected a panel index from 0 to {len(self.panels) - 1}, got {index}")
        return self.panels[index]

    def set_panel_count(self, count: int) -> None:
        """Show ``count`` panels: new ones copy the last panel's model at its defaults."""
        if not 1 <= count <= MAX_PANELS:
            raise ParameterError(f"Expected 1 to {MAX_PANELS} panels, got {count}")
        while len(self.panels) < count:
            used = {p.model for p in self.panels}
            unused = [m for m in MODELS if m not in used and m != "neutral"]
            self.panels.append(PanelChoice(unused[0] if unused else self.panels[-1].model))
        del self.panels[count:]

    def set_model(self, index: int, model: str) -> None:
        """Show ``model`` in panel ``index``, at its default parameter values."""
        get_model(model)
        if self.panel(index).model != model:
            self.panels[index] = PanelChoice(model, anatomy=self.panels[index].anatomy)

    def set_anatomy(self, index: int, anatomy: Any) -> None:
        """Show ``anatomy`` in panel ``index``: None (the window's), or anything
        :func:`pelvisim.anatomy.sources.as_spec` accepts (checked here)."""
        from pelvisim.anatomy.sources import as_spec

        self.panel(index).anatomy = None if anatomy is None else as_spec(anatomy)

    def set_value(self, index: int, name: str, value: Any) -> Value:
        """Set one parameter of panel ``index``; returns the validated value."""
        choice = self.panel(index)
        parameter = choice.positional_model.parameter(name)
        checked = parameter.validate(value, f"model {choice.model!r}")
        choice.values[name] = checked
        return checked

    def reset_value(self, index: int, name: str) -> Value:
        """Put one parameter of panel ``index`` back to its default; returns the default."""
        return self.set_value(index, name, self.panel(index).positional_model.parameter(name).default)

    def reset_panel(self, index: int) -> None:
        """Every parameter of panel ``index`` back to its default."""
        choice = self.panel(index)
        choice.values = choice.positional_model.resolve({})

    def warnings(self, index: int) -> list[str]:
        """Parameters of panel ``index`` beyond measured in-vivo motion (one line each)."""
        choice = self.panel(index)
        return choice.positional_model.warnings(choice.values)

    # --- what is drawn -----------------------------------------------------------------------
    def joint_state(self, anatomy: Anatomy, index: int) -> JointState:
        """True-scale joint state of panel ``index`` at the current phase."""
        choice = self.panel(index)
        return choice.positional_model.joint_state(anatomy, choice.values, self.phase)

    def panel_magnification(self, index: int) -> float:
        """Display factor of panel ``index``: its own, else the one of all panels."""
        own = self.panel(index).magnification
        return self.magnification if own is None else own

    def panel_view(self, index: int) -> str:
        """View of panel ``index``: its own, else the one of all panels."""
        return self.panel(index).view or self.view

    def pose(self, anatomy: Anatomy, index: int) -> Pose:
        """Displayed pose of panel ``index`` (magnified for display only, by the panel's own factor)."""
        return pose(anatomy, self.joint_state(anatomy, index), self.panel_magnification(index))

    # --- playback, magnification, view -------------------------------------------------------
    def set_phase(self, phase: float) -> None:
        """Move to gait ``phase``; values outside [0, 1) wrap around."""
        phase = float(phase)
        if not math.isfinite(phase):
            raise ParameterError(f"phase must be a finite number, got {phase!r}")
        self.phase = min(phase % 1.0, PHASE_END)

    def advance(self, seconds: float) -> None:
        """Play for ``seconds`` of wall time at :attr:`speed`; stops at the end unless :attr:`loop`."""
        if not self.playing:
            return
        target = self.phase + self.speed * float(seconds)
        if target >= 1.0 and not self.loop:
            self.phase = PHASE_END
            self.playing = False
        else:
            self.set_phase(target)

    def set_magnification(self, magnification: float) -> None:
        """Display magnification of **all** panels (1 = true scale, up to 100); panels lose their own."""
        self.magnification = _checked_magnification(magnification)
        for choice in self.panels:
            choice.magnification = None

    def set_panel_magnification(self, index: int, magnification: float | None) -> None:
        """Display magnification of panel ``index`` only; None makes it follow all panels again."""
        self.panel(index).magnification = None if magnification is None else _checked_magnification(magnification)

    def set_view(self, view: str) -> None:
        """Camera view of **all** panels, one of :data:`~pelvisim.scene.CAMERA_VIEWS`; panels lose their own."""
        if view not in CAMERA_VIEWS:
            raise ParameterError(f"Unknown view {view!r}. Valid views: {', '.join(CAMERA_VIEWS)}")
        self.view = view
        for choice in self.panels:
            choice.view = None

    def set_overlay(self, name: str, on: bool) -> None:
        """Switch overlay ``name`` on or off."""
        if name not in OVERLAYS:
            raise ParameterError(f"Unknown overlay {name!r}. Valid overlays: {', '.join(OVERLAYS)}")
        self.overlays[name] = bool(on)

    @property
    def uses_gait(self) -> bool:
        """True when any panel's model moves with the gait phase."""
        return any(p.positional_model.uses_gait for p in self.panels)
