"""Drawing the soft tissue in a panel: ligaments and muscles as lines coloured by strain, the L5,
and body weight and hip reactions as arrows.

Two overlays (names in :data:`pelvisim.view.state.OVERLAYS`):

- ``tissue``: the L5, drawn on the sacrum as displayed (its own small motion on the L5/S1 disc at
  true scale); every ligament bundle as a tube from attachment to attachment, coloured by its
  change of strain from neutral (true scale, %-points; blue = slackened, white = as at rest,
  red = stretched; green = slack, carrying nothing), with a colour bar; every muscle that pulls as
  a red line through its path, its width growing with its force.
- ``loads``: body weight entering at the L5 and each hip joint reaction, as arrows (0.1 mm per N).

Nothing here computes mechanics: the tissue's state comes from :func:`frame_tissue` (model layer),
the geometry from :mod:`pelvisim.tissue`. Actors are created once; each update rewrites point
arrays in place and sets ``user_matrix``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import Anatomy
from pelvisim.pose import JointState, Pose
from pelvisim.tissue.attachments import find_attachments
from pelvisim.tissue.l5 import l5_mesh
from pelvisim.tissue.ligaments import BODIES
from pelvisim.tissue.models import TissueState, tissue_state
from pelvisim.tissue.muscles import find_muscles, fibre_points
from pelvisim.tissue.readout import T_pelvis_with_l5, bundle_strains, options_from_values
from pelvisim.tissue.ring import assemble
from pelvisim.view.text import display_text, set_font, text_actor

STRAIN_CHANGE_RANGE = 0.5
"""Colour range of the ligament strain change, ± %-points (true scale): walking changes the short
SIJ ligaments' strain by a few tenths of a percent in this model."""
ARROW_MM_PER_N = 0.1
"""Arrow length per newton of load (1 kN = 100 mm)."""
MUSCLE_WIDTH_PX = (3.0, 14.0)
"""Line width of a pulling muscle at 0 N and at :data:`pelvisim.tissue.models.MUSCLE_FORCE_MAX_N`."""
SLACK_COLOUR = "#35b779"
MUSCLE_COLOUR = "#d7301f"
ARROW_COLOURS = {"body weight": "#4aa3ff", "hip reaction": "#ff9d2e"}
L5_COLOUR = "#d8c28f"


@dataclass(frozen=True)
class FrameTissue:
    """What the tissue overlays need for one frame (model layer output, no VTK).

    Attributes
    ----------
    state : TissueState
    strain : ndarray (n_bundles,)
        Each bundle's strain (dimensionless, true scale).
    reference_strain : float
    """

    state: TissueState
    strain: NDArray[np.float64]
    reference_strain: float


def frame_tissue(anatomy: Anatomy, model: str, values: Mapping[str, Any], phase: float, state: JointState) -> FrameTissue:
    """The tissue at one frame: L5, muscles, arrows and bundle strains (true scale)."""
    from pelvisim.models import get_model

    values = get_model(model).resolve(values)
    tissue = tissue_state(anatomy, model, values, phase, state)
    options = options_from_values(values)
    strain = bundle_strains(anatomy, T_pelvis_with_l5(state, tissue.T_pelvis_l5), options)
    return FrameTissue(tissue, strain, options.reference_strain)


def _world(T: NDArray, points: NDArray) -> NDArray[np.float64]:
    return points @ T[:3, :3].T + T[:3, 3]


