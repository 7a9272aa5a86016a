"""The claims table: each seed article's claim and each textbook story, against the model and the evidence.

One row per claim: what it says (our words), what pelvisim's model shows — **computed when asked**
from the model and the anatomy, never typed in — what measurement says (source and method), and
whether a hand could feel it (computed from the palpation findings against the 15–20 mm landmark
location error, with normal bony asymmetry and examiner agreement beside it).

``pelvisim claims`` prints it; ``--json`` gives the rows; ``--markdown`` writes ``docs/claims.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pelvisim import descriptors, models, ring_models
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.references import REFERENCES, reference


@dataclass(frozen=True)
class Shown:
    """What the model shows for one claim: a sentence and the numbers behind it."""

    text: str
    numbers: Mapping[str, float]
    named: tuple[str, ...] = ()
    palpable: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """One claim.

    Attributes
    ----------
    key : str
        Short identifier, e.g. ``"gurd_sacral_rotation_flare"``.
    kind : str
        ``"seed article"`` or ``"textbook"``.
    source : str
        Reference key of who makes the claim (:data:`pelvisim.references.REFERENCES`).
    says : str
        The claim in our words.
    model : str
        The pelvisim model that shows it (with ``parameters``).
    parameters : Mapping
    compute : callable
        ``anatomy -> Shown``.
    measured_by : tuple of str
        Reference keys of the measurements that bear on it.
    measurement : str
        What measurement says, with the method.
    """

    key: str
    kind: str
    source: str
    says: str
    model: str
    parameters: Mapping[str, Any]
    compute: Callable[[Anatomy], Shown] = field(repr=False, compare=False)
    measured_by: tuple[str, ...] = ()
    measurement: str = ""

    def row(self, anatomy: Anatomy) -> dict[str, Any]:
        """The JSON-ready row, with the model's answer computed now."""
        shown = self.compute(anatomy)
        who = reference(self.source)
        return {
            "key": self.key,
            "kind": self.kind,
            "source": _citation(self.source),
            "says": self.says,
            "model": self.model,
            "parameters": dict(self.parameters),
            "model_shows": shown.text,
            "numbers": {k: float(v) for k, v in shown.numbers.items()},
            "named": list(shown.named),
            "limit_warnings": list(shown.warnings),
            "measurement": self.measurement,
            "measured_by": [{"citation": _citation(k), "method": reference(k).method} for k in self.measured_by],
            "hand_could_feel": shown.palpable,
            "source_method": who.method,
        }


def _citation(key: str) -> str:
    r = reference(key)
    year = r.year if r.year is not None else "undated"
    return f"{r.authors} ({year}), '{r.title}', {r.where}"


# --- shared computations --------------------------------------------------------------------------
def _describe(anatomy: Anatomy, model: str, parameters: Mapping[str, Any], phase: float = 0.0,
              posture: str = "standing") -> descriptors.Descriptors:
    return descriptors.describe(anatomy, models.joint_state(anatomy, model, parameters, phase), posture)


def palpability(d: descriptors.Descriptors) -> str:
    """Could a hand feel it? The finding that changed most, judged as ``describe`` judges it.

    The left–right difference at the pose (what a hand compares) is set against the 15–20 mm
    landmark-location error band (Della Croce 1999), the normal bony asymmetry where it was
    measured (Preece 2008) and examiner agreement (κ): a band, not one cut-off
    (:func:`pelvisim.descriptors.describe`, ``Finding.verdict``).
    """
    millimetres = [f for f in d.findings if f.unit == "mm"]
    if not millimetres:
        return "not assessed (no palpable landmarks)"
    largest = max(millimetres, key=lambda f: abs(f.difference))
    alike = descriptors.symmetric_words(d.sacrum)
    if abs(largest.difference) < descriptors.NEGLIGIBLE and alike:
        return (f"No left–right difference to feel: both sides move alike ({d.sacrum.landmark_frame}: {alike}), and "
                f"a hand compares sides, against a 15–20 mm error of locating each landmark (Della Croce 1999).")
    lead = {"below": "No", "within": "Doubtful"}.get(str(largest.location_error), "Perhaps")
    if lead == "Perhaps" and not largest.palpable:
        lead = "Doubtful"
    return (f"{lead}: the largest left–right change is {abs(largest.difference):.1f} mm ({largest.words}, "
            f"{largest.frame}); the difference at the pose, {abs(largest.at_pose):.1f} mm, is {largest.verdict} — "
            "location error from Della Croce 1999, examiner agreement from Stovall & Kumar 2010 and O'Haire & Gibbons "
            "2000.")


