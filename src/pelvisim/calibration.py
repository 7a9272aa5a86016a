"""The load cases the ring mechanics is calibrated on, shared by the calibration table and the tests.

``benchmarks/calibrate_mechanics.py`` writes docs/calibration.md from :func:`measure`;
``tests/test_calibration.py`` checks the same load cases against the published bounds. Keeping the
load cases here means the table and the tests can never drift apart on *what* is loaded — each
reads the figures its own way.

Load cases (defaults of :mod:`pelvisim.mechanics` and :mod:`pelvisim.gait`, 70 kg):

- **single-leg stance** (the Kibsgård 2014 test posture): Pauwels balance of the stance hip and
  abductors, free leg hanging (:func:`pelvisim.gait.single_leg_stance_loads`); sacrum held, the
  linear soft-tissue ring (:mod:`pelvisim.tissue`; the L5 free on its ligaments, loads through the
  L5 as in the gait model).
- **walking**: the ``gait`` model over :data:`PHASES` (hip reactions, abductors, trunk load).
- **Gurd's sacral rotation**: the ``sacral_rotation`` model with the sacrum turned 1° to the left
  about a vertical axis, both hip centres pinned.

Rotations are the total (helical) angle of an innominate relative to the sacrum; translations the
displacement of the joint origin.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames, gait, mechanics
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.pose import JointState

PHASES = np.arange(100) / 100
"""Gait phases of the walking load case (100 per cycle)."""

GURD_LEFT_DEG = 1.0
"""Sacral rotation of the Gurd load case: 1° to the left, the typical horizontal-plane ceiling (Goode 2008)."""


def single_leg_stance(anatomy: Anatomy, side: str, stiffness: mechanics.RingStiffness | None = None) -> mechanics.Solution:
    """Linear ring equilibrium in single-leg stance on ``side`` (sacrum held; loads self-balanced).

    The soft-tissue ring with its default options; a lumped ``stiffness`` solves the lumped ring of
    :func:`pelvisim.mechanics.build_ring` instead (for comparisons).
    """
    if stiffness is not None:
        ring = mechanics.build_ring(anatomy, stiffness)
        return mechanics.solve_linear(ring, gait.single_leg_stance_loads(anatomy, side), mechanics.hold_body("sacrum"))
    from pelvisim.tissue.loading import condensed_loads, posture_loads
    from pelvisim.tissue.ring import TissueOptions, tissue_ring

    options = TissueOptions()
    ring_f, l5_f = posture_loads(anatomy, gait.single_leg_stance_loads(anatomy, side), {})
    f = condensed_loads(anatomy, options, ring_f[:, None], l5_f[:, None])[:, 0]
    return mechanics.solve_linear(tissue_ring(anatomy, options), f, mechanics.hold_body("sacrum"))


def walking_states(anatomy: Anatomy, values: dict | None = None) -> list[JointState]:
    """True-scale states of the ``gait`` model at every phase of :data:`PHASES`."""
    from pelvisim.models import get_model  # the registry imports the ring models, which import mechanics

    model = get_model("gait")
    return [model.joint_state(anatomy, values or {}, float(p)) for p in PHASES]


def gurd_state(anatomy: Anatomy, left_deg: float = GURD_LEFT_DEG) -> JointState:
    """True-scale state of the ``sacral_rotation`` model (Gurd 2010 seed) at ``left_deg``."""
    from pelvisim.models import get_model

    return get_model("sacral_rotation").joint_state(anatomy, {"left_deg": left_deg})


def closure_single_leg_stance(anatomy: Anatomy, side: str):
    """Single-leg stance on the soft-tissue ring with force closure on (gain 1; nonlinear solve)."""
    from pelvisim.tissue import solve as tissue_solve
    from pelvisim.tissue.loading import posture_loads

    ring_f, l5_f = posture_loads(anatomy, gait.single_leg_stance_loads(anatomy, side), {})
    return tissue_solve.solve(anatomy, np.concatenate([ring_f, l5_f]), tissue_solve.hold("sacrum"), closure_gain=1.0)


def total_deg(e: NDArray[np.float64]) -> NDArray[np.float64]:
    """Total rotation (deg) of joint deformations ``e`` (6,) or (6, n)."""
    return np.degrees(np.linalg.norm(e[:3], axis=0))


def total_mm(e: NDArray[np.float64]) -> NDArray[np.float64]:
    """Translation (mm) of the joint origin of deformations ``e`` (6,) or (6, n)."""
    return np.linalg.norm(e[3:], axis=0)


def measure(anatomy: Anatomy) -> dict[str, float]:
    """Every figure of the calibration table (docs/calibration.md), from the joint deformations."""
    from pelvisim.models import get_model
    from pelvisim.ring_models import gait_cycle
    from pelvisim.tissue.ring import tissue_ring

    out: dict[str, float] = {}
    for side in SIDES:
        s = single_leg_stance(anatomy, side)
        out[f"single_{side}"] = float(total_deg(s.deformations[f"sij_{side}"]))
        out[f"single_nutation_{side}"] = math.degrees(s.deformations[f"sij_{side}"][2])
        out[f"single_shear_{side}"] = abs(float(s.deformations["symphysis"][4]))
        out[f"single_mm_{side}"] = float(total_mm(s.deformations[f"sij_{side}"]))
        out["residual"] = max(out.get("residual", 0.0), s.residual)
    c = gait_cycle(anatomy, {}, n_phases=len(PHASES))
    out["gait_left"] = float(total_deg(c["sij_left"]).max())
    out["gait_right"] = float(total_deg(c["sij_right"]).max())
    out["walk_shear"] = float(np.abs(c["symphysis"][4]).max())
    out["gait_mm"] = float(max(total_mm(c["sij_left"]).max(), total_mm(c["sij_right"]).max()))
    model = get_model("gait")
    nut = []
    for phase, side in ((0.3, "right"), (0.8, "left")):
        st = model.joint_state(anatomy, {}, phase)
        nut.append(math.degrees(frames.log(st.relative("sacrum", f"innominate_{side}"))[2]))
    out["stance_nutation_min"] = min(nut)
    r2 = gait_cycle(anatomy, {"stiffness_ratio": 2.0}, n_phases=len(PHASES))
    out["ratio_left"] = float(total_deg(r2["sij_left"]).max())
    out["ratio_right"] = float(total_deg(r2["sij_right"]).max())
    p = np.degrees(np.array(gait.pelvis_angles_rad(PHASES)))
    out["rotation_p2p"], out["obliquity_p2p"], out["tilt_p2p"] = (float(np.ptp(x)) for x in p)
    g = gurd_state(anatomy)
    for side in SIDES:
        out[f"gurd_{side}"] = math.degrees(frames.log(g.relative("sacrum", f"innominate_{side}"))[1])
    before = np.linalg.norm(anatomy.point("symphysis_right") - anatomy.point("symphysis_left"))
    after = np.linalg.norm(frames.apply(g.T_pelvis["innominate_right"], anatomy.point("symphysis_right"))
                           - frames.apply(g.T_pelvis["innominate_left"], anatomy.point("symphysis_left")))
    out["gurd_gap"] = float(after - before)
    closed = closure_single_leg_stance(anatomy, "right")
    out["closure_residual"], out["closure_iterations"] = closed.residual, closed.iterations
    ring = tissue_ring(anatomy)
    out["closure_single_right"] = float(total_deg(ring.deformations(closed.q[:18])["sij_right"]))
    out["closure_factor_right"] = float(closed.closure_factor["right"])
    out["closure_compression_right"] = float(closed.compression_n["right"])
    return out
