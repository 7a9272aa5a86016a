"""One 3D panel: the bones of one positional model and its teaching overlays.

A :class:`Panel` adds its actors to a pyvista plotter (or one subplot of it) **once**; every later
:meth:`Panel.update` only sets each actor's ``user_matrix`` (and, when the colour map is on,
refreshes one per-vertex scalar array in place). Nothing here computes mechanics: poses come from
:func:`pelvisim.pose.pose`, descriptors from :func:`pelvisim.descriptors.describe`.

Coordinates are the pelvic (ISB) frame, mm: +X anterior, +Y superior, +Z right. Views are made by
moving the camera (:func:`set_view`), never by rotating data.
"""

from __future__ import annotations

import textwrap
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyvista as pv
import vtk
from numpy.typing import NDArray

from pelvisim import frames, joints
from pelvisim.anatomy.core import FEMURS, PELVIC_BONES, Anatomy, Bone
from pelvisim.anatomy.user import is_closed
from pelvisim.errors import ParameterError
from pelvisim.pose import Pose

# --- constants -------------------------------------------------------------------------------
OVERLAYS = ("ghost", "landmarks", "axes", "colour_map", "trails", "palpation", "femurs", "descriptors")
"""Overlay names accepted by :meth:`Panel.set_overlay` (``color_map`` is accepted as an alias)."""

DEFAULT_OVERLAYS = frozenset({"landmarks", "descriptors"})
"""Overlays that are on when a panel is created."""

VIEWS = ("anterior", "posterior", "superior", "inferior", "left", "right")
"""Camera presets of :func:`set_view`."""

# (direction from the focus to the camera, camera up), pelvic frame.
_VIEW_DIRECTIONS: Mapping[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "anterior": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "posterior": ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "superior": ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
    "inferior": ((0.0, -1.0, 0.0), (1.0, 0.0, 0.0)),
    "left": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "right": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
}

LANDMARK_LABELS: Mapping[str, str] = {
    "asis_left": "ASIS L",
    "asis_right": "ASIS R",
    "psis_left": "PSIS L",
    "psis_right": "PSIS R",
    "pubic_tubercle_left": "pubic tubercle L",
    "pubic_tubercle_right": "pubic tubercle R",
    "ischial_tuberosity_left": "ischial tuberosity L",
    "ischial_tuberosity_right": "ischial tuberosity R",
    "sacral_promontory": "sacral base",
    "ila_left": "ILA L",
    "ila_right": "ILA R",
}
"""Landmarks shown by the ``landmarks`` overlay and their on-screen labels."""

TRAIL_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
"""Landmarks whose paths the ``trails`` overlay draws."""

PALPATION_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
PALPATION_ERROR_MM = (15.0, 20.0)
"""Landmark palpation error at the iliac spines, 15–20 mm (Della Croce 1999)."""

GHOST_GRID = 40
"""Quadric-clustering grid of the ghost meshes (the ghost is a faint hint: few triangles keep it cheap)."""

MIN_TRIANGLES = 500
"""Smallest triangle budget per bone accepted by :func:`bone_surface`: below it bones lose their shape."""

COLOUR_MAP_RANGE_MM = (0.0, 2.0)
"""Default colour range of the displacement map: 0–2 mm covers physiological SIJ motion."""


# --- themes ----------------------------------------------------------------------------------
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
    ghost_opacity: float = 0.18
    landmark_colour: str = "#ff5a36"
    axis_colour: str = "#3fc1ff"
    oblique_axis_colour: str = "#b07cff"
    trail_colour: str = "#ffd23f"
    palpation_colour: str = "#ff5a36"
    magnification_colour: str = "#ffb000"
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
        ghost_opacity=0.25,
        landmark_colour="#ff3b1f",
        axis_colour="#00e5ff",
        oblique_axis_colour="#ff66ff",
        trail_colour="#ffff00",
        magnification_colour="#ffff00",
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


def magnification_text(magnification: float) -> str:
    """The on-screen magnification label: ``"true scale"`` or ``"×20 — exaggerated"``."""
    m = float(magnification)
    if abs(m - 1.0) < 1e-9:
        return "true scale"
    word = "exaggerated" if m > 1.0 else "reduced"
    return f"×{m:g} — {word}"