def _warnings(d: descriptors.Descriptors) -> tuple[str, ...]:
    return tuple(w.text for w in d.limit_warnings)


def _lateral_mm(d: descriptors.Descriptors, side: str) -> float:
    """How far the ASIS of ``side`` moved away from the floor (or table) midline in the body frame (mm)."""
    z = d.innominate(side).landmark_shifts["asis"].shift_mm[2]
    return float(z if side == "right" else -z)


def _toward_sacral_midline_mm(anatomy: Anatomy, state: Any, side: str) -> float:
    """How far the ASIS of ``side`` moved toward the sacrum's own midsagittal plane (mm)."""
    from pelvisim import frames

    p = anatomy.point(f"asis_{side}")
    own = frames.apply(frames.invert(state.T_pelvis["sacrum"]) @ state.T_pelvis[f"innominate_{side}"], p)
    z = float(own[2] - p[2])
    return z if side == "left" else -z


def _textbook(model: str, parameters: Mapping[str, Any], what: str, phase: float = 0.0) -> Callable[[Anatomy], Shown]:
    """The generic computation for a textbook story: names earned, its signature, palpability, limits.

    ``phase`` is the gait phase the story is read at (gait models); ``what`` must name it.
    """
    def compute(anatomy: Anatomy) -> Shown:
        d = _describe(anatomy, model, parameters, phase)
        named = ", ".join(d.named) if d.named else "nothing (no landmark signature above the RSA precision)"
        text = f"At {what}: named {named}."
        numbers = {"largest_palpation_change_mm": max((abs(f.difference) for f in d.findings if f.unit == "mm"), default=0.0)}
        return Shown(text, numbers, d.named, palpability(d), _warnings(d))
    return compute


# --- the seed articles ----------------------------------------------------------------------------
MULTIFIDUS_TURN_UNRESOLVED_DEG = 0.001
"""Below this the multifidus's turn of the sacrum has no direction worth naming: its sign flips with
small changes of the SIJ stiffness (tests/test_claims.py), and it is a thousandth of the ~1° RSA floor."""


def _multifidus_turn_words(turn_deg: float) -> str:
    """Her cause in words: a direction only when the turn is large enough for its sign to mean anything."""
    if abs(turn_deg) < MULTIFIDUS_TURN_UNRESOLVED_DEG:
        return ("Her cause, the left multifidus pulling alone (100 N), turns the sacrum through the ring by less than "
                f"{MULTIFIDUS_TURN_UNRESOLVED_DEG:g}°, too little to say which way.")
    return (f"Her cause, the left multifidus pulling alone (100 N), turns the sacrum {abs(turn_deg):.3f}° to the "
            f"{'left' if turn_deg > 0 else 'right'} through the ring.")


def _gurd(anatomy: Anatomy) -> Shown:
    d = _describe(anatomy, "sacral_rotation", {"left_deg": 1.0})
    rel_left, rel_right = d.innominate_left.relative_to_sacrum.inflare_deg, d.innominate_right.relative_to_sacrum.inflare_deg
    out_left = _lateral_mm(d, "left")
    own_left = _toward_sacral_midline_mm(anatomy, models.joint_state(anatomy, "sacral_rotation", {"left_deg": 1.0}), "left")
    cause = ring_models.multifidus_solution(anatomy, 100.0, 0.0).joint_state()
    cause_d = descriptors.describe(anatomy, cause)
    cause_turn = cause_d.sacrum.rotation_left_deg
    text = (f"Sacrum turned 1° left with the hips held: relative to the sacrum the left ilium turns {rel_left:.2f}° "
            f"ASIS-inward and the right {abs(rel_right):.2f}° ASIS-outward — Gurd's flare, there by construction because "
            f"the ilia follow only part of the turn. Standing, the left ASIS moves {abs(out_left):.1f} mm "
            f"{'away from' if out_left > 0 else 'toward'} the floor midline (between the feet): against it the "
            f"palpable sign is the opposite of a true left inflare. Against the sacrum's own midline, which turns with "
            f"the trunk like the umbilicus teaching judges inflare by, it moves {abs(own_left):.1f} mm "
            f"{'closer' if own_left > 0 else 'further away'}: Gurd's sign. "
            + _multifidus_turn_words(cause_turn))
    return Shown(text, {"relative_inflare_left_deg": rel_left, "relative_inflare_right_deg": rel_right,
                        "left_asis_outward_standing_mm": out_left, "left_asis_toward_sacral_midline_mm": own_left,
                        "multifidus_sacral_rotation_left_deg": cause_turn},
                 d.named, palpability(d), _warnings(d))


