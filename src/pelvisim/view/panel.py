"""One 3D panel: the bones of one positional model, its overlays and its text.

A :class:`Panel` adds its actors to a pyvista plotter (or one subplot of it) **once**; every later
:meth:`Panel.update` only sets each actor's ``user_matrix`` (and, when the colour map is on,
refreshes one per-vertex scalar array in place). Nothing here computes mechanics: poses come from
:func:`pelvisim.pose.pose`, descriptors from :func:`pelvisim.descriptors.describe`.

The overlays are layers found by name (:mod:`pelvisim.view.overlays`, :mod:`pelvisim.view.landmarks`).
The panel's own text: the title (upper left), the magnification badge (upper right, or under the
title), the compact readout (lower left, :mod:`pelvisim.view.readout`) and, above it, its warnings.

Coordinates are the pelvic (ISB) frame, mm: +X anterior, +Y superior, +Z right. Views are made by
moving the camera (:mod:`pelvisim.view.camera`), never by rotating data; the lesson views also
hide bones or cut the sacrum at the midline.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyvista as pv
import vtk
from numpy.typing import NDArray

from pelvisim import joints
from pelvisim.anatomy.core import FEMURS, PELVIC_BONES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.pose import Pose
from pelvisim.view import landmarks as _landmarks  # noqa: F401  (registers the landmarks layer)
from pelvisim.view import tissue as _tissue  # noqa: F401  (registers the tissue and loads layers)
from pelvisim.view.camera import close_up_bounds, set_view, view_preset
from pelvisim.view.labels import LANDMARK_LABELS
from pelvisim.view.meshes import (bone_surface, coarse_copy, polydata, sacral_midline_z_mm, section, surface_is_closed,
                                  surface_locator)
from pelvisim.view.overlays import (
    COLOUR_MAP_RANGE_MM,
    OVERLAY_TYPES,
    PALPATION_ERROR_MM,
    TRAIL_LANDMARKS,
    Box,
    Overlay,
)
from pelvisim.view.readout import readout_lines, readout_template
from pelvisim.view.state import OVERLAYS as OVERLAY_LABELS
from pelvisim.view.state import magnification_text
from pelvisim.view.text import MIN_FONT_PX, cut_lines, display_text, fit_width, text_actor, text_size_px, wrap_to_width
from pelvisim.view.theme import Theme, get_theme

__all__ = ["COLOUR_MAP_RANGE_MM", "DEFAULT_OVERLAYS", "OVERLAYS", "PALPATION_ERROR_MM", "TRAIL_LANDMARKS", "Panel"]

# --- constants -------------------------------------------------------------------------------
OVERLAYS = tuple(OVERLAY_LABELS)
"""Overlay names accepted by :meth:`Panel.set_overlay` (``color_map`` is accepted as an alias)."""

DEFAULT_OVERLAYS = frozenset({"landmarks", "descriptors"})
"""Overlays that are on when a panel is created."""

PANEL_TEXT_HEIGHTS = 1.5
"""Text is sized from the window's height, but never from more than this many panel heights: two
rows of panels (2 × 2) get text 3/4 of a single row's, so it leaves the bones room."""

TITLE_MIN_SCALE = 0.75
"""Stacked titles wrap onto two lines and shrink to this fraction of their size before taking a
third line; the magnification label shrinks to this fraction before going smaller still."""

READOUT_MIN_SCALE = 0.8
"""The readout shrinks to this fraction of its size in narrow panels (then it wraps)."""

READOUT_MAX_HEIGHT_FRACTION = 0.3
"""The readout and warning block covers at most this fraction of the panel's height."""

NOTES_MAX_LINES = 3
"""Lines of warnings at most (the last one ends with "…" when cut; the app's side panel has them all)."""

DESCRIPTOR_BACKDROP_OPACITY = 0.65
"""Opacity of the backdrop (in the theme's background colour) behind the readout and warnings."""

TITLE_BACKDROP_OPACITY = 0.5
"""Opacity of the backdrop behind the title and the magnification label."""

CUT_OUTLINE_WIDTH_PX = 3.0
"""Width of the outline of a cut bone's section."""

OCCLUSION_TRIANGLES = 4000
"""Triangles per bone of the surfaces landmark names are hidden behind (ray tests every frame): the
simplified surface stays within about half a millimetre of the bone, a sixth of a marker's radius."""


def _descriptor_text(descriptors: Any) -> str:
    """A ready-made string as shown (one sentence per line), or a Descriptors' ``summary``."""
    if descriptors is None:
        return ""
    text = descriptors if isinstance(descriptors, str) else str(getattr(descriptors, "summary", descriptors))
    return text.replace(". ", ".\n")


