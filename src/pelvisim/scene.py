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

OVERLAY_NAMES = ("ghost", "landmarks", "axes", "colour_map", "trails", "palpation", "femurs", "descriptors", "arrows",
                 "tissue", "loads")
"""Overlay keys of the ``[overlays]`` table (same names as :data:`pelvisim.view.OVERLAYS`)."""

DEFAULT_OVERLAYS = {"landmarks": True, "descriptors": True}
VIEWS = ("anterior", "posterior", "superior", "inferior", "left", "right")
"""Anatomical camera presets, in button order (the app and the panels use this list too)."""
LESSON_VIEWS = ("posterior_superior", "sagittal_left", "sagittal_right", "medial_left", "medial_right",
                "left_hemipelvis", "right_hemipelvis")
"""Views made for one lesson each (``pelvisim.view.camera.VIEW_PRESETS`` says what each shows):
from behind and above; a sagittal cut-away seen from one side (the near innominate removed, the
sacrum cut at the midline); one SIJ seen from inside the pelvis; one hemipelvis from the side (the
far innominate hidden)."""
CAMERA_VIEWS = VIEWS + LESSON_VIEWS
"""Every view a scene's ``[camera]`` or a panel's ``view`` accepts."""
COLOUR_MAP_FRAMES = ("sacrum", "pelvis")
"""Frames the displacement colour map is measured in: relative to the sacrum (default) or in the pelvic frame."""
ARROW_SCALE = 20.0
"""Default length factor of the displacement arrows (bones stay at the panel's magnification)."""
MIN_CAPTION_S_PER_WORD = 0.3
"""A caption should stay on screen at least this long per word (200 words a minute; subtitle
guidelines such as the BBC's aim at 160–180)."""

READOUTS: Mapping[str, tuple[str, str]] = MappingProxyType({
    **{f"innominate_{side}.{key}": (f"{side[0].upper()} innominate {words} (vs sacrum)", unit)
       for side in ("left", "right")
       for key, words, unit in (("anterior_rotation_deg", "anterior rotation", "°"), ("inflare_deg", "inflare", "°"),
                                ("frontal_rotation_deg", "lateral tilt", "°"), ("upslip_mm", "upslip", "mm"),
                                ("anterior_translation_mm", "anterior glide", "mm"),
                                ("medial_translation_mm", "medial glide", "mm"),
                                ("pubic_superior_mm", "pubis up", "mm"))},
    **{f"innominate_{side}.{frame}.{key}": (f"{side[0].upper()} innominate {words} ({words_frame})", unit)
       for side in ("left", "right")
       for frame, words_frame in (("relative_to_sacrum", "vs sacrum"), ("in_body_frame", "body frame"))
       for key, words, unit in (("anterior_rotation_deg", "anterior rotation", "°"), ("inflare_deg", "inflare", "°"),
                                ("frontal_rotation_deg", "lateral tilt", "°"), ("upslip_mm", "upslip", "mm"))},
    "sacrum.nutation_deg": ("sacrum nutation (own motion)", "°"),
    "sacrum.rotation_left_deg": ("sacrum turned left (own motion)", "°"),
    "sacrum.sidebend_left_deg": ("sacrum side-bent left (own motion)", "°"),
    "sacrum.unilateral_flexion_left_deg": ("sacrum L unilateral flexion (own motion)", "°"),
    "sacrum.unilateral_flexion_right_deg": ("sacrum R unilateral flexion (own motion)", "°"),
    "sacrum.left_half_inferior_mm": ("sacrum left half down (own motion)", "mm"),
    "sacrum.right_half_inferior_mm": ("sacrum right half down (own motion)", "mm"),
    "sacrum.torsion.angle_deg": ("sacral torsion (own motion)", "°"),
    "ring.symphysis_vertical_shear_mm": ("symphysis: R pubis up vs L", "mm"),
    "ring.symphysis_sagittal_shift_mm": ("symphysis: R pubis forward vs L", "mm"),
    "ring.symphysis_gap_change_mm": ("symphysis gap opening", "mm"),
})
"""Numbers a panel's compact readout can show: descriptor path -> (label naming its reference frame, unit).

A path is read attribute by attribute from :func:`pelvisim.descriptors.describe`'s result
(``innominate_left.inflare_deg``). Innominate numbers are relative to the sacrum (also under
``relative_to_sacrum``) or in the body frame (``in_body_frame``); the sacrum's are its own motion
(the account of the pose with the least total bone motion); the symphysis is the right pubis
relative to the left."""

