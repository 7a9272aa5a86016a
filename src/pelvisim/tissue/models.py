"""Positional models that run on the soft tissue, and what they report about it.

- ``soft_tissue``: a standing posture with muscle forces on sliders (one per muscle and side),
  closure on or off, and a left/right stiffness ratio; the ring answers through its ligaments,
  joint surfaces and the L5. Postures: ``standing`` (both feet down: the legs hold the hip
  centres, the trunk holds the L5), ``single_leg_<side>`` (Kibsgård 2014's test: stance loads of
  :func:`pelvisim.gait.single_leg_stance_loads`; the trunk holds the L5, the stance leg its hip)
  and ``hip_flexion_<side>`` (Sturesson 2000's standing hip-flexion test: standing on the other
  leg, this thigh held up at 90° by iliacus and psoas).
- the muscle pattern of the gait cycle (:func:`gait_muscle_forces`), used by the ``gait`` model
  with ``muscle_activity`` > 0.

:func:`tissue_state` gives, for any model, the tissue's state at a pose: the L5's pose, the muscle
forces, the loads drawn as arrows, and (for ring models) the compression across each SIJ; the
ligament read-out itself is :mod:`pelvisim.tissue.readout`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames, gait, mechanics
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.parameters import Parameter, PositionalModel, Value
from pelvisim.pose import JointState
from pelvisim.tissue.loading import posture_loads
from pelvisim.tissue.muscles import MUSCLES, muscle_loads, muscle_names
from pelvisim.tissue.ring import TissueOptions, outward_normal
from pelvisim.tissue.solve import Constraints, PointLoad, TissueSolution, hold, load_vector, pin, solve

MUSCLE_FORCE_MAX_N = 800.0
"""Top of every muscle slider: a teaching range, of the order of the larger hip muscles' maximal
isometric forces in musculoskeletal models (several hundred N to above 1000 N; Rajagopal 2016)."""


def muscle_parameter(name: str) -> Parameter:
    """Slider of one muscle instance (``iliacus_left`` → parameter ``iliacus_left_n``)."""
    base, _, side = name.rpartition("_")
    spec = MUSCLES.get(name) or MUSCLES[base]
    where = f"{side} " if side in SIDES and name not in MUSCLES else ""
    return Parameter(
        name=f"{name}_n",
        label=f"{where.capitalize()}{spec.label.lower() if where else spec.label} force",
        unit="N",
        default=0.0,
        minimum=0.0,
        maximum=MUSCLE_FORCE_MAX_N,
        positive_means=spec.action,
        source=f"{spec.source}; 0 N by default (the calibrated ring)",
    )


MUSCLE_PARAMETERS: tuple[Parameter, ...] = tuple(muscle_parameter(n) for n in muscle_names())


def muscle_forces(values: Mapping[str, Value]) -> dict[str, float]:
    """``{muscle instance: N}`` from model values (zero forces left out)."""
    out = {}
    for name in muscle_names():
        v = float(values.get(f"{name}_n", 0.0))
        if v:
            out[name] = v
    return out


# --------------------------------------------------------------------------------------------
# Muscles over the gait cycle
# --------------------------------------------------------------------------------------------

GAIT_PATTERN: Mapping[str, tuple[tuple[float, float], ...]] = MappingProxyType({
    # muscle: ((start, end) windows in the phase of its own side, 0 = its heel strike), each a
    # sin² burst. Timing after Perry 1992 (Gait analysis) EMG summaries [U: not in the project reference].
    "gluteus_maximus": ((-0.05, 0.20),),
    "biceps_femoris": ((0.80, 1.08),),
    "iliacus": ((0.50, 0.75),),
    "psoas": ((0.50, 0.75),),
    "piriformis": ((0.00, 0.40),),
    "multifidus": ((-0.05, 0.15), (0.45, 0.65)),
})
GAIT_PEAK_BW: Mapping[str, float] = MappingProxyType({
    # peak force × body weight [U: illustrative teaching amplitudes, not measured]
    "gluteus_maximus": 0.4, "biceps_femoris": 0.35, "iliacus": 0.25, "psoas": 0.25, "piriformis": 0.15,
    "multifidus": 0.2, "transversus_abdominis": 0.05, "internal_oblique": 0.05,
})


def _burst(phase: NDArray, start: float, end: float) -> NDArray:
    u = ((phase - start) % 1.0) / (end - start)
    return np.where(u < 1.0, np.sin(np.pi * u) ** 2, 0.0)


def gait_muscle_forces(phases: NDArray | float, activity: float, params: gait.GaitParameters = gait.DEFAULT_GAIT
                       ) -> dict[str, NDArray[np.float64]]:
    """Muscle forces (N, arrays over ``phases``) of the walking pattern × ``activity``.

    Each side's muscles follow :data:`GAIT_PATTERN` in that side's phase (the left is half a
    stride later); the bands across the ilia hold a steady force. ``activity`` 0 = no muscles
    (the calibrated ring), 1 = the illustrative amplitudes of :data:`GAIT_PEAK_BW`.
    """
    p = np.atleast_1d(np.asarray(phases, dtype=float))
    bw = params.body_weight_n
    out: dict[str, NDArray] = {}
    if activity <= 0.0:
        return out
    for name, windows in GAIT_PATTERN.items():
        for side in SIDES:
            ps = p if side == "right" else (p + 0.5) % 1.0
            shape = sum(_burst(ps, a, b) for a, b in windows)
            out[f"{name}_{side}"] = activity * GAIT_PEAK_BW[name] * bw * np.minimum(shape, 1.0)
    for name in ("transversus_abdominis", "internal_oblique"):
        out[name] = np.full(p.shape, activity * GAIT_PEAK_BW[name] * bw)
    return out


MUSCLE_ACTIVITY = Parameter(
    name="muscle_activity",
    label="Muscles of walking (pattern × this)",
    unit="×",
    default=0.0,
    minimum=0.0,
    maximum=1.5,
    positive_means="gluteus maximus, hamstrings, iliopsoas, piriformis, multifidus and the abdominal wall pull "
                   "in their walking pattern",
    source="timing after Perry 1992 (EMG) [U]; amplitudes illustrative fractions of body weight [U]; 0 by default "
           "(the calibrated ring)",
)


# --------------------------------------------------------------------------------------------
# soft_tissue: postures with muscles on sliders
# --------------------------------------------------------------------------------------------

POSTURES = ("standing", "single_leg_left", "single_leg_right", "hip_flexion_left", "hip_flexion_right")
HIP_FLEXION_MOMENT_ARM_MM = 45.0
"""Moment arm of iliacus and psoas about the hip with the thigh flexed to 90° [U: order of the
values in musculoskeletal models; not in the project reference]."""
THIGH_CENTRE_MM = 190.0
"""Horizontal distance from the hip to the centre of mass of the raised leg (thigh horizontal,
knee bent 90°) [U: about 0.4 of a 440 mm thigh plus the shank hanging at the knee, for a 1.7 m adult]."""


def posture_constraints(anatomy: Anatomy, posture: str) -> Constraints:
    """The trunk holds the L5; the legs on the ground hold their hip centres (ball joints)."""
    c = hold("l5")
    feet = {"standing": SIDES, "single_leg_left": ("left",), "single_leg_right": ("right",),
            "hip_flexion_left": ("right",), "hip_flexion_right": ("left",)}[posture]
    for side in feet:
        c = c + pin(f"innominate_{side}", anatomy.point(f"acetabulum_centre_{side}"), f"hip centre ({side})")
    return c


def posture_wrenches(anatomy: Anatomy, posture: str, body_mass_kg: float = 70.0) -> tuple[mechanics.Wrench, ...]:
    """Loads of the posture on the ring (balanced by a trunk wrench; none when standing on both feet)."""
    if posture == "standing":
        return ()
    side = posture.rsplit("_", 1)[1]
    if posture.startswith("single_leg_"):
        return gait.single_leg_stance_loads(anatomy, side, body_mass_kg)
    stance = "left" if side == "right" else "right"
    loads = [w for w in gait.single_leg_stance_loads(anatomy, stance, body_mass_kg) if not w.label.startswith(("hanging", "trunk"))]
    leg_n = gait.LEG_MASS_FRACTION * body_mass_kg * gait.GRAVITY
    hip = anatomy.point(f"acetabulum_centre_{side}")
    # the raised leg's weight hangs from the hip (down) and its moment is held by the hip flexors
    loads.append(mechanics.Wrench(f"innominate_{side}", np.array([0.0, -leg_n, 0.0]), hip, label=f"raised leg ({side})"))
    return tuple(loads) + (mechanics.balancing_wrench(loads, "sacrum", gait.trunk_point(anatomy), "trunk load on S1"),)


def hip_flexor_forces(posture: str, body_mass_kg: float = 70.0) -> dict[str, float]:
    """Iliacus and psoas force holding the thigh up in the hip-flexion test (half each)."""
    if not posture.startswith("hip_flexion_"):
        return {}
    side = posture.rsplit("_", 1)[1]
    leg_n = gait.LEG_MASS_FRACTION * body_mass_kg * gait.GRAVITY
    total = leg_n * THIGH_CENTRE_MM / HIP_FLEXION_MOMENT_ARM_MM
    return {f"iliacus_{side}": 0.5 * total, f"psoas_{side}": 0.5 * total}


def sacral_moments(anatomy: Anatomy, nutation_nm: float, torsion_nm: float) -> tuple[PointLoad, ...]:
    """Pure moments on the sacrum: about the transverse axis (+ = nutation, its base forward and down)
    and about Mitchell's left oblique axis (+ = turning left on it: left-on-left)."""
    from pelvisim.ring_models import left_oblique_axis

    _, oblique = left_oblique_axis(anatomy)
    moment = 1000.0 * (nutation_nm * -frames.Z_RIGHT + torsion_nm * oblique)
    if not np.any(moment):
        return ()
    return (PointLoad("sacrum", np.zeros(3), np.zeros(3), moment, label="moment on the sacrum"),)


