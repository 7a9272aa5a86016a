"""Joint frames of the sacroiliac joints and the pubic symphysis, from landmarks.

``T_pelvis_sij_right``: origin at the SIJ centre (mid-point of the sacral and innominate auricular
centroids); z = the auricular-surface normal pointing from the sacrum into the innominate (the
mean of the innominate patch's inward and the sacral patch's outward normal); y = the direction
from the inferior to the superior pole of the auricular surfaces, made orthogonal to z; x = y × z
(roughly anterior). The left frame is built from the mirrored left landmarks and mirrored back
(``frames.mirror``), so a diagonal stiffness means the same thing on both sides.

``T_pelvis_symphysis``: origin at the mid-point of the two symphyseal surface centres, pelvic-frame
axes (X anterior, Y superior, Z right).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pelvisim import frames
from pelvisim.anatomy.core import Landmark
from pelvisim.errors import LandmarkError


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _right_sij(points: Mapping[str, np.ndarray], normals: Mapping[str, np.ndarray]) -> frames.Transform:
    origin = (points["auricular_innominate_centroid"] + points["auricular_sacrum_centroid"]) / 2
    z = _unit(-normals["auricular_innominate_centroid"] + normals["auricular_sacrum_centroid"])
    up = (points["auricular_innominate_superior_pole"] + points["auricular_sacrum_superior_pole"]
          - points["auricular_innominate_inferior_pole"] - points["auricular_sacrum_inferior_pole"])
    y = _unit(up - (up @ z) * z)
    x = np.cross(y, z)
    return frames.from_rt(np.column_stack([x, y, z]), origin)


def joint_frames(landmarks: Mapping[str, Landmark]) -> dict[str, frames.Transform]:
    """``T_pelvis_<joint>`` for ``sij_left``, ``sij_right`` and ``symphysis``."""
    needed = [f"auricular_{bone}_{side}_{part}" for bone in ("innominate", "sacrum") for side in ("left", "right")
              for part in ("centroid", "superior_pole", "inferior_pole")] + ["symphysis_left", "symphysis_right"]
    missing = [n for n in needed if n not in landmarks]
    if missing:
        raise LandmarkError(f"Cannot build joint frames: missing landmarks {', '.join(missing)}")
    out: dict[str, frames.Transform] = {}
    for side in ("right", "left"):
        points, normals = {}, {}
        for bone in ("innominate", "sacrum"):
            for part in ("centroid", "superior_pole", "inferior_pole"):
                lm = landmarks[f"auricular_{bone}_{side}_{part}"]
                p = lm.position_mm if side == "right" else frames.mirror_points(lm.position_mm)
                points[f"auricular_{bone}_{part}"] = p
                if lm.normal is not None:
                    normals[f"auricular_{bone}_{part}"] = lm.normal if side == "right" else frames.mirror_points(lm.normal)
        if len(normals) != 2:
            raise LandmarkError(f"Cannot build the {side} SIJ frame: the auricular centroids need normals")
        T = _right_sij(points, normals)
        out[f"sij_{side}"] = T if side == "right" else frames.mirror(T)
    centre = (landmarks["symphysis_left"].position_mm + landmarks["symphysis_right"].position_mm) / 2
    out["symphysis"] = frames.translation(centre)
    return out
