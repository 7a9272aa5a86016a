"""Loads of the tissue ring for the gait cycle and the standing postures.

The trunk load
--------------
The loads of :mod:`pelvisim.gait` are balanced by one trunk wrench on the sacrum. With the L5 in
the model that wrench is split: its compressive part along the S1 endplate normal enters the L5
at the centre of the L5/S1 disc — body weight coming down the spine as a "follower load", the
load path the trunk muscles keep the lumbar spine on (Patwardhan 1999, Spine 24:1003) — and the
rest (shear and moments, carried by the trunk muscles that attach to the sacrum and ilia) stays on
the sacrum. The split is statically equivalent: the ring's total load is unchanged.

Muscles
-------
A muscle's loads are linear in its force, so each muscle's load vector for 1 N is computed once
(:func:`unit_muscle_vectors`) and scaled. In the gait cycle and the weight-bearing postures the
muscles' net moment (what the legs take) is balanced by the trunk wrench too.

Loads on the L5 are moved onto the ring by the static condensation of
:func:`pelvisim.tissue.ring.condensation` (exact for the linear ring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from pelvisim import gait, mechanics
from pelvisim.anatomy.core import Anatomy
from pelvisim.tissue.attachments import find_attachments
from pelvisim.tissue.l5 import endplate_axes
from pelvisim.tissue.muscles import find_muscles, muscle_loads
from pelvisim.tissue.ring import TissueOptions, condensation
from pelvisim.tissue.solve import load_vector

SACRUM_BLOCK = slice(0, 6)


@lru_cache(maxsize=16)
def unit_muscle_vectors(anatomy: Anatomy) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    """(muscle names, (24, m) generalised loads of each muscle at 1 N)."""
    names = tuple(find_muscles(anatomy))
    U = np.column_stack([load_vector(muscle_loads(anatomy, {name: 1.0})) for name in names])
    U.setflags(write=False)
    return names, U


def muscle_matrix(anatomy: Anatomy, forces: Mapping[str, NDArray | float], n: int) -> NDArray[np.float64]:
    """(24, n) loads of muscles whose forces are given per phase (arrays of n) or constant."""
    names, U = unit_muscle_vectors(anatomy)
    out = np.zeros((24, n))
    for name, force in forces.items():
        f = np.broadcast_to(np.asarray(force, dtype=float), (n,))
        if np.any(f != 0.0):
            out += U[:, names.index(name)][:, None] * f[None, :]
    return out


@lru_cache(maxsize=16)
def _follower_axis(anatomy: Anatomy) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(S1 endplate normal, generalised L5 load ``[d × up, up]`` of 1 N along it at the disc centre d)."""
    _, up, _, _ = endplate_axes(anatomy)
    disc = find_attachments(anatomy).l5.disc_centre
    unit = np.concatenate([np.cross(disc, up), up])
    for a in (up, unit):
        a.setflags(write=False)
    return up, unit


def follower_split(anatomy: Anatomy, trunk: NDArray) -> tuple[NDArray, NDArray]:
    """Split trunk wrenches (6, n) on the sacrum into (sacrum part, L5 part): see the module docstring."""
    up, unit = _follower_axis(anatomy)
    compressive = np.minimum(up @ trunk[3:], 0.0)  # (n,) force along the normal, pushing down on the L5
    l5 = unit[:, None] * compressive[None, :]
    return trunk - l5, l5


def condensed_loads(anatomy: Anatomy, options: TissueOptions, ring_loads: NDArray, l5_loads: NDArray) -> NDArray:
    """Ring loads (18, n) with the L5's loads (6, n) moved onto the ring (free L5)."""
    return ring_loads + condensation(anatomy, options).load_transfer @ l5_loads


def gait_tissue_loads(anatomy: Anatomy, phases: NDArray | float, params: gait.GaitParameters = gait.DEFAULT_GAIT,
                      extra: Sequence[mechanics.Wrench] = (), muscles: Mapping[str, NDArray | float] | None = None
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(ring loads (18, n), L5 loads (6, n)) at ``phases``: hips, abductors, ``extra``, muscles, trunk.

    The trunk wrench balances everything (see the module docstring for its split); the L5 loads
    are the follower part of the trunk load plus the muscles' pulls on the L5.
    """
    p = np.atleast_1d(np.asarray(phases, dtype=float))
    F = gait.gait_load_matrix(anatomy, p, params, extra=tuple(extra))
    extra_sacral = mechanics.load_vector(tuple(extra))[SACRUM_BLOCK]
    M = muscle_matrix(anatomy, muscles or {}, p.size)
    ring, l5 = F.copy(), M[18:].copy()
    ring += M[:18]
    trunk = F[SACRUM_BLOCK] - extra_sacral[:, None] - M.reshape(4, 6, p.size).sum(axis=0)
    ring[SACRUM_BLOCK] += trunk - (F[SACRUM_BLOCK] - extra_sacral[:, None])
    sacral_part, l5_part = follower_split(anatomy, trunk)
    ring[SACRUM_BLOCK] += sacral_part - trunk
    return ring, l5 + l5_part


def posture_loads(anatomy: Anatomy, wrenches: Sequence[mechanics.Wrench], muscles: Mapping[str, float],
                  femur_poses: Mapping[str, NDArray] | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(ring loads (18,), L5 loads (6,)) of a static posture: ``wrenches`` (balanced by their own trunk
    wrench, e.g. :func:`pelvisim.gait.single_leg_stance_loads`) plus muscles (their femur ends at
    ``femur_poses``), rebalanced by the trunk."""
    others = [w for w in wrenches if not w.label.startswith("trunk")]
    f = mechanics.load_vector(others)
    M = load_vector(muscle_loads(anatomy, muscles, femur_poses)) if femur_poses else muscle_matrix(anatomy, muscles, 1)[:, 0]
    ring, l5 = f + M[:18], M[18:].copy()
    total = ring.reshape(3, 6).sum(axis=0) + l5
    trunk = -total
    sacral_part, l5_part = follower_split(anatomy, trunk[:, None])
    ring[SACRUM_BLOCK] += sacral_part[:, 0]
    return ring, l5 + l5_part[:, 0]