def compression_pairs(anatomy: Anatomy, compression_n: float) -> tuple[PointLoad, ...]:
    """Equal and opposite forces pressing each ilium onto the sacrum along the joint normal, at the
    joint centre — what a pelvic belt or the deep abdominal and pelvic-floor muscles add (Pel 2008)."""
    if not compression_n:
        return ()
    out = []
    for side in SIDES:
        T = np.asarray(anatomy.joint_frame(f"sij_{side}"), dtype=float)
        n, c = outward_normal(T, side), T[:3, 3]
        out += [PointLoad(f"innominate_{side}", -compression_n * n, c, label=f"compression across the {side} SIJ"),
                PointLoad("sacrum", compression_n * n, c, label=f"compression across the {side} SIJ")]
    return tuple(out)


@lru_cache(maxsize=256)
def _soft_tissue_solution(anatomy: Anatomy, key: tuple) -> TissueSolution:
    values = dict(key)
    posture = str(values["posture"])
    options = TissueOptions(stiffness_ratio=float(values["stiffness_ratio"]))
    forces = muscle_forces(values)
    for name, f in hip_flexor_forces(posture).items():
        forces[name] = forces.get(name, 0.0) + f
    hips = posture_hips(anatomy, posture)
    if posture == "standing":  # no trunk wrench: the muscles' reactions go to the holds (trunk, legs)
        f = load_vector(muscle_loads(anatomy, forces))
    else:
        ring, l5 = posture_loads(anatomy, posture_wrenches(anatomy, posture), forces, hips)
        f = np.concatenate([ring, l5])
    f = f + load_vector(sacral_moments(anatomy, float(values["nutation_nm"]), float(values["torsion_nm"])))
    f = f + load_vector(compression_pairs(anatomy, float(values["sij_compression_n"])))
    closure = float(values["closure_gain"])
    return solve(anatomy, f, posture_constraints(anatomy, posture), options, nonlinear=True, closure_gain=closure)