def descriptor_lines(descriptors: Any, width: int = 64, max_lines: int = 5) -> list[str]:
    """Short text lines for the descriptor block of a panel.

    Parameters
    ----------
    descriptors : pelvisim.descriptors.Descriptors or str or None
        Descriptors (their ``summary`` is shown) or ready-made text.
    width : int
        Wrap width in characters.
    max_lines : int
        Lines kept (the last one ends with "…" when cut).
    """
    if descriptors is None:
        return []
    text = descriptors if isinstance(descriptors, str) else str(getattr(descriptors, "summary", descriptors))
    lines: list[str] = []
    for paragraph in text.replace(". ", ".\n").splitlines():
        lines.extend(textwrap.wrap(paragraph, width=width) or [""])
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [lines[max_lines - 1].rstrip(".") + " …"]
    return lines


# --- camera ----------------------------------------------------------------------------------
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


# --- helpers ---------------------------------------------------------------------------------
def _polydata(vertices: NDArray, faces: NDArray) -> pv.PolyData:
    return pv.PolyData.from_regular_faces(np.array(vertices, dtype=float), np.array(faces, dtype=np.int64))


_SIMPLIFIED: weakref.WeakKeyDictionary[Bone, dict[int, tuple[NDArray, NDArray]]] = weakref.WeakKeyDictionary()


