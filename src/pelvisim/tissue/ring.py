"""The pelvic ring with its soft tissue: joint-surface contact, surface bracing, ligaments and the L5.

Each sacroiliac joint (SIJ) is no longer one lumped spring: it is

- **contact**: compression-only springs over the sampled auricular surface, across the joint,
  with the stiffness of its cartilage layers (Young's modulus :data:`CARTILAGE_MODULUS_MPA` over
  the thickness :data:`CARTILAGE_THICKNESS_MM`);
- **bracing**: a linear spring at the joint centre, in joint axes (turning, sliding and opening) —
  the form closure of the interlocking ridges and coarse cartilage and the resting force closure
  of a living joint (Vleeming 1990; Snijders 1993). Its stiffness, :data:`BRACING_SCALE` × the
  lumped ring's in-vivo SIJ (:data:`BRACING_STIFFNESS`), is the one calibrated number of the SIJs
  (docs/calibration.md); with closure on its turning and sliding follow the compression across
  the joint (:mod:`pelvisim.tissue.closure`);
- **ligaments**: the fibre bundles of :mod:`pelvisim.tissue.ligaments` (anterior sacroiliac,
  interosseous, long dorsal sacroiliac, sacrotuberous, sacrospinous).

The pubic symphysis is the interpubic disc block plus the superior and arcuate pubic ligaments,
both in series with the pubic rami (:data:`pelvisim.mechanics.ANTERIOR_ARC_SCALE`). The L5 sits on
the sacrum through the L5/S1 motion segment (:data:`LUMBOSACRAL_STIFFNESS`) and is tied to each
ilium by the iliolumbar ligament.

Coordinates
-----------
The tissue ring has 24 coordinates: the twists of the sacrum, left and right innominate (the 18 of
:mod:`pelvisim.mechanics`, same convention) and of the L5. For the mechanics' solvers the L5 is
either **free** — eliminated by static condensation, exact for the linear ring, so the ring keeps
its 18 coordinates and the L5's motion is recovered afterwards — or **held** (the trunk above
holds it still; its six coordinates are zero).

Every element depends on the bones' relative motion only, so a rigid motion of all four bodies
strains nothing (tested).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pelvisim import frames, mechanics
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.tissue.attachments import DEFAULT_AURICULAR_AREA_MM2, find_attachments
from pelvisim.tissue.ligaments import BODIES, REFERENCE_STRAIN, Bundles, bundle_tangent_n, ligament_bundles

N_BODIES = len(BODIES)
N_DOF = 6 * N_BODIES
L5 = BODIES.index("l5")
SACRUM = BODIES.index("sacrum")

CARTILAGE_MODULUS_MPA = 10.0
"""Young's modulus of SIJ cartilage, 10 MPa (BMC Musculoskelet Disord 2021 Table 1) [V]."""
CARTILAGE_THICKNESS_MM = 5.0
"""Both cartilage layers together: iliac fibrocartilage ≈ 1 mm plus sacral hyaline cartilage 3–5 mm
(radiology texts, e.g. clinicalpub 'The sacroiliac joint') [V; 1 + 4 mm used]."""

BRACING_SCALE = 1.0
"""Multiple of the lumped ring's in-vivo SIJ stiffness that each joint's bracing carries.

The living SIJ is far stiffer than its cartilage and ligaments alone: its surfaces are held
together by interlocking ridges and grooves, coarse cartilage and a preload (form and force
closure; Vleeming 1990; Snijders 1993). pelvisim gives each SIJ, besides its cartilage contact and
its ligaments, a linear "bracing" spring at the joint centre, in joint axes, of ``BRACING_SCALE``
× :data:`BRACING_STIFFNESS` — the lumped ring's in-vivo SIJ stiffness (Miller 1987's cadaver
values × :data:`pelvisim.mechanics.SIJ_IN_VIVO_SCALE`), which keeps the measured proportions of
turning to sliding: Miller's joints turn stiffly but slide easily, as a surface layer bonded over
the ≈ 25 mm auricular surface would not (a layer's sliding stiffness, relative to its turning,
would be some 17× Miller's; the joint's translation in walking then ≈ 0.02 mm, an order below
the typical 0.3–0.9 mm of Jacob & Kissling 1995, and the stance innominate tilting about its
ASIS–PSIS line, a "superior pubic shear" in normal walking).

Not recalibrated: the calibration of the lumped ring (its × 18, chosen so that single-leg stance
gives 0.3–0.7° of total SIJ rotation, Kibsgård 2014, and walking at most 0.5° per side) carries
over; the ligaments and cartilage add a few percent of stiffness (single-leg stance and walking
within 5 % of the lumped ring on both test pelves, docs/calibration.md, which also tabulates how
much of each joint's stiffness is bracing, cartilage and ligament).
"""

