"""Clinical descriptors read off a pose: what a clinician would name and what they could feel.

Everything here is computed from a true-scale :class:`~pelvisim.pose.JointState` and the anatomy's
landmarks only — never echoed from a model's parameters — so every model (kinematic, ring
mechanics, gait) is described the same way, and display magnification can never reach a number.

Reference frames
----------------
- Innominate descriptors: the innominate's motion **relative to the sacrum**
  (``JointState.relative("sacrum", "innominate_<side>")``), in pelvic-frame axes, as the six
  clinical degrees of freedom of :mod:`pelvisim.joints` (rotation-vector components; translations
  of the SIJ centre). Sacral nutation therefore also reads as posterior rotation of both
  innominates relative to the sacrum — the same motion seen from the other bone.
- Sacrum descriptors: the sacrum's displacement in the pelvic frame (``T_pelvis["sacrum"]``).
- Landmark shifts and palpation findings: displacement in the pelvic frame (what a hand on the
  patient would feel relative to the pelvis as a whole); findings are left-minus-right
  differences of those shifts, so the neutral pose reads zero even on an asymmetric pelvis.
- Apparent leg length: read as in the clinic, supine with both legs straight on the table, so
  the hips are at neutral whatever the pose's hip angles (gait flexion/extension); each leg only
  follows its acetabulum centre (:func:`supine_leg_shift_mm`).

Every magnitude is positive when the named motion occurs, on either side (mirror rule,
reference/BIOMECHANICS.md §2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from pelvisim import frames, joints
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.frames import Transform
from pelvisim.pose import JointState, Pose

# --- thresholds and lengths, each with its source ---------------------------------------------
PALPATION_ERROR_MM = (15.0, 20.0)
PALPATION_SOURCE = "landmark palpation error at the iliac spines 15–20 mm (Della Croce 1999)"
PALPATION_ASSUMED_SOURCE = (
    "no error measured for this landmark; the iliac-spine palpation error 15–20 mm (Della Croce 1999) is used [assumption]"
)
NORMAL_HEIGHT_ASYMMETRY_MM = 16.0
NORMAL_TILT_ASYMMETRY_DEG = 11.0
ASYMMETRY_SOURCE = "normal bony asymmetry up to 16 mm innominate height and 11° ASIS–PSIS tilt (Preece 2008)"
TIBIA_LENGTH_MM = 418.0
"""Knee centre to medial malleolus: leg segment 0.246 × stature (Drillis & Contini 1966) for a
1700 mm adult [D]; used only to extend the femur line to the malleoli for leg-length checks."""
NEGLIGIBLE = 0.05  # deg or mm: below this a value is reported as "none" in words
PATTERN_MAX_OFF_AXIS_DEG = 20.0
"""A sacral rotation is named a torsion (or a unilateral flexion) only when its rotation axis lies
within this angle of the pattern's axis; otherwise that descriptor reads 0. A pelvisim choice."""


def _rotvec(T: Transform) -> NDArray[np.float64]:
    return Rotation.from_matrix(np.array(T[:3, :3], dtype=float, copy=True)).as_rotvec()


def shift_words(shift_mm: NDArray[np.float64], side: str | None) -> str:
    """A displacement in clinical words, largest component first, e.g. ``"1.9 mm medial, 0.4 mm superior"``.

    ``side`` decides whether +Z reads "lateral" (right side), "medial" (left side) or "to the right"
    (midline landmarks, ``None``).
    """
    z_words = {"right": ("lateral", "medial"), "left": ("medial", "lateral"), None: ("to the right", "to the left")}[side]
    names = (("anterior", "posterior"), ("superior", "inferior"), z_words)
    parts = [
        (abs(v), f"{abs(v):.1f} mm {names[i][0 if v > 0 else 1]}")
        for i, v in enumerate(np.asarray(shift_mm, dtype=float))
        if abs(v) >= NEGLIGIBLE
    ]
    return ", ".join(text for _, text in sorted(parts, key=lambda p: -p[0])) or "no shift"


