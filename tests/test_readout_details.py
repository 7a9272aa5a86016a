"""The machinery under the readouts, each piece against an independent check.

- the attribution's geometric median against a numerical minimisation of the summed distances;
- each §4 signature check's words against what the check measures;
- the RSA floors below which nothing is named (Kibsgård 2012: 0.71°, 0.47 mm);
- pubic-shear naming on the ring, and names computed with or without the attribution given;
- Kabsch and the smallest rotation between two directions, against known rigid motions;
- every body frame undoing a rigid motion of the whole pelvis exactly;
- the `pelvisim describe` table rows, named for the direction the bone really moved;
- word order and words of small values.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.spatial.transform import Rotation

from pelvisim import body_frame, descriptors, frames, joints, models, naming
from pelvisim.cli import describe_cmd
from pelvisim.pose import JointState

DEG = math.radians(1.0)


# --- the geometric median of the attribution -----------------------------------------------------------
def _summed_distance(x, points):
    return float(np.linalg.norm(points - x, axis=1).sum())


@pytest.mark.parametrize("seed", range(8))
def test_geometric_median_minimises_the_summed_distance(seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(3, 6)) * np.array([1.0, 2.0, 0.5, 3.0, 1.0, 2.0])
    if seed % 2:  # an obtuse triangle: push the third point between the other two
        points[2] = 0.5 * (points[0] + points[1]) + 0.05 * rng.normal(size=6)
    median = naming._geometric_median(points)
    best = minimize(_summed_distance, points.mean(axis=0), args=(points,), method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000})
    # The minimiser is unique for non-collinear points; 1e-6 of the summed distance is far below any
    # difference the naming could see, and far above Nelder-Mead's residual here.
    assert _summed_distance(median, points) <= best.fun + 1e-6 * best.fun
    assert _summed_distance(median, points) <= min(_summed_distance(p, points) for p in points) + 1e-12


def test_geometric_median_of_a_wide_angle_is_its_vertex_and_of_a_double_point_that_point():
    points = np.array([[0.0, 0, 0, 0, 0, 0], [10.0, 0, 0, 0, 0, 0], [5.0, 1.0, 0, 0, 0, 0]])  # 157° at the third
    np.testing.assert_allclose(naming._geometric_median(points), points[2])
    double = np.array([[1.0, 2, 3, 4, 5, 6], [1.0, 2, 3, 4, 5, 6], [9.0, 0, 0, 0, 0, 0]])
    np.testing.assert_allclose(naming._geometric_median(double), double[0])


def test_attribution_keeps_every_relative_motion_and_names_match_with_or_without_it(anatomy):
    state = JointState(T_pelvis={"sacrum": joints.nutation_axis(anatomy).rotation(2 * DEG),
                                 "innominate_left": frames.translation([0.0, 1.5, 0.0])})
    own = naming.attributed(anatomy, state)
    for bone in ("innominate_left", "innominate_right"):
        np.testing.assert_allclose(frames.invert(own["sacrum"]) @ own[bone], state.relative("sacrum", bone), atol=1e-12)
    assert naming.names(anatomy, state) == naming.names(anatomy, state, own)


# --- signature checks say what they measure -------------------------------------------------------
AXIS_WORDS = {naming.ANTERIOR: ("anterior", "posterior", "deeper", "shallower"), naming.SUPERIOR: ("higher", "lower", "superior", "inferior")}


def _direction(words: str) -> tuple[int, int]:
    """(axis, sign) a check's words state, e.g. "ASIS lower" -> (superior, −1)."""
    for axis, sign, keys in ((naming.SUPERIOR, +1, ("higher", "superior")), (naming.SUPERIOR, -1, ("lower", "inferior")),
                             (naming.ANTERIOR, +1, ("anterior", "deeper")), (naming.ANTERIOR, -1, ("posterior", "shallower"))):
        if any(f" {k}" in f" {words}" for k in keys):
            return axis, sign
    raise AssertionError(words)


