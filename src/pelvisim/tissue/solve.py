"""Equilibrium of the tissue ring (24 coordinates) and its read-outs.

Two solves:

- **linear**: every element at its stiffness at neutral (the ligaments' tangent at their
  reference strain, contact engaged, bracing at rest) — what the gait model uses, fast;
- **nonlinear**: each bundle follows its tension-only toe-region law, each contact point is
  compression-only (it lets go when the joint gaps more than its share of the resting
  compression allows), and with ``closure_gain > 0`` each SIJ's bracing follows the compression
  across it (:mod:`pelvisim.tissue.closure`). Solved by Newton's method on the constrained
  coordinates, the closure factors lagged one step (a fixed point), to a relative residual of 1e-10.

Both use small-displacement kinematics (the same as :mod:`pelvisim.mechanics`). The neutral
state, with the ligaments' pretension balanced by the joint's resting compression, is an
equilibrium by construction: only changes of force from neutral enter the equations.

Constraints are ``A q = b`` on the 24 coordinates (:class:`Constraints`): hold a body, pin a
point (a ball joint), or keep the mechanics' 18-coordinate constraints with the L5 free or held.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from pelvisim import frames, mechanics
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.mechanics import SolverError, Wrench
from pelvisim.pose import JointState
from pelvisim.tissue.closure import FORM_CLOSURE_FLOOR, closure_factor
from pelvisim.tissue.ligaments import BODIES, bundle_force_n, bundle_tangent_n
from pelvisim.tissue.ring import N_DOF, SHEAR_BRACING_ROWS, TissueAssembly, TissueOptions, assemble, spring_operator


# --------------------------------------------------------------------------------------------
# Loads and constraints on 24 coordinates
# --------------------------------------------------------------------------------------------


def body_index(body: str) -> int:
    """Index of ``body`` in :data:`pelvisim.tissue.ligaments.BODIES`."""
    try:
        return BODIES.index(body)
    except ValueError:
        raise ParameterError(f"Expected a body among {BODIES}, got {body!r}") from None


@dataclass(frozen=True, eq=False)
class PointLoad:
    """A force on one body of the tissue ring (the L5 included), for loads and drawing.

    Attributes
    ----------
    body : str
        One of :data:`pelvisim.tissue.ligaments.BODIES`.
    force_n, point_mm : ndarray (3,)
    moment_nmm : ndarray (3,)
        Free moment.
    label : str
    """

    body: str
    force_n: NDArray[np.float64]
    point_mm: NDArray[np.float64]
    moment_nmm: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    label: str = ""

    def __post_init__(self) -> None:
        body_index(self.body)
        for name in ("force_n", "point_mm", "moment_nmm"):
            a = np.array(getattr(self, name), dtype=float, copy=True)
            if a.shape != (3,) or not np.all(np.isfinite(a)):
                raise ParameterError(f"load {self.label or self.body!r}: {name} must be 3 finite numbers, got {a.tolist()}")
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    @classmethod
    def from_wrench(cls, w: Wrench) -> PointLoad:
        """The same load as a mechanics :class:`~pelvisim.mechanics.Wrench`."""
        return cls(w.body, w.force_n, w.point_mm, w.moment_nmm, w.label)


def load_vector(loads: Iterable[PointLoad | Wrench]) -> NDArray[np.float64]:
    """Generalised force (24,): ``[p × F + M, F]`` per body."""
    f = np.zeros(N_DOF)
    for w in loads:
        i = body_index(w.body)
        f[6 * i: 6 * i + 3] += np.cross(w.point_mm, w.force_n) + w.moment_nmm
        f[6 * i + 3: 6 * i + 6] += w.force_n
    return f


@dataclass(frozen=True, eq=False)
class Constraints:
    """Linear constraints ``A q = b`` on the 24 coordinates, with a label per row."""

    matrix: NDArray[np.float64]
    values: NDArray[np.float64]
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        A = np.atleast_2d(np.array(self.matrix, dtype=float, copy=True))
        b = np.array(self.values, dtype=float, copy=True).reshape(-1)
        if A.shape[1] != N_DOF or A.shape[0] != b.shape[0]:
            raise ParameterError(f"Expected constraint matrix (m, {N_DOF}) and values (m,), got {A.shape} and {b.shape}")
        object.__setattr__(self, "matrix", A)
        object.__setattr__(self, "values", b)
        object.__setattr__(self, "labels", tuple(self.labels) or tuple(f"row {i}" for i in range(len(b))))

    def __add__(self, other: Constraints) -> Constraints:
        return Constraints(np.vstack([self.matrix, other.matrix]), np.concatenate([self.values, other.values]),
                           self.labels + other.labels)

    @classmethod
    def from_ring(cls, constraints: mechanics.Constraints) -> Constraints:
        """The mechanics' 18-coordinate constraints, the L5 left free."""
        A = np.zeros((constraints.matrix.shape[0], N_DOF))
        A[:, :18] = constraints.matrix
        return cls(A, constraints.values, constraints.labels)


