"""Ligaments of the pelvic ring as tension-only fibre bundles with a toe region.

Each ligament is a few straight fibre bundles between its footprints
(:mod:`pelvisim.tissue.attachments`); its published stiffness is shared equally by its bundles
(springs in parallel). A bundle's force follows the toe-region law of Blankevoort & Huiskes 1991
(:func:`bundle_force_n`): zero when slack, quadratic in the toe region, linear beyond it.

Units: mm, N. Strain is ``(length − slack length) / slack length`` (dimensionless; shown in %).

Sources of the numbers (reference/BIOMECHANICS.md §6 and §9):

- stiffness per ligament (N/mm): the finite-element pelvis of Phillips et al. 2007 (Med Eng Phys
  29:739), as tabulated in BMC Musculoskelet Disord 2021, s12891-021-04856-8, Table 1 [V];
- toe region: Blankevoort & Huiskes 1991 (J Biomech Eng 113:263), toe up to 2·ε_l with
  ε_l = 0.03 [U: the widely used value; not re-read here];
- reference (neutral) strain: see :data:`REFERENCE_STRAIN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.tissue.attachments import Attachments, find_attachments

TOE_STRAIN = 0.06
"""End of the toe region, 2·ε_l with ε_l = 0.03 (Blankevoort & Huiskes 1991) [U]."""

REFERENCE_STRAIN = 0.02
"""Strain of every bundle at neutral: a third of the way up the toe region, so each bundle is
taut (a ligament pretension; Heyland 2025, Med Biol Eng Comput: pretension dominates SIJ models)
and its stiffness at neutral is a third of its linear stiffness. A teaching choice [U]: no in-vivo
strain of the pelvic ligaments has been measured, so absolute forces depend on it — changes of
strain and force between poses are what the model predicts."""

BODIES = ("sacrum", "innominate_left", "innominate_right", "l5")
"""Bodies the tissue connects, in the order of the tissue ring's coordinates (the three ring
bones of :data:`pelvisim.mechanics.BODIES`, then the L5)."""


@dataclass(frozen=True)
class LigamentSpec:
    """One ligament type (per side, except the midline pubic ligaments).

    Attributes
    ----------
    name : str
        e.g. ``"sacrotuberous"``.
    label : str
        Plain words for tables.
    stiffness_n_per_mm : float
        Whole-ligament linear stiffness (all its bundles together).
    ends : tuple of str
        Footprint ends (``sacrum``, ``ilium``, ``l5``) in the order bundle start → end.
    tightened_by : str
        What stretches it, in clinical words (for the legend and the docs).
    source : str
    """

    name: str
    label: str
    stiffness_n_per_mm: float
    ends: tuple[str, str]
    tightened_by: str
    source: str = "Phillips 2007 (Med Eng Phys 29:739), tabulated in BMC Musculoskelet Disord 2021 Table 1"


LIGAMENTS: Mapping[str, LigamentSpec] = MappingProxyType({spec.name: spec for spec in (
    LigamentSpec("anterior_sacroiliac", "Anterior sacroiliac", 700.0, ("sacrum", "ilium"),
                 "gapping of the joint in front"),
    LigamentSpec("interosseous", "Interosseous sacroiliac", 2800.0, ("sacrum", "ilium"),
                 "the ilium pulled away from the sacrum"),
    LigamentSpec("long_dorsal_sacroiliac", "Long dorsal sacroiliac", 1000.0, ("ilium", "sacrum"),
                 "counternutation (Vleeming 1996)"),
    LigamentSpec("sacrotuberous", "Sacrotuberous", 1500.0, ("sacrum", "ilium"),
                 "nutation; biceps femoris and gluteus maximus pull (Vleeming 1989)"),
    LigamentSpec("sacrospinous", "Sacrospinous", 1400.0, ("sacrum", "ilium"), "nutation"),
    LigamentSpec("iliolumbar", "Iliolumbar (L5 to ilium)", 1000.0, ("ilium", "l5"),
                 "L5 moving on the sacrum; side bending"),
    LigamentSpec("superior_pubic", "Superior pubic", 500.0, ("right", "left"), "the pubes pulled apart at the top"),
    LigamentSpec("arcuate_pubic", "Arcuate pubic", 500.0, ("right", "left"), "the pubes pulled apart below"),
)})
"""The ligaments modelled, with their whole-ligament stiffness (N/mm) and what tightens them."""

MIDLINE = ("superior_pubic", "arcuate_pubic")


def ligament_names() -> tuple[str, ...]:
    """Every ligament instance: ``<name>_left``, ``<name>_right`` and the midline pubic ones."""
    out = []
    for name in LIGAMENTS:
        out += [name] if name in MIDLINE else [f"{name}_{side}" for side in SIDES]
    return tuple(out)


def bundle_force_n(strain: ArrayLike, stiffness_per_strain_n: ArrayLike, toe_strain: float = TOE_STRAIN
                   ) -> NDArray[np.float64]:
    """Tension (N) of fibre bundles at ``strain`` (Blankevoort & Huiskes 1991 toe-region law).

    ``f = 0`` for ε ≤ 0 (slack); ``f = k·ε² / (2·ε_t)`` for 0 < ε ≤ ε_t (toe);
    ``f = k·(ε − ε_t / 2)`` for ε > ε_t (linear), with ``k`` the stiffness per unit strain
    (N; linear stiffness N/mm × slack length mm) and ``ε_t`` the toe strain. Force and slope are
    continuous at ε_t.
    """
    e = np.asarray(strain, dtype=float)
    k = np.asarray(stiffness_per_strain_n, dtype=float)
    return np.where(e <= 0.0, 0.0, np.where(e <= toe_strain, k * e * e / (2.0 * toe_strain), k * (e - 0.5 * toe_strain)))


def bundle_tangent_n(strain: ArrayLike, stiffness_per_strain_n: ArrayLike, toe_strain: float = TOE_STRAIN
                     ) -> NDArray[np.float64]:
    """d(force)/d(strain) of :func:`bundle_force_n` (N per unit strain)."""
    e = np.asarray(strain, dtype=float)
    k = np.asarray(stiffness_per_strain_n, dtype=float)
    return np.where(e <= 0.0, 0.0, np.where(e <= toe_strain, k * e / toe_strain, k))


@dataclass(frozen=True, eq=False)
class Bundles:
    """Every fibre bundle of every ligament, as arrays (one row per bundle).

    Attributes
    ----------
    ligament : tuple of str
        Ligament instance of each bundle (``"sacrotuberous_right"``).
    body_a, body_b : ndarray of int
        Indices into :data:`BODIES` of the bundle's two ends.
    point_a, point_b : ndarray (n, 3)
        Attachment points at neutral (pelvic frame, mm).
    slack_length_mm : ndarray (n,)
    stiffness_per_strain_n : ndarray (n,)
        Linear stiffness × slack length (N per unit strain).
    series_share : ndarray (n,)
        Share of the bones' relative displacement the bundle itself takes: 1, except for the pubic
        ligaments, which sit in series with the pubic rami (:data:`pelvisim.mechanics.ANTERIOR_ARC_SCALE`).
    """

    ligament: tuple[str, ...]
    body_a: NDArray[np.int64]
    body_b: NDArray[np.int64]
    point_a: NDArray[np.float64]
    point_b: NDArray[np.float64]
    slack_length_mm: NDArray[np.float64]
    stiffness_per_strain_n: NDArray[np.float64]
    series_share: NDArray[np.float64]

    def __post_init__(self) -> None:
        for name in ("body_a", "body_b", "point_a", "point_b", "slack_length_mm", "stiffness_per_strain_n", "series_share"):
            a = np.array(getattr(self, name), copy=True)
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    def __len__(self) -> int:
        return len(self.ligament)

    @property
    def neutral_length_mm(self) -> NDArray[np.float64]:
        """Bundle lengths at neutral."""
        return np.linalg.norm(self.point_b - self.point_a, axis=1)

    @property
    def direction(self) -> NDArray[np.float64]:
        """Unit vectors from end a to end b at neutral (n, 3)."""
        d = self.point_b - self.point_a
        return d / np.linalg.norm(d, axis=1, keepdims=True)

    def indices(self, ligament: str) -> NDArray[np.int64]:
        """Rows of the bundles of ``ligament``."""
        rows = np.flatnonzero(np.array(self.ligament) == ligament)
        if not len(rows):
            raise ParameterError(f"Expected a ligament among {sorted(set(self.ligament))}, got {ligament!r}")
        return rows

    def lengths_mm(self, T_pelvis: Mapping[str, NDArray]) -> NDArray[np.float64]:
        """Exact bundle lengths with each body moved by ``T_pelvis[body]`` (identity if missing)."""
        a = _moved(self.point_a, self.body_a, T_pelvis)
        b = _moved(self.point_b, self.body_b, T_pelvis)
        return np.linalg.norm(b - a, axis=1)

    def strain_from_lengths(self, lengths_mm: ArrayLike) -> NDArray[np.float64]:
        """Bundle strain from geometric lengths (n,) or (n, m); each bundle takes its series share of the change."""
        L = np.asarray(lengths_mm, dtype=float)
        shape = (-1,) + (1,) * (L.ndim - 1)
        neutral = self.neutral_length_mm.reshape(shape)
        slack = self.slack_length_mm.reshape(shape)
        own = neutral + self.series_share.reshape(shape) * (L - neutral)
        return (own - slack) / slack

    def forces_n(self, strain: ArrayLike) -> NDArray[np.float64]:
        """Bundle tensions at ``strain`` (n,) or (n, m)."""
        k = self.stiffness_per_strain_n
        e = np.asarray(strain, dtype=float)
        return bundle_force_n(e, k[:, None] if e.ndim > 1 else k)


def _moved(points: NDArray, bodies: NDArray, T_pelvis: Mapping[str, NDArray]) -> NDArray[np.float64]:
    out = np.array(points, dtype=float, copy=True)
    for i, body in enumerate(BODIES):
        rows = bodies == i
        if rows.any() and body in T_pelvis:
            T = np.asarray(T_pelvis[body])
            out[rows] = points[rows] @ T[:3, :3].T + T[:3, 3]
    return out


def _end_body(end: str, side: str) -> str:
    return {"sacrum": "sacrum", "ilium": f"innominate_{side}", "l5": "l5", "right": "innominate_right",
            "left": "innominate_left"}[end]


@lru_cache(maxsize=16)
def ligament_bundles(anatomy: Anatomy, reference_strain: float = REFERENCE_STRAIN) -> Bundles:
    """The fibre bundles of every ligament of ``anatomy`` (footprints paired point by point).

    Parameters
    ----------
    anatomy : Anatomy
    reference_strain : float
        Strain of every bundle at neutral (default :data:`REFERENCE_STRAIN`); slack length =
        neutral length / (1 + reference strain).
    """
    from pelvisim.mechanics import ANTERIOR_ARC_SCALE

    if not (np.isfinite(reference_strain) and -0.5 < reference_strain < 0.5):
        raise ParameterError(f"reference_strain must be a number between -0.5 and 0.5, got {reference_strain!r}")
    at: Attachments = find_attachments(anatomy)
    rows: dict[str, list] = {k: [] for k in ("ligament", "a", "b", "pa", "pb", "k", "share")}
    for spec in LIGAMENTS.values():
        instances = [(spec.name, None)] if spec.name in MIDLINE else [(f"{spec.name}_{s}", s) for s in SIDES]
        for instance, side in instances:
            if side is None:
                ends = [at.footprint(f"{spec.name}.{end}") for end in spec.ends]
                bodies = [_end_body(end, "") for end in spec.ends]
                share = ANTERIOR_ARC_SCALE
            else:
                ends = [at.footprint(f"{instance}.{end}") for end in spec.ends]
                bodies = [_end_body(end, side) for end in spec.ends]
                share = 1.0
            A, B = ends[0].points_mm, ends[1].points_mm
            if len(A) != len(B):
                raise ParameterError(f"ligament {instance}: footprints have {len(A)} and {len(B)} points")
            for pa, pb in zip(A, B):
                rows["ligament"].append(instance)
                rows["a"].append(BODIES.index(bodies[0]))
                rows["b"].append(BODIES.index(bodies[1]))
                rows["pa"].append(pa)
                rows["pb"].append(pb)
                rows["k"].append(spec.stiffness_n_per_mm / len(A))
                rows["share"].append(share)
    pa, pb = np.array(rows["pa"]), np.array(rows["pb"])
    slack = np.linalg.norm(pb - pa, axis=1) / (1.0 + reference_strain)
    return Bundles(ligament=tuple(rows["ligament"]), body_a=np.array(rows["a"]), body_b=np.array(rows["b"]),
                   point_a=pa, point_b=pb, slack_length_mm=slack,
                   stiffness_per_strain_n=np.array(rows["k"]) * slack, series_share=np.array(rows["share"]))
