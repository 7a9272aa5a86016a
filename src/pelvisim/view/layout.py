"""Where the panels go: 1, 2 or 3 side by side, four in a row or 2 × 2, and strips below them.

Shared by videos (:class:`pelvisim.view.render.Stage`) and the app (:class:`pelvisim.view.app.SceneView`)
so both lay panels out alike. Viewports are VTK's normalised ``(x0, y0, x1, y1)``, origin lower left.
"""

from __future__ import annotations

import math

PANEL_ASPECT = 1.35
"""Width / height the pelvis fills best in a panel (anterior view: about 260 × 190 mm)."""
EMPTY_CELL_PENALTY = 0.6
"""Cost of a grid cell left empty, against the log aspect mismatch of the panels (a pelvisim choice)."""
GRIDS = {1: ((1, 1),), 2: ((1, 2), (2, 1)), 3: ((1, 3), (3, 1), (2, 2)), 4: ((1, 4), (2, 2), (4, 1))}
"""Candidate (rows, columns) per number of panels."""


def panel_grid(n: int, width_px: float, height_px: float) -> tuple[int, int]:
    """(rows, columns) for ``n`` panels in an area of ``width_px`` × ``height_px``.

    The grid whose panels come closest to :data:`PANEL_ASPECT` wins, an empty cell costing
    :data:`EMPTY_CELL_PENALTY`: four panels are 2 × 2 in a 16:9 window and a row of four in a very
    wide one; three stay in a row unless the window is nearly square.
    """
    if n not in GRIDS:
        raise ValueError(f"expected 1 to 4 panels, got {n}")
    if width_px <= 0 or height_px <= 0:
        return GRIDS[n][0]

    def cost(grid: tuple[int, int]) -> float:
        rows, cols = grid
        aspect = (width_px / cols) / (height_px / rows)
        return abs(math.log(aspect / PANEL_ASPECT)) + EMPTY_CELL_PENALTY * (rows * cols - n)

    return min(GRIDS[n], key=cost)


def panel_viewports(n: int, grid: tuple[int, int], bottom: float = 0.0) -> list[tuple[float, float, float, float]]:
    """Normalised viewports of ``n`` panels filling ``grid`` row by row above ``bottom``."""
    rows, cols = grid
    out = []
    for index in range(n):
        r, c = divmod(index, cols)
        x0, x1 = c / cols, (c + 1) / cols
        y0 = bottom + (1.0 - bottom) * (rows - 1 - r) / rows
        y1 = bottom + (1.0 - bottom) * (rows - r) / rows
        out.append((x0, y0, x1, y1))
    return out
