"""The ``landmarks`` layer: markers on the bones, their names beside them with a leader line to each,
and no name for a landmark hidden behind bone.

Before every render the visible landmarks are projected with the current camera, landmarks whose
line of sight to the camera passes through a drawn bone are left unnamed (a ray cast against each
bone's surface in its current pose: the depth test of the picture, done on the CPU so it is known
before drawing), and the names are placed in screen space where they overlap neither each other nor
the panel's text (:func:`pelvisim.view.labels.place_labels`). Each name gets a thin leader line
ending at the rim of its own marker. Names say the patient's side (``ASIS L`` is the patient's left)
and sit on the side of their marker away from the midline where there is room.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyvista as pv
import vtk
from vtkmodules.util.numpy_support import numpy_to_vtk

from pelvisim.pose import Pose
from pelvisim.view.labels import LANDMARK_LABELS, label_rank, mirror_name, place_labels
from pelvisim.view.overlays import Box, Overlay, register_overlay
from pelvisim.view.text import display_text, set_font, text_size_px

if TYPE_CHECKING:  # pragma: no cover
    from pelvisim.view.panel import Panel

LABEL_CAP_HEIGHT_720P_PX = 12.5
"""Capital letters of landmark names are at least this tall in a frame 720 pixels high (scaled with
it): 12 px measured on the picture, with half a pixel for rasterisation."""
CAP_HEIGHT_PER_EM = 1493.0 / 2048.0
"""Cap height of DejaVu Sans as a fraction of its font size (from the font's OS/2 table)."""
LEADER_GAP_PX = 7.0
"""Distance between a marker's rim and its name, pixels: room for a visible leader line."""
LEADER_WIDTH_PX = 1.5
OCCLUSION_MARGIN = 0.5
"""A landmark counts as hidden when a bone lies between the camera and the point this fraction of
a marker radius in front of it (the marker's near half; grazing surfaces near the rim do not hide it)."""


def label_font_px(window_height_px: int, text_px: int, width_scale: float) -> int:
    """Font size of landmark names: the theme's size scaled with the panel, never with capitals
    below :data:`LABEL_CAP_HEIGHT_720P_PX` × (window height / 720)."""
    floor = math.ceil(LABEL_CAP_HEIGHT_720P_PX * window_height_px / 720.0 / CAP_HEIGHT_PER_EM)
    return max(8, floor, int(round(0.8 * text_px * width_scale)))


@register_overlay
class LandmarkOverlay(Overlay):
    """Markers, names and leader lines of the landmarks of :data:`LANDMARK_LABELS`."""

    name = "landmarks"

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        theme = panel.theme
        self.names = list(panel.landmark_names)
        self._poly = pv.PolyData(panel.landmark_neutral.copy())
        glyph = vtk.vtkGlyph3D()
        sphere = vtk.vtkSphereSource()
        sphere.SetRadius(theme.landmark_size_mm)
        sphere.SetThetaResolution(12)
        sphere.SetPhiResolution(12)
        glyph.SetSourceConnection(sphere.GetOutputPort())
        glyph.SetInputData(self._poly)
        glyph.SetScaleModeToDataScalingOff()
        glyph.OrientOff()
        self.marker_actor = panel.add_mesh(pv.Sphere(radius=theme.landmark_size_mm), color=theme.landmark_colour,
                                                   name=f"{id(panel)}_landmark_glyphs", reset_camera=False)
        self.marker_actor.mapper.SetInputConnection(glyph.GetOutputPort())
        self._glyph = glyph
        self.positions = panel.landmark_neutral.copy()
        """World positions of every landmark as last drawn, in :attr:`names` order."""

        prop = vtk.vtkTextProperty()
        prop.SetFontSize(max(8, int(panel.text_px * 0.8)))
        prop.SetColor(pv.Color(theme.text_colour).float_rgb)
        set_font(prop, bold=True)
        prop.SetShadow(True)
        prop.SetJustificationToLeft()
        prop.SetVerticalJustificationToBottom()
        self.label_prop = prop
        self._label_input = vtk.vtkPolyData()
        mapper = vtk.vtkLabeledDataMapper()
        mapper.SetInputData(self._label_input)
        mapper.SetLabelModeToLabelFieldData()
        mapper.SetFieldDataName("label")
        mapper.SetCoordinateSystem(vtk.vtkLabeledDataMapper.DISPLAY)
        mapper.SetLabelTextProperty(prop)
        self.label_actor = vtk.vtkActor2D()
        self.label_actor.SetMapper(mapper)
        panel.renderer.AddViewProp(self.label_actor)

        self._leader_input = vtk.vtkPolyData()
        leader_mapper = vtk.vtkPolyDataMapper2D()
        leader_mapper.SetInputData(self._leader_input)
        coordinate = vtk.vtkCoordinate()
        coordinate.SetCoordinateSystemToViewport()
        leader_mapper.SetTransformCoordinate(coordinate)
        self.leader_actor = vtk.vtkActor2D()
        self.leader_actor.SetMapper(leader_mapper)
        self.leader_actor.GetProperty().SetColor(pv.Color(theme.text_colour).float_rgb)
        self.leader_actor.GetProperty().SetLineWidth(LEADER_WIDTH_PX)
        self.leader_actor.GetProperty().SetOpacity(0.85)
        panel.renderer.AddViewProp(self.leader_actor)

        self.boxes_px: dict[str, Box] = {}
        """Where each named landmark's name is drawn: ``(x0, x1, y0, y1)`` in pixels of the panel's viewport."""
        self.leaders_px: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        """Each drawn leader line: (end at the name, end at the marker's rim), viewport pixels."""
        self.markers_px: dict[str, tuple[float, float, float]] = {}
        """Each visible marker's projected centre and radius ``(x, y, r)``, viewport pixels."""
        self.occluded: set[str] = set()
        """Landmarks hidden behind a drawn bone at the last placement."""
        index = {name: i for i, name in enumerate(self.names)}
        self._table = [(name, index[name], index.get(mirror_name(name)), display_text(LANDMARK_LABELS[name]))
                       for name in sorted(self.names, key=label_rank)]
        self._key: tuple[Any, ...] | None = None
        self._sizes: dict[tuple[str, int, int], tuple[int, int]] = {}
        self._set_visible_markers()

    # --- showing -------------------------------------------------------------------------
    def show(self, on: bool) -> None:
        super().show(on)
        self.marker_actor.visibility = self.on
        self.label_actor.SetVisibility(self.on)
        self.leader_actor.SetVisibility(self.on)
        self._set_visible_markers()
        self._key = None

    def _set_visible_markers(self) -> None:
        """Give the glyph filter only the landmarks of drawn bones (and of the kept half of a cut bone)."""
        keep = [i for i, name in enumerate(self.names) if self.panel.landmark_visible(name)]
        self._shown_index = keep
        self._poly.points = self.positions[keep] if keep else np.zeros((0, 3))
        self._poly.Modified()

    def update(self, pose: Pose) -> None:
        self.positions = self.panel.landmark_positions(pose)
        keep = self._shown_index
        if len(keep) == len(self._poly.points):
            self._poly.points = self.positions[keep] if keep else np.zeros((0, 3))
        else:
            self._set_visible_markers()
        self._poly.Modified()

    def layout(self, width: int, height: int, text_px: int, dpi: int) -> None:
        window = self.panel.renderer.GetRenderWindow()
        window_height = int(window.GetSize()[1]) if window is not None else height
        scale = min(1.0, max(0.6, width / (4.0 / 3.0 * window_height)))
        size = label_font_px(window_height, text_px, scale)
        if self.label_prop.GetFontSize() != size:
            self.label_prop.SetFontSize(size)

    def boxes(self) -> list[Box]:
        return list(self.boxes_px.values()) if self.on else []

    # --- placing the names -----------------------------------------------------------------
    def _label_size(self, text: str, dpi: int) -> tuple[int, int]:
        key = (text, self.label_prop.GetFontSize(), dpi)
        if key not in self._sizes:
            self._sizes[key] = text_size_px(self.label_prop, text, dpi)
        return self._sizes[key]

    def place(self, obstacles: list[Box]) -> None:
        """Project the landmarks, drop the occluded ones and place the names with their leaders.

        A no-op unless the camera, the points, the panel size, the font or the obstacles changed.
        """
        panel = self.panel
        if not self.on or not self.names:
            return
        renderer = panel.renderer
        window = renderer.GetRenderWindow()
        width, height = (int(v) for v in renderer.GetSize()) if window is not None else (0, 0)
        if width < 8 or height < 8:
            return
        camera = renderer.GetActiveCamera()
        elements = camera.GetCompositeProjectionTransformMatrix(width / height, -1.0, 1.0).GetData()
        dpi = int(window.GetDPI())
        prop = self.label_prop
        key = (elements, self.positions.tobytes(), tuple(self._shown_index), width, height, dpi, prop.GetFontSize(),
               tuple(obstacles))
        if key == self._key:
            return
        self._key = key
        matrix = np.array(elements).reshape(4, 4)
        points = self.positions
        up = np.asarray(camera.GetViewUp(), dtype=float)
        n = len(points)
        homogeneous = np.ones((2 * n, 4))
        homogeneous[:n, :3] = points
        homogeneous[n:, :3] = points + panel.theme.landmark_size_mm * up
        clip = homogeneous @ matrix.T
        w = np.where(np.abs(clip[:, 3]) < 1e-12, 1e-12, clip[:, 3])
        screen = (clip[:, :2] / w[:, None] + 1.0) * (0.5 * width, 0.5 * height)
        radius = np.hypot(*(screen[n:] - screen[:n]).T)
        in_front = clip[:n, 3] > 0
        shown = np.zeros(n, dtype=bool)
        shown[self._shown_index] = True
        visible = shown & in_front
        eye = np.asarray(camera.GetPosition(), dtype=float)
        seen = np.flatnonzero(visible)
        if camera.GetParallelProjection():
            directions = np.tile(-np.asarray(camera.GetDirectionOfProjection(), dtype=float), (len(seen), 1))
            ends = points[seen] + 5000.0 * directions
        else:
            directions = eye - points[seen]
            directions /= np.maximum(np.linalg.norm(directions, axis=1), 1e-9)[:, None]
            ends = np.tile(eye, (len(seen), 1))
        starts = points[seen] + OCCLUSION_MARGIN * panel.theme.landmark_size_mm * directions
        hidden = panel.lines_hit_bone(starts, ends)
        self.occluded = {self.names[i] for i, h in zip(seen, hidden) if h}
        xy, radius_list = screen[:n].tolist(), radius.tolist()
        self.markers_px = {self.names[i]: (xy[i][0], xy[i][1], radius_list[i]) for i in np.flatnonzero(visible)}

        pad = 2.0
        min_dx = 0.5 * prop.GetFontSize()
        order, anchors, sizes, sides = [], [], [], []
        for name, i, j, text in self._table:
            if not visible[i] or name in self.occluded:
                continue
            w_px, h_px = self._label_size(text, dpi)
            side = 0
            if j is not None and visible[j]:
                dx = xy[i][0] - xy[j][0]
                side = (1 if dx > 0 else -1) if abs(dx) > min_dx else 0
            order.append((name, i, text))
            anchors.append(xy[i])
            sizes.append((w_px + 2 * pad, h_px + 2 * pad))
            sides.append(side)
        markers = [(x - r, x + r, y - r, y + r) for name, (x, y, r) in self.markers_px.items()]
        gap = max((r for _, _, r in self.markers_px.values()), default=0.0) + LEADER_GAP_PX
        spots = place_labels(anchors, sizes, sides, width, height, gap, obstacles, markers)

        x_origin, y_origin = renderer.GetOrigin()  # the label mapper draws at window pixels
        boxes: dict[str, Box] = {}
        leaders: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        vertices = []
        labels = vtk.vtkStringArray()
        labels.SetName("label")
        for (name, i, text), spot, (w_px, h_px) in zip(order, spots, sizes):
            if spot is None:
                continue
            x0, y0 = spot[0] + pad, spot[1] + pad
            box = (x0, x0 + w_px - 2 * pad, y0, y0 + h_px - 2 * pad)
            boxes[name] = box
            vertices.append((x0 + x_origin, y0 + y_origin, 0.0))
            labels.InsertNextValue(text)
            leaders[name] = leader_line(box, xy[i], radius_list[i])
        self.boxes_px = boxes
        self.leaders_px = leaders
        vtk_points = vtk.vtkPoints()
        vtk_points.SetData(numpy_to_vtk(np.array(vertices, dtype=float).reshape(-1, 3), deep=True))
        self._label_input.SetPoints(vtk_points)
        self._label_input.GetPointData().Initialize()
        self._label_input.GetPointData().AddArray(labels)
        self._label_input.Modified()
        self._set_leaders(list(leaders.values()))

    def _set_leaders(self, segments: list[tuple[tuple[float, float], tuple[float, float]]]) -> None:
        points = np.array([[*end, 0.0] for segment in segments for end in segment], dtype=float).reshape(-1, 3)
        vtk_points = vtk.vtkPoints()
        vtk_points.SetData(numpy_to_vtk(points, deep=True))
        lines = vtk.vtkCellArray()
        for k in range(len(segments)):
            lines.InsertNextCell(2)
            lines.InsertCellPoint(2 * k)
            lines.InsertCellPoint(2 * k + 1)
        self._leader_input.SetPoints(vtk_points)
        self._leader_input.SetLines(lines)
        self._leader_input.Modified()


def leader_line(box: Box, marker_xy: tuple[float, float] | list[float], marker_radius: float
                ) -> tuple[tuple[float, float], tuple[float, float]]:
    """A leader from the point of ``box`` nearest the marker to the marker's rim (pixels).

    Returns
    -------
    ((x, y), (x, y))
        The end at the name, the end on the rim of the marker (``marker_radius`` from its centre).
    """
    x0, x1, y0, y1 = box
    mx, my = float(marker_xy[0]), float(marker_xy[1])
    bx, by = min(max(mx, x0), x1), min(max(my, y0), y1)
    dx, dy = bx - mx, by - my
    distance = math.hypot(dx, dy)
    if distance < 1e-9:
        return (bx, by), (mx, my)
    rim = (mx + marker_radius * dx / distance, my + marker_radius * dy / distance)
    return (bx, by), rim

