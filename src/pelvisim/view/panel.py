"""One 3D panel: the bones of one positional model and its teaching overlays.

A :class:`Panel` adds its actors to a pyvista plotter (or one subplot of it) **once**; every later
:meth:`Panel.update` only sets each actor's ``user_matrix`` (and, when the colour map is on,
refreshes one per-vertex scalar array in place). Nothing here computes mechanics: poses come from
:func:`pelvisim.pose.pose`, descriptors from :func:`pelvisim.descriptors.describe`.

Coordinates are the pelvic (ISB) frame, mm: +X anterior, +Y superior, +Z right. Views are made by
moving the camera (:func:`set_view`), never by rotating data.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv
import vtk
from numpy.typing import NDArray
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy

from pelvisim import frames, joints
from pelvisim.anatomy.core import FEMURS, PELVIC_BONES, Anatomy, Bone
from pelvisim.anatomy.user import is_closed
from pelvisim.errors import ParameterError
from pelvisim.pose import Pose
from pelvisim.scene import VIEWS
from pelvisim.view.state import OVERLAYS as OVERLAY_LABELS
from pelvisim.view.state import magnification_text

# --- constants -------------------------------------------------------------------------------
OVERLAYS = tuple(OVERLAY_LABELS)
"""Overlay names accepted by :meth:`Panel.set_overlay` (``color_map`` is accepted as an alias)."""

DEFAULT_OVERLAYS = frozenset({"landmarks", "descriptors"})
"""Overlays that are on when a panel is created."""


# (direction from the focus to the camera, camera up), pelvic frame.
_VIEW_DIRECTIONS: Mapping[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "anterior": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "posterior": ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "superior": ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
    "inferior": ((0.0, -1.0, 0.0), (1.0, 0.0, 0.0)),
    "left": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "right": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
}

LANDMARK_LABELS: Mapping[str, str] = {
    "asis_left": "ASIS L",
    "asis_right": "ASIS R",
    "psis_left": "PSIS L",
    "psis_right": "PSIS R",
    "pubic_tubercle_left": "pubic tubercle L",
    "pubic_tubercle_right": "pubic tubercle R",
    "ischial_tuberosity_left": "ischial tuberosity L",
    "ischial_tuberosity_right": "ischial tuberosity R",
    "sacral_promontory": "sacral base",
    "ila_left": "ILA L",
    "ila_right": "ILA R",
}
"""Landmarks shown by the ``landmarks`` overlay and their on-screen labels."""

TRAIL_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
"""Landmarks whose paths the ``trails`` overlay draws."""

PALPATION_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
PALPATION_ERROR_MM = (15.0, 20.0)
"""Landmark palpation error at the iliac spines, 15–20 mm (Della Croce 1999)."""

GHOST_GRID = 40
"""Quadric-clustering grid of the ghost meshes (the ghost is a faint hint: few triangles keep it cheap)."""

MIN_TRIANGLES = 500
"""Smallest triangle budget per bone accepted by :func:`bone_surface`: below it bones lose their shape."""

COLOUR_MAP_RANGE_MM = (0.0, 2.0)
"""Default colour range of the displacement map: 0–2 mm covers physiological SIJ motion."""


# --- themes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Theme:
    """Colours and sizes of a panel.

    Attributes
    ----------
    name : str
    background : str
        Background colour.
    text_colour : str
    bone_colours : Mapping[str, str]
        Colour per bone name.
    ghost_opacity : float
    landmark_colour, axis_colour, trail_colour, palpation_colour : str
    text_height_fraction : float
        Height of body text as a fraction of the window height.
    landmark_size_mm : float
        Radius of the landmark markers.
    axis_radius_mm : float
        Radius of the joint-axis tubes.
    """

    name: str = "default"
    background: str = "#1d2128"
    text_colour: str = "#f2f2f2"
    bone_colours: Mapping[str, str] | None = None
    ghost_colour: str = "#9fb4c8"
    ghost_opacity: float = 0.18
    landmark_colour: str = "#ff5a36"
    axis_colour: str = "#3fc1ff"
    oblique_axis_colour: str = "#b07cff"
    trail_colour: str = "#ffd23f"
    palpation_colour: str = "#ff5a36"
    magnification_colour: str = "#ffb000"
    text_height_fraction: float = 0.026
    landmark_size_mm: float = 3.0
    axis_radius_mm: float = 1.2
    trail_width: float = 3.0
    colour_map: str = "YlOrRd"

    def bone_colour(self, bone: str) -> str:
        """Colour of ``bone``."""
        colours = self.bone_colours or _DEFAULT_BONE_COLOURS
        return colours.get(bone, "#e8dfc8")


_DEFAULT_BONE_COLOURS = {
    "sacrum": "#d8c28f",
    "innominate_left": "#ece3cc",
    "innominate_right": "#ece3cc",
    "femur_left": "#b9b2a3",
    "femur_right": "#b9b2a3",
}

THEMES: Mapping[str, Theme] = {
    "default": Theme(),
    "projector": Theme(
        name="projector",
        background="#000000",
        text_colour="#ffffff",
        bone_colours={
            "sacrum": "#ffcc4d",
            "innominate_left": "#ffffff",
            "innominate_right": "#ffffff",
            "femur_left": "#bdbdbd",
            "femur_right": "#bdbdbd",
        },
        ghost_colour="#66ccff",
        ghost_opacity=0.25,
        landmark_colour="#ff3b1f",
        axis_colour="#00e5ff",
        oblique_axis_colour="#ff66ff",
        trail_colour="#ffff00",
        magnification_colour="#ffff00",
        text_height_fraction=0.045,
        landmark_size_mm=4.5,
        axis_radius_mm=2.0,
        trail_width=5.0,
    ),
}
"""Named themes: ``default`` and ``projector`` (big labels, high contrast)."""


def get_theme(theme: str | Theme) -> Theme:
    """A :class:`Theme` from a name in :data:`THEMES` or a Theme itself."""
    if isinstance(theme, Theme):
        return theme
    try:
        return THEMES[theme]
    except KeyError:
        raise ParameterError(f"Unknown theme {theme!r}. Expected one of: {', '.join(THEMES)}") from None


def _descriptor_text(descriptors: Any) -> str:
    """The descriptor text (their ``summary``, or a ready-made string), one sentence per line."""
    if descriptors is None:
        return ""
    text = descriptors if isinstance(descriptors, str) else str(getattr(descriptors, "summary", descriptors))
    return text.replace(". ", ".\n")


# --- text: font, measuring, fitting -----------------------------------------------------------
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
"""Regular and bold font of all 3D text: DejaVu Sans as shipped in matplotlib's data directory.

VTK's built-in Arial has no glyph for "→", "≈", "κ" or "⚠" (it draws nothing in their place);
DejaVu Sans has every character pelvisim's titles, captions, sources and descriptors use.
"""

ASCII_FALLBACK: Mapping[str, str] = {
    "→": "->",
    "←": "<-",
    "↔": "<->",
    "≈": "~",
    "≫": ">>",
    "≪": "<<",
    "κ": "kappa",
    "⚠": "(!)",
}
"""Stand-ins for the characters VTK's built-in Arial lacks, used only when DejaVu Sans is missing."""

GLUED_TO_NEXT = frozenset({"→", "->", "←", "↔"})
"""Words that a line break never separates from the word after them."""

MIN_FONT_PX = 10
"""Panel text never shrinks below this size (pixels) to fit a narrow panel: it wraps instead.

Only a single word wider than the whole panel is drawn smaller (8 px at least).
"""

TITLE_MIN_SCALE = 0.75
"""Stacked titles wrap onto two lines and shrink to this fraction of their size before taking a
third line; the magnification label shrinks to this fraction before going smaller still."""