def _first_landmark_coefficient(check) -> float:
    return check.terms[0][1]


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("name", ["anterior_rotation", "posterior_rotation", "inflare", "outflare", "upslip", "downslip",
                                  "superior_pubic_shear", "inferior_pubic_shear"])
def test_innominate_signature_words_match_their_checks(name, side):
    for check in naming.innominate_signature(name, side):
        (landmark, coefficient), = check.terms
        assert landmark.endswith(f"_{side}")
        if isinstance(check, naming.DiagonalCheck):  # §4's "ASIS anterior-inferior" / "superior-posterior"
            said = check.words.split(" ", 1)[1]
            expected = {"anterior-inferior": (1.0, -1.0), "superior-posterior": (-1.0, 1.0)}[said]
            assert (check.anterior, check.superior) == expected, check.words
        elif check.axis == naming.RIGHT:  # medial on the left is +Z, on the right −Z
            medial_sign = +1 if side == "left" else -1
            said = "medial" if " medial" in f" {check.words}" else "lateral"
            assert np.sign(coefficient) == (medial_sign if said == "medial" else -medial_sign), check.words
        else:
            assert (check.axis, np.sign(coefficient)) == _direction(check.words), check.words
        noun = landmark.rsplit("_", 1)[0].replace("_", " ").upper() if landmark.startswith(("asis", "psis")) else \
            landmark.rsplit("_", 1)[0].replace("_", " ")
        assert check.words.startswith(noun), check.words


SACRAL_NAMES = ["nutation", "counternutation", "sacrum rotated left", "sacrum rotated right", "sacrum side-bent left",
                "sacrum side-bent right", *[f"{s}-on-{s} forward torsion" for s in ("left", "right")],
                "left-on-right backward torsion", "right-on-left backward torsion",
                *[f"{s} unilateral sacral {m}" for s in ("left", "right") for m in ("flexion", "extension")]]


@pytest.mark.parametrize("name", SACRAL_NAMES)
def test_sacral_signature_words_match_their_checks(name):
    for check in naming.sacral_signature(name):
        words = check.words
        landmarks = [lm for lm, _ in check.terms]
        if words.endswith("sulcus lower"):               # "<side> sulcus lower": that sulcus down against the other
            side = words.split()[0]
            assert dict(check.terms)[f"sacral_sulcus_{side}"] < 0 and check.axis == naming.SUPERIOR
            continue
        if "sulcus" in words:                            # depth: the sulcus forward against the same-side PSIS
            side = words.split()[0]
            sign = +1 if "deeper" in words else -1
            assert check.axis == naming.ANTERIOR
            assert dict(check.terms)[f"sacral_sulcus_{side}"] == sign and dict(check.terms)[f"psis_{side}"] == -sign
            assert ("than the" in words) == (len(landmarks) == 4)
            continue
        axis, sign = _direction(words)
        assert check.axis == axis and np.sign(_first_landmark_coefficient(check)) == sign, words
        if words.startswith(("left ILA", "right ILA")):
            assert landmarks[0] == f"ila_{words.split()[0]}"
            assert ("compared with" in words) == (len(landmarks) == 2), words
        else:
            assert landmarks == ["sacral_apex"] and words.startswith("apex")


# --- RSA floors and ring names ---------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["left", "right"])
def test_nothing_is_named_below_the_rsa_floor(anatomy, side):
    # Kibsgård 2012: RSA resolves 0.71° and 0.47 mm in patients; smaller motion is described, not named.
    def named(model, params):
        return descriptors.describe(anatomy, models.joint_state(anatomy, model, params)).named

    assert named("shear", {f"{side}_mm": 0.6}) == (f"{side} upslip",)
    assert named("shear", {f"{side}_mm": 0.4}) == ()
    assert named("innominate_rotation", {f"{side}_deg": 0.8}) == (f"{side} anterior innominate rotation",)
    assert named("innominate_rotation", {f"{side}_deg": 0.6}) == ()
    assert naming.RSA_FLOOR_MM == 0.47 and naming.RSA_FLOOR_DEG == 0.71


