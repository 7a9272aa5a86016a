"""The soft tissue on a lesson page: ligaments and muscles as lines between their attachments.

What the desktop panel's ``tissue`` overlay draws (:mod:`pelvisim.view.tissue`), reduced to what
a page needs: each ligament bundle from attachment to attachment, coloured by its change of strain
from neutral (true scale, %-points; blue slackened, white as at rest, red stretched, green slack),
and each muscle that pulls as a red line through its path, thicker the more it pulls. The L5 rides
on the sacrum as displayed, its own small motion on the L5/S1 disc at true scale.

The geometry (:func:`tissue_geometry`) is written once per anatomy; every sample of a motion whose
panels show the tissue carries one :func:`tissue_vector`: the L5 on the sacrum, the bundles'
strain changes and the muscles' forces. Nothing here draws: model layer only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import Anatomy
from pelvisim.pose import JointState
from pelvisim.scene import Scene

L5_VALUES = 12
"""The L5's pose on the sacrum at true scale: the top three rows of the 4×4 transform, row by row."""
STRAIN_CHANGE_RANGE = 0.5
"""Colour range of the strain change, ± %-points (:data:`pelvisim.view.tissue.STRAIN_CHANGE_RANGE`)."""
SLACK_COLOUR = "#35b779"
MUSCLE_COLOUR = "#d7301f"
L5_COLOUR = "#d8c28f"
COLOUR_STOPS = 9
"""Samples of the strain colour map sent to the page (linear between them)."""
COLOUR_BAR_TITLE = ("ligament strain change, %-points (true scale)", "from the neutral pose; green = slack")
LIGAMENT_RADIUS_MM = 1.2
"""Tube radius of a ligament bundle (the desktop draws 6-pixel tubes: about 1 mm on a fitted panel)."""
MUSCLE_RADIUS_MM = (0.8, 3.5)
"""Tube radius of a pulling muscle at 0 N and at :data:`pelvisim.tissue.models.MUSCLE_FORCE_MAX_N`
(the desktop's 3 to 14-pixel lines)."""


def shows_tissue(scene: Scene) -> bool:
    """Whether the scene turns the ``tissue`` overlay on in any panel: then every sample of the page
    carries the soft tissue (and the page offers the overlay's switch for every panel)."""
    return any(scene.panel_overlays(index).get("tissue") for index in range(len(scene.panels)))


def _muscle_point(anatomy: Anatomy, body: str, point: NDArray) -> list[Any]:
    """``[body_a, point_a, body_b, point_b, t]``: the point at ``(1 - t)·a + t·b`` of the two bodies' points.

    A sacrotuberous point (``"sacrotuberous_left@0.85"``) lies on the line between the ligament's
    sacral and ischial footprints, each moving with its bone; every other point is on one body.
    """
    from pelvisim.tissue.attachments import find_attachments

    if body.startswith("sacrotuberous_"):
        name, t = body.split("@")
        side = name.rsplit("_", 1)[1]
        at = find_attachments(anatomy)
        sacral = at.footprint(f"sacrotuberous_{side}.sacrum").centre
        ischial = at.footprint(f"sacrotuberous_{side}.ilium").centre
        return ["sacrum", [float(x) for x in sacral], f"innominate_{side}", [float(x) for x in ischial], float(t)]
    body = body.replace("leg_", "femur_")  # the page always has the femurs' transforms
    p = [float(x) for x in point]
    return [body, p, body, p, 0.0]


def muscle_names(anatomy: Anatomy) -> list[str]:
    """The muscles of ``anatomy`` in the order of the force values of :func:`tissue_vector`."""
    from pelvisim.tissue.muscles import find_muscles

    return sorted(find_muscles(anatomy))


def tissue_geometry(anatomy: Anatomy) -> dict[str, Any]:
    """Where the tissue attaches, in the pelvic frame at neutral (each point moves with its body).

    Returns
    -------
    dict
        ``bundles``: per ligament bundle ``[body_a, point_a_mm, body_b, point_b_mm]``;
        ``muscles``: per muscle (in :func:`muscle_names` order) ``name`` and ``fibres``, each a path
        of points as :func:`_muscle_point` gives them; ``l5``: the vertebra's surface (``positions``
        x, y, z, ... in mm and triangle ``indices``), placed by the L5's transform.
    """
    from pelvisim.tissue.attachments import find_attachments
    from pelvisim.tissue.l5 import l5_mesh
    from pelvisim.tissue.ligaments import BODIES
    from pelvisim.tissue.muscles import fibre_points, find_muscles
    from pelvisim.tissue.ring import assemble

    b = assemble(anatomy).bundles
    bundles = [[BODIES[int(b.body_a[i])], [float(x) for x in b.point_a[i]], BODIES[int(b.body_b[i])],
                [float(x) for x in b.point_b[i]]] for i in range(len(b.point_a))]
    found = find_muscles(anatomy)
    muscles = []
    for name in muscle_names(anatomy):
        fibres = [[_muscle_point(anatomy, body, p) for body, p in zip(f.bodies, fibre_points(anatomy, f))]
                  for f in found[name].fibres]
        muscles.append({"name": name, "fibres": fibres})
    vertices, faces = l5_mesh(find_attachments(anatomy).l5)
    l5 = {"positions": [round(float(x), 3) for x in np.asarray(vertices).ravel()],  # µm: far below a pixel
          "indices": [int(i) for i in np.asarray(faces).ravel()]}
    return {"bundles": bundles, "muscles": muscles, "l5": l5}


