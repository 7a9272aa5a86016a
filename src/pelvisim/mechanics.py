"""The compliant pelvic ring: three rigid bones, three springs, small-displacement equilibrium.

A teaching model, not a clinical tool. The sacrum and the two innominates are rigid bodies joined
by the two sacroiliac joints (SIJs) and the pubic symphysis, each a 6×6 linear spring in its joint
frame. Loads (hip joint reactions, the trunk load on the S1 endplate, muscle pulls) give the
equilibrium displacements by one linear solve; an optional closure stiffening (stiffness rising
with nutation and compression: form and force closure) is solved with :func:`scipy.optimize.root`.

Conventions
-----------
- Units: mm, N, N·mm, radians. Pelvic frame (ISB): +X anterior, +Y superior, +Z right.
- Generalised coordinates ``q`` (18,): for each body of :data:`BODIES` in order, a small twist
  ``[w (rad, 3), v (mm, 3)]`` in pelvic-frame axes, taken at the pelvic-frame origin: a point ``p``
  of that body moves by ``v + w × p``. ``frames.exp(q_body)`` is the body's ``T_pelvis_<bone>``
  (the screw motion whose first-order displacement is that twist).
- Generalised forces ``f`` (18,) are work-conjugate to ``q``: ``[moment about the origin (N·mm),
  force (N)]`` per body, so a force ``F`` at ``p`` gives ``[p × F, F]``.
- A joint's deformation ``e`` (6,) is the twist of ``body_b`` relative to ``body_a`` at the joint
  origin, in joint-frame axes: ``[rotation (rad), translation (mm)]``. Its stiffness ``K`` (6, 6)
  is in the same order. For the SIJs ``body_a`` is the sacrum and ``body_b`` the innominate; for
  the symphysis ``body_a`` is the left innominate, ``body_b`` the right one.
- The joint load reported is the load that ``body_b`` receives from ``body_a`` through the joint,
  ``-K e`` ([moment N·mm, force N], joint axes, at the joint origin).

Grounding
---------
The free ring has six rigid-body modes, so the stiffness matrix is singular. Each solve takes
linear :class:`Constraints` ``A q = b`` and eliminates them by a null-space basis, then factors the
reduced (symmetric positive definite) matrix by Cholesky. Two choices are used:

- **gait and stance loads** are built self-equilibrated (the trunk load on S1 balances the hip
  reactions and muscles), and the sacrum is held (``q_sacrum = 0``). With balanced loads the
  constraint reaction is zero, so the choice only fixes which rigid-body motion is added; the
  intrapelvic (relative) motion does not depend on it.
- **prescribed + free** (e.g. Gurd's sacral rotation) prescribes the sacrum's motion and pins both
  hip centres (ball joints on standing legs: translation held, rotation free).

Sources of the default stiffness values are given next to each value (reference/BIOMECHANICS.md §6).

The soft-tissue ring
--------------------
The ring models (gait, sacral rotation, soft tissue) solve the soft-tissue ring of
:mod:`pelvisim.tissue`: its SIJs are joint-surface contact, bracing and ligaments, its symphysis a
disc block with the pubic ligaments, and an L5 rides on the sacrum. It is built on the classes here
(:class:`Ring`, :class:`Spring`, :class:`LinearSolver`), so everything in this module works on it;
the lumped ring of :func:`build_ring` (Miller's values × :data:`SIJ_IN_VIVO_SCALE`) stays for
comparisons and for the hand-checked tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import scipy.linalg
import scipy.optimize
from numpy.typing import ArrayLike, NDArray

from pelvisim import frames
from pelvisim.anatomy.core import Anatomy
from pelvisim.errors import ParameterError, PelvisimError
from pelvisim.frames import Transform
from pelvisim.pose import JointState

BODIES = ("sacrum", "innominate_left", "innominate_right")
"""The three rigid bodies of the ring, in the order of the generalised coordinates."""

JOINTS = ("sij_left", "sij_right", "symphysis")

N_DOF = 6 * len(BODIES)

NMM_PER_RAD_PER_NM_PER_DEG = 1000.0 * 180.0 / math.pi
"""1 N·m/° expressed in N·mm/rad (≈ 57 296)."""


class SolverError(PelvisimError, ArithmeticError):
    """An equilibrium could not be solved (singular stiffness, bad constraints, no convergence)."""


def cross(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Cross product of two (3,) vectors (much faster than ``np.cross`` for one pair)."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


def _body_index(body: str) -> int:
    try:
        return BODIES.index(body)
    except ValueError:
        raise ParameterError(f"Expected a body among {BODIES}, got {body!r}") from None


# --------------------------------------------------------------------------------------------
# Stiffness
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JointStiffness:
    """Diagonal stiffness of one joint in its own frame.

    Attributes
    ----------
    rotational_nmm_per_rad : tuple of 3 float
        About the joint x, y, z axes, N·mm/rad.
    translational_n_per_mm : tuple of 3 float
        Along the joint x, y, z axes, N/mm.
    """

    rotational_nmm_per_rad: tuple[float, float, float]
    translational_n_per_mm: tuple[float, float, float]

    def __post_init__(self) -> None:
        for label, values in (("rotational_nmm_per_rad", self.rotational_nmm_per_rad),
                              ("translational_n_per_mm", self.translational_n_per_mm)):
            values = tuple(float(v) for v in values)
            if len(values) != 3 or not all(math.isfinite(v) and v >= 0.0 for v in values):
                raise ParameterError(f"{label} must be 3 finite numbers >= 0, got {values}")
            object.__setattr__(self, label, values)

    def matrix(self) -> NDArray[np.float64]:
        """The (6, 6) stiffness, order ``[rx, ry, rz, tx, ty, tz]``."""
        return np.diag([*self.rotational_nmm_per_rad, *self.translational_n_per_mm])

    def scaled(self, factor: float) -> JointStiffness:
        """Every component multiplied by ``factor`` (> 0)."""
        if not (math.isfinite(factor) and factor > 0.0):
            raise ParameterError(f"stiffness factor must be a finite number > 0, got {factor!r}")
        return JointStiffness(
            tuple(factor * v for v in self.rotational_nmm_per_rad),  # type: ignore[arg-type]
            tuple(factor * v for v in self.translational_n_per_mm),  # type: ignore[arg-type]
        )


SIJ_CADAVER_STIFFNESS = JointStiffness(
    # Joint axes: x ≈ anterior along the auricular surface, y ≈ superior along it, z = normal.
    rotational_nmm_per_rad=(
        30.0 * NMM_PER_RAD_PER_NM_PER_DEG,  # about x (frontal plane / lateral bending): Miller 1987, 42 N·m / 1.40° [D]
        6.8 * NMM_PER_RAD_PER_NM_PER_DEG,  # about y (horizontal plane / axial rotation): Miller 1987, 42 N·m / 6.21° [D]
        15.0 * NMM_PER_RAD_PER_NM_PER_DEG,  # about z (sagittal / nutation): BIOMECHANICS.md §6 central value, range 7–30 [D]
    ),
    translational_n_per_mm=(
        107.0,  # along x (anterior): Miller 1987, 294 N / 2.74 mm [D]
        200.0,  # along y (superior): BIOMECHANICS.md §6 central value, range 100–400 [D]
        390.0,  # along z (normal, medial compression): Miller 1987, 294 N / 0.76 mm [D]
    ),
)
"""Secant SIJ stiffness measured on cadavers without muscles (Miller 1987, J Orthop Res 5:92)."""

SIJ_IN_VIVO_SCALE = 13.0
"""In-vivo stiffening of the cadaveric SIJ (muscle force closure, Snijders 1993; Vleeming 1990).