def bone_surface(bone: Bone, max_triangles: int | None = None) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The bone's surface, simplified to at most ``max_triangles``: ``(vertices_mm, faces)``.

    ``None`` (or a budget the bone already meets) returns the bone as built. Otherwise the surface
    is simplified by quadric decimation (Garland & Heckbert 1997; VTK's ``vtkQuadricDecimation``)
    with its volume preserved, which keeps outlines and joint surfaces at the sizes a panel shows.
    Results are cached per bone, so four panels of the same anatomy simplify once.

    Parameters
    ----------
    bone : Bone
    max_triangles : int, optional
        Triangle budget, at least :data:`MIN_TRIANGLES`.

    Returns
    -------
    vertices_mm : ndarray, shape (n, 3)
    faces : ndarray, shape (m, 3)
    """
    faces = np.asarray(bone.faces, dtype=np.int64)
    if max_triangles is None or len(faces) <= max_triangles:
        return np.asarray(bone.vertices_mm, dtype=float), faces
    if int(max_triangles) < MIN_TRIANGLES:
        raise ParameterError(f"max_triangles must be at least {MIN_TRIANGLES} (fewer lose the bone's shape), "
                             f"got {max_triangles}")
    budget = int(max_triangles)
    per_bone = _SIMPLIFIED.setdefault(bone, {})
    if budget not in per_bone:
        decimate = vtk.vtkQuadricDecimation()
        decimate.SetInputData(_polydata(bone.vertices_mm, faces))
        decimate.SetTargetReduction(1.0 - budget / len(faces))
        decimate.VolumePreservationOn()
        decimate.Update()
        simplified = pv.wrap(decimate.GetOutput())
        per_bone[budget] = (np.asarray(simplified.points, dtype=float),
                            simplified.faces.reshape(-1, 4)[:, 1:].astype(np.int64))
    vertices, simplified_faces = per_bone[budget]
    return vertices.copy(), simplified_faces.copy()


def _coarse(mesh: pv.PolyData) -> pv.PolyData:
    cluster = vtk.vtkQuadricClustering()
    cluster.SetInputData(mesh)
    cluster.SetNumberOfDivisions(GHOST_GRID, GHOST_GRID, GHOST_GRID)
    cluster.AutoAdjustNumberOfDivisionsOff()
    cluster.Update()
    return pv.wrap(cluster.GetOutput())


def _text_actor(text: str, position: tuple[float, float], size_px: int, colour: str, *, right: bool = False,
                top: bool = False, bold: bool = False) -> vtk.vtkTextActor:
    actor = vtk.vtkTextActor()
    actor.SetInput(text)
    coordinate = actor.GetPositionCoordinate()
    coordinate.SetCoordinateSystemToNormalizedViewport()
    coordinate.SetValue(*position)
    prop = actor.GetTextProperty()
    prop.SetFontSize(max(8, int(size_px)))
    prop.SetColor(pv.Color(colour).float_rgb)
    prop.SetBold(bold)
    prop.SetShadow(True)
    prop.SetFontFamilyToArial()
    prop.SetJustificationToRight() if right else prop.SetJustificationToLeft()
    prop.SetVerticalJustificationToTop() if top else prop.SetVerticalJustificationToBottom()
    return actor


def _matrix(T: NDArray) -> vtk.vtkMatrix4x4:
    m = vtk.vtkMatrix4x4()
    m.DeepCopy(np.ascontiguousarray(T, dtype=float).ravel())
    return m


# --- the panel -------------------------------------------------------------------------------
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
    one float array per bone in place. Text sizes follow the window height at construction.
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
        self._text_px = max(10, int(round(self.theme.text_height_fraction * plotter.window_size[1])))
        self._overlays: set[str] = set()
        self._pose: Pose | None = None
        self._descriptors: Any = None
        self._trail_frame = "world"
        self.colour_map_range_mm = tuple(float(v) for v in colour_map_range_mm)

        self.bones = [b for b in (*PELVIC_BONES, *FEMURS) if b in anatomy.bones]
        self.meshes: dict[str, pv.PolyData] = {}
        self.actors: dict[str, Any] = {}
        self.ghost_actors: dict[str, Any] = {}
        self._vertices: dict[str, NDArray] = {}
        for bone in self.bones:
            vertices_mm, faces = bone_surface(anatomy.bones[bone], max_triangles)
            mesh = _polydata(vertices_mm, faces)
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
                ghost_mesh = _coarse(mesh)
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

        mapper = vtk.vtkLabeledDataMapper()
        mapper.SetInputData(self._landmark_poly)
        mapper.SetLabelModeToLabelFieldData()
        mapper.SetFieldDataName("label")
        prop = mapper.GetLabelTextProperty()
        prop.SetFontSize(max(8, int(self._text_px * 0.8)))
        prop.SetColor(pv.Color(self.theme.text_colour).float_rgb)
        prop.SetBold(True)
        prop.SetShadow(True)
        prop.SetJustificationToLeft()
        self.landmark_label_actor = vtk.vtkActor2D()
        self.landmark_label_actor.SetMapper(mapper)
        self.renderer.AddViewProp(self.landmark_label_actor)

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

    def _build_text(self, title: str) -> None:
        px, theme = self._text_px, self.theme
        self.title_actor = _text_actor(title, (0.015, 0.985), int(px * 1.25), theme.text_colour, top=True, bold=True)
        self.magnification_actor = _text_actor("true scale", (0.985, 0.985), int(px * 1.1), theme.magnification_colour,
                                               right=True, top=True, bold=True)
        self.descriptor_actor = _text_actor("", (0.015, 0.015), int(px * 0.85), theme.text_colour)
        for actor in (self.title_actor, self.magnification_actor, self.descriptor_actor):
            self.renderer.AddViewProp(actor)

    # --- public API -----------------------------------------------------------------------
    @property
    def overlays(self) -> frozenset[str]:
        """Names of the overlays that are on."""
        return frozenset(self._overlays)

    def set_title(self, title: str) -> None:
        """Set the panel title (upper left)."""
        self.title_actor.SetInput(title)

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
        self.magnification_actor.SetInput(magnification_text(pose.magnification))
        if descriptors is not None:
            self.set_descriptor_text(descriptors)

    def set_descriptor_text(self, descriptors: Any) -> None:
        """Show descriptors (their ``summary``) or a ready-made string in the lower-left block."""
        self._descriptors = descriptors
        width = max(30, int(self.renderer.GetSize()[0] / max(self._text_px * 0.85 * 0.55, 1.0)))
        self.descriptor_actor.SetInput("\n".join(descriptor_lines(descriptors, width=width)))

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

    def replace_theme(self, **changes: Any) -> Theme:
        """A copy of this panel's theme with ``changes`` (for callers building variants)."""
        return replace(self.theme, **changes)
