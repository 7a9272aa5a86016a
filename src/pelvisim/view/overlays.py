"""The switchable layers of a panel (ghost, axes, colour map, trails, palpation spheres, femurs, arrows).

Each layer is an :class:`Overlay`: it adds its actors to its panel once, shows or hides them, and
follows each new pose (``update`` sets ``user_matrix`` or rewrites one small array in place). A
layer that draws 2D items (the colour bar) lays them out in pixels and reports their boxes, so the
landmark labels keep clear of them.

Layers are found by name in :data:`OVERLAY_TYPES`. A new layer (e.g. ligaments and muscles) is a
subclass registered with :func:`register_overlay`; its name must also be added to
``pelvisim.scene.OVERLAY_NAMES`` (scene files) and ``pelvisim.view.state.OVERLAYS`` (the app's
check boxes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyvista as pv
import vtk
from numpy.typing import NDArray

from pelvisim import frames, joints
from pelvisim.anatomy.core import FEMURS, PELVIC_BONES
from pelvisim.errors import ParameterError
from pelvisim.pose import Pose
from pelvisim.view.meshes import surface_locator
from pelvisim.view.text import set_font, text_size_px

if TYPE_CHECKING:  # pragma: no cover
    from pelvisim.view.panel import Panel

Box = tuple[float, float, float, float]
"""``(x0, x1, y0, y1)`` in pixels of a panel's viewport (origin lower left)."""

PALPATION_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
PALPATION_ERROR_MM = (15.0, 20.0)
"""Landmark palpation error at the iliac spines, 15–20 mm (Della Croce 1999)."""

TRAIL_LANDMARKS = ("asis_left", "asis_right", "psis_left", "psis_right")
"""Landmarks whose paths the ``trails`` overlay draws."""

COLOUR_MAP_RANGE_MM = (0.0, 2.0)
"""Default colour range of the displacement map: 0–2 mm covers physiological SIJ motion."""

AXIS_MARGIN_MM = 30.0
"""An axis rod runs this far beyond the bone it passes through at each end, so both caps are in the open."""
AXIS_FIT_TRIANGLES = 4000
"""Triangles of the bone surfaces an axis rod is fitted to (within about half a millimetre of the bone)."""
AXIS_SEARCH_MM = 300.0
"""How far along an axis line (both ways from its point) the bones are looked for."""

XRAY_LAYER = 1
"""Render-window layer of the panels' x-ray renderers (drawn over the bones; pyvista keeps layer 2
for its background renderers, and the title card of videos sits above all)."""
XRAY_OPACITY = 0.35
"""Opacity of the x-ray copy of the axis rods."""

ARROW_MIN_LENGTH_MM = 0.5
"""Shorter arrows (after scaling) are not drawn: a dot of arrowhead would only clutter."""


class Overlay:
    """One switchable layer of a :class:`~pelvisim.view.panel.Panel`.

    Subclasses add their actors in ``__init__`` (hidden), and override :meth:`show`,
    :meth:`update` and, for 2D items, :meth:`layout` and :meth:`boxes`.
    """

    name = ""
    """Overlay name (as in scene files and :meth:`Panel.set_overlay`)."""
    needs_tissue = False
    """Whether the layer draws the soft tissue of each frame: while it is on, :attr:`Panel.wants_tissue`
    asks the caller of :meth:`Panel.update` for it (:func:`pelvisim.view.tissue.frame_tissue`)."""

    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self.on = False

    def show(self, on: bool) -> None:
        """Show or hide the layer (also called again when the panel's view hides or cuts bones)."""
        self.on = bool(on)

    def update(self, pose: Pose) -> None:
        """Follow ``pose`` (called with every new pose while the layer is on, and when it is turned on)."""

    def layout(self, width: int, height: int, text_px: int, dpi: int) -> None:
        """Place 2D items for a panel of ``width`` × ``height`` pixels (body text ``text_px``)."""

    def boxes(self) -> list[Box]:
        """Boxes of the 2D items drawn (landmark labels avoid them)."""
        return []


OVERLAY_TYPES: dict[str, type[Overlay]] = {}
"""Overlay classes by name, in the order panels build them."""


def register_overlay(cls: type[Overlay]) -> type[Overlay]:
    """Add an :class:`Overlay` subclass to :data:`OVERLAY_TYPES` under its ``name`` (usable as a decorator)."""
    if not cls.name:
        raise ParameterError(f"{cls.__name__} needs a name to be registered as an overlay")
    OVERLAY_TYPES[cls.name] = cls
    return cls