LABEL_MIN_SCALE = 0.6
"""Landmark labels shrink with a narrow panel (whose pelvis is drawn smaller) to this fraction at most."""

DESCRIPTOR_MIN_SCALE = 0.8
"""The descriptor text shrinks to this fraction of its size in narrow panels."""

DESCRIPTOR_LINE_CHARACTERS = 45
"""A descriptor line should hold about this many characters: narrower panels shrink the text.

The size depends on the panel's width only, so side-by-side panels show their descriptors alike.
"""

_AVERAGE_TEXT = "Left innominate: inflare 2.0° (ASIS 3.4 mm medial, 2.1 mm anterior)"  # sets the mean character width

DESCRIPTOR_MAX_HEIGHT_FRACTION = 0.3
"""The descriptor block covers at most this fraction of the panel's height."""

DESCRIPTOR_MAX_LINES = 8
"""Lines of the descriptor block at most (the last one ends with "…" when the text is cut)."""


DESCRIPTOR_BACKDROP_OPACITY = 0.65
"""Opacity of the backdrop (in the theme's background colour) behind the descriptor block."""

TITLE_BACKDROP_OPACITY = 0.5
"""Opacity of the backdrop behind the title and the magnification label."""


@functools.cache
def font_file(bold: bool = False) -> str | None:
    """Path of the DejaVu Sans font file (bold or regular) in matplotlib's data, or None if missing.

    Parameters
    ----------
    bold : bool

    Returns
    -------
    str or None
        ``<matplotlib.get_data_path()>/fonts/ttf/DejaVuSans[-Bold].ttf``; None when matplotlib or
        the file is missing (text then falls back to VTK's Arial and :data:`ASCII_FALLBACK`).
    """
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONT_FILES[int(bool(bold))]
    return str(path) if path.is_file() else None


def display_text(text: str) -> str:
    """``text`` as the 3D view can draw it: unchanged with DejaVu Sans, ASCII stand-ins without it."""
    if font_file(False) is not None and font_file(True) is not None:
        return text
    for character, stand_in in ASCII_FALLBACK.items():
        text = text.replace(character, stand_in)
    return text


def set_font(prop: vtk.vtkTextProperty, bold: bool = False) -> None:
    """Give a VTK text property pelvisim's font (DejaVu Sans; VTK's Arial if it is missing).

    Parameters
    ----------
    prop : vtk.vtkTextProperty
    bold : bool
        Use the bold face.
    """
    path = font_file(bold)
    if path is None:
        prop.SetFontFamilyToArial()
        prop.SetBold(bold)
        return
    prop.SetFontFamily(vtk.VTK_FONT_FILE)
    prop.SetFontFile(path)
    prop.SetBold(False)  # the bold face is the file itself: no synthetic emboldening on top


_TEXT_RENDERER: list[vtk.vtkTextRenderer] = []


def text_size_px(prop: vtk.vtkTextProperty, text: str, dpi: int = 72) -> tuple[int, int]:
    """Width and height in pixels of ``text`` (several lines allowed) drawn with ``prop``.

    Parameters
    ----------
    prop : vtk.vtkTextProperty
        Font, size and line spacing (justification does not change the size).
    text : str
    dpi : int
        Dots per inch of the render window (VTK's default 72 makes a font size a pixel height).

    Returns
    -------
    (int, int)
        ``(0, 0)`` for an empty text.
    """
    if not text.strip():
        return 0, 0
    if not _TEXT_RENDERER:
        _TEXT_RENDERER.append(vtk.vtkTextRenderer())
    bbox = [0, 0, 0, 0]
    if not _TEXT_RENDERER[0].GetBoundingBox(prop, text, bbox, int(dpi)):
        return 0, 0
    return bbox[1] - bbox[0] + 1, bbox[3] - bbox[2] + 1


_WORD_WIDTHS: dict[tuple[Any, ...], int] = {}
"""Measured word widths by (font, size, dpi, word): descriptor text re-wraps every frame of a video."""


def _word_width(prop: vtk.vtkTextProperty, word: str, dpi: int) -> int:
    """Width in pixels of one word (or the advance of ``" "``) drawn with ``prop``, measured once."""
    key = (prop.GetFontFamily(), prop.GetFontFile(), prop.GetBold(), prop.GetItalic(), prop.GetFontSize(), dpi,
           word)
    width = _WORD_WIDTHS.get(key)
    if width is None:
        if len(_WORD_WIDTHS) > 20000:
            _WORD_WIDTHS.clear()
        if word == " ":  # the advance of a space: a lone space has no ink to measure
            width = text_size_px(prop, "n n", dpi)[0] - text_size_px(prop, "nn", dpi)[0]
        else:
            width = text_size_px(prop, word, dpi)[0]
        _WORD_WIDTHS[key] = width
    return width


def wrap_to_width(text: str, prop: vtk.vtkTextProperty, width_px: float, dpi: int = 72) -> list[str]:
    """Greedy word wrap of ``text`` to lines at most ``width_px`` wide, measured with ``prop``.

    Existing line breaks are kept; an arrow (:data:`GLUED_TO_NEXT`) stays with the word after it
    ("Sacral rotation / → flare"). A single word wider than ``width_px`` stays whole on its own
    line (callers shrink the font when that happens). Lines are filled from the widths of their
    words (measured once each) and then measured whole; a paragraph with a line that is still too
    wide is wrapped again measuring every candidate line.

    Parameters
    ----------
    text : str
    prop : vtk.vtkTextProperty
        Font and size to measure with.
    width_px : float
    dpi : int

    Returns
    -------
    list of str
    """
    space = _word_width(prop, " ", dpi)
    lines: list[str] = []
    for paragraph in text.splitlines():
        words: list[str] = []
        for word in paragraph.split():
            if words and words[-1] in GLUED_TO_NEXT:
                words[-1] = f"{words[-1]} {word}"
            else:
                words.append(word)
        if not words:
            lines.append("")
            continue
        filled: list[str] = []
        line, used = words[0], _word_width(prop, words[0], dpi)
        for word in words[1:]:
            wide = _word_width(prop, word, dpi)
            if used + space + wide <= width_px:
                line, used = f"{line} {word}", used + space + wide
            else:
                filled.append(line)
                line, used = word, wide
        filled.append(line)
        if any(" " in f and text_size_px(prop, f, dpi)[0] > width_px for f in filled):
            filled = []
            line = words[0]
            for word in words[1:]:
                candidate = f"{line} {word}"
                if text_size_px(prop, candidate, dpi)[0] <= width_px:
                    line = candidate
                else:
                    filled.append(line)
                    line = word
            filled.append(line)
        lines.extend(filled)
    return lines


def _cut_lines(lines: list[str], keep: int, prop: vtk.vtkTextProperty, width_px: float, dpi: int) -> list[str]:
    """The first ``keep`` lines, the last ending in "…" (shortened until it fits) when any were cut."""
    if len(lines) <= keep:
        return list(lines)
    kept = lines[:max(1, keep)]
    last = kept[-1].rstrip(" .,;:")
    while last and text_size_px(prop, last + " …", dpi)[0] > width_px:
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    kept[-1] = (last + " …").strip()
    return kept


