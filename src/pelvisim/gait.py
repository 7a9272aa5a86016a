"""The gait cycle: phase -> whole-pelvis motion, hip angles, hip joint reactions, events.

Phase ``φ ∈ [0, 1)`` runs over one stride: right initial contact at 0, left toe-off ≈ 0.12, left
initial contact ≈ 0.50, right toe-off ≈ 0.62 (reference/BIOMECHANICS.md §7). The left side is the
right side half a stride later, mirrored (z -> -z).

Everything here is kinematics or loads; the intrapelvic (SIJ) motion comes from the ring
mechanics (:mod:`pelvisim.mechanics`) driven by :func:`gait_loads`. Whole-pelvis motion is in the
rotation -> obliquity -> tilt order (Baker 2001: the tilt-first order can create spurious
obliquity). The waveforms are smooth teaching approximations, not measured curves.

Units: mm, N, N·mm, radians inside; ``_deg`` at the edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.frames import Transform
from pelvisim.mechanics import Wrench, balancing_wrench

GRAVITY = 9.81  # m/s²

STANCE = {"right": (0.0, 0.62), "left": (0.5, 1.12)}
"""Stance interval of each foot as (initial contact, toe-off), phase units (BIOMECHANICS.md §7)."""


@dataclass(frozen=True)
class GaitEvent:
    """A gait event: its name and phase."""

    name: str
    phase: float


EVENTS = (
    GaitEvent("right_initial_contact", 0.0),
    GaitEvent("left_toe_off", 0.12),
    GaitEvent("left_initial_contact", 0.5),
    GaitEvent("right_toe_off", 0.62),
)
"""The four events of a stride (BIOMECHANICS.md §7)."""

COMFORTABLE_SPEED_M_PER_S = 1.3  # comfortable adult walking speed, Bohannon 1997 (≈ 1.3–1.4 m/s) [U]


@dataclass(frozen=True)
class GaitParameters:
    """Parameters of the gait cycle.

    Attributes
    ----------
    body_mass_kg : float
        Default 70 kg (reference adult).
    speed_m_per_s : float
        Walking speed; default 1.3 m/s (comfortable, Bohannon 1997 [U]). Pelvic tilt grows in
        proportion to speed, rotation and obliquity with its square root, hip reactions by 30 %
        of the relative change [teaching assumptions].
    amplitude_scale : float
        Multiplies the whole-pelvis rotation, obliquity and tilt (older adults rotate the pelvis
        less, Cury 2021).
    rotation_amplitude_deg : float
        ±4° transverse rotation (8° total), swing side forward (Saunders 1953).
    obliquity_amplitude_deg : float
        ±4° obliquity; the side opposite the stance limb drops just after initial contact
        (Saunders 1953 give ±4–5°; the lower bound is used).
    tilt_amplitude_deg : float
        ±1.5° sagittal tilt (≈ 3° peak to peak), two cycles per stride [teaching sources, weak].
    hip_force_peak_bw : float
        Peak hip joint reaction in walking, × body weight: 2.4 (Bergmann 2001, J Biomech 34:859,
        instrumented implants, ≈ 238 % BW average) [U: not in the project reference].
    hip_force_medial_ratio : float
        Medial / vertical component of the hip reaction on the acetabulum: 0.3 (≈ 17° from
        vertical in the frontal plane, Pauwels-type) [U].
    hip_force_ap_bw : float
        Peak antero-posterior hip force, × body weight: 0.2, braking (posterior on the pelvis) in
        early stance, propulsion (anterior) in late stance, shaped like the ground reaction [U].
    abductor_lever_mm : float
        Lever of the hip abductors beyond the hip centre: 55 mm (Pauwels model, about a third
        of the body-weight lever) [U]. Abductors balance each hip reaction's frontal moment.
    """

    body_mass_kg: float = 70.0
    speed_m_per_s: float = COMFORTABLE_SPEED_M_PER_S
    amplitude_scale: float = 1.0
    rotation_amplitude_deg: float = 4.0
    obliquity_amplitude_deg: float = 4.0
    tilt_amplitude_deg: float = 1.5
    hip_force_peak_bw: float = 2.4
    hip_force_medial_ratio: float = 0.3
    hip_force_ap_bw: float = 0.2
    abductor_lever_mm: float = 55.0

    def __post_init__(self) -> None:
        checks = {
            "body_mass_kg": (20.0, 200.0),
            "speed_m_per_s": (0.3, 2.5),
            "amplitude_scale": (0.0, 3.0),
            "rotation_amplitude_deg": (0.0, 20.0),
            "obliquity_amplitude_deg": (0.0, 20.0),
            "tilt_amplitude_deg": (0.0, 20.0),
            "hip_force_peak_bw": (0.0, 8.0),
            "hip_force_medial_ratio": (0.0, 1.0),
            "hip_force_ap_bw": (0.0, 1.0),
            "abductor_lever_mm": (10.0, 150.0),
        }
        for name, (low, high) in checks.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
                raise ParameterError(f"GaitParameters.{name} must be a number from {low:g} to {high:g}, got {value!r}")

    @property
    def body_weight_n(self) -> float:
        """Body weight, N."""
        return self.body_mass_kg * GRAVITY

    @property
    def speed_ratio(self) -> float:
        """Speed relative to comfortable walking."""
        return self.speed_m_per_s / COMFORTABLE_SPEED_M_PER_S


DEFAULT_GAIT = GaitParameters()


def check_phase(phase: float) -> float:
    """``phase`` as a float in [0, 1), or a :class:`ParameterError`."""
    p = float(phase)
    if not (math.isfinite(p) and 0.0 <= p < 1.0):
        raise ParameterError(f"phase must be in [0, 1), got {phase!r}")
    return p


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise ParameterError(f"Expected side 'left' or 'right', got {side!r}")


def _shift(phase: float | NDArray, side: str) -> float | NDArray:
    """Phase seen by ``side``: the left side is the right side half a stride later."""
    return phase if side == "right" else (phase + 0.5) % 1.0


# --- whole-pelvis motion ---------------------------------------------------------------------


def pelvis_angles_rad(phase: float | NDArray, params: GaitParameters = DEFAULT_GAIT) -> tuple:
    """Whole-pelvis (rotation, obliquity, tilt) in radians at ``phase``.

    Signs (ISB, right-hand rule): rotation about +Y (+ = right side forward), obliquity about +X
    (+ = right side down), tilt about +Z (+ = posterior tilt).

    - rotation: maximal right-forward at right initial contact, swing side moving forward;
    - obliquity: the swing side drops most at φ ≈ 0.17, just after the opposite toe-off;
    - tilt: anterior peaks at φ ≈ 0.45 and 0.95 (terminal stance), two cycles per stride.
    """
    s = params.amplitude_scale
    rotation = s * math.sqrt(params.speed_ratio) * math.radians(params.rotation_amplitude_deg) * np.cos(2 * np.pi * phase)
    obliquity = -s * math.sqrt(params.speed_ratio) * math.radians(params.obliquity_amplitude_deg) * np.sin(
        2 * np.pi * (phase + 0.08))
    tilt = -s * params.speed_ratio * math.radians(params.tilt_amplitude_deg) * np.cos(4 * np.pi * (phase - 0.45))
    return rotation, obliquity, tilt


def T_world_pelvis(phase: float, params: GaitParameters = DEFAULT_GAIT) -> Transform:
    """Whole-pelvis motion at ``phase``: rotation, then obliquity, then tilt, about mid-ASIS.

    ``R = R_y(rotation) · R_x(obliquity) · R_z(tilt)`` (intrinsic Y-X'-Z'', Baker 2001 order).
    """
    rotation, obliquity, tilt = pelvis_angles_rad(check_phase(phase), params)
    R = (frames.rotation_matrix(frames.Y_SUPERIOR, rotation) @ frames.rotation_matrix(frames.X_ANTERIOR, obliquity)
         @ frames.rotation_matrix(frames.Z_RIGHT, tilt))
    return frames.from_rt(R, np.zeros(3))


def pelvis_angles_from_transform(T: Transform) -> tuple[float, float, float]:
    """Inverse of :func:`T_world_pelvis`: (rotation, obliquity, tilt) in radians (Y-X'-Z'')."""
    R = np.asarray(T)[:3, :3]
    obliquity = math.asin(max(-1.0, min(1.0, -R[1, 2])))
    rotation = math.atan2(R[0, 2], R[2, 2])
    tilt = math.atan2(R[1, 0], R[1, 1])
    return rotation, obliquity, tilt


# --- hips -----------------------------------------------------------------------------------


def hip_flexion_rad(phase: float | NDArray, side: str) -> float | NDArray:
    """Hip flexion (+) / extension (−) of ``side`` at ``phase``.

    ``10° + 20°·cos(2π(φ − 0.95))`` on the right: ≈ 29° at initial contact, −10° in terminal
    stance (φ ≈ 0.45), 30° in late swing — a one-harmonic approximation of normal sagittal hip
    motion (Perry 1992) [U].
    """
    _check_side(side)
    return np.radians(10.0 + 20.0 * np.cos(2 * np.pi * (_shift(phase, side) - 0.95)))


def T_innominate_femur(anatomy: Anatomy, phase: float, side: str) -> Transform:
    """Femur pose relative to its innominate: flexion about the transverse axis at the hip centre.

    Hip flexion moves the knee forward: a rotation about +Z on either side.
    """
    centre = anatomy.point(f"acetabulum_centre_{side}")
    return frames.rotation_about_axis(frames.Z_RIGHT, float(hip_flexion_rad(check_phase(phase), side)), centre)


def stance_fraction(phase: float | NDArray, side: str) -> float | NDArray:
    """Position within the stance of ``side``: 0 at initial contact, 1 at toe-off; NaN in swing."""
    _check_side(side)
    p = np.asarray(_shift(phase, side), dtype=float)
    s = p / STANCE["right"][1]
    out = np.where(s < 1.0, s, np.nan)
    return float(out) if out.ndim == 0 else out


def in_stance(phase: float, side: str) -> bool:
    """True when the foot of ``side`` is on the ground at ``phase``."""
    return bool(np.isfinite(stance_fraction(check_phase(phase), side)))


def _double_hump(s: NDArray) -> NDArray:
    """Stance-phase shape, 0 at contact and toe-off, peaks ≈ 1 near 25 % and 75 % of stance."""
    return (np.sin(np.pi * s) + 0.3 * np.sin(3 * np.pi * s)) / _HUMP_MAX


_s = np.linspace(0.0, 1.0, 2001)
_HUMP_MAX = float(np.max(np.sin(np.pi * _s) + 0.3 * np.sin(3 * np.pi * _s)))


def hip_force_n(phase: float | NDArray, side: str, params: GaitParameters = DEFAULT_GAIT) -> NDArray[np.float64]:
    """Hip joint reaction on the acetabulum of ``side`` (pelvic axes, N); zero in swing.

    Vertical part: a stance double hump peaking at ``hip_force_peak_bw`` × body weight (scaled by
    30 % of the relative speed change); medial part ``hip_force_medial_ratio`` × vertical; antero-
    posterior part ``hip_force_ap_bw`` × body weight, posterior in early stance (braking) and
    anterior in late stance (propulsion). Returns (3,) for a scalar phase, (n, 3) for an array.
    """
    _check_side(side)
    s = np.atleast_1d(np.asarray(stance_fraction(phase, side), dtype=float))
    stance = np.isfinite(s)
    s = np.where(stance, s, 0.0)
    bw = params.body_weight_n
    speed_gain = 1.0 + 0.3 * (params.speed_ratio - 1.0)
    vertical = np.where(stance, params.hip_force_peak_bw * bw * speed_gain * _double_hump(s), 0.0)
    ap = np.where(stance, -params.hip_force_ap_bw * bw * speed_gain * np.sin(2 * np.pi * s), 0.0)
    medial = -1.0 if side == "right" else 1.0  # toward the midline
    F = np.stack([ap, vertical, medial * params.hip_force_medial_ratio * vertical], axis=-1)
    return F[0] if np.ndim(phase) == 0 else F


def _abductor_point(anatomy: Anatomy, side: str, params: GaitParameters) -> NDArray[np.float64]:
    hip = anatomy.point(f"acetabulum_centre_{side}")
    lateral = 1.0 if side == "right" else -1.0
    return hip + np.array([0.0, 60.0, lateral * params.abductor_lever_mm])


def hip_and_abductor_loads(anatomy: Anatomy, side: str, force_n: NDArray, params: GaitParameters = DEFAULT_GAIT
                           ) -> tuple[Wrench, ...]:
    """The hip reaction ``force_n`` at the acetabulum centre of ``side`` plus its abductor pull.

    The abductors (gluteus medius and minimus, Pauwels-type) pull straight down on the ilium at
    ``abductor_lever_mm`` lateral to the hip centre, 60 mm above it [U], with the force that
    cancels the frontal-plane moment of the upward hip reaction about the midline — so the body
    weight reaches the sacrum without a frontal moment.
    """
    hip = anatomy.point(f"acetabulum_centre_{side}")
    point = _abductor_point(anatomy, side, params)
    vertical = max(float(force_n[1]), 0.0)
    pull = vertical * abs(hip[2]) / abs(point[2])
    bone = f"innominate_{side}"
    return (
        Wrench(bone, force_n, hip, label=f"hip reaction ({side})"),
        Wrench(bone, np.array([0.0, -pull, 0.0]), point, label=f"hip abductors ({side})"),
    )


def trunk_point(anatomy: Anatomy) -> NDArray[np.float64]:
    """Where the trunk load acts: the centre of the S1 endplate."""
    return np.asarray(anatomy.point("s1_endplate_centre"), dtype=float)


def gait_loads(anatomy: Anatomy, phase: float, params: GaitParameters = DEFAULT_GAIT,
               extra: tuple[Wrench, ...] = ()) -> tuple[Wrench, ...]:
    """Self-equilibrated loads on the ring at ``phase``.

    Hip reactions and abductors on each innominate, any ``extra`` loads (muscle pulls), and the
    trunk load on the S1 endplate that balances them all (weight of the upper body, inertia and
    trunk muscles, lumped as one wrench on the sacrum).
    """
    phase = check_phase(phase)
    loads: list[Wrench] = []
    for side in SIDES:
        loads.extend(hip_and_abductor_loads(anatomy, side, hip_force_n(phase, side, params), params))
    loads.extend(extra)
    loads.append(balancing_wrench(loads, "sacrum", trunk_point(anatomy), "trunk load on S1"))
    return tuple(loads)


LEG_MASS_FRACTION = 0.161  # one lower limb / body mass, Dempster via Winter 2009 [U]


def single_leg_stance_loads(anatomy: Anatomy, side: str = "right", body_mass_kg: float = 70.0,
                            params: GaitParameters = DEFAULT_GAIT) -> tuple[Wrench, ...]:
    """Static single-leg stance on ``side`` (the Kibsgård 2014 test posture).

    The body above the stance hip (body weight less the stance leg) is carried by the stance hip
    and its abductors (Pauwels balance: hip reaction = W'·(1 + lever ratio)), the free leg hangs
    from the other hip, and the trunk load on S1 balances the ring.
    """
    _check_side(side)
    other = "left" if side == "right" else "right"
    bw = body_mass_kg * GRAVITY
    supported = (1.0 - LEG_MASS_FRACTION) * bw
    hip = anatomy.point(f"acetabulum_centre_{side}")
    point = _abductor_point(anatomy, side, params)
    vertical = supported / (1.0 - abs(hip[2]) / abs(point[2]))
    medial = -1.0 if side == "right" else 1.0
    stance_force = np.array([0.0, vertical, medial * params.hip_force_medial_ratio * vertical])
    loads = list(hip_and_abductor_loads(anatomy, side, stance_force, params))
    loads.append(Wrench(f"innominate_{other}", np.array([0.0, -LEG_MASS_FRACTION * bw, 0.0]),
                        anatomy.point(f"acetabulum_centre_{other}"), label=f"hanging leg ({other})"))
    loads.append(balancing_wrench(loads, "sacrum", trunk_point(anatomy), "trunk load on S1"))
    return tuple(loads)


def events(phase: float | None = None, window: float = 0.02) -> list[dict]:
    """Gait events as ``{"name", "phase"}``; with ``phase``, only those within ``window`` of it."""
    out = []
    for e in EVENTS:
        if phase is None or min(abs(phase - e.phase), 1.0 - abs(phase - e.phase)) <= window:
            out.append({"name": e.name, "phase": e.phase})
    return out


def gait_load_matrix(anatomy: Anatomy, phases: NDArray | float, params: GaitParameters = DEFAULT_GAIT,
                     extra: tuple[Wrench, ...] = ()) -> NDArray[np.float64]:
    """Generalised load vectors (18, n) of :func:`gait_loads` for many phases at once.

    Same loads as :func:`gait_loads` (hip reactions, abductors, ``extra``, balancing trunk load on
    the sacrum), computed with array operations for whole cycles. The trunk load's generalised
    force about the origin is minus the resultant of all the others, whatever point it acts at.
    """
    from pelvisim.mechanics import BODIES, load_vector

    p = np.atleast_1d(np.asarray(phases, dtype=float))
    if p.size and not (np.all(np.isfinite(p)) and p.min() >= 0.0 and p.max() < 1.0):
        raise ParameterError(f"phases must be in [0, 1), got values from {p.min()!r} to {p.max()!r}")
    f = np.zeros((6 * len(BODIES), p.size))
    f += load_vector(extra)[:, None]
    for side in SIDES:
        i = 6 * BODIES.index(f"innominate_{side}")
        hip = np.asarray(anatomy.point(f"acetabulum_centre_{side}"), dtype=float)
        point = _abductor_point(anatomy, side, params)
        F = hip_force_n(p, side, params)
        pull = np.maximum(F[:, 1], 0.0) * abs(hip[2]) / abs(point[2])
        Fa = np.zeros_like(F)
        Fa[:, 1] = -pull
        f[i:i + 3] += (_cross_rows(hip, F) + _cross_rows(point, Fa)).T
        f[i + 3:i + 6] += (F + Fa).T
    total = f.reshape(len(BODIES), 6, p.size).sum(axis=0)
    s = 6 * BODIES.index("sacrum")
    f[s:s + 6] -= total
    return f


def _cross_rows(a: NDArray, B: NDArray) -> NDArray:
    """``a × B[k]`` for every row of ``B`` (n, 3)."""
    out = np.empty_like(B)
    out[:, 0] = a[1] * B[:, 2] - a[2] * B[:, 1]
    out[:, 1] = a[2] * B[:, 0] - a[0] * B[:, 2]
    out[:, 2] = a[0] * B[:, 1] - a[1] * B[:, 0]
    return out