# --- ghost -----------------------------------------------------------------------------------
@register_overlay
class GhostOverlay(Overlay):
    """The neutral pose, translucent, moving with the whole-pelvis (gait) motion only."""

    name = "ghost"

    def show(self, on: bool) -> None:
        super().show(on)
        for bone, actor in self.panel.ghost_actors.items():
            actor.visibility = self.on and self.panel.bone_shown(bone)

    def update(self, pose: Pose) -> None:
        W = pose.state.T_world_pelvis
        for actor in self.panel.ghost_actors.values():
            actor.user_matrix = W


# --- femurs ----------------------------------------------------------------------------------
@register_overlay
class FemursOverlay(Overlay):
    """The femurs (they follow their innominates with the hip angles of the gait cycle)."""

    name = "femurs"

    def show(self, on: bool) -> None:
        super().show(on)
        for bone in FEMURS:
            if bone in self.panel.actors:
                self.panel.actors[bone].visibility = self.on and self.panel.bone_shown(bone)


# --- joint axes --------------------------------------------------------------------------------
def rod_mesh(axis: joints.Axis, start_mm: float, end_mm: float, radius_mm: float) -> pv.PolyData:
    """A rod along ``axis`` from ``start_mm`` to ``end_mm`` (distances along it from its point), capped:
    a flat disc at the start and an arrowhead at the end (the positive direction of the axis)."""
    p, d = np.asarray(axis.point_mm, dtype=float), np.asarray(axis.direction, dtype=float)
    a, b = p + start_mm * d, p + end_mm * d
    r = radius_mm
    rod = pv.Cylinder(center=0.5 * (a + b), direction=d, radius=r, height=float(end_mm - start_mm), resolution=16)
    disc = pv.Cylinder(center=a, direction=d, radius=3.0 * r, height=1.2 * r, resolution=24)
    tip = pv.Cone(center=b + d * 3.0 * r, direction=d, height=6.0 * r, radius=3.0 * r, resolution=24)
    return rod.triangulate().merge(disc.triangulate()).merge(tip.triangulate())


def axis_extent_mm(axis: joints.Axis, locators: Sequence[vtk.vtkOBBTree]) -> tuple[float, float]:
    """Distances along ``axis`` (from its point) where the line first enters and last leaves the bones.

    Parameters
    ----------
    axis : Axis
    locators : sequence of vtk.vtkOBBTree
        Ray-test trees of closed bone surfaces at neutral (mm), e.g. :func:`~pelvisim.view.meshes.surface_locator`.

    Returns
    -------
    (float, float)
        (0, 0) when the line misses every surface.
    """
    p, d = np.asarray(axis.point_mm, dtype=float), np.asarray(axis.direction, dtype=float)
    hits: list[float] = []
    for tree in locators:
        points = vtk.vtkPoints()
        tree.IntersectWithLine(p - AXIS_SEARCH_MM * d, p + AXIS_SEARCH_MM * d, points, None)
        hits += [float((np.array(points.GetPoint(k)) - p) @ d) for k in range(points.GetNumberOfPoints())]
    return (min(hits), max(hits)) if hits else (0.0, 0.0)


AXIS_BONES = {
    "left_oblique": ("sacrum",), "right_oblique": ("sacrum",),
    "unilateral_flexion_left": ("sacrum",), "unilateral_flexion_right": ("sacrum",),
    "flare_left": ("innominate_left",), "flare_right": ("innominate_right",),
}
"""The bones an axis rod passes through and leaves by :data:`AXIS_MARGIN_MM` at both ends; others: every pelvic bone."""

AXIS_NAMES = ("nutation", "left_oblique", "right_oblique", "unilateral_flexion_left", "unilateral_flexion_right",
              "flare_left", "flare_right", "symphysis")
"""Axes the ``axes`` overlay can draw (see :func:`axes_for_model`)."""


def axes_for_model(model: str, parameters: Sequence[dict[str, Any]] = ()) -> tuple[str, ...]:
    """The axes a model turns its bones about, for the ``axes`` overlay.

    Parameters
    ----------
    model : str
        Registry name of the panel's model.
    parameters : sequence of dict
        Every set of parameter values the panel shows (its values and each keyframe's): an axis of
        one side is drawn only when that side moves in one of them; an oblique axis only when it is
        the one chosen.

    Returns
    -------
    tuple of str
        Names of :data:`AXIS_NAMES`; models without an axis of their own get the nutation axis and
        Mitchell's two oblique axes.
    """
    values = list(parameters)

    def moves(key: str) -> bool:
        return any(abs(float(v.get(key, 0.0) or 0.0)) > 0 for v in values)

    if model == "nutation":
        return ("nutation",)
    if model == "sacral_torsion":
        chosen = {str(v["axis"]) for v in values if "axis" in v}
        return tuple(sorted(chosen)) or ("left_oblique", "right_oblique")
    if model == "mitchell_gait":
        return ("left_oblique", "right_oblique")
    if model == "unilateral_sacral_flexion":
        return tuple(f"unilateral_flexion_{side}" for side in ("left", "right") if moves(f"{side}_deg")) or \
            ("unilateral_flexion_left", "unilateral_flexion_right")
    if model == "flare":
        return tuple(f"flare_{side}" for side in ("left", "right") if moves(f"{side}_deg")) or ("flare_left", "flare_right")
    if model == "innominate_rotation":
        return ("symphysis",) if any(v.get("axis") == "symphysis" for v in values) else ("nutation",)
    return ("nutation", "left_oblique", "right_oblique")