BRACING_STIFFNESS = mechanics.SIJ_CADAVER_STIFFNESS.scaled(mechanics.SIJ_IN_VIVO_SCALE)
"""The lumped ring's in-vivo SIJ (joint axes: x, y in the joint plane, z its normal)."""

SHEAR_BRACING_ROWS = 5
"""Each SIJ's bracing rows, in order: turning about the joint's x, y, z and sliding along its x, y
— the "shear" bracing that compression stiffens (:mod:`pelvisim.tissue.closure`): on the curved,
ridged auricular surface every turning slides the surfaces over each other somewhere (Vleeming
1990) — then, last, opening along the outward normal at the joint centre, which friction does not
resist."""


LUMBOSACRAL_STIFFNESS = mechanics.JointStiffness(
    # L5/S1 disc frame: x = anterior, y = up (S1 endplate normal), z = right.
    # Miller 1986 (J Biomech 19:79), lumbar motion segments under large loads: 6–11 N·m/° for the
    # moments; the midpoint 8.5 N·m/° is used about every axis [D].
    rotational_nmm_per_rad=(8.5 * mechanics.NMM_PER_RAD_PER_NM_PER_DEG,) * 3,
    # shear 53–140 N/mm (Miller 1986), midpoint ≈ 97 N/mm [D]; axial compression 1500 N/mm
    # [U: textbook order of magnitude for a lumbar disc, not in the project reference].
    translational_n_per_mm=(97.0, 1500.0, 97.0),
)
"""The L5/S1 motion segment (disc and facets) as one spring at the disc centre."""


# --------------------------------------------------------------------------------------------
# Elements
# --------------------------------------------------------------------------------------------


def axial_rows(body_a: ArrayLike, body_b: ArrayLike, points: ArrayLike, directions: ArrayLike) -> NDArray[np.float64]:
    """Rows (m, 24): coordinates -> displacement of body b relative to body a along each direction.

    A point ``p`` of a body with twist ``[w, v]`` moves by ``v + w × p``, so its displacement along
    ``d`` is ``[p × d, d] · [w, v]``. For a straight element between ``p_a`` and ``p_b = p_a + L·d``
    the elongation is the same whichever point of its line is used (``(p_b − p_a) × d = 0``), so
    the start point serves for both ends.
    """
    a, b = np.atleast_1d(np.asarray(body_a, dtype=int)), np.atleast_1d(np.asarray(body_b, dtype=int))
    P, D = np.atleast_2d(np.asarray(points, dtype=float)), np.atleast_2d(np.asarray(directions, dtype=float))
    block = np.hstack([np.cross(P, D), D])
    rows = np.zeros((len(P), N_DOF))
    for k in range(len(P)):
        rows[k, 6 * b[k]: 6 * b[k] + 6] += block[k]
        rows[k, 6 * a[k]: 6 * a[k] + 6] -= block[k]
    return rows


def spring_operator(body_a: int, body_b: int, T_pelvis_joint: NDArray) -> NDArray[np.float64]:
    """``B`` (6, 24): coordinates -> relative twist of ``body_b`` on ``body_a`` at the joint, joint axes."""
    R, c = T_pelvis_joint[:3, :3], T_pelvis_joint[:3, 3]
    G = np.zeros((6, 6))
    G[:3, :3] = R.T
    G[3:, 3:] = R.T
    G[3:, :3] = -R.T @ frames.skew(c)
    B = np.zeros((6, N_DOF))
    B[:, 6 * body_b: 6 * body_b + 6] += G
    B[:, 6 * body_a: 6 * body_a + 6] -= G
    return B