DEFAULT_READOUTS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "neutral": (),
    "nutation": ("sacrum.nutation_deg",),
    "innominate_rotation": ("innominate_left.anterior_rotation_deg", "innominate_right.anterior_rotation_deg",
                            "ring.symphysis_vertical_shear_mm"),
    "flare": ("innominate_left.inflare_deg", "innominate_right.inflare_deg"),
    "shear": ("innominate_left.upslip_mm", "innominate_right.upslip_mm"),
    "pubic_shear": ("ring.symphysis_vertical_shear_mm", "innominate_left.pubic_superior_mm",
                    "innominate_right.pubic_superior_mm"),
    "sacral_torsion": ("sacrum.torsion.angle_deg", "sacrum.nutation_deg", "sacrum.rotation_left_deg"),
    "unilateral_sacral_flexion": ("sacrum.unilateral_flexion_left_deg", "sacrum.unilateral_flexion_right_deg",
                                  "sacrum.left_half_inferior_mm"),
    "twisted_shifted_sacrum": ("sacrum.left_half_inferior_mm", "sacrum.right_half_inferior_mm",
                               "sacrum.rotation_left_deg"),
    "sacral_rotation": ("sacrum.rotation_left_deg", "innominate_left.inflare_deg", "innominate_left.in_body_frame.inflare_deg",
                        "innominate_right.inflare_deg"),
    "multifidus_imbalance": ("sacrum.rotation_left_deg", "innominate_left.inflare_deg",
                             "innominate_left.in_body_frame.inflare_deg"),
    "gait": ("innominate_left.anterior_rotation_deg", "innominate_right.anterior_rotation_deg",
             "sacrum.nutation_deg", "sacrum.rotation_left_deg"),
    "mitchell_gait": ("sacrum.torsion.angle_deg", "innominate_left.anterior_rotation_deg",
                      "innominate_right.anterior_rotation_deg"),
    "soft_tissue": ("innominate_left.anterior_rotation_deg", "innominate_right.anterior_rotation_deg",
                    "sacrum.nutation_deg", "sacrum.rotation_left_deg"),
})
"""Compact-readout numbers of each model when its panel names none (at most :data:`MAX_READOUTS`)."""
MAX_READOUTS = 4
"""Numbers in a panel's compact readout at most (the full table is in the app and ``describe``)."""
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
"""Named output sizes, written exactly (an odd WxH is rounded to even numbers, which H.264 needs)."""
MAX_PIXELS = 3840 * 2160
"""Largest frame: 4k (8.3 megapixels). A 7680x7680 frame needed 3.1 GB to render."""
QUALITIES = ("draft", "final")
TIMELINE_KINDS = ("gait", "keyframes", "still")
INTERPOLATIONS = ("smooth", "linear", "step")
THEMES = ("default", "projector")
MAX_PANELS = 4
MAX_DURATION_S = 600.0
"""Longest timeline a scene may have (10 minutes of video; title card excluded)."""
MAX_MAGNIFICATION = 1000.0
"""Largest display factor (scene files and the command line alike)."""
MAX_TITLE_CARD_S = 60.0
MAX_SCENE_CHARS = 200_000
"""Largest scene file (the bundled ones are 1–2 kB; a file of hundreds of keyframes is ~50 kB)."""
MAX_KEYFRAMES = 1000
MAX_CAPTIONS = 200
MAX_COORDINATE_MM = 10_000.0
"""Explicit camera coordinates stay within 10 m of the pelvis."""
TEXT_LIMITS = {"title": 200, "subtitle": 300, "sources": 2000, "label": 120, "text": 1000}
"""Longest strings, characters (the bundled scenes use at most 39, 65, 188, 36 and 215)."""