# --- the clinical vocabulary, as data ---------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """One descriptor: its field name, unit and the words for its two directions."""

    field: str
    unit: str
    positive_words: str
    negative_words: str

    def words(self, value: float) -> str:
        """``"inflare 0.8°"``-style text, or ``""`` when negligible."""
        if abs(value) < NEGLIGIBLE:
            return ""
        unit = "°" if self.unit == "deg" else " mm"
        return f"{self.positive_words if value > 0 else self.negative_words} {abs(value):.1f}{unit}"


INNOMINATE_TERMS: Mapping[str, Term] = {
    "anterior_rotation": Term("anterior_rotation_deg", "deg", "anterior rotation", "posterior rotation"),
    "inflare": Term("inflare_deg", "deg", "inflare", "outflare"),
    "frontal_rotation": Term("frontal_rotation_deg", "deg", "lateral tilt down", "lateral tilt up"),
    "superior": Term("upslip_mm", "mm", "upslip", "downslip"),
    "anterior": Term("anterior_translation_mm", "mm", "anterior glide", "posterior glide"),
    "medial": Term("medial_translation_mm", "mm", "medial glide", "lateral glide"),
}
"""Keyed by :data:`pelvisim.joints.SIJ_DOFS` names."""
PUBIC_TERM = Term("pubic_superior_mm", "mm", "pubis up", "pubis down")

# Sacrum: rotation-vector component -> clinical term (ISB sign of the named motion).
SACRAL_ROTATION_TERMS: tuple[tuple[Term, int, int], ...] = (
    (Term("nutation_deg", "deg", "nutation", "counternutation"), 2, -1),
    (Term("rotation_left_deg", "deg", "rotated left", "rotated right"), 1, +1),
    (Term("sidebend_left_deg", "deg", "side-bent left", "side-bent right"), 0, -1),
)
SACRAL_HALF_TERMS: Mapping[str, Term] = {
    side: Term(f"{side}_half_inferior_mm", "mm", f"{side} half of the sacrum down", f"{side} half of the sacrum up")
    for side in SIDES
}
UNILATERAL_FLEXION_TERMS: Mapping[str, Term] = {
    side: Term(f"unilateral_flexion_{side}_deg", "deg", f"{side} unilateral flexion", f"{side} unilateral extension")
    for side in SIDES
}

TORSION_NAMES: Mapping[tuple[str, str], tuple[str, str]] = {
    ("left_oblique", "left"): ("left-on-left", "forward"),
    ("right_oblique", "right"): ("right-on-right", "forward"),
    ("right_oblique", "left"): ("left-on-right", "backward"),
    ("left_oblique", "right"): ("right-on-left", "backward"),
}
"""Mitchell naming: (axis, rotation direction) -> (name, forward/backward)."""


# --- result types -----------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [float(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (floats, strings, lists)."""
        return _plain(self)


@dataclass(frozen=True)
class LandmarkShift(_ToDict):
    """Displacement of one landmark in the pelvic frame.

    Attributes
    ----------
    shift_mm : tuple of float
        (x anterior, y superior, z right), mm.
    words : str
        e.g. ``"1.9 mm medial, 0.4 mm superior"``.
    """

    shift_mm: tuple[float, float, float]
    words: str


@dataclass(frozen=True)
class InnominateDescriptors(_ToDict):
    """One innominate relative to the sacrum; positive = the named motion on either side."""

    side: str
    anterior_rotation_deg: float
    inflare_deg: float
    frontal_rotation_deg: float
    upslip_mm: float
    anterior_translation_mm: float
    medial_translation_mm: float
    pubic_superior_mm: float
    landmark_shifts: Mapping[str, LandmarkShift]
    words: str


@dataclass(frozen=True)
class Torsion(_ToDict):
    """Sacral torsion about a Mitchell oblique axis (``axis`` is None when the motion is not one)."""

    axis: str | None
    direction: str | None
    angle_deg: float
    name: str
    off_axis_deg: float | None


@dataclass(frozen=True)
class SacrumDescriptors(_ToDict):
    """The sacrum's displacement in the pelvic frame."""

    nutation_deg: float
    rotation_left_deg: float
    sidebend_left_deg: float
    unilateral_flexion_left_deg: float
    unilateral_flexion_right_deg: float
    left_half_inferior_mm: float
    right_half_inferior_mm: float
    torsion: Torsion
    words: str