def hold(body: str, twist: ArrayLike | None = None) -> Constraints:
    """Prescribe all six coordinates of ``body`` (default: held at neutral)."""
    i = body_index(body)
    A = np.zeros((6, N_DOF))
    A[:, 6 * i: 6 * i + 6] = np.eye(6)
    return Constraints(A, np.zeros(6) if twist is None else np.asarray(twist, dtype=float),
                       tuple(f"{body} {n}" for n in ("wx", "wy", "wz", "vx", "vy", "vz")))


def pin(body: str, point_mm: ArrayLike, label: str = "") -> Constraints:
    """Hold the point ``point_mm`` of ``body`` in place (a ball joint)."""
    i = body_index(body)
    A = np.zeros((3, N_DOF))
    A[:, 6 * i: 6 * i + 3] = -frames.skew(np.asarray(point_mm, dtype=float))
    A[:, 6 * i + 3: 6 * i + 6] = np.eye(3)
    return Constraints(A, np.zeros(3), tuple(f"{label or body} {a}" for a in "xyz"))


# --------------------------------------------------------------------------------------------
# Solution and read-outs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TissueSolution:
    """Equilibrium of the tissue ring.

    Attributes
    ----------
    q : ndarray (24,)
        Twists of sacrum, left and right innominate and L5 at the pelvic origin.
    compression_n : Mapping[str, float]
        Per side, compression across the SIJ (resting compression + change), N.
    closure_factor : Mapping[str, float]
        Per side, the bracing multiplier used (1 with closure off).
    residual : float
        ``‖f_int − f − Aᵀλ‖ / ‖f‖``.
    iterations : int
    method : str
    """

    q: NDArray[np.float64]
    compression_n: Mapping[str, float]
    closure_factor: Mapping[str, float]
    residual: float
    iterations: int
    method: str

    def twist(self, body: str) -> NDArray[np.float64]:
        """Twist (6,) of ``body``."""
        i = body_index(body)
        return self.q[6 * i: 6 * i + 6]

    def T_pelvis(self) -> dict[str, frames.Transform]:
        """``T_pelvis_<body>`` of the four bodies (true scale)."""
        return {b: frames.exp(self.twist(b)) for b in BODIES}

    def joint_state(self, **kwargs) -> JointState:
        """The three ring bones as a :class:`~pelvisim.pose.JointState` (``kwargs``: hips, world)."""
        T = self.T_pelvis()
        return JointState(T_pelvis={b: T[b] for b in mechanics.BODIES}, **kwargs)


def _constrained_basis(constraints: Constraints) -> tuple[NDArray, NDArray]:
    A, b = constraints.matrix, constraints.values
    if not A.shape[0]:
        return np.eye(N_DOF), np.zeros(N_DOF)
    N = scipy.linalg.null_space(A)
    q_p, *_ = np.linalg.lstsq(A, b, rcond=None)
    if np.linalg.norm(A @ q_p - b) > 1e-9 * max(1.0, float(np.linalg.norm(b))):
        raise SolverError(f"Constraints are inconsistent: ‖A q − b‖ = {np.linalg.norm(A @ q_p - b):.3g}")
    return N, q_p