def _russell(anatomy: Anatomy) -> Shown:
    d = _describe(anatomy, "innominate_rotation", {"left_deg": -1.0})
    leg = {f.name: f for f in d.findings}["apparent leg-length difference (medial malleoli)"].difference
    pulls = []
    for phase in np.linspace(0.0, 1.0, 24, endpoint=False):
        with_pull = descriptors.describe(anatomy, models.joint_state(anatomy, "gait", {"iliacus_left_nm": 20.0}, phase))
        without = descriptors.describe(anatomy, models.joint_state(anatomy, "gait", {}, phase))
        pulls.append(with_pull.innominate_left.anterior_rotation_deg - without.innominate_left.anterior_rotation_deg)
    pull = float(np.mean(pulls))
    text = (f"The left ilium turned 1° backward about S2 ('flexion'): the left leg looks {abs(leg):.1f} mm "
            f"{'shorter' if leg < 0 else 'longer'} supine; named {', '.join(d.named) or 'nothing'}. A 20 N·m iliacus pull "
            f"in walking tips the left ilium {pull:.2f}° {'forward' if pull > 0 else 'backward'} relative to the sacrum.")
    return Shown(text, {"leg_length_change_mm": leg, "iliacus_20nm_anterior_rotation_deg": pull}, d.named, palpability(d),
                 _warnings(d))


def _gait_peak(anatomy: Anatomy, ratio: float) -> dict[str, float]:
    cycle = ring_models.gait_cycle(anatomy, {"stiffness_ratio": ratio}, 100)
    out = {}
    for side in SIDES:
        rotation = np.degrees(cycle[f"sij_{side}"][:3])
        out[f"{side}_total_deg"] = float(np.max(np.linalg.norm(rotation, axis=0)))
    return out


def _luchau(anatomy: Anatomy) -> Shown:
    even, uneven = _gait_peak(anatomy, 1.0), _gait_peak(anatomy, 2.0)
    peak = []
    for phase in np.linspace(0.0, 1.0, 24, endpoint=False):
        d = _describe(anatomy, "gait", {"stiffness_ratio": 2.0}, phase)
        peak.append((max(abs(d.innominate_left.inflare_deg), abs(d.innominate_right.inflare_deg)), d))
    flare, d = max(peak, key=lambda p: p[0])
    text = (f"Walking twists the ring: with even SIJs each joint turns at most {even['left_total_deg']:.2f}° (left) and "
            f"{even['right_total_deg']:.2f}° (right); with the left twice as stiff, {uneven['left_total_deg']:.2f}° and "
            f"{uneven['right_total_deg']:.2f}° — the laxer side moves more. The horizontal-plane (flare) part peaks at "
            f"{flare:.2f}°. Named over the stride: {', '.join(d.named) or 'nothing'}.")
    return Shown(text, {"even_left_deg": even["left_total_deg"], "even_right_deg": even["right_total_deg"],
                        "uneven_left_deg": uneven["left_total_deg"], "uneven_right_deg": uneven["right_total_deg"],
                        "peak_flare_deg": flare}, d.named, palpability(d), _warnings(d))


def _melt(anatomy: Anatomy) -> Shown:
    d = _describe(anatomy, "sacral_torsion", {"axis": "left_oblique", "direction": "left", "angle_deg": 2.0})
    s = d.sacrum
    total = float(np.sqrt(s.nutation_deg ** 2 + s.rotation_left_deg ** 2 + s.sidebend_left_deg ** 2))
    text = (f"2° about Mitchell's left oblique axis: the sacrum nods {s.nutation_deg:.2f}°, turns {s.rotation_left_deg:.2f}° "
            f"left and side-bends {abs(s.sidebend_left_deg):.2f}° {'right' if s.sidebend_left_deg < 0 else 'left'} — "
            f"'side-bent and rotated', but mostly nutation because on real anatomy the axis lies about 60° from "
            f"vertical. Named: {', '.join(d.named) or 'nothing'}.")
    return Shown(text, {"nutation_deg": s.nutation_deg, "rotation_left_deg": s.rotation_left_deg,
                        "sidebend_left_deg": s.sidebend_left_deg, "nutation_share": abs(s.nutation_deg) / total},
                 d.named, palpability(d), _warnings(d))