def _fit_width(text: str, prop: vtk.vtkTextProperty, size_px: int, width_px: float, dpi: int,
               steps: Sequence[tuple[int, int]]) -> tuple[int, list[str]]:
    """The largest font size and the lines at which ``text`` fits ``width_px``.

    Parameters
    ----------
    text : str
    prop : vtk.vtkTextProperty
        Font to measure with; its font size is set to the returned size.
    size_px : int
        Preferred size.
    width_px : float
    dpi : int
    steps : sequence of (int, int)
        ``(min_px, max_lines)`` pairs tried in order: sizes from the current one down to
        ``min_px``, each first on one line, then wrapped at word breaks into at most
        ``max_lines`` lines. The biggest size that fits wins (a wrapped title stays more readable
        than a shrunk one). If none fits, the lines at the last size are cut (the last ending in
        "…"); a single word wider than ``width_px`` shrinks the font further (8 px at least).

    Returns
    -------
    size : int
    lines : list of str
    """
    size = size_px
    lines = text.splitlines() or [""]
    max_lines = 1
    for min_px, max_lines in steps:
        for size in range(size, min(size, min_px) - 1, -1):
            prop.SetFontSize(size)
            if text_size_px(prop, text, dpi)[0] <= width_px:
                return size, text.splitlines() or [""]
            lines = wrap_to_width(text, prop, width_px, dpi)
            if len(lines) <= max_lines and text_size_px(prop, "\n".join(lines), dpi)[0] <= width_px:
                return size, lines
    lines = _cut_lines(lines, max_lines, prop, width_px, dpi)
    while size > 8 and text_size_px(prop, "\n".join(lines), dpi)[0] > width_px:  # a word wider than the panel
        size -= 1
        prop.SetFontSize(size)
    return size, lines


# --- camera ----------------------------------------------------------------------------------
def set_view(
    plotter: pv.Plotter,
    name: str,
    *,
    focus_mm: Sequence[float] | None = None,
    bounds: Sequence[float] | None = None,
    zoom: float = 1.0,
    renderers: Sequence[Any] | None = None,
) -> None:
    """Point the camera(s) of ``plotter`` along an anatomical view.

    Parameters
    ----------
    plotter : pyvista.Plotter
    name : str
        One of :data:`VIEWS`. The data stay in the pelvic frame; only the camera moves (its ``up``
        is +Y superior for the side views and +X anterior for the superior/inferior views).
    focus_mm : sequence of 3 float, optional
        Point looked at. Default: the centre of ``bounds`` or of the visible actors.
    bounds : sequence of 6 float, optional
        ``(xmin, xmax, ymin, ymax, zmin, zmax)`` to fit in view. Default: the visible actors.
    zoom : float
        Extra zoom after fitting (> 1 is closer).
    renderers : sequence, optional
        The renderers to set; default every renderer of the plotter (linked views share one camera).
    """
    if name not in _VIEW_DIRECTIONS:
        raise ParameterError(f"Unknown view {name!r}. Expected one of: {', '.join(VIEWS)}")
    direction, up = _VIEW_DIRECTIONS[name]
    seen: set[int] = set()
    for renderer in renderers if renderers is not None else plotter.renderers:
        camera = renderer.GetActiveCamera()
        if id(camera) in seen:
            continue
        seen.add(id(camera))
        fit = list(bounds) if bounds is not None else list(renderer.ComputeVisiblePropBounds())
        if not np.all(np.isfinite(fit)) or fit[0] > fit[1]:
            fit = [-150.0, 50.0, -150.0, 60.0, -140.0, 140.0]
        centre = np.asarray(focus_mm, dtype=float) if focus_mm is not None else 0.5 * (np.array(fit[0::2]) + np.array(fit[1::2]))
        camera.SetFocalPoint(*centre)
        camera.SetPosition(*(centre + 1000.0 * np.asarray(direction)))
        camera.SetViewUp(*up)
        renderer.ResetCamera(fit)
        camera.SetFocalPoint(*centre)
        distance = camera.GetDistance()
        camera.SetPosition(*(centre + distance * np.asarray(direction)))
        if zoom != 1.0:
            camera.Zoom(float(zoom))
        renderer.ResetCameraClippingRange()
        renderer.camera_set = True  # stop pyvista from resetting to its isometric view on first render


# --- helpers ---------------------------------------------------------------------------------
def _polydata(vertices: NDArray, faces: NDArray) -> pv.PolyData:
    return pv.PolyData.from_regular_faces(np.array(vertices, dtype=float), np.array(faces, dtype=np.int64))


_SIMPLIFIED: weakref.WeakKeyDictionary[Bone, dict[int, tuple[NDArray, NDArray]]] = weakref.WeakKeyDictionary()


def bone_surface(bone: Bone, max_triangles: int | None = None) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The bone's surface, simplified to at most ``max_triangles``: ``(vertices_mm, faces)``.

    ``None`` (or a budget the bone already meets) returns the bone as built. Otherwise the surface
    is simplified by quadric decimation (Garland & Heckbert 1997; VTK's ``vtkQuadricDecimation``)
    with its volume preserved, which keeps outlines and joint surfaces at the sizes a panel shows.
    Results are cached per bone, so four panels of the same anatomy simplify once.

    Parameters
    ----------
    bone : Bone
    max_triangles : int, optional
        Triangle budget, at least :data:`MIN_TRIANGLES`.

    Returns
    -------
    vertices_mm : ndarray, shape (n, 3)
    faces : ndarray, shape (m, 3)
    """
    faces = np.asarray(bone.faces, dtype=np.int64)
    if max_triangles is None or len(faces) <= max_triangles:
        return np.asarray(bone.vertices_mm, dtype=float), faces
    if int(max_triangles) < MIN_TRIANGLES:
        raise ParameterError(f"max_triangles must be at least {MIN_TRIANGLES} (fewer lose the bone's shape), "
                             f"got {max_triangles}")
    budget = int(max_triangles)
    per_bone = _SIMPLIFIED.setdefault(bone, {})
    if budget not in per_bone:
        decimate = vtk.vtkQuadricDecimation()
        decimate.SetInputData(_polydata(bone.vertices_mm, faces))
        decimate.SetTargetReduction(1.0 - budget / len(faces))
        decimate.VolumePreservationOn()
        decimate.Update()
        simplified = pv.wrap(decimate.GetOutput())
        per_bone[budget] = (np.asarray(simplified.points, dtype=float),
                            simplified.faces.reshape(-1, 4)[:, 1:].astype(np.int64))
    vertices, simplified_faces = per_bone[budget]
    return vertices.copy(), simplified_faces.copy()


def _coarse(mesh: pv.PolyData) -> pv.PolyData:
    cluster = vtk.vtkQuadricClustering()
    cluster.SetInputData(mesh)
    cluster.SetNumberOfDivisions(GHOST_GRID, GHOST_GRID, GHOST_GRID)
    cluster.AutoAdjustNumberOfDivisionsOff()
    cluster.Update()
    return pv.wrap(cluster.GetOutput())


def _text_actor(text: str, position: tuple[float, float], size_px: int, colour: str, *, right: bool = False,
                top: bool = False, bold: bool = False) -> vtk.vtkTextActor:
    """A shadowed 2D text actor in pelvisim's font, anchored at ``position`` (normalized viewport)."""
    actor = vtk.vtkTextActor()
    actor.SetInput(display_text(text))
    coordinate = actor.GetPositionCoordinate()
    coordinate.SetCoordinateSystemToNormalizedViewport()
    coordinate.SetValue(*position)
    prop = actor.GetTextProperty()
    prop.SetFontSize(max(8, int(size_px)))
    prop.SetColor(pv.Color(colour).float_rgb)
    prop.SetShadow(True)
    set_font(prop, bold)
    prop.SetJustificationToRight() if right else prop.SetJustificationToLeft()
    prop.SetVerticalJustificationToTop() if top else prop.SetVerticalJustificationToBottom()
    return actor


LABEL_PRIORITY = ("asis", "psis", "sacral_promontory", "pubic_tubercle", "ila", "ischial_tuberosity")
"""Landmark labels by priority (name prefixes): where labels would overlap, a lower one moves or is hidden."""


def _label_rank(name: str) -> tuple[int, str]:
    for rank, prefix in enumerate(LABEL_PRIORITY):
        if name.startswith(prefix):
            return rank, name
    return len(LABEL_PRIORITY), name


def _mirror_name(name: str) -> str | None:
    """The other side's landmark of a left/right pair (None for a midline landmark)."""
    for a, b in (("_left", "_right"), ("_right", "_left")):
        if name.endswith(a):
            return name[: -len(a)] + b
    return None


def _free(box: tuple[float, float, float, float], others: Sequence[tuple[float, float, float, float]]) -> bool:
    """Whether ``box`` overlaps none of ``others`` (all ``(x0, x1, y0, y1)``)."""
    x0, x1, y0, y1 = box
    for a0, a1, b0, b1 in others:
        if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
            return False
    return True


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    sides: Sequence[int],
    width: float,
    height: float,
    gap: float,
    obstacles: Sequence[tuple[float, float, float, float]] = (),
    soft_obstacles: Sequence[tuple[float, float, float, float]] = (),
) -> list[tuple[float, float] | None]:
    """Greedy screen-space placement of labels that never overlap each other.

    Parameters
    ----------
    anchors : sequence of (x, y)
        The labelled points in pixels, in priority order (earlier labels are placed first).
    sizes : sequence of (w, h)
        Label sizes in pixels.
    sides : sequence of int
        Preferred side of each label: +1 right of its point, -1 left, 0 either (right first).
    width, height : float
        The viewport: labels stay inside it.
    gap : float
        Distance of a label from its point, pixels (clears the marker).
    obstacles : sequence of (x0, x1, y0, y1)
        Boxes no label may cover (other text).
    soft_obstacles : sequence of (x0, x1, y0, y1)
        Boxes a label avoids if it can (the markers).

    Returns
    -------
    list
        Lower-left corner of each label, or None for a label that has no free place (hidden).
    """
    placed: list[tuple[float, float, float, float]] = []
    out: list[tuple[float, float] | None] = []
    for (x, y), (w, h), side in zip(anchors, sizes, sides):
        first = 1 if side >= 0 else -1
        candidates = []
        # Beside the point (preferred side first), level then a little higher or lower; then
        # above or below it; then further off, each time as close as possible.
        for s in (first, -first):
            x0 = x + gap if s > 0 else x - gap - w
            candidates += [(x0, y - h / 2), (x0, y + 0.15 * h), (x0, y - 1.15 * h)]
        for s in (first, -first):
            x0 = x + gap - 0.3 * w if s > 0 else x - gap - 0.7 * w
            candidates += [(x0, y + gap), (x0, y - gap - h)]
        for s in (first, -first):
            x0 = x + gap if s > 0 else x - gap - w
            candidates += [(x0, y + 0.8 * h), (x0, y - 1.8 * h)]
        fallback = None
        chosen = None
        for x0, y0 in candidates:
            box = (x0, x0 + w, y0, y0 + h)
            if x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
                continue
            if not _free(box, placed) or not _free(box, obstacles):
                continue
            if _free(box, soft_obstacles):
                chosen = box
                break
            if fallback is None:
                fallback = box
        chosen = chosen or fallback
        if chosen is None:
            out.append(None)
        else:
            placed.append(chosen)
            out.append((chosen[0], chosen[2]))
    return out


