"""The user's femurs: kept where they are when given in the pelvis's frame, else placed on the acetabula."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pelvisim.anatomy import finder
from pelvisim.anatomy import registration as reg
from pelvisim.anatomy.core import Anatomy, Landmark
from pelvisim.anatomy.surface import Surface
from pelvisim.errors import MeshError

# A femur whose head centre is within 10 mm of the acetabulum centre is taken as given in the
# pelvis's frame (same scan); otherwise it is placed.
HEAD_ON_ACETABULUM_MM = 10.0


def place_femurs(surfaces: dict[str, Surface], landmarks: dict[str, Landmark], from_file: dict[str, Landmark],
            T: NDArray, mean: Anatomy, paths: dict[str, Path]) -> list[str]:
    """Keep femurs given in the pelvis's frame; place the others on the acetabula. Adds femur landmarks.

    ``surfaces`` and ``landmarks`` are in the pelvic frame and updated in place; ``from_file`` is in
    the input frame (``T`` takes it to the pelvic frame).
    """
    notes = []
    for side in ("left", "right"):
        bone = f"femur_{side}"
        femur = surfaces[bone]
        acetabulum = landmarks[f"acetabulum_centre_{side}"].position_mm
        head = None
        if float(np.min(np.linalg.norm(femur.vertices - acetabulum, axis=1))) < 40.0:
            found = finder.femur_landmarks(femur, side, acetabulum)
            head = found[f"femoral_head_centre_{side}"].position_mm
        given = [n for n, lm in from_file.items() if lm.bone == bone]
        if head is not None and np.linalg.norm(head - acetabulum) <= HEAD_ON_ACETABULUM_MM:
            landmarks.update(found)
            landmarks.update({n: finder.transformed_landmark(T, from_file[n]) for n in given})
            continue
        distance = float(np.linalg.norm((head if head is not None else femur.vertices.mean(axis=0)) - acetabulum))
        surfaces[bone] = _place_femur(femur, side, mean, acetabulum, paths[bone])
        landmarks.update(finder.femur_landmarks(surfaces[bone], side, acetabulum))
        notes.append(f"{paths[bone].name}: its head was {distance:.0f} mm from the {side} acetabulum (a femur in its "
                     "own frame); placed with the head centre on the acetabulum centre, oriented like the bundled femur"
                     + (f" ({', '.join(given)} from the landmark file ignored)" if given else ""))
    return notes


def _place_femur(femur: Surface, side: str, mean: Anatomy, acetabulum: NDArray, path: Path) -> Surface:
    """The femur turned like the bundled one (pelvic frame) and moved so its head is on the acetabulum."""
    bone = f"femur_{side}"
    other = f"femur_{'right' if side == 'left' else 'left'}"
    target = reg.sample_surface(femur, 3000, 1)
    fits = {}
    for name in (bone, other):
        template = Surface(mean.bones[name].vertices_mm, mean.bones[name].faces)
        fits[name] = reg.register_similarity(reg.sample_surface(template, 1500, 2), target)
    if fits[other][1] < 0.8 * fits[bone][1]:
        raise MeshError(f"{path}: sides check failed: this looks like a {other.split('_')[1]} femur "
                        f"(the mean {other} fits it within {fits[other][1]:.1f} mm, the mean {bone} within "
                        f"{fits[bone][1]:.1f} mm): are femur_left and femur_right swapped?")
    S = fits[bone][0]
    R = S.rotation.T
    turned = Surface((femur.vertices - S.translation) @ R.T, femur.faces)  # = scale × the mean femur's pose
    head = R @ (S.apply(mean.point(f"femoral_head_centre_{side}")) - S.translation)
    found = finder.femur_landmarks(turned, side, head)
    shift = acetabulum - found[f"femoral_head_centre_{side}"].position_mm
    return Surface(turned.vertices + shift, turned.faces)
