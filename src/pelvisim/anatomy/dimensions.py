"""Dimensions of an anatomy, for checks against published values (BIOMECHANICS.md §8).

Standing orientation: the anterior pelvic plane (both ASIS and the pubic tubercles) vertical,
as in Lewinnek's reference (a convention; real standing tilt varies by several degrees).
"""

from __future__ import annotations

import numpy as np

from pelvisim.anatomy.core import Anatomy
from pelvisim.errors import LandmarkError


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def standing_tilt_rad(anatomy: Anatomy) -> float:
    """Rotation about +Z (rad) that takes the pelvic frame to standing (APP vertical)."""
    p = anatomy.point
    mid_asis = (p("asis_left") + p("asis_right")) / 2
    mid_pubis = (p("pubic_tubercle_left") + p("pubic_tubercle_right")) / 2
    d = mid_asis - mid_pubis  # in the APP, from pubis up to the ASIS
    # rotate about Z so that d points straight up (+Y)
    return float(np.arctan2(d[0], d[1]))


def _standing(anatomy: Anatomy, v: np.ndarray) -> np.ndarray:
    a = standing_tilt_rad(anatomy)
    c, s = np.cos(a), np.sin(a)
    R = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return R @ v


def dimensions(anatomy: Anatomy) -> dict[str, float]:
    """Published-style dimensions in mm and degrees.

    Returns
    -------
    dict
        ``inter_asis_mm``, ``inter_psis_mm``, ``inter_hip_centre_mm`` (acetabulum centres),
        ``pelvic_incidence_deg`` (orientation-free: the angle between the S1 endplate's
        perpendicular and the line from its centre to the mid-point of the hip centres, in the
        sagittal plane), ``sacral_slope_deg`` and ``pelvic_tilt_deg`` and ``asis_psis_angle_deg``
        (standing orientation: APP vertical), ``sacral_height_mm`` (promontory to apex),
        ``auricular_area_<bone>_<side>_mm2``, ``acetabulum_radius_<side>_mm``.
    """
    p = anatomy.point
    out: dict[str, float] = {
        "inter_asis_mm": float(np.linalg.norm(p("asis_right") - p("asis_left"))),
        "inter_psis_mm": float(np.linalg.norm(p("psis_right") - p("psis_left"))),
        "inter_hip_centre_mm": float(np.linalg.norm(p("acetabulum_centre_right") - p("acetabulum_centre_left"))),
    }
    endplate = anatomy.landmark("s1_endplate_centre")
    if endplate.normal is None:
        raise LandmarkError("s1_endplate_centre has no normal: pelvic incidence and sacral slope need the endplate's "
                            "direction (give 'normal' in the landmark file, or let pelvisim find the landmark)")
    hips = (p("acetabulum_centre_left") + p("acetabulum_centre_right")) / 2
    n = np.array(endplate.normal, dtype=float)
    n[2] = 0.0
    to_hips = hips - endplate.position_mm
    to_hips[2] = 0.0
    out["pelvic_incidence_deg"] = _angle_deg(-n, to_hips)
    n_standing = _standing(anatomy, n)
    out["sacral_slope_deg"] = _angle_deg(n_standing, np.array([0.0, 1.0, 0.0]))
    out["pelvic_tilt_deg"] = out["pelvic_incidence_deg"] - out["sacral_slope_deg"]
    line = _standing(anatomy, (p("psis_left") + p("psis_right")) / 2 - (p("asis_left") + p("asis_right")) / 2)
    out["asis_psis_angle_deg"] = float(np.degrees(np.arctan2(line[1], -line[0])))
    out["sacral_height_mm"] = float(np.linalg.norm(p("sacral_promontory") - p("sacral_apex")))
    for bone in ("innominate", "sacrum"):
        for side in ("left", "right"):
            area = anatomy.landmark(f"auricular_{bone}_{side}_centroid").area_mm2
            if area is not None:
                out[f"auricular_area_{bone}_{side}_mm2"] = float(area)
    for side in ("left", "right"):
        radius = anatomy.landmark(f"acetabulum_centre_{side}").radius_mm
        if radius is not None:
            out[f"acetabulum_radius_{side}_mm"] = float(radius)
    return {k: round(v, 2) for k, v in out.items()}