def soft_tissue_solution(anatomy: Anatomy, values: Mapping[str, Value]) -> TissueSolution:
    """The tissue ring's equilibrium for ``soft_tissue`` model values (cached)."""
    return _soft_tissue_solution(anatomy, tuple(sorted((k, v) for k, v in values.items())))


def posture_hips(anatomy: Anatomy, posture: str) -> dict[str, NDArray[np.float64]]:
    """``T_innominate_femur`` of the posture: the raised thigh of the hip-flexion test at 90°."""
    if not posture.startswith("hip_flexion_"):
        return {}
    side = posture.rsplit("_", 1)[1]
    return {side: frames.rotation_about_axis(frames.Z_RIGHT, np.radians(90.0), anatomy.point(f"acetabulum_centre_{side}"))}


def referenced_poses(solution: TissueSolution) -> dict[str, NDArray[np.float64]]:
    """``T_pelvis`` of the four bodies re-referenced so the innominates' mean motion is zero.

    The pelvic frame is built on the ASIS and PSIS, so it follows the innominates (as in the gait
    model, :func:`pelvisim.ring_models.innominate_referenced`): a rigid change of reference that
    leaves every relative motion as it is, and keeps a whole-pelvis tilt about the hips out of view.
    """
    T = solution.T_pelvis()
    mean = 0.5 * (frames.log(T["innominate_left"]) + frames.log(T["innominate_right"]))
    T_ref_inv = frames.exp(-mean)
    return {b: T_ref_inv @ t for b, t in T.items()}


