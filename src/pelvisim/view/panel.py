"""One 3D panel: the bones of one positional model and its teaching overlays.

A :class:`Panel` adds its actors to a pyvista plotter (or one subplot of it) **once**; every later
:meth:`Panel.update` only sets each actor's ``user_matrix`` (and, when the colour map is on,
refreshes one per-vertex scalar array in place). Nothing here computes mechanics: poses come from
:func:`pelvisim.pose.pose`, descriptors from :func:`pelvisim.descriptors.describe`.

Coordinates are the pelvic (ISB) frame, mm: +X anterior, +Y superior, +Z right. Views are made by
moving the camera (:func:`set_view`), never by rotating data.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyvista as pv
import vtk
from numpy.typing import NDArray
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy

from pelvisim import frames, joints
from pelvisim.anatomy.core import FEMURS, PELVIC_BONES, Anatomy
from pelvisim.anatomy.user import is_closed
from pelvisim.errors import ParameterError
from pelvisim.pose import Pose
from pelvisim.view.camera import set_view
from pelvisim.view.labels import LANDMARK_LABELS, label_rank, mirror_name, place_labels
from pelvisim.view.meshes import bone_surface, coarse_copy, polydata
from pelvisim.view.state import OVERLAYS as OVERLAY_LABELS
from pelvisim.view.state import magnification_text
from pelvisim.view.text import (
    MIN_FONT_PX,
    cut_lines,
    display_text,
    fit_width,
    set_font,
    text_actor,
    text_size_px,
    wrap_to_width,
)
from pelvisim.view.theme import Theme, get_theme

# --- constants -------------------------------------------------------------------------------
OVERLAYS = tuple(OVERLAY_LABELS)
"""Overlay names accepted by :meth:`Panel.set_overlay` (``color_map`` is accepted as an alias)."""

DEFAULT_OVERLAYS = frozenset({"landmarks", "descriptors"})
"""Overlays that are on when a panel is created."""


TRAIL_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
"""Landmarks whose paths the ``trails`` overlay draws."""

PALPATION_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
PALPATION_ERROR_MM = (15.0, 20.0)
"""Landmark palpation error at the iliac spines, 15–20 mm (Della Croce 1999)."""

COLOUR_MAP_RANGE_MM = (0.0, 2.0)
"""Default colour range of the displacement map: 0–2 mm covers physiological SIJ motion."""


def _descriptor_text(descriptors: Any) -> str:
    """The descriptor text (their ``summary``, or a ready-made string), one sentence per line."""
    if descriptors is None:
        return ""
    text = descriptors if isinstance(descriptors, str) else str(getattr(descriptors, "summary", descriptors))
    if getattr(descriptors, "findings", None) is not None:  # no motion: the pelvis's own asymmetry instead
        from pelvisim.descriptors import at_rest_words

        text = at_rest_words(descriptors) or text
    return text.replace(". ", ".\n")


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
            mesh = polydata(vertices_mm, faces)
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
                ghost_mesh = coarse_copy(mesh)
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
        self._label_table = [(name, index[name], index.get(mirror_name(name)), display_text(LANDMARK_LABELS[name]))
                             for name in sorted(names, key=label_rank)]
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
        self.title_actor = text_actor(title, (0.0, 0.0), int(px * 1.25), theme.text_colour, top=True, bold=True)
        self.magnification_actor = text_actor(self._magnification_label, (0.0, 0.0), int(px * 1.1),
                                               theme.magnification_colour, right=True, top=True, bold=True)
        self.descriptor_actor = text_actor("", (0.0, 0.0), int(px * 0.85), theme.text_colour)
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
            title_px, _ = fit_width(title, title_prop, title_px, room, dpi, [(smallest, 2), (MIN_FONT_PX, 3)])
            smallest = max(MIN_FONT_PX, int(TITLE_MIN_SCALE * label_px))
            label_px, _ = fit_width(label, label_prop, label_px, room, dpi, [(smallest, 1), (MIN_FONT_PX, 1)])
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
            title_px, title_lines = fit_width(title, title_prop, min(title_px, common_title_px), room, dpi,
                                               [(MIN_FONT_PX, 3)])
            label_px, _ = fit_width(label, label_prop, min(label_px, common_label_px), room, dpi,
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
        while keep > 0 and text_size_px(prop, "\n".join(cut_lines(lines, keep, prop, room, dpi)),
                                        dpi)[1] > max_height:
            keep -= 1
        lines = cut_lines(lines, keep, prop, room, dpi) if keep > 0 else []
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