def outward_normal(T_pelvis_sij: NDArray, side: str) -> NDArray[np.float64]:
    """Unit normal of the ``side`` SIJ pointing from the sacrum into the ilium.

    The joint frames are mirror-conjugate, so the frame's z points laterally on the right and
    medially on the left (see :meth:`pelvisim.mechanics.ClosureStiffening.factor`).
    """
    z = np.asarray(T_pelvis_sij, dtype=float)[:3, 2]
    return z if side == "right" else -z


@dataclass(frozen=True)
class TissueOptions:
    """Choices that change the tissue ring's stiffness.

    Attributes
    ----------
    stiffness_ratio : float
        Left SIJ ÷ right SIJ, applied to every SIJ tissue (contact, bracing, SIJ ligaments); the
        geometric mean stays at the default (as :func:`pelvisim.mechanics.ring_stiffness`).
    coupling_gain : float
        Gold 2014's compensation hypothesis (see :func:`pelvisim.mechanics.ring_stiffness`); default 0.
    bracing_scale : float
        Each SIJ's bracing as a multiple of the lumped ring's in-vivo SIJ stiffness (:data:`BRACING_SCALE`).
    reference_strain : float
        Ligament strain at neutral (:data:`pelvisim.tissue.ligaments.REFERENCE_STRAIN`).
    l5 : str
        ``"free"`` (condensed out) or ``"held"`` (the trunk holds it still).
    """

    stiffness_ratio: float = 1.0
    coupling_gain: float = 0.0
    bracing_scale: float = BRACING_SCALE
    reference_strain: float = REFERENCE_STRAIN
    l5: str = "free"

    def __post_init__(self) -> None:
        if self.l5 not in ("free", "held"):
            raise ParameterError(f"l5 must be 'free' or 'held', got {self.l5!r}")
        if not (math.isfinite(self.bracing_scale) and self.bracing_scale >= 0.0):
            raise ParameterError(f"bracing_scale must be a finite number >= 0, got {self.bracing_scale!r}")
        mechanics.ring_stiffness(self.stiffness_ratio, coupling_gain=self.coupling_gain)  # validates both

    def side_factors(self) -> dict[str, float]:
        """Multiplier of each side's SIJ tissue stiffness (ratio and compensation applied)."""
        s = mechanics.ring_stiffness(self.stiffness_ratio, coupling_gain=self.coupling_gain, in_vivo_scale=1.0)
        base = mechanics.SIJ_CADAVER_STIFFNESS.rotational_nmm_per_rad[0]
        return {"left": s.sij_left.rotational_nmm_per_rad[0] / base, "right": s.sij_right.rotational_nmm_per_rad[0] / base}


@dataclass(frozen=True, eq=False)
class TissueAssembly:
    """Every element of the tissue ring with its stiffness at neutral (24-coordinate system).

    Attributes
    ----------
    options : TissueOptions
    bundles : Bundles
    bundle_rows : ndarray (n_bundles, 24)
        Geometric elongation of each bundle's line per unit coordinate (the pubic bundles' own
        share is ``bundles.series_share`` of it).
    bundle_tangent : ndarray (n_bundles,)
        Stiffness (N/mm) along the bone-to-bone line at neutral (series share and side factor applied).
    bundle_side_factor : ndarray (n_bundles,)
        Left/right SIJ factor applied to each bundle's force (1 for non-SIJ ligaments).
    contact_points : Mapping[str, ndarray (n, 3)]
        Per side, auricular sample points.
    contact_rows : Mapping[str, ndarray (n, 24)]
        Per side, opening of the joint at each point (ilium away from sacrum; + = gapping).
    bracing_rows : Mapping[str, ndarray (6, 24)]
        Per side, motion of the ilium on the sacrum at the joint centre, joint axes: turning about
        x, y, z and sliding along x, y (:data:`SHEAR_BRACING_ROWS`), then opening along the outward
        normal (+ = gapping).
    contact_k : Mapping[str, float]
        Per side, stiffness of one contact point (N/mm).
    bracing_k : Mapping[str, ndarray (6,)]
        Per side, stiffness of each bracing row: N·mm/rad for the turning, N/mm for the rest.
    springs : tuple of (name, body_a, body_b, T_pelvis_joint, K (6, 6))
        The 6×6 springs: L5/S1 motion segment and the symphysis disc block (rami share applied).
    K : ndarray (24, 24)
        Stiffness at neutral.
    T_pelvis_sij : Mapping[str, ndarray (4, 4)]
    resting_compression_n : Mapping[str, float]
        Per side, compression across the joint from the ligaments' pretension at neutral.
    """

    options: TissueOptions
    bundles: Bundles
    bundle_rows: NDArray[np.float64]
    bundle_tangent: NDArray[np.float64]
    bundle_side_factor: NDArray[np.float64]
    contact_points: Mapping[str, NDArray[np.float64]]
    contact_rows: Mapping[str, NDArray[np.float64]]
    bracing_rows: Mapping[str, NDArray[np.float64]]
    contact_k: Mapping[str, float]
    bracing_k: Mapping[str, NDArray[np.float64]]
    springs: tuple
    K: NDArray[np.float64]
    T_pelvis_sij: Mapping[str, NDArray[np.float64]]
    resting_compression_n: Mapping[str, float]

    def sij_bundles(self, side: str) -> NDArray[np.int64]:
        """Rows of the bundles between the sacrum and the ``side`` innominate."""
        return np.flatnonzero(sij_bundle_mask(self.bundles)[side])