Calibrated, not measured: chosen so that single-leg stance of a 70 kg person gives 0.3–0.7° of total
SIJ rotation (mean of the two stance sides; Kibsgård 2014, RSA, ≈ 0.5°) and walking stays ≤ 0.5° per side.
The calibration table is docs/calibration.md (made by benchmarks/calibrate_mechanics.py). It was 18
while the symphysis was soft across the joint too; the stiffer gap direction
(:data:`SYMPHYSIS_GAP_SCALE`) makes the ring carry more of the hip loads through the symphysis, so
the SIJs were softened to 13 to keep single-leg stance inside Kibsgård's band.
"""

# Interpubic disc as an elastic block [U: dimensions are typical textbook values, not measured
# here]: thickness 5 mm, height (superior–inferior) 40 mm, depth (antero-posterior) 15 mm.
_DISC_E = 5.0  # MPa = N/mm², interpubic disc (BMC Musculoskelet Disord 2021, s12891-021-04856-8) [V]
_DISC_NU = 0.45  # same source [V]
_DISC_G = _DISC_E / (2.0 * (1.0 + _DISC_NU))  # shear modulus ≈ 1.72 MPa [D]
_DISC_T, _DISC_H, _DISC_D = 5.0, 40.0, 15.0  # mm [U]
_DISC_A = _DISC_H * _DISC_D  # 600 mm²
_PUBIC_LIGAMENT = 500.0  # N/mm, superior pubic and arcuate pubic ligaments, each (same source, Table 1) [V]
_PUBIC_LIGAMENT_ARM = _DISC_H / 2.0  # mm, superior / arcuate ligaments above / below the disc centre [U]

SYMPHYSIS_DISC_STIFFNESS = JointStiffness(
    # Symphysis frame: pelvic axes (x anterior, y superior, z right = across the joint).
    rotational_nmm_per_rad=(
        # about x (one pubis up at the top, down at the bottom): in-plane bending of the disc, E·I/t [D]
        _DISC_E * (_DISC_D * _DISC_H**3 / 12.0) / _DISC_T,
        # about y (front/back opening): E·I/t with the thin depth [D]
        _DISC_E * (_DISC_H * _DISC_D**3 / 12.0) / _DISC_T,
        # about z (torsion of the disc): G·J/t, J = A (h² + d²) / 12 [D]
        _DISC_G * _DISC_A * (_DISC_H**2 + _DISC_D**2) / 12.0 / _DISC_T,
    ),
    translational_n_per_mm=(
        # antero-posterior (sagittal) shift: twice the vertical shear stiffness, since measured
        # sagittal shift (≤ 1.3 mm) is about half the vertical shear (≤ 2.6 mm) (Walheim, in
        # Meissner 1996) [D]
        2.0 * _DISC_G * _DISC_A / _DISC_T,
        # vertical shear: disc shear G·A/t ≈ 207 N/mm — the soft direction [D]
        _DISC_G * _DISC_A / _DISC_T,
        # across the joint (compression / gap): disc E·A/t = 600 N/mm [D]
        _DISC_E * _DISC_A / _DISC_T,
    ),
)
"""The interpubic disc as an elastic block, without the two pubic ligaments (the soft-tissue ring,
:mod:`pelvisim.tissue`, adds those as fibre bundles)."""

_DISC_ROTATION, _DISC_TRANSLATION = SYMPHYSIS_DISC_STIFFNESS.rotational_nmm_per_rad, SYMPHYSIS_DISC_STIFFNESS.translational_n_per_mm
SYMPHYSIS_BLOCK_STIFFNESS = JointStiffness(
    rotational_nmm_per_rad=(
        # about x: the disc + the superior and arcuate ligaments at ±20 mm, 2·k·d² [D]
        _DISC_ROTATION[0] + 2.0 * _PUBIC_LIGAMENT * _PUBIC_LIGAMENT_ARM**2,
        _DISC_ROTATION[1],
        _DISC_ROTATION[2],
    ),
    translational_n_per_mm=(
        _DISC_TRANSLATION[0],
        _DISC_TRANSLATION[1],
        # across the joint: the disc + both ligaments in parallel ≈ 1600 N/mm [D]
        _DISC_TRANSLATION[2] + 2.0 * _PUBIC_LIGAMENT,
    ),
)
"""Pubic symphysis as the elastic disc block (:data:`SYMPHYSIS_DISC_STIFFNESS`) plus ligaments: stiff
across the joint (compression), softer in vertical shear. An upper bound for the anterior ring (bone
taken as rigid)."""

ANTERIOR_ARC_SCALE = 0.05
"""Compliance of the anterior arc lumped into the symphysis spring (calibrated, teaching choice).

