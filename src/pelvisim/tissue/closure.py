"""Force closure: compression across a sacroiliac joint stiffens it (self-bracing).

The law
-------
Snijders, Vleeming and Stoeckart's self-bracing (Snijders 1993, Clin Biomech 8:285; Vleeming 1990,
Spine 15:133): the SIJ's nearly flat surfaces resist shear by friction, and friction grows with
the compression pressing them together (Coulomb: shear resistance μ·N). Muscles (transversus
abdominis, gluteus maximus, piriformis, biceps femoris via the sacrotuberous ligament) and
ligaments add that compression. pelvisim's teaching form of it: the joint's shear bracing — its
resistance to sliding and turning (:data:`pelvisim.tissue.ring.SHEAR_BRACING_ROWS`; on the curved,
ridged auricular surface every turning slides the surfaces over each other somewhere) — is
proportional to the compression ``N`` across the joint, relative to the compression at rest
``N_rest`` (the ligaments' pretension):

    factor = max(N / N_rest, FORM_CLOSURE_FLOOR)

so at rest the factor is 1 (the calibrated ring), doubling the compression doubles the shear
bracing, and however far the joint is unloaded the ridges and grooves keep
:data:`FORM_CLOSURE_FLOOR` of it. Friction does not hold a joint shut, so the bracing across the
joint (against gapping) is left as it is.

How much compression muscles can add: in a 3-D model of standing (Pel 2008, Ann Biomed Eng
36:415), activating hip flexors and extensors raised SIJ compression by 70 %, and adding the
transversus abdominis and pelvic floor raised it by a further 400 %. In cadavers, a simulated
transversus abdominis force reduced SIJ flexibility (Gnat 2015, Clin Biomech). The stated closure
compression of the tests and the closure scene, :data:`CLOSURE_TEST_COMPRESSION_RATIO` × ``N_rest``,
is inside that range.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from pelvisim.anatomy.core import SIDES
from pelvisim.errors import ParameterError
from pelvisim.tissue.ligaments import BODIES
from pelvisim.tissue.ring import SHEAR_BRACING_ROWS, TissueAssembly, relative_stiffness_at_joint, sij_elements

FORM_CLOSURE_FLOOR = 0.25
"""Share of the resting bracing that stays when the joint is unloaded (form closure of the ridges
and grooves, Vleeming 1990) [U: teaching assumption; no measured value]."""

CLOSURE_TEST_COMPRESSION_RATIO = 2.5
"""Compression (× the resting compression) at which closure is stated to at least double the SIJ's
rotational stiffness: +150 %, inside the +70 … +400 % Pel 2008 modelled for muscle activation."""


def closure_factor(compression_n: float, resting_n: float, gain: float = 1.0) -> float:
    """Bracing multiplier at compression ``compression_n`` (N) across a joint resting at ``resting_n``.

    ``gain`` scales the law's slope (0 = closure off: factor 1; 1 = the documented law):
    ``max(1 + gain·(N/N_rest − 1), FORM_CLOSURE_FLOOR)``.
    """
    if not (math.isfinite(resting_n) and resting_n > 0.0):
        raise ParameterError(f"resting compression must be a finite number > 0 N, got {resting_n!r}")
    if not (math.isfinite(gain) and gain >= 0.0):
        raise ParameterError(f"closure gain must be a finite number >= 0, got {gain!r}")
    return max(1.0 + gain * (float(compression_n) / resting_n - 1.0), FORM_CLOSURE_FLOOR)


def sij_stiffness(asm: TissueAssembly, side: str, factor: float = 1.0) -> NDArray[np.float64]:
    """6×6 stiffness of the ``side`` SIJ in its joint frame with the shear bracing (turning and sliding) × ``factor``.

    Ligaments (their stiffness at neutral), cartilage contact and bracing; joint axes
    ``[rx, ry, rz, tx, ty, tz]`` (z = the joint normal, so rz is the in-plane, nutation-like
    rotation), N·mm/rad and N/mm.
    """
    if side not in SIDES:
        raise ParameterError(f"Expected side 'left' or 'right', got {side!r}")
    rows, k = sij_elements(asm, side)
    k = np.array(k, dtype=float)
    start = len(k) - len(asm.bracing_k[side])  # bracing rows last: in-plane turning and sliding first
    k[start: start + SHEAR_BRACING_ROWS] *= factor
    return relative_stiffness_at_joint(rows, k, BODIES.index("sacrum"), BODIES.index(f"innominate_{side}"),
                                       asm.T_pelvis_sij[side])


def rotational_stiffness_nmm_per_rad(asm: TissueAssembly, side: str, compression_n: float | None = None,
                                     axis: int = 2) -> float:
    """The SIJ's stiffness against a pure moment about one joint axis (default z, the normal), N·mm/rad.

    Free in every other direction (the compliance's diagonal term: ``1 / C[axis, axis]``), with
    the bracing at the closure factor of ``compression_n`` (``None`` = at rest).
    """
    resting = asm.resting_compression_n[side]
    factor = 1.0 if compression_n is None else closure_factor(compression_n, resting)
    K = sij_stiffness(asm, side, factor)
    return float(1.0 / np.linalg.inv(K)[axis, axis])