# --- sizes -----------------------------------------------------------------------------------
def parse_size(text: str | Sequence[int]) -> tuple[int, int]:
    """``"720p"``, ``"1080p"``, ``"4k"`` or ``"WxH"`` to (width, height), pixels.

    Sizes are kept as given except that odd numbers are rounded down to even ones (H.264 video
    needs even sizes): ``"1080p"`` is exactly 1920x1080.

    Raises
    ------
    ParameterError
        For anything else, sides below 64 or above 7680 pixels, or more than 4k's 8.3 megapixels.
    """
    if isinstance(text, str):
        key = text.strip().lower()
        if key in SIZES:
            w, h = SIZES[key]
        else:
            match = re.fullmatch(r"(\d{1,6})\s*[x×]\s*(\d{1,6})", key)
            if not match:
                raise ParameterError(f"size must be 720p, 1080p, 4k or WIDTHxHEIGHT (e.g. 1280x720), got {_shown(text)}")
            w, h = int(match.group(1)), int(match.group(2))
    else:
        try:
            w, h = (int(v) for v in text)
        except (TypeError, ValueError):
            raise ParameterError(f"size must be 720p, 1080p, 4k or WIDTHxHEIGHT, got {_shown(text)}") from None
    if not (64 <= w <= 7680 and 64 <= h <= 7680):
        raise ParameterError(f"size must be between 64 and 7680 pixels on each side, got {w}x{h}")
    if w * h > MAX_PIXELS:
        raise ParameterError(f"size must be at most {MAX_PIXELS / 1e6:.1f} megapixels (4k, 3840x2160), got {w}x{h} "
                             f"({w * h / 1e6:.1f} megapixels)")
    return w - w % 2, h - h % 2


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
    view : str or None
        This panel's camera view (one of :data:`CAMERA_VIEWS`); None uses the scene's ``[camera]``.
    readouts : tuple of str or None
        Keys of :data:`READOUTS` shown in the panel's compact readout; None uses the model's defaults.
    anatomy : AnatomySpec or None
        This panel's anatomy (:mod:`pelvisim.anatomy.sources`); None uses the scene's.
    """

    model: str
    parameters: Mapping[str, Any]
    label: str = ""
    magnification: float | None = None
    overlays: Mapping[str, bool] = field(default_factory=dict)
    view: str | None = None
    readouts: tuple[str, ...] | None = None
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
                return float(_interpolate(track, time_s, self.interpolation)) % 1.0
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
    title_card_s: float = 1.5
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
    arrow_scale : float
        Length factor of the ``arrows`` overlay (landmark displacement × this, bones unchanged).
    colour_map_frame : str
        ``"sacrum"``: the colour map shows each innominate's displacement relative to the sacrum;
        ``"pelvis"``: each bone's displacement in the pelvic frame.
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
    arrow_scale: float = ARROW_SCALE
    colour_map_frame: str = "sacrum"
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

    def panel_view(self, index: int) -> str:
        """Camera view of panel ``index``: its own ``view``, else the scene's ``[camera] view``."""
        return self.panels[index].view or self.camera.view

    def panel_readouts(self, index: int) -> tuple[str, ...]:
        """Compact-readout keys of panel ``index``: its own ``readouts``, else its model's defaults."""
        own = self.panels[index].readouts
        return tuple(own) if own is not None else DEFAULT_READOUTS.get(self.panels[index].model, ())

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
                values[key] = _interpolate(track, time_s, interpolation)
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
            if not (math.isfinite(cycles) and 0 < cycles <= 100):
                raise ParameterError(f"cycles must be a number in (0, 100], got {cycles!r}")
            if scene.timeline.kind != "gait":
                raise ParameterError(f"--cycles needs a gait timeline; scene {scene.name or scene.title!r} has kind {scene.timeline.kind!r}")
            timeline = replace(scene.timeline, cycles=float(cycles))
            if timeline.duration_s > MAX_DURATION_S:
                raise ParameterError(f"--cycles {cycles:g} makes the video {timeline.duration_s:g} s long "
                                     f"({timeline.seconds_per_cycle:g} s per cycle); at most {MAX_DURATION_S:g} s")
            scene = replace(scene, timeline=timeline)
        if magnification is not None:
            check_magnification(magnification)
            panels = tuple(replace(p, magnification=None) for p in scene.panels)
            scene = replace(scene, magnification=float(magnification), panels=panels)
        output = scene.output
        if size is not None:
            parse_size(size)
            output = replace(output, size=size)
        if fps is not None:
            if not _is_fps(fps):
                raise ParameterError(f"fps must be an integer from 1 to 120, got {fps!r}")
            output = replace(output, fps=int(fps))
        if quality is not None:
            if quality not in QUALITIES:
                raise ParameterError(f"quality must be one of {', '.join(QUALITIES)}, got {quality!r}")
            output = replace(output, quality=quality)
        if title_card_s is not None:
            if isinstance(title_card_s, bool) or not isinstance(title_card_s, (int, float)) or not (
                    math.isfinite(title_card_s) and 0.0 <= title_card_s <= MAX_TITLE_CARD_S):
                raise ParameterError(f"the title card must be a number of seconds from 0 to {MAX_TITLE_CARD_S:g}, "
                                     f"got {title_card_s!r}")
            output = replace(output, title_card_s=float(title_card_s))
        return replace(scene, output=output)


def _is_fps(value: Any) -> bool:
    """True for a whole number of frames per second from 1 to 120 (``true`` is not a number here)."""
    return not isinstance(value, bool) and isinstance(value, int) and 1 <= value <= 120


