"""What the soft tissue reads at a pose: each ligament's strain and force, each muscle's force.

Ligament strain is measured from the bones' true-scale pose (exact bundle lengths between the
moved attachment points), so it is the same for every model — a kinematic model's prescribed
motion stretches the ligaments just as the ring mechanics do — and display magnification never
reaches it. Force follows each bundle's law (:func:`pelvisim.tissue.ligaments.bundle_force_n`),
scaled by the model's left/right SIJ stiffness. Reference frame: strain is relative to each
bundle's slack length; at neutral every bundle reads its reference strain
(:data:`pelvisim.tissue.ligaments.REFERENCE_STRAIN`).

:func:`describe_entries` is the ``"ligaments"`` / ``"muscles"`` part of ``describe --json``;
:func:`table_columns` the columns of the ``export`` table.
"""

from __future__ import annotations


from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pelvisim import mechanics
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.pose import JointState
from pelvisim.tissue.ligaments import LIGAMENTS, MIDLINE, ligament_names
from pelvisim.tissue.muscles import MUSCLES, muscle_names
from pelvisim.tissue.ring import TissueOptions, assemble


@dataclass(frozen=True)
class LigamentReading:
    """One ligament at one pose.

    Attributes
    ----------
    strain_percent : float
        Mean tensile strain of its bundles, % of slack length (a bundle shorter than its slack
        length counts 0: a slack ligament is not compressed).
    max_strain_percent : float
        Tensile strain of its most stretched bundle, %.
    force_n : float
        Total tension of its bundles, N.
    slack_bundles : int
        Bundles at or below their slack length (carrying nothing).
    bundle_strain_percent : tuple of float
        Each bundle's strain, % (negative = shorter than its slack length).
    """

    strain_percent: float
    max_strain_percent: float
    force_n: float
    slack_bundles: int
    bundle_strain_percent: tuple[float, ...]


def compression_text(force_n: float) -> str:
    """One SIJ's load across the joint in words: ``"138 N"`` pressed together, or ``"38 N pulling
    apart"`` when the model's joint spring is in tension (a negative compression, which a student
    would otherwise read as a typo).

    >>> compression_text(138.2), compression_text(-38.4), compression_text(-0.2)
    ('138 N', '38 N pulling apart', '0 N')
    """
    value = float(force_n)
    if value <= -0.5:  # rounds to at least 1 N of tension
        return f"{-value:.0f} N pulling apart"
    return f"{max(value, 0.0):.0f} N"


def options_from_values(values: Mapping[str, Any]) -> TissueOptions:
    """Tissue options from a model's values (left/right ratio and compensation when it has them)."""
    from pelvisim.ring_models import tissue_options

    return tissue_options(float(values.get("stiffness_ratio", 1.0)), float(values.get("coupling_gain", 0.0)))


def bundle_strains(anatomy: Anatomy, T_pelvis: Mapping[str, NDArray], options: TissueOptions = TissueOptions()
                   ) -> NDArray[np.float64]:
    """Strain (dimensionless) of every bundle with the bodies at ``T_pelvis`` (the L5 under key ``l5``)."""
    b = assemble(anatomy, options).bundles
    return b.strain_from_lengths(b.lengths_mm(T_pelvis))


def ligament_readings(anatomy: Anatomy, T_pelvis: Mapping[str, NDArray], options: TissueOptions = TissueOptions()
                      ) -> dict[str, LigamentReading]:
    """Every ligament's reading with the bodies at ``T_pelvis`` (see the module docstring)."""
    asm = assemble(anatomy, options)
    b = asm.bundles
    strain = b.strain_from_lengths(b.lengths_mm(T_pelvis))
    force = b.forces_n(strain) * asm.bundle_side_factor
    names = np.array(b.ligament)
    out = {}
    for name in ligament_names():
        rows = names == name
        s = strain[rows]
        tensile = np.maximum(s, 0.0)
        out[name] = LigamentReading(strain_percent=100.0 * float(tensile.mean()), max_strain_percent=100.0 * float(tensile.max()),
                                    force_n=float(force[rows].sum()), slack_bundles=int(np.sum(s <= 0.0)),
                                    bundle_strain_percent=tuple(float(x) for x in 100.0 * s))
    return out