@register_overlay
class AxesOverlay(Overlay):
    """Joint axes as long rods, capped at both ends outside the bone (disc at the start, arrowhead at the end).

    The arrowhead marks the positive direction: a positive angle turns the bone the way the fingers
    of a right hand curl when its thumb points along the arrow. Axes are fixed in the pelvis. Where
    a rod runs inside bone it still shows, faintly: a translucent copy is drawn over the picture
    (an "x-ray" renderer layer with the panel's camera and viewport).
    """

    name = "axes"

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.actors: dict[str, Any] = {}
        self.xray_actors: dict[str, Any] = {}
        self.names: tuple[str, ...] = ("nutation", "left_oblique", "right_oblique")
        self.level = "S2"
        self._built: tuple[Any, ...] | None = None
        self.xray = vtk.vtkRenderer()
        """The layer over the panel that shows the buried parts of the rods."""
        self.xray.SetLayer(XRAY_LAYER)
        self.xray.SetInteractive(False)
        self.xray.SetUseOIT(False)
        self._xray_added = False

    def axis(self, name: str) -> joints.Axis:
        """The :class:`~pelvisim.joints.Axis` called ``name`` (see :data:`AXIS_NAMES`)."""
        axis = joints.named_axis(self.panel.anatomy, name, self.level)
        if axis is not None:
            return axis
        raise ParameterError(f"Unknown axis {name!r}. Expected one of: {', '.join(AXIS_NAMES)}")

    def set_axes(self, names: Sequence[str], level: str | None = None) -> None:
        """Draw the axes ``names`` (nutation at sacral ``level``); built when shown, rebuilt only when they change."""
        unknown = [n for n in names if n not in AXIS_NAMES]
        if unknown:
            raise ParameterError(f"Unknown axes {unknown}. Expected some of: {', '.join(AXIS_NAMES)}")
        self.names = tuple(names)
        if level is not None:
            self.level = str(level)
        if self.on:
            self._build()

    def _build(self) -> None:
        key = (self.names, self.level)
        if key == self._built:
            return
        for actor in self.actors.values():
            self.panel.renderer.remove_actor(actor, render=False)
        for actor in self.xray_actors.values():
            self.xray.RemoveActor(actor)
        self.actors, self.xray_actors = {}, {}
        bones = self.panel.anatomy.bones
        for name in self.names:
            axis = self.axis(name)
            locators = [surface_locator(bones[b], AXIS_FIT_TRIANGLES if len(bones[b].faces) > AXIS_FIT_TRIANGLES else None)
                        for b in AXIS_BONES.get(name, PELVIC_BONES) if b in bones]
            start, end = axis_extent_mm(axis, locators)
            if end - start < 1.0:  # the line misses the bones: centre a rod on its point
                start, end = -60.0, 60.0
            colour = self.panel.theme.axis_colour if name in ("nutation", "symphysis") or name.startswith("flare") \
                else self.panel.theme.oblique_axis_colour
            mesh = rod_mesh(axis, start - AXIS_MARGIN_MM, end + AXIS_MARGIN_MM, self.panel.theme.axis_radius_mm)
            actor = self.panel.add_mesh(mesh, color=colour, name=f"{id(self.panel)}_axis_{name}",
                                                reset_camera=False)
            xray = pv.Actor(mapper=pv.DataSetMapper(mesh))
            xray.prop.color = colour
            xray.prop.opacity = XRAY_OPACITY
            xray.mapper.scalar_visibility = False
            self.xray.AddActor(xray)
            for each in (actor, xray):
                each.visibility = self.on
                if self.panel.pose is not None:
                    each.user_matrix = self.panel.pose.state.T_world_pelvis
            self.actors[name], self.xray_actors[name] = actor, xray
        self._built = key

    def show(self, on: bool) -> None:
        super().show(on)
        if self.on:
            self._build()
        for actor in (*self.actors.values(), *self.xray_actors.values()):
            actor.visibility = self.on
        window = self.panel.renderer.GetRenderWindow()
        if window is None:
            return
        if self.on and not self._xray_added:
            window.SetNumberOfLayers(max(window.GetNumberOfLayers(), XRAY_LAYER + 1))
            window.AddRenderer(self.xray)
            self._xray_added = True
        elif not self.on and self._xray_added:
            window.RemoveRenderer(self.xray)
            self._xray_added = False

    def before_render(self) -> None:
        """Give the x-ray layer the panel's viewport and camera (called before every render)."""
        if not self._xray_added:
            return
        self.xray.SetViewport(self.panel.renderer.GetViewport())
        self.xray.GetActiveCamera().DeepCopy(self.panel.renderer.GetActiveCamera())

    def update(self, pose: Pose) -> None:
        for actor in (*self.actors.values(), *self.xray_actors.values()):
            actor.user_matrix = pose.state.T_world_pelvis