@dataclass(frozen=True)
class Finding(_ToDict):
    """One palpation finding: a left-right difference and whether a hand could feel it.

    Attributes
    ----------
    name : str
        e.g. ``"ASIS height difference"``.
    difference : float
        Left minus right, in ``unit``; positive means the left shows the named sign more.
    unit : str
    words : str
        e.g. ``"ASIS higher on the left by 0.4 mm"``.
    threshold : float
        Smallest difference a hand could detect (palpation error or normal asymmetry).
    palpable : bool
    verdict : str
        ``"palpable"`` or ``"below palpation error"``.
    source : str
    note : str
        Normal bony asymmetry, when known.
    """

    name: str
    difference: float
    unit: str
    words: str
    threshold: float
    palpable: bool
    verdict: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class Descriptors(_ToDict):
    """Everything read off one pose (true scale)."""

    innominate_left: InnominateDescriptors
    innominate_right: InnominateDescriptors
    sacrum: SacrumDescriptors
    landmarks: Mapping[str, Mapping[str, list[float]]]
    findings: tuple[Finding, ...]
    summary: str

    def innominate(self, side: str) -> InnominateDescriptors:
        """The innominate descriptors of ``side``."""
        return self.innominate_left if side == "left" else self.innominate_right

    def to_dict(self) -> dict[str, Any]:
        """``{"descriptors": {...}, "landmarks": {...}, "findings": [...], "summary": "..."}``."""
        return {
            "descriptors": {
                "innominate_left": self.innominate_left.to_dict(),
                "innominate_right": self.innominate_right.to_dict(),
                "sacrum": self.sacrum.to_dict(),
            },
            "landmarks": _plain(self.landmarks),
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
        }


# --- landmark positions -----------------------------------------------------------------------
def bone_displacements(state: JointState) -> dict[str, Transform]:
    """``T_pelvis_<bone>`` (true scale) for the three pelvic bones and both femurs."""
    T = dict(state.T_pelvis)
    for side in SIDES:
        T[f"femur_{side}"] = state.T_pelvis[f"innominate_{side}"] @ state.T_innominate_femur[side]
    return T


def malleolus_neutral(anatomy: Anatomy, side: str) -> NDArray[np.float64] | None:
    """Modelled medial malleolus at neutral: the hip-centre→knee line continued by the tibia length.

    Returns None when the anatomy has no femur landmarks.
    """
    try:
        hip, knee = anatomy.point(f"femoral_head_centre_{side}"), anatomy.point(f"knee_centre_{side}")
    except KeyError:
        return None
    direction = (knee - hip) / np.linalg.norm(knee - hip)
    return knee + TIBIA_LENGTH_MM * direction


def supine_leg_shift_mm(anatomy: Anatomy, state: JointState, side: str) -> NDArray[np.float64]:
    """Displacement (3,), mm, of a straight leg lying on the table: that of its acetabulum centre.

    The apparent leg-length test is done supine with both legs straight and parallel to the
    table's long axis, so the hip sits at neutral: the femur head rides in the acetabulum and the
    leg translates with the acetabulum centre, keeping its direction. Neither the innominate's own
    rotation nor the pose's hip angle (``state.T_innominate_femur``, e.g. gait flexion) turns the
    leg, so the finding reflects the pelvic ring only.

    Parameters
    ----------
    anatomy : Anatomy
        Supplies ``acetabulum_centre_<side>`` (or, without it, ``femoral_head_centre_<side>``,
        the same point at neutral).
    state : JointState
        True-scale displacements; only ``T_pelvis["innominate_<side>"]`` is used.
    side : str
        ``"left"`` or ``"right"``.

    Returns
    -------
    ndarray
        (x anterior, y superior, z right) shift of the acetabulum centre in the pelvic frame, mm.
    """
    name = f"acetabulum_centre_{side}"
    hip = anatomy.point(name if name in anatomy.landmarks else f"femoral_head_centre_{side}")
    return frames.apply(state.T_pelvis[f"innominate_{side}"], hip) - hip