@dataclass(frozen=True, eq=False)
class PostureResult:
    """A posture's tissue solution and its state as the model shows it (innominate-referenced)."""

    solution: TissueSolution
    hips: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)

    def joint_state(self) -> JointState:
        """The ring bones re-referenced to the innominates (:func:`referenced_poses`), hips of the posture."""
        T = referenced_poses(self.solution)
        return JointState(T_pelvis={b: T[b] for b in mechanics.BODIES}, T_innominate_femur=dict(self.hips))


def soft_tissue_result(anatomy: Anatomy, values: Mapping[str, Any]) -> PostureResult:
    """:class:`PostureResult` for (partial) ``soft_tissue`` model values (defaults filled in)."""
    from pelvisim.models import get_model

    resolved = get_model("soft_tissue").resolve(values)
    return PostureResult(soft_tissue_solution(anatomy, resolved), posture_hips(anatomy, str(resolved["posture"])))


def _soft_tissue_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    return PostureResult(soft_tissue_solution(anatomy, values), posture_hips(anatomy, str(values["posture"]))).joint_state()


SOFT_TISSUE = PositionalModel(
    name="soft_tissue",
    title="Muscles, ligaments and force closure",
    claim="Muscles pull on the pelvic bones and the ring answers through its ligaments and joint surfaces; "
          "compressing the SIJs (force closure) makes them stiffer.",
    source="ligament stiffness Phillips 2007; muscle paths Rajagopal 2016; self-bracing Snijders 1993 and "
           "Vleeming 1990; seeds: Russell 2024 (iliacus), Gurd 2010 (multifidus), MELT (closure)",
    parameters=(
        Parameter(name="posture", label="Posture", unit="", default="standing", choices=POSTURES,
                  source="standing on both feet; single-leg stance (Kibsgård 2014, RSA); standing hip-flexion test "
                         "(Sturesson 2000, RSA)"),
        *MUSCLE_PARAMETERS,
        Parameter(name="nutation_nm", label="Moment on the sacrum: nutation (+) / counternutation (−)", unit="N·m",
                  default=0.0, minimum=-30.0, maximum=30.0, positive_means="turns the sacral base forward and down",
                  source="a test load (teaching); body weight on the sacral promontory nutates the sacrum "
                         "(Vleeming 2012)"),
        Parameter(name="torsion_nm", label="Moment on the sacrum about the left oblique axis", unit="N·m",
                  default=0.0, minimum=-30.0, maximum=30.0, positive_means="turns the sacrum left on the left oblique "
                  "axis (left-on-left; MELT's side-bent and rotated sacrum)",
                  source="a test load (teaching); axis after Mitchell (MSU manual medicine)"),
        Parameter(name="sij_compression_n", label="Added compression across each SIJ", unit="N", default=0.0,
                  minimum=0.0, maximum=1000.0, positive_means="presses each ilium onto the sacrum (pelvic belt; "
                  "transversus abdominis and pelvic floor)",
                  source="Pel 2008 (model): muscles raise SIJ compression by 70–400 %; Damen 2002: a pelvic belt "
                         "reduces SIJ laxity"),
        Parameter(name="closure_gain", label="Force closure (self-bracing)", unit="×", default=0.0, minimum=0.0,
                  maximum=2.0, positive_means="each SIJ's surfaces resist sliding in proportion to the compression "
                  "across them (1 = the documented law)",
                  source="Snijders 1993; Vleeming 1990 (teaching law, pelvisim.tissue.closure); off by default"),
        Parameter(name="stiffness_ratio", label="SIJ stiffness, left ÷ right", unit="×", default=1.0, minimum=0.5,
                  maximum=2.0, positive_means="above 1: the left SIJ is stiffer",
                  source="no SI-unit ratio measured (Damen 2002: Doppler threshold units); default symmetric"),
    ),
    state_function=_soft_tissue_state,
    evidence="Muscle forces of a few hundred newtons move the SIJ by hundredths of a degree in this model — far "
             "below the RSA measurement floor (0.5–0.7°, Kibsgård 2012) and palpation error (15–20 mm at the "
             "spines). In the standing hip-flexion test the SIJ barely moves by RSA (Sturesson 2000). A model, not "
             "a measurement.",
)


