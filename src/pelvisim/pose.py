"""Joint state (true scale) and the displayed pose (magnified for display only).

A :class:`JointState` is what every positional model, the ring mechanics and the gait cycle
produce: where each pelvic bone sits relative to the pelvic frame, at true scale. :func:`pose`
turns it into world transforms for display, applying the magnification there and only there;
descriptors are computed from the :class:`JointState`, so magnification can never reach them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from pelvisim import frames
from pelvisim.anatomy.core import BONES, PELVIC_BONES, SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.frames import Transform


def _frozen_transforms(items: Mapping[str, Transform]) -> Mapping[str, Transform]:
    out = {}
    for name, T in items.items():
        A = np.array(T, dtype=float, copy=True)
        A.setflags(write=False)
        out[name] = A
    return MappingProxyType(out)


@dataclass(frozen=True, eq=False)
class JointState:
    """Bone positions at true scale.

    Attributes
    ----------
    T_pelvis : Mapping[str, Transform]
        ``T_pelvis_<bone>`` for ``sacrum``, ``innominate_left``, ``innominate_right``: the bone's
        displacement from neutral, in the pelvic frame (identity at neutral). Missing bones are
        at neutral.
    T_innominate_femur : Mapping[str, Transform]
        Per side (``left``/``right``), the femur's pose relative to its innominate (hip motion,
        e.g. flexion about the acetabulum centre). Missing sides are at neutral.
    T_world_pelvis : Transform
        Whole-pelvis motion in the world (gait rotation, obliquity, tilt). Identity when still.
    """

    T_pelvis: Mapping[str, Transform] = field(default_factory=dict)
    T_innominate_femur: Mapping[str, Transform] = field(default_factory=dict)
    T_world_pelvis: Transform = field(default_factory=frames.identity)

    def __post_init__(self) -> None:
        unknown = set(self.T_pelvis) - set(PELVIC_BONES)
        if unknown:
            raise ParameterError(f"Expected pelvic bones {PELVIC_BONES}, got {sorted(unknown)}")
        unknown_sides = set(self.T_innominate_femur) - set(SIDES)
        if unknown_sides:
            raise ParameterError(f"Expected sides {SIDES}, got {sorted(unknown_sides)}")
        full = {b: self.T_pelvis.get(b, frames.identity()) for b in PELVIC_BONES}
        hips = {s: self.T_innominate_femur.get(s, frames.identity()) for s in SIDES}
        object.__setattr__(self, "T_pelvis", _frozen_transforms(full))
        object.__setattr__(self, "T_innominate_femur", _frozen_transforms(hips))
        world = np.array(self.T_world_pelvis, dtype=float, copy=True)
        world.setflags(write=False)
        object.__setattr__(self, "T_world_pelvis", world)

    def relative(self, reference: str, bone: str) -> Transform:
        """``T_reference_bone`` at true scale, e.g. ``relative("sacrum", "innominate_left")``.

        Both bones' own frames coincide with the pelvic frame at neutral, so this is the motion
        of ``bone`` seen from ``reference``, expressed in pelvic-frame axes.
        """
        return frames.invert(self.T_pelvis[reference]) @ self.T_pelvis[bone]


NEUTRAL = JointState()


@dataclass(frozen=True, eq=False)
class Pose:
    """World transforms of every bone, as displayed.

    Attributes
    ----------
    T_world : Mapping[str, Transform]
        ``T_world_<bone>`` for every bone of :data:`~pelvisim.anatomy.core.BONES`.
    magnification : float
        Display factor applied to the intrapelvic displacements (1 = true scale).
    state : JointState
        The true-scale state the pose was made from (descriptors use this).
    """

    T_world: Mapping[str, Transform]
    magnification: float
    state: JointState


def pose(anatomy: Anatomy | None, state: JointState, magnification: float = 1.0) -> Pose:
    """World transforms of every bone from a true-scale state.

    Parameters
    ----------
    anatomy : Anatomy or None
        Unused for now (poses are relative to the pelvic frame the meshes are stored in); kept so
        future per-anatomy display offsets need no API change.
    state : JointState
        True-scale displacements.
    magnification : float
        Display factor (>= 1 exaggerates). Each intrapelvic displacement is scaled along its own
        screw axis, so a rotation about the nutation axis stays a rotation about that axis. Whole-
        pelvis gait motion and hip angles are never magnified.

    Returns
    -------
    Pose
    """
    if not np.isfinite(magnification) or magnification <= 0:
        raise ParameterError(f"magnification must be a finite number > 0, got {magnification!r}")
    W = state.T_world_pelvis
    T_world = {b: W @ frames.power(state.T_pelvis[b], magnification) for b in PELVIC_BONES}
    for side in SIDES:
        T_world[f"femur_{side}"] = T_world[f"innominate_{side}"] @ state.T_innominate_femur[side]
    assert set(T_world) == set(BONES)
    return Pose(T_world=_frozen_transforms(T_world), magnification=float(magnification), state=state)


def cycle_poses(anatomy: Anatomy, model: Any, values: Mapping[str, Any], magnification: float = 1.0,
                samples: int = 48) -> list[Pose]:
    """Poses of ``model`` at ``samples`` evenly spaced gait phases, the first repeated at the end.

    The repeat closes the path of one gait cycle (e.g. the ASIS/PSIS trails).

    Parameters
    ----------
    anatomy : Anatomy
    model : PositionalModel
        Anything with ``joint_state(anatomy, values, phase)``.
    values : mapping
        The model's parameter values.
    magnification : float
        Display factor (see :func:`pose`).
    samples : int
        Phases per cycle (``k / samples`` for ``k = 0 … samples - 1``).

    Returns
    -------
    list of Pose
        ``samples + 1`` poses.
    """
    poses = [pose(anatomy, model.joint_state(anatomy, values, k / samples), magnification) for k in range(samples)]
    return poses + poses[:1]