def landmark_positions(anatomy: Anatomy, state: JointState) -> dict[str, tuple[NDArray, NDArray]]:
    """``{name: (neutral_mm, displaced_mm)}`` for every landmark plus the modelled malleoli.

    The malleoli (``medial_malleolus_<side>``) are where the supine leg-length test would find
    them (legs straight on the table, see :func:`supine_leg_shift_mm`), not where a walking
    foot is.
    """
    T = bone_displacements(state)
    still = frames.identity()
    out = {}
    for name, lm in anatomy.landmarks.items():
        p = np.array(lm.position_mm, dtype=float)
        out[name] = (p, frames.apply(T.get(lm.bone, still), p))
    for side in SIDES:
        p = malleolus_neutral(anatomy, side)
        if p is not None:
            out[f"medial_malleolus_{side}"] = (p, p + supine_leg_shift_mm(anatomy, state, side))
    return out


# --- innominate and sacrum --------------------------------------------------------------------
def _innominate(anatomy: Anatomy, state: JointState, side: str, shifts: Mapping[str, NDArray]) -> InnominateDescriptors:
    T_rel = state.relative("sacrum", f"innominate_{side}")
    q = joints.sij_q(anatomy, T_rel, side)
    values: dict[str, float] = {}
    words = []
    for dof, value in zip(joints.SIJ_DOFS, q):
        term = INNOMINATE_TERMS[dof.name]
        values[term.field] = float(np.degrees(value) if dof.kind == "rotation" else value)
        words.append(term.words(values[term.field]))
    pubis = anatomy.point(f"symphysis_{side}")
    values[PUBIC_TERM.field] = float(frames.apply(T_rel, pubis)[1] - pubis[1])
    landmark_shifts = {
        base: LandmarkShift(tuple(float(v) for v in shifts[f"{base}_{side}"]), shift_words(shifts[f"{base}_{side}"], side))
        for base in ("asis", "psis", "pubic_tubercle", "ischial_tuberosity")
        if f"{base}_{side}" in shifts
    }
    return InnominateDescriptors(
        side=side, landmark_shifts=landmark_shifts, words=", ".join(w for w in words if w) or "neutral", **values
    )


def _off_axis_deg(rotvec: NDArray[np.float64], direction: NDArray[np.float64]) -> float:
    angle = float(np.linalg.norm(rotvec))
    return float(np.degrees(np.arccos(np.clip(abs(float(rotvec @ direction)) / angle, 0.0, 1.0))))


def _about_axis_deg(rotvec: NDArray[np.float64], direction: NDArray[np.float64]) -> float:
    """Signed rotation (deg) about ``direction`` when the rotation is mostly about it, else 0."""
    if np.degrees(np.linalg.norm(rotvec)) < 1e-9 or _off_axis_deg(rotvec, direction) > PATTERN_MAX_OFF_AXIS_DEG:
        return 0.0
    return float(np.degrees(rotvec @ direction))


def _torsion(anatomy: Anatomy, rotvec: NDArray[np.float64]) -> Torsion:
    angle = float(np.linalg.norm(rotvec))
    if np.degrees(angle) < 1e-6:
        return Torsion(None, None, 0.0, "no torsion", None)
    best = None
    for which in joints.OBLIQUE_AXES:
        u = joints.oblique_axis(anatomy, which).direction
        along = float(rotvec @ u)
        off = _off_axis_deg(rotvec, u)
        if best is None or off < best[2]:
            best = (which, along, off)
    which, along, off = best
    if off > PATTERN_MAX_OFF_AXIS_DEG:
        return Torsion(None, None, 0.0, "no torsion (rotation not about an oblique axis)", off)
    direction = "left" if along > 0 else "right"
    name, kind = TORSION_NAMES[(which, direction)]
    return Torsion(which, direction, float(np.degrees(abs(along))), f"{name} {kind} torsion", off)