# --- colour map --------------------------------------------------------------------------------
COLOUR_BAR_TITLES = {
    "sacrum": "displacement, mm (true scale)\nrelative to the sacrum",
    "pelvis": "displacement, mm (true scale)\nin the pelvic frame",
}
"""Colour-bar title per frame: quantity, unit and the frame it is measured in."""


def displacement_mm(vertices_mm: NDArray[np.float64], T: NDArray[np.float64]) -> NDArray[np.float64]:
    """Length of each vertex's displacement by the rigid transform ``T``: ``|R v + t − v|`` (mm)."""
    d = vertices_mm @ (T[:3, :3] - np.eye(3)).T + T[:3, 3]
    return np.sqrt(np.einsum("ij,ij->i", d, d))


COLOUR_STOPS = 17
"""Colours of the colour map sampled for the shader (linear between them; the bar shows the full map)."""


def colour_map_shader(colour_map: str) -> str:
    """GLSL function ``vec3 displacementColour(float s)`` (s in 0–1) for matplotlib colour map ``colour_map``."""
    import matplotlib

    colours = matplotlib.colormaps[colour_map](np.linspace(0.0, 1.0, COLOUR_STOPS))[:, :3]
    stops = ", ".join(f"vec3({r:.5f}, {g:.5f}, {b:.5f})" for r, g, b in colours)
    n = COLOUR_STOPS - 1
    return (f"const vec3 displacementStops[{COLOUR_STOPS}] = vec3[{COLOUR_STOPS}]({stops});\n"
            "vec3 displacementColour(float s) {\n"
            f"  float x = clamp(s, 0.0, 1.0) * {n}.0;\n"
            f"  int i = int(min(floor(x), {n - 1}.0));\n"
            "  return mix(displacementStops[i], displacementStops[i + 1], x - float(i));\n"
            "}\n")


def colour_bar(panel: Panel, lookup_table: Any, title: str, labels: int, label_format: str) -> vtk.vtkScalarBarActor:
    """A horizontal colour bar in the panel's font and text colour, added to its renderer (hidden).

    Every colour bar of a panel looks alike: its title names the quantity, the unit and the frame
    (or reference) it is measured in, on two lines; :func:`place_colour_bar` lays it out.
    """
    bar = vtk.vtkScalarBarActor()
    bar.SetLookupTable(lookup_table)
    bar.SetOrientationToHorizontal()
    bar.SetNumberOfLabels(labels)
    bar.SetLabelFormat(label_format)
    bar.SetTextPositionToPrecedeScalarBar()
    bar.SetTitle(title)
    bar.UnconstrainedFontSizeOn()
    bar.SetDrawFrame(False)
    bar.SetBarRatio(0.3)
    bar.SetTitleRatio(0.5)
    for prop in (bar.GetTitleTextProperty(), bar.GetLabelTextProperty()):
        set_font(prop)
        prop.SetColor(pv.Color(panel.theme.text_colour).float_rgb)
        prop.SetShadow(True)
        prop.SetItalic(False)
        prop.SetBold(False)
    bar.GetPositionCoordinate().SetCoordinateSystemToViewport()
    bar.GetPosition2Coordinate().SetCoordinateSystemToViewport()
    bar.SetVisibility(False)
    panel.renderer.AddViewProp(bar)
    return bar