def sij_bundle_mask(bundles: Bundles) -> dict[str, NDArray[np.bool_]]:
    """Per side, which bundles join the sacrum to that innominate."""
    out = {}
    for side in SIDES:
        i = BODIES.index(f"innominate_{side}")
        out[side] = ((bundles.body_a == SACRUM) & (bundles.body_b == i)) | ((bundles.body_a == i) & (bundles.body_b == SACRUM))
    return out


def _auricular_area(anatomy: Anatomy, side: str) -> float:
    areas = [anatomy.landmarks[n].area_mm2 for n in (f"auricular_sacrum_{side}_centroid", f"auricular_innominate_{side}_centroid")
             if n in anatomy.landmarks and anatomy.landmarks[n].area_mm2]
    return float(np.mean(areas)) if areas else DEFAULT_AURICULAR_AREA_MM2


@lru_cache(maxsize=64)
def assemble(anatomy: Anatomy, options: TissueOptions = TissueOptions()) -> TissueAssembly:
    """Assemble the tissue ring of ``anatomy`` (cached per anatomy and options)."""
    at = find_attachments(anatomy)
    bundles = ligament_bundles(anatomy, options.reference_strain)
    factors = options.side_factors()
    masks = sij_bundle_mask(bundles)
    side_factor = np.ones(len(bundles))
    for side in SIDES:
        side_factor[masks[side]] = factors[side]
    rows = axial_rows(bundles.body_a, bundles.body_b, bundles.point_a, bundles.direction)
    strain0 = np.full(len(bundles), options.reference_strain)
    # d(force)/d(geometric elongation) = tangent per strain / slack length × series share
    tangent = bundle_tangent_n(strain0, bundles.stiffness_per_strain_n) / bundles.slack_length_mm
    tangent = tangent * bundles.series_share * side_factor
    K = rows.T @ (tangent[:, None] * rows)

    contact_points, contact_rows, bracing_rows, contact_k, bracing_k, T_sij, resting = {}, {}, {}, {}, {}, {}, {}
    pretension = bundles.forces_n(strain0) * side_factor
    for side in SIDES:
        ilium = BODIES.index(f"innominate_{side}")
        T = np.asarray(anatomy.joint_frame(f"sij_{side}"), dtype=float)
        T_sij[side] = T
        R = T[:3, :3]
        normal = outward_normal(T, side)
        P = at.auricular[side]
        n = len(P)
        sac, ili = np.full(n, SACRUM), np.full(n, ilium)
        contact_rows[side] = axial_rows(sac, ili, P, np.tile(normal, (n, 1)))
        layer = CARTILAGE_MODULUS_MPA * _auricular_area(anatomy, side) / CARTILAGE_THICKNESS_MM / n  # N/mm per point
        contact_k[side] = factors[side] * layer
        turning_sliding = spring_operator(SACRUM, ilium, T)[:SHEAR_BRACING_ROWS]  # rx, ry, rz, tx, ty
        opening = axial_rows(SACRUM, ilium, T[:3, 3], normal)  # tz at the joint centre, + = gapping
        bracing_rows[side] = np.vstack([turning_sliding, opening])
        bracing_k[side] = factors[side] * options.bracing_scale * np.diag(BRACING_STIFFNESS.matrix())
        contact_points[side] = P
        K = K + contact_k[side] * contact_rows[side].T @ contact_rows[side]
        K = K + bracing_rows[side].T @ (bracing_k[side][:, None] * bracing_rows[side])
        # compression across the joint from the ligaments' pretension at neutral: a bundle pulls
        # its ilium end toward its sacral end
        d = bundles.direction[masks[side]]
        toward_ilium = np.where(bundles.body_a[masks[side]] == SACRUM, 1.0, -1.0)[:, None] * d
        resting[side] = float(np.sum(pretension[masks[side]] * (toward_ilium @ normal)))

    springs = (
        ("lumbosacral", SACRUM, L5, at.l5.T_pelvis_disc, LUMBOSACRAL_STIFFNESS.matrix()),
        ("symphysis_disc", BODIES.index("innominate_left"), BODIES.index("innominate_right"),
         np.asarray(anatomy.joint_frame("symphysis"), dtype=float),
         mechanics.SYMPHYSIS_DISC_STIFFNESS.scaled(mechanics.ANTERIOR_ARC_SCALE).matrix()),
    )
    for _, a, b, T, Ks in springs:
        B = spring_operator(a, b, np.asarray(T, dtype=float))
        K = K + B.T @ Ks @ B
    K = 0.5 * (K + K.T)
    for A in (rows, tangent, side_factor, K):
        A.setflags(write=False)
    return TissueAssembly(options=options, bundles=bundles, bundle_rows=rows, bundle_tangent=tangent,
                          bundle_side_factor=side_factor, contact_points=MappingProxyType(contact_points),
                          contact_rows=MappingProxyType(contact_rows), bracing_rows=MappingProxyType(bracing_rows),
                          contact_k=MappingProxyType(contact_k), bracing_k=MappingProxyType(bracing_k), springs=springs,
                          K=K, T_pelvis_sij=MappingProxyType(T_sij), resting_compression_n=MappingProxyType(resting))


