"""Clinical names, given only when their landmark signature is there.

A pose is a set of relative motions between three bones; a clinical name ("left upslip",
"left-on-left forward torsion") says which bone did what. pelvisim names a motion when three
conditions hold, all computed from the pose and the landmarks (never from a model's parameters):

1. **Which bone moved** (attribution). Relative motion at the two SIJs alone cannot say whether the
   sacrum or an innominate moved: a nutation and a bilateral posterior innominate rotation are the
   same joint motion. Clinically, sacroiliac and iliosacral motion are told apart by the other joint
   of the ring: an innominate that moves on its own disturbs the symphysis, a sacrum that moves
   between still ilia does not. pelvisim takes the most economical account: of all ways to split the
   pose into a motion of the sacrum and one of each innominate (any rigid change of reference), it
   picks the one with the least total motion — the geometric median of the three bones' motions
   (:func:`attributed`). A nutation then reads as the sacrum moving, a unilateral upslip as one
   innominate moving, a twisted and shifted sacrum as the sacrum alone.
2. **Big enough to be told from zero**: the named component reaches the precision of
   radiostereometric analysis in patients, 0.71° or 0.47 mm (Kibsgård 2012) — motion below what the
   reference method resolves is described in words, not named.
3. **The landmark signature** of reference/BIOMECHANICS.md §4: each landmark of the signature moves
   at least :data:`SIGNATURE_MIN_MM` in the stated direction when the bone's own (attributed)
   motion is applied (each landmark moved by its own bone's attributed motion; sulcus depth is read
   against the same-side PSIS).

Which account the signature is checked on: condition 3 moves each landmark by its own bone's
share of the pose in the **least-motion account** of condition 1 — not in the frame a clinician
palpates in. The two can disagree: a left upslip of 2 mm standing on both hips lifts the left hip,
so the standing body frame tilts the whole pelvis and the left ASIS ends up *lower*. So every name
is re-checked where its landmarks are palpated (:func:`check_in_posture`: innominate and pubic names
in the readout's body frame, sacral names prone, as the sulcus and ILA findings are read), and the
readout says when the signature fails there.

Innominate-rotation signatures follow §4: the ASIS moves along its sagittal diagonal (anterior
rotation: anterior-inferior; posterior: superior-posterior), so a turn about an axis that lies almost
level with the ASIS (the symphysis axis, where the ASIS mostly goes back or forward) still shows it;
the PSIS is checked on its vertical component only (higher for anterior, lower for posterior
rotation): §4 also lists "PSIS posterior", but on this anatomy every transverse axis used in
teaching (S2, Mitchell's inferior transverse axis, the symphysis) lies below the PSIS, so anterior
rotation carries the PSIS forward, not back — a finding stated in the innominate_rotation model's
evidence note. "Pubic tubercle inferior" is §4's for anterior rotation only; posterior rotation
lists no pubic sign and none is asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames, joints
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.frames import Transform
from pelvisim.pose import JointState

RSA_FLOOR_DEG = 0.71
RSA_FLOOR_MM = 0.47
RSA_FLOOR_SOURCE = (
    "smallest SIJ motion RSA resolves in patients: 0.71° rotation, 0.47 mm translation (Kibsgård 2012, "
    "Clin Orthop Relat Res 470:3187, double examinations)"
)
SIGNATURE_MIN_MM = 0.1
"""Each signature landmark must move at least this far in the stated direction (a pelvisim
tolerance: well above numerical noise, far below anything palpable)."""
PATTERN_MAX_OFF_AXIS_DEG = 20.0
"""A sacral rotation is read as a torsion, a unilateral flexion or a nutation only when its axis lies
within this angle of that pattern's axis (a pelvisim choice)."""
LEVEL_FRACTION = 0.25
"""Pubic shear keeps the ASIS and PSIS level: each moves vertically by less than this fraction of the
pubic tubercle's vertical motion (a pelvisim tolerance)."""
ATTRIBUTION_LEVER_MM = 100.0
"""Rotations and translations are weighed together in the attribution as rotation (rad) × this lever
+ translation (mm): about the SIJ-to-ASIS distance, so 1° counts like 1.7 mm."""