def place_colour_bar(bar: vtk.vtkScalarBarActor, width: int, text_px: int, dpi: int, below: Sequence[Box]) -> Box:
    """Lay a :func:`colour_bar` out at the lower right of a panel ``width`` pixels wide; returns its box.

    The title's font shrinks until it fits the panel's width. ``below`` are boxes already drawn
    (the readout, another colour bar): when one reaches into the bar's columns, the bar sits above it.
    """
    margin = max(4, int(round(0.5 * text_px)))
    label_px = max(9, int(round(0.75 * text_px)))
    title_prop = bar.GetTitleTextProperty()
    room = width - 2 * margin
    for size in range(label_px, 7, -1):  # the title must fit the panel's width
        title_prop.SetFontSize(size)
        if text_size_px(title_prop, bar.GetTitle(), dpi)[0] + 8 <= room:
            break
    bar.GetLabelTextProperty().SetFontSize(title_prop.GetFontSize())
    title_w, title_h = text_size_px(title_prop, bar.GetTitle(), dpi)
    bar_w = int(min(room, max(title_w + 8, 0.3 * width)))
    bar_h = int(round(title_h + 3.2 * title_prop.GetFontSize()))
    x0, y0 = width - margin - bar_w, margin
    for box in sorted(below, key=lambda b: b[2]):
        if box[1] + margin > x0 and box[2] < y0 + bar_h:  # no room beside it: above it
            y0 = max(y0, int(box[3] + margin))
    bar.SetPosition(x0, y0)
    bar.SetPosition2(bar_w, bar_h)
    bar.SetMaximumWidthInPixels(bar_w)
    bar.SetMaximumHeightInPixels(bar_h)
    return (x0 - 2, x0 + bar_w + 2, y0 - 2, y0 + bar_h + 2)


