"""Both references recomputed from the exported landmark positions alone, by Kabsch fits.

For random poses, ``describe`` exports every landmark's position in the body frame. Fitting each
bone's landmarks (neutral → exported) recovers that bone's rigid motion in the body frame; the
innominate's motion relative to the sacrum is then ``T_sacrum⁻¹ · T_innominate``. Both are turned
into the clinical numbers here with the sign table of reference/BIOMECHANICS.md §2 written out by
hand, and must match ``relative_to_sacrum`` and ``in_body_frame`` to 1e-9.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pelvisim import descriptors
from pelvisim.pose import JointState

TOLERANCE = 1e-9  # deg or mm: a least-squares fit of exact rigid data, so only rounding differs


def random_state(seed: int) -> JointState:
    rng = np.random.default_rng(1000 + seed)
    T_pelvis = {}
    for bone in ("sacrum", "innominate_left", "innominate_right"):
        T = np.eye(4)
        T[:3, :3] = Rotation.from_rotvec(np.radians(rng.uniform(-3.0, 3.0, 3))).as_matrix()
        T[:3, 3] = rng.uniform(-3.0, 3.0, 3)
        T_pelvis[bone] = T
    return JointState(T_pelvis=T_pelvis)


def kabsch(neutral: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """4×4 rigid transform taking ``neutral`` points onto ``moved`` ones (least squares, SVD)."""
    p0, q0 = neutral.mean(axis=0), moved.mean(axis=0)
    U, _, Vt = np.linalg.svd((neutral - p0).T @ (moved - q0))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))])
    R = Vt.T @ D @ U.T
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, q0 - R @ p0
    return T


def clinical(T: np.ndarray, side: str, centre: np.ndarray) -> dict[str, float]:
    """The six clinical numbers of an innominate motion, signs by hand (right: +ry inflare, +rx rim down)."""
    rx, ry, rz = np.degrees(Rotation.from_matrix(T[:3, :3]).as_rotvec())
    tx, ty, tz = T[:3, :3] @ centre + T[:3, 3] - centre
    mirror = 1.0 if side == "right" else -1.0
    return {"anterior_rotation_deg": -rz, "inflare_deg": mirror * ry, "frontal_rotation_deg": mirror * rx,
            "upslip_mm": ty, "anterior_translation_mm": tx, "medial_translation_mm": -mirror * tz}


def bone_motion(anatomy, exported: dict, bone: str) -> np.ndarray:
    names = [n for n, lm in anatomy.landmarks.items() if lm.bone == bone]
    neutral = np.array([anatomy.point(n) for n in names])
    moved = np.array([exported[n]["position_mm"] for n in names])
    return kabsch(neutral, moved)


@pytest.mark.parametrize("posture", ["standing", "supine"])
@pytest.mark.parametrize("seed", range(10))
def test_both_references_match_kabsch_fits_of_the_exported_landmarks(anatomy, seed, posture):
    data = json.loads(json.dumps(descriptors.describe(anatomy, random_state(seed), posture).to_dict()))
    exported = data["landmarks"]
    sacrum = bone_motion(anatomy, exported, "sacrum")
    for side in ("left", "right"):
        innominate = bone_motion(anatomy, exported, f"innominate_{side}")
        centre = anatomy.point(f"auricular_innominate_{side}_centroid")
        relative = clinical(np.linalg.inv(sacrum) @ innominate, side, centre)
        body = clinical(innominate, side, centre)
        d = data["descriptors"][f"innominate_{side}"]
        for key, value in relative.items():
            assert d["relative_to_sacrum"][key] == pytest.approx(value, abs=TOLERANCE), (side, key)
            assert d[key] == pytest.approx(value, abs=TOLERANCE), (side, key)  # the top-level numbers are the same
        for key, value in body.items():
            assert d["in_body_frame"][key] == pytest.approx(value, abs=TOLERANCE), (side, key)
        assert d["in_body_frame"]["frame"].startswith(posture)
    assert data["body_frame"].startswith(f"{posture} body frame")