# --------------------------------------------------------------------------------------------
# The ring the mechanics' solvers see (18 coordinates)
# --------------------------------------------------------------------------------------------


def relative_stiffness_at_joint(rows: NDArray, k: ArrayLike, body_a: int, body_b: int, T_joint: NDArray
                                ) -> NDArray[np.float64]:
    """Equivalent 6×6 (joint axes) of elements that depend only on ``body_b``'s motion relative to ``body_a``.

    Each row is ``±(r on body_b, −r on body_a)``; the sign does not matter in ``k r rᵀ``.
    """
    Rb, Ra = rows[:, 6 * body_b: 6 * body_b + 6], rows[:, 6 * body_a: 6 * body_a + 6]
    if not np.allclose(Rb, -Ra, atol=1e-9):
        raise ParameterError("tissue elements must depend on the bones' relative motion only")
    K_rel = Rb.T @ (np.asarray(k, dtype=float)[:, None] * Rb)
    G = spring_operator(0, 1, T_joint)[:, 6:12]
    G_inv = np.linalg.inv(G)
    K = G_inv.T @ K_rel @ G_inv
    return 0.5 * (K + K.T)


def sij_elements(asm: TissueAssembly, side: str) -> tuple[NDArray, NDArray]:
    """(rows, stiffness) of every element of the ``side`` SIJ: its ligaments, contact and bracing."""
    mask = sij_bundle_mask(asm.bundles)[side]
    rows = np.vstack([asm.bundle_rows[mask], asm.contact_rows[side], asm.bracing_rows[side]])
    k = np.concatenate([asm.bundle_tangent[mask], np.full(len(asm.contact_rows[side]), asm.contact_k[side]),
                        asm.bracing_k[side]])
    return rows, k


