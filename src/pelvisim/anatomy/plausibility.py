"""Where a landmark may lie, from anatomical facts that the landmark rules do not use.

The rules of :mod:`pelvisim.anatomy.landmarks` pick extreme points of regions of the bone; on an
unusual pelvis such a region can hold the wrong bump. :func:`landmark_checks` measures each checked
landmark against independent facts (other landmarks, the bone's own outline) and says which
measurements fall outside their band, so the rules can be checked over all 26 LLP26 subjects
(``docs/make_population_report.py``, ``tests/test_landmark_plausibility.py``).

Pelvic frame, mm: +X anterior, +Y superior, +Z right. Left landmarks are mirrored (z → −z) first, so
one band serves both sides.

Facts and their sources:

* AIIS: on the anterior border of the ilium below the ASIS, separated from it by a notch, and
  ending just above the anterior acetabular rim (textbook anatomy, Gray's Anatomy; Hetsroni et al.
  2013 classify the AIIS by where it ends relative to the rim: type I above it, II reaching it, III
  below it, type III rare). Bands: 25–60 mm from the ASIS, at least 15 mm below it, at most 5 mm
  below the top of the acetabular rim (centre height + radius) and at most 35 mm above it, in
  front of the acetabulum centre, and not medial of the cup's medial edge [U: pelvisim's bands].
* Iliac tubercle: on the outer lip of the iliac crest about 5 cm behind the ASIS (Gray's Anatomy).
  Bands: 30–80 mm behind the ASIS, above it, lateral to it, and on the crest: within 5 mm of the
  highest point of the bone's cross-section through it (front-to-back slice 4 mm thick) [U].
* S1, S2, S3 posterior: on the median sacral crest (within 5 mm of the midline); S1's behind the
  S1 endplate centre by 25–75 mm square to the sacrum's long axis (apex to endplate centre): half
  the S1 body's depth (≈ 15–22 mm) plus the sacral canal and the lamina; in
  order S1 above S2 above S3 along the sacrum, each segment 12–40 mm long (adult sacral segment
  heights ≈ 20–30 mm) and S1 within 45 mm below the endplate centre [U: pelvisim's bands].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pelvisim.anatomy.core import Anatomy

SIDES = ("left", "right")
X = np.array([1.0, 0.0, 0.0])  # anterior


@dataclass(frozen=True)
class Measure:
    """One measured quantity of a landmark and its allowed band."""

    landmark: str
    what: str
    value_mm: float
    low_mm: float
    high_mm: float

    @property
    def ok(self) -> bool:
        return self.low_mm <= self.value_mm <= self.high_mm

    @property
    def excess_mm(self) -> float:
        """How far outside the band (0 inside), mm."""
        return max(0.0, self.low_mm - self.value_mm, self.value_mm - self.high_mm)

    def __str__(self) -> str:
        return f"{self.landmark}: {self.what} {self.value_mm:.1f} mm (allowed {self.low_mm:g} to {self.high_mm:g})"


def _right(anatomy: Anatomy, name: str, side: str) -> NDArray[np.float64]:
    p = np.array(anatomy.point(f"{name}_{side}"), dtype=float)
    if side == "left":
        p[2] = -p[2]
    return p


def _aiis(anatomy: Anatomy, side: str) -> list[Measure]:
    name = f"aiis_{side}"
    asis, aiis, cup = (_right(anatomy, n, side) for n in ("asis", "aiis", "acetabulum_centre"))
    radius = float(anatomy.landmark(f"acetabulum_centre_{side}").radius_mm or 0.0)
    return [
        Measure(name, "distance from the ASIS", float(np.linalg.norm(aiis - asis)), 25.0, 60.0),
        Measure(name, "height below the ASIS", float(asis[1] - aiis[1]), 15.0, 60.0),
        Measure(name, "height above the acetabular rim", float(aiis[1] - (cup[1] + radius)), -5.0, 35.0),
        Measure(name, "in front of the acetabulum centre", float(aiis[0] - cup[0]), 0.0, 60.0),
        Measure(name, "lateral of the cup's medial edge", float(aiis[2] - (cup[2] - radius)), 0.0, 80.0),
    ]


def _tubercle(anatomy: Anatomy, side: str) -> list[Measure]:
    name = f"iliac_tubercle_{side}"
    asis, tub = _right(anatomy, "asis", side), _right(anatomy, "iliac_tubercle", side)
    V = np.array(anatomy.bones[f"innominate_{side}"].vertices_mm, dtype=float)
    if side == "left":
        V[:, 2] = -V[:, 2]
    slab = V[np.abs(V[:, 0] - tub[0]) < 2.0]
    return [
        Measure(name, "distance behind the ASIS", float(asis[0] - tub[0]), 30.0, 80.0),
        Measure(name, "height above the ASIS", float(tub[1] - asis[1]), 0.0, 60.0),
        Measure(name, "lateral of the ASIS", float(tub[2] - asis[2]), 0.0, 50.0),
        Measure(name, "below the crest top at its depth", float(slab[:, 1].max() - tub[1]), 0.0, 5.0),
    ]


def _sacral_crest(anatomy: Anatomy) -> list[Measure]:
    endplate, apex = anatomy.point("s1_endplate_centre"), anatomy.point("sacral_apex")
    axis = (endplate - apex) / np.linalg.norm(endplate - apex)
    # the sacrum's own front-to-back direction: posterior, square to its long axis (so the bands do
    # not depend on the sacral slope)
    back = -X - (-X @ axis) * axis
    back /= np.linalg.norm(back)
    out: list[Measure] = []
    depth = {}
    for level in ("s1", "s2", "s3"):
        name = f"{level}_posterior"
        p = anatomy.point(name)
        depth[level] = float((endplate - p) @ axis)
        out.append(Measure(name, "distance from the midline", float(abs(p[2])), 0.0, 5.0))
    out.append(Measure("s1_posterior", "behind the S1 endplate centre, square to the sacrum",
                       float((anatomy.point("s1_posterior") - endplate) @ back), 25.0, 75.0))
    out.append(Measure("s1_posterior", "below the S1 endplate centre along the sacrum", depth["s1"], 0.0, 45.0))
    out.append(Measure("s2_posterior", "below S1 along the sacrum", depth["s2"] - depth["s1"], 12.0, 40.0))
    out.append(Measure("s3_posterior", "below S2 along the sacrum", depth["s3"] - depth["s2"], 12.0, 40.0))
    return out


def landmark_checks(anatomy: Anatomy) -> list[Measure]:
    """Every measurement of the AIIS, iliac tubercle and S1–S3 posterior landmarks against its band.

    Returns
    -------
    list of Measure
        Both sides of the paired landmarks; :attr:`Measure.ok` says whether each is inside its band.
    """
    out: list[Measure] = []
    for side in SIDES:
        out += _aiis(anatomy, side) + _tubercle(anatomy, side)
    return out + _sacral_crest(anatomy)


def landmark_problems(anatomy: Anatomy) -> list[str]:
    """The measurements of :func:`landmark_checks` outside their bands, one sentence each."""
    return [str(m) for m in landmark_checks(anatomy) if not m.ok]
