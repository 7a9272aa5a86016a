"""Anatomical camera presets: the data stay in the pelvic (ISB) frame, only the camera moves.

Pelvic frame, mm: +X anterior, +Y superior, +Z right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyvista as pv

from pelvisim.errors import ParameterError
from pelvisim.scene import VIEWS

# (direction from the focus to the camera, camera up), pelvic frame.
_VIEW_DIRECTIONS: Mapping[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "anterior": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "posterior": ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "superior": ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
    "inferior": ((0.0, -1.0, 0.0), (1.0, 0.0, 0.0)),
    "left": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "right": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
}


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
