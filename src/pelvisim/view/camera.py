"""Camera presets, one per anatomical view and one per lesson: only the camera moves, never the data.

Pelvic (ISB) frame, mm: +X anterior, +Y superior, +Z right. A :class:`ViewPreset` says where the
camera looks from, which way is up, and — for the lesson views — which bones are hidden, which
bone is cut at the mid-sagittal plane (keeping one half, the cut capped and outlined) and which
joint the camera closes in on. :class:`~pelvisim.view.panel.Panel` applies the hiding and cutting;
:func:`set_view` points the camera.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv
from numpy.typing import NDArray

from pelvisim.errors import ParameterError
from pelvisim.scene import CAMERA_VIEWS

Vector = tuple[float, float, float]


@dataclass(frozen=True)
class ViewPreset:
    """One named view.

    Attributes
    ----------
    direction : (float, float, float)
        From the point looked at to the camera (pelvic frame, unit length).
    up : (float, float, float)
        Screen-up direction (perpendicular to ``direction``).
    says : str
        What the view shows, in a lecturer's words.
    hidden : tuple of str
        Bones not drawn (e.g. the innominate nearest the camera).
    cut_keep : str or None
        ``"left"`` or ``"right"``: the sacrum is cut at the mid-sagittal plane and only this half
        is drawn, its cut face capped and outlined. None: no cut.
    close_up : str or None
        ``"left"`` / ``"right"``: the camera closes in on that SIJ instead of fitting the pelvis.
    """

    direction: Vector
    up: Vector
    says: str
    hidden: tuple[str, ...] = ()
    cut_keep: str | None = None
    close_up: str | None = None


def _elevated(elevation_deg: float) -> tuple[Vector, Vector]:
    """Direction and up of a camera behind the patient raised by ``elevation_deg`` toward the head."""
    e = math.radians(elevation_deg)
    return (-math.cos(e), math.sin(e), 0.0), (math.sin(e), math.cos(e), 0.0)


_BEHIND_ABOVE = _elevated(45.0)

VIEW_PRESETS: Mapping[str, ViewPreset] = {
    "anterior": ViewPreset((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), "from the front"),
    "posterior": ViewPreset((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0), "from behind"),
    "superior": ViewPreset((0.0, 1.0, 0.0), (1.0, 0.0, 0.0), "from above (horizontal-plane motion)"),
    "inferior": ViewPreset((0.0, -1.0, 0.0), (1.0, 0.0, 0.0), "from below"),
    "left": ViewPreset((0.0, 0.0, -1.0), (0.0, 1.0, 0.0), "from the patient's left"),
    "right": ViewPreset((0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "from the patient's right"),
    "posterior_superior": ViewPreset(*_BEHIND_ABOVE, "from behind and above: the sacral base and both sulci"),
    "sagittal_left": ViewPreset(
        (0.0, 0.0, -1.0), (0.0, 1.0, 0.0),
        "sagittal cut-away from the left: left innominate removed, sacrum cut at the midline, sacrum and "
        "right ilium in profile",
        hidden=("innominate_left", "femur_left"), cut_keep="right"),
    "sagittal_right": ViewPreset(
        (0.0, 0.0, 1.0), (0.0, 1.0, 0.0),
        "sagittal cut-away from the right: right innominate removed, sacrum cut at the midline, sacrum and "
        "left ilium in profile",
        hidden=("innominate_right", "femur_right"), cut_keep="left"),
    "medial_left": ViewPreset(
        (0.0, 0.0, 1.0), (0.0, 1.0, 0.0),
        "the left SIJ from inside the pelvis (right innominate removed, sacrum cut at the midline)",
        hidden=("innominate_right", "femur_right"), cut_keep="left", close_up="left"),
    "medial_right": ViewPreset(
        (0.0, 0.0, -1.0), (0.0, 1.0, 0.0),
        "the right SIJ from inside the pelvis (left innominate removed, sacrum cut at the midline)",
        hidden=("innominate_left", "femur_left"), cut_keep="right", close_up="right"),
    "left_hemipelvis": ViewPreset(
        (0.0, 0.0, -1.0), (0.0, 1.0, 0.0), "the left hemipelvis from the side (right innominate hidden)",
        hidden=("innominate_right", "femur_right")),
    "right_hemipelvis": ViewPreset(
        (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), "the right hemipelvis from the side (left innominate hidden)",
        hidden=("innominate_left", "femur_left")),
}
"""Every view of :data:`pelvisim.scene.CAMERA_VIEWS`, by name."""

CLOSE_UP_HALF_SIZE_MM = 100.0
"""Half the size of the box a close-up view fits around its SIJ centre (the joint and its margins)."""


def view_preset(name: str) -> ViewPreset:
    """The :class:`ViewPreset` called ``name``; a clear error for an unknown name."""
    try:
        return VIEW_PRESETS[name]
    except KeyError:
        raise ParameterError(f"Unknown view {name!r}. Expected one of: {', '.join(CAMERA_VIEWS)}") from None


def close_up_bounds(centre_mm: Sequence[float]) -> list[float]:
    """``(xmin, xmax, ymin, ymax, zmin, zmax)`` of a close-up around ``centre_mm``."""
    c = np.asarray(centre_mm, dtype=float)
    h = CLOSE_UP_HALF_SIZE_MM
    return [c[0] - h, c[0] + h, c[1] - h, c[1] + h, c[2] - h, c[2] + h]


def union_bounds(boxes: Sequence[Sequence[float]]) -> list[float]:
    """The ``(xmin, xmax, ymin, ymax, zmin, zmax)`` box holding every box of ``boxes`` (one camera
    fitted to panels that show different pelves)."""
    b = np.asarray(boxes, dtype=float).reshape(-1, 6)
    return [float(b[:, 0].min()), float(b[:, 1].max()), float(b[:, 2].min()), float(b[:, 3].max()),
            float(b[:, 4].min()), float(b[:, 5].max())]


def set_view(
    plotter: pv.Plotter,
    name: str,
    *,
    focus_mm: Sequence[float] | None = None,
    bounds: Sequence[float] | None = None,
    zoom: float = 1.0,
    renderers: Sequence[Any] | None = None,
) -> None:
    """Point the camera(s) of ``plotter`` along a named view.

    Parameters
    ----------
    plotter : pyvista.Plotter
    name : str
        One of :data:`VIEW_PRESETS`. The data stay in the pelvic frame; only the camera moves. The
        hiding and cutting of the lesson views are the panel's (:meth:`Panel.set_view`).
    focus_mm : sequence of 3 float, optional
        Point looked at. Default: the centre of ``bounds`` or of the visible actors.
    bounds : sequence of 6 float, optional
        ``(xmin, xmax, ymin, ymax, zmin, zmax)`` to fit in view. Default: the visible actors.
    zoom : float
        Extra zoom after fitting (> 1 is closer).
    renderers : sequence, optional
        The renderers to set; default every renderer of the plotter (linked views share one camera).
    """
    preset = view_preset(name)
    direction = np.asarray(preset.direction, dtype=float)
    up = np.asarray(preset.up, dtype=float)
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
        distance = fitting_distance_mm(fit, centre, direction, up, math.radians(camera.GetViewAngle()),
                                       _aspect(renderer))
        camera.SetFocalPoint(*centre)
        camera.SetPosition(*(centre + distance * direction))
        camera.SetViewUp(*up)
        if camera.GetParallelProjection():
            camera.SetParallelScale(fitting_parallel_scale_mm(fit, centre, direction, up, _aspect(renderer)))
        if zoom != 1.0:
            camera.Zoom(float(zoom))
        renderer.ResetCameraClippingRange()
        renderer.camera_set = True  # stop pyvista from resetting to its isometric view on first render


FILL = 0.86
"""Share of the panel's width or height the fitted box takes (the rest is a margin for labels)."""


