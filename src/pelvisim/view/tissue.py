"""Drawing the soft tissue in a panel: ligaments and muscles as lines coloured by strain, the L5,
and body weight and hip reactions as arrows.

Two overlays (names in :data:`pelvisim.view.state.OVERLAYS`):

- ``tissue``: the L5, drawn on the sacrum as displayed (its own small motion on the L5/S1 disc at
  true scale); every ligament bundle as a tube from attachment to attachment, coloured by its
  change of strain from neutral (true scale, %-points; blue = slackened, white = as at rest,
  red = stretched; green = slack, carrying nothing), with a colour bar; every muscle that pulls as
  a red line through its path, its width growing with its force.
- ``loads``: body weight entering at the L5 and each hip joint reaction, as arrows (0.05 mm per N).

Both are layers of the overlay registry (:func:`pelvisim.view.overlays.register_overlay`): a panel
builds the drawing (:class:`TissueOverlay`, shared by the two layers) the first time one is on,
and hands it each frame's tissue through :meth:`pelvisim.view.panel.Panel.update` while one is on
(:attr:`~pelvisim.view.panel.Panel.wants_tissue`). The colour bar is the panel's colour-bar style
(:func:`pelvisim.view.overlays.colour_bar`: quantity, unit and reference in its title), laid out at
the lower right above any other; the read-out line sits under the title.

Nothing here computes mechanics: the tissue's state comes from :func:`frame_tissue` (model layer),
the geometry from :mod:`pelvisim.tissue`. Actors are created once; each update rewrites point
arrays in place and sets ``user_matrix``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from pelvisim.tissue.readout import compression_text
from pelvisim.tissue.muscles import find_muscles, fibre_points
from pelvisim.tissue.readout import T_pelvis_with_l5, bundle_strains, options_from_values
from pelvisim.tissue.ring import assemble
from pelvisim.view.overlays import Box, Overlay, colour_bar, place_colour_bar, register_overlay
from pelvisim.view.text import MIN_FONT_PX, cut_lines, display_text, text_actor, text_size_px, wrap_to_width

if TYPE_CHECKING:  # pragma: no cover
    from pelvisim.view.panel import Panel

STRAIN_CHANGE_RANGE = 0.5
"""Colour range of the ligament strain change, ± %-points (true scale): walking changes the short
SIJ ligaments' strain by a few tenths of a percent in this model."""
ARROW_MM_PER_N = 0.05
"""Arrow length per newton of load (1 kN = 50 mm): a hip reaction of two to three body weights then
stays inside a panel framed on the pelvis (at 0.1 mm per N it ran through the title and the readout)."""
MUSCLE_WIDTH_PX = (3.0, 14.0)
"""Line width of a pulling muscle at 0 N and at :data:`pelvisim.tissue.models.MUSCLE_FORCE_MAX_N`."""
SLACK_COLOUR = "#35b779"
MUSCLE_COLOUR = "#d7301f"
ARROW_COLOURS = {"body weight": "#4aa3ff", "hip reaction": "#ff9d2e"}
L5_COLOUR = "#d8c28f"
COLOUR_BAR_TITLE = "ligament strain change, %-points (true scale)\nfrom the neutral pose; green = slack"
"""Title of the strain colour bar: quantity, unit and reference, like every colour bar of a panel."""
READOUT_MAX_LINES = 3
"""Lines the read-out under the title takes at most in a narrow panel (the last ends with "…" when cut)."""
READOUT_BACKDROP_OPACITY = 0.65
"""Opacity of the backdrop behind the read-out line (as behind the panel's own readout)."""


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
    """The drawing behind the ``tissue`` and ``loads`` layers of one panel (built once, on first use).

    Parameters
    ----------
    panel : Panel
        The panel to draw in (its renderer, theme and anatomy).
    """

    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self.anatomy = anatomy = panel.anatomy
        self.renderer = panel.renderer
        name = f"{id(panel)}_tissue"
        at = find_attachments(anatomy)
        self._bundles = assemble(anatomy).bundles
        n = len(self._bundles)
        points = np.vstack([self._bundles.point_a, self._bundles.point_b])
        lines = np.column_stack([np.full(n, 2), np.arange(n), np.arange(n) + n]).ravel()
        self.ligament_mesh = pv.PolyData(points, lines=lines)
        self.ligament_mesh.cell_data["strain_change_percent"] = np.zeros(n)
        self.ligament_actor = panel.add_mesh(
            self.ligament_mesh, scalars="strain_change_percent", cmap="coolwarm",
            clim=(-STRAIN_CHANGE_RANGE, STRAIN_CHANGE_RANGE), line_width=6.0, render_lines_as_tubes=True,
            name=f"{name}_ligaments", reset_camera=False, show_scalar_bar=False, lighting=True, nan_color=SLACK_COLOUR,
        )
        self._scalar_bar_actor = colour_bar(panel, self.ligament_actor.mapper.GetLookupTable(), COLOUR_BAR_TITLE, 3, "%+.1f")
        self._bar_wanted = True
        vertices, faces = l5_mesh(at.l5)
        l5 = pv.PolyData(vertices, np.hstack([np.full((len(faces), 1), 3), faces]).ravel())
        l5 = l5.compute_normals(cell_normals=False, consistent_normals=True, auto_orient_normals=True, split_vertices=True)
        self.l5_actor = panel.add_mesh(l5, color=L5_COLOUR, name=f"{name}_l5", reset_camera=False)
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
            actor = panel.add_mesh(mesh, color=MUSCLE_COLOUR, line_width=MUSCLE_WIDTH_PX[0], render_lines_as_tubes=True,
                                   name=f"{name}_muscle_{m}", reset_camera=False, show_scalar_bar=False)
            actor.visibility = False
            self.muscle_meshes[m], self.muscle_actors[m] = mesh, actor
        self.arrow_actors: list[Any] = []
        self.text_actor = text_actor("", (0.0, 0.0), 13, panel.theme.text_colour, top=True)
        prop = self.text_actor.GetTextProperty()
        prop.SetBackgroundColor(pv.Color(panel.theme.background).float_rgb)
        prop.SetBackgroundOpacity(READOUT_BACKDROP_OPACITY)
        self.text_actor.GetPositionCoordinate().SetCoordinateSystemToViewport()  # laid out in pixels
        self.renderer.AddViewProp(self.text_actor)
        self.readout = ""
        """The read-out under the title as computed (the actor may show it wrapped)."""
        self._name = name
        self.tissue_on = False
        self.loads_on = False
        self._last: tuple[Pose, FrameTissue] | None = None
        self._drawn: tuple[Pose, FrameTissue] | None = None
        self.bar_box: Box | None = None
        self.text_box: Box | None = None
        self.set_visible(False, False)

    # --- visibility ---------------------------------------------------------------------
    def set_visible(self, tissue: bool, loads: bool) -> None:
        """Show or hide the two overlays."""
        self.tissue_on, self.loads_on = bool(tissue), bool(loads)
        self.ligament_actor.visibility = self.tissue_on
        self.l5_actor.visibility = self.tissue_on
        self.text_actor.SetVisibility(self.tissue_on)
        self._scalar_bar_actor.SetVisibility(self.tissue_on and self._bar_wanted)
        for actor in self.muscle_actors.values():
            actor.visibility = self.tissue_on and actor.visibility
        for actor in self.arrow_actors:
            actor.visibility = self.loads_on
        self.panel.request_layout()
        if self._last is not None and (self.tissue_on or self.loads_on):
            self._draw(*self._last)

    def set_colour_bar_visible(self, visible: bool) -> None:
        """Show or hide the strain colour bar alone (shown only while the tissue overlay is on)."""
        self._bar_wanted = bool(visible)
        self._scalar_bar_actor.SetVisibility(self._bar_wanted and self.tissue_on)
        self.panel.request_layout()

    # --- per frame ----------------------------------------------------------------------
    def update(self, pose: Pose, tissue: FrameTissue | None) -> None:
        """Move the tissue with ``pose`` (display magnification applied) and colour it by ``tissue``."""
        if tissue is None:
            return
        self._last = (pose, tissue)
        drawn = self._drawn is not None and self._drawn[0] is pose and self._drawn[1] is tissue  # both layers call this
        if not (self.tissue_on or self.loads_on) or drawn:
            return
        self._draw(pose, tissue)

    def _draw(self, pose: Pose, tissue: FrameTissue) -> None:
        self._drawn = (pose, tissue)
        T = self._display_transforms(pose, tissue.state)
        if self.tissue_on:
            self._update_ligaments(T, tissue)
            self._update_muscles(T, tissue.state)
            self.l5_actor.user_matrix = T["l5"]
            text = readout_text(pose.state, tissue.state)
            if text != self.readout:
                self.readout = text
                self.panel.request_layout()
        if self.loads_on:
            self._update_arrows(T, tissue.state)

    # --- 2D layout ----------------------------------------------------------------------
    def layout(self, width: int, text_px: int, dpi: int) -> None:
        """Place the read-out under the panel's title and the colour bar at the lower right."""
        if not self.tissue_on:
            self.bar_box = self.text_box = None
            return
        panel = self.panel
        margin = max(4, int(round(0.5 * text_px)))
        room = width - 2 * margin
        prop = self.text_actor.GetTextProperty()
        prop.SetFontSize(max(MIN_FONT_PX, int(round(0.85 * text_px))))
        lines = wrap_to_width(display_text(self.readout), prop, room, dpi) if self.readout else []
        lines = cut_lines(lines, min(len(lines), READOUT_MAX_LINES), prop, room, dpi) if lines else []
        text = "\n".join(lines)
        self.text_actor.SetInput(text)
        top = (panel.title_box[2] - int(round(0.25 * text_px))) if panel.title_box is not None else margin
        self.text_actor.SetPosition(margin, top)
        if text:
            w, h = text_size_px(prop, text, dpi)
            self.text_box = (margin - 2, margin + w + 2, top - h - 2, top + 2)
        else:
            self.text_box = None
        if self._scalar_bar_actor.GetVisibility():
            below = [b for b in (panel.readout_box, *(layer.boxes()[0] for name, layer in panel.layers.items()
                                                      if name == "colour_map" and layer.on and layer.boxes()))
                     if b is not None]
            self.bar_box = place_colour_bar(self._scalar_bar_actor, width, text_px, dpi, below)
        else:
            self.bar_box = None

    def boxes(self) -> list[Box]:
        """Boxes of the read-out line and the colour bar (when drawn)."""
        return [b for b in (self.text_box, self.bar_box) if b is not None]

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
        while len(self.arrow_actors) < len(state.arrows):
            actor = self.panel.add_mesh(pv.Arrow(start=(0, 0, 0), direction=(1, 0, 0), scale=1.0, tip_length=0.2,
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
        text = f"SIJ compression: L {compression_text(c['left'])}, R {compression_text(c['right'])}"
        f = tissue.closure_factor
        if f and any(abs(v - 1.0) > 1e-9 for v in f.values()):
            text += f"  (self-bracing ×{f['left']:.1f} / ×{f['right']:.1f})"
        lines.append(text)
    return "\n".join(lines)


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


# --- the two layers --------------------------------------------------------------------------
class _TissueLayer(Overlay):
    """A layer drawn by the panel's shared :class:`TissueOverlay` (built the first time a layer is on)."""

    needs_tissue = True

    @property
    def drawing(self) -> TissueOverlay | None:
        """The panel's tissue drawing, or None before the ``tissue`` or ``loads`` layer was first on."""
        return getattr(self.panel, "_tissue_drawing", None)

    def _drawing(self) -> TissueOverlay:
        drawing = self.drawing
        if drawing is None:
            drawing = TissueOverlay(self.panel)
            self.panel._tissue_drawing = drawing  # type: ignore[attr-defined]
        return drawing

    def show(self, on: bool) -> None:
        super().show(on)
        if self.on or self.drawing is not None:
            layers = self.panel.layers
            self._drawing().set_visible(layers["tissue"].on, layers["loads"].on)

    def update(self, pose: Pose) -> None:
        if self.drawing is not None:
            self.drawing.update(pose, self.panel.tissue)


@register_overlay
class TissueLayer(_TissueLayer):
    """``tissue``: ligaments coloured by strain change (with a colour bar), pulling muscles, the L5, a read-out line."""

    name = "tissue"

    def layout(self, width: int, height: int, text_px: int, dpi: int) -> None:
        if self.drawing is not None:
            self.drawing.layout(width, text_px, dpi)

    def boxes(self) -> list[Box]:
        return self.drawing.boxes() if self.on and self.drawing is not None else []


@register_overlay
class LoadsLayer(_TissueLayer):
    """``loads``: body weight at the L5 and the hip joint reactions, as arrows (:data:`ARROW_MM_PER_N`)."""

    name = "loads"