def _sacrum(anatomy: Anatomy, state: JointState) -> SacrumDescriptors:
    T = state.T_pelvis["sacrum"]
    w = _rotvec(T)
    values: dict[str, float] = {}
    words = []
    for term, axis, sign in SACRAL_ROTATION_TERMS:
        values[term.field] = float(np.degrees(sign * w[axis]))
        words.append(term.words(values[term.field]))
    for side in SIDES:
        flexion = UNILATERAL_FLEXION_TERMS[side]
        values[flexion.field] = _about_axis_deg(w, joints.unilateral_flexion_axis(anatomy, side).direction)
        words.insert(0, flexion.words(values[flexion.field]))
        c = anatomy.point(f"auricular_sacrum_{side}_centroid")
        term = SACRAL_HALF_TERMS[side]
        values[term.field] = float(-(frames.apply(T, c)[1] - c[1]))
        words.append(term.words(values[term.field]))
    torsion = _torsion(anatomy, w)
    if torsion.axis is not None:
        words.insert(0, f"{torsion.name} {torsion.angle_deg:.1f}°")
    return SacrumDescriptors(torsion=torsion, words=", ".join(w for w in words if w) or "neutral", **values)


# --- palpation findings -----------------------------------------------------------------------
@dataclass(frozen=True)
class FindingRule:
    """How one palpation finding is measured and judged.

    ``measure(shifts, side)`` returns, for one side, how much that side shows ``positive_words``
    (mm or deg); the finding is the left-minus-right difference.
    """

    name: str
    unit: str
    positive_words: str
    measure: Callable[[Mapping[str, NDArray], str], float]
    needs: tuple[str, ...]
    threshold: float
    source: str
    note: str = ""


def _medial(shift: NDArray, side: str) -> float:
    return float(-shift[2] if side == "right" else shift[2])


def _sagittal_tilt_deg(positions: Mapping[str, NDArray], side: str) -> float:
    d = positions[f"asis_{side}"] - positions[f"psis_{side}"]
    return float(np.degrees(np.arctan2(d[1], d[0])))


FINDING_RULES: tuple[FindingRule, ...] = (
    FindingRule("ASIS height difference", "mm", "ASIS higher", lambda s, side: float(s[f"asis_{side}"][1]), ("asis",),
                PALPATION_ERROR_MM[0], PALPATION_SOURCE, f"normal asymmetry up to {NORMAL_HEIGHT_ASYMMETRY_MM:g} mm ({ASYMMETRY_SOURCE})"),
    FindingRule("ASIS-to-midline difference", "mm", "ASIS further from the midline", lambda s, side: -_medial(s[f"asis_{side}"], side),
                ("asis",), PALPATION_ERROR_MM[0], PALPATION_SOURCE),
    FindingRule("PSIS height difference", "mm", "PSIS higher", lambda s, side: float(s[f"psis_{side}"][1]), ("psis",),
                PALPATION_ERROR_MM[0], PALPATION_SOURCE, f"normal asymmetry up to {NORMAL_HEIGHT_ASYMMETRY_MM:g} mm ({ASYMMETRY_SOURCE})"),
    FindingRule("ASIS-PSIS tilt difference", "deg", "ASIS tipped further down relative to the PSIS",
                lambda s, side: -s[f"_tilt_{side}"], ("asis", "psis"), NORMAL_TILT_ASYMMETRY_DEG, ASYMMETRY_SOURCE),
    FindingRule("sacral sulcus depth difference", "mm", "sacral sulcus deeper",
                lambda s, side: float(s[f"sacral_sulcus_{side}"][0] - s[f"psis_{side}"][0]), ("sacral_sulcus", "psis"),
                PALPATION_ERROR_MM[0], PALPATION_ASSUMED_SOURCE),
    FindingRule("ILA posterior difference", "mm", "ILA more posterior", lambda s, side: float(-s[f"ila_{side}"][0]), ("ila",),
                PALPATION_ERROR_MM[0], PALPATION_ASSUMED_SOURCE),
    FindingRule("ILA height difference", "mm", "ILA lower", lambda s, side: float(-s[f"ila_{side}"][1]), ("ila",),
                PALPATION_ERROR_MM[0], PALPATION_ASSUMED_SOURCE),
    FindingRule("apparent leg-length difference (medial malleoli)", "mm", "leg looks longer",
                lambda s, side: float(-s[f"medial_malleolus_{side}"][1]), ("medial_malleolus",),
                PALPATION_ERROR_MM[0], PALPATION_ASSUMED_SOURCE
                + f"; supine, legs straight (hips at neutral); leg = femur line + tibia {TIBIA_LENGTH_MM:g} mm "
                "(Drillis & Contini 1966)"),
)
"""The palpation findings, in the order a clinician would report them."""