@dataclass(frozen=True, eq=False)
class TissueRing(mechanics.Ring):
    """A :class:`pelvisim.mechanics.Ring` whose joints are the soft tissue.

    ``springs`` are the tissue's equivalents at the joint frames (``sij_left``, ``sij_right``:
    contact, bracing and SIJ ligaments; ``symphysis``: disc block and pubic ligaments), so joint
    deformations and loads read as before; ``extra_stiffness`` (18, 18) adds the L5 (free:
    condensed; held: grounded) with its L5/S1 segment and iliolumbar ligaments.
    """

    extra_stiffness: NDArray[np.float64] = field(default_factory=lambda: np.zeros((18, 18)))
    assembly: TissueAssembly | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        E = np.array(self.extra_stiffness, dtype=float, copy=True)
        E.setflags(write=False)
        object.__setattr__(self, "extra_stiffness", E)
        K = np.array(self._K) + E  # type: ignore[attr-defined]
        K = 0.5 * (K + K.T)
        K.setflags(write=False)
        object.__setattr__(self, "_K", K)

    def strain_energy(self, q: ArrayLike) -> float:
        """Joint springs' energy plus the L5 part (a free L5 at its own equilibrium), N·mm."""
        q = np.asarray(q, dtype=float)
        return super().strain_energy(q) + 0.5 * float(q @ self.extra_stiffness @ q)


@lru_cache(maxsize=64)
def tissue_ring(anatomy: Anatomy, options: TissueOptions = TissueOptions()) -> TissueRing:
    """The 18-coordinate :class:`TissueRing` of ``anatomy`` (cached)."""
    asm = assemble(anatomy, options)
    joint_springs = []
    for side in SIDES:
        ilium = BODIES.index(f"innominate_{side}")
        T = asm.T_pelvis_sij[side]
        rows, k = sij_elements(asm, side)
        K6 = relative_stiffness_at_joint(rows, k, SACRUM, ilium, T)
        joint_springs.append(mechanics.Spring(f"sij_{side}", "sacrum", f"innominate_{side}", T, K6))
    T_sym = np.asarray(anatomy.joint_frame("symphysis"), dtype=float)
    il, ir = BODIES.index("innominate_left"), BODIES.index("innominate_right")
    b = asm.bundles
    pubic = np.flatnonzero(((b.body_a == il) & (b.body_b == ir)) | ((b.body_a == ir) & (b.body_b == il)))
    K6_sym = relative_stiffness_at_joint(asm.bundle_rows[pubic], asm.bundle_tangent[pubic], il, ir, T_sym)
    sym_disc = next(s[4] for s in asm.springs if s[0] == "symphysis_disc")
    joint_springs.append(mechanics.Spring("symphysis", "innominate_left", "innominate_right", T_sym, K6_sym + sym_disc))
    K_joints = mechanics.Ring(tuple(joint_springs)).stiffness_matrix()
    K = asm.K
    if options.l5 == "held":
        extra = K[:18, :18] - K_joints
    else:
        Krl, Kll = K[:18, 18:], K[18:, 18:]
        extra = K[:18, :18] - Krl @ np.linalg.solve(Kll, Krl.T) - K_joints
    return TissueRing(tuple(joint_springs), extra_stiffness=0.5 * (extra + extra.T), assembly=asm)


@dataclass(frozen=True, eq=False)
class Condensation:
    """The free L5 eliminated from the 24-coordinate system.

    ``q_l5 = l5_from_ring @ q_ring + l5_compliance @ f_l5``; the ring's loads become
    ``f_ring + load_transfer @ f_l5``.
    """

    l5_from_ring: NDArray[np.float64]
    l5_compliance: NDArray[np.float64]
    load_transfer: NDArray[np.float64]


@lru_cache(maxsize=64)
def condensation(anatomy: Anatomy, options: TissueOptions = TissueOptions()) -> Condensation:
    """How the free L5 follows the ring and where loads on the L5 go (see :class:`Condensation`)."""
    K = assemble(anatomy, options).K
    Krl, Kll = K[:18, 18:], K[18:, 18:]
    Kll_inv = np.linalg.inv(Kll)
    return Condensation(l5_from_ring=-Kll_inv @ Krl.T, l5_compliance=Kll_inv, load_transfer=-Krl @ Kll_inv)