# --------------------------------------------------------------------------------------------
# The tissue's state for any model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Arrow:
    """A load to draw: ``force_n`` at ``point_mm`` on ``body`` (pelvic frame at neutral)."""

    label: str
    body: str
    point_mm: NDArray[np.float64]
    force_n: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class TissueState:
    """The soft tissue at one pose.

    Attributes
    ----------
    T_pelvis_l5 : ndarray (4, 4)
        L5 displacement (true scale) in the pelvic frame.
    muscle_forces_n : Mapping[str, float]
    compression_n : Mapping[str, float]
        Compression across each SIJ when the model solves the tissue ring (else empty).
    closure_factor : Mapping[str, float]
    arrows : tuple of Arrow
        Body weight (entering at L5) and hip joint reactions, for drawing.
    """

    T_pelvis_l5: NDArray[np.float64]
    muscle_forces_n: Mapping[str, float] = field(default_factory=dict)
    compression_n: Mapping[str, float] = field(default_factory=dict)
    closure_factor: Mapping[str, float] = field(default_factory=dict)
    arrows: tuple[Arrow, ...] = ()


def tissue_state(anatomy: Anatomy, model: str, values: Mapping[str, Any], phase: float, state: JointState) -> TissueState:
    """The tissue's state of ``model`` at ``phase`` (values resolved by the model).

    For ring models the L5 and muscle forces come from their solution; for kinematic models the
    L5 moves with the sacrum and no muscle pulls.
    """
    if model == "soft_tissue":
        from pelvisim.models import get_model

        values = get_model("soft_tissue").resolve(values)
        sol = soft_tissue_solution(anatomy, values)
        T = referenced_poses(sol)
        forces = muscle_forces(values)
        for name, f in hip_flexor_forces(str(values["posture"])).items():
            forces[name] = forces.get(name, 0.0) + f
        arrows = _posture_arrows(anatomy, str(values["posture"]))
        return TissueState(T["l5"], MappingProxyType(forces), sol.compression_n, sol.closure_factor, arrows)
    if model == "multifidus_imbalance":
        pull = float(values["pull_n"])
        return tissue_state(anatomy, "soft_tissue", {"multifidus_left_n": pull,
                                                     "multifidus_right_n": pull * float(values["right_activation"]),
                                                     "stiffness_ratio": float(values["stiffness_ratio"])}, phase, state)
    if model == "gait":
        from pelvisim.ring_models import gait_tissue_extras

        return gait_tissue_extras(anatomy, values, phase, state)
    return TissueState(np.asarray(state.T_pelvis["sacrum"], dtype=float))


def _posture_arrows(anatomy: Anatomy, posture: str) -> tuple[Arrow, ...]:
    out = []
    for w in posture_wrenches(anatomy, posture):
        if w.label.startswith("trunk"):
            from pelvisim.tissue.attachments import find_attachments

            l5 = find_attachments(anatomy).l5
            out.append(Arrow("body weight (through L5)", "l5", l5.body_centre + 60.0 * l5.up,
                             np.array([0.0, -float(np.linalg.norm(w.force_n)), 0.0])))
        elif w.label.startswith("hip reaction"):
            out.append(Arrow(w.label, w.body, np.asarray(w.point_mm), np.asarray(w.force_n)))
    return tuple(out)


def weight_and_hip_arrows(anatomy: Anatomy, phase: float, params: gait.GaitParameters) -> tuple[Arrow, ...]:
    """Body weight entering at L5 and both hip reactions at ``phase`` (gait)."""
    from pelvisim.tissue.attachments import find_attachments

    l5 = find_attachments(anatomy).l5
    out = []
    total = np.zeros(3)
    for side in SIDES:
        F = gait.hip_force_n(phase, side, params)
        total += F
        if np.linalg.norm(F) > 1e-9:
            out.append(Arrow(f"hip reaction ({side})", f"innominate_{side}", anatomy.point(f"acetabulum_centre_{side}"), F))
    out.insert(0, Arrow("body weight (through L5)", "l5", l5.body_centre + 60.0 * l5.up,
                        np.array([0.0, -max(float(total[1]), 0.0), 0.0])))
    return tuple(out)