class TissueOverlay:
    """The ``tissue`` and ``loads`` overlays of one panel.

    Parameters
    ----------
    plotter : pyvista.Plotter
        With the panel's renderer active.
    anatomy : Anatomy
    name : str
        Unique prefix for actor names.
    text_colour : str
        Colour of the colour bar's text.
    """

    def __init__(self, plotter: pv.Plotter, anatomy: Anatomy, name: str, text_colour: str = "white") -> None:
        self.plotter = plotter
        self.anatomy = anatomy
        self.renderer = plotter.renderer
        renderers = plotter.renderers
        self._loc = np.atleast_1d(renderers.index_to_loc(next(i for i, r in enumerate(renderers) if r is self.renderer)))
        at = find_attachments(anatomy)
        self._bundles = assemble(anatomy).bundles
        n = len(self._bundles)
        points = np.vstack([self._bundles.point_a, self._bundles.point_b])
        lines = np.column_stack([np.full(n, 2), np.arange(n), np.arange(n) + n]).ravel()
        self.ligament_mesh = pv.PolyData(points, lines=lines)
        self.ligament_mesh.cell_data["strain_change_percent"] = np.zeros(n)
        self.ligament_actor = plotter.add_mesh(
            self.ligament_mesh, scalars="strain_change_percent", cmap="coolwarm",
            clim=(-STRAIN_CHANGE_RANGE, STRAIN_CHANGE_RANGE), line_width=6.0, render_lines_as_tubes=True,
            name=f"{name}_ligaments", reset_camera=False, show_scalar_bar=False, lighting=True, nan_color=SLACK_COLOUR,
        )
        self._scalar_bar_actor = _colour_bar(self.ligament_actor.mapper.GetLookupTable(), text_colour)
        self.renderer.AddViewProp(self._scalar_bar_actor)
        vertices, faces = l5_mesh(at.l5)
        l5 = pv.PolyData(vertices, np.hstack([np.full((len(faces), 1), 3), faces]).ravel())
        l5 = l5.compute_normals(cell_normals=False, consistent_normals=True, auto_orient_normals=True, split_vertices=True)
        self.l5_actor = plotter.add_mesh(l5, color=L5_COLOUR, name=f"{name}_l5", reset_camera=False)
        self._muscles = {m: [fibre_points(anatomy, f) for f in muscle.fibres] for m, muscle in find_muscles(anatomy).items()}
        self._muscle_bodies = {m: [f.bodies for f in muscle.fibres] for m, muscle in find_muscles(anatomy).items()}
        self.muscle_actors: dict[str, Any] = {}
        self.muscle_meshes: dict[str, pv.PolyData] = {}
        for m, paths in self._muscles.items():
            pts = np.vstack(paths)
            lines, start = [], 0
            for p in paths:
                lines += [len(p), *range(start, start + len(p))]
                start += len(p)
            mesh = pv.PolyData(pts, lines=np.array(lines))
            actor = plotter.add_mesh(mesh, color=MUSCLE_COLOUR, line_width=MUSCLE_WIDTH_PX[0], render_lines_as_tubes=True,
                                     name=f"{name}_muscle_{m}", reset_camera=False, show_scalar_bar=False)
            actor.visibility = False
            self.muscle_meshes[m], self.muscle_actors[m] = mesh, actor
        self.arrow_actors: list[Any] = []
        self.text_actor = text_actor("", (0.012, 0.86), 13, text_colour, top=True)
        self.renderer.AddViewProp(self.text_actor)
        self._name = name
        self.tissue_on = False
        self.loads_on = False
        self._last: tuple[Pose, FrameTissue] | None = None
        self.set_visible(False, False)

    # --- visibility ---------------------------------------------------------------------
    def set_visible(self, tissue: bool, loads: bool) -> None:
        """Show or hide the two overlays."""
        self.tissue_on, self.loads_on = bool(tissue), bool(loads)
        self.ligament_actor.visibility = self.tissue_on
        self.l5_actor.visibility = self.tissue_on
        self.text_actor.SetVisibility(self.tissue_on)
        if self._scalar_bar_actor is not None:
            self._scalar_bar_actor.SetVisibility(self.tissue_on)
        for actor in self.muscle_actors.values():
            actor.visibility = self.tissue_on and actor.visibility
        for actor in self.arrow_actors:
            actor.visibility = self.loads_on
        if self._last is not None and (self.tissue_on or self.loads_on):
            self.update(*self._last)

    def set_colour_bar_visible(self, visible: bool) -> None:
        """Show or hide the strain colour bar alone (while the tissue overlay is on)."""
        if self._scalar_bar_actor is not None:
            self._scalar_bar_actor.SetVisibility(bool(visible) and self.tissue_on)

    # --- per frame ----------------------------------------------------------------------
    def update(self, pose: Pose, tissue: FrameTissue | None) -> None:
        """Move the tissue with ``pose`` (display magnification applied) and colour it by ``tissue``."""
        if tissue is None:
            return
        self._last = (pose, tissue)
        if not (self.tissue_on or self.loads_on):
            return
        T = self._display_transforms(pose, tissue.state)
        if self.tissue_on:
            self._update_ligaments(T, tissue)
            self._update_muscles(T, tissue.state)
            self.l5_actor.user_matrix = T["l5"]
            self.text_actor.SetInput(display_text(readout_text(pose.state, tissue.state)))
        if self.loads_on:
            self._update_arrows(T, tissue.state)

    def _display_transforms(self, pose: Pose, state: TissueState) -> dict[str, NDArray]:
        T = {b: np.asarray(pose.T_world[b]) for b in pose.T_world}
        # The L5 rides on the sacrum as displayed; its own motion on the L5/S1 disc is added at true
        # scale (magnifying it would swing the vertebra off the sacrum).
        on_sacrum = frames.invert(np.asarray(pose.state.T_pelvis["sacrum"])) @ np.asarray(state.T_pelvis_l5)
        T["l5"] = T["sacrum"] @ on_sacrum
        for side in ("left", "right"):
            T[f"leg_{side}"] = T.get(f"femur_{side}", T[f"innominate_{side}"])
            T.setdefault(f"femur_{side}", T[f"innominate_{side}"])
        return T

    def _update_ligaments(self, T: Mapping[str, NDArray], tissue: FrameTissue) -> None:
        b = self._bundles
        a = np.empty_like(b.point_a)
        c = np.empty_like(b.point_b)
        for i, body in enumerate(BODIES):
            rows = b.body_a == i
            a[rows] = _world(T[body], b.point_a[rows])
            rows = b.body_b == i
            c[rows] = _world(T[body], b.point_b[rows])
        self.ligament_mesh.points = np.vstack([a, c])
        change = 100.0 * (tissue.strain - tissue.reference_strain)
        self.ligament_mesh.cell_data["strain_change_percent"] = np.where(tissue.strain <= 0.0, np.nan, change)
        self.ligament_mesh.Modified()

    def _update_muscles(self, T: Mapping[str, NDArray], state: TissueState) -> None:
        from pelvisim.tissue.models import MUSCLE_FORCE_MAX_N

        for m, actor in self.muscle_actors.items():
            force = float(state.muscle_forces_n.get(m, 0.0))
            actor.visibility = self.tissue_on and force > 0.0
            if not actor.visibility:
                continue
            pts = []
            for path, bodies in zip(self._muscles[m], self._muscle_bodies[m]):
                for p, body in zip(path, bodies):
                    pts.append(self._point_world(T, body, p))
            self.muscle_meshes[m].points = np.array(pts)
            self.muscle_meshes[m].Modified()
            low, high = MUSCLE_WIDTH_PX
            actor.prop.line_width = low + (high - low) * min(force / MUSCLE_FORCE_MAX_N, 1.0)

    def _point_world(self, T: Mapping[str, NDArray], body: str, p: NDArray) -> NDArray:
        if body.startswith("sacrotuberous_"):
            side = body.split("@")[0].rsplit("_", 1)[1]
            t = float(body.split("@")[1])
            at = find_attachments(self.anatomy)
            sacral = _world(T["sacrum"], at.footprint(f"sacrotuberous_{side}.sacrum").centre[None])[0]
            ischial = _world(T[f"innominate_{side}"], at.footprint(f"sacrotuberous_{side}.ilium").centre[None])[0]
            return (1.0 - t) * sacral + t * ischial
        return _world(T[body], np.asarray(p)[None])[0]

    def _update_arrows(self, T: Mapping[str, NDArray], state: TissueState) -> None:
        if len(self.arrow_actors) < len(state.arrows):
            self.plotter.subplot(*self._loc)  # new actors go to this panel's renderer
        while len(self.arrow_actors) < len(state.arrows):
            actor = self.plotter.add_mesh(pv.Arrow(start=(0, 0, 0), direction=(1, 0, 0), scale=1.0, tip_length=0.2,
                                                   tip_radius=0.06, shaft_radius=0.025),
                                          color=ARROW_COLOURS["hip reaction"], name=f"{self._name}_arrow_{len(self.arrow_actors)}",
                                          reset_camera=False, lighting=False)
            self.arrow_actors.append(actor)
        for i, actor in enumerate(self.arrow_actors):
            if i >= len(state.arrows):
                actor.visibility = False
                continue
            arrow = state.arrows[i]
            length = ARROW_MM_PER_N * float(np.linalg.norm(arrow.force_n))
            actor.visibility = self.loads_on and length > 1.0
            if not actor.visibility:
                continue
            tip = _world(T[arrow.body], np.asarray(arrow.point_mm)[None])[0]
            W = T[arrow.body][:3, :3]
            direction = W @ (np.asarray(arrow.force_n) / np.linalg.norm(arrow.force_n))
            start = tip - length * direction  # the arrow ends at the point it loads
            actor.user_matrix = _arrow_matrix(start, direction, length)
            kind = "body weight" if arrow.label.startswith("body weight") else "hip reaction"
            actor.prop.color = ARROW_COLOURS[kind]