@dataclass(frozen=True, eq=False)
class _Model:
    """The tissue ring's elements as flat arrays for fast internal-force evaluation."""

    asm: TissueAssembly
    rows: NDArray[np.float64]  # bundles, then per side contact (n), bracing (6)
    K_linear: NDArray[np.float64]  # the 6×6 springs (L5/S1, symphysis disc)
    n_bundles: int
    slices: Mapping[str, tuple[slice, slice]]  # per side: contact rows, bracing rows


def _model(asm: TissueAssembly) -> _Model:
    rows = [asm.bundle_rows]
    slices = {}
    start = len(asm.bundle_rows)
    for side in SIDES:
        c, br = asm.contact_rows[side], asm.bracing_rows[side]
        rows += [c, br]
        slices[side] = (slice(start, start + len(c)), slice(start + len(c), start + len(c) + len(br)))
        start += len(c) + len(br)
    K = np.zeros((N_DOF, N_DOF))
    for _, a, b, T, Ks in asm.springs:
        B = spring_operator(a, b, np.asarray(T, dtype=float))
        K += B.T @ Ks @ B
    return _Model(asm, np.vstack(rows), K, len(asm.bundle_rows), MappingProxyType(slices))


@dataclass
class _State:
    """Element tensions (change from neutral) and tangents at ``q``, and each SIJ's compression."""

    T: NDArray[np.float64]
    k: NDArray[np.float64]
    compression: dict[str, float]
    compression_gradient: dict[str, NDArray[np.float64]]
    shear_force_per_factor: dict[str, NDArray[np.float64]]


def _forces(model: _Model, q: NDArray, factors: Mapping[str, float], nonlinear: bool) -> _State:
    asm = model.asm
    b = asm.bundles
    delta = model.rows @ q
    T = np.empty_like(delta)
    k = np.empty_like(delta)
    nb = model.n_bundles
    if nonlinear:
        strain0 = asm.options.reference_strain
        strain = strain0 + b.series_share * delta[:nb] / b.slack_length_mm
        scale = asm.bundle_side_factor
        f0 = bundle_force_n(strain0, b.stiffness_per_strain_n)
        T[:nb] = scale * (bundle_force_n(strain, b.stiffness_per_strain_n) - f0)
        k[:nb] = scale * bundle_tangent_n(strain, b.stiffness_per_strain_n) * b.series_share / b.slack_length_mm
    else:
        T[:nb] = asm.bundle_tangent * delta[:nb]
        k[:nb] = asm.bundle_tangent
    compression, gradient, shear = {}, {}, {}
    for side in SIDES:
        cs, bs = model.slices[side]
        n = cs.stop - cs.start
        kc = asm.contact_k[side]
        if nonlinear:
            c0 = asm.resting_compression_n[side] / n
            C = np.maximum(c0 - kc * delta[cs], 0.0)
            T[cs] = c0 - C
            k[cs] = np.where(C > 0.0, kc, 0.0)
        else:
            T[cs] = kc * delta[cs]
            k[cs] = kc
        kb = np.array(asm.bracing_k[side], dtype=float)
        shear_rows = slice(bs.start, bs.start + SHEAR_BRACING_ROWS)
        normal_rows = slice(bs.stop - 1, bs.stop)  # the bracing's opening at the joint centre
        shear[side] = kb[:SHEAR_BRACING_ROWS] * delta[shear_rows]
        kb[:SHEAR_BRACING_ROWS] *= factors[side]
        T[bs] = kb * delta[bs]
        k[bs] = kb
        compression[side] = asm.resting_compression_n[side] - float(T[cs].sum() + T[normal_rows].sum())
        gradient[side] = -(model.rows[cs].T @ k[cs] + model.rows[normal_rows].T @ k[normal_rows])
    return _State(T, k, compression, gradient, shear)