def _aspect(renderer: Any) -> float:
    """Width / height of the renderer's viewport in pixels (16:9 before it has a window)."""
    window = renderer.GetRenderWindow()
    if window is not None:
        w, h = window.GetSize()
        x0, y0, x1, y1 = renderer.GetViewport()
        if w > 0 and h > 0 and (y1 - y0) > 0:
            return max(0.1, (x1 - x0) * w / ((y1 - y0) * h))
    return 16.0 / 9.0


def _screen_axes(direction: NDArray[np.float64], up: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Unit vectors toward the camera, screen-up and screen-right."""
    d = direction / np.linalg.norm(direction)
    u = up - np.dot(up, d) * d
    u /= np.linalg.norm(u)
    return d, u, np.cross(u, d)


def _corners(bounds: Sequence[float], centre: NDArray[np.float64]) -> NDArray[np.float64]:
    lo, hi = np.array(bounds[0::2], dtype=float), np.array(bounds[1::2], dtype=float)
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]) - centre


def fitting_parallel_scale_mm(bounds: Sequence[float], centre: NDArray[np.float64], direction: NDArray[np.float64],
                              up: NDArray[np.float64], aspect: float) -> float:
    """Parallel-projection scale (half the visible height, mm) at which ``bounds`` fills :data:`FILL`."""
    d, u, r = _screen_axes(np.asarray(direction, dtype=float), np.asarray(up, dtype=float))
    corners = _corners(bounds, centre)
    return float(max(np.abs(corners @ u).max(), np.abs(corners @ r).max() / aspect) / FILL)


def fitting_distance_mm(bounds: Sequence[float], centre: NDArray[np.float64], direction: NDArray[np.float64],
                        up: NDArray[np.float64], view_angle_rad: float, aspect: float) -> float:
    """Camera distance at which the box ``bounds`` fills :data:`FILL` of a viewport of ``aspect``.

    The box's corners are measured across the view (right and up of the screen) and along it; the
    nearest corner, which perspective draws largest, sets the distance.
    """
    d, u, r = _screen_axes(np.asarray(direction, dtype=float), np.asarray(up, dtype=float))
    corners = _corners(bounds, centre)
    half_up = np.abs(corners @ u)
    half_right = np.abs(corners @ r)
    toward = corners @ d  # toward the camera
    tan_half = math.tan(0.5 * view_angle_rad) * FILL
    # each corner must fit: half_up <= (D - toward) tan, half_right <= (D - toward) tan aspect
    needed = np.maximum(half_up / tan_half, half_right / (tan_half * aspect)) + toward
    return float(max(needed.max(), 1.0))