In a three-rigid-body model the symphysis spring also stands for the slender superior and
inferior pubic rami in series with the disc, so it is softer than the disc block alone. The factor
applies to every direction of the symphysis except across the joint (see
:data:`SYMPHYSIS_GAP_SCALE`): vertical shear, sagittal shift and the three rotations. It is chosen
so that the anterior arc is the most compliant part of the ring: the two SIJs then answer their own
loads (a lax SIJ moves visibly more, Damen 2002's idea) while the symphysis stays within Walheim's
in-vivo range (vertical shear ≤ 2.6 mm in single-leg stance, ≤ 2.2 mm in walking; Meissner 1996).
The sensitivity of the results to this factor is tabulated in docs/calibration.md.
"""

SYMPHYSIS_GAP_SCALE = 1.0
"""Factor on the interpubic disc's compression stiffness across the joint (the gap direction).

1 = the disc block's own E·A/t (E = 5 MPa, BMC Musculoskelet Disord 2021; block 40 × 15 mm, 5 mm
thick [U]) ≈ 600 N/mm, with no compliance of the pubic rami added: across the joint the load runs
along the rami rather than bending them [U: pelvisim's reading]. Checked, not fitted, against
Walheim's in-vivo finding of no effective transverse symphysis motion in one-leg stance or walking
(Meissner 1996): pelvisim's target is a gap change under 0.5 mm at every phase of normal walking,
even and at a left/right SIJ stiffness ratio of 0.5 and 2 (docs/calibration.md). With the rami's
share (:data:`ANTERIOR_ARC_SCALE`) across the joint as well, walking closed the gap by up to
1.0 mm (1.2 mm at ratio 2). No published compression stiffness of the living symphysis is in the
project reference (cadaver tests exist: Dakin 2001, J Biomech Eng 123:218, values not taken over).
"""


def anterior_arc_stiffness(disc: JointStiffness, ligaments_across_n_per_mm: float = 0.0) -> JointStiffness:
    """The symphysis with the anterior arc: ``disc`` × :data:`ANTERIOR_ARC_SCALE` except across the joint.

    Across the joint (translation z) the disc keeps :data:`SYMPHYSIS_GAP_SCALE` × its own
    stiffness; ``ligaments_across_n_per_mm`` (the pubic ligaments, in series with the rami) is
    added there with the rami's share :data:`ANTERIOR_ARC_SCALE`.
    """
    arc = disc.scaled(ANTERIOR_ARC_SCALE)
    tx, ty, _ = arc.translational_n_per_mm
    across = SYMPHYSIS_GAP_SCALE * disc.translational_n_per_mm[2] + ANTERIOR_ARC_SCALE * ligaments_across_n_per_mm
    return JointStiffness(arc.rotational_nmm_per_rad, (tx, ty, across))


SYMPHYSIS_STIFFNESS = anterior_arc_stiffness(
    JointStiffness(SYMPHYSIS_BLOCK_STIFFNESS.rotational_nmm_per_rad,
                   (*SYMPHYSIS_BLOCK_STIFFNESS.translational_n_per_mm[:2], SYMPHYSIS_DISC_STIFFNESS.translational_n_per_mm[2])),
    2.0 * _PUBIC_LIGAMENT,
)
"""Default pubic symphysis (with the anterior arc): the block × :data:`ANTERIOR_ARC_SCALE`, except
across the joint: the disc × :data:`SYMPHYSIS_GAP_SCALE` plus both pubic ligaments × the rami's share."""


@dataclass(frozen=True)
class RingStiffness:
    """Stiffness of the three joints of the ring.

    Build it with :func:`ring_stiffness`, which applies the left/right ratio, per-side overrides
    and the optional compensation coupling.

    Attributes
    ----------
    sij_left, sij_right, symphysis : JointStiffness
    """

    sij_left: JointStiffness
    sij_right: JointStiffness
    symphysis: JointStiffness = SYMPHYSIS_STIFFNESS

    def of(self, joint: str) -> JointStiffness:
        """Stiffness of ``joint`` (``sij_left``, ``sij_right`` or ``symphysis``)."""
        if joint not in JOINTS:
            raise ParameterError(f"Expected a joint among {JOINTS}, got {joint!r}")
        return getattr(self, joint)


def ring_stiffness(
    stiffness_ratio: float = 1.0,
    *,
    in_vivo_scale: float = SIJ_IN_VIVO_SCALE,
    coupling_gain: float = 0.0,
    sij_left: JointStiffness | None = None,
    sij_right: JointStiffness | None = None,
    symphysis: JointStiffness = SYMPHYSIS_STIFFNESS,
) -> RingStiffness:
    """Ring stiffness with a left/right SIJ asymmetry.

    Parameters
    ----------
    stiffness_ratio : float
        Left SIJ stiffness / right SIJ stiffness (every component), default 1.0; teaching range
        0.5–2. The geometric mean of the two sides stays at the default, so the ring as a whole is
        neither stiffer nor laxer: left = √r·k, right = k/√r. No SI-unit ratio has been measured:
        Damen 2002 defines asymmetric laxity as a left–right difference of ≥ 3 threshold units of
        Doppler imaging of vibrations, not a stiffness ratio.
    in_vivo_scale : float
        Factor applied to the cadaveric SIJ stiffness (see :data:`SIJ_IN_VIVO_SCALE`).
    coupling_gain : float
        Hypothesis from the Gold 2014 seed article: a jammed (stiff) SIJ makes the other one move
        more. The laxer side's stiffness is divided by ``1 + coupling_gain·(a − 1)``, with
        ``a ≥ 1`` the stiff/lax ratio. Default 0 (off): the evidence is weak or contrary — fixing
        one SIJ did not make the other hypermobile in cadavers (Cho 2023, Asian Spine J 17:185),
        and fusion changed adjacent-joint motion by only 1–5 % in a finite-element model
        (Lindsey 2015, IJSS 9:64).
    sij_left, sij_right : JointStiffness, optional
        Per-side overrides, used as given (no ratio, scale or coupling applied to them).
    symphysis : JointStiffness
        Pubic symphysis stiffness.

    Returns
    -------
    RingStiffness
    """
    for name, value, low in (("stiffness_ratio", stiffness_ratio, 0.0), ("in_vivo_scale", in_vivo_scale, 0.0)):
        if not (math.isfinite(value) and value > low):
            raise ParameterError(f"{name} must be a finite number > 0, got {value!r}")
    if not (math.isfinite(coupling_gain) and coupling_gain >= 0.0):
        raise ParameterError(f"coupling_gain must be a finite number >= 0, got {coupling_gain!r}")
    base = SIJ_CADAVER_STIFFNESS.scaled(in_vivo_scale)
    left_factor, right_factor = math.sqrt(stiffness_ratio), 1.0 / math.sqrt(stiffness_ratio)
    asymmetry = max(left_factor, right_factor) / min(left_factor, right_factor)
    compensation = 1.0 + coupling_gain * (asymmetry - 1.0)
    if left_factor < right_factor:
        left_factor /= compensation
    elif right_factor < left_factor:
        right_factor /= compensation
    return RingStiffness(
        sij_left=sij_left if sij_left is not None else base.scaled(left_factor),
        sij_right=sij_right if sij_right is not None else base.scaled(right_factor),
        symphysis=symphysis,
    )


# --------------------------------------------------------------------------------------------
# Geometry of the ring
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Spring:
    """A compliant joint between two bodies.

    Attributes
    ----------
    name : str
    body_a, body_b : str
        Bodies of :data:`BODIES`; the deformation is ``body_b`` relative to ``body_a``.
    T_pelvis_joint : ndarray (4, 4)
        Joint frame in the pelvic frame (origin = where the deformation is measured).
    stiffness : ndarray (6, 6)
        Symmetric positive semi-definite, joint axes, order ``[rotation, translation]``.
    """

    name: str
    body_a: str
    body_b: str
    T_pelvis_joint: NDArray[np.float64]
    stiffness: NDArray[np.float64]

    def __post_init__(self) -> None:
        _body_index(self.body_a), _body_index(self.body_b)
        if self.body_a == self.body_b:
            raise ParameterError(f"spring {self.name!r} joins {self.body_a!r} to itself")
        T = np.array(self.T_pelvis_joint, dtype=float, copy=True)
        if not frames.is_rigid(T, atol=1e-6):
            raise ParameterError(f"spring {self.name!r}: expected a rigid (4, 4) joint frame, got {T.tolist()}")
        K = np.array(self.stiffness, dtype=float, copy=True)
        if K.shape != (6, 6) or not np.allclose(K, K.T, rtol=1e-12, atol=1e-9):
            raise ParameterError(f"spring {self.name!r}: expected a symmetric (6, 6) stiffness, got shape {K.shape}")
        for name, A in (("T_pelvis_joint", T), ("stiffness", K)):
            A.setflags(write=False)
            object.__setattr__(self, name, A)

    def deformation_operator(self) -> NDArray[np.float64]:
        """``G`` (6, 6): relative twist at the origin (pelvic axes) -> deformation (joint axes)."""
        R, c = self.T_pelvis_joint[:3, :3], self.T_pelvis_joint[:3, 3]
        G = np.zeros((6, 6))
        G[:3, :3] = R.T
        G[3:, 3:] = R.T
        G[3:, :3] = -R.T @ frames.skew(c)  # v_c = v + w × c = v − [c]× w
        return G

    def operator(self) -> NDArray[np.float64]:
        """``B`` (6, 18) with ``e = B q``."""
        G = self.deformation_operator()
        B = np.zeros((6, N_DOF))
        ia, ib = _body_index(self.body_a), _body_index(self.body_b)
        B[:, 6 * ib: 6 * ib + 6] += G
        B[:, 6 * ia: 6 * ia + 6] -= G
        return B


@dataclass(frozen=True, eq=False)
class Ring:
    """Three bodies and their springs (any number; the pelvic ring has three)."""

    springs: tuple[Spring, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "springs", tuple(self.springs))
        names = [s.name for s in self.springs]
        if len(set(names)) != len(names):
            raise ParameterError(f"spring names must be unique, got {names}")
        B = np.vstack([s.operator() for s in self.springs]) if self.springs else np.zeros((0, N_DOF))
        Kd = scipy.linalg.block_diag(*[s.stiffness for s in self.springs]) if self.springs else np.zeros((0, 0))
        K = B.T @ Kd @ B
        K = 0.5 * (K + K.T)
        for name, A in (("_B", B), ("_Kd", Kd), ("_K", K)):
            A.setflags(write=False)
            object.__setattr__(self, name, A)

    def spring(self, name: str) -> Spring:
        """The spring called ``name``."""
        for s in self.springs:
            if s.name == name:
                return s
        raise ParameterError(f"Expected a spring among {[s.name for s in self.springs]}, got {name!r}")

    def stiffness_matrix(self) -> NDArray[np.float64]:
        """Global stiffness ``K`` (18, 18) = Σ Bᵀ K_joint B (singular: six rigid-body modes)."""
        return self._K  # type: ignore[attr-defined]

    def deformations(self, q: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """Deformation (6,) of every spring for coordinates ``q`` (18,) or (18, n) -> (6, n)."""
        e = self._B @ np.asarray(q, dtype=float)  # type: ignore[attr-defined]
        return {s.name: e[6 * i: 6 * i + 6] for i, s in enumerate(self.springs)}

    def strain_energy(self, q: ArrayLike) -> float:
        """Σ ½ eᵀ K e over the springs, computed joint by joint (N·mm)."""
        return float(sum(0.5 * e @ s.stiffness @ e for s, e in zip(self.springs, self.deformations(q).values())))


def build_ring(anatomy: Anatomy, stiffness: RingStiffness | None = None) -> Ring:
    """The pelvic ring of ``anatomy``: SIJs and symphysis at the anatomy's joint frames.

    Parameters
    ----------
    anatomy : Anatomy
        Needs ``joint_frames`` for ``sij_left``, ``sij_right`` and ``symphysis``.
    stiffness : RingStiffness, optional
        Default :func:`ring_stiffness` ``()``.
    """
    stiffness = stiffness if stiffness is not None else ring_stiffness()
    return _build_ring_cached(anatomy, stiffness)


@lru_cache(maxsize=64)
def _build_ring_cached(anatomy: Anatomy, stiffness: RingStiffness) -> Ring:
    return Ring((
        Spring("sij_left", "sacrum", "innominate_left", anatomy.joint_frame("sij_left"), stiffness.sij_left.matrix()),
        Spring("sij_right", "sacrum", "innominate_right", anatomy.joint_frame("sij_right"), stiffness.sij_right.matrix()),
        Spring("symphysis", "innominate_left", "innominate_right", anatomy.joint_frame("symphysis"),
               stiffness.symphysis.matrix()),
    ))


# --------------------------------------------------------------------------------------------
# Loads
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Wrench:
    """A load on one body: a force through a point plus a free moment.

    Attributes
    ----------
    body : str
        One of :data:`BODIES`.
    force_n : ndarray (3,)
        Force in pelvic axes, N.
    point_mm : ndarray (3,)
        Where the force acts, pelvic frame, mm.
    moment_nmm : ndarray (3,)
        Free moment, pelvic axes, N·mm.
    label : str
        What the load is (``"hip reaction (right)"``).
    """

    body: str
    force_n: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    point_mm: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    moment_nmm: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    label: str = ""

    def __post_init__(self) -> None:
        _body_index(self.body)
        for name in ("force_n", "point_mm", "moment_nmm"):
            a = np.array(getattr(self, name), dtype=float, copy=True)
            if a.shape != (3,) or not np.all(np.isfinite(a)):
                raise ParameterError(f"Wrench {self.label or self.body!r}: {name} must be 3 finite numbers, got {a.tolist()}")
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    def generalized(self) -> NDArray[np.float64]:
        """``[p × F + M, F]`` (6,) at the pelvic origin."""
        return np.concatenate([cross(self.point_mm, self.force_n) + self.moment_nmm, self.force_n])

    def mirrored(self) -> Wrench:
        """The same load on the other side (z → −z); a moment is an axial vector: rx, ry flip."""
        body = {"innominate_left": "innominate_right", "innominate_right": "innominate_left"}.get(self.body, self.body)
        return Wrench(body, frames.mirror_points(self.force_n), frames.mirror_points(self.point_mm),
                      -frames.mirror_points(self.moment_nmm), self.label)


def load_vector(loads: Iterable[Wrench]) -> NDArray[np.float64]:
    """Generalised force ``f`` (18,) of a set of loads."""
    f = np.zeros(N_DOF)
    for w in loads:
        i = _body_index(w.body)
        f[6 * i: 6 * i + 6] += w.generalized()
    return f


def resultant(loads: Iterable[Wrench], point_mm: ArrayLike = (0.0, 0.0, 0.0)) -> NDArray[np.float64]:
    """Net ``[moment about point_mm (N·mm), force (N)]`` of all loads, whatever body they act on."""
    p = np.asarray(point_mm, dtype=float)
    total = np.zeros(6)
    for w in loads:
        total[:3] += cross(w.point_mm - p, w.force_n) + w.moment_nmm
        total[3:] += w.force_n
    return total


def balancing_wrench(loads: Sequence[Wrench], body: str, point_mm: ArrayLike, label: str) -> Wrench:
    """The wrench at ``point_mm`` on ``body`` that makes ``loads`` self-equilibrated."""
    net = resultant(loads, point_mm)
    return Wrench(body, -net[3:], np.asarray(point_mm, dtype=float), -net[:3], label)


def iliacus_moment(side: str, moment_nmm: float) -> Wrench:
    """Iliacus pull as a pure moment tilting its innominate anteriorly (Russell 2024 seed, 002).

    Anterior innominate rotation is a rotation about −Z on either side. The reaction (on the
    femur) is outside the ring; pair this with :func:`balancing_wrench` at the trunk.
    """
    return Wrench(f"innominate_{side}", moment_nmm=np.array([0.0, 0.0, -float(moment_nmm)]),
                  label=f"iliacus ({side})")


def piriformis_pull(anatomy: Anatomy, side: str, force_n: float) -> Wrench:
    """Piriformis pull on the sacrum (Gurd 2010 seed, 003) [teaching approximation].

    Origin: on the anterior sacrum, half-way from the sacral auricular centroid of ``side`` to
    the sacral apex, 15 mm anterior; line of pull toward the greater trochanter, taken 50 mm
    lateral to and 10 mm below the acetabulum centre.
    """
    origin = 0.5 * (anatomy.point(f"auricular_sacrum_{side}_centroid") + anatomy.point("sacral_apex"))
    origin = origin + np.array([15.0, 0.0, 0.0])
    lateral = 50.0 if side == "right" else -50.0
    trochanter = anatomy.point(f"acetabulum_centre_{side}") + np.array([0.0, -10.0, lateral])
    d = trochanter - origin
    return Wrench("sacrum", float(force_n) * d / np.linalg.norm(d), origin, label=f"piriformis ({side})")


def multifidus_pull(anatomy: Anatomy, side: str, force_n: float) -> Wrench:
    """Sacral multifidus pull (Gurd 2010 seed, 003) [teaching approximation].

    Acts at ``s2_posterior`` moved 15 mm toward ``side``, pulling superiorly and slightly
    forward (toward the lumbar spinous processes above the sacral base).
    """
    lateral = 15.0 if side == "right" else -15.0
    point = anatomy.point("s2_posterior") + np.array([0.0, 0.0, lateral])
    d = np.array([0.2, 1.0, 0.0])
    return Wrench("sacrum", float(force_n) * d / np.linalg.norm(d), point, label=f"multifidus ({side})")


# --------------------------------------------------------------------------------------------
# Constraints and solution
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Constraints:
    """Linear constraints ``A q = b`` on the generalised coordinates.

    Attributes
    ----------
    matrix : ndarray (m, 18)
    values : ndarray (m,)
    labels : tuple of str
        One label per row (for reactions and error messages).
    """

    matrix: NDArray[np.float64]
    values: NDArray[np.float64]
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        A = np.atleast_2d(np.array(self.matrix, dtype=float, copy=True))
        b = np.array(self.values, dtype=float, copy=True).reshape(-1)
        if A.shape[1] != N_DOF or A.shape[0] != b.shape[0]:
            raise ParameterError(f"Expected constraint matrix (m, {N_DOF}) and values (m,), got {A.shape} and {b.shape}")
        labels = tuple(self.labels) if self.labels else tuple(f"row {i}" for i in range(A.shape[0]))
        for name, a in (("matrix", A), ("values", b)):
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        object.__setattr__(self, "labels", labels)

    def __add__(self, other: Constraints) -> Constraints:
        return Constraints(np.vstack([self.matrix, other.matrix]), np.concatenate([self.values, other.values]),
                           self.labels + other.labels)


def hold_body(body: str, twist: ArrayLike | None = None) -> Constraints:
    """Prescribe all six coordinates of ``body`` (default: held at neutral)."""
    i = _body_index(body)
    A = np.zeros((6, N_DOF))
    A[:, 6 * i: 6 * i + 6] = np.eye(6)
    b = np.zeros(6) if twist is None else np.asarray(twist, dtype=float)
    names = ("wx", "wy", "wz", "vx", "vy", "vz")
    return Constraints(A, b, tuple(f"{body} {n}" for n in names))


def prescribe_motion(body: str, T_pelvis_body: Transform) -> Constraints:
    """Prescribe ``body``'s displacement to the twist of ``T_pelvis_body`` (``frames.log``)."""
    return hold_body(body, frames.log(np.asarray(T_pelvis_body, dtype=float)))


def pin_point(body: str, point_mm: ArrayLike, label: str = "") -> Constraints:
    """Hold the point ``point_mm`` of ``body`` in place (a ball joint: rotation free)."""
    i = _body_index(body)
    p = np.asarray(point_mm, dtype=float)
    A = np.zeros((3, N_DOF))
    A[:, 6 * i: 6 * i + 3] = -frames.skew(p)  # w × p = −[p]× w
    A[:, 6 * i + 3: 6 * i + 6] = np.eye(3)
    name = label or f"{body} point"
    return Constraints(A, np.zeros(3), tuple(f"{name} {a}" for a in "xyz"))


@dataclass(frozen=True, eq=False)
class Solution:
    """Equilibrium of the ring.

    Attributes
    ----------
    q : ndarray (18,)
        Generalised coordinates (see the module docstring).
    deformations : Mapping[str, ndarray (6,)]
        Per joint, body_b relative to body_a in joint axes: ``[rotation rad, translation mm]``.
    joint_loads : Mapping[str, ndarray (6,)]
        Per joint, the load body_b receives from body_a: ``[moment N·mm, force N]``, joint axes.
    reactions : ndarray (m,)
        Constraint reactions (Lagrange multipliers), one per constraint row.
    residual : float
        ``‖K q − f − Aᵀλ‖ / ‖f‖``: equilibrium error including the reactions.
    unbalanced : float
        ``‖Aᵀλ‖ / ‖f‖``: how much of the load the constraints carry (0 for self-equilibrated
        loads on a held sacrum, so then ``‖K q − f‖ / ‖f‖`` equals ``residual``).
    converged : bool
    iterations : int
        1 for the linear solve; function evaluations for the closure solve.
    method : str
    """

    q: NDArray[np.float64]
    deformations: Mapping[str, NDArray[np.float64]]
    joint_loads: Mapping[str, NDArray[np.float64]]
    reactions: NDArray[np.float64]
    residual: float
    unbalanced: float
    converged: bool = True
    iterations: int = 1
    method: str = "linear (null space + Cholesky)"

    def twist(self, body: str) -> NDArray[np.float64]:
        """Twist (6,) of ``body`` at the pelvic origin."""
        i = _body_index(body)
        return self.q[6 * i: 6 * i + 6]

    def T_pelvis(self) -> dict[str, Transform]:
        """``T_pelvis_<bone>`` for the three bodies (true scale)."""
        return {b: frames.exp(self.twist(b)) for b in BODIES}

    def joint_state(self, **kwargs) -> JointState:
        """A :class:`~pelvisim.pose.JointState`; ``kwargs`` go to its constructor (hips, world)."""
        return JointState(T_pelvis=self.T_pelvis(), **kwargs)


class LinearSolver:
    """Factored equilibrium of one ring under fixed constraints: solve many load cases fast.

    The constraints are eliminated once (null-space basis ``N``, particular solution ``q_p``),
    the reduced matrix ``Nᵀ K N`` is factored once by Cholesky, and each load case costs two
    triangular solves. Raises :class:`SolverError` when the constrained ring is still a mechanism.
    """

    def __init__(self, ring: Ring, constraints: Constraints) -> None:
        self.ring = ring
        self.constraints = constraints
        A, b = constraints.matrix, constraints.values
        K = ring.stiffness_matrix()
        if A.shape[0]:
            self._N = scipy.linalg.null_space(A)
            q_p, *_ = np.linalg.lstsq(A, b, rcond=None)
            if np.linalg.norm(A @ q_p - b) > 1e-9 * max(1.0, np.linalg.norm(b)):
                raise SolverError(f"Constraints are inconsistent: ‖A q − b‖ = {np.linalg.norm(A @ q_p - b):.3g}")
        else:
            self._N, q_p = np.eye(N_DOF), np.zeros(N_DOF)
        self._q_p = q_p
        Kr = self._N.T @ K @ self._N
        try:
            self._factor = scipy.linalg.cho_factor(Kr)
        except np.linalg.LinAlgError:
            raise SolverError(
                f"The constrained ring is a mechanism (reduced stiffness not positive definite): expected "
                f"constraints removing the {N_DOF - 12} rigid-body modes, got {A.shape[0]} rows"
            ) from None
        cond = np.linalg.cond(Kr)
        if not np.isfinite(cond) or cond > 1e13:
            raise SolverError(f"The constrained ring is nearly a mechanism: condition number {cond:.3g}")
        self._Kqp = K @ q_p
        # Compliance on the constrained subspace, C = N (Nᵀ K N)⁻¹ Nᵀ: one (18, 18) product per
        # load case (cheaper than two triangular solves for so small a system).
        self._C = self._N @ scipy.linalg.cho_solve(self._factor, self._N.T)
        self._q_free = q_p - self._C @ self._Kqp
        self._AT_pinv = np.linalg.pinv(A.T) if A.shape[0] else np.zeros((0, N_DOF))

    def solve_many(self, f: ArrayLike) -> NDArray[np.float64]:
        """Coordinates (18, n) for load vectors (18, n) — no diagnostics, for whole cycles."""
        F = np.asarray(f, dtype=float)
        return self._C @ F + (self._q_free if F.ndim == 1 else self._q_free[:, None])

    def solve(self, f: ArrayLike) -> Solution:
        """Equilibrium for the load vector ``f`` (18,), with diagnostics."""
        f = np.asarray(f, dtype=float)
        q = self.solve_many(f)
        return _solution(self.ring, self.constraints, q, f, self._AT_pinv)


def _solution(ring: Ring, constraints: Constraints, q: NDArray, f: NDArray, AT_pinv: NDArray | None = None,
              **kwargs) -> Solution:
    K = ring.stiffness_matrix()
    out_of_balance = K @ q - f
    A = constraints.matrix
    if A.shape[0]:
        pinv = AT_pinv if AT_pinv is not None else np.linalg.pinv(A.T)
        reactions = pinv @ out_of_balance
        carried = A.T @ reactions
    else:
        reactions, carried = np.zeros(0), np.zeros(N_DOF)
    scale = _load_scale(f, carried)
    residual = float(np.linalg.norm(out_of_balance - carried)) / scale
    unbalanced = float(np.linalg.norm(carried)) / scale
    deformations = ring.deformations(q)
    loads = {s.name: -s.stiffness @ deformations[s.name] for s in ring.springs}
    return Solution(q=q, deformations=MappingProxyType(deformations), joint_loads=MappingProxyType(loads),
                    reactions=reactions, residual=residual, unbalanced=unbalanced, **kwargs)


def _load_scale(f: NDArray, carried: NDArray) -> float:
    """‖f‖, or the reactions' size when there are no applied loads (prescribed motion only)."""
    return max(float(np.linalg.norm(f)), float(np.linalg.norm(carried)), 1e-300)


def solve_linear(ring: Ring, loads: Iterable[Wrench] | ArrayLike, constraints: Constraints) -> Solution:
    """Small-displacement equilibrium ``K q = f`` under ``constraints``.

    Parameters
    ----------
    ring : Ring
    loads : iterable of Wrench, or ndarray (18,)
    constraints : Constraints
        Must remove the six rigid-body modes (e.g. :func:`hold_body` ``("sacrum")``).

    Returns
    -------
    Solution
        With ``residual`` = ‖K q − f − Aᵀλ‖ / ‖f‖.
    """
    return LinearSolver(ring, constraints).solve(_as_load_vector(loads))


def _as_load_vector(loads: Iterable[Wrench] | ArrayLike) -> NDArray[np.float64]:
    if isinstance(loads, np.ndarray):
        f = np.asarray(loads, dtype=float)
    else:
        items = list(loads)  # type: ignore[arg-type]
        f = load_vector(items) if all(isinstance(w, Wrench) for w in items) else np.asarray(items, dtype=float)
    if f.shape != (N_DOF,):
        raise ParameterError(f"Expected a load vector of shape ({N_DOF},) or Wrench objects, got shape {f.shape}")
    return f


# --------------------------------------------------------------------------------------------
# Closure stiffening (nonlinear)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureStiffening:
    """SIJ stiffness that rises with nutation and compression (form and force closure) — lumped ring.

    The soft-tissue ring's law is :mod:`pelvisim.tissue.closure` (the joint surfaces' shear
    bracing follows the compression across them). Teaching abstraction of Snijders 1993 and Vleeming 1990: nutation is the close-packed,
    self-braced position and compression across the joint (muscles, ligaments, fascia) adds
    friction. Each SIJ's stiffness is multiplied by
    ``1 + nutation_gain·s(nutation / reference_rad) + compression_gain·s(compression / reference_mm)``
    with ``s(x) = ½(x + √(x² + 0.01))`` a smooth ramp (≈ 0 for x < 0, ≈ x for x > 0).

    Attributes
    ----------
    nutation_gain : float
        Extra stiffness per ``reference_rad`` of nutation (×), ≥ 0.
    compression_gain : float
        Extra stiffness per ``reference_mm`` of closing along the joint normal (×), ≥ 0.
    reference_rad : float
        Default 0.5° (the in-vivo walking ceiling, BIOMECHANICS.md §7).
    reference_mm : float
        Default 0.3 mm (typical SIJ translation, Jacob & Kissling 1995).
    """

    nutation_gain: float = 1.0
    compression_gain: float = 1.0
    reference_rad: float = math.radians(0.5)
    reference_mm: float = 0.3

    def __post_init__(self) -> None:
        for name in ("nutation_gain", "compression_gain"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0.0):
                raise ParameterError(f"{name} must be a finite number >= 0, got {v!r}")
        for name in ("reference_rad", "reference_mm"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0.0):
                raise ParameterError(f"{name} must be a finite number > 0, got {v!r}")

    def factor(self, joint: str, e: NDArray[np.float64]) -> float:
        """Stiffness multiplier of SIJ ``joint`` at deformation ``e`` (1 for other joints).

        Nutation = +rz on both sides (the innominate turning posteriorly relative to the sacrum,
        in the mirror-conjugate joint frames); compression = the innominate moving toward the
        sacrum along the joint normal: −tz on the right, +tz on the left (mirror).
        """
        if joint not in ("sij_left", "sij_right"):
            return 1.0
        nutation = e[2] / self.reference_rad
        compression = (-e[5] if joint == "sij_right" else e[5]) / self.reference_mm
        ramp = lambda x: 0.5 * (x + math.sqrt(x * x + 0.01))  # noqa: E731
        return 1.0 + self.nutation_gain * ramp(nutation) + self.compression_gain * ramp(compression)


def solve_closure(
    ring: Ring,
    loads: Iterable[Wrench] | ArrayLike,
    constraints: Constraints,
    closure: ClosureStiffening = ClosureStiffening(),
    tol: float = 1e-12,
) -> Solution:
    """Equilibrium with closure stiffening, by :func:`scipy.optimize.root` (``hybr``).

    Each SIJ carries ``factor(e)·K e``. The linear solution is the starting point. The returned
    :class:`Solution` reports ``converged``, ``iterations`` (function evaluations) and ``residual``
    = ‖Σ Bᵀ factor·K e − f − Aᵀλ‖ / ‖f‖ of the nonlinear equations.

    Raises
    ------
    SolverError
        When the root finder does not converge (the message gives its reason and residual).
    """
    f = _as_load_vector(loads)
    linear = LinearSolver(ring, constraints)
    N, q_p = linear._N, linear._q_p
    B_of = {s.name: s.operator() for s in ring.springs}
    q_linear = linear.solve_many(f)
    scale = max(float(np.linalg.norm(f)), float(np.linalg.norm(ring.stiffness_matrix() @ q_linear)), 1e-300)

    def internal(q: NDArray) -> NDArray:
        total = np.zeros(N_DOF)
        for s in ring.springs:
            e = B_of[s.name] @ q
            total += B_of[s.name].T @ (closure.factor(s.name, e) * (s.stiffness @ e))
        return total

    def equations(z: NDArray) -> NDArray:
        return N.T @ (internal(q_p + N @ z) - f) / scale

    z0 = np.linalg.lstsq(N, q_linear - q_p, rcond=None)[0]
    result = scipy.optimize.root(equations, z0, method="hybr", tol=tol)
    q = q_p + N @ result.x
    out_of_balance = internal(q) - f
    A = constraints.matrix
    reactions = np.linalg.pinv(A.T) @ out_of_balance if A.shape[0] else np.zeros(0)
    carried = A.T @ reactions if A.shape[0] else np.zeros(N_DOF)
    scale = _load_scale(f, carried)
    residual = float(np.linalg.norm(out_of_balance - carried)) / scale
    if not result.success or residual > 1e-6:
        raise SolverError(f"Closure solve did not converge: {result.message} (residual {residual:.3g})")
    deformations = ring.deformations(q)
    joint_loads = {s.name: -closure.factor(s.name, deformations[s.name]) * (s.stiffness @ deformations[s.name])
                   for s in ring.springs}
    return Solution(q=q, deformations=MappingProxyType(deformations), joint_loads=MappingProxyType(joint_loads),
                    reactions=reactions, residual=residual, unbalanced=float(np.linalg.norm(carried)) / scale,
                    converged=bool(result.success), iterations=int(result.nfev),
                    method="closure stiffening (scipy.optimize.root, hybr)")


def with_stiffness(ring: Ring, joint: str, stiffness: NDArray[np.float64]) -> Ring:
    """A copy of ``ring`` with one spring's stiffness replaced (for what-if comparisons)."""
    return Ring(tuple(replace(s, stiffness=stiffness) if s.name == joint else s for s in ring.springs))