@pytest.mark.parametrize("side", ["left", "right"])
def test_pubic_shear_is_named_on_the_ring_and_only_when_one_side_moves(anatomy, side):
    def ring_names(params):
        return descriptors.describe(anatomy, models.joint_state(anatomy, "pubic_shear", params)).to_dict()["descriptors"]["ring"]["named"]

    assert ring_names({f"{side}_mm": 0.8}) == [f"{side} superior pubic shear"]
    assert ring_names({f"{side}_mm": -0.8}) == [f"{side} inferior pubic shear"]
    # Both pubes up together: no shear between them, so no pubic-shear name.
    assert ring_names({"left_mm": 2.0, "right_mm": 2.0}) == []


# --- The smallest rotation and the body frames --------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_rotation_between_turns_one_direction_onto_the_other_by_the_least_angle(seed):
    rng = np.random.default_rng(seed)
    a, b = (v / np.linalg.norm(v) for v in rng.normal(size=(2, 3)))
    R = body_frame.rotation_between(a, b)
    np.testing.assert_allclose(R @ a, b, atol=1e-12)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    angle = math.acos(np.clip((np.trace(R) - 1) / 2, -1, 1))
    assert angle == pytest.approx(math.acos(np.clip(a @ b, -1, 1)), abs=1e-9)  # no turn about a itself
    np.testing.assert_allclose(body_frame.rotation_between(a, a), np.eye(3), atol=1e-15)


@pytest.mark.parametrize(("posture", "rotvec_deg"), [("standing", [2.0, -3.0, 1.5]), ("supine", [0.0, -3.0, 1.5]),
                                                     ("prone", [0.0, -3.0, 1.5])])
def test_every_body_frame_undoes_a_rigid_motion_of_the_whole_pelvis(anatomy, posture, rotvec_deg):
    # The whole pelvis carried by one rigid motion is no motion at all in the body frame. Lying, a
    # turn on the table (about X, the table's normal) is kept by rule ("the pelvis does not turn on
    # the table"), so the rigid motion here tilts it out of the table and shifts it only.
    T = frames.from_rt(Rotation.from_rotvec(np.radians(rotvec_deg)).as_matrix(), [4.0, -2.0, 3.0])
    state = JointState(T_pelvis={bone: T for bone in ("sacrum", "innominate_left", "innominate_right")})
    body = body_frame.in_body_frame(anatomy, state, posture)
    # Standing: exact. Lying: the two tilts, undone one after the other, leave a second-order turn about
    # the table normal (3° × 1.5° -> about 1e-5 rad here), which the lying rule keeps: 1e-3 (rad or mm).
    atol = 1e-9 if posture == "standing" else 1e-3
    for bone in ("sacrum", "innominate_left", "innominate_right"):
        np.testing.assert_allclose(body.T_pelvis[bone], np.eye(4), atol=atol)


# --- the describe table -------------------------------------------------------------------------------
ROW = re.compile(r"^\s*(.+\(−\))\s+([+-]\d+\.\d+)(?:°| mm)$")


def _table_rows(anatomy, state):
    """``{row label: [values in table order]}`` of the `pelvisim describe` text table for ``state``."""
    data = {"model": "test", "parameters": {}, "warnings": [], **descriptors.describe(anatomy, state).to_dict()}
    rows: dict[str, list[float]] = {}
    for line in describe_cmd._table(data).splitlines():
        match = ROW.match(line)
        if match:
            rows.setdefault(match.group(1).strip(), []).append(float(match.group(2)))
    return rows


INNOMINATE_ROWS = [
    (0, "anterior rotation (+) / posterior rotation (−)", lambda a, s, side: _shift(a, s, f"asis_{side}")[1] < 0),
    (1, "inflare (+) / outflare (−)", lambda a, s, side: abs(_moved(a, s, f"asis_{side}")[2]) < abs(a.point(f"asis_{side}")[2])),
    (2, "lateral tilt down (+) / lateral tilt up (−)", lambda a, s, side: _shift(a, s, f"iliac_tubercle_{side}")[1] < 0),
    (3, "upslip (+) / downslip (−)", lambda a, s, side: _shift(a, s, f"asis_{side}")[1] > 0),
    (4, "anterior glide (+) / posterior glide (−)", lambda a, s, side: _shift(a, s, f"asis_{side}")[0] > 0),
    (5, "medial glide (+) / lateral glide (−)", lambda a, s, side: abs(_moved(a, s, f"asis_{side}")[2]) < abs(a.point(f"asis_{side}")[2])),
]