@register_overlay
class ColourMapOverlay(Overlay):
    """Each bone surface point coloured by its true-scale displacement, with a colour bar naming the frame.

    Frame ``"sacrum"`` (default): each innominate's displacement relative to the sacrum,
    ``T_sacrum⁻¹ · T_innominate`` (the SIJ's own motion, whatever the sacrum does); the sacrum is the
    reference and keeps its plain colour. Frame ``"pelvis"``: each pelvic bone's displacement in the
    pelvic frame. Magnification never reaches the colours.

    The colours are computed on the graphics card: a rigid displacement is ``|A v + t|`` for each
    surface point ``v`` (``A = R − I``), so each frame only hands the shader ``A`` and ``t`` (a
    per-vertex array rewritten every frame costs a full re-upload of the mesh).
    """

    name = "colour_map"
    FRAMES = tuple(COLOUR_BAR_TITLES)

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.frame = "sacrum"
        self.range_mm = tuple(panel.colour_map_range_mm)
        self.transforms: dict[str, NDArray[np.float64]] = {}
        """The rigid displacement (4 × 4, bone frame at neutral) each coloured bone is coloured by."""
        for bone in PELVIC_BONES:
            if bone in panel.actors:
                self._add_shader(panel.actors[bone])
        self.bar = colour_bar(panel, panel.actors["innominate_left"].mapper.GetLookupTable() if "innominate_left" in panel.actors
                              else vtk.vtkLookupTable(), COLOUR_BAR_TITLES[self.frame], 5, "%.1f")
        self._box: Box | None = None

    def _add_shader(self, actor: Any) -> None:
        """Colour ``actor`` by ``|A v + t|`` when its ``displacementOn`` uniform is 1.

        The vertex is taken in view coordinates (``MCVCMatrix · vertexMC``: VTK may shift and scale
        model coordinates on the card), so :meth:`before_render` folds the camera and the actor's
        matrix into ``A`` and ``t``.
        """
        shader = actor.GetShaderProperty()
        shader.AddVertexShaderReplacement("//VTK::Normal::Dec", True,
                                          "//VTK::Normal::Dec\nout float displacementMM;\n", False)
        shader.AddVertexShaderReplacement(
            "//VTK::Normal::Impl", True,
            "//VTK::Normal::Impl\n  displacementMM = length(displacementA * (MCVCMatrix * vertexMC).xyz + displacementT);\n",
            False)
        shader.AddFragmentShaderReplacement(
            "//VTK::Normal::Dec", True,
            "//VTK::Normal::Dec\nin float displacementMM;\n" + colour_map_shader(self.panel.theme.colour_map), False)
        shader.AddFragmentShaderReplacement(
            "//VTK::Color::Impl", True,
            "//VTK::Color::Impl\n  if (displacementOn > 0.5) {\n"
            "    vec3 mapped = displacementColour((displacementMM - displacementLow) / displacementSpan);\n"
            "    diffuseColor = diffuseIntensity * mapped;\n    ambientColor = ambientIntensity * mapped;\n  }\n", False)
        vertex, fragment = shader.GetVertexCustomUniforms(), shader.GetFragmentCustomUniforms()
        vertex.SetUniformMatrix3x3("displacementA", [0.0] * 9)
        vertex.SetUniform3f("displacementT", [0.0, 0.0, 0.0])
        fragment.SetUniformf("displacementOn", 0.0)
        fragment.SetUniformf("displacementLow", float(self.range_mm[0]))
        fragment.SetUniformf("displacementSpan", float(max(self.range_mm[1] - self.range_mm[0], 1e-9)))

    def set_frame(self, frame: str) -> None:
        """``"sacrum"`` or ``"pelvis"``: the frame displacements are measured in."""
        if frame not in self.FRAMES:
            raise ParameterError(f"colour map frame must be one of {', '.join(self.FRAMES)}, got {frame!r}")
        self.frame = frame
        self.bar.SetTitle(COLOUR_BAR_TITLES[frame])
        self.panel.request_layout()
        self.show(self.on)

    def set_range(self, low_mm: float, high_mm: float) -> None:
        """Colour range, mm (true scale)."""
        self.range_mm = (float(low_mm), float(high_mm))
        for bone in PELVIC_BONES:
            if bone in self.panel.actors:
                actor = self.panel.actors[bone]
                actor.mapper.scalar_range = self.range_mm  # the colour bar's lookup table
                fragment = actor.GetShaderProperty().GetFragmentCustomUniforms()
                fragment.SetUniformf("displacementLow", self.range_mm[0])
                fragment.SetUniformf("displacementSpan", max(self.range_mm[1] - self.range_mm[0], 1e-9))

    def coloured_bones(self) -> tuple[str, ...]:
        """The bones coloured in the current frame (the sacrum is the reference of the ``sacrum`` frame)."""
        bones = ("innominate_left", "innominate_right") if self.frame == "sacrum" else PELVIC_BONES
        return tuple(b for b in bones if b in self.panel.actors)

    def show(self, on: bool) -> None:
        super().show(on)
        coloured = set(self.coloured_bones()) if self.on else set()
        for bone in PELVIC_BONES:
            if bone in self.panel.actors:
                uniforms = self.panel.actors[bone].GetShaderProperty().GetFragmentCustomUniforms()
                uniforms.SetUniformf("displacementOn", 1.0 if bone in coloured else 0.0)
        self.bar.SetVisibility(self.on)
        if self.on and self.panel.pose is not None:
            self.update(self.panel.pose)

    def update(self, pose: Pose) -> None:
        for bone in self.coloured_bones():
            T = pose.state.T_pelvis[bone]
            if self.frame == "sacrum":
                T = frames.invert(pose.state.T_pelvis["sacrum"]) @ T
            self.transforms[bone] = T

    def displacements_mm(self, bone: str) -> NDArray[np.float64]:
        """What the colours of ``bone`` show: each vertex's true-scale displacement, mm."""
        return displacement_mm(self.panel.neutral_vertices[bone], self.transforms.get(bone, np.eye(4)))

    def before_render(self) -> None:
        """Hand each coloured bone's shader its displacement in view coordinates (called before every render)."""
        if not self.on:
            return
        camera = self.panel.renderer.GetActiveCamera()
        view = _matrix(camera.GetModelViewTransformMatrix())
        for bone, T in self.transforms.items():
            actor = self.panel.actors[bone]
            to_bone = np.linalg.inv(view @ _matrix(actor.GetMatrix()))  # view coordinates -> bone at neutral
            A = T[:3, :3] - np.eye(3)
            uniforms = actor.GetShaderProperty().GetVertexCustomUniforms()
            # vtkUniforms takes a 3 × 3 matrix column by column (GLSL's order)
            uniforms.SetUniformMatrix3x3("displacementA", [float(v) for v in (A @ to_bone[:3, :3]).T.ravel()])
            uniforms.SetUniform3f("displacementT", [float(v) for v in A @ to_bone[:3, 3] + T[:3, 3]])

    def layout(self, width: int, height: int, text_px: int, dpi: int) -> None:
        below = [self.panel.readout_box] if self.panel.readout_box is not None else []
        self._box = place_colour_bar(self.bar, width, text_px, dpi, below)

    def boxes(self) -> list[Box]:
        return [self._box] if self.on and self._box is not None else []


def _matrix(m: vtk.vtkMatrix4x4) -> NDArray[np.float64]:
    return np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])


