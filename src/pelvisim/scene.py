"""Scene files: TOML in, a validated, frozen :class:`Scene` out (nothing in the file is evaluated).

A scene says what to show (1–4 panels, each one positional model with its parameters), how it
moves (a gait timeline, keyframes of parameters with holds, or a still), where the camera is,
which overlays are on, timed captions, the display magnification and output defaults. Every key,
unit and default is documented in ``docs/scenes.md``.

Errors are :class:`~pelvisim.errors.SceneError` naming the file, the line, the key and what was
expected; model names and parameters are validated through the model registry.

Times are seconds of video (``_s``), phases are fractions of a gait cycle in [0, 1), lengths mm,
angles degrees only where the key says ``_deg``. This module never imports the view.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pelvisim.errors import ParameterError, SceneError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

OVERLAY_NAMES = ("ghost", "landmarks", "axes", "colour_map", "trails", "palpation", "femurs", "descriptors")
"""Overlay keys of the ``[overlays]`` table (same names as :data:`pelvisim.view.OVERLAYS`)."""

DEFAULT_OVERLAYS = {"landmarks": True, "descriptors": True}
VIEWS = ("anterior", "posterior", "superior", "inferior", "left", "right")
"""Anatomical camera presets, in button order (the app and the panels use this list too)."""
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
"""Named output sizes (the height of 1080p becomes 1088: sizes are rounded to multiples of 16)."""
QUALITIES = ("draft", "final")
TIMELINE_KINDS = ("gait", "keyframes", "still")
INTERPOLATIONS = ("smooth", "linear", "step")
THEMES = ("default", "projector")
MAX_PANELS = 4


# --- sizes -----------------------------------------------------------------------------------
def parse_size(text: str | Sequence[int]) -> tuple[int, int]:
    """``"720p"``, ``"1080p"``, ``"4k"`` or ``"WxH"`` to (width, height), each rounded to a multiple of 16.

    Raises
    ------
    ParameterError
        For anything else, or sizes below 64 or above 7680 pixels.
    """
    if isinstance(text, str):
        key = text.strip().lower()
        if key in SIZES:
            w, h = SIZES[key]
        else:
            match = re.fullmatch(r"(\d+)\s*[x×]\s*(\d+)", key)
            if not match:
                raise ParameterError(f"size must be 720p, 1080p, 4k or WIDTHxHEIGHT (e.g. 1280x720), got {text!r}")
            w, h = int(match.group(1)), int(match.group(2))
    else:
        try:
            w, h = (int(v) for v in text)
        except (TypeError, ValueError):
            raise ParameterError(f"size must be 720p, 1080p, 4k or WIDTHxHEIGHT, got {text!r}") from None
    if not (64 <= w <= 7680 and 64 <= h <= 7680):
        raise ParameterError(f"size must be between 64 and 7680 pixels on each side, got {w}x{h}")
    return _multiple_of_16(w), _multiple_of_16(h)


def _multiple_of_16(n: int) -> int:
    return max(16, int(math.floor(n / 16.0 + 0.5)) * 16)


# --- dataclasses -----------------------------------------------------------------------------
def _frozen_map(d: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class PanelSpec:
    """One panel: a positional model and its (validated, complete) parameters.

    Attributes
    ----------
    model : str
        Registry name (``pelvisim models``).
    parameters : Mapping[str, float | str]
        Every parameter of the model: the file's values over the defaults.
    label : str
        Panel title; default the model's title.
    magnification : float or None
        Display factor of this panel; None uses the scene's.
    overlays : Mapping[str, bool]
        Overlay switches of this panel over the scene's ``[overlays]``.
    anatomy : AnatomySpec or None
        This panel's anatomy (:mod:`pelvisim.anatomy.sources`); None uses the scene's.
    """

    model: str
    parameters: Mapping[str, Any]
    label: str = ""
    magnification: float | None = None
    overlays: Mapping[str, bool] = field(default_factory=dict)
    anatomy: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", _frozen_map(self.parameters))
        object.__setattr__(self, "overlays", _frozen_map(self.overlays))


@dataclass(frozen=True)
class Keyframe:
    """Parameter values reached at ``time_s`` and held for ``hold_s``.

    Attributes
    ----------
    time_s : float
        When the values are reached, seconds from the start of the timeline.
    hold_s : float
        How long they are held before moving on to the next keyframe.
    parameters : Mapping[str, float | str]
        Values set by this keyframe (only these keys change).
    panels : tuple of int or None
        0-based indices of the panels it applies to; None = every panel.
    phase : float or None
        Gait phase reached at this keyframe (interpolated like a parameter); None = unchanged.
    """

    time_s: float
    hold_s: float = 0.0
    parameters: Mapping[str, Any] = field(default_factory=dict)
    panels: tuple[int, ...] | None = None
    phase: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", _frozen_map(self.parameters))


@dataclass(frozen=True)
class Timeline:
    """How the scene moves.

    Attributes
    ----------
    kind : str
        ``"gait"`` (phase runs through ``cycles`` gait cycles), ``"keyframes"`` (parameters move
        between keyframes, phase fixed or keyframed) or ``"still"``.
    cycles : float
        Gait cycles shown (gait).
    seconds_per_cycle : float
        Video seconds per gait cycle (gait); 1.1 s is a real stride, longer is slow motion.
    start_phase : float
        Phase at the first frame (gait), in [0, 1).
    phase : float
        Fixed phase (keyframes, still).
    keyframes : tuple of Keyframe
    interpolation : str
        ``"smooth"`` (ease in and out), ``"linear"`` or ``"step"`` between keyframes.
    still_s : float
        Duration of a still scene as a video.
    """

    kind: str = "gait"
    cycles: float = 1.0
    seconds_per_cycle: float = 4.0
    start_phase: float = 0.0
    phase: float = 0.0
    keyframes: tuple[Keyframe, ...] = ()
    interpolation: str = "smooth"
    still_s: float = 3.0

    @property
    def duration_s(self) -> float:
        """Length of the timeline in video seconds (title card excluded)."""
        if self.kind == "gait":
            return self.cycles * self.seconds_per_cycle
        if self.kind == "keyframes":
            return max((k.time_s + k.hold_s for k in self.keyframes), default=0.0) or self.still_s
        return self.still_s

    def phase_at(self, time_s: float) -> float:
        """Gait phase in [0, 1) at ``time_s`` video seconds."""
        if self.kind == "gait":
            return (self.start_phase + time_s / self.seconds_per_cycle) % 1.0
        if self.kind == "keyframes":
            track = [(k.time_s, k.hold_s, k.phase) for k in self.keyframes if k.phase is not None]
            if track:
                return float(_interpolate(track, time_s, self.interpolation, self.phase)) % 1.0
        return self.phase


@dataclass(frozen=True)
class Camera:
    """Camera of every panel (cameras are linked).

    Attributes
    ----------
    view : str
        Anatomical preset: anterior, posterior, superior, inferior, left, right.
    position_mm, focal_point_mm, up : tuple of float or None
        Explicit camera (pelvic frame, mm); when given they replace the preset.
    zoom : float
        Extra zoom after fitting the pelvis (> 1 is closer).
    orbit_deg : float
        Total turn of the camera about its up axis over the timeline (0 = still camera).
    """

    view: str = "anterior"
    position_mm: tuple[float, float, float] | None = None
    focal_point_mm: tuple[float, float, float] | None = None
    up: tuple[float, float, float] | None = None
    zoom: float = 1.0
    orbit_deg: float = 0.0


@dataclass(frozen=True)
class Caption:
    """A caption shown from ``start_s`` to ``end_s`` (timeline seconds, title card excluded)."""

    text: str
    start_s: float = 0.0
    end_s: float = math.inf

    def visible(self, time_s: float) -> bool:
        """True when the caption is on screen at ``time_s``."""
        return self.start_s <= time_s < self.end_s


@dataclass(frozen=True)
class Output:
    """Output defaults (each can be overridden on the command line).

    Attributes
    ----------
    size : str
        ``720p``, ``1080p``, ``4k`` or ``WxH``.
    fps : int
    quality : str
        ``draft`` (no anti-aliasing) or ``final`` (MSAA).
    title_card_s : float
        Seconds of title card before the timeline in videos (0 = none).
    still_time_s : float
        Timeline time of the frame written for a PNG.
    """

    size: str = "720p"
    fps: int = 30
    quality: str = "draft"
    title_card_s: float = 2.0
    still_time_s: float = 0.0


@dataclass(frozen=True)
class Scene:
    """A validated scene file.

    Attributes
    ----------
    title, subtitle : str
    sources : str
        Where the claims shown come from (title card, docs).
    panels : tuple of PanelSpec
    timeline : Timeline
    camera : Camera
    overlays : Mapping[str, bool]
        Scene-wide overlay switches (panels can override).
    captions : tuple of Caption
    magnification : float
        Display factor of every panel without its own.
    theme : str
        ``default`` or ``projector``.
    output : Output
    path : str
        The file it came from ("" when built in Python).
    anatomy : AnatomySpec or None
        Anatomy of every panel without its own (:mod:`pelvisim.anatomy.sources`); None = bundled.
    """

    title: str
    panels: tuple[PanelSpec, ...]
    timeline: Timeline = field(default_factory=Timeline)
    camera: Camera = field(default_factory=Camera)
    overlays: Mapping[str, bool] = field(default_factory=lambda: dict(DEFAULT_OVERLAYS))
    captions: tuple[Caption, ...] = ()
    magnification: float = 1.0
    theme: str = "default"
    output: Output = field(default_factory=Output)
    subtitle: str = ""
    sources: str = ""
    path: str = ""
    anatomy: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "overlays", _frozen_map(self.overlays))

    @property
    def name(self) -> str:
        """File stem of the scene (``""`` when built in Python)."""
        return Path(self.path).stem if self.path else ""

    @property
    def duration_s(self) -> float:
        """Timeline length in seconds (title card excluded)."""
        return self.timeline.duration_s

    def panel_magnification(self, index: int) -> float:
        """Display factor of panel ``index``."""
        m = self.panels[index].magnification
        return self.magnification if m is None else m

    def panel_anatomy(self, index: int) -> Any:
        """Anatomy spec of panel ``index``: its own, else the scene's, else the bundled mean."""
        from pelvisim.anatomy.sources import BUNDLED

        spec = self.panels[index].anatomy
        if spec is None:
            spec = self.anatomy
        return BUNDLED if spec is None else spec

    def panel_overlays(self, index: int) -> dict[str, bool]:
        """Every overlay switch of panel ``index`` (scene defaults, then the panel's)."""
        out = {name: False for name in OVERLAY_NAMES}
        out.update(self.overlays)
        out.update(self.panels[index].overlays)
        return out

    def parameters_at(self, index: int, time_s: float) -> dict[str, Any]:
        """Parameters of panel ``index`` at ``time_s`` (keyframes applied)."""
        values = dict(self.panels[index].parameters)
        if self.timeline.kind != "keyframes":
            return values
        frames_for_panel = [k for k in self.timeline.keyframes if k.panels is None or index in k.panels]
        for key, base in list(values.items()):
            track = [(k.time_s, k.hold_s, k.parameters[key]) for k in frames_for_panel if key in k.parameters]
            if track:
                interpolation = "step" if isinstance(base, str) else self.timeline.interpolation
                values[key] = _interpolate(track, time_s, interpolation, base)
        return values

    def phase_at(self, time_s: float) -> float:
        """Gait phase at ``time_s``."""
        return self.timeline.phase_at(time_s)

    def captions_at(self, time_s: float) -> list[str]:
        """Texts of the captions visible at ``time_s``."""
        return [c.text for c in self.captions if c.visible(time_s)]

    def joint_state(self, anatomy: Any, index: int, time_s: float) -> Any:
        """True-scale :class:`~pelvisim.pose.JointState` of panel ``index`` at ``time_s``."""
        from pelvisim.models import get_model

        model = get_model(self.panels[index].model)
        return model.joint_state(anatomy, self.parameters_at(index, time_s), self.phase_at(time_s))

    def with_overrides(
        self,
        *,
        cycles: float | None = None,
        magnification: float | None = None,
        size: str | None = None,
        fps: int | None = None,
        quality: str | None = None,
        title_card_s: float | None = None,
    ) -> Scene:
        """A copy with command-line overrides applied (validated like the file's values)."""
        scene = self
        if cycles is not None:
            if not (math.isfinite(cycles) and cycles > 0):
                raise ParameterError(f"cycles must be a number > 0, got {cycles!r}")
            if scene.timeline.kind != "gait":
                raise ParameterError(f"--cycles needs a gait timeline; scene {scene.name or scene.title!r} has kind {scene.timeline.kind!r}")
            scene = replace(scene, timeline=replace(scene.timeline, cycles=float(cycles)))
        if magnification is not None:
            if not (math.isfinite(magnification) and magnification > 0):
                raise ParameterError(f"magnification must be a number > 0, got {magnification!r}")
            panels = tuple(replace(p, magnification=None) for p in scene.panels)
            scene = replace(scene, magnification=float(magnification), panels=panels)
        output = scene.output
        if size is not None:
            parse_size(size)
            output = replace(output, size=size)
        if fps is not None:
            if not (1 <= int(fps) <= 120):
                raise ParameterError(f"fps must be an integer from 1 to 120, got {fps!r}")
            output = replace(output, fps=int(fps))
        if quality is not None:
            if quality not in QUALITIES:
                raise ParameterError(f"quality must be one of {', '.join(QUALITIES)}, got {quality!r}")
            output = replace(output, quality=quality)
        if title_card_s is not None:
            output = replace(output, title_card_s=max(0.0, float(title_card_s)))
        return replace(scene, output=output)


