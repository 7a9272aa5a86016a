"""The positional-model registry: every story of "what is displaced", as data.

Each :class:`~pelvisim.parameters.PositionalModel` has a name, a one-line claim, its source, its
parameters (unit, range, default, sign) and a pure function from parameters to a true-scale
:class:`~pelvisim.pose.JointState`. Models solved through the compliant ring (gait, sacral
rotation) are defined in :mod:`pelvisim.ring_models` and registered here too.

Composition order
-----------------
``JointState.T_pelvis[bone]`` is each bone's displacement in the pelvic frame. The kinematic models
here move either the sacrum between fixed ilia or an innominate against a fixed sacrum, never both,
so no model composes sacral and innominate motion. Where one bone gets two motions the order is
fixed and documented on the model: ``unilateral_sacral_flexion`` applies the left flexion first,
then the right (``T = T_right @ T_left``); ``twisted_shifted_sacrum`` applies the shift first, then
the twist (``T = T_twist @ T_shift``). All axes are fixed in the pelvic frame (neutral anatomy).

Defaults are true scale (0 = neutral). Ranges reach the magnitudes clinical stories claim;
``in_vivo_limit`` is the largest motion measured in vivo, and larger values are flagged by
:meth:`~pelvisim.parameters.PositionalModel.warnings` (reference/BIOMECHANICS.md §1).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from pelvisim import frames, joints
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.parameters import Parameter, PositionalModel, Value, _suggest
from pelvisim.pose import NEUTRAL, JointState

# --- in-vivo limits (reference/BIOMECHANICS.md §1) -------------------------------------------
SAGITTAL_LIMIT_DEG = 3.6
SAGITTAL_SOURCE = (
    "largest SIJ rotation measured by RSA 3.6° (review in Kibsgård 2012); one symptomatic volunteer exceeded 6° "
    "(Jacob & Kissling 1995, Kirschner wires with external markers photographed in stereo)"
)
FLARE_LIMIT_DEG = 4.0
FLARE_SOURCE = "horizontal-plane SIJ rotation, range across studies −0.8…4.0° (Goode 2008, systematic review)"
TRANSLATION_LIMIT_MM = 2.0
TRANSLATION_SOURCE = (
    "SIJ translation never above 2 mm by RSA (review in Kibsgård 2012); > 2 mm proposed as pathological (Kissling & "
    "Jacob 1996, Kirschner wires with external markers photographed in stereo)"
)
PUBIC_SHEAR_LIMIT_MM = 2.6
PUBIC_SHEAR_SOURCE = "symphysis vertical shear up to 2.6 mm in one-leg stance, living subjects (Walheim, in Meissner 1996)"
AXIS_OFFSET_SOURCE = (
    "axis behind the auricular surface at S2 (Bakland & Hansen 1984, cadaver anatomy); helical axes vary widely "
    "between subjects (Kissling & Jacob 1996)"
)
ANGLE_RANGE_DEG = 15.0  # large enough for clinical stories; flagged beyond the in-vivo limit
TRANSLATION_RANGE_MM = 10.0


def _angle(name: str, label: str, positive_means: str, limit: float = SAGITTAL_LIMIT_DEG, source: str = SAGITTAL_SOURCE, minimum: float = -ANGLE_RANGE_DEG) -> Parameter:
    return Parameter(
        name=name, label=label, unit="deg", default=0.0,  # neutral: true-scale default, see source
        minimum=minimum, maximum=ANGLE_RANGE_DEG, positive_means=positive_means,
        in_vivo_limit=limit, source=source,
    )


def _length(name: str, label: str, positive_means: str, limit: float = TRANSLATION_LIMIT_MM, source: str = TRANSLATION_SOURCE, minimum: float = -TRANSLATION_RANGE_MM) -> Parameter:
    return Parameter(
        name=name, label=label, unit="mm", default=0.0,  # neutral: true-scale default, see source
        minimum=minimum, maximum=TRANSLATION_RANGE_MM, positive_means=positive_means,
        in_vivo_limit=limit, source=source,
    )


def _innominates(**by_side: frames.Transform) -> JointState:
    return JointState(T_pelvis={f"innominate_{side}": T for side, T in by_side.items()})


def _sacrum(T: frames.Transform) -> JointState:
    return JointState(T_pelvis={"sacrum": T})


# --- neutral -------------------------------------------------------------------------------
def _neutral_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    return NEUTRAL


NEUTRAL_MODEL = PositionalModel(
    name="neutral",
    title="Neutral",
    claim="Every bone at its neutral (reference) position.",
    source="reference position of the bundled mean pelvis",
    parameters=(),
    state_function=_neutral_state,
)


# --- nutation ------------------------------------------------------------------------------
def _nutation_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    axis = joints.nutation_axis(anatomy, str(values["axis_level"]), float(values["axis_anterior_mm"]))
    return _sacrum(axis.rotation(np.radians(float(values["angle_deg"]))))


NUTATION_MODEL = PositionalModel(
    name="nutation",
    title="Nutation / counternutation",
    claim=(
        "The sacrum nods between two fixed ilia: in nutation its base tips forward and down while its "
        "tip moves back and up; counternutation is the reverse."
    ),
    source="textbook (Kapandji) [U]; axis at S2 behind the auricular surface: Bakland & Hansen 1984 (cadaver anatomy)",
    parameters=(
        _angle("angle_deg", "Sacrum: nutation (+) / counternutation (−)", "nutation (sacral base forward and down)"),
        Parameter(
            name="axis_level", label="Nutation axis level", unit="", default="S2", choices=joints.SACRAL_LEVELS,
            positive_means="", source="S2 (Bakland & Hansen 1984); S3 is DonTigny's axis [U]",
        ),
        Parameter(
            name="axis_anterior_mm", label="Nutation axis: anterior (+) / posterior (−) offset", unit="mm",
            default=0.0, minimum=-30.0, maximum=30.0, positive_means="axis moved forward",
            source=AXIS_OFFSET_SOURCE,
        ),
    ),
    state_function=_nutation_state,
    evidence=(
        "Measured SIJ rotation is 0.5–2° per posture change: mean 1.7° in healthy volunteers (Jacob & Kissling 1995, "
        "Kirschner wires with external markers photographed in stereo; one symptomatic volunteer > 6°); the largest RSA "
        "figure is 3.6° (review in Kibsgård 2012)."
    ),
)


# --- innominate rotation -------------------------------------------------------------------
INNOMINATE_AXES = ("sij", "symphysis", "inferior_transverse")


def _innominate_rotation_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    axis = {"sij": joints.nutation_axis, "symphysis": joints.symphysis_axis,
            "inferior_transverse": joints.inferior_transverse_axis}[str(values["axis"])](anatomy)
    return _innominates(**{side: axis.rotation(np.radians(float(values[f"{side}_deg"]))) for side in SIDES})


INNOMINATE_ROTATION_MODEL = PositionalModel(
    name="innominate_rotation",
    title="Innominate rotation",
    claim=(
        "Each ilium turns forward or backward about a transverse axis like a wheel; in Russell's words "
        "'flexion' is a posterior rotation that helps lift the knee and 'extension' an anterior rotation "
        "that locks the leg for standing, and a tight iliacus tips the same-side ilium forward."
    ),
    source="Russell 2024, 'The role of the SI joint in hip and low-back pain' (seed article); symphysis axis and "
           "Mitchell's inferior transverse axis: MSU manual medicine teaching [U]",
    parameters=(
        _angle("left_deg", "Left innominate: anterior (+) / posterior (−)", "anterior rotation (ASIS forward and down)"),
        _angle("right_deg", "Right innominate: anterior (+) / posterior (−)", "anterior rotation (ASIS forward and down)"),
        Parameter(
            name="axis", label="Rotation axis", unit="", default="sij", choices=INNOMINATE_AXES,
            source="sij: transverse axis at S2 behind the auricular surface (Bakland & Hansen 1984); symphysis: "
                   "through the pubic symphysis; inferior_transverse: Mitchell's axis at the SIJs' lower poles "
                   "(both MSU manual medicine teaching [U])",
        ),
    ),
    state_function=_innominate_rotation_state,
    evidence=(
        "Posterior rotation of the ilium on the hip-flexion side was seen with skin markers (Hungerford 2004), but RSA "
        "recorded only very small SIJ rotations in the standing hip-flexion test (Sturesson 2000): below 1°. There is "
        "no direct in-vivo evidence that the iliacus pulls the ilium forward. Finding on this anatomy: the taught "
        "signature says 'PSIS posterior' for an anterior rotation, but all three axes offered (S2, the SIJs' "
        "lower poles, the symphysis) lie below the PSIS, so an anterior rotation carries the PSIS forward and up; the "
        "heights a hand compares (ASIS lower, PSIS higher, pubic tubercle lower) do follow the teaching. About the "
        "symphysis axis the acetabulum rises, so the leg looks shorter, not longer."
    ),
)


# --- flare ---------------------------------------------------------------------------------
def _flare_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    return _innominates(
        **{side: joints.flare_axis(anatomy, side).rotation(np.radians(float(values[f"{side}_deg"]))) for side in SIDES}
    )


FLARE_MODEL = PositionalModel(
    name="flare",
    title="Inflare / outflare",
    claim="An ilium turns about a vertical axis through its SIJ so that its ASIS moves toward (inflare) or away from (outflare) the midline.",
    source="manual-therapy teaching [U]; magnitudes: Goode 2008 (systematic review)",
    parameters=(
        _angle("left_deg", "Left innominate: inflare (+) / outflare (−)", "inflare (ASIS medial)", FLARE_LIMIT_DEG, FLARE_SOURCE),
        _angle("right_deg", "Right innominate: inflare (+) / outflare (−)", "inflare (ASIS medial)", FLARE_LIMIT_DEG, FLARE_SOURCE),
    ),
    state_function=_flare_state,
    evidence=(
        "Measured horizontal-plane SIJ rotation is about 1° or less (Goode 2008, systematic review): about 2.5 mm at the "
        "ASIS, far below the 15–20 mm error of locating the ASIS (Della Croce 1999). Turning about the SIJ, a 1° flare "
        "moves the pubis across the symphysis by about 1.5 mm, where no transverse symphysis motion was measured in "
        "living subjects (Walheim, in Meissner 1996)."
    ),
)


# --- shear ---------------------------------------------------------------------------------
def _shear_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    return _innominates(**{side: frames.translation([0.0, float(values[f"{side}_mm"]), 0.0]) for side in SIDES})


SHEAR_MODEL = PositionalModel(
    name="shear",
    title="Upslip / downslip",
    claim="A whole ilium slides straight up (upslip) or down (downslip) against the sacrum.",
    source="manual-therapy teaching (superior/inferior innominate shear) [U]",
    parameters=(
        _length("left_mm", "Left innominate: upslip (+) / downslip (−)", "upslip (innominate superior)"),
        _length("right_mm", "Right innominate: upslip (+) / downslip (−)", "upslip (innominate superior)"),
    ),
    state_function=_shear_state,
    evidence=(
        "RSA found no measurable SIJ translation in single-leg stance (Kibsgård 2014, patients with pelvic girdle pain) "
        "and never more than 2 mm (review in Kibsgård 2012); > 2 mm was proposed as pathological (Kissling & Jacob 1996, "
        "Kirschner wires with external markers). Standing, the femoral heads hold both hips, so an upslip shows as a "
        "small tilt of the whole ring rather than a higher ASIS; supine, that leg looks shorter by the full shift."
    ),
)


# --- pubic shear ---------------------------------------------------------------------------
def _pubic_shear_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    moved = {}
    for side in SIDES:
        axis = joints.pubic_shear_axis(anatomy, side)
        angle = joints.rotation_for_landmark_shift(axis, anatomy.point(f"symphysis_{side}"), float(values[f"{side}_mm"]))
        moved[side] = axis.rotation(angle)
    return _innominates(**moved)


PUBIC_SHEAR_MODEL = PositionalModel(
    name="pubic_shear",
    title="Pubic shear",
    claim="One pubic bone rides up (or down) at the symphysis while the ASIS and PSIS of that side stay level.",
    source="manual-therapy teaching (superior/inferior pubic shear) [U]; magnitudes: Walheim, in Meissner 1996",
    parameters=(
        _length("left_mm", "Left pubis: superior (+) / inferior (−)", "left pubis up", PUBIC_SHEAR_LIMIT_MM, PUBIC_SHEAR_SOURCE),
        _length("right_mm", "Right pubis: superior (+) / inferior (−)", "right pubis up", PUBIC_SHEAR_LIMIT_MM, PUBIC_SHEAR_SOURCE),
    ),
    state_function=_pubic_shear_state,
    evidence="Symphysis vertical motion reaches 2.6 mm in one-leg stance and 2.2 mm in walking in living subjects "
             "(Walheim, in Meissner 1996). Finding on this anatomy: the only turn that keeps the ASIS and PSIS level is "
             "about the line through them, and that line runs obliquely above and lateral to the pubis, so the turn also "
             "swings the pubis inward: 2 mm up closes the symphysis gap by about 1.8 mm and carries the ischial "
             "tuberosity about 2.6 mm medially (relative to the sacrum). No transverse symphysis motion was seen in "
             "vivo, so the textbook pose itself sets off the joint-limit warning.",
)


# --- sacral torsion ------------------------------------------------------------------------
def _sacral_torsion_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    axis = joints.oblique_axis(anatomy, str(values["axis"]))
    sign = 1.0 if values["direction"] == "left" else -1.0  # + = rotation to the left (joints.oblique_axis)
    return _sacrum(axis.rotation(sign * np.radians(float(values["angle_deg"]))))


SACRAL_TORSION_MODEL = PositionalModel(
    name="sacral_torsion",
    title="Sacral torsion (Mitchell)",
    claim=(
        "The sacrum gets stuck turned about a diagonal axis between the ilia: turning toward the side the axis "
        "starts from is a forward torsion (left-on-left, right-on-right), turning the other way a backward one."
    ),
    source="MELT Method blog, 'Is rotation of the sacrum causing your pelvic pain?', quoting Erik Dalton (seed article, "
           "undated); Mitchell's oblique axes (MSU manual medicine teaching [U])",
    parameters=(
        Parameter(name="axis", label="Oblique axis", unit="", default="left_oblique", choices=joints.OBLIQUE_AXES,
                  source="Mitchell: left oblique axis from the upper pole of the left SIJ to the lower pole of the right SIJ"),
        Parameter(name="direction", label="Rotation direction", unit="", default="left", choices=("left", "right"),
                  source="Mitchell naming: direction-on-axis (L-on-L …)"),
        _angle("angle_deg", "Torsion angle", "rotation in the chosen direction", minimum=0.0),
    ),
    state_function=_sacral_torsion_state,
    evidence=(
        "Their authors call the oblique axes hypothetical; inter-examiner agreement for sulcus depth is κ −0.4…0.37 "
        "(Stovall & Kumar 2010). Finding on this anatomy: the two SIJs lie further apart than they are tall, so an "
        "oblique axis (upper pole of one SIJ to the lower pole of the other) runs about 60° from vertical and a torsion "
        "about it is mostly nutation (forward torsions) or counternutation (backward torsions). The teaching signature "
        "holds when the sides are compared (left-on-left: the right sulcus deeper than the left, the left ILA more "
        "posterior than the right), but in a backward torsion both ILAs move forward — the named one less than the other."
    ),
)


# --- unilateral sacral flexion -------------------------------------------------------------
def _unilateral_flexion_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    T = frames.identity()
    for side in SIDES:  # documented order: left first, then right (T = T_right @ T_left)
        T = joints.unilateral_flexion_axis(anatomy, side).rotation(np.radians(float(values[f"{side}_deg"]))) @ T
    return _sacrum(T)


UNILATERAL_SACRAL_FLEXION_MODEL = PositionalModel(
    name="unilateral_sacral_flexion",
    title="Unilateral sacral flexion",
    claim="One half of the sacral base sinks forward and down (a deep sulcus) and the same-side ILA drops, while the other SIJ stays put.",
    source="osteopathic teaching (Mitchell; MSU manual medicine) [U]; axis built from the anatomy (pelvisim.joints)",
    parameters=(
        _angle("left_deg", "Left sacral base: flexion (+) / extension (−)", "left half of the base forward and down"),
        _angle("right_deg", "Right sacral base: flexion (+) / extension (−)", "right half of the base forward and down"),
    ),
    state_function=_unilateral_flexion_state,
    evidence=(
        "Sacral sulcus palpation agreement is κ −0.4…0.37 (Stovall & Kumar 2010). Finding on this anatomy: the textbook "
        "motion in equal parts (side-bend toward, rotation away, nutation) carries the flexed side's ILA forward, not "
        "back; pelvisim's axis (through the other SIJ's lower pole, with the rotation a fifth of the other two parts) "
        "gives the taught signature on the flexed side — deeper sulcus, ILA down and back. Compared side to side, a rigid "
        "sacrum cannot show a deeper sulcus and a more posterior ILA on the same side: the other ILA goes back further."
    ),
)


# --- twisted and shifted sacrum (Gold) -----------------------------------------------------
def twisted_shifted_parts(anatomy: Anatomy, side: str, shift_mm: float, twist_deg: float) -> tuple[frames.Transform, frames.Transform]:
    """``(T_shift, T_twist)`` of Gold's twisted and shifted sacrum; the model applies ``T_twist @ T_shift``.

    The shift drops the ``side`` half of the sacrum by ``shift_mm`` (its auricular centroid moves
    exactly ``shift_mm`` down) by rotating about an antero-posterior axis through the opposite SIJ;
    the twist turns the sacrum about a vertical axis through the mid-point of both SIJs so that the
    ``side`` half goes forward by ``twist_deg`` (Gold's "jammed-forward" side).
    """
    other = "right" if side == "left" else "left"
    centre = anatomy.point(f"auricular_sacrum_{side}_centroid")
    hinge = anatomy.point(f"auricular_sacrum_{other}_centroid")
    shift_axis = joints.Axis("antero-posterior axis through the opposite SIJ", hinge, frames.X_ANTERIOR)
    angle = joints.rotation_for_landmark_shift(shift_axis, centre, -float(shift_mm))
    T_shift = shift_axis.rotation(angle)
    # +Y turns the right side forward; the named side forward is +Y on the right, −Y on the left.
    direction = frames.Y_SUPERIOR if side == "right" else -frames.Y_SUPERIOR
    twist_axis = joints.Axis("vertical axis through the sacrum", 0.5 * (centre + hinge), direction)
    T_twist = twist_axis.rotation(np.radians(float(twist_deg)))
    return T_shift, T_twist


def _twisted_shifted_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    T_shift, T_twist = twisted_shifted_parts(anatomy, str(values["side"]), float(values["shift_mm"]), float(values["twist_deg"]))
    return _sacrum(T_twist @ T_shift)


TWISTED_SHIFTED_SACRUM_MODEL = PositionalModel(
    name="twisted_shifted_sacrum",
    title="Twisted and shifted sacrum (Gold)",
    claim=(
        "One side of the sacrum drops a little and twists forward, jamming that SIJ; a millimetre or two is said "
        "to be enough for symptoms, and walking then overworks the other SIJ."
    ),
    source="Gold 2014, 'Understanding the sacro-iliac joints, stopping the pain and weird symptoms' (seed article)",
    parameters=(
        Parameter(name="side", label="Shifted (jammed) side", unit="", default="left", choices=SIDES,
                  source="Gold 2014 names no preferred side"),
        _length("shift_mm", "Sacral side: down (+) / up (−)", "that half of the sacrum shifted down"),
        _angle("twist_deg", "Sacral side: twisted forward (+) / back (−)", "that half of the sacrum forward", FLARE_LIMIT_DEG, FLARE_SOURCE),
    ),
    state_function=_twisted_shifted_state,
    evidence=(
        "1–2 mm is within what RSA allows (SIJ translation never above 2 mm, review in Kibsgård 2012) but far below the "
        "15–20 mm error of locating a landmark (Della Croce 1999). Only the sacrum moves, so only the sacrum is named. "
        "Fixing one SIJ did not make the other hypermobile (Cho 2023, cadaver) and fusing an SIJ changes the motion of the "
        "adjacent lumbar segment (L5–S1, not the other SIJ) by only 1–5 % (Lindsey 2015, finite elements)."
    ),
)


KINEMATIC_MODELS: tuple[PositionalModel, ...] = (
    NEUTRAL_MODEL,
    NUTATION_MODEL,
    INNOMINATE_ROTATION_MODEL,
    FLARE_MODEL,
    SHEAR_MODEL,
    PUBIC_SHEAR_MODEL,
    SACRAL_TORSION_MODEL,
    UNILATERAL_SACRAL_FLEXION_MODEL,
    TWISTED_SHIFTED_SACRUM_MODEL,
)
"""The purely kinematic models defined in this module, in display order."""


def _build_registry() -> Mapping[str, PositionalModel]:
    from pelvisim.ring_models import RING_MODELS

    models: dict[str, PositionalModel] = {}
    for model in (*KINEMATIC_MODELS, *RING_MODELS):
        if model.name in models:
            raise RuntimeError(f"model {model.name!r} is registered twice")
        models[model.name] = model
    return MappingProxyType(models)


MODELS: Mapping[str, PositionalModel] = _build_registry()
"""Every positional model, by name, in display order."""


def get_model(name: str) -> PositionalModel:
    """The model called ``name``; a :class:`ParameterError` lists the valid names."""
    try:
        return MODELS[name]
    except KeyError:
        valid = ", ".join(MODELS)
        raise ParameterError(f"Unknown model {name!r}. Valid models: {valid}." + _suggest(name, list(MODELS))) from None


def joint_state(anatomy: Anatomy, model: str, parameters: Mapping[str, Any] | None = None, phase: float = 0.0) -> JointState:
    """True-scale joint state of model ``model`` with ``parameters`` at gait ``phase``."""
    return get_model(model).joint_state(anatomy, parameters, phase)