# --- which bone moved ------------------------------------------------------------------------------
def _geometric_median(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Point of least summed Euclidean distance to three points (3, d): the Fermat point of their triangle.

    When an angle of the triangle is 120° or more (or two points coincide) it is that vertex;
    otherwise the first isogonic centre, barycentric ``a·csc(A + 60°) : b·csc(B + 60°) : c·csc(C + 60°)``.
    """
    a = float(np.linalg.norm(points[1] - points[2]))
    b = float(np.linalg.norm(points[2] - points[0]))
    c = float(np.linalg.norm(points[0] - points[1]))
    sides = (a, b, c)
    for i in range(3):  # coincident points: the double point is the median
        if sides[i] < 1e-15:
            return points[(i + 1) % 3].copy()
    angles = []
    for i in range(3):
        opposite, left, right = sides[i], sides[(i + 1) % 3], sides[(i + 2) % 3]
        angles.append(float(np.arccos(np.clip((left**2 + right**2 - opposite**2) / (2 * left * right), -1.0, 1.0))))
    for i in range(3):
        if angles[i] >= 2.0 * np.pi / 3.0:
            return points[i].copy()
    weights = np.array([sides[i] / np.sin(angles[i] + np.pi / 3.0) for i in range(3)])
    return (weights[:, None] * points).sum(axis=0) / weights.sum()


def _to_metric(twist: NDArray[np.float64], centre: NDArray[np.float64]) -> NDArray[np.float64]:
    w, v = twist[:3], twist[3:]
    return np.concatenate([ATTRIBUTION_LEVER_MM * w, v + np.cross(w, centre)])


def _from_metric(x: NDArray[np.float64], centre: NDArray[np.float64]) -> NDArray[np.float64]:
    w = x[:3] / ATTRIBUTION_LEVER_MM
    return np.concatenate([w, x[3:] - np.cross(w, centre)])


def attributed(anatomy: Anatomy, state: JointState) -> dict[str, Transform]:
    """Each pelvic bone's own motion: the rigid re-reference with the least total motion (see module).

    Returns ``{"sacrum", "innominate_left", "innominate_right"}`` displacements; relative motions
    are exactly those of ``state``.
    """
    centre = 0.5 * (anatomy.point("auricular_sacrum_left_centroid") + anatomy.point("auricular_sacrum_right_centroid"))
    S_inv = frames.invert(state.T_pelvis["sacrum"])
    relative = {side: frames.log(S_inv @ state.T_pelvis[f"innominate_{side}"]) for side in SIDES}
    points = np.array([np.zeros(6)] + [-_to_metric(relative[side], centre) for side in SIDES])
    sacrum = frames.exp(_from_metric(_geometric_median(points), centre))
    reference = sacrum @ S_inv
    return {bone: reference @ T for bone, T in state.T_pelvis.items()}


# --- signatures -------------------------------------------------------------------------------------
Moves = Callable[[str], NDArray[np.float64]]
"""``moves(landmark) -> displacement (3,)`` under the bone's own motion."""


@dataclass(frozen=True)
class Check:
    """One landmark motion of a signature: ``Σ coefficient · displacement[axis]`` ≥ the minimum.

    ``terms`` lists ``(landmark, coefficient)``: one landmark with +1 or −1 for a plain direction
    ("left ILA posterior" = −1 × its X motion); a difference of landmarks for what a clinician
    compares (sulcus depth against the PSIS; one side against the other).
    """

    terms: tuple[tuple[str, float], ...]
    axis: int
    words: str

    @property
    def landmarks(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.terms)

    def amount_mm(self, moves: Moves) -> float:
        return float(sum(c * moves(name)[self.axis] for name, c in self.terms))

    def met(self, moves: Moves) -> bool:
        return self.amount_mm(moves) >= SIGNATURE_MIN_MM


ANTERIOR, SUPERIOR, RIGHT = 0, 1, 2


def _lateral_sign(side: str) -> int:
    return 1 if side == "right" else -1


def _one(name: str, axis: int, sign: int, words: str) -> Check:
    return Check(((name, float(sign)),), axis, words)


@dataclass(frozen=True)
class DiagonalCheck(Check):
    """A landmark moving along a sagittal diagonal, e.g. §4's "ASIS anterior-inferior": its motion along
    ``(anterior·X + superior·Y)/√2`` must reach the minimum (``terms`` holds the landmark once)."""

    anterior: float = 0.0
    superior: float = 0.0

    def amount_mm(self, moves: Moves) -> float:
        d = moves(self.terms[0][0])
        return float((self.anterior * d[ANTERIOR] + self.superior * d[SUPERIOR]) / np.sqrt(2.0))


def _diagonal(name: str, anterior: int, superior: int, words: str) -> Check:
    return DiagonalCheck(((name, 1.0),), ANTERIOR, words, float(anterior), float(superior))


def innominate_signature(name: str, side: str) -> tuple[Check, ...]:
    """The §4 checks (palpable components) for an innominate name on ``side``.

    ``name`` is one of ``anterior_rotation``, ``posterior_rotation``, ``inflare``, ``outflare``,
    ``upslip``, ``downslip``, ``superior_pubic_shear``, ``inferior_pubic_shear``.
    """
    lat = _lateral_sign(side)
    s = f"_{side}"
    spines = (("asis", "ASIS"), ("psis", "PSIS"), ("pubic_tubercle", "pubic tubercle"), ("ischial_tuberosity", "ischial tuberosity"))
    table: dict[str, tuple[Check, ...]] = {
        "anterior_rotation": (_diagonal("asis" + s, +1, -1, "ASIS anterior-inferior"),
                              _one("psis" + s, SUPERIOR, +1, "PSIS higher"),
                              _one("pubic_tubercle" + s, SUPERIOR, -1, "pubic tubercle lower")),
        "posterior_rotation": (_diagonal("asis" + s, -1, +1, "ASIS superior-posterior"),
                               _one("psis" + s, SUPERIOR, -1, "PSIS lower")),
        "inflare": (_one("asis" + s, RIGHT, -lat, "ASIS medial"), _one("psis" + s, RIGHT, lat, "PSIS lateral")),
        "outflare": (_one("asis" + s, RIGHT, lat, "ASIS lateral"), _one("psis" + s, RIGHT, -lat, "PSIS medial")),
        "upslip": tuple(_one(n + s, SUPERIOR, +1, f"{w} higher") for n, w in spines),
        "downslip": tuple(_one(n + s, SUPERIOR, -1, f"{w} lower") for n, w in spines),
        "superior_pubic_shear": (_one("pubic_tubercle" + s, SUPERIOR, +1, "pubic tubercle higher"),),
        "inferior_pubic_shear": (_one("pubic_tubercle" + s, SUPERIOR, -1, "pubic tubercle lower"),),
    }
    return table[name]


def _deep(side: str, sign: int = +1) -> Check:
    """The sulcus of ``side`` deeper (+1) or shallower (−1): the sacral base forward against the PSIS."""
    return Check(((f"sacral_sulcus_{side}", float(sign)), (f"psis_{side}", float(-sign))), ANTERIOR,
                 f"{side} sulcus {'deeper' if sign > 0 else 'shallower'}")


def _deeper_than(side: str) -> Check:
    """The sulcus of ``side`` deeper than the other one (compared side to side)."""
    other = "right" if side == "left" else "left"
    return Check(((f"sacral_sulcus_{side}", 1.0), (f"psis_{side}", -1.0), (f"sacral_sulcus_{other}", -1.0),
                  (f"psis_{other}", 1.0)), ANTERIOR, f"{side} sulcus deeper than the {other}")


def _ila(side: str, axis: int, sign: int, compared: bool = False) -> Check:
    words = {(ANTERIOR, 1): "anterior", (ANTERIOR, -1): "posterior", (SUPERIOR, 1): "superior", (SUPERIOR, -1): "inferior"}
    other = "right" if side == "left" else "left"
    if compared:
        return Check(((f"ila_{side}", float(sign)), (f"ila_{other}", float(-sign))), axis,
                     f"{side} ILA {words[(axis, sign)]} compared with the {other}")
    return _one(f"ila_{side}", axis, sign, f"{side} ILA {words[(axis, sign)]}")


def sacral_signature(name: str) -> tuple[Check, ...]:
    """The §4 checks for a sacral name, e.g. ``"left-on-left forward torsion"`` or ``"nutation"``.

    How §4 is read: "deep / shallow sulcus" is the sacral base moving forward / back against the
    same-side PSIS; where §4 compares sides ("deep right sulcus, left ILA posterior" of the
    torsions) the check compares the two sides, as a clinician does. Unilateral flexion: its sulcus
    deep and deeper than the other, its ILA down and back and lower than the other; compared side to
    side a rigid sacrum cannot also show a more posterior ILA on the flexed side (a left-right
    difference in depth is the same at every height), so that comparison is not asked for.
    """
    table: dict[str, tuple[Check, ...]] = {
        "nutation": (_deep("left"), _deep("right"), _one("sacral_apex", ANTERIOR, -1, "apex posterior")),
        "counternutation": (_deep("left", -1), _deep("right", -1), _one("sacral_apex", ANTERIOR, +1, "apex anterior")),
        "sacrum rotated left": (_deeper_than("right"), _ila("left", ANTERIOR, -1, compared=True)),
        "sacrum rotated right": (_deeper_than("left"), _ila("right", ANTERIOR, -1, compared=True)),
        "sacrum side-bent left": (Check((("sacral_sulcus_left", -1.0), ("sacral_sulcus_right", 1.0)), SUPERIOR, "left sulcus lower"),
                                  _ila("left", SUPERIOR, -1, compared=True)),
        "sacrum side-bent right": (Check((("sacral_sulcus_right", -1.0), ("sacral_sulcus_left", 1.0)), SUPERIOR, "right sulcus lower"),
                                   _ila("right", SUPERIOR, -1, compared=True)),
    }
    for side, other in (("left", "right"), ("right", "left")):
        # forward torsion on the <side> oblique axis: the other base goes forward (deep sulcus there),
        # the <side> ILA goes back compared with the other one.
        table[f"{side}-on-{side} forward torsion"] = (_deep(other), _deeper_than(other), _ila(side, ANTERIOR, -1, compared=True))
        # backward torsion <side>-on-<other>: the <side> base goes back (shallow sulcus there, so the
        # other side is the deeper), the <side> ILA back compared with the other one.
        table[f"{side}-on-{other} backward torsion"] = (_deep(side, -1), _deeper_than(other),
                                                        _ila(side, ANTERIOR, -1, compared=True))
        table[f"{side} unilateral sacral flexion"] = (_deep(side), _deeper_than(side), _ila(side, SUPERIOR, -1),
                                                      _ila(side, ANTERIOR, -1), _ila(side, SUPERIOR, -1, compared=True))
        table[f"{side} unilateral sacral extension"] = (_deep(side, -1), _ila(side, SUPERIOR, +1), _ila(side, ANTERIOR, +1),
                                                        _ila(side, SUPERIOR, +1, compared=True))
    return table[name]


# --- naming -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Names:
    """The names a pose earns, per bone and for the ring."""

    innominate_left: tuple[str, ...]
    innominate_right: tuple[str, ...]
    sacrum: tuple[str, ...]
    ring: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        """Every name, ring last."""
        return self.innominate_left + self.innominate_right + self.sacrum + self.ring


def _mover(anatomy: Anatomy, T_by_bone: Mapping[str, Transform]) -> Moves:
    """Landmark displacements with each bone moved by ``T_by_bone`` (bones not given stay still)."""
    def moves(name: str) -> NDArray[np.float64]:
        lm = anatomy.landmarks[name]
        T = T_by_bone.get(lm.bone)
        return np.zeros(3) if T is None else frames.apply(T, lm.position_mm) - lm.position_mm
    return moves


def _has(anatomy: Anatomy, checks: tuple[Check, ...]) -> bool:
    return all(name in anatomy.landmarks for c in checks for name in c.landmarks)


INNOMINATE_NAMES = {
    "anterior_rotation": "anterior innominate rotation", "posterior_rotation": "posterior innominate rotation",
    "inflare": "inflare", "outflare": "outflare", "upslip": "upslip", "downslip": "downslip",
}


def _innominate_names(anatomy: Anatomy, T_own: Transform, side: str) -> list[str]:
    q = joints.transform_to_q(T_own, side, joints.joint_centre(anatomy, side))
    moves = _mover(anatomy, {f"innominate_{side}": T_own})
    out = []
    for value, floor, positive, negative in (
        (np.degrees(q[0]), RSA_FLOOR_DEG, "anterior_rotation", "posterior_rotation"),
        (np.degrees(q[1]), RSA_FLOOR_DEG, "inflare", "outflare"),
        (q[3], RSA_FLOOR_MM, "upslip", "downslip"),
    ):
        if abs(value) < floor:
            continue
        name = positive if value > 0 else negative
        checks = innominate_signature(name, side)
        if _has(anatomy, checks) and all(c.met(moves) for c in checks):
            out.append(f"{side} {INNOMINATE_NAMES[name]}")
    return out


def _rotvec(T: Transform) -> NDArray[np.float64]:
    return joints.rotation_vector(T)


def _sacral_names(anatomy: Anatomy, own: Mapping[str, Transform]) -> list[str]:
    """Names of the sacrum's own (attributed) motion, checked against the landmarks of all three bones."""
    rotvec = _rotvec(own["sacrum"])
    angle_deg = float(np.degrees(np.linalg.norm(rotvec)))
    moves = _mover(anatomy, own)
    candidates: list[str] = []
    if angle_deg >= RSA_FLOOR_DEG:
        u = rotvec / np.linalg.norm(rotvec)
        patterns: list[tuple[NDArray, str, str]] = [(joints.nutation_axis(anatomy).direction, "nutation", "counternutation")]
        for which in joints.OBLIQUE_AXES:
            a = joints.oblique_axis(anatomy, which).direction  # + = rotation to the left
            side = "left" if which == "left_oblique" else "right"
            other = "right" if side == "left" else "left"
            forward = f"{side}-on-{side} forward torsion"
            backward = f"{other}-on-{side} backward torsion"
            patterns.append((a, forward if side == "left" else backward, backward if side == "left" else forward))
        for side in SIDES:
            patterns.append((joints.unilateral_flexion_axis(anatomy, side).direction,
                             f"{side} unilateral sacral flexion", f"{side} unilateral sacral extension"))
        best = min(patterns, key=lambda p: np.arccos(min(1.0, abs(float(u @ p[0])))))
        off = float(np.degrees(np.arccos(min(1.0, abs(float(u @ best[0]))))))
        if off <= PATTERN_MAX_OFF_AXIS_DEG:
            candidates.append(best[1] if u @ best[0] > 0 else best[2])
        else:
            for component, axis, sign, positive, negative in (
                (rotvec, 2, -1, "nutation", "counternutation"),
                (rotvec, 1, +1, "sacrum rotated left", "sacrum rotated right"),
                (rotvec, 0, -1, "sacrum side-bent left", "sacrum side-bent right"),
            ):
                value = float(np.degrees(sign * component[axis]))
                if abs(value) >= RSA_FLOOR_DEG:
                    candidates.append(positive if value > 0 else negative)
    return [n for n in candidates if _has(anatomy, sacral_signature(n)) and all(c.met(moves) for c in sacral_signature(n))]


def _ring_names(anatomy: Anatomy, own: Mapping[str, Transform]) -> list[str]:
    if not all(f"{n}_{s}" in anatomy.landmarks for n in ("pubic_tubercle", "asis", "psis") for s in SIDES):
        return []
    out = []
    for side in SIDES:
        moves = _mover(anatomy, own)
        pubic = float(moves(f"pubic_tubercle_{side}")[1])
        shear = pubic - float(moves(f"pubic_tubercle_{'right' if side == 'left' else 'left'}")[1])
        if abs(shear) < RSA_FLOOR_MM or abs(pubic) < RSA_FLOOR_MM:
            continue
        level = all(abs(float(moves(f"{n}_{side}")[1])) < LEVEL_FRACTION * abs(pubic) for n in ("asis", "psis"))
        name = "superior_pubic_shear" if pubic > 0 else "inferior_pubic_shear"
        if level and all(c.met(moves) for c in innominate_signature(name, side)):
            out.append(f"{side} {name.replace('_', ' ')}")
    return out


ACCOUNT = "least-motion account"
"""The account every name is given on (condition 1 of the module docstring)."""
ACCOUNT_WORDS = "the least-motion account (each bone given its own share of the pose, the split with the least total bone motion)"
_INNOMINATE_KEYS = {words: key for key, words in INNOMINATE_NAMES.items()}
_SACRAL_NAMES = frozenset(
    ["nutation", "counternutation", "sacrum rotated left", "sacrum rotated right", "sacrum side-bent left",
     "sacrum side-bent right"]
    + [f"{s}-on-{s} forward torsion" for s in SIDES] + ["left-on-right backward torsion", "right-on-left backward torsion"]
    + [f"{s} unilateral sacral {k}" for s in SIDES for k in ("flexion", "extension")])


def is_sacral(name: str) -> bool:
    """True for a name of the sacrum's own motion (``"nutation"``, ``"left-on-left forward torsion"`` …)."""
    return name in _SACRAL_NAMES


def signature_of(name: str) -> tuple[Check, ...]:
    """The §4 checks of a name as displayed, e.g. ``"left upslip"``, ``"nutation"``, ``"left superior pubic shear"``.

    Innominate check words get their side (``"left ASIS higher"``).
    """
    if is_sacral(name):
        return sacral_signature(name)
    side, _, rest = name.partition(" ")
    if side not in SIDES:
        raise KeyError(f"not a clinical name pelvisim gives: {name!r}")
    key = _INNOMINATE_KEYS.get(rest) or rest.replace(" ", "_")
    return tuple(dataclasses.replace(c, words=f"{side} {c.words}") for c in innominate_signature(key, side))


def palpation_posture(name: str, readout_posture: str) -> str:
    """Where a name's landmarks are palpated: sacral names prone, the others in the readout's posture."""
    return "prone" if is_sacral(name) else readout_posture


@dataclass(frozen=True)
class PostureCheck:
    """A name's signature re-checked with the landmarks as they move in a body frame.

    Attributes
    ----------
    name : str
        The name, given on :data:`ACCOUNT`.
    posture : str
        ``"standing"``, ``"supine"`` or ``"prone"``.
    failed : tuple of (str, float)
        Each signature check not met there: its words and how far (mm) the landmarks move in the
        stated direction (negative: the other way; met is ≥ :data:`SIGNATURE_MIN_MM`).
    """

    name: str
    posture: str
    failed: tuple[tuple[str, float], ...]

    @property
    def met(self) -> bool:
        """True when every check of the signature holds in this posture too."""
        return not self.failed

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready dict."""
        return {"name": self.name, "account": ACCOUNT, "posture": self.posture, "met": self.met,
                "failed": [{"check": words, "amount_mm": amount} for words, amount in self.failed]}


def check_in_posture(anatomy: Anatomy, name: str, body_state: JointState, posture: str) -> PostureCheck:
    """Re-check ``name``'s signature with every landmark moved as in ``body_state`` (a body-frame state,
    :func:`pelvisim.body_frame.in_body_frame` of ``posture``) instead of by its bone's own share."""
    moves = _mover(anatomy, body_state.T_pelvis)
    failed = tuple((c.words, c.amount_mm(moves)) for c in signature_of(name) if not c.met(moves))
    return PostureCheck(name, posture, failed)


def names(anatomy: Anatomy, state: JointState, own: Mapping[str, Transform] | None = None) -> Names:
    """The clinical names a true-scale pose earns (see the module docstring for the three conditions).

    ``own`` is :func:`attributed` of the state, when the caller has it already.
    """
    own = attributed(anatomy, state) if own is None else own
    return Names(
        innominate_left=tuple(_innominate_names(anatomy, own["innominate_left"], "left")),
        innominate_right=tuple(_innominate_names(anatomy, own["innominate_right"], "right")),
        sacrum=tuple(_sacral_names(anatomy, own)),
        ring=tuple(_ring_names(anatomy, own)),
    )