def sij_compression(anatomy: Anatomy, options: TissueOptions, q: NDArray) -> dict[str, float]:
    """Compression across each SIJ (N) at coordinates ``q`` (24,), linear elements at rest."""
    asm = assemble(anatomy, options)
    out = {}
    for side in SIDES:
        contact = asm.contact_k[side] * float(np.sum(asm.contact_rows[side] @ q))
        bracing = asm.bracing_k[side][-1] * float(asm.bracing_rows[side][-1] @ q)  # its opening at the joint centre
        out[side] = asm.resting_compression_n[side] - contact - bracing
    return out


def T_pelvis_with_l5(state: JointState, T_pelvis_l5: NDArray | None = None) -> dict[str, NDArray]:
    """The ring bones of ``state`` plus the L5 (default: moving with the sacrum)."""
    T = {b: np.asarray(state.T_pelvis[b]) for b in mechanics.BODIES}
    T["l5"] = np.asarray(state.T_pelvis["sacrum"]) if T_pelvis_l5 is None else np.asarray(T_pelvis_l5)
    return T


def describe_entries(anatomy: Anatomy, model: str, values: Mapping[str, Any], phase: float, state: JointState
                     ) -> dict[str, Any]:
    """``{"ligaments": {...}, "muscles": {...}, "sij_compression_n": {...}}`` for ``describe --json``.

    Ligaments: per instance, ``strain_percent`` (mean tensile strain of its bundles, % of slack length; 0 when slack),
    ``max_strain_percent``, ``force_n`` (total tension), ``slack_bundles``, ``tightened_by``;
    muscles: per instance, ``force_n`` (0 when not pulling).
    """
    from pelvisim.models import get_model
    from pelvisim.tissue.models import tissue_state

    values = get_model(model).resolve(values)
    tissue = tissue_state(anatomy, model, values, phase, state)
    readings = ligament_readings(anatomy, T_pelvis_with_l5(state, tissue.T_pelvis_l5), options_from_values(values))
    ligaments = {}
    for name, r in readings.items():
        spec = LIGAMENTS[name if name in MIDLINE else name.rsplit("_", 1)[0]]
        ligaments[name] = {"strain_percent": r.strain_percent, "max_strain_percent": r.max_strain_percent,
                           "force_n": r.force_n, "slack_bundles": r.slack_bundles, "tightened_by": spec.tightened_by}
    muscles = {name: {"force_n": float(tissue.muscle_forces_n.get(name, 0.0)),
                      "action": MUSCLES[name if name in MUSCLES else name.rsplit("_", 1)[0]].action}
               for name in muscle_names()}
    out: dict[str, Any] = {"ligaments": ligaments, "muscles": muscles}
    if tissue.compression_n:
        out["sij_compression_n"] = {side: float(v) for side, v in tissue.compression_n.items()}
    return out


def side_table_rows(entries: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(what, value)`` rows for the app's side table from :func:`describe_entries`.

    Every ligament (strain in % of its slack length and tension), then each muscle that pulls, then
    the compression across each SIJ when the model solves the ring.
    """
    rows: list[tuple[str, str]] = []
    for name, e in entries["ligaments"].items():
        label = name.replace("_left", " (L)").replace("_right", " (R)").replace("_", " ")
        slack = ", slack" if e["slack_bundles"] else ""
        rows.append((f"Ligament: {label}", f"strain {e['strain_percent']:.2f} %, {e['force_n']:.0f} N{slack}"))
    for name, e in entries["muscles"].items():
        if e["force_n"] > 0.0:
            label = name.replace("_left", " (L)").replace("_right", " (R)").replace("_", " ")
            rows.append((f"Muscle: {label}", f"{e['force_n']:.0f} N"))
    for side, n in entries.get("sij_compression_n", {}).items():
        rows.append((f"SIJ compression ({side[0].upper()})", compression_text(n)))
    return rows


def table_columns(anatomy: Anatomy, model: str, values: Mapping[str, Any], phase: float, state: JointState
                  ) -> dict[str, float]:
    """Flat columns for the ``export`` table: ``ligament.<name>.strain_percent`` / ``.force_n``,
    ``muscle.<name>.force_n``."""
    entries = describe_entries(anatomy, model, values, phase, state)
    out: dict[str, float] = {}
    for name, e in entries["ligaments"].items():
        out[f"ligament.{name}.strain_percent"] = e["strain_percent"]
        out[f"ligament.{name}.force_n"] = e["force_n"]
    for name, e in entries["muscles"].items():
        out[f"muscle.{name}.force_n"] = e["force_n"]
    return out



