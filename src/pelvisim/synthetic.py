"""A small, exactly mirror-symmetric pelvis made of landmarks only, for hand checks and tests.

The coordinates are plausible textbook values in the pelvic frame (ISB: +X anterior, +Y superior,
+Z right, origin mid-ASIS, mm), not a measured specimen:

- inter-ASIS width 227 mm (CT, n = 200) and the Harrington 2007 hip-centre regression with a
  mid-ASIS to mid-PSIS depth of 150 mm: hip centre (−45.9, −79.0, ±82.2) mm;
- sacral base and auricular surfaces placed from the female sacrum dimensions of
  reference/BIOMECHANICS.md §8 (inter-auricular ≈ 109 mm is the *outer* width; the joint centres
  sit ≈ 45 mm from the midline), auricular surface height ≈ 56 mm;
- S1 endplate facing up and forward with a 40° sacral slope (Mac-Thiong 2011);
- the posterior inferior iliac spine, inferior lateral angle of the sacrum, ischial spine and
  tuberosity and iliac tubercle (needed by the soft-tissue attachment rules) placed like those of
  the bundled mean pelvis, rounded to the millimetre and moved with its PSIS.

The joint frames follow the :class:`~pelvisim.anatomy.core.Anatomy` contract: SIJ origin at the
joint centre, z along the auricular normal (right side: from the sacrum into the innominate),
y along the inferior→superior pole direction, x = y × z; the left frame is the mirror-conjugate of
the right one; the symphysis frame sits between the two symphyseal surfaces with pelvic axes.
The bones carry no mesh (empty arrays): the mechanics never needs one.
"""

from __future__ import annotations

import numpy as np

from pelvisim import frames
from pelvisim.anatomy.core import Anatomy, Bone, Landmark

_RIGHT_SIDE_POINTS = {
    # name: (bone, position mm, normal or None)
    "asis_right": ("innominate_right", (0.0, 0.0, 113.5), None),
    "psis_right": ("innominate_right", (-150.0, 0.0, 40.0), None),
    "acetabulum_centre_right": ("innominate_right", (-45.9, -79.0, 82.2), None),
    "symphysis_right": ("innominate_right", (-2.0, -92.0, 2.5), None),
    "auricular_innominate_right_centroid": ("innominate_right", (-112.0, -5.0, 47.0), (-0.33, 0.22, 0.92)),
    "auricular_innominate_right_superior_pole": ("innominate_right", (-98.0, 22.0, 50.0), None),
    "auricular_innominate_right_inferior_pole": ("innominate_right", (-128.0, -30.0, 41.0), None),
    "auricular_sacrum_right_centroid": ("sacrum", (-112.0, -5.0, 45.0), (-0.33, 0.22, 0.92)),
    "auricular_sacrum_right_superior_pole": ("sacrum", (-98.0, 22.0, 48.0), None),
    "auricular_sacrum_right_inferior_pole": ("sacrum", (-128.0, -30.0, 39.0), None),
    "piis_right": ("innominate_right", (-141.0, -18.0, 44.0), None),
    "ila_right": ("sacrum", (-130.0, -45.0, 40.0), None),
    "ischial_spine_right": ("innominate_right", (-95.0, -84.0, 49.0), None),
    "ischial_tuberosity_right": ("innominate_right", (-62.0, -147.0, 48.0), None),
    "iliac_tubercle_right": ("innominate_right", (-43.0, 28.0, 137.0), None),
}

_MIDLINE_POINTS = {
    "sacral_promontory": ("sacrum", (-88.0, 24.0, 0.0), None),
    "s1_endplate_centre": ("sacrum", (-103.0, 34.0, 0.0), (0.643, 0.766, 0.0)),
    "sacral_apex": ("sacrum", (-135.0, -78.0, 0.0), None),
    "s1_posterior": ("sacrum", (-138.0, 20.0, 0.0), None),
    "s2_posterior": ("sacrum", (-142.0, -2.0, 0.0), None),
    "s3_posterior": ("sacrum", (-143.0, -25.0, 0.0), None),
}


def _mirror_name(name: str) -> str:
    return name.replace("right", "left")


def _sij_right_frame(points: dict[str, np.ndarray], normal: np.ndarray) -> np.ndarray:
    centre = 0.5 * (points["auricular_innominate_right_centroid"] + points["auricular_sacrum_right_centroid"])
    z = normal / np.linalg.norm(normal)
    along = points["auricular_innominate_right_superior_pole"] - points["auricular_innominate_right_inferior_pole"]
    y = along - (along @ z) * z
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    return frames.from_rt(np.column_stack([x, y, z]), centre)


def synthetic_anatomy() -> Anatomy:
    """A landmark-only, exactly mirror-symmetric pelvis (see the module docstring for sources).

    Returns
    -------
    Anatomy
        Landmarks and joint frames of ``sacrum``, ``innominate_left``, ``innominate_right``.
    """
    landmarks: dict[str, Landmark] = {}
    positions: dict[str, np.ndarray] = {}
    for name, (bone, p, n) in _RIGHT_SIDE_POINTS.items():
        p = np.asarray(p, dtype=float)
        normal = None if n is None else np.asarray(n, dtype=float) / np.linalg.norm(n)
        landmarks[name] = Landmark(name, bone, p, normal)
        positions[name] = p
        left_bone = "sacrum" if bone == "sacrum" else "innominate_left"
        left_normal = None if normal is None else frames.mirror_points(normal)
        left_name = _mirror_name(name)
        landmarks[left_name] = Landmark(left_name, left_bone, frames.mirror_points(p), left_normal)
        positions[left_name] = frames.mirror_points(p)
    for name, (bone, p, n) in _MIDLINE_POINTS.items():
        normal = None if n is None else np.asarray(n, dtype=float) / np.linalg.norm(n)
        landmarks[name] = Landmark(name, bone, np.asarray(p, dtype=float), normal)
    right = _sij_right_frame(positions, landmarks["auricular_innominate_right_centroid"].normal)
    symphysis = frames.translation(0.5 * (positions["symphysis_left"] + positions["symphysis_right"]))
    joint_frames = {"sij_right": right, "sij_left": frames.mirror(right), "symphysis": symphysis}
    empty = np.zeros((0, 3))
    bones = {b: Bone(b, empty, np.zeros((0, 3), dtype=np.int64)) for b in ("sacrum", "innominate_left", "innominate_right")}
    return Anatomy(bones=bones, landmarks=landmarks, joint_frames=joint_frames, source="pelvisim.synthetic (textbook coordinates)")
