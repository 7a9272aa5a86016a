"""Shared test helpers for anatomy-based tests."""

from __future__ import annotations

import numpy as np

from pelvisim import frames
from pelvisim.anatomy.core import Anatomy, Landmark


def symmetrized(anatomy: Anatomy) -> Anatomy:
    """The anatomy with every left landmark replaced by the mirror of its right partner."""
    landmarks = dict(anatomy.landmarks)
    for name, lm in anatomy.landmarks.items():
        if "right" in name:
            left = name.replace("right", "left")
            normal = None if lm.normal is None else frames.mirror_points(lm.normal)
            landmarks[left] = Landmark(left, lm.bone.replace("right", "left"), frames.mirror_points(lm.position_mm), normal, lm.radius_mm)
        elif "left" not in name:
            p = np.array(lm.position_mm, copy=True)
            p[2] = 0.0
            landmarks[name] = Landmark(name, lm.bone, p, lm.normal, lm.radius_mm)
    return Anatomy(bones=anatomy.bones, landmarks=landmarks, joint_frames=anatomy.joint_frames, source=anatomy.source)