def check_magnification(value: Any, what: str = "magnification") -> float:
    """``value`` as a display factor in (0, :data:`MAX_MAGNIFICATION`], or :class:`ParameterError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and 0 < value <= MAX_MAGNIFICATION):
        raise ParameterError(f"{what} must be a display factor > 0 and <= {MAX_MAGNIFICATION:g}, got {_shown(value)}")
    return float(value)


def _smooth(u: float) -> float:
    return u * u * (3.0 - 2.0 * u)


def _interpolate(track: Sequence[tuple[float, float, Any]], t: float, interpolation: str) -> Any:
    """Value at ``t`` of a keyframe track ``[(time_s, hold_s, value), ...]`` sorted by time.

    Before the first keyframe and after the last, the nearest keyframe's value holds.
    """
    track = sorted(track, key=lambda k: k[0])
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
MAX_NESTING = 16
"""Deepest nesting of arrays and inline tables a scene file may have (scene files need 3)."""

_MAX_KEY_PARTS = 32  # key paths are recorded up to this many parts (scene files use 5)
_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}#\n")


class _Scanner:
    """One pass over a TOML text, in time linear in its length and without recursion.

    Records the 1-based line of every key path (``("panels", 0, "parameters", "left_deg")``),
    including dotted keys, inline tables and arrays of inline tables, and the deepest nesting of
    arrays and inline tables with its line. It never raises: on text that is not TOML it records
    what it can (tomllib reports the syntax error itself).
    """

    def __init__(self, text: str) -> None:
        self.text, self.n = text, len(text)
        self.i, self.line = 0, 1
        self.lines: dict[tuple[Any, ...], int] = {}
        self.counts: dict[tuple[str, ...], int] = {}
        self.depth, self.max_depth, self.max_depth_line = 0, 0, 0
        self.max_key_parts, self.max_key_parts_line = 0, 0
        self._scan()

    # -- small readers (each advances self.i and counts newlines) --
    def _skip_space(self, newlines: bool) -> None:
        text, n = self.text, self.n
        while self.i < n:
            c = text[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "\n" and newlines:
                self.line += 1
                self.i += 1
            elif c == "#":
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end
                if not newlines:
                    return
            else:
                return

    def _string(self) -> str:
        """Read a string starting at self.i; returns its raw content (escapes not decoded)."""
        text, quote = self.text, self.text[self.i]
        if text.startswith(quote * 3, self.i):
            end = text.find(quote * 3, self.i + 3)
            while quote == '"' and end > 0 and _escaped(text, end):
                end = text.find(quote * 3, end + 1)
            end = self.n if end < 0 else end
            while end + 3 < self.n and text[end + 3] == quote:  # up to two quotes may close the string
                end += 1
            content = text[self.i + 3:end]
            self.line += content.count("\n")
            self.i = min(self.n, end + 3)
            return content
        end = self.i + 1
        while True:
            end = _next_of(text, quote, "\n", end)
            if end < 0 or text[end] == "\n" or not (quote == '"' and _escaped(text, end)):
                break
            end += 1
        end = self.n if end < 0 else end
        content = text[self.i + 1:end]
        self.i = end + 1 if end < self.n and text[end] == quote else end
        return content

    def _key(self) -> list[str]:
        """A dotted key: bare parts and quoted parts separated by dots."""
        parts: list[str] = []
        text, n = self.text, self.n
        while self.i < n:
            self._skip_space(newlines=False)
            if self.i >= n:
                break
            c = text[self.i]
            if c in "\"'":
                parts.append(self._string())
            elif c in _BARE_KEY:
                start = self.i
                while self.i < n and text[self.i] in _BARE_KEY:
                    self.i += 1
                parts.append(text[start:self.i])
            else:
                break
            self._skip_space(newlines=False)
            if self.i < n and text[self.i] == ".":
                self.i += 1
                continue
            break
        if len(parts) > self.max_key_parts:
            self.max_key_parts, self.max_key_parts_line = len(parts), self.line
        return parts

    def _resolve(self, names: Sequence[str]) -> tuple[Any, ...]:
        names = names[:_MAX_KEY_PARTS]
        out: list[Any] = []
        for k in range(len(names)):
            out.append(names[k])
            count = self.counts.get(tuple(names[: k + 1]))
            if count:
                out.append(count - 1)
        return tuple(out)

    def _note(self, path: tuple[Any, ...], line: int) -> None:
        self.lines.setdefault(path, line)

    # -- the pass --
    def _scan(self) -> None:
        text, n = self.text, self.n
        table: tuple[Any, ...] = ()
        while self.i < n:
            self._skip_space(newlines=True)
            if self.i >= n:
                break
            c = text[self.i]
            if c == "[":  # [table] or [[array of tables]]
                double = text.startswith("[[", self.i)
                self.i += 2 if double else 1
                names = self._key()
                if double:
                    self.counts[tuple(names)] = self.counts.get(tuple(names), 0) + 1
                table = self._resolve(names)
                self._note(table, self.line)
                self._to_line_end()
                continue
            start_line = self.line
            names = self._key()
            if not names:
                self._to_line_end()
                continue
            path = table + tuple(names[:_MAX_KEY_PARTS])
            self._note(path, start_line)
            self._skip_space(newlines=False)
            if self.i < n and text[self.i] == "=":
                self.i += 1
                self._value(path)
            self._to_line_end()

    def _to_line_end(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = self.n if end < 0 else end

    def _value(self, path: tuple[Any, ...]) -> None:
        """Read one value (arrays and inline tables with an explicit stack, never recursion)."""
        text, n = self.text, self.n
        stack: list[list[Any]] = []  # [kind, path, element index]; kind "a" = array, "t" = inline table
        expect_key = False
        self.depth = 0
        while True:
            self._skip_space(newlines=bool(stack))
            if self.i >= n:
                return
            c = text[self.i]
            top = stack[-1] if stack else None
            if top is not None and ((c == "]" and top[0] == "a") or (c == "}" and top[0] == "t")):
                self.i += 1
                stack.pop()
                self.depth -= 1
            elif top is not None and top[0] == "t" and expect_key:
                line = self.line
                names = self._key()
                if not names:
                    self.i += 1  # not TOML: step over it
                    continue
                path = top[1] + tuple(names[:_MAX_KEY_PARTS])
                self._note(path, line)
                self._skip_space(newlines=False)
                if self.i < n and text[self.i] == "=":
                    self.i += 1
                expect_key = False
                continue
            else:
                here = top[1] + (top[2],) if top is not None and top[0] == "a" else path
                if top is not None and top[0] == "a":
                    self._note(here, self.line)
                if c in "[{":
                    self.i += 1
                    self.depth += 1
                    if self.depth > self.max_depth:
                        self.max_depth, self.max_depth_line = self.depth, self.line
                    if self.depth > MAX_NESTING:  # the file is refused for this: no need to read on
                        self.i = n
                        return
                    stack.append(["a" if c == "[" else "t", here, 0])
                    expect_key = c == "{"
                    continue
                if c in "\"'":
                    self._string()
                else:
                    start = self.i
                    while self.i < n and text[self.i] not in _SCALAR_END and text[self.i] not in " \t\r\n":
                        self.i += 1
                    if self.i == start:
                        self.i += 1  # a stray character: step over it
            if not self._after_value(stack):
                return
            expect_key = bool(stack) and stack[-1][0] == "t"

    def _after_value(self, stack: list[list[Any]]) -> bool:
        """After a value: consume a separating comma; False when the statement is over."""
        if not stack:
            return False
        self._skip_space(newlines=True)
        if self.i < self.n and self.text[self.i] == ",":
            self.i += 1
            if stack[-1][0] == "a":
                stack[-1][2] += 1
        return True


def _escaped(text: str, index: int) -> bool:
    """True when the character at ``index`` is preceded by an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _next_of(text: str, a: str, b: str, start: int) -> int:
    """Index of the first ``a`` or ``b`` at or after ``start`` (-1 if neither)."""
    i, j = text.find(a, start), text.find(b, start)
    if i < 0:
        return j
    if j < 0:
        return i
    return min(i, j)