def _findings(shifts: Mapping[str, NDArray]) -> tuple[Finding, ...]:
    out = []
    for rule in FINDING_RULES:
        if not all(f"{base}_{side}" in shifts for base in rule.needs for side in SIDES):
            continue
        difference = rule.measure(shifts, "left") - rule.measure(shifts, "right")
        unit = "°" if rule.unit == "deg" else " mm"
        if abs(difference) < NEGLIGIBLE:
            words = f"{rule.name}: none (< {NEGLIGIBLE:g}{unit})"
        else:
            words = f"{rule.positive_words} on the {'left' if difference > 0 else 'right'} by {abs(difference):.1f}{unit}"
        palpable = abs(difference) >= rule.threshold
        out.append(
            Finding(
                name=rule.name, difference=float(difference), unit=rule.unit, words=words,
                threshold=rule.threshold, palpable=bool(palpable),
                verdict="palpable" if palpable else "below palpation error",
                source=rule.source, note=rule.note,
            )
        )
    return tuple(out)


def _summary(left: InnominateDescriptors, right: InnominateDescriptors, sacrum: SacrumDescriptors, findings: tuple[Finding, ...]) -> str:
    parts = []
    for d in (left, right):
        if d.words != "neutral":
            asis = d.landmark_shifts.get("asis")
            where = f" (ASIS {asis.words})" if asis is not None and asis.words != "no shift" else ""
            parts.append(f"{d.side.capitalize()} innominate: {d.words}{where}")
    if sacrum.words != "neutral":
        parts.append(f"Sacrum: {sacrum.words}")
    if not parts:
        return "Neutral: no displacement."
    palpable = [f for f in findings if f.palpable]
    if palpable:
        verdict = "Palpable: " + "; ".join(f.words for f in palpable) + "."
    elif all(abs(f.difference) < NEGLIGIBLE for f in findings):
        verdict = "No left-right difference to palpate."
    elif findings:
        largest = max(findings, key=lambda f: abs(f.difference) / f.threshold)
        verdict = (
            f"Every palpation finding is below palpation error (largest: {largest.words} vs "
            f"{largest.threshold:g}{'°' if largest.unit == 'deg' else ' mm'})."
        )
    else:
        verdict = ""
    return ("; ".join(parts) + ". " + verdict).strip()


# --- entry point ------------------------------------------------------------------------------
def describe(anatomy: Anatomy, state: JointState | Pose) -> Descriptors:
    """Clinical descriptors of a pose, at true scale.

    Parameters
    ----------
    anatomy : Anatomy
        Supplies the landmarks and joint centres.
    state : JointState or Pose
        A :class:`~pelvisim.pose.Pose` is described through its true-scale ``state``, so the
        display magnification never changes a descriptor.

    Returns
    -------
    Descriptors
    """
    if isinstance(state, Pose):
        state = state.state
    positions = landmark_positions(anatomy, state)
    shifts: dict[str, NDArray] = {name: moved - neutral for name, (neutral, moved) in positions.items()}
    at_neutral = {name: neutral for name, (neutral, _) in positions.items()}
    in_pose = {name: moved for name, (_, moved) in positions.items()}
    # ASIS-PSIS sagittal tilt change per side, as a pseudo-shift for the finding rules.
    for side in SIDES:
        if f"asis_{side}" in positions and f"psis_{side}" in positions:
            shifts[f"_tilt_{side}"] = _sagittal_tilt_deg(in_pose, side) - _sagittal_tilt_deg(at_neutral, side)  # type: ignore[assignment]
    left = _innominate(anatomy, state, "left", shifts)
    right = _innominate(anatomy, state, "right", shifts)
    sacrum = _sacrum(anatomy, state)
    findings = _findings(shifts)
    landmarks = {
        name: {"position_mm": [float(v) for v in in_pose[name]], "shift_mm": [float(v) for v in shifts[name]]}
        for name in positions
    }
    return Descriptors(
        innominate_left=left,
        innominate_right=right,
        sacrum=sacrum,
        landmarks=landmarks,
        findings=findings,
        summary=_summary(left, right, sacrum, findings),
    )
