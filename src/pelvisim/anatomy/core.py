"""The anatomy a pose acts on: rigid bones, their landmarks, and the joint frames.

Everything is in mm, in the pelvic frame (ISB: +X anterior, +Y superior, +Z right, origin at
mid-ASIS), at the neutral position. Algorithms never change an :class:`Anatomy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from pelvisim.errors import LandmarkError
from pelvisim.frames import Transform

PELVIC_BONES = ("sacrum", "innominate_left", "innominate_right")
FEMURS = ("femur_left", "femur_right")
BONES = PELVIC_BONES + FEMURS
SIDES = ("left", "right")


def _frozen(a: NDArray, dtype=float) -> NDArray:
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Bone:
    """One rigid bone as a triangle mesh.

    Attributes
    ----------
    name : str
        One of :data:`BONES`.
    vertices_mm : ndarray, shape (n, 3)
        Vertex positions in the pelvic frame at neutral (read-only).
    faces : ndarray of int, shape (m, 3)
        Triangles, counter-clockwise seen from outside (outward normals).
    """

    name: str
    vertices_mm: NDArray[np.float64]
    faces: NDArray[np.int64]

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertices_mm", _frozen(self.vertices_mm))
        object.__setattr__(self, "faces", _frozen(self.faces, dtype=np.int64))

    @property
    def n_triangles(self) -> int:
        """Number of triangles."""
        return int(len(self.faces))


@dataclass(frozen=True, eq=False)
class Landmark:
    """A named anatomical point fixed to one bone.

    Attributes
    ----------
    name : str
        e.g. ``"asis_left"``.
    bone : str
        The bone it moves with.
    position_mm : ndarray, shape (3,)
        Position in the pelvic frame at neutral.
    normal : ndarray, shape (3,) or None
        Unit outward normal, for surface patches (auricular surfaces, S1 endplate).
    radius_mm : float or None
        Radius, for sphere fits (acetabulum, femoral head).
    area_mm2 : float or None
        Area, for surface patches (auricular surfaces, symphyseal surfaces, S1 endplate).
    """

    name: str
    bone: str
    position_mm: NDArray[np.float64]
    normal: NDArray[np.float64] | None = None
    radius_mm: float | None = None
    area_mm2: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "position_mm", _frozen(self.position_mm))
        if self.normal is not None:
            object.__setattr__(self, "normal", _frozen(self.normal))


@dataclass(frozen=True, eq=False)
class Anatomy:
    """Bones, landmarks and joint frames of one pelvis, in the pelvic frame at neutral.

    Attributes
    ----------
    bones : Mapping[str, Bone]
        ``sacrum``, ``innominate_left``, ``innominate_right`` and, when present, ``femur_left``,
        ``femur_right``.
    landmarks : Mapping[str, Landmark]
        Named points; see ``pelvisim.anatomy.landmarks`` for the rules that find them.
    joint_frames : Mapping[str, Transform]
        ``T_pelvis_<joint>`` for ``sij_left``, ``sij_right`` and ``symphysis``: origin at the
        joint centre; see ``pelvisim.anatomy.joint_frames`` for the axes.
    source : str
        Where the anatomy came from (shown in the UI and the JSON output).
    """

    bones: Mapping[str, Bone]
    landmarks: Mapping[str, Landmark]
    joint_frames: Mapping[str, Transform] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bones", MappingProxyType(dict(self.bones)))
        object.__setattr__(self, "landmarks", MappingProxyType(dict(self.landmarks)))
        frames = {k: _frozen(v) for k, v in self.joint_frames.items()}
        object.__setattr__(self, "joint_frames", MappingProxyType(frames))

    def landmark(self, name: str) -> Landmark:
        """The landmark called ``name``; a :class:`LandmarkError` lists the known names."""
        try:
            return self.landmarks[name]
        except KeyError:
            known = ", ".join(sorted(self.landmarks))
            raise LandmarkError(f"Unknown landmark {name!r}. Known landmarks: {known}") from None

    def point(self, name: str) -> NDArray[np.float64]:
        """Position (3,) in mm of the landmark called ``name``."""
        return self.landmark(name).position_mm

    def joint_frame(self, joint: str) -> Transform:
        """``T_pelvis_<joint>`` for ``sij_left``, ``sij_right`` or ``symphysis``."""
        try:
            return self.joint_frames[joint]
        except KeyError:
            known = ", ".join(sorted(self.joint_frames))
            raise LandmarkError(f"Unknown joint {joint!r}. Known joints: {known}") from None

    @property
    def has_femurs(self) -> bool:
        """True when both femurs are present."""
        return all(f in self.bones for f in FEMURS)