def key_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Map each key path (``("panels", 0, "model")``) to its 1-based line in a TOML text.

    Tables, arrays of tables, dotted and quoted keys, inline tables and arrays (over several lines
    too) are followed; elements of arrays get their index (``("captions", 2)``). Linear in the
    length of the text and free of recursion, whatever the nesting.
    """
    return _Scanner(text).lines


def _shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters (and 3 levels), for error messages."""
    import reprlib

    shower = reprlib.Repr()
    shower.maxlevel, shower.maxstring, shower.maxother = 3, limit, limit
    shower.maxlist = shower.maxtuple = shower.maxdict = shower.maxset = 6
    text = shower.repr(value)
    if isinstance(value, str) and len(value) > limit:
        text += f" ({len(value):,} characters)"
    return text


def _cut_message(text: str, limit: int = 400) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Where:
    """Builds SceneError messages with file:line and the key path (lines found only when needed)."""

    def __init__(self, path: str, text: str, lines: dict[tuple[Any, ...], int] | None = None) -> None:
        self.path = path
        self.text = text
        self._lines = lines

    @property
    def lines(self) -> dict[tuple[Any, ...], int]:
        if self._lines is None:
            self._lines = key_lines(self.text)
        return self._lines

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
        return _cut_message(out, 120)

    def error(self, keys: Sequence[Any], message: str) -> SceneError:
        line = self.line(keys)
        where = f"{self.path}:{line}" if line is not None else self.path
        key = self.key_text(keys)
        return SceneError(_cut_message(f"{where}: {key}: {message}" if key else f"{where}: {message}"))


# --- validation helpers ----------------------------------------------------------------------
def _check_keys(where: _Where, table: Mapping[str, Any], keys: Sequence[Any], allowed: Sequence[str]) -> None:
    import difflib

    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key[:100], list(allowed), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise where.error((*keys, key), f"unknown key. Expected one of: {', '.join(allowed)}.{hint}")


def _number(where: _Where, value: Any, keys: Sequence[Any], *, minimum: float | None = None, maximum: float | None = None,
            exclusive_minimum: bool = False, what: str = "a number") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(keys, f"expected {what}, got {_shown(value)}")
    try:
        v = float(value)
    except OverflowError:  # an integer too large for a float
        v = math.inf
    if not math.isfinite(v):
        raise where.error(keys, f"expected {what} (a finite number), got {_shown(value)}")
    if minimum is not None and (v <= minimum if exclusive_minimum else v < minimum):
        bound = f"> {minimum:g}" if exclusive_minimum else f">= {minimum:g}"
        raise where.error(keys, f"expected {what} {bound}, got {_shown(value)}")
    if maximum is not None and v > maximum:
        raise where.error(keys, f"expected {what} <= {maximum:g}, got {_shown(value)}")
    return v