# --- the panel -------------------------------------------------------------------------------
_PANELS: weakref.WeakSet[Panel] = weakref.WeakSet()
"""Every live panel (side-by-side panels of one plotter lay their titles out alike)."""


class Panel:
    """The bones of one model in one renderer, with overlays.

    Parameters
    ----------
    plotter : pyvista.Plotter
        Where to add the actors.
    anatomy : Anatomy
        Bones and landmarks (in the pelvic frame at neutral).
    subplot : tuple of int, optional
        ``(row, column)`` of the plotter's subplot to use; default the active one.
    theme : str or Theme
        ``"default"`` or ``"projector"`` (big labels, high contrast), or a :class:`Theme`.
    title : str
        Panel title (upper left).
    overlays : iterable of str, optional
        Overlays on at start; default :data:`DEFAULT_OVERLAYS`.
    axis_level : str
        Sacral level of the nutation axis drawn by the ``axes`` overlay (``"S1"``, ``"S2"``, ``"S3"``).
    colour_map_range_mm : tuple of float
        Colour range of the displacement map, mm (true-scale displacement).
    max_triangles : int, optional
        Triangle budget per bone (see :func:`bone_surface`): None (full meshes) for videos and
        stills; the interactive app sets one, since software OpenGL must redraw within a slider step.

    Notes
    -----
    Actors are created once. :meth:`update` sets ``user_matrix`` on them; the colour map writes
    one float array per bone in place. The 2D text is laid out for the panel's real pixel size
    before every render in which that size or the text changed (:meth:`layout_text`).
    """

    def __init__(
        self,
        plotter: pv.Plotter,
        anatomy: Anatomy,
        *,
        subplot: tuple[int, int] | None = None,
        theme: str | Theme = "default",
        title: str = "",
        overlays: Sequence[str] | None = None,
        axis_level: str = "S2",
        colour_map_range_mm: tuple[float, float] = COLOUR_MAP_RANGE_MM,
        max_triangles: int | None = None,
    ) -> None:
        self.plotter = plotter
        self.anatomy = anatomy
        self.theme = get_theme(theme)
        if subplot is not None:
            plotter.subplot(*subplot)
        self.renderer = plotter.renderer
        self.renderer.set_background(self.theme.background)
        # Plain alpha blending for the translucent overlays (ghost, palpation spheres): order-
        # independent transparency costs several times a frame on software OpenGL.
        self.renderer.SetUseOIT(False)
        self._text_px = self._nominal_text_px(plotter.window_size[1])
        self._overlays: set[str] = set()
        self._pose: Pose | None = None
        self._trail_frame = "world"
        self.colour_map_range_mm = tuple(float(v) for v in colour_map_range_mm)

        self.bones = [b for b in (*PELVIC_BONES, *FEMURS) if b in anatomy.bones]
        self.meshes: dict[str, pv.PolyData] = {}
        self.actors: dict[str, Any] = {}
        self.ghost_actors: dict[str, Any] = {}
        self._vertices: dict[str, NDArray] = {}
        for bone in self.bones:
            vertices_mm, faces = bone_surface(anatomy.bones[bone], max_triangles)
            mesh = _polydata(vertices_mm, faces)
            mesh.point_data["displacement_mm"] = np.zeros(mesh.n_points)
            self.meshes[bone] = mesh
            self._vertices[bone] = vertices_mm
            actor = plotter.add_mesh(
                mesh, color=self.theme.bone_colour(bone), scalars="displacement_mm", cmap=self.theme.colour_map,
                clim=self.colour_map_range_mm, show_scalar_bar=False, smooth_shading=True, specular=0.2,
                name=f"{id(self)}_{bone}", reset_camera=False,
            )
            actor.mapper.scalar_visibility = False
            if is_closed(faces):
                # A closed opaque bone hides its own back faces: skipping them is the same picture
                # for about a third less drawing on software OpenGL. (An open user mesh keeps them.)
                actor.prop.culling = "back"
            self.actors[bone] = actor
            if bone in PELVIC_BONES:
                # A faint outline needs few triangles: a decimated copy keeps the ghost cheap.
                ghost_mesh = _coarse(mesh)
                ghost = plotter.add_mesh(
                    ghost_mesh, color=self.theme.ghost_colour, opacity=self.theme.ghost_opacity, show_scalar_bar=False,
                    scalars=None, name=f"{id(self)}_{bone}_ghost", reset_camera=False, lighting=False,
                )
                ghost.mapper.scalar_visibility = False
                # Push the ghost behind the bone where they coincide (no z-fighting at neutral).
                ghost.mapper.SetResolveCoincidentTopologyToPolygonOffset()
                ghost.mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(4.0, 40.0)
                ghost.visibility = False
                self.ghost_actors[bone] = ghost
        self._bounds = self._pelvic_bounds()

        self._build_landmarks()
        self._build_axes(axis_level)
        self._build_palpation()
        self.trail_actors: list[Any] = []
        self._build_text(title)

        for name in overlays if overlays is not None else DEFAULT_OVERLAYS:
            self.set_overlay(name, True)
        if "femurs" not in self._overlays:
            self.set_overlay("femurs", False)
        for name in OVERLAYS:
            if name not in self._overlays and name != "femurs":
                self.set_overlay(name, False)

    # --- construction -------------------------------------------------------------------
    def _pelvic_bounds(self) -> list[float]:
        points = np.vstack([self._vertices[b] for b in PELVIC_BONES if b in self._vertices])
        lo, hi = points.min(axis=0), points.max(axis=0)
        return [lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]]

    @property
    def pelvic_bounds(self) -> list[float]:
        """``(xmin, xmax, ymin, ymax, zmin, zmax)`` of the pelvic bones at neutral, mm."""
        return list(self._bounds)

    def _build_landmarks(self) -> None:
        names = [n for n in LANDMARK_LABELS if n in self.anatomy.landmarks]
        self._landmark_names = names
        self._landmark_bones = [self.anatomy.landmark(n).bone for n in names]
        self._landmark_neutral = np.array([self.anatomy.point(n) for n in names], dtype=float).reshape(-1, 3)
        self._landmark_poly = pv.PolyData(self._landmark_neutral.copy())
        self._landmark_poly.point_data["label"] = np.array([LANDMARK_LABELS[n] for n in names])
        self.landmark_actor = self.plotter.add_mesh(
            self._landmark_poly.glyph(geom=pv.Sphere(radius=1.0, theta_resolution=12, phi_resolution=12),
                                      scale=False, orient=False, factor=self.theme.landmark_size_mm),
            color=self.theme.landmark_colour, name=f"{id(self)}_landmark_glyphs", reset_camera=False,
        )
        # The glyph mesh is a snapshot; keep it attached to a glyph filter fed by the live points.
        glyph = vtk.vtkGlyph3D()
        sphere = vtk.vtkSphereSource()
        sphere.SetRadius(self.theme.landmark_size_mm)
        sphere.SetThetaResolution(12)
        sphere.SetPhiResolution(12)
        glyph.SetSourceConnection(sphere.GetOutputPort())
        glyph.SetInputData(self._landmark_poly)
        glyph.SetScaleModeToDataScalingOff()
        glyph.OrientOff()
        self.landmark_actor.mapper.SetInputConnection(glyph.GetOutputPort())
        self._landmark_glyph = glyph

        # Labels: placed in screen space before every render (_place_landmark_labels) so that no
        # two overlap, then drawn by one labelled-data mapper from their pixel positions.
        prop = vtk.vtkTextProperty()
        prop.SetFontSize(max(8, int(self._text_px * 0.8)))
        prop.SetColor(pv.Color(self.theme.text_colour).float_rgb)
        set_font(prop, bold=True)
        prop.SetShadow(True)
        prop.SetJustificationToLeft()
        prop.SetVerticalJustificationToBottom()
        self._landmark_label_prop = prop
        self._label_input = vtk.vtkPolyData()
        mapper = vtk.vtkLabeledDataMapper()
        mapper.SetInputData(self._label_input)
        mapper.SetLabelModeToLabelFieldData()
        mapper.SetFieldDataName("label")
        mapper.SetCoordinateSystem(vtk.vtkLabeledDataMapper.DISPLAY)
        mapper.SetLabelTextProperty(prop)
        self.landmark_label_actor = vtk.vtkActor2D()
        self.landmark_label_actor.SetMapper(mapper)
        self.renderer.AddViewProp(self.landmark_label_actor)
        self.landmark_label_boxes: dict[str, tuple[float, float, float, float]] = {}
        """Where each shown landmark label is drawn: ``(x0, x1, y0, y1)`` in pixels of the panel's viewport."""
        # (name, index, index of the other side's landmark or None, label text) in priority order
        index = {name: i for i, name in enumerate(names)}
        self._label_table = [(name, index[name], index.get(_mirror_name(name)), display_text(LANDMARK_LABELS[name]))
                             for name in sorted(names, key=_label_rank)]
        self._label_key: tuple[Any, ...] | None = None
        self._obstacle_cache: dict[Any, Any] = {}
        self._label_sizes: dict[tuple[str, int, int], tuple[int, int]] = {}

    def _axis_mesh(self, axis: joints.Axis, half_length_mm: float) -> pv.PolyData:
        p, d = np.asarray(axis.point_mm), np.asarray(axis.direction)
        r = self.theme.axis_radius_mm
        line = pv.Cylinder(center=p, direction=d, radius=r, height=2 * half_length_mm, resolution=16)
        tip = pv.Cone(center=p + d * (half_length_mm + 4 * r), direction=d, height=8 * r, radius=2.5 * r, resolution=16)
        return line.triangulate().merge(tip.triangulate())

    def _build_axes(self, level: str) -> None:
        self.axis_actors: dict[str, Any] = {}
        self._axis_level = None
        for which in joints.OBLIQUE_AXES:
            axis = joints.oblique_axis(self.anatomy, which)
            self.axis_actors[which] = self.plotter.add_mesh(
                self._axis_mesh(axis, 70.0), color=self.theme.oblique_axis_colour, name=f"{id(self)}_{which}",
                reset_camera=False,
            )
        self.set_axis_level(level)

    def set_axis_level(self, level: str) -> None:
        """Draw the nutation axis at sacral ``level`` (``"S1"``, ``"S2"`` or ``"S3"``)."""
        if level == self._axis_level:
            return
        axis = joints.nutation_axis(self.anatomy, level)
        mesh = self._axis_mesh(axis, 95.0)
        visible = "axes" in self._overlays
        self.axis_actors["nutation"] = self.plotter.add_mesh(
            mesh, color=self.theme.axis_colour, name=f"{id(self)}_nutation_axis", reset_camera=False,
        )
        self.axis_actors["nutation"].visibility = visible
        self._axis_level = level
        if self._pose is not None:
            self.axis_actors["nutation"].user_matrix = self._pose.state.T_world_pelvis

    @property
    def axis_level(self) -> str:
        """Sacral level of the drawn nutation axis."""
        return str(self._axis_level)

    def _build_palpation(self) -> None:
        self.palpation_actors: list[Any] = []
        inner, outer = PALPATION_ERROR_MM
        for name in PALPATION_LANDMARKS:
            if name not in self.anatomy.landmarks:
                continue
            centre = self.anatomy.point(name)
            for radius, opacity in ((outer, 0.12), (inner, 0.2)):
                self.palpation_actors.append(self.plotter.add_mesh(
                    pv.Sphere(radius=radius, center=centre, theta_resolution=24, phi_resolution=16),
                    color=self.theme.palpation_colour, opacity=opacity, name=f"{id(self)}_palp_{name}_{radius:g}",
                    reset_camera=False, lighting=False,
                ))

    def _nominal_text_px(self, window_height: int) -> int:
        """Body-text size in pixels for a window ``window_height`` pixels high (the theme's fraction)."""
        return max(MIN_FONT_PX, int(round(self.theme.text_height_fraction * window_height)))

    def _build_text(self, title: str) -> None:
        px, theme = self._text_px, self.theme
        self._title = title
        self._magnification_label = magnification_text(1.0)
        self._descriptor_text = ""
        self._text_layout_key: tuple[Any, ...] | None = None
        self._title_fit_key: tuple[Any, ...] | None = None
        self._title_fit_result = (True, 0, 0)
        self.title_actor = _text_actor(title, (0.0, 0.0), int(px * 1.25), theme.text_colour, top=True, bold=True)
        self.magnification_actor = _text_actor(self._magnification_label, (0.0, 0.0), int(px * 1.1),
                                               theme.magnification_colour, right=True, top=True, bold=True)
        self.descriptor_actor = _text_actor("", (0.0, 0.0), int(px * 0.85), theme.text_colour)
        # A semi-opaque backdrop in the background colour keeps the text readable over bone.
        for actor, opacity in ((self.title_actor, TITLE_BACKDROP_OPACITY),
                               (self.magnification_actor, TITLE_BACKDROP_OPACITY),
                               (self.descriptor_actor, DESCRIPTOR_BACKDROP_OPACITY)):
            prop = actor.GetTextProperty()
            prop.SetBackgroundColor(pv.Color(theme.background).float_rgb)
            prop.SetBackgroundOpacity(opacity)
        for actor in (self.title_actor, self.magnification_actor, self.descriptor_actor):
            # Laid out in pixels of this panel's viewport (origin lower left) by layout_text.
            actor.GetPositionCoordinate().SetCoordinateSystemToViewport()
            self.renderer.AddViewProp(actor)
        # Lay the text out again whenever the panel's size changed since the last render (window
        # resized, viewport set after construction). A weak reference: no cycle through VTK.
        panel = weakref.ref(self)

        def before_render(_caller: Any, _event: str) -> None:
            shown = panel()
            if shown is not None:
                shown.layout_text()
                shown._place_landmark_labels()

        self.renderer.AddObserver(vtk.vtkCommand.StartEvent, before_render)
        _PANELS.add(self)
        self.layout_text()

    def _title_fit(self) -> tuple[bool, int, int] | None:
        """How this panel's title and magnification label fit its width at full size.

        Returns
        -------
        (bool, int, int) or None
            Whether both fit side by side on one line, and the font sizes of title and label
            when stacked (each as large as fits, see :meth:`layout_text`); None without a window.
        """
        window = self.renderer.GetRenderWindow()
        width = int(self.renderer.GetSize()[0]) if window is not None else 0
        if width < 8:
            return None
        dpi = int(window.GetDPI())
        px = self._nominal_text_px(int(window.GetSize()[1]))
        key = (width, px, dpi, self._title, self._magnification_label)
        if self._title_fit_key != key:
            title, label = display_text(self._title), display_text(self._magnification_label)
            title_prop, label_prop = vtk.vtkTextProperty(), vtk.vtkTextProperty()
            title_prop.ShallowCopy(self.title_actor.GetTextProperty())
            label_prop.ShallowCopy(self.magnification_actor.GetTextProperty())
            title_px, label_px = int(round(1.25 * px)), int(round(1.1 * px))
            title_prop.SetFontSize(title_px)
            label_prop.SetFontSize(label_px)
            title_width = text_size_px(title_prop, title, dpi)[0]
            room = width - 2 * self._text_margin(px)
            one_line = title_width + (px if title_width else 0) + text_size_px(label_prop, label, dpi)[0] <= room
            # Stacked: two lines down to TITLE_MIN_SCALE, then three down to MIN_FONT_PX.
            smallest = max(MIN_FONT_PX, int(TITLE_MIN_SCALE * title_px))
            title_px, _ = _fit_width(title, title_prop, title_px, room, dpi, [(smallest, 2), (MIN_FONT_PX, 3)])
            smallest = max(MIN_FONT_PX, int(TITLE_MIN_SCALE * label_px))
            label_px, _ = _fit_width(label, label_prop, label_px, room, dpi, [(smallest, 1), (MIN_FONT_PX, 1)])
            self._title_fit_key = key
            self._title_fit_result = (one_line, title_px, label_px)
        return self._title_fit_result

    @staticmethod
    def _text_margin(px: int) -> int:
        """Margin of the text from the panel's edges, pixels."""
        return max(4, int(round(0.5 * px)))

    def layout_text(self) -> None:
        """Fit the title, magnification label and descriptor block to the panel's size in pixels.

        Sizes follow the theme's fraction of the window height; widths are measured in pixels
        with the font itself. The magnification label sits to the right of the title when both
        fit on one line with a gap, else on its own line under the title. A title too wide for
        the panel wraps onto two lines, shrinking as far as :data:`TITLE_MIN_SCALE` if two lines
        are not enough, then onto three down to :data:`MIN_FONT_PX`. Panels of one plotter (side
        by side) share these choices: the labels of all sit on the title line or all under it,
        and all titles take the smallest size any of them needs. The descriptor block shrinks (to
        :data:`DESCRIPTOR_MIN_SCALE`) in panels too narrow for :data:`DESCRIPTOR_LINE_CHARACTERS`
        characters a line, wraps to the panel's width and covers at most
        :data:`DESCRIPTOR_MAX_HEIGHT_FRACTION` of the panel, below the title block (lines beyond
        that are cut, the last ending in "…"). Landmark labels shrink with narrow panels
        (:data:`LABEL_MIN_SCALE`).

        Called before every render (a no-op unless the size or a text changed) and whenever a
        text is set.
        """
        window = self.renderer.GetRenderWindow()
        width, height = (int(v) for v in self.renderer.GetSize()) if window is not None else (0, 0)
        if width < 8 or height < 8:  # no window (yet): show the texts as they are until there is one
            self.title_actor.SetInput(display_text(self._title))
            self.magnification_actor.SetInput(display_text(self._magnification_label))
            self.descriptor_actor.SetInput(display_text(self._descriptor_text))
            self._text_layout_key = None
            return
        dpi = int(window.GetDPI())
        px = self._nominal_text_px(int(window.GetSize()[1]))
        descriptors_on = bool(self.descriptor_actor.GetVisibility())
        # Side-by-side panels lay their titles out alike: magnification labels all on the title
        # line, or all under the title as soon as one panel needs that; stacked, every panel
        # takes the smallest title (and label) size any of them needs.
        fits = [fit for panel in list(_PANELS) if panel.plotter is self.plotter
                for fit in [panel._title_fit()] if fit is not None]
        fits = fits or [(True, 0, 0)]
        one_line = all(fit[0] for fit in fits)
        common_title_px, common_label_px = min(fit[1] for fit in fits), min(fit[2] for fit in fits)
        key = (width, height, px, dpi, one_line, common_title_px, common_label_px, self._title,
               self._magnification_label, self._descriptor_text if descriptors_on else None)
        if key == self._text_layout_key:
            return
        self._text_layout_key = key
        self._text_px = px
        margin = self._text_margin(px)
        room = width - 2 * margin
        title = display_text(self._title)
        label = display_text(self._magnification_label)
        title_prop = self.title_actor.GetTextProperty()
        label_prop = self.magnification_actor.GetTextProperty()
        title_px, label_px = int(round(1.25 * px)), int(round(1.1 * px))

        # Title and magnification label: one line when they fit (in every panel), else stacked.
        title_prop.SetFontSize(title_px)
        label_prop.SetFontSize(label_px)
        if one_line:
            title_lines = [title]
        else:
            # At the size the panels share (see _title_fit): wrapped, at most three lines.
            title_px, title_lines = _fit_width(title, title_prop, min(title_px, common_title_px), room, dpi,
                                               [(MIN_FONT_PX, 3)])
            label_px, _ = _fit_width(label, label_prop, min(label_px, common_label_px), room, dpi,
                                     [(MIN_FONT_PX, 1)])
        title_text = "\n".join(title_lines)
        self.title_actor.SetInput(title_text)
        self.magnification_actor.SetInput(label)
        top = height - margin
        self.title_actor.SetPosition(margin, top)
        title_height = text_size_px(title_prop, title_text, dpi)[1]
        if one_line:
            label_prop.SetJustificationToRight()
            self.magnification_actor.SetPosition(width - margin, top)
            block_bottom = top - max(title_height, text_size_px(label_prop, label, dpi)[1])
        else:
            label_prop.SetJustificationToLeft()
            label_top = top - title_height - (int(round(0.3 * px)) if title_height else 0)
            self.magnification_actor.SetPosition(margin, label_top)
            block_bottom = label_top - text_size_px(label_prop, label, dpi)[1]

        # Descriptor block: lower left, below the title block, wrapped to the panel's width.
        if descriptors_on:
            max_height = min(DESCRIPTOR_MAX_HEIGHT_FRACTION * height, block_bottom - 2 * margin)
            self._layout_descriptors(px, dpi, room, max_height)
        else:
            self.descriptor_actor.SetInput("")
        self.descriptor_actor.SetPosition(margin, margin)
        # Landmark labels: a narrow panel draws the pelvis smaller, so its labels shrink with it
        # (full size from a 4:3 panel of the window's height), to LABEL_MIN_SCALE at most.
        full = 0.8 * px
        scale = min(1.0, max(LABEL_MIN_SCALE, width / (4.0 / 3.0 * window.GetSize()[1])))
        label_size = max(min(MIN_FONT_PX, int(round(full))), int(round(full * scale)))
        if self._landmark_label_prop.GetFontSize() != label_size:
            self._landmark_label_prop.SetFontSize(label_size)

    def _place_landmark_labels(self) -> None:
        """Put each landmark label beside its marker where it overlaps no other label or text.

        Called before every render: the points are projected with the current camera and the
        labels placed greedily in :data:`LABEL_PRIORITY` order (:func:`place_labels`), each on the
        side away from the midline if it can (a left landmark's label beyond its marker, as seen
        against the right one), else on the other side, above or below; a label with no free
        place is hidden (its marker stays). A no-op unless the camera, points, size or text changed.
        """
        if not self.landmark_label_actor.GetVisibility() or not self._landmark_names:
            return
        window = self.renderer.GetRenderWindow()
        width, height = (int(v) for v in self.renderer.GetSize()) if window is not None else (0, 0)
        if width < 8 or height < 8:
            return
        camera = self.renderer.GetActiveCamera()
        elements = camera.GetCompositeProjectionTransformMatrix(width / height, -1.0, 1.0).GetData()
        points = vtk_to_numpy(self._landmark_poly.GetPoints().GetData()).astype(float)
        dpi = int(window.GetDPI())
        prop = self._landmark_label_prop
        obstacles = self._text_obstacles(width, dpi)
        key = (elements, points.tobytes(), width, height, dpi, prop.GetFontSize(), tuple(obstacles))
        if key == self._label_key:
            return
        self._label_key = key
        matrix = np.array(elements).reshape(4, 4)

        # Project the points (and a point one marker radius up the screen, for the marker's size).
        up = np.asarray(camera.GetViewUp(), dtype=float)
        n = len(points)
        homogeneous = np.ones((2 * n, 4))
        homogeneous[:n, :3] = points
        homogeneous[n:, :3] = points + self.theme.landmark_size_mm * up
        clip = homogeneous @ matrix.T
        w = np.where(np.abs(clip[:, 3]) < 1e-12, 1e-12, clip[:, 3])
        screen = (clip[:, :2] / w[:, None] + 1.0) * (0.5 * width, 0.5 * height)
        radius = np.hypot(*(screen[n:] - screen[:n]).T)
        in_front = (clip[:n, 3] > 0).tolist()
        xy, radius_list = screen[:n].tolist(), radius.tolist()

        pad = 2.0
        min_dx = 0.5 * prop.GetFontSize()
        order, anchors, sizes, sides = [], [], [], []
        for name, i, j, text in self._label_table:
            if not in_front[i]:
                continue
            w_px, h_px = self._label_size(text, dpi)
            side = 0
            if j is not None:
                dx = xy[i][0] - xy[j][0]
                side = (1 if dx > 0 else -1) if abs(dx) > min_dx else 0
            order.append((name, text))
            anchors.append(xy[i])
            sizes.append((w_px + 2 * pad, h_px + 2 * pad))
            sides.append(side)
        markers = [(x - rr, x + rr, y - rr, y + rr) for (x, y), rr, front in zip(xy, radius_list, in_front) if front]
        shown_radii = [rr for rr, front in zip(radius_list, in_front) if front]
        gap = max(shown_radii, default=0.0) + 1.0  # clear of every marker, its own included
        spots = place_labels(anchors, sizes, sides, width, height, gap, obstacles, markers)

        # The mapper draws at display (window) pixels: offset by the viewport's origin.
        x_origin, y_origin = self.renderer.GetOrigin()
        boxes, vertices = {}, []
        labels = vtk.vtkStringArray()
        labels.SetName("label")
        for (name, text), spot, (w_px, h_px) in zip(order, spots, sizes):
            if spot is not None:
                x0, y0 = spot[0] + pad, spot[1] + pad
                boxes[name] = (x0, x0 + w_px - 2 * pad, y0, y0 + h_px - 2 * pad)
                vertices.append((x0 + x_origin, y0 + y_origin, 0.0))
                labels.InsertNextValue(text)
        self.landmark_label_boxes = boxes
        vtk_points = vtk.vtkPoints()
        vtk_points.SetData(numpy_to_vtk(np.array(vertices, dtype=float).reshape(-1, 3), deep=True))
        self._label_input.SetPoints(vtk_points)
        self._label_input.GetPointData().Initialize()
        self._label_input.GetPointData().AddArray(labels)
        self._label_input.Modified()

    def _text_obstacles(self, width: int, dpi: int) -> list[tuple[float, float, float, float]]:
        """Boxes ``(x0, x1, y0, y1)`` of the panel's other text (title, magnification, descriptors).

        Title and magnification label are measured when they change; the descriptor block, whose
        text changes with every pose, is taken as the panel's text width by its line count.
        """
        boxes = []
        for actor in (self.title_actor, self.magnification_actor):
            text = actor.GetInput()
            if not actor.GetVisibility() or not text or not text.strip():
                continue
            tprop = actor.GetTextProperty()
            position = tuple(actor.GetPosition())
            key = (text, tprop.GetFontSize(), tprop.GetJustification(), position, dpi)
            cached = self._obstacle_cache.get(id(actor))
            if cached is None or cached[0] != key:
                bbox = [0.0] * 4
                actor.GetBoundingBox(self.renderer, bbox)
                cached = (key, (bbox[0] + position[0], bbox[1] + position[0], bbox[2] + position[1],
                                bbox[3] + position[1]))
                self._obstacle_cache[id(actor)] = cached
            boxes.append(cached[1])
        text = self.descriptor_actor.GetInput()
        if self.descriptor_actor.GetVisibility() and text and text.strip():
            tprop = self.descriptor_actor.GetTextProperty()
            lines = text.count("\n") + 1
            key = ("\n".join(["Ég("] * lines), tprop.GetFontSize(), dpi)
            size = self._obstacle_cache.get(key)
            if size is None:
                size = text_size_px(tprop, key[0], dpi)
                self._obstacle_cache[key] = size
            x, y = self.descriptor_actor.GetPosition()
            boxes.append((x - 2, width - x + 2, y - 2, y + size[1] + 2))
        return boxes

    def _label_size(self, text: str, dpi: int) -> tuple[int, int]:
        """Width and height in pixels of one landmark label at its current font size (cached)."""
        prop = self._landmark_label_prop
        key = (text, prop.GetFontSize(), dpi)
        cache = self._label_sizes
        if key not in cache:
            cache[key] = text_size_px(prop, text, dpi)
        return cache[key]

    def _layout_descriptors(self, px: int, dpi: int, room: float, max_height: float) -> None:
        """Wrap the descriptor text to ``room`` pixels wide and at most ``max_height`` high."""
        prop = self.descriptor_actor.GetTextProperty()
        size = int(round(0.85 * px))
        prop.SetFontSize(size)
        wanted = DESCRIPTOR_LINE_CHARACTERS * text_size_px(prop, _AVERAGE_TEXT, dpi)[0] / len(_AVERAGE_TEXT)
        if wanted > room:
            smallest = min(size, max(MIN_FONT_PX, int(DESCRIPTOR_MIN_SCALE * size)))
            size = max(smallest, int(size * room / wanted))
            prop.SetFontSize(size)
        lines = wrap_to_width(display_text(self._descriptor_text), prop, room, dpi)
        keep = min(len(lines), DESCRIPTOR_MAX_LINES)
        while keep > 0 and text_size_px(prop, "\n".join(_cut_lines(lines, keep, prop, room, dpi)),
                                        dpi)[1] > max_height:
            keep -= 1
        lines = _cut_lines(lines, keep, prop, room, dpi) if keep > 0 else []
        while size > 8 and text_size_px(prop, "\n".join(lines), dpi)[0] > room:  # one word wider than the panel
            size -= 1
            prop.SetFontSize(size)
        self.descriptor_actor.SetInput("\n".join(lines))

    # --- public API -----------------------------------------------------------------------
    @property
    def overlays(self) -> frozenset[str]:
        """Names of the overlays that are on."""
        return frozenset(self._overlays)

    def set_title(self, title: str) -> None:
        """Set the panel title (upper left)."""
        self._title = str(title)
        self.layout_text()

    @property
    def title(self) -> str:
        """The panel title as set (the title actor may show it wrapped)."""
        return self._title

    def set_overlay(self, name: str, on: bool = True) -> None:
        """Turn one overlay of :data:`OVERLAYS` on or off."""
        if name == "color_map":
            name = "colour_map"
        if name not in OVERLAYS:
            raise ParameterError(f"Unknown overlay {name!r}. Expected one of: {', '.join(OVERLAYS)}")
        on = bool(on)
        (self._overlays.add if on else self._overlays.discard)(name)
        if name == "ghost":
            for actor in self.ghost_actors.values():
                actor.visibility = on
        elif name == "landmarks":
            self.landmark_actor.visibility = on
            self.landmark_label_actor.SetVisibility(on)
        elif name == "axes":
            for actor in self.axis_actors.values():
                actor.visibility = on
        elif name == "colour_map":
            for bone in PELVIC_BONES:
                if bone in self.actors:
                    self.actors[bone].mapper.scalar_visibility = on
            if on and self._pose is not None:
                self._update_colour_map(self._pose)
        elif name == "trails":
            for actor in self.trail_actors:
                actor.visibility = on
        elif name == "palpation":
            for actor in self.palpation_actors:
                actor.visibility = on
        elif name == "femurs":
            for bone in FEMURS:
                if bone in self.actors:
                    self.actors[bone].visibility = on
        elif name == "descriptors":
            self.descriptor_actor.SetVisibility(on)
            self.layout_text()

    def set_trails(self, poses: Sequence[Pose], *, frame: str = "world") -> None:
        """Draw the paths of ASIS and PSIS through ``poses`` (e.g. one gait cycle).

        Parameters
        ----------
        poses : sequence of Pose
            The poses, in order (the path is closed when they span a whole cycle: pass them all).
        frame : str
            ``"world"``: paths as displayed (whole-pelvis gait motion included); ``"pelvis"``: the
            intrapelvic part only, drawn moving with the pelvis.
        """
        if frame not in ("world", "pelvis"):
            raise ParameterError(f"trail frame must be 'world' or 'pelvis', got {frame!r}")
        for actor in self.trail_actors:
            self.renderer.remove_actor(actor, render=False)
        self.trail_actors = []
        self._trail_frame = frame
        visible = "trails" in self._overlays
        for name in TRAIL_LANDMARKS:
            if name not in self.anatomy.landmarks or not poses:
                continue
            lm = self.anatomy.landmark(name)
            p = np.append(lm.position_mm, 1.0)
            points = []
            for ps in poses:
                T = ps.T_world[lm.bone]
                if frame == "pelvis":
                    T = frames.invert(ps.state.T_world_pelvis) @ T
                points.append((T @ p)[:3])
            path = pv.lines_from_points(np.array(points))
            actor = self.plotter.add_mesh(
                path, color=self.theme.trail_colour, line_width=self.theme.trail_width, reset_camera=False,
                name=f"{id(self)}_trail_{name}", render_lines_as_tubes=False, lighting=False,
            )
            actor.visibility = visible
            self.trail_actors.append(actor)
        if self._pose is not None and frame == "pelvis":
            for actor in self.trail_actors:
                actor.user_matrix = self._pose.state.T_world_pelvis

    def update(self, pose: Pose, descriptors: Any = None) -> None:
        """Show ``pose``: set every actor's ``user_matrix``; refresh the text.

        Parameters
        ----------
        pose : Pose
            From :func:`pelvisim.pose.pose` (magnification already applied for display).
        descriptors : Descriptors or str, optional
            Shown in the descriptor block (their ``summary``); None keeps the previous text.
        """
        self._pose = pose
        for bone, actor in self.actors.items():
            actor.user_matrix = pose.T_world[bone]
        W = pose.state.T_world_pelvis
        for actor in self.ghost_actors.values():
            actor.user_matrix = W
        for actor in self.axis_actors.values():
            actor.user_matrix = W
        for actor in self.palpation_actors:
            actor.user_matrix = W
        if self._trail_frame == "pelvis":
            for actor in self.trail_actors:
                actor.user_matrix = W
        self._landmark_poly.points = self.landmark_positions(pose)
        self._landmark_poly.Modified()
        if "colour_map" in self._overlays:
            self._update_colour_map(pose)
        self._magnification_label = magnification_text(pose.magnification)
        if descriptors is not None:
            self._descriptor_text = _descriptor_text(descriptors)
        self.layout_text()

    def set_descriptor_text(self, descriptors: Any) -> None:
        """Show descriptors (their ``summary``) or a ready-made string in the lower-left block."""
        self._descriptor_text = _descriptor_text(descriptors)
        self.layout_text()

    def landmark_positions(self, pose: Pose) -> NDArray[np.float64]:
        """World positions (n, 3) of the labelled landmarks, in :data:`LANDMARK_LABELS` order."""
        out = np.empty_like(self._landmark_neutral)
        for i, (bone, p) in enumerate(zip(self._landmark_bones, self._landmark_neutral)):
            T = pose.T_world[bone]
            out[i] = T[:3, :3] @ p + T[:3, 3]
        return out

    def _update_colour_map(self, pose: Pose) -> None:
        # True-scale intrapelvic displacement of each vertex: |R v + t - v|, written in place.
        for bone in PELVIC_BONES:
            if bone not in self.meshes:
                continue
            T = pose.state.T_pelvis[bone]
            v = self._vertices[bone]
            d = v @ (T[:3, :3] - np.eye(3)).T + T[:3, 3]
            array = self.meshes[bone].point_data["displacement_mm"]
            array[:] = np.sqrt(np.einsum("ij,ij->i", d, d))
            self.meshes[bone].point_data.active_scalars_name = "displacement_mm"
            array.Modified() if hasattr(array, "Modified") else None
            self.meshes[bone].Modified()

    def set_colour_map_range(self, low_mm: float, high_mm: float) -> None:
        """Colour range of the displacement map, mm (true scale)."""
        self.colour_map_range_mm = (float(low_mm), float(high_mm))
        for bone in PELVIC_BONES:
            if bone in self.actors:
                self.actors[bone].mapper.scalar_range = self.colour_map_range_mm

    def set_view(self, name: str, zoom: float = 1.0) -> None:
        """Anatomical camera preset fitted to the pelvis (see :func:`set_view`)."""
        set_view(self.plotter, name, bounds=self._bounds, zoom=zoom, renderers=[self.renderer])