def solve(anatomy: Anatomy, loads: ArrayLike | Iterable[PointLoad | Wrench], constraints: Constraints,
          options: TissueOptions = TissueOptions(), *, nonlinear: bool = False, closure_gain: float = 0.0,
          tol: float = 1e-10, max_iterations: int = 60) -> TissueSolution:
    """Equilibrium of the tissue ring of ``anatomy`` under ``loads`` (24,) and ``constraints``.

    Parameters
    ----------
    anatomy : Anatomy
    loads : ndarray (24,) or iterable of PointLoad / Wrench
    constraints : Constraints
        Must remove the rigid-body modes of all four bodies (e.g. hold the sacrum: the L5 then
        hangs on its L5/S1 segment and iliolumbar ligaments).
    options : TissueOptions
        Stiffness choices; ``options.l5`` is ignored here (hold the L5 with :func:`hold` instead).
    nonlinear : bool
        Tension-only ligaments and compression-only contact (see the module docstring).
    closure_gain : float
        0 = closure off; 1 = the documented law (:func:`pelvisim.tissue.closure.closure_factor`).
        Any value > 0 makes the solve nonlinear.

    Raises
    ------
    SolverError
        When the constrained ring is a mechanism or Newton's method does not converge.
    """
    f = np.asarray(loads, dtype=float) if isinstance(loads, np.ndarray) else load_vector(loads)
    if f.shape != (N_DOF,):
        raise ParameterError(f"Expected a load vector of shape ({N_DOF},), got {f.shape}")
    if not (math.isfinite(closure_gain) and closure_gain >= 0.0):
        raise ParameterError(f"closure_gain must be a finite number >= 0, got {closure_gain!r}")
    asm = assemble(anatomy, options)
    model = _model(asm)
    N, q_p = _constrained_basis(constraints)
    nonlinear = nonlinear or closure_gain > 0.0
    factors = {side: 1.0 for side in SIDES}
    q = q_p.copy()
    scale = max(float(np.linalg.norm(f)), 1.0)
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        st = _forces(model, q, factors, nonlinear)
        r = N.T @ (model.rows.T @ st.T + model.K_linear @ q - f)
        J = model.rows.T @ (st.k[:, None] * model.rows) + model.K_linear
        if closure_gain > 0.0:
            for side in SIDES:
                resting = asm.resting_compression_n[side]
                if factors[side] > FORM_CLOSURE_FLOOR:  # d(factor)/dN = gain / N_rest above the floor
                    _, bs = model.slices[side]
                    shear_rows = model.rows[bs.start: bs.start + SHEAR_BRACING_ROWS]
                    J = J + np.outer(shear_rows.T @ st.shear_force_per_factor[side], st.compression_gradient[side]) \
                        * (closure_gain / resting)
        Jr = N.T @ J @ N
        if iterations == 1 and (not np.all(np.isfinite(Jr)) or np.linalg.cond(Jr) > 1e13):
            raise SolverError(f"The constrained tissue ring is a mechanism: expected constraints removing the "
                              f"rigid-body modes of all four bodies, got {constraints.matrix.shape[0]} rows")
        try:
            step = np.linalg.solve(Jr, -r)
        except np.linalg.LinAlgError:
            raise SolverError("The constrained tissue ring is a mechanism (singular stiffness)") from None
        q = q + N @ step
        if closure_gain > 0.0:
            st = _forces(model, q, factors, nonlinear)
            factors = {side: closure_factor(st.compression[side], asm.resting_compression_n[side], closure_gain)
                       for side in SIDES}
        if not nonlinear:
            break
        if np.linalg.norm(r) / scale < tol and np.linalg.norm(step) < 1e-12 * max(1.0, float(np.linalg.norm(q))) + 1e-14:
            break
    else:
        raise SolverError(f"Tissue solve did not converge in {max_iterations} iterations "
                          f"(residual {np.linalg.norm(r) / scale:.3g})")
    st = _forces(model, q, factors, nonlinear)
    compression = st.compression
    out = model.rows.T @ st.T + model.K_linear @ q - f
    A = constraints.matrix
    carried = A.T @ (np.linalg.pinv(A.T) @ out) if A.shape[0] else np.zeros(N_DOF)
    residual = float(np.linalg.norm(out - carried)) / max(float(np.linalg.norm(f)), float(np.linalg.norm(carried)), 1e-300)
    method = "linear (tissue at neutral)" if not nonlinear else (
        "nonlinear: tension-only ligaments, compression-only contact" + (", closure" if closure_gain > 0 else ""))
    return TissueSolution(q=q, compression_n=MappingProxyType(compression), closure_factor=MappingProxyType(dict(factors)),
                          residual=residual, iterations=iterations, method=method)
