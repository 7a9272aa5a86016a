"""The gait strip under gait panels: where in the stride we are, and which foot is on the ground.

One row per foot (right above left) shows its stance as a bar over the stride — from initial
contact to toe-off (:data:`pelvisim.gait.STANCE`, the left wrapping round the end of the stride) —
and a cursor marks the current phase, with the phase in per cent and the foot or feet on the
ground at that moment. It lives in its own renderer across the bottom of the window (videos and
the app alike); everything is drawn in normalised coordinates of that renderer.
"""

from __future__ import annotations

from typing import Any

import pyvista as pv
import vtk

from pelvisim import gait
from pelvisim.view.flat import flat_actor, quads
from pelvisim.view.text import text_actor
from pelvisim.view.theme import Theme

STRIP_HEIGHT_FRACTION = 0.075
"""Height of the strip as a fraction of the window's height (about 54 px at 720p)."""
LABEL_WIDTH = 0.085
"""Share of the strip's width left of the bars for the row names."""
READOUT_WIDTH = 0.2
"""Share of the strip's width right of the bars for the phase and contact text."""
SIDE_COLOURS = {"right": "#4fa3ff", "left": "#ff8a4f"}
"""Stance-bar colour per foot (the landmark labels say the side in words too)."""


def stance_intervals(side: str) -> list[tuple[float, float]]:
    """Stance of ``side`` as phase intervals within [0, 1] (a stance crossing the stride's end is split)."""
    start, end = gait.STANCE[side]
    if end <= 1.0:
        return [(start, end)]
    return [(start, 1.0), (0.0, end - 1.0)]


def feet_on_ground(phase: float) -> list[str]:
    """The sides whose foot is on the ground at ``phase`` (right first)."""
    return [side for side in ("right", "left") if gait.in_stance(phase % 1.0, side)]


class GaitStrip:
    """A renderer with the stance bars of both feet and a phase cursor.

    Parameters
    ----------
    theme : Theme
    window_height_px : int
        Height of the whole window (text is sized from it).
    """

    ROWS = {"right": (0.56, 0.86), "left": (0.14, 0.44)}
    """Vertical extent of each foot's row, normalised in the strip."""

    def __init__(self, theme: Theme, window_height_px: int) -> None:
        self.renderer = vtk.vtkRenderer()
        self.renderer.SetBackground(pv.Color(theme.background).float_rgb)
        self.renderer.SetInteractive(False)
        x0, x1 = LABEL_WIDTH, 1.0 - READOUT_WIDTH
        self.bar_range = (x0, x1)
        px = max(9, int(round(0.7 * theme.text_height_fraction * window_height_px)))
        track = quads([(x0, x1, y0, y1) for y0, y1 in self.ROWS.values()])
        self.renderer.AddViewProp(flat_actor(track, theme.text_colour, 0.12))
        self.bars: dict[str, vtk.vtkActor2D] = {}
        for side, (y0, y1) in self.ROWS.items():
            rects = [(x0 + a * (x1 - x0), x0 + b * (x1 - x0), y0, y1) for a, b in stance_intervals(side)]
            self.bars[side] = flat_actor(quads(rects), SIDE_COLOURS[side], 0.9)
            self.renderer.AddViewProp(self.bars[side])
            name = text_actor(f"{side} foot", (0.01, 0.5 * (y0 + y1)), px, SIDE_COLOURS[side], bold=True)
            name.GetTextProperty().SetVerticalJustificationToCentered()
            self.renderer.AddViewProp(name)
        self._cursor = quads([(0.0, 0.0, 0.04, 0.96)])
        cursor = flat_actor(self._cursor, theme.text_colour, 1.0)
        self.renderer.AddViewProp(cursor)
        self.text = text_actor("", (x1 + 0.012, 0.5), px, theme.text_colour)
        self.text.GetTextProperty().SetVerticalJustificationToCentered()
        self.renderer.AddViewProp(self.text)
        self.phase = 0.0

    def set_phase(self, phase: float) -> None:
        """Move the cursor to gait ``phase`` and say which feet are down."""
        self.phase = float(phase) % 1.0
        x0, x1 = self.bar_range
        x = x0 + self.phase * (x1 - x0)
        half = 0.0025
        points = self._cursor.GetPoints()
        for k, (px, py) in enumerate(((x - half, 0.04), (x + half, 0.04), (x + half, 0.96), (x - half, 0.96))):
            points.SetPoint(k, px, py, 0.0)
        points.Modified()
        self._cursor.Modified()
        down = feet_on_ground(self.phase)
        contact = "both feet down" if len(down) == 2 else f"{down[0]} foot down" if down else "no foot down"
        percent = f"{100 * self.phase:3.0f}".replace(" ", "\u2007")  # figure spaces: the text does not jump
        self.text.SetInput(f"stride {percent} %  ·  {contact}")

    def set_viewport(self, viewport: tuple[float, float, float, float]) -> None:
        """Place the strip in the window (normalised ``x0, y0, x1, y1``)."""
        self.renderer.SetViewport(*viewport)

    def add_to(self, window: Any) -> None:
        """Add the strip's renderer to a render window."""
        window.AddRenderer(self.renderer)