def _gold_twist(anatomy: Anatomy) -> Shown:
    d = _describe(anatomy, "twisted_shifted_sacrum", {"side": "left", "shift_mm": 1.5, "twist_deg": 1.0})
    innominate_names = d.innominate_left.named + d.innominate_right.named
    text = (f"Left half of the sacrum 1.5 mm down and twisted 1° forward: named {', '.join(d.named) or 'nothing'}; "
            f"{'no innominate is named' if not innominate_names else 'innominates named: ' + ', '.join(innominate_names)} "
            f"(only the sacrum moved). Within what RSA allows (translation never above 2 mm).")
    return Shown(text, {"innominates_named": float(len(innominate_names))}, d.named, palpability(d), _warnings(d))


def _gold_jammed(anatomy: Anatomy) -> Shown:
    base = _gait_peak(anatomy, 2.0)
    cycle = ring_models.gait_cycle(anatomy, {"stiffness_ratio": 2.0, "coupling_gain": 1.0}, 100)
    coupled = float(np.max(np.linalg.norm(np.degrees(cycle["sij_right"][:3]), axis=0)))
    d = _describe(anatomy, "gait", {"stiffness_ratio": 2.0})
    text = (f"Left SIJ twice as stiff: walking turns the laxer right SIJ {base['right_total_deg']:.2f}° against "
            f"{base['left_total_deg']:.2f}° on the stiff side — the other side does move more, from stiffness alone. "
            f"Gold's extra compensation (a hypothesis, off by default) would raise it to {coupled:.2f}°.")
    return Shown(text, {"stiff_left_deg": base["left_total_deg"], "lax_right_deg": base["right_total_deg"],
                        "with_compensation_right_deg": coupled}, d.named, palpability(d), _warnings(d))


MITCHELL_RIGHT_MIDSTANCE = 0.25
"""Gait phase of right mid-stance, where the Mitchell sequence peaks right-on-right
(:func:`pelvisim.ring_models.mitchell_torsion_rad`; phase 0 is right initial contact, where it is neutral)."""