# --- trails ------------------------------------------------------------------------------------
@register_overlay
class TrailsOverlay(Overlay):
    """Paths of ASIS and PSIS through a set of poses (e.g. one gait cycle)."""

    name = "trails"

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.actors: list[Any] = []
        self.frame = "world"

    def set_poses(self, poses: Sequence[Pose], frame: str = "world") -> None:
        """Draw the paths through ``poses``; ``frame`` ``"world"`` (as displayed) or ``"pelvis"``
        (the intrapelvic part only, drawn moving with the pelvis)."""
        if frame not in ("world", "pelvis"):
            raise ParameterError(f"trail frame must be 'world' or 'pelvis', got {frame!r}")
        panel = self.panel
        for actor in self.actors:
            panel.renderer.remove_actor(actor, render=False)
        self.actors = []
        self.frame = frame
        for name in TRAIL_LANDMARKS:
            if name not in panel.anatomy.landmarks or not poses:
                continue
            landmark = panel.anatomy.landmark(name)
            p = np.append(landmark.position_mm, 1.0)
            points = []
            for shown in poses:
                T = shown.T_world[landmark.bone]
                if frame == "pelvis":
                    T = frames.invert(shown.state.T_world_pelvis) @ T
                points.append((T @ p)[:3])
            actor = panel.add_mesh(
                pv.lines_from_points(np.array(points)), color=panel.theme.trail_colour, line_width=panel.theme.trail_width,
                reset_camera=False, name=f"{id(panel)}_trail_{name}", render_lines_as_tubes=False, lighting=False,
            )
            actor.visibility = self.on and panel.bone_shown(landmark.bone)
            self.actors.append(actor)
        if panel.pose is not None:
            self.update(panel.pose)

    def show(self, on: bool) -> None:
        super().show(on)
        bones = [self.panel.anatomy.landmark(n).bone for n in TRAIL_LANDMARKS if n in self.panel.anatomy.landmarks]
        for actor, bone in zip(self.actors, bones):
            actor.visibility = self.on and self.panel.bone_shown(bone)

    def update(self, pose: Pose) -> None:
        if self.frame == "pelvis":
            for actor in self.actors:
                actor.user_matrix = pose.state.T_world_pelvis


# --- palpation spheres -------------------------------------------------------------------------
@register_overlay
class PalpationOverlay(Overlay):
    """15 mm and 20 mm spheres around ASIS and PSIS at their neutral positions (palpation error)."""

    name = "palpation"

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.actors: list[Any] = []
        self._bones: list[str] = []
        inner, outer = PALPATION_ERROR_MM
        for name in PALPATION_LANDMARKS:
            if name not in panel.anatomy.landmarks:
                continue
            centre = panel.anatomy.point(name)
            for radius, opacity in ((outer, 0.12), (inner, 0.2)):
                actor = panel.add_mesh(
                    pv.Sphere(radius=radius, center=centre, theta_resolution=24, phi_resolution=16),
                    color=panel.theme.palpation_colour, opacity=opacity, name=f"{id(panel)}_palp_{name}_{radius:g}",
                    reset_camera=False, lighting=False,
                )
                actor.visibility = False
                self.actors.append(actor)
                self._bones.append(panel.anatomy.landmark(name).bone)

    def show(self, on: bool) -> None:
        super().show(on)
        for actor, bone in zip(self.actors, self._bones):
            actor.visibility = self.on and self.panel.bone_shown(bone)

    def update(self, pose: Pose) -> None:
        for actor in self.actors:
            actor.user_matrix = pose.state.T_world_pelvis


# --- displacement arrows -----------------------------------------------------------------------
ARROW_SIDES = 10
"""Facets around an arrow (shaft and head)."""