def tissue_vector(anatomy: Anatomy, model: str, values: Mapping[str, Any], phase: float,
                  state: JointState) -> NDArray[np.float64]:
    """The tissue at one sample: ``L5_VALUES`` numbers of the L5 on the sacrum, then each bundle's
    strain change from neutral (%-points, true scale; NaN when slack), then each muscle's force (N).

    The same state the desktop's :func:`pelvisim.view.tissue.frame_tissue` computes.
    """
    from pelvisim.models import get_model
    from pelvisim.tissue.models import tissue_state
    from pelvisim.tissue.readout import T_pelvis_with_l5, bundle_strains, options_from_values

    values = get_model(model).resolve(values)
    tissue = tissue_state(anatomy, model, values, phase, state)
    options = options_from_values(values)
    strain = bundle_strains(anatomy, T_pelvis_with_l5(state, tissue.T_pelvis_l5), options)
    change = np.where(strain <= 0.0, np.nan, 100.0 * (strain - options.reference_strain))
    on_sacrum = frames.invert(np.asarray(state.T_pelvis["sacrum"])) @ np.asarray(tissue.T_pelvis_l5)
    forces = [float(tissue.muscle_forces_n.get(m, 0.0)) for m in muscle_names(anatomy)]
    return np.concatenate([on_sacrum[:3].ravel(), change, forces])


STRAIN_STEP_PERCENT = 1e-4
"""Step of a stored strain change, %-points: 1/5000 of the colour range; codes reach ±3.2 %-points
(clamped beyond, where the colour is long saturated)."""
FORCE_STEP_N = 0.05
"""Step of a stored muscle force, N (codes reach 3,276 N: beyond every muscle slider)."""
SLACK_CODE = 65535
"""The stored code of a slack bundle."""


def packed_tissue(values: NDArray, n_bundles: int) -> dict[str, NDArray]:
    """Samples of :func:`tissue_vector` (..., K) packed small for the page: the L5's pose as a twist
    (:func:`pelvisim.frames.log`, float32) and the strain changes and forces as 16-bit codes of
    :data:`STRAIN_STEP_PERCENT` and :data:`FORCE_STEP_N` (:data:`SLACK_CODE` when slack). A page
    decodes them back (``viewer.js``, ``unpackTissue``)."""
    flat = np.asarray(values, dtype=float).reshape(-1, np.shape(values)[-1])
    pose = np.array([frames.log(np.vstack([row[:L5_VALUES].reshape(3, 4), [0.0, 0.0, 0.0, 1.0]])) for row in flat])
    change = flat[:, L5_VALUES:L5_VALUES + n_bundles]
    strain = np.where(np.isnan(change), SLACK_CODE,
                      np.clip(np.round(np.nan_to_num(change) / STRAIN_STEP_PERCENT) + 32768, 0, SLACK_CODE - 1))
    force = np.clip(np.round(flat[:, L5_VALUES + n_bundles:] / FORCE_STEP_N), 0, 65535)
    return {"pose": pose, "strain": strain.astype(np.uint16), "force": force.astype(np.uint16)}


def bundle_count(anatomy: Anatomy) -> int:
    """Ligament bundles of ``anatomy`` (the strain changes of each :func:`tissue_vector`)."""
    from pelvisim.tissue.ring import assemble

    return len(assemble(anatomy).bundles.point_a)


def tissue_style() -> dict[str, Any]:
    """Colours and sizes of the page's tissue (the desktop overlay's)."""
    import matplotlib

    from pelvisim.tissue.models import MUSCLE_FORCE_MAX_N

    stops = matplotlib.colormaps["coolwarm"](np.linspace(0.0, 1.0, COLOUR_STOPS))[:, :3]
    return {"range_percent": STRAIN_CHANGE_RANGE, "stops": [matplotlib.colors.to_hex(c) for c in stops],
            "slack_colour": SLACK_COLOUR, "muscle_colour": MUSCLE_COLOUR, "l5_colour": L5_COLOUR, "title": list(COLOUR_BAR_TITLE),
            "ligament_radius_mm": LIGAMENT_RADIUS_MM, "muscle_radius_mm": list(MUSCLE_RADIUS_MM),
            "muscle_force_max_n": MUSCLE_FORCE_MAX_N, "l5_values": L5_VALUES, "strain_step_percent": STRAIN_STEP_PERCENT,
            "force_step_n": FORCE_STEP_N, "slack_code": SLACK_CODE}