# --- the cut of a lesson view ----------------------------------------------------------------
class _SacrumCut:
    """The sacrum cut at the mid-sagittal plane, one half kept: clipping planes, cap and outline.

    The plane is fixed in the sacrum (its midline between the two auricular centres); it follows
    the bone's pose through the actors' clipping planes, while the cap and outline carry the bone's
    ``user_matrix``.
    """

    def __init__(self, panel: Panel, keep: str) -> None:
        anatomy = panel.anatomy
        z_mid = sacral_midline_z_mm(anatomy)
        self.keep = keep
        self.origin = np.array([0.0, 0.0, z_mid])
        self.normal = np.array([0.0, 0.0, 1.0 if keep == "right" else -1.0])  # the kept half is on the normal's side
        local = vtk.vtkPlane()
        local.SetOrigin(*self.origin)
        local.SetNormal(*self.normal)
        outline, cap = section(panel.meshes["sacrum"], local)
        clip = vtk.vtkClipPolyData()
        clip.SetInputData(panel.meshes["sacrum"])
        clip.SetClipFunction(local)
        clip.Update()
        self.kept_mesh = pv.wrap(clip.GetOutput()).merge(cap) if cap.n_points else pv.wrap(clip.GetOutput())
        theme = panel.theme
        self.cap_actor = panel.add_mesh(cap, color=theme.bone_colour("sacrum"), ambient=0.25, diffuse=0.6,
                                                name=f"{id(panel)}_cut_cap_{keep}", reset_camera=False)
        self.outline_actor = panel.add_mesh(outline, color=theme.cut_colour, line_width=CUT_OUTLINE_WIDTH_PX,
                                                    lighting=False, name=f"{id(panel)}_cut_outline_{keep}",
                                                    reset_camera=False)
        # Slightly in front of the cap, so the outline is never hidden by the face it borders.
        self.outline_actor.mapper.SetResolveCoincidentTopologyToPolygonOffset()
        self.outline_actor.mapper.SetRelativeCoincidentTopologyLineOffsetParameters(-2.0, -20.0)
        self.planes = {"bone": vtk.vtkPlane(), "ghost": vtk.vtkPlane()}
        panel.actors["sacrum"].mapper.AddClippingPlane(self.planes["bone"])
        if "sacrum" in panel.ghost_actors:
            panel.ghost_actors["sacrum"].mapper.AddClippingPlane(self.planes["ghost"])
        self.panel = panel

    def place(self, T_bone: NDArray[np.float64], T_ghost: NDArray[np.float64]) -> None:
        """Move the cut with the sacrum (``T_bone``) and with its ghost (``T_ghost``)."""
        for key, T in (("bone", T_bone), ("ghost", T_ghost)):
            self.planes[key].SetOrigin(*(T[:3, :3] @ self.origin + T[:3, 3]))
            self.planes[key].SetNormal(*(T[:3, :3] @ self.normal))
        self.cap_actor.user_matrix = T_bone
        self.outline_actor.user_matrix = T_bone

    def keeps(self, point_mm: NDArray[np.float64]) -> bool:
        """Whether a point of the sacrum at neutral lies on the kept half (1 mm of the plane counts)."""
        return float(np.dot(np.asarray(point_mm) - self.origin, self.normal)) >= -1.0

    def remove(self) -> None:
        """Undo the cut: no clipping, no cap, no outline."""
        panel = self.panel
        panel.actors["sacrum"].mapper.RemoveClippingPlane(self.planes["bone"])
        if "sacrum" in panel.ghost_actors:
            panel.ghost_actors["sacrum"].mapper.RemoveClippingPlane(self.planes["ghost"])
        panel.renderer.remove_actor(self.cap_actor, render=False)
        panel.renderer.remove_actor(self.outline_actor, render=False)


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
        Triangle budget per bone (see :func:`~pelvisim.view.meshes.bone_surface`): None (full
        meshes) for videos and stills; the interactive app sets one, since software OpenGL must
        redraw within a slider step.

    Notes
    -----
    Actors are created once. :meth:`update` sets ``user_matrix`` on them; the colour map writes
    one float array per bone in place. The 2D text is laid out for the panel's real pixel size
    before every render in which that size or the text changed (:meth:`layout_text`), and the
    landmark names are placed after it.
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
        self._subplot = plotter.renderers.index_to_loc(plotter.renderers.active_index)
        self.renderer.set_background(self.theme.background)
        # Plain alpha blending for the translucent overlays (ghost, palpation spheres): order-
        # independent transparency costs several times a frame on software OpenGL.
        self.renderer.SetUseOIT(False)
        self.text_px = self._nominal_text_px(plotter.window_size[1])
        self._overlays: set[str] = set()
        self.pose: Pose | None = None
        """The pose shown (None before the first :meth:`update`)."""
        self.tissue: Any = None
        """The soft tissue of the pose shown, when :attr:`wants_tissue` (:func:`pelvisim.view.tissue.frame_tissue`)."""
        self.colour_map_range_mm = tuple(float(v) for v in colour_map_range_mm)
        self.view = "anterior"
        self._hidden: frozenset[str] = frozenset()
        self._cut: _SacrumCut | None = None
        self._occluders: dict[tuple[str, str | None], vtk.vtkOBBTree] = {}

        self.bones = [b for b in (*PELVIC_BONES, *FEMURS) if b in anatomy.bones]
        self.meshes: dict[str, pv.PolyData] = {}
        self.actors: dict[str, Any] = {}
        self.ghost_actors: dict[str, Any] = {}
        self.neutral_vertices: dict[str, NDArray[np.float64]] = {}
        """Each bone's vertices at neutral (as drawn, possibly simplified), mm."""
        for bone in self.bones:
            vertices_mm, faces = bone_surface(anatomy.bones[bone], max_triangles)
            mesh = polydata(vertices_mm, faces)
            mesh.point_data["displacement_mm"] = np.zeros(mesh.n_points)
            self.meshes[bone] = mesh
            self.neutral_vertices[bone] = vertices_mm
            actor = self.add_mesh(
                mesh, color=self.theme.bone_colour(bone), scalars="displacement_mm", cmap=self.theme.colour_map,
                clim=self.colour_map_range_mm, show_scalar_bar=False, smooth_shading=True, specular=0.2,
                name=f"{id(self)}_{bone}", reset_camera=False,
            )
            actor.mapper.scalar_visibility = False
            if surface_is_closed(anatomy.bones[bone], max_triangles):
                # A closed opaque bone hides its own back faces: skipping them is the same picture
                # for about a third less drawing on software OpenGL. (An open user mesh keeps them.)
                actor.prop.culling = "back"
            self.actors[bone] = actor
            if bone in PELVIC_BONES:
                # A faint outline needs few triangles: a decimated copy keeps the ghost cheap.
                ghost = self.add_mesh(
                    coarse_copy(mesh), color=self.theme.ghost_colour, opacity=self.theme.ghost_opacity,
                    show_scalar_bar=False, scalars=None, name=f"{id(self)}_{bone}_ghost", reset_camera=False,
                    lighting=False,
                )
                ghost.mapper.scalar_visibility = False
                # Push the ghost behind the bone where they coincide (no z-fighting at neutral).
                ghost.mapper.SetResolveCoincidentTopologyToPolygonOffset()
                ghost.mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(4.0, 40.0)
                # One translucent layer (the side facing the viewer): half the blending of both sides.
                ghost.prop.culling = "back"
                ghost.visibility = False
                self.ghost_actors[bone] = ghost
        self._bounds = self._bounds_of(PELVIC_BONES)

        self.landmark_names = [n for n in LANDMARK_LABELS if n in anatomy.landmarks]
        """The landmarks the ``landmarks`` and ``arrows`` overlays show, in :data:`LANDMARK_LABELS` order."""
        self.landmark_bones = [anatomy.landmark(n).bone for n in self.landmark_names]
        self.landmark_neutral = np.array([anatomy.point(n) for n in self.landmark_names], dtype=float).reshape(-1, 3)

        self._build_text(title)
        self.layers: dict[str, Overlay] = {name: cls(self) for name, cls in OVERLAY_TYPES.items()}
        """Every overlay layer of this panel by name (:data:`pelvisim.view.overlays.OVERLAY_TYPES`)."""
        self.layers["axes"].set_axes(self.layers["axes"].names, axis_level)

        wanted = set(overlays if overlays is not None else DEFAULT_OVERLAYS)
        unknown = wanted - set(self.overlay_names) - {"color_map"}
        if unknown:
            raise ParameterError(f"Unknown overlays {sorted(unknown)}. Expected some of: {', '.join(self.overlay_names)}")
        for name in self.overlay_names:
            self.set_overlay(name, name in wanted)
        if "color_map" in wanted:
            self.set_overlay("colour_map", True)
        _PANELS.add(self)
        self.layout_text()

    def add_mesh(self, mesh: Any, **kwargs: Any) -> Any:
        """``plotter.add_mesh`` into this panel's renderer (whichever subplot is active)."""
        self.plotter.subplot(*np.atleast_1d(self._subplot))
        return self.plotter.add_mesh(mesh, **kwargs)

    # --- bones, views, cuts ----------------------------------------------------------------
    def _bounds_of(self, bones: Sequence[str]) -> list[float]:
        points = np.vstack([self.neutral_vertices[b] for b in bones if b in self.neutral_vertices])
        lo, hi = points.min(axis=0), points.max(axis=0)
        return [lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]]

    @property
    def pelvic_bounds(self) -> list[float]:
        """``(xmin, xmax, ymin, ymax, zmin, zmax)`` of the pelvic bones at neutral, mm."""
        return list(self._bounds)

    def view_bounds(self) -> list[float]:
        """What the current view fits: the drawn pelvic bones at neutral, or the close-up box of its SIJ."""
        preset = view_preset(self.view)
        if preset.close_up:
            return close_up_bounds(joints.joint_centre(self.anatomy, preset.close_up))
        return self._bounds_of([b for b in PELVIC_BONES if b not in self._hidden])

    def bone_actors(self, bone: str) -> list[Any]:
        """The actors that draw ``bone``: its surface and, for a cut sacrum, the cut's cap and outline."""
        out = [self.actors[bone]] if bone in self.actors else []
        if bone == "sacrum" and self._cut is not None:
            out += [self._cut.cap_actor, self._cut.outline_actor]
        return out

    def bone_shown(self, bone: str) -> bool:
        """Whether the current view draws ``bone`` (femurs also need the ``femurs`` overlay)."""
        return bone in self.actors and bone not in self._hidden

    def landmark_visible(self, name: str) -> bool:
        """Whether landmark ``name`` is on a drawn bone (and on the kept half of a cut one)."""
        bone = self.anatomy.landmark(name).bone
        if not self.bone_shown(bone) or (bone in FEMURS and "femurs" not in self._overlays):
            return False
        if bone == "sacrum" and self._cut is not None:
            return self._cut.keeps(self.anatomy.point(name))
        return True

    def apply_view(self, name: str) -> None:
        """Hide and cut what the view ``name`` hides and cuts (the camera is :meth:`set_view`'s)."""
        preset = view_preset(name)
        self.view = name
        self._hidden = frozenset(preset.hidden)
        if self._cut is not None and self._cut.keep != preset.cut_keep:
            self._cut.remove()
            self._cut = None
        if preset.cut_keep and self._cut is None and "sacrum" in self.actors:
            self._cut = _SacrumCut(self, preset.cut_keep)
        for bone in PELVIC_BONES:
            if bone in self.actors:
                self.actors[bone].visibility = bone not in self._hidden
        for name_, layer in self.layers.items():
            layer.show(name_ in self._overlays)
        if self.pose is not None:
            self._place_cut(self.pose)

    def set_view(self, name: str, zoom: float = 1.0) -> None:
        """Show the named view (:data:`pelvisim.view.camera.VIEW_PRESETS`): hide and cut, then fit the camera."""
        self.apply_view(name)
        set_view(self.plotter, name, bounds=self.view_bounds(), zoom=zoom, renderers=[self.renderer])

    def _place_cut(self, pose: Pose) -> None:
        if self._cut is not None:
            self._cut.place(pose.T_world["sacrum"], pose.state.T_world_pelvis)

    def _occlusion_budget(self, bone: str) -> int | None:
        """Triangle budget of the surface ``bone``'s occlusion is tested against."""
        return OCCLUSION_TRIANGLES if len(self.anatomy.bones[bone].faces) > OCCLUSION_TRIANGLES else None

    def _occluder_surface(self, bone: str, cut: str | None) -> pv.PolyData:
        """The bone's surface simplified to :data:`OCCLUSION_TRIANGLES` (cut like the drawn one), for ray tests."""
        vertices, faces = bone_surface(self.anatomy.bones[bone], self._occlusion_budget(bone))
        surface = polydata(vertices, faces)
        if cut and self._cut is not None:
            plane = vtk.vtkPlane()
            plane.SetOrigin(*self._cut.origin)
            plane.SetNormal(*self._cut.normal)
            clip = vtk.vtkClipPolyData()
            clip.SetInputData(surface)
            clip.SetClipFunction(plane)
            clip.Update()
            surface = pv.wrap(clip.GetOutput())
        return surface

    def lines_hit_bone(self, starts_mm: NDArray[np.float64], ends_mm: NDArray[np.float64]) -> NDArray[np.bool_]:
        """For each segment ``starts_mm[i]`` → ``ends_mm[i]`` (world), whether it passes through a drawn bone.

        Each drawn bone is tested in its own frame at its current pose (the segments moved by the
        inverse of its ``user_matrix``) against its surface simplified to :data:`OCCLUSION_TRIANGLES`
        — the kept half of a cut sacrum.
        """
        starts = np.asarray(starts_mm, dtype=float).reshape(-1, 3)
        ends = np.asarray(ends_mm, dtype=float).reshape(-1, 3)
        hit = np.zeros(len(starts), dtype=bool)
        for bone, actor in self.actors.items():
            if not actor.GetVisibility() or hit.all():
                continue
            cut = self._cut.keep if bone == "sacrum" and self._cut is not None else None
            tree = self._occluders.get((bone, cut))
            if tree is None:
                if cut is None:  # shared by every panel of this anatomy
                    tree = surface_locator(self.anatomy.bones[bone], self._occlusion_budget(bone))
                else:
                    tree = vtk.vtkOBBTree()
                    tree.SetDataSet(self._occluder_surface(bone, cut))
                    tree.BuildLocator()
                self._occluders[(bone, cut)] = tree
            T = np.linalg.inv(self.pose.T_world[bone] if self.pose is not None else np.eye(4))
            local_starts = starts @ T[:3, :3].T + T[:3, 3]
            local_ends = ends @ T[:3, :3].T + T[:3, 3]
            for i in np.flatnonzero(~hit):
                hit[i] = tree.IntersectWithLine(local_starts[i], local_ends[i], None, None) != 0
        return hit

    # --- construction of the text ----------------------------------------------------------
    def _nominal_text_px(self, window_height: int, panel_height: int | None = None) -> int:
        """Body-text size in pixels: the theme's fraction of the window's height, or of
        :data:`PANEL_TEXT_HEIGHTS` × the panel's height when that is less (stacked panels)."""
        reference = window_height if panel_height is None else min(window_height, PANEL_TEXT_HEIGHTS * panel_height)
        return max(MIN_FONT_PX, int(round(self.theme.text_height_fraction * reference)))

    def _text_px_now(self, window: Any) -> int:
        """:meth:`_nominal_text_px` for the panel's current window and viewport."""
        return self._nominal_text_px(int(window.GetSize()[1]), int(self.renderer.GetSize()[1]))

    def _build_text(self, title: str) -> None:
        px, theme = self.text_px, self.theme
        self._title = title
        self._magnification = 1.0
        self._readout_keys: tuple[str, ...] = ()
        self._readout: list[str] = []
        self._readout_template: list[str] = []
        self._free_text = ""
        self._notes: list[str] = []
        self._text_layout_key: tuple[Any, ...] | None = None
        self._title_fit_key: tuple[Any, ...] | None = None
        self._title_fit_result = (True, 0, 0)
        self.readout_box: Box | None = None
        """``(x0, x1, y0, y1)`` of the readout and warnings block (None when it is empty)."""
        self.title_box: Box | None = None
        """``(x0, x1, y0, y1)`` of the band the title and badge take at the top (None before a layout)."""
        self.title_actor = text_actor(title, (0.0, 0.0), int(px * 1.25), theme.text_colour, top=True, bold=True)
        self.magnification_actor = text_actor(magnification_text(1.0), (0.0, 0.0), int(px * 1.1),
                                              theme.magnification_colour, right=True, top=True, bold=True)
        self.readout_actor = text_actor("", (0.0, 0.0), int(px * 0.85), theme.text_colour)
        self.notes_actor = text_actor("", (0.0, 0.0), int(px * 0.85), theme.warning_colour, bold=True)
        # A semi-opaque backdrop in the background colour keeps the text readable over bone.
        for actor, opacity in ((self.title_actor, TITLE_BACKDROP_OPACITY),
                               (self.magnification_actor, TITLE_BACKDROP_OPACITY),
                               (self.readout_actor, DESCRIPTOR_BACKDROP_OPACITY),
                               (self.notes_actor, DESCRIPTOR_BACKDROP_OPACITY)):
            prop = actor.GetTextProperty()
            prop.SetBackgroundColor(pv.Color(theme.background).float_rgb)
            prop.SetBackgroundOpacity(opacity)
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
                shown.place_labels()
                shown.layers["axes"].before_render()  # type: ignore[attr-defined]
                shown.layers["colour_map"].before_render()  # type: ignore[attr-defined]

        self.renderer.AddObserver(vtk.vtkCommand.StartEvent, before_render)

    @property
    def descriptor_actor(self) -> vtk.vtkTextActor:
        """The compact readout's text actor (the ``descriptors`` overlay)."""
        return self.readout_actor

    def _badge_text(self) -> str:
        text = magnification_text(self._magnification)
        arrows = self.layers.get("arrows") if hasattr(self, "layers") else None
        if arrows is not None and arrows.on:
            text += f" · arrows ×{arrows.scale:g}"
        return text

    def refresh_badge(self) -> None:
        """Rewrite the magnification badge (magnification and, when drawn, the arrows' scale)."""
        self.request_layout()
        self.layout_text()

    def request_layout(self) -> None:
        """Lay the text out again before the next render."""
        self._text_layout_key = None

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
        px = self._text_px_now(window)
        badge = self._badge_text()
        key = (width, px, dpi, self._title, badge)
        if self._title_fit_key != key:
            title, label = display_text(self._title), display_text(badge)
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
        """Fit the title, badge, readout and warnings to the panel's size in pixels; place 2D overlays.

        Sizes follow the theme's fraction of the window height; widths are measured in pixels
        with the font itself. The badge sits to the right of the title when both fit on one line
        with a gap, else on its own line under the title. A title too wide for the panel wraps
        onto two lines, shrinking as far as :data:`TITLE_MIN_SCALE` if two lines are not enough,
        then onto three down to :data:`MIN_FONT_PX`. Panels of one plotter (side by side) share
        these choices: the badges of all sit on the title line or all under it, and all titles
        take the smallest size any of them needs. The readout (lower left) is sized from its
        widest possible numbers, so it keeps its size from frame to frame; it shrinks to
        :data:`READOUT_MIN_SCALE` in narrow panels and then wraps. Warnings sit above it.

        Called before every render (a no-op unless the size or a text changed) and whenever a
        text is set.
        """
        window = self.renderer.GetRenderWindow()
        width, height = (int(v) for v in self.renderer.GetSize()) if window is not None else (0, 0)
        badge = self._badge_text()
        readout_on = "descriptors" in self._overlays
        if width < 8 or height < 8:  # no window (yet): show the texts as they are until there is one
            self.title_actor.SetInput(display_text(self._title))
            self.magnification_actor.SetInput(display_text(badge))
            self.readout_actor.SetInput(display_text("\n".join(self._readout)) if readout_on else "")
            self.notes_actor.SetInput(display_text("\n".join(self._notes)))
            self._text_layout_key = None
            return
        dpi = int(window.GetDPI())
        px = self._text_px_now(window)
        fits = [fit for panel in list(_PANELS) if panel.plotter is self.plotter
                for fit in [panel._title_fit()] if fit is not None]
        fits = fits or [(True, 0, 0)]
        one_line = all(fit[0] for fit in fits)
        common_title_px, common_label_px = min(fit[1] for fit in fits), min(fit[2] for fit in fits)
        key = (width, height, px, dpi, one_line, common_title_px, common_label_px, self._title, badge,
               tuple(self._readout) if readout_on else None, tuple(self._readout_template), self._free_text,
               tuple(self._notes), tuple(sorted(self._overlays)))
        if key == self._text_layout_key:
            return
        self._text_layout_key = key
        self.text_px = px
        margin = self._text_margin(px)
        room = width - 2 * margin
        title = display_text(self._title)
        label = display_text(badge)
        title_prop = self.title_actor.GetTextProperty()
        label_prop = self.magnification_actor.GetTextProperty()
        title_px, label_px = int(round(1.25 * px)), int(round(1.1 * px))

        # Title and badge: one line when they fit (in every panel), else stacked.
        title_prop.SetFontSize(title_px)
        label_prop.SetFontSize(label_px)
        if one_line:
            title_lines = [title]
        else:
            title_px, title_lines = fit_width(title, title_prop, min(title_px, common_title_px), room, dpi,
                                              [(MIN_FONT_PX, 3)])
            label_px, _ = fit_width(label, label_prop, min(label_px, common_label_px), room, dpi, [(MIN_FONT_PX, 1)])
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

        # Readout (lower left) and warnings above it.
        max_height = min(READOUT_MAX_HEIGHT_FRACTION * height, block_bottom - 2 * margin)
        readout_height = self._layout_readout(px, dpi, room, max_height) if readout_on else 0
        if not readout_on:
            self.readout_actor.SetInput("")
        self.readout_actor.SetPosition(margin, margin)
        notes_height = self._layout_notes(px, dpi, room, max_height - readout_height, margin + readout_height)
        block_height = readout_height + notes_height
        if block_height > 0:
            widths = [text_size_px(a.GetTextProperty(), a.GetInput(), dpi)[0]
                      for a in (self.readout_actor, self.notes_actor) if a.GetInput()]
            self.readout_box = (margin - 2, margin + max(widths, default=0) + 2, margin - 2, margin + block_height + 2)
        else:
            self.readout_box = None
        self.title_box = (margin - 2, width - margin + 2, block_bottom - 2, top + 2)
        for name, layer in self.layers.items():  # in registration order: a later 2D item may sit above an earlier one
            if name in self._overlays:
                layer.layout(width, height, px, dpi)

    def _layout_readout(self, px: int, dpi: int, room: float, max_height: float) -> int:
        """Lay out the readout lines; returns the block's height in pixels.

        The font size comes from the widest text the lines can take (:func:`readout_template`), so
        it does not change while the numbers do.
        """
        prop = self.readout_actor.GetTextProperty()
        size = int(round(0.85 * px))
        prop.SetFontSize(size)
        if self._free_text:
            lines = wrap_to_width(display_text(self._free_text), prop, room, dpi)
            keep = len(lines)
            while keep > 0 and text_size_px(prop, "\n".join(cut_lines(lines, keep, prop, room, dpi)), dpi)[1] > max_height:
                keep -= 1
            lines = cut_lines(lines, keep, prop, room, dpi) if keep > 0 else []
            self.readout_actor.SetInput("\n".join(lines))
            return text_size_px(prop, "\n".join(lines), dpi)[1] if lines else 0
        if not self._readout:
            self.readout_actor.SetInput("")
            return 0
        template = "\n".join(display_text(t) for t in self._readout_template) or "\n".join(self._readout)
        wide = text_size_px(prop, template, dpi)[0]
        if wide > room:
            smallest = max(MIN_FONT_PX, int(READOUT_MIN_SCALE * size))
            size = max(smallest, int(size * room / wide))
            prop.SetFontSize(size)
        lines = [display_text(line) for line in self._readout]
        if text_size_px(prop, template, dpi)[0] > room:  # still too wide at the smallest size: wrap
            lines = [part for line in lines for part in wrap_to_width(line, prop, room, dpi)]
        text = "\n".join(lines)
        if text_size_px(prop, text, dpi)[1] > max_height:
            keep = max(1, len(lines))
            while keep > 1 and text_size_px(prop, "\n".join(lines[:keep]), dpi)[1] > max_height:
                keep -= 1
            text = "\n".join(lines[:keep])
        self.readout_actor.SetInput(text)
        return text_size_px(prop, text, dpi)[1]

    def _layout_notes(self, px: int, dpi: int, room: float, max_height: float, bottom: float) -> int:
        """Lay out the warnings above the readout; returns their height in pixels."""
        prop = self.notes_actor.GetTextProperty()
        prop.SetFontSize(max(MIN_FONT_PX, int(round(0.8 * px))))
        if not self._notes or max_height <= 0:
            self.notes_actor.SetInput("")
            return 0
        lines = wrap_to_width(display_text("\n".join(f"⚠ {note}" for note in self._notes)), prop, room, dpi)
        keep = min(len(lines), NOTES_MAX_LINES)
        while keep > 0 and text_size_px(prop, "\n".join(cut_lines(lines, keep, prop, room, dpi)), dpi)[1] > max_height:
            keep -= 1
        lines = cut_lines(lines, keep, prop, room, dpi) if keep > 0 else []
        text = "\n".join(lines)
        self.notes_actor.SetInput(text)
        gap = int(round(0.25 * px)) if self.readout_actor.GetInput() else 0
        self.notes_actor.SetPosition(self._text_margin(px), bottom + gap)
        return (text_size_px(prop, text, dpi)[1] + gap) if text else 0

    def text_boxes(self) -> list[Box]:
        """Boxes ``(x0, x1, y0, y1)`` of the panel's text and 2D overlays (labels avoid them)."""
        boxes = []
        for actor in (self.title_actor, self.magnification_actor):
            text = actor.GetInput()
            if not actor.GetVisibility() or not text or not text.strip():
                continue
            bbox = [0.0] * 4
            actor.GetBoundingBox(self.renderer, bbox)
            x, y = actor.GetPosition()
            boxes.append((bbox[0] + x, bbox[1] + x, bbox[2] + y, bbox[3] + y))
        if self.readout_box is not None:
            boxes.append(self.readout_box)
        for name, layer in self.layers.items():
            if name != "landmarks" and layer.on:
                boxes.extend(layer.boxes())
        return boxes

    def place_labels(self) -> None:
        """Place the landmark names for the current camera (called before every render)."""
        landmarks = self.layers["landmarks"]
        if landmarks.on:
            landmarks.place(self.text_boxes())  # type: ignore[attr-defined]

    # --- public API -----------------------------------------------------------------------
    @property
    def overlays(self) -> frozenset[str]:
        """Names of the overlays that are on."""
        return frozenset(self._overlays)

    @property
    def overlay_names(self) -> tuple[str, ...]:
        """Every overlay this panel can show: :data:`OVERLAYS` and any layer registered since."""
        return (*OVERLAYS, *(name for name in self.layers if name not in OVERLAYS))

    def set_title(self, title: str) -> None:
        """Set the panel title (upper left)."""
        self._title = str(title)
        self.layout_text()

    @property
    def title(self) -> str:
        """The panel title as set (the title actor may show it wrapped)."""
        return self._title

    def set_overlay(self, name: str, on: bool = True) -> None:
        """Turn one overlay of :attr:`overlay_names` on or off."""
        if name == "color_map":
            name = "colour_map"
        if name not in self.overlay_names:
            raise ParameterError(f"Unknown overlay {name!r}. Expected one of: {', '.join(self.overlay_names)}")
        on = bool(on)
        (self._overlays.add if on else self._overlays.discard)(name)
        if name in self.layers:
            self.layers[name].show(on)
            if on and self.pose is not None:
                self.layers[name].update(self.pose)
        if name == "femurs":  # landmarks on the femurs follow them
            self.layers["landmarks"].show("landmarks" in self._overlays)
        self.request_layout()
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
        self.layers["trails"].set_poses(poses, frame)  # type: ignore[attr-defined]

    def set_axes(self, names: Sequence[str]) -> None:
        """The joint axes the ``axes`` overlay draws (see :func:`pelvisim.view.overlays.axes_for_model`)."""
        self.layers["axes"].set_axes(names)  # type: ignore[attr-defined]

    def set_axis_level(self, level: str) -> None:
        """Draw the nutation axis at sacral ``level`` (``"S1"``, ``"S2"`` or ``"S3"``)."""
        axes = self.layers["axes"]
        axes.set_axes(axes.names, level)  # type: ignore[attr-defined]

    @property
    def axis_level(self) -> str:
        """Sacral level of the drawn nutation axis."""
        return str(self.layers["axes"].level)  # type: ignore[attr-defined]

    def set_readout_keys(self, keys: Sequence[str]) -> None:
        """The numbers of the compact readout (keys of :data:`pelvisim.scene.READOUTS`, at most four)."""
        self._readout_keys = tuple(keys)
        self._readout_template = readout_template(self._readout_keys)
        self.request_layout()

    @property
    def readout_keys(self) -> tuple[str, ...]:
        """Keys of the numbers the compact readout shows."""
        return self._readout_keys

    def set_notes(self, notes: Sequence[str]) -> None:
        """Warnings shown above the readout (joint limits exceeded, bones overlapping at ×N)."""
        notes = [str(n) for n in notes]
        if notes != self._notes:
            self._notes = notes
            self.layout_text()

    @property
    def notes(self) -> list[str]:
        """The warnings shown."""
        return list(self._notes)

    def set_arrow_scale(self, scale: float) -> None:
        """Length factor of the displacement arrows (the badge says "arrows ×N")."""
        self.layers["arrows"].set_scale(scale)  # type: ignore[attr-defined]

    def set_colour_map_frame(self, frame: str) -> None:
        """``"sacrum"`` (default) or ``"pelvis"``: the frame the colour map measures displacement in."""
        self.layers["colour_map"].set_frame(frame)  # type: ignore[attr-defined]

    def set_colour_map_range(self, low_mm: float, high_mm: float) -> None:
        """Colour range of the displacement map, mm (true scale)."""
        self.colour_map_range_mm = (float(low_mm), float(high_mm))
        self.layers["colour_map"].set_range(low_mm, high_mm)  # type: ignore[attr-defined]

    @property
    def wants_tissue(self) -> bool:
        """True when a layer that is on draws the soft tissue (pass it to :meth:`update`)."""
        return any(layer.needs_tissue and name in self._overlays for name, layer in self.layers.items())

    def update(self, pose: Pose, descriptors: Any = None, tissue: Any = None) -> None:
        """Show ``pose``: set every actor's ``user_matrix``; refresh the overlays and the text.

        Parameters
        ----------
        pose : Pose
            From :func:`pelvisim.pose.pose` (magnification already applied for display).
        descriptors : Descriptors or str, optional
            Shown in the compact readout (the numbers of :attr:`readout_keys`), or a ready-made
            string; None keeps the previous text.
        tissue : FrameTissue, optional
            The soft tissue of this frame (:func:`pelvisim.view.tissue.frame_tissue`), drawn by the
            ``tissue`` and ``loads`` layers; needed only when :attr:`wants_tissue`.
        """
        self.pose = pose
        self.tissue = tissue
        for bone, actor in self.actors.items():
            actor.user_matrix = pose.T_world[bone]
        self._place_cut(pose)
        for name in self._overlays:
            if name in self.layers:
                self.layers[name].update(pose)
        if pose.magnification != self._magnification:
            self._magnification = pose.magnification
            self.request_layout()
        if descriptors is not None:
            self.set_descriptor_text(descriptors, layout=False)
        self.layout_text()

    def set_descriptor_text(self, descriptors: Any, *, layout: bool = True) -> None:
        """Show descriptors (the readout numbers) or a ready-made string in the lower-left block.

        A panel with no key numbers (:attr:`readout_keys` empty, e.g. the neutral model) shows, while
        no joint moves, the pelvis's own asymmetry instead (:func:`pelvisim.descriptors.at_rest_words`).
        """
        at_rest = ""
        if not isinstance(descriptors, str) and descriptors is not None and not self._readout_keys:
            # A panel without key numbers (the neutral model): with no joint motion, what a hand would
            # compare is the pelvis's own left-right asymmetry, next to the normal range and palpation error.
            from pelvisim.descriptors import at_rest_words

            at_rest = at_rest_words(descriptors)
        if isinstance(descriptors, str) or at_rest:
            self._free_text, self._readout = _descriptor_text(at_rest or descriptors), []
        else:
            self._free_text = ""
            self._readout = readout_lines(descriptors, self._readout_keys) if descriptors is not None else []
        if layout:
            self.layout_text()

    @property
    def readout_text(self) -> str:
        """The readout as shown (lines joined)."""
        return self.readout_actor.GetInput() or ""

    def landmark_positions(self, pose: Pose) -> NDArray[np.float64]:
        """World positions (n, 3) of the labelled landmarks, in :attr:`landmark_names` order."""
        out = np.empty_like(self.landmark_neutral)
        for i, (bone, p) in enumerate(zip(self.landmark_bones, self.landmark_neutral)):
            T = pose.T_world[bone]
            out[i] = T[:3, :3] @ p + T[:3, 3]
        return out
