"""The view: the only package of pelvisim that imports pyvista (and, in the app, Qt).

Modules, one idea each: ``panel`` (one 3D panel: bones, text, views), ``overlays`` (the switchable
layers and the :func:`~pelvisim.view.overlays.register_overlay` hook), ``landmarks`` (markers,
names with leader lines, occlusion), ``tissue`` (ligaments, muscles, L5 and load arrows), ``labels`` (name texts and their placement), ``readout`` (key
numbers and warnings), ``camera`` (view presets, lesson views), ``layout`` (1, 2, 3 or 2 × 2
panels), ``gait_strip``, ``flat`` (2D shapes), ``text`` (font, measuring, wrapping), ``theme``, ``meshes`` (bone surfaces,
simplification, ghosts), ``render`` (offscreen scenes), ``writers`` (PNG/MP4/GIF files), ``app``,
``controls``, ``state`` and ``keys`` (the desktop app), ``snapshots`` (anatomy pictures).
"""

from __future__ import annotations

from pelvisim.scene import VIEWS
from pelvisim.view.camera import set_view
from pelvisim.view.labels import LANDMARK_LABELS
from pelvisim.view.panel import DEFAULT_OVERLAYS, OVERLAYS, PALPATION_ERROR_MM, Panel
from pelvisim.view.state import magnification_text
from pelvisim.view.theme import THEMES, Theme, get_theme

__all__ = [
    "DEFAULT_OVERLAYS",
    "LANDMARK_LABELS",
    "OVERLAYS",
    "PALPATION_ERROR_MM",
    "THEMES",
    "VIEWS",
    "Panel",
    "Theme",
    "get_theme",
    "magnification_text",
    "set_view",
]