def readout_text(state: JointState, tissue: TissueState) -> str:
    """Two lines for the panel: each SIJ's total rotation (sacrum–ilium, true scale) and, for ring
    models, the compression across it and the closure factor."""
    angles = [np.degrees(frames.rotation_angle_rad(state.relative("sacrum", f"innominate_{s}"))) for s in ("left", "right")]
    lines = [f"SIJ rotation, ilium on sacrum (true scale): L {angles[0]:.3f}°, R {angles[1]:.3f}°"]
    if tissue.compression_n:
        c = tissue.compression_n
        text = f"SIJ compression: L {c['left']:.0f} N, R {c['right']:.0f} N"
        f = tissue.closure_factor
        if f and any(abs(v - 1.0) > 1e-9 for v in f.values()):
            text += f"  (self-bracing ×{f['left']:.1f} / ×{f['right']:.1f})"
        lines.append(text)
    return "\n".join(lines)


def _colour_bar(lookup_table: Any, text_colour: str) -> Any:
    """A vertical colour bar at the panel's right edge (normalised viewport coordinates)."""
    import vtk

    bar = vtk.vtkScalarBarActor()
    bar.SetLookupTable(lookup_table)
    bar.SetTitle("Ligament\nstrain change\n(%-points,\ntrue scale)\ngreen = slack")
    bar.SetOrientationToVertical()
    bar.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    bar.GetPositionCoordinate().SetValue(0.86, 0.3)
    bar.SetWidth(0.08)
    bar.SetHeight(0.45)
    bar.SetNumberOfLabels(3)
    bar.SetLabelFormat("%+.1f")
    colour = pv.Color(text_colour).float_rgb
    for prop in (bar.GetTitleTextProperty(), bar.GetLabelTextProperty()):
        prop.SetColor(*colour)
        set_font(prop)
        prop.ShadowOff()
        prop.ItalicOff()
        prop.BoldOff()
    bar.GetTitleTextProperty().SetFontSize(12)
    bar.GetLabelTextProperty().SetFontSize(11)
    bar.UnconstrainedFontSizeOn()
    return bar


ARROW_WIDTH_MM = 100.0
"""Cross-section scale of the unit arrow (shaft radius 0.025 → 2.5 mm, tip radius 0.06 → 6 mm),
the same for every arrow whatever its length."""


def _arrow_matrix(start: NDArray, direction: NDArray, length: float) -> NDArray[np.float64]:
    """Matrix taking the unit arrow along +x at the origin to ``start`` → ``start + length·direction``
    (stretched along its axis only; its thickness is :data:`ARROW_WIDTH_MM` × the unit arrow's)."""
    x = direction / np.linalg.norm(direction)
    helper = np.array([0.0, 0.0, 1.0]) if abs(x[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    y = np.cross(helper, x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)
    M = np.eye(4)
    M[:3, :3] = np.column_stack([x * length, y * ARROW_WIDTH_MM, z * ARROW_WIDTH_MM])
    M[:3, 3] = start
    return M