def _smooth(u: float) -> float:
    return u * u * (3.0 - 2.0 * u)


def _interpolate(track: Sequence[tuple[float, float, Any]], t: float, interpolation: str, before: Any) -> Any:
    """Value at ``t`` of a keyframe track ``[(time_s, hold_s, value), ...]`` sorted by time."""
    track = sorted(track, key=lambda k: k[0])
    if t < track[0][0]:
        return track[0][2] if not isinstance(before, str) else track[0][2]
    for (t0, h0, v0), (t1, _, v1) in zip(track, track[1:]):
        if t < t1:
            if t <= t0 + h0 or isinstance(v0, str) or interpolation == "step":
                return v0
            u = (t - t0 - h0) / max(t1 - t0 - h0, 1e-12)
            if interpolation == "smooth":
                u = _smooth(u)
            return float(v0) + (float(v1) - float(v0)) * u
    return track[-1][2]


# --- locating keys in the TOML text ----------------------------------------------------------
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_key(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in text.split(".")]


def key_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Map each key path (``("panels", 0, "model")``) to its 1-based line in a TOML text.

    A simple scanner for the subset scene files use (tables, arrays of tables, dotted keys, one-line
    inline tables); keys inside an inline table map to the line of the table's key.
    """
    lines: dict[tuple[Any, ...], int] = {}
    counts: dict[tuple[str, ...], int] = {}
    current: tuple[Any, ...] = ()

    def resolve(names: Sequence[str]) -> tuple[Any, ...]:
        out: list[Any] = []
        for i in range(len(names)):
            out.append(names[i])
            prefix = tuple(names[: i + 1])
            if prefix in counts:
                out.append(counts[prefix] - 1)
        return tuple(out)

    depth = 0  # inside a multi-line array or string: skip key detection
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if '"' not in raw and "'" not in raw else raw
        if depth > 0:
            depth += line.count("[") - line.count("]")
            continue
        header = _HEADER.match(raw)
        if header and "=" not in raw.split("]")[0]:
            names = _split_key(header.group(2))
            if header.group(1) == "[[":
                counts[tuple(names)] = counts.get(tuple(names), 0) + 1
            current = resolve(names)
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            path = current + tuple(_split_key(key.group(1)))
            lines.setdefault(path, number)
            rest = line.split("=", 1)[1]
            inline = re.findall(r"([A-Za-z0-9_]+)\s*=", rest)
            for name in inline:
                lines.setdefault(path + (name,), number)
            depth = max(0, rest.count("[") - rest.count("]"))
    return lines


class _Where:
    """Builds SceneError messages with file:line and the key path."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)

    def line(self, keys: Sequence[Any]) -> int | None:
        keys = tuple(keys)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return None

    @staticmethod
    def key_text(keys: Sequence[Any]) -> str:
        out = ""
        for k in keys:
            out += f"[{k + 1}]" if isinstance(k, int) else (f".{k}" if out else str(k))
        return out

    def error(self, keys: Sequence[Any], message: str) -> SceneError:
        line = self.line(keys)
        where = f"{self.path}:{line}" if line is not None else self.path
        key = self.key_text(keys)
        return SceneError(f"{where}: {key}: {message}" if key else f"{where}: {message}")


