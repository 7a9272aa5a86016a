"""Text in the 3D view: pelvisim's font, measuring text in pixels, word wrap and fitting.

All 2D text of the panels, captions and title cards is drawn in DejaVu Sans (matplotlib ships it),
measured with VTK's own text renderer so that layouts are computed in real pixels.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyvista as pv
import vtk


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


def cut_lines(lines: list[str], keep: int, prop: vtk.vtkTextProperty, width_px: float, dpi: int) -> list[str]:
    """The first ``keep`` lines, the last ending in "…" (shortened until it fits) when any were cut."""
    if len(lines) <= keep:
        return list(lines)
    kept = lines[:max(1, keep)]
    last = kept[-1].rstrip(" .,;:")
    while last and text_size_px(prop, last + " …", dpi)[0] > width_px:
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    kept[-1] = (last + " …").strip()
    return kept


def fit_width(text: str, prop: vtk.vtkTextProperty, size_px: int, width_px: float, dpi: int,
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
    lines = cut_lines(lines, max_lines, prop, width_px, dpi)
    while size > 8 and text_size_px(prop, "\n".join(lines), dpi)[0] > width_px:  # a word wider than the panel
        size -= 1
        prop.SetFontSize(size)
    return size, lines


def text_actor(text: str, position: tuple[float, float], size_px: int, colour: str, *, right: bool = False,
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