def _arrow_template(sides: int = ARROW_SIDES) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Unit ring and the faces of one arrow: shaft ring at the base, shaft ring at the neck, head ring, tip.

    Vertices are laid out as 4 rings of ``sides`` points, then the tip; faces index them.
    """
    angles = np.linspace(0.0, 2.0 * np.pi, sides, endpoint=False)
    ring = np.column_stack([np.cos(angles), np.sin(angles)])
    faces = []
    for k in range(sides):
        a, b = k, (k + 1) % sides
        faces += [(a, b, sides + b), (a, sides + b, sides + a)]  # shaft
        faces += [(2 * sides + a, 2 * sides + b, 3 * sides)]  # head cone to the tip
        faces += [(sides + a, sides + b, 2 * sides + b), (sides + a, 2 * sides + b, 2 * sides + a)]  # head underside
    return ring, np.array(faces, dtype=np.int64)


_ARROW_RING, _ARROW_FACES = _arrow_template()


def arrow_vertices(starts: NDArray[np.float64], vectors: NDArray[np.float64], shaft_radius_mm: float,
                   head_length_mm: float) -> NDArray[np.float64]:
    """Vertices of one arrow per row of ``starts`` along ``vectors`` (mm), in the :func:`_arrow_template` layout.

    The shaft keeps its radius and the head its size whatever the length (a short arrow is a short
    shaft, not a thin one); an arrow shorter than its head gets a head scaled to its length.
    """
    n = len(starts)
    sides = len(_ARROW_RING)
    lengths = np.linalg.norm(vectors, axis=1)
    d = np.where(lengths[:, None] > 1e-12, vectors / np.where(lengths > 1e-12, lengths, 1.0)[:, None],
                 np.array([[1.0, 0.0, 0.0]]))
    # two unit vectors across each arrow
    helper = np.where(np.abs(d[:, [0]]) < 0.9, np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0]]))
    u = np.cross(d, helper)
    u /= np.linalg.norm(u, axis=1)[:, None]
    w = np.cross(d, u)
    head = np.minimum(head_length_mm, 0.6 * lengths)
    neck = lengths - head
    scale = np.where(lengths > 0, np.maximum(np.minimum(1.0, lengths / max(head_length_mm, 1e-9)), 0.4), 0.0)
    r_shaft = shaft_radius_mm * scale  # 0 for an arrow not drawn: all its points collapse onto its start
    r_head = 2.4 * shaft_radius_mm * scale
    around = _ARROW_RING[None, :, 0, None] * u[:, None, :] + _ARROW_RING[None, :, 1, None] * w[:, None, :]
    out = np.empty((n, 3 * sides + 1, 3))
    out[:, :sides] = starts[:, None, :] + r_shaft[:, None, None] * around
    neck_point = starts + neck[:, None] * d
    out[:, sides:2 * sides] = neck_point[:, None, :] + r_shaft[:, None, None] * around
    out[:, 2 * sides:3 * sides] = neck_point[:, None, :] + r_head[:, None, None] * around
    out[:, 3 * sides] = starts + lengths[:, None] * d
    return out.reshape(-1, 3)


@register_overlay
class ArrowsOverlay(Overlay):
    """An arrow at each landmark along its true-scale displacement × :attr:`scale` (bones unchanged).

    Makes sub-millimetre motion visible without magnifying the bones: the arrow starts at the
    landmark as drawn and shows its displacement from neutral in the pelvic frame (the frame of the
    landmark shifts of :func:`pelvisim.descriptors.describe`), multiplied by :attr:`scale`. The
    panel's badge says "arrows ×N".
    """

    name = "arrows"

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.scale = 20.0
        names = panel.landmark_names
        self.names = list(names)
        n = len(names)
        sides = len(_ARROW_RING)
        per = 3 * sides + 1
        faces = (_ARROW_FACES[None, :, :] + per * np.arange(n)[:, None, None]).reshape(-1, 3)
        self.mesh = pv.PolyData.from_regular_faces(np.zeros((n * per, 3)), faces)
        self.actor = panel.add_mesh(self.mesh, color=panel.theme.arrow_colour, name=f"{id(panel)}_arrows",
                                            reset_camera=False, smooth_shading=False, specular=0.3)
        self.actor.visibility = False
        self.lengths_mm = np.zeros(n)
        """Drawn length of each arrow (true displacement × scale), mm; 0 when not drawn."""

    def set_scale(self, scale: float) -> None:
        """Length factor of the arrows (> 0)."""
        if not (np.isfinite(scale) and scale > 0):
            raise ParameterError(f"arrow scale must be a number > 0, got {scale!r}")
        self.scale = float(scale)
        self.panel.refresh_badge()
        if self.on and self.panel.pose is not None:
            self.update(self.panel.pose)

    def show(self, on: bool) -> None:
        super().show(on)
        self.actor.visibility = self.on
        self.panel.refresh_badge()
        if self.on and self.panel.pose is not None:
            self.update(self.panel.pose)

    def vectors_mm(self, pose: Pose) -> NDArray[np.float64]:
        """True-scale displacement of each landmark from neutral in the pelvic frame, rotated into the world, mm."""
        panel = self.panel
        out = np.zeros((len(self.names), 3))
        R_world = pose.state.T_world_pelvis[:3, :3]
        for i, (bone, p) in enumerate(zip(panel.landmark_bones, panel.landmark_neutral)):
            T = pose.state.T_pelvis[bone] if bone in pose.state.T_pelvis else frames.identity()
            if bone.startswith("femur_"):
                side = bone.split("_", 1)[1]
                T = pose.state.T_pelvis[f"innominate_{side}"] @ pose.state.T_innominate_femur[side]
            out[i] = R_world @ (T[:3, :3] @ p + T[:3, 3] - p)
        return out

    def update(self, pose: Pose) -> None:
        panel = self.panel
        starts = panel.landmark_positions(pose)
        vectors = self.scale * self.vectors_mm(pose)
        shown = np.array([panel.landmark_visible(name) for name in self.names], dtype=bool)
        lengths = np.linalg.norm(vectors, axis=1)
        drawn = shown & (lengths >= ARROW_MIN_LENGTH_MM)
        vectors = np.where(drawn[:, None], vectors, 0.0)
        self.lengths_mm = np.where(drawn, lengths, 0.0)
        radius = 0.35 * panel.theme.landmark_size_mm
        points = arrow_vertices(starts, vectors, radius, 3.0 * panel.theme.landmark_size_mm)
        self.mesh.points[:] = points
        self.mesh.Modified()