# --- validation helpers ----------------------------------------------------------------------
def _check_keys(where: _Where, table: Mapping[str, Any], keys: Sequence[Any], allowed: Sequence[str]) -> None:
    import difflib

    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise where.error((*keys, key), f"unknown key. Expected one of: {', '.join(allowed)}.{hint}")


def _number(where: _Where, value: Any, keys: Sequence[Any], *, minimum: float | None = None, maximum: float | None = None,
            exclusive_minimum: bool = False, what: str = "a number") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise where.error(keys, f"expected {what}, got {value!r}")
    v = float(value)
    if minimum is not None and (v <= minimum if exclusive_minimum else v < minimum):
        bound = f"> {minimum:g}" if exclusive_minimum else f">= {minimum:g}"
        raise where.error(keys, f"expected {what} {bound}, got {value!r}")
    if maximum is not None and v > maximum:
        raise where.error(keys, f"expected {what} <= {maximum:g}, got {value!r}")
    return v


def _string(where: _Where, value: Any, keys: Sequence[Any], choices: Sequence[str] | None = None) -> str:
    if not isinstance(value, str):
        raise where.error(keys, f"expected a string, got {value!r}")
    if choices is not None and value not in choices:
        import difflib

        close = difflib.get_close_matches(value, list(choices), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise where.error(keys, f"expected one of {', '.join(choices)}, got {value!r}.{hint}")
    return value


def _bool(where: _Where, value: Any, keys: Sequence[Any]) -> bool:
    if not isinstance(value, bool):
        raise where.error(keys, f"expected true or false, got {value!r}")
    return value


def _table(where: _Where, value: Any, keys: Sequence[Any]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise where.error(keys, f"expected a table, got {value!r}")
    return value


def _vector(where: _Where, value: Any, keys: Sequence[Any]) -> tuple[float, float, float]:
    if not isinstance(value, list) or len(value) != 3:
        raise where.error(keys, f"expected a list of 3 numbers [x, y, z], got {value!r}")
    return tuple(_number(where, v, keys) for v in value)  # type: ignore[return-value]


def _overlays(where: _Where, value: Any, keys: Sequence[Any]) -> dict[str, bool]:
    table = _table(where, value, keys)
    _check_keys(where, table, keys, OVERLAY_NAMES)
    return {k: _bool(where, v, (*keys, k)) for k, v in table.items()}


# --- parsing ---------------------------------------------------------------------------------
TOP_KEYS = ("title", "subtitle", "sources", "magnification", "theme", "panels", "timeline", "camera", "overlays", "captions", "output",
            "anatomy")
PANEL_KEYS = ("model", "parameters", "label", "magnification", "overlays", "anatomy")
TIMELINE_KEYS = ("kind", "cycles", "seconds_per_cycle", "start_phase", "phase", "keyframes", "interpolation", "still_s")
KEYFRAME_KEYS = ("time_s", "hold_s", "parameters", "panels", "phase")
CAMERA_KEYS = ("view", "position_mm", "focal_point_mm", "up", "zoom", "orbit_deg")
CAPTION_KEYS = ("text", "start_s", "end_s")
OUTPUT_KEYS = ("size", "fps", "quality", "title_card_s", "still_time_s")


def _resolve_parameters(where: _Where, model_name: str, values: Mapping[str, Any], keys: Sequence[Any]) -> dict[str, Any]:
    from pelvisim.models import get_model

    model = get_model(model_name)
    for key in values:
        try:
            model.parameter(key)
        except ParameterError as error:
            raise where.error((*keys, key), str(error)) from None
    for key, value in values.items():
        try:
            model.parameter(key).validate(value, f"model {model_name!r}")
        except ParameterError as error:
            raise where.error((*keys, key), str(error)) from None
    return model.resolve(values)


def _parse_panel(where: _Where, value: Any, index: int) -> PanelSpec:
    from pelvisim.models import get_model

    keys = ("panels", index)
    table = _table(where, value, keys)
    _check_keys(where, table, keys, PANEL_KEYS)
    if "model" not in table:
        raise where.error(keys, "missing key 'model' (a model name, see `pelvisim models`)")
    model_name = _string(where, table["model"], (*keys, "model"))
    try:
        model = get_model(model_name)
    except ParameterError as error:
        raise where.error((*keys, "model"), str(error)) from None
    parameters = _table(where, table.get("parameters", {}), (*keys, "parameters"))
    resolved = _resolve_parameters(where, model_name, parameters, (*keys, "parameters"))
    magnification = None
    if "magnification" in table:
        magnification = _number(where, table["magnification"], (*keys, "magnification"), minimum=0.0, exclusive_minimum=True, maximum=1000.0)
    overlays = _overlays(where, table.get("overlays", {}), (*keys, "overlays"))
    label = _string(where, table.get("label", model.title), (*keys, "label"))
    return PanelSpec(model=model_name, parameters=resolved, label=label, magnification=magnification, overlays=overlays)


def _parse_timeline(where: _Where, value: Any, panels: Sequence[PanelSpec]) -> Timeline:
    keys: tuple[Any, ...] = ("timeline",)
    table = _table(where, value, keys)
    _check_keys(where, table, keys, TIMELINE_KEYS)
    kind = _string(where, table.get("kind", "gait"), (*keys, "kind"), TIMELINE_KINDS)
    t = Timeline(
        kind=kind,
        cycles=_number(where, table.get("cycles", 1.0), (*keys, "cycles"), minimum=0.0, exclusive_minimum=True, maximum=100.0),
        seconds_per_cycle=_number(where, table.get("seconds_per_cycle", 4.0), (*keys, "seconds_per_cycle"), minimum=0.0,
                                  exclusive_minimum=True, maximum=600.0, what="seconds"),
        start_phase=_number(where, table.get("start_phase", 0.0), (*keys, "start_phase"), minimum=0.0, maximum=0.999999, what="a phase in [0, 1)"),
        phase=_number(where, table.get("phase", 0.0), (*keys, "phase"), minimum=0.0, maximum=0.999999, what="a phase in [0, 1)"),
        interpolation=_string(where, table.get("interpolation", "smooth"), (*keys, "interpolation"), INTERPOLATIONS),
        still_s=_number(where, table.get("still_s", 3.0), (*keys, "still_s"), minimum=0.0, exclusive_minimum=True, maximum=3600.0, what="seconds"),
    )
    raw_keyframes = table.get("keyframes", [])
    if not isinstance(raw_keyframes, list):
        raise where.error((*keys, "keyframes"), "expected an array of tables [[timeline.keyframes]]")
    if kind == "keyframes" and not raw_keyframes:
        raise where.error((*keys, "kind"), "a keyframes timeline needs at least one [[timeline.keyframes]]")
    if kind != "keyframes" and raw_keyframes:
        raise where.error((*keys, "keyframes"), f"keyframes need kind = \"keyframes\", got kind = {kind!r}")
    keyframes = []
    previous_end = -math.inf
    for i, raw in enumerate(raw_keyframes):
        kkeys = (*keys, "keyframes", i)
        ktable = _table(where, raw, kkeys)
        _check_keys(where, ktable, kkeys, KEYFRAME_KEYS)
        if "time_s" not in ktable:
            raise where.error(kkeys, "missing key 'time_s' (seconds from the start of the timeline)")
        time_s = _number(where, ktable["time_s"], (*kkeys, "time_s"), minimum=0.0, what="seconds")
        hold_s = _number(where, ktable.get("hold_s", 0.0), (*kkeys, "hold_s"), minimum=0.0, what="seconds")
        if time_s < previous_end - 1e-9:
            raise where.error((*kkeys, "time_s"), f"expected a time >= {previous_end:g} s (the previous keyframe's time + hold), got {time_s:g}")
        previous_end = time_s + hold_s
        panel_indices: tuple[int, ...] | None = None
        if "panels" in ktable:
            raw_panels = ktable["panels"]
            if not isinstance(raw_panels, list) or not raw_panels:
                raise where.error((*kkeys, "panels"), f"expected a list of panel numbers from 1 to {len(panels)}, got {raw_panels!r}")
            panel_indices = tuple(
                int(_number(where, p, (*kkeys, "panels"), minimum=1, maximum=len(panels), what=f"a panel number from 1 to {len(panels)}")) - 1
                for p in raw_panels
            )
        parameters = _table(where, ktable.get("parameters", {}), (*kkeys, "parameters"))
        for index in panel_indices if panel_indices is not None else range(len(panels)):
            merged = {**panels[index].parameters, **parameters}
            _resolve_parameters(where, panels[index].model, {k: merged[k] for k in parameters} if parameters else {}, (*kkeys, "parameters"))
        phase = None
        if "phase" in ktable:
            phase = _number(where, ktable["phase"], (*kkeys, "phase"), minimum=0.0, maximum=1.0, what="a phase in [0, 1]")
        keyframes.append(Keyframe(time_s=time_s, hold_s=hold_s, parameters=dict(parameters), panels=panel_indices, phase=phase))
    return replace(t, keyframes=tuple(keyframes))


def _parse_camera(where: _Where, value: Any) -> Camera:
    keys: tuple[Any, ...] = ("camera",)
    table = _table(where, value, keys)
    _check_keys(where, table, keys, CAMERA_KEYS)
    explicit = [k for k in ("position_mm", "focal_point_mm", "up") if k in table]
    if explicit and len(explicit) != 3:
        missing = [k for k in ("position_mm", "focal_point_mm", "up") if k not in table]
        raise where.error((*keys, explicit[0]), f"an explicit camera needs position_mm, focal_point_mm and up; missing {', '.join(missing)}")
    return Camera(
        view=_string(where, table.get("view", "anterior"), (*keys, "view"), VIEWS),
        position_mm=_vector(where, table["position_mm"], (*keys, "position_mm")) if explicit else None,
        focal_point_mm=_vector(where, table["focal_point_mm"], (*keys, "focal_point_mm")) if explicit else None,
        up=_vector(where, table["up"], (*keys, "up")) if explicit else None,
        zoom=_number(where, table.get("zoom", 1.0), (*keys, "zoom"), minimum=0.0, exclusive_minimum=True, maximum=20.0),
        orbit_deg=_number(where, table.get("orbit_deg", 0.0), (*keys, "orbit_deg"), minimum=-3600.0, maximum=3600.0, what="degrees"),
    )


def _parse_captions(where: _Where, value: Any) -> tuple[Caption, ...]:
    if not isinstance(value, list):
        raise where.error(("captions",), "expected an array of tables [[captions]]")
    out = []
    for i, raw in enumerate(value):
        keys = ("captions", i)
        table = _table(where, raw, keys)
        _check_keys(where, table, keys, CAPTION_KEYS)
        if "text" not in table:
            raise where.error(keys, "missing key 'text'")
        start = _number(where, table.get("start_s", 0.0), (*keys, "start_s"), minimum=0.0, what="seconds")
        end = _number(where, table["end_s"], (*keys, "end_s"), minimum=0.0, what="seconds") if "end_s" in table else math.inf
        if end <= start:
            raise where.error((*keys, "end_s"), f"expected end_s > start_s = {start:g}, got {end:g}")
        out.append(Caption(text=_string(where, table["text"], (*keys, "text")).strip(), start_s=start, end_s=end))
    return tuple(out)


def _parse_output(where: _Where, value: Any) -> Output:
    keys: tuple[Any, ...] = ("output",)
    table = _table(where, value, keys)
    _check_keys(where, table, keys, OUTPUT_KEYS)
    size = table.get("size", "720p")
    if not isinstance(size, str):
        raise where.error((*keys, "size"), f"expected a string such as \"720p\", \"1080p\", \"4k\" or \"1280x720\", got {size!r}")
    try:
        parse_size(size)
    except ParameterError as error:
        raise where.error((*keys, "size"), str(error)) from None
    fps = table.get("fps", 30)
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 120:
        raise where.error((*keys, "fps"), f"expected an integer from 1 to 120 (frames per second), got {fps!r}")
    return Output(
        size=size,
        fps=fps,
        quality=_string(where, table.get("quality", "draft"), (*keys, "quality"), QUALITIES),
        title_card_s=_number(where, table.get("title_card_s", 2.0), (*keys, "title_card_s"), minimum=0.0, maximum=60.0, what="seconds"),
        still_time_s=_number(where, table.get("still_time_s", 0.0), (*keys, "still_time_s"), minimum=0.0, what="seconds"),
    )


def _anatomy(where: _Where, value: Any, keys: Sequence[Any], base_dir: str | Path | None) -> Any:
    """An ``anatomy`` value: "bundled", a folder (relative to the scene file), {subject = N} or {modes = {...}}."""
    from pelvisim.anatomy.sources import spec_from_value

    try:
        return spec_from_value(value, base_dir)
    except ParameterError as error:
        raise where.error(keys, str(error)) from None


def parse(text: str, path: str = "<scene>", base_dir: str | Path | None = None) -> Scene:
    """Validate a scene from TOML ``text``; ``path`` is used in error messages.

    ``base_dir`` is where folders named by ``anatomy`` keys are looked up (default: the current folder).

    Raises
    ------
    SceneError
        With ``path:line: key: what was expected, what was got``.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            message = message[: match.start()].strip()
            raise SceneError(f"{path}:{match.group(1)}: invalid TOML: {message} (column {match.group(2)})") from None
        line = len(text.splitlines()) if "end of document" in message else None
        where = f"{path}:{line}" if line else path
        raise SceneError(f"{where}: invalid TOML: {message}") from None
    where = _Where(path, text)
    _check_keys(where, data, (), TOP_KEYS)
    if "title" not in data:
        raise where.error((), "missing key 'title' (a string shown on the title card)")
    raw_panels = data.get("panels")
    if not isinstance(raw_panels, list) or not raw_panels:
        raise where.error(("panels",), f"expected 1 to {MAX_PANELS} [[panels]] tables, each with a model")
    if len(raw_panels) > MAX_PANELS:
        raise where.error(("panels", MAX_PANELS), f"expected at most {MAX_PANELS} panels, got {len(raw_panels)}")
    panels = tuple(_parse_panel(where, p, i) for i, p in enumerate(raw_panels))
    panels = tuple(replace(p, anatomy=_anatomy(where, raw["anatomy"], ("panels", i, "anatomy"), base_dir))
                   if isinstance(raw, Mapping) and "anatomy" in raw else p for i, (p, raw) in enumerate(zip(panels, raw_panels)))
    magnification = _number(where, data.get("magnification", 1.0), ("magnification",), minimum=0.0, exclusive_minimum=True,
                            maximum=1000.0, what="a display factor")
    overlays = dict(DEFAULT_OVERLAYS)
    overlays.update(_overlays(where, data.get("overlays", {}), ("overlays",)))
    return Scene(
        title=_string(where, data["title"], ("title",)),
        subtitle=_string(where, data.get("subtitle", ""), ("subtitle",)),
        sources=_string(where, data.get("sources", ""), ("sources",)),
        panels=panels,
        timeline=_parse_timeline(where, data.get("timeline", {}), panels),
        camera=_parse_camera(where, data.get("camera", {})),
        overlays=overlays,
        captions=_parse_captions(where, data.get("captions", [])),
        magnification=magnification,
        theme=_string(where, data.get("theme", "default"), ("theme",), THEMES),
        output=_parse_output(where, data.get("output", {})),
        path=path,
        anatomy=_anatomy(where, data["anatomy"], ("anatomy",), base_dir) if "anatomy" in data else None,
    )


# --- files and bundled scenes ----------------------------------------------------------------
def bundled_scene_names() -> list[str]:
    """Names of the scenes shipped with pelvisim (``pelvisim scene list``)."""
    folder = resources.files("pelvisim") / "scenes"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def find_scene(name_or_path: str | Path) -> Path:
    """The file of a scene given as a path or as the name of a bundled scene.

    Raises
    ------
    SceneError
        When it is neither an existing file nor a bundled scene name (the names are listed).
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    stem = path.name[:-5] if path.name.endswith(".toml") else path.name
    if str(path) == path.name or str(path) == f"{stem}.toml":
        candidate = Path(str(resources.files("pelvisim") / "scenes" / f"{stem}.toml"))
        if candidate.is_file():
            return candidate
    names = ", ".join(bundled_scene_names())
    raise SceneError(f"{name_or_path}: no such scene file, and not a bundled scene. Bundled scenes: {names}")


def load(name_or_path: str | Path) -> Scene:
    """Read and validate a scene file, or a bundled scene by name (e.g. ``"flagship"``)."""
    path = find_scene(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SceneError(f"{path}: cannot read the scene file ({error})") from None
    display = str(name_or_path) if Path(name_or_path).is_file() else f"{path.stem}.toml (bundled)"
    scene = parse(text, display, base_dir=path.parent)
    return replace(scene, path=str(path)) if display.endswith("(bundled)") else scene


# --- frame times and tables ------------------------------------------------------------------
def frame_times(scene: Scene, fps: int | None = None, start_s: float | None = None, end_s: float | None = None) -> list[float]:
    """Timeline times of the frames of a video, ``start_s + k / fps`` (never the wall clock).

    There are ``round((end_s - start_s) * fps)`` frames; ``end_s`` defaults to the timeline end.
    """
    fps = int(fps or scene.output.fps)
    start = 0.0 if start_s is None else float(start_s)
    end = scene.duration_s if end_s is None else float(end_s)
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        raise ParameterError(f"expected 0 <= start < end (seconds), got start={start:g}, end={end:g}")
    n = max(1, int(round((end - start) * fps)))
    return [start + k / fps for k in range(n)]


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[prefix] = float(value)


def table_rows(scene: Scene, anatomy: Any = None, times_s: Sequence[float] | None = None) -> Iterator[dict[str, Any]]:
    """Rows of the export table: per time and panel, the phase, landmark positions and descriptors.

    ``anatomy`` is used for every panel; None gives each panel its own (:meth:`Scene.panel_anatomy`).

    Each row has ``time_s``, ``phase``, ``panel`` (1-based), ``label``, ``model``, then
    ``<landmark>.x_mm`` … for every landmark the descriptors report and every numeric descriptor
    (``innominate_left.inflare_deg`` …). Values are true scale.
    """
    from pelvisim.descriptors import describe

    from pelvisim.anatomy.sources import load as load_anatomy_spec

    times = frame_times(scene) if times_s is None else list(times_s)
    anatomies = [anatomy if anatomy is not None else load_anatomy_spec(scene.panel_anatomy(i)) for i in range(len(scene.panels))]
    for t in times:
        for index, panel in enumerate(scene.panels):
            state = scene.joint_state(anatomies[index], index, t)
            d = describe(anatomies[index], state)
            row: dict[str, Any] = {"time_s": round(float(t), 6), "phase": round(scene.phase_at(t), 6), "panel": index + 1,
                                   "label": panel.label, "model": panel.model}
            for name, entry in d.landmarks.items():
                for axis, v in zip(("x", "y", "z"), entry["position_mm"]):
                    row[f"{name}.{axis}_mm"] = float(v)
            numbers: dict[str, Any] = {}
            _flatten("", d.to_dict()["descriptors"], numbers)
            row.update({k: v for k, v in numbers.items() if ".landmark_shifts." not in k})
            yield row


def write_table(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write rows as CSV atomically (temporary file, then rename)."""
    import os

    path = Path(path)
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    temporary = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path