def _string(where: _Where, value: Any, keys: Sequence[Any], choices: Sequence[str] | None = None) -> str:
    if not isinstance(value, str):
        raise where.error(keys, f"expected a string, got {_shown(value)}")
    if choices is not None and value not in choices:
        import difflib

        close = difflib.get_close_matches(value[:100], list(choices), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise where.error(keys, f"expected one of {', '.join(choices)}, got {_shown(value)}.{hint}")
    limit = TEXT_LIMITS.get(str(keys[-1]) if keys else "", 200 if choices is None else None)
    if limit is not None and len(value) > limit:
        raise where.error(keys, f"expected at most {limit:,} characters, got {len(value):,}")
    return value


def _bool(where: _Where, value: Any, keys: Sequence[Any]) -> bool:
    if not isinstance(value, bool):
        raise where.error(keys, f"expected true or false, got {_shown(value)}")
    return value


def _table(where: _Where, value: Any, keys: Sequence[Any]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise where.error(keys, f"expected a table, got {_shown(value)}")
    return value


def _vector(where: _Where, value: Any, keys: Sequence[Any], limit: float = MAX_COORDINATE_MM) -> tuple[float, float, float]:
    if not isinstance(value, list) or len(value) != 3:
        raise where.error(keys, f"expected a list of 3 numbers [x, y, z], got {_shown(value)}")
    return tuple(_number(where, v, keys, minimum=-limit, maximum=limit) for v in value)  # type: ignore[return-value]


def _overlays(where: _Where, value: Any, keys: Sequence[Any]) -> dict[str, bool]:
    table = _table(where, value, keys)
    _check_keys(where, table, keys, OVERLAY_NAMES)
    return {k: _bool(where, v, (*keys, k)) for k, v in table.items()}


# --- parsing ---------------------------------------------------------------------------------
TOP_KEYS = ("title", "subtitle", "sources", "magnification", "theme", "panels", "timeline", "camera", "overlays", "captions",
            "output", "arrow_scale", "colour_map_frame", "anatomy")
PANEL_KEYS = ("model", "parameters", "label", "magnification", "overlays", "view", "readouts", "anatomy")
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
        if isinstance(value, (list, dict)) or (isinstance(value, int) and abs(value) > 1e300):
            raise where.error((*keys, key), f"model {model_name!r}: {key} must be {model.parameter(key).range_text()}, "
                                            f"got {_shown(value)}")
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
        magnification = _number(where, table["magnification"], (*keys, "magnification"), minimum=0.0, exclusive_minimum=True,
                                maximum=MAX_MAGNIFICATION, what="a display factor")
    overlays = _overlays(where, table.get("overlays", {}), (*keys, "overlays"))
    label = _string(where, table.get("label", model.title), (*keys, "label"))
    view = _string(where, table["view"], (*keys, "view"), CAMERA_VIEWS) if "view" in table else None
    readouts = _readouts(where, table["readouts"], (*keys, "readouts")) if "readouts" in table else None
    return PanelSpec(model=model_name, parameters=resolved, label=label, magnification=magnification, overlays=overlays,
                     view=view, readouts=readouts)


def _readouts(where: _Where, value: Any, keys: Sequence[Any]) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_READOUTS:
        raise where.error(keys, f"expected a list of at most {MAX_READOUTS} readout names, got {value!r}")
    for name in value:
        _string(where, name, keys, tuple(READOUTS))
    return tuple(value)


def _parse_timeline(where: _Where, value: Any, panels: Sequence[PanelSpec]) -> Timeline:
    keys: tuple[Any, ...] = ("timeline",)
    table = _table(where, value, keys)
    _check_keys(where, table, keys, TIMELINE_KEYS)
    kind = _string(where, table.get("kind", Timeline.kind), (*keys, "kind"), TIMELINE_KINDS)
    t = Timeline(
        kind=kind,
        cycles=_number(where, table.get("cycles", Timeline.cycles), (*keys, "cycles"), minimum=0.0, exclusive_minimum=True, maximum=100.0),
        seconds_per_cycle=_number(where, table.get("seconds_per_cycle", Timeline.seconds_per_cycle), (*keys, "seconds_per_cycle"), minimum=0.0,
                                  exclusive_minimum=True, maximum=600.0, what="seconds"),
        start_phase=_number(where, table.get("start_phase", Timeline.start_phase), (*keys, "start_phase"), minimum=0.0, maximum=0.999999, what="a phase in [0, 1)"),
        phase=_number(where, table.get("phase", Timeline.phase), (*keys, "phase"), minimum=0.0, maximum=0.999999, what="a phase in [0, 1)"),
        interpolation=_string(where, table.get("interpolation", Timeline.interpolation), (*keys, "interpolation"), INTERPOLATIONS),
        still_s=_number(where, table.get("still_s", Timeline.still_s), (*keys, "still_s"), minimum=0.0, exclusive_minimum=True,
                        maximum=MAX_DURATION_S, what="seconds"),
    )
    if kind == "gait" and t.duration_s > MAX_DURATION_S:
        raise where.error((*keys, "cycles"), f"cycles x seconds_per_cycle = {t.cycles:g} x {t.seconds_per_cycle:g} s = "
                                             f"{t.duration_s:g} s of video; a scene lasts at most {MAX_DURATION_S:g} s")
    raw_keyframes = table.get("keyframes", [])
    if not isinstance(raw_keyframes, list):
        raise where.error((*keys, "keyframes"), "expected an array of tables [[timeline.keyframes]]")
    if kind == "keyframes" and not raw_keyframes:
        raise where.error((*keys, "kind"), "a keyframes timeline needs at least one [[timeline.keyframes]]")
    if kind != "keyframes" and raw_keyframes:
        raise where.error((*keys, "keyframes"), f"keyframes need kind = \"keyframes\", got kind = {kind!r}")
    if len(raw_keyframes) > MAX_KEYFRAMES:
        raise where.error((*keys, "keyframes", MAX_KEYFRAMES), f"expected at most {MAX_KEYFRAMES} keyframes, got {len(raw_keyframes)}")
    keyframes = []
    previous_end = -math.inf
    for i, raw in enumerate(raw_keyframes):
        kkeys = (*keys, "keyframes", i)
        ktable = _table(where, raw, kkeys)
        _check_keys(where, ktable, kkeys, KEYFRAME_KEYS)
        if "time_s" not in ktable:
            raise where.error(kkeys, "missing key 'time_s' (seconds from the start of the timeline)")
        time_s = _number(where, ktable["time_s"], (*kkeys, "time_s"), minimum=0.0, maximum=MAX_DURATION_S, what="seconds")
        hold_s = _number(where, ktable.get("hold_s", 0.0), (*kkeys, "hold_s"), minimum=0.0, maximum=MAX_DURATION_S, what="seconds")
        if time_s + hold_s > MAX_DURATION_S:
            raise where.error((*kkeys, "hold_s"), f"time_s + hold_s = {time_s + hold_s:g} s; a scene lasts at most {MAX_DURATION_S:g} s")
        if time_s < previous_end - 1e-9:
            raise where.error((*kkeys, "time_s"), f"expected a time >= {previous_end:g} s (the previous keyframe's time + hold), got {time_s:g}")
        previous_end = time_s + hold_s
        panel_indices: tuple[int, ...] | None = None
        if "panels" in ktable:
            raw_panels = ktable["panels"]
            wanted = f"a list of panel numbers from 1 to {len(panels)}"
            if not isinstance(raw_panels, list) or not raw_panels or len(raw_panels) > MAX_PANELS:
                raise where.error((*kkeys, "panels"), f"expected {wanted}, got {_shown(raw_panels)}")
            if any(isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= len(panels) for p in raw_panels):
                raise where.error((*kkeys, "panels"), f"expected {wanted}, got {_shown(raw_panels)}")
            panel_indices = tuple(p - 1 for p in raw_panels)
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
    position = focal = up = None
    if explicit:
        position = _vector(where, table["position_mm"], (*keys, "position_mm"))
        focal = _vector(where, table["focal_point_mm"], (*keys, "focal_point_mm"))
        up = _vector(where, table["up"], (*keys, "up"))
        sight = [p - f for p, f in zip(position, focal)]
        if math.hypot(*sight) < 1.0:
            raise where.error((*keys, "position_mm"), "the camera must be at least 1 mm away from focal_point_mm")
        across = (sight[1] * up[2] - sight[2] * up[1], sight[2] * up[0] - sight[0] * up[2], sight[0] * up[1] - sight[1] * up[0])
        if math.hypot(*up) == 0 or math.hypot(*across) < 1e-6 * math.hypot(*sight) * math.hypot(*up):
            raise where.error((*keys, "up"), f"expected a direction not along the line of sight, got {list(up)}")
    return Camera(
        view=_string(where, table.get("view", Camera.view), (*keys, "view"), CAMERA_VIEWS),
        position_mm=position,
        focal_point_mm=focal,
        up=up,
        zoom=_number(where, table.get("zoom", Camera.zoom), (*keys, "zoom"), minimum=0.0, exclusive_minimum=True, maximum=20.0),
        orbit_deg=_number(where, table.get("orbit_deg", Camera.orbit_deg), (*keys, "orbit_deg"), minimum=-3600.0, maximum=3600.0, what="degrees"),
    )


def _parse_captions(where: _Where, value: Any) -> tuple[Caption, ...]:
    if not isinstance(value, list):
        raise where.error(("captions",), "expected an array of tables [[captions]]")
    if len(value) > MAX_CAPTIONS:
        raise where.error(("captions", MAX_CAPTIONS), f"expected at most {MAX_CAPTIONS} captions, got {len(value)}")
    out = []
    for i, raw in enumerate(value):
        keys = ("captions", i)
        table = _table(where, raw, keys)
        _check_keys(where, table, keys, CAPTION_KEYS)
        if "text" not in table:
            raise where.error(keys, "missing key 'text'")
        start = _number(where, table.get("start_s", 0.0), (*keys, "start_s"), minimum=0.0, maximum=MAX_DURATION_S, what="seconds")
        end = (_number(where, table["end_s"], (*keys, "end_s"), minimum=0.0, maximum=MAX_DURATION_S, what="seconds")
               if "end_s" in table else math.inf)
        if end <= start:
            raise where.error((*keys, "end_s"), f"expected end_s > start_s = {start:g}, got {end:g}")
        out.append(Caption(text=_string(where, table["text"], (*keys, "text")).strip(), start_s=start, end_s=end))
    return tuple(out)


def _parse_output(where: _Where, value: Any) -> Output:
    keys: tuple[Any, ...] = ("output",)
    table = _table(where, value, keys)
    _check_keys(where, table, keys, OUTPUT_KEYS)
    size = table.get("size", Output.size)
    if not isinstance(size, str):
        raise where.error((*keys, "size"), f"expected a string such as \"720p\", \"1080p\", \"4k\" or \"1280x720\", got {_shown(size)}")
    try:
        parse_size(size)
    except ParameterError as error:
        raise where.error((*keys, "size"), str(error)) from None
    fps = table.get("fps", Output.fps)
    if not _is_fps(fps):
        raise where.error((*keys, "fps"), f"expected an integer from 1 to 120 (frames per second), got {_shown(fps)}")
    return Output(
        size=size,
        fps=fps,
        quality=_string(where, table.get("quality", Output.quality), (*keys, "quality"), QUALITIES),
        title_card_s=_number(where, table.get("title_card_s", Output.title_card_s), (*keys, "title_card_s"), minimum=0.0, maximum=MAX_TITLE_CARD_S,
                             what="seconds"),
        still_time_s=_number(where, table.get("still_time_s", Output.still_time_s), (*keys, "still_time_s"), minimum=0.0, maximum=MAX_DURATION_S,
                             what="seconds"),
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
    if not isinstance(text, str):
        raise SceneError(f"{path}: expected the text of a scene file, got {type(text).__name__}")
    if len(text) > MAX_SCENE_CHARS:
        raise SceneError(f"{path}: the file has {len(text):,} characters; a scene file has at most {MAX_SCENE_CHARS:,} "
                         "(is it really a scene file?)")
    scanner = _Scanner(text)  # linear, no recursion: checks what would make the TOML parser slow or recurse
    if scanner.max_depth > MAX_NESTING:
        raise SceneError(f"{path}:{scanner.max_depth_line}: arrays or inline tables nested more than {MAX_NESTING} deep; "
                         "a scene file needs at most 3 levels")
    if scanner.max_key_parts > _MAX_KEY_PARTS:
        raise SceneError(f"{path}:{scanner.max_key_parts_line}: a key of more than {_MAX_KEY_PARTS} dotted parts; "
                         "scene keys have at most 5")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            message = message[: match.start()].strip()
            raise SceneError(_cut_message(f"{path}:{match.group(1)}: invalid TOML: {message} (column {match.group(2)})")) from None
        line = len(text.splitlines()) if "end of document" in message else None
        where = f"{path}:{line}" if line else path
        raise SceneError(_cut_message(f"{where}: invalid TOML: {message}")) from None
    except (ValueError, RecursionError) as error:  # e.g. an integer of more than 4,300 digits
        raise SceneError(_cut_message(f"{path}: invalid TOML: {error}")) from None
    where = _Where(path, text, scanner.lines)
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
                            maximum=MAX_MAGNIFICATION, what="a display factor")
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
        arrow_scale=_number(where, data.get("arrow_scale", ARROW_SCALE), ("arrow_scale",), minimum=0.0,
                            exclusive_minimum=True, maximum=10000.0, what="a length factor"),
        colour_map_frame=_string(where, data.get("colour_map_frame", "sacrum"), ("colour_map_frame",), COLOUR_MAP_FRAMES),
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
    shown = _cut_message(str(name_or_path), 200)
    try:
        path = Path(name_or_path)
        if path.is_file():
            return path
        stem = path.name[:-5] if path.name.endswith(".toml") else path.name
        if str(path) == path.name or str(path) == f"{stem}.toml":
            candidate = Path(str(resources.files("pelvisim") / "scenes" / f"{stem}.toml"))
            if candidate.is_file():
                return candidate
    except (OSError, ValueError) as error:  # a name too long, a NUL byte ...
        raise SceneError(f"{shown}: not a usable file name ({_cut_message(str(error), 100)})") from None
    if path.is_dir():
        raise SceneError(f"{shown}: is a folder; expected a scene file (.toml) or a bundled scene name")
    names = ", ".join(bundled_scene_names())
    raise SceneError(f"{shown}: no such scene file, and not a bundled scene. Bundled scenes: {names}")


def load(name_or_path: str | Path) -> Scene:
    """Read and validate a scene file, or a bundled scene by name (e.g. ``"flagship"``)."""
    path = find_scene(name_or_path)
    try:
        size = path.stat().st_size
        if size > 4 * MAX_SCENE_CHARS:
            raise SceneError(f"{path}: the file is {size:,} bytes; a scene file has at most {MAX_SCENE_CHARS:,} characters "
                             "(is it really a scene file?)")
        data = path.read_bytes()
    except OSError as error:
        raise SceneError(f"{path}: cannot read the scene file ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SceneError(f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save the scene file as UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark from some Windows editors
    display = _cut_message(str(name_or_path), 200) if Path(name_or_path).is_file() else f"{path.stem}.toml (bundled)"
    scene = parse(text, display, base_dir=path.parent)
    return replace(scene, path=str(path)) if display.endswith("(bundled)") else scene


# --- checks beyond validity ------------------------------------------------------------------
def caption_warnings(scene: Scene) -> list[str]:
    """Captions shown too briefly to be read: less than :data:`MIN_CAPTION_S_PER_WORD` seconds a word.

    Returns
    -------
    list of str
        One line per caption, e.g. ``"captions[1]: 25 words shown for 2.0 s; expected at least
        7.5 s (0.3 s a word)"``; empty when every caption can be read.
    """
    out = []
    for i, caption in enumerate(scene.captions):
        shown_s = min(caption.end_s, scene.duration_s) - caption.start_s
        words = len(caption.text.split())
        needed_s = MIN_CAPTION_S_PER_WORD * words
        if shown_s < needed_s - 1e-9:
            out.append(f"captions[{i + 1}]: {words} words shown for {max(shown_s, 0.0):.1f} s; expected at least "
                       f"{needed_s:.1f} s ({MIN_CAPTION_S_PER_WORD:g} s a word)")
    return out


# --- frame times and tables ------------------------------------------------------------------
def frame_times(scene: Scene, fps: int | None = None, start_s: float | None = None, end_s: float | None = None) -> list[float]:
    """Timeline times of the frames of a video, ``start_s + k / fps`` (never the wall clock).

    There are ``round((end_s - start_s) * fps)`` frames; ``end_s`` defaults to the timeline end.
    """
    fps = int(fps or scene.output.fps)
    start = 0.0 if start_s is None else float(start_s)
    end = scene.duration_s if end_s is None else float(end_s)
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start or end > MAX_DURATION_S:
        raise ParameterError(f"expected 0 <= start < end <= {MAX_DURATION_S:g} (seconds), got start={start:g}, end={end:g}")
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
    (``innominate_left.inflare_deg`` …), then the soft tissue's ``ligament.<name>.strain_percent``,
    ``ligament.<name>.force_n`` and ``muscle.<name>.force_n``. Values are true scale.
    """
    from pelvisim.anatomy.sources import load as load_anatomy_spec
    from pelvisim.descriptors import describe
    from pelvisim.tissue.readout import table_columns

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
            row.update(table_columns(anatomies[index], panel.model, scene.parameters_at(index, t), scene.phase_at(t), state))
            yield row


def write_table(rows: Sequence[Mapping[str, Any]], path: str | Path, *, overwrite: bool = True) -> Path:
    """Write rows as CSV atomically (an exclusive temporary in the same folder, then a rename).

    An error or interrupt leaves no partial file and an existing ``path`` as it was; without
    ``overwrite`` an existing ``path`` is an error (:class:`~pelvisim.output.OutputError`).
    """
    from pelvisim.output import atomic_path

    path = Path(path)
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    with atomic_path(path, overwrite=overwrite) as temporary:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return path
