"""Colour and size themes of the 3D panels: ``default`` and ``projector`` (big labels, high contrast)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pelvisim.errors import ParameterError


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
    arrow_colour : str
        Colour of the displacement arrows.
    warning_colour : str
        Colour of joint-limit warnings and the overlap note.
    cut_colour : str
        Colour of the outline of a cut bone (sagittal cut-away and medial views).
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
    ghost_opacity: float = 0.3
    landmark_colour: str = "#ff5a36"
    axis_colour: str = "#3fc1ff"
    oblique_axis_colour: str = "#b07cff"
    trail_colour: str = "#ffd23f"
    palpation_colour: str = "#ff5a36"
    magnification_colour: str = "#ffb000"
    arrow_colour: str = "#35e07a"
    warning_colour: str = "#ffb347"
    cut_colour: str = "#7a3b10"
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
        ghost_opacity=0.4,
        landmark_colour="#ff3b1f",
        axis_colour="#00e5ff",
        oblique_axis_colour="#ff66ff",
        trail_colour="#ffff00",
        magnification_colour="#ffff00",
        arrow_colour="#00ff66",
        warning_colour="#ffd400",
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