def _moved(anatomy, state, name):
    T = np.asarray(state.T_pelvis[anatomy.landmark(name).bone])
    return T[:3, :3] @ anatomy.point(name) + T[:3, 3]


def _shift(anatomy, state, name):
    return _moved(anatomy, state, name) - anatomy.point(name)


@pytest.mark.parametrize(("index", "label", "goes_as_named"), INNOMINATE_ROWS, ids=[r[1].split(" (")[0] for r in INNOMINATE_ROWS])
def test_describe_table_rows_are_named_for_the_direction(anatomy, index, label, goes_as_named):
    q = np.zeros(6)
    q[index] = 2.0 * DEG if index < 3 else 2.0
    state = JointState(T_pelvis={"innominate_left": joints.q_to_transform(q, "left", joints.joint_centre(anatomy, "left"))})
    assert goes_as_named(anatomy, state, "left")  # + really is the first-named motion
    rows = _table_rows(anatomy, state)
    assert rows[label][0] == pytest.approx(2.0)  # the left innominate's row: +2.00 under the (+) word


SACRAL_ROWS = [
    (-frames.Z_RIGHT, "nutation (+) / counternutation (−)", lambda a, s: _shift(a, s, "sacral_promontory")[0] > 0),
    (frames.Y_SUPERIOR, "rotated left (+) / rotated right (−)", lambda a, s: _shift(a, s, "sacral_ala_right")[0] > 0),
    (-frames.X_ANTERIOR, "side-bent left (+) / side-bent right (−)", lambda a, s: _shift(a, s, "sacral_ala_left")[1] < 0),
]


@pytest.mark.parametrize(("direction", "label", "goes_as_named"), SACRAL_ROWS, ids=[r[1].split(" (")[0] for r in SACRAL_ROWS])
def test_describe_table_sacral_rows_are_named_for_the_direction(anatomy, direction, label, goes_as_named):
    centre = 0.5 * (anatomy.point("auricular_sacrum_left_centroid") + anatomy.point("auricular_sacrum_right_centroid"))
    state = JointState(T_pelvis={"sacrum": frames.rotation_about_axis(direction, 2.0 * DEG, centre)})
    assert goes_as_named(anatomy, state)
    assert _table_rows(anatomy, state)[label][0] == pytest.approx(2.0)


# --- words: order and small values ------------------------------------------------------------------------
def test_a_degree_counts_like_1_7_mm_in_the_word_order(anatomy):
    # Words list the larger component first, 1° weighing like 1.7 mm (about 1° at a 100 mm lever).
    def words(rotation_deg, upslip_mm):
        q = np.array([rotation_deg * DEG, 0, 0, upslip_mm, 0, 0])
        state = JointState(T_pelvis={"innominate_left": joints.q_to_transform(q, "left", joints.joint_centre(anatomy, "left"))})
        return descriptors.describe(anatomy, state).innominate_left.relative_to_sacrum.words

    assert words(1.0, 1.5) == "ilium turned 1.0° forward about a transverse axis (ASIS down), 1.5 mm superior"
    assert words(1.0, 1.9) == "ilium 1.9 mm superior, turned 1.0° forward about a transverse axis (ASIS down)"


def test_small_motions_keep_their_direction_words(anatomy):
    centre = joints.nutation_axis(anatomy)
    sacrum = descriptors.describe(anatomy, JointState(T_pelvis={"sacrum": centre.rotation(0.5 * DEG)})).sacrum
    assert "sacrum nodded 0.5° forward (base forward and down)" in sacrum.words
    q = np.array([-0.5 * DEG, 0, 0, 0, 0, 0])
    state = JointState(T_pelvis={"innominate_left": joints.q_to_transform(q, "left", joints.joint_centre(anatomy, "left"))})
    d = descriptors.describe(anatomy, state)
    assert d.innominate_left.relative_to_sacrum.words == "ilium turned 0.5° backward about a transverse axis (ASIS up)"
    assert d.summary.startswith("Left ilium turned 0.5° backward about a transverse axis (ASIS up)")