CLAIMS: tuple[Claim, ...] = (
    Claim("gurd_sacral_rotation_flare", "seed article", "Gurd 2010",
          "A weak right sacral multifidus lets the sacrum rotate left; the ligaments then flare the left ilium in (ASIS "
          "toward the midline) and the right one out.",
          "sacral_rotation", {"left_deg": 1.0}, _gurd, ("Goode 2008", "Della Croce 1999", "Stovall & Kumar 2010"),
          "Horizontal-plane SIJ rotation is about 1° or less (systematic review); no study measured sacral rotation "
          "from a weak multifidus; the ASIS is located with a 15–20 mm error."),
    Claim("russell_ilium_flexion_iliacus", "seed article", "Russell 2024",
          "The ilium turns about its own centre like a wheel: 'flexion' (posterior rotation) helps lift the knee, "
          "'extension' locks the leg; a tight iliacus tips the same-side ilium forward.",
          "innominate_rotation", {"left_deg": -1.0}, _russell, ("Hungerford 2004", "Sturesson 2000"),
          "Skin markers saw the ilium rotate posteriorly on the hip-flexion side; RSA saw only very small SIJ rotations "
          "in the same test, below 1°. No in-vivo study shows the iliacus tipping the ilium."),
    Claim("luchau_walking_twist_asymmetric_stiffness", "seed article", "Luchau 2022",
          "Walking and turning twist the sacrum a little between the ilia in the horizontal plane; what matters is the "
          "evenness of left and right SIJ stiffness, not a static position, and position labels are unreliable.",
          "gait", {"stiffness_ratio": 2.0}, _luchau, ("Toyohara 2020", "Kibsgård 2014", "Damen 2002", "Stovall & Kumar 2010"),
          "SIJ motion in walking was never measured in vivo: finite elements give its direction; RSA saw about 0.5° in "
          "single-leg stance (patients with pelvic girdle pain); uneven laxity by Doppler imaging predicted persistent "
          "pain after pregnancy; palpation of position labels agrees at κ ≈ 0–0.2."),
    Claim("melt_side_bent_rotated_sacrum", "seed article", "MELT (Dalton)",
          "The sacrum gets stuck side-bent and rotated between the ilia; form and force closure keep the keystone in "
          "place.",
          "sacral_torsion", {"axis": "left_oblique", "direction": "left", "angle_deg": 2.0}, _melt,
          ("Mitchell (MSU)", "Stovall & Kumar 2010", "Tullberg 1998", "Snijders 1993"),
          "The oblique axes are hypothetical by their authors' account; sulcus palpation agrees at κ −0.4…0.37; "
          "manipulation changed palpation findings but not the RSA-measured SIJ position; self-bracing is a model."),
    Claim("gold_twisted_shifted_sacrum", "seed article", "Gold 2014",
          "One side of the sacrum shifts down and twists; 1–2 mm is said to be enough for symptoms.",
          "twisted_shifted_sacrum", {"side": "left", "shift_mm": 1.5, "twist_deg": 1.0}, _gold_twist,
          ("Kibsgård 2012", "Della Croce 1999"),
          "RSA never measured SIJ translation above 2 mm, so 1–2 mm is possible; a hand locates landmarks to 15–20 mm."),
    Claim("gold_jammed_side", "seed article", "Gold 2014",
          "When one SIJ is jammed, walking makes the other side move too much.",
          "gait", {"stiffness_ratio": 2.0, "coupling_gain": 0.0}, _gold_jammed, ("Cho 2023", "Lindsey 2015"),
          "Fixing one SIJ did not make the other hypermobile (cadaver); fusing an SIJ changed the adjacent lumbar "
          "segment's motion (L5–S1, not the other SIJ) by only 1–5 % (finite elements)."),
    # --- textbook stories -------------------------------------------------------------------------
    Claim("nutation", "textbook", "Kapandji", models.get_model("nutation").claim, "nutation", {"angle_deg": 2.0},
          _textbook("nutation", {"angle_deg": 2.0}, "2° of nutation"), ("Jacob & Kissling 1995", "Kibsgård 2012"),
          "0.5–2° per posture change (Kirschner wires with external markers); at most 3.6° by RSA."),
    Claim("innominate_rotation", "textbook", "Mitchell (MSU)", models.get_model("innominate_rotation").claim,
          "innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0},
          _textbook("innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0}, "left 1° posterior, right 1° anterior"),
          ("Sturesson 2000", "Hungerford 2004", "Meissner 1996"),
          "RSA: very small SIJ rotations in the standing hip-flexion test; skin markers: posterior rotation on the "
          "flexing side; symphysis vertical motion up to 2.6 mm in living subjects."),
    Claim("flare", "textbook", "Manual-therapy teaching", models.get_model("flare").claim, "flare", {"left_deg": 1.0},
          _textbook("flare", {"left_deg": 1.0}, "a 1° left inflare"), ("Goode 2008", "Meissner 1996"),
          "Horizontal-plane SIJ rotation about 1° or less (systematic review); no transverse symphysis motion in vivo."),
    Claim("upslip", "textbook", "Manual-therapy teaching", models.get_model("shear").claim, "shear", {"left_mm": 2.0},
          _textbook("shear", {"left_mm": 2.0}, "a 2 mm left upslip"), ("Kibsgård 2012", "Kibsgård 2014", "Kissling & Jacob 1996"),
          "SIJ translation never above 2 mm by RSA, none measurable in single-leg stance; > 2 mm proposed pathological."),
    Claim("pubic_shear", "textbook", "Manual-therapy teaching", models.get_model("pubic_shear").claim, "pubic_shear",
          {"left_mm": 2.0}, _textbook("pubic_shear", {"left_mm": 2.0}, "a 2 mm left superior pubic shear"),
          ("Meissner 1996",), "Symphysis vertical motion up to 2.6 mm in one-leg stance, 2.2 mm in walking (living subjects)."),
    Claim("sacral_torsion", "textbook", "Mitchell (MSU)", models.get_model("sacral_torsion").claim, "sacral_torsion",
          {"axis": "left_oblique", "direction": "left", "angle_deg": 2.0},
          _textbook("sacral_torsion", {"axis": "left_oblique", "direction": "left", "angle_deg": 2.0},
                    "2° about the left oblique axis, turning left"), ("Stovall & Kumar 2010", "Tullberg 1998"),
          "Axes hypothetical; sulcus palpation κ −0.4…0.37; manipulation did not change the RSA-measured position."),
    Claim("unilateral_sacral_flexion", "textbook", "Mitchell (MSU)", models.get_model("unilateral_sacral_flexion").claim,
          "unilateral_sacral_flexion", {"left_deg": 2.0},
          _textbook("unilateral_sacral_flexion", {"left_deg": 2.0}, "2° of left unilateral flexion"),
          ("Stovall & Kumar 2010", "O'Haire & Gibbons 2000"), "Sulcus κ −0.4…0.37 and 0.07; ILA κ 0.08."),
    Claim("mitchell_gait", "textbook", "Mitchell (MSU)", models.get_model("mitchell_gait").claim, "mitchell_gait",
          {"torsion_deg": 0.5},
          _textbook("mitchell_gait", {"torsion_deg": 0.5},
                    f"0.5° torsions in walking, right mid-stance (phase {MITCHELL_RIGHT_MIDSTANCE:g})",
                    MITCHELL_RIGHT_MIDSTANCE),
          ("Kibsgård 2012", "Kibsgård 2014"),
          "Never measured in walking; 0.5° is about what RSA saw in single-leg stance and below its 0.71° precision."),
)
"""Every claim, seed articles first."""


def rows(anatomy: Anatomy) -> list[dict[str, Any]]:
    """All rows, computed now."""
    return [claim.row(anatomy) for claim in CLAIMS]


def markdown(anatomy: Anatomy) -> str:
    """``docs/claims.md``: the table, computed."""
    lines = [
        "# Claims against the model and the evidence",
        "",
        "Generated by `pelvisim claims --markdown` on the bundled pelvis. *What the model shows* is computed when the "
        "table is made; *what measurement says* names each source and how it measured (every source in full: "
        "`pelvisim claims --references`). Palpation is judged against the 15–20 mm error of locating a landmark "
        "(Della Croce 1999), beside normal bony asymmetry (Preece 2008) and examiner agreement (Stovall & Kumar 2010) — "
        "a band, not a cut-off.",
        "",
    ]
    for row in rows(anatomy):
        lines += [
            f"## {row['key'].replace('_', ' ')} ({row['kind']})",
            "",
            f"- **Who:** {row['source']} — {row['source_method']}",
            f"- **Says:** {row['says']}",
            f"- **Model** (`{row['model']}`, {', '.join(f'{k} = {v}' for k, v in row['parameters'].items())}): "
            f"{row['model_shows']}",
        ]
        if row["limit_warnings"]:
            lines.append(f"- **Joint limits:** {' '.join(row['limit_warnings'])}")
        lines += [
            f"- **Measurement:** {row['measurement']} "
            + "; ".join(f"{m['citation']} — {m['method']}" for m in row["measured_by"]) + ".",
            f"- **Could a hand feel it?** {row['hand_could_feel']}",
            "",
        ]
    lines.append("Markers: [U] = textbook teaching that could not be checked against a measurement. RSA = "
                 "radiostereometric analysis of tantalum balls implanted in the bones.")
    return "\n".join(lines) + "\n"


def text(anatomy: Anatomy) -> str:
    """Plain-text table for the terminal."""
    out = []
    for row in rows(anatomy):
        out += [f"{row['key']} ({row['kind']}) — {row['source']} [{row['source_method']}]", f"  says: {row['says']}",
                f"  model ({row['model']}): {row['model_shows']}"]
        for w in row["limit_warnings"]:
            out.append(f"  joint limit: {w}")
        out += [f"  measurement: {row['measurement']}",
                "  sources: " + "; ".join(f"{m['citation']} [{m['method']}]" for m in row["measured_by"]),
                f"  hand: {row['hand_could_feel']}", ""]
    out.append("Markers: [U] = textbook teaching that could not be checked against a measurement. RSA = "
               "radiostereometric analysis of tantalum balls implanted in the bones.")
    return "\n".join(out)


def check_references() -> list[str]:
    """Reference keys the claims use that :data:`REFERENCES` does not know (empty when all are known)."""
    keys = {c.source for c in CLAIMS} | {k for c in CLAIMS for k in c.measured_by}
    return sorted(keys - set(REFERENCES))
