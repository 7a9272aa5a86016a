"""The view: the only package of pelvisim that imports pyvista (and, in the app, Qt).

:class:`Panel` shows one positional model with its overlays; :func:`set_view` points cameras along
anatomical views; :mod:`pelvisim.view.render` renders scenes offscreen to PNG, MP4 or GIF.
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