@pytest.mark.parametrize("side", ["left", "right"])
def test_ring_words_state_the_symphysis_motion(anatomy, side):
    # The left (or right) pubis alone 0.6 mm up: the other pubis is higher by −0.6 mm, i.e. this one is.
    state = models.joint_state(anatomy, "pubic_shear", {f"{side}_mm": 0.6})
    ring = descriptors.describe(anatomy, state).to_dict()["descriptors"]["ring"]
    assert f"{side} pubis 0.6 mm higher" in ring["words"]
    assert ring["symphysis_vertical_shear_mm"] == pytest.approx(0.6 if side == "right" else -0.6, abs=0.01)


def test_summary_says_which_side_of_the_sacrum_went_down(anatomy):
    centre = 0.5 * (anatomy.point("auricular_sacrum_left_centroid") + anatomy.point("auricular_sacrum_right_centroid"))
    for sign, side in ((+1, "left"), (-1, "right")):
        state = JointState(T_pelvis={"sacrum": frames.rotation_about_axis(-frames.X_ANTERIOR, sign * 2.0 * DEG, centre)})
        assert f"Sacrum tilted 2.0° in the frontal plane, {side} side down." in descriptors.describe(anatomy, state).summary


def test_summary_warns_when_the_palpable_sign_is_the_opposite_of_the_joint_motion(anatomy):
    # Gurd's sacral rotation: relative to the sacrum the left ilium flares in, but standing (hips held)
    # its ASIS moves outward — the summary must say so, with the numbers read off the landmarks.
    d_state = models.joint_state(anatomy, "sacral_rotation", {"left_deg": 1.0})
    d = descriptors.describe(anatomy, d_state)
    for side, joint, true in (("left", "toward", "inflare"), ("right", "away from", "outflare")):
        mine = d.innominate(side)
        flare = mine.relative_to_sacrum.inflare_deg
        asis_z = mine.landmark_shifts["asis"].shift_mm[2]
        medial = asis_z if side == "left" else -asis_z  # +Z is medial on the left, lateral on the right
        assert np.sign(flare) != np.sign(medial)  # the two really disagree here
        felt = "further from" if medial < 0 else "closer to"
        # Against the sacrum's own midline, by hand: the ASIS taken into the sacrum's frame (S⁻¹ · T p).
        S, T = np.asarray(d_state.T_pelvis["sacrum"]), np.asarray(d_state.T_pelvis[f"innominate_{side}"])
        p = anatomy.point(f"asis_{side}")
        own_z = np.linalg.solve(S, T @ np.append(p, 1.0))[2] - p[2]
        own = own_z if side == "left" else -own_z
        assert np.sign(own) == np.sign(flare)  # Gurd's sign, against the midline that turns with the trunk
        assert (f"Relative to the sacrum the {side} ilium turns {abs(flare):.1f}° with its ASIS {joint} the sacrum's "
                f"midline, but in the standing body frame that ASIS moves {abs(medial):.1f} mm {felt} the floor midline "
                f"({abs(own):.1f} mm {'closer to' if own > 0 else 'further from'} the sacrum's midline, the patient's own "
                f"midline that turns with the trunk): against the floor midline the palpable sign is the opposite of a "
                f"true {side} {true}; against the sacrum's midline, the one teaching judges flare by (inflare: ASIS "
                f"nearer the umbilicus), it is that of one.") in d.summary
    # A true inflare on its own: the ASIS goes where the joint says, and no such sentence appears.
    plain = descriptors.describe(anatomy, models.joint_state(anatomy, "flare", {"left_deg": 2.0}))
    assert "palpable sign is the opposite" not in plain.summary
