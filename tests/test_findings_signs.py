"""Every palpation finding, left and right, against a hand computation from the landmark positions.

The hand computations below use only ``anatomy.point`` and the bones' 4×4 displacements
(``JointState.T_pelvis``), applied here with plain matrix arithmetic — never the finding rules
of :mod:`pelvisim.descriptors` — and clinical sign expectations taken from the landmark
signatures of reference/BIOMECHANICS.md §4. Every finding is "left minus right of how much that
side shows the named sign", so a motion on the left and the same motion on the right must give
opposite signs.

Each finding is read in the posture its test is done in (sulcus and ILA prone, leg length supine,
the iliac spines in the readout's body frame), so the hand computation first re-references the
state to that body frame (:func:`pelvisim.body_frame.in_body_frame`, whose rule is tested on its
own in test_body_frame.py). The clinical signatures are checked supine, where these tests are
done: standing, the femoral heads hold both hips, and an upslip tilts the ring instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pelvisim import body_frame, descriptors, models
from pelvisim.pose import JointState

ASIS_HEIGHT = "ASIS height difference"
ASIS_MIDLINE = "ASIS-to-midline difference"
PSIS_HEIGHT = "PSIS height difference"
TILT = "ASIS-PSIS tilt difference"
SULCUS = "sacral sulcus depth difference"
ILA_POSTERIOR = "ILA posterior difference"
ILA_HEIGHT = "ILA height difference"
LEG = "apparent leg-length difference (medial malleoli)"
ALL_FINDINGS = (ASIS_HEIGHT, ASIS_MIDLINE, PSIS_HEIGHT, TILT, SULCUS, ILA_POSTERIOR, ILA_HEIGHT, LEG)

EXACT = 1e-9  # mm or deg: the same rigid arithmetic done twice, so only rounding may differ


POSTURE_OF = {SULCUS: "prone", ILA_POSTERIOR: "prone", ILA_HEIGHT: "prone", LEG: "supine"}
"""Findings read in a fixed posture; the others follow the readout's posture."""


def framed(anatomy, state: JointState, name: str, posture: str) -> JointState:
    """The state re-referenced to the body frame the finding ``name`` is read in."""
    return body_frame.in_body_frame(anatomy, state, POSTURE_OF.get(name, posture))


def finding(anatomy, state: JointState, name: str, posture: str = "standing") -> float:
    """The named finding's left-minus-right difference; a missing finding is a failure, not a skip."""
    by_name = {f.name: f for f in descriptors.describe(anatomy, state, posture=posture).findings}
    assert name in by_name, f"finding {name!r} missing; the pose reports {sorted(by_name)}"
    return by_name[name].difference


# --- hand computations -------------------------------------------------------------------------
def moved(anatomy, state: JointState, name: str) -> np.ndarray:
    """Landmark ``name`` after its bone's displacement: R p + t, by hand."""
    T = np.asarray(state.T_pelvis[anatomy.landmark(name).bone])
    p = anatomy.point(name)
    return T[:3, :3] @ p + T[:3, 3]


def shift(anatomy, state, name) -> np.ndarray:
    return moved(anatomy, state, name) - anatomy.point(name)


def sagittal_drop_deg(before: np.ndarray, after: np.ndarray) -> float:
    """How far (deg) the PSIS→ASIS line tipped its front end down, from the sagittal projections.

    Signed angle from ``before`` to ``after`` about +Z (counter-clockwise seen from the right,
    i.e. front end up) by cross and dot products; "tipped down" is the negative of it.
    """
    u, v = before[:2], after[:2]
    return -math.degrees(math.atan2(u[0] * v[1] - u[1] * v[0], u @ v))


def hand_side(anatomy, state, name: str, side: str) -> float:
    """How much ``side`` shows the sign the finding names (mm or deg), from landmark positions."""
    p = lambda n: anatomy.point(f"{n}_{side}")  # noqa: E731
    m = lambda n: moved(anatomy, state, f"{n}_{side}")  # noqa: E731
    if name == ASIS_HEIGHT:      # "ASIS higher"
        return m("asis")[1] - p("asis")[1]
    if name == ASIS_MIDLINE:     # "ASIS further from the midline": |z| grew
        return abs(m("asis")[2]) - abs(p("asis")[2])
    if name == PSIS_HEIGHT:      # "PSIS higher"
        return m("psis")[1] - p("psis")[1]
    if name == TILT:             # "ASIS tipped further down relative to the PSIS"
        return sagittal_drop_deg(p("asis") - p("psis"), m("asis") - m("psis"))
    if name == SULCUS:           # "sacral sulcus deeper": the sulcus went forward relative to the PSIS
        return (m("sacral_sulcus")[0] - m("psis")[0]) - (p("sacral_sulcus")[0] - p("psis")[0])
    if name == ILA_POSTERIOR:    # "ILA more posterior"
        return -(m("ila")[0] - p("ila")[0])
    if name == ILA_HEIGHT:       # "ILA lower"
        return -(m("ila")[1] - p("ila")[1])
    if name == LEG:              # "leg looks longer": supine, the straight leg follows its acetabulum centre down
        return -(m("acetabulum_centre")[1] - p("acetabulum_centre")[1])
    raise AssertionError(name)


def hand(anatomy, state, name: str, posture: str = "standing") -> float:
    state = framed(anatomy, state, name, posture)
    return hand_side(anatomy, state, name, "left") - hand_side(anatomy, state, name, "right")


def random_state(seed: int, max_deg: float = 3.0, max_mm: float = 3.0) -> JointState:
    """Every pelvic bone displaced by its own random small rigid motion (teaching-range sizes)."""
    rng = np.random.default_rng(seed)
    T_pelvis = {}
    for bone in ("sacrum", "innominate_left", "innominate_right"):
        T = np.eye(4)
        T[:3, :3] = Rotation.from_rotvec(np.radians(rng.uniform(-max_deg, max_deg, 3))).as_matrix()
        T[:3, 3] = rng.uniform(-max_mm, max_mm, 3)
        T_pelvis[bone] = T
    return JointState(T_pelvis=T_pelvis)


# --- the value of every finding equals the hand computation ----------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_every_finding_equals_the_hand_computation_on_random_poses(anatomy, seed):
    state = random_state(seed)
    d = descriptors.describe(anatomy, state)
    by_name = {f.name: f for f in d.findings}
    assert set(ALL_FINDINGS) <= set(by_name), sorted(by_name)
    for name in ALL_FINDINGS:
        expected = hand(anatomy, state, name)
        assert by_name[name].difference == pytest.approx(expected, abs=EXACT), name
        # The words name the side that shows the sign more (left minus right > 0 -> "on the left").
        if abs(expected) >= descriptors.NEGLIGIBLE:
            assert f"on the {'left' if expected > 0 else 'right'} by" in by_name[name].words, (name, by_name[name].words)


INNOMINATE_FINDINGS = (ASIS_HEIGHT, ASIS_MIDLINE, PSIS_HEIGHT, TILT, SULCUS, LEG)


@pytest.mark.parametrize("name", INNOMINATE_FINDINGS)
def test_a_one_sided_innominate_motion_gives_that_side_its_sign(anatomy, name):
    # Only one innominate moves. Supine on the table that side dominates the finding: it carries the
    # sign + on the left and − on the right, and the value is the hand computation in that frame.
    for seed in range(4):
        full = random_state(100 + seed)
        for side, sign in (("left", +1.0), ("right", -1.0)):
            state = JointState(T_pelvis={f"innominate_{side}": full.T_pelvis[f"innominate_{side}"]})
            on_table = framed(anatomy, state, name, "supine")
            own = hand_side(anatomy, on_table, name, side)
            other = hand_side(anatomy, on_table, name, "right" if side == "left" else "left")
            assert abs(own) > 1e-3, "the random motion must actually move this finding"
            assert finding(anatomy, state, name, "supine") == pytest.approx(sign * (own - other), abs=EXACT), (side, seed)


# --- clinical signatures (BIOMECHANICS §4), left and right ------------------------------------------
# (model, parameters with "{side}", finding, sign of the finding when the LEFT side has the motion)
SIGNATURES = [
    # upslip: ASIS, PSIS superior; leg shorter
    ("shear", {"{side}_mm": 3.0}, ASIS_HEIGHT, +1),
    ("shear", {"{side}_mm": 3.0}, PSIS_HEIGHT, +1),
    ("shear", {"{side}_mm": 3.0}, LEG, -1),
    # downslip: the reverse
    ("shear", {"{side}_mm": -3.0}, ASIS_HEIGHT, -1),
    ("shear", {"{side}_mm": -3.0}, PSIS_HEIGHT, -1),
    ("shear", {"{side}_mm": -3.0}, LEG, +1),
    # anterior innominate rotation: ASIS anterior-inferior, PSIS posterior-superior, leg longer
    ("innominate_rotation", {"{side}_deg": 2.0}, ASIS_HEIGHT, -1),
    ("innominate_rotation", {"{side}_deg": 2.0}, PSIS_HEIGHT, +1),
    ("innominate_rotation", {"{side}_deg": 2.0}, TILT, +1),
    ("innominate_rotation", {"{side}_deg": 2.0}, LEG, +1),
    # posterior innominate rotation: ASIS superior, PSIS inferior, leg shorter
    ("innominate_rotation", {"{side}_deg": -2.0}, ASIS_HEIGHT, +1),
    ("innominate_rotation", {"{side}_deg": -2.0}, PSIS_HEIGHT, -1),
    ("innominate_rotation", {"{side}_deg": -2.0}, TILT, -1),
    ("innominate_rotation", {"{side}_deg": -2.0}, LEG, -1),
    # inflare: ASIS medial (nearer the midline); outflare: lateral
    ("flare", {"{side}_deg": 2.0}, ASIS_MIDLINE, -1),
    ("flare", {"{side}_deg": -2.0}, ASIS_MIDLINE, +1),
]


@pytest.mark.parametrize(("model", "template", "name", "left_sign"), SIGNATURES,
                         ids=[f"{m}-{list(t.values())[0]:+g}-{n}" for m, t, n, _ in SIGNATURES])
@pytest.mark.parametrize("side", ["left", "right"])
def test_innominate_signatures_have_the_named_sign(anatomy, model, template, name, left_sign, side):
    params = {key.format(side=side): value for key, value in template.items()}
    state = models.joint_state(anatomy, model, params)
    value = finding(anatomy, state, name, "supine")
    expected_sign = left_sign if side == "left" else -left_sign
    assert np.sign(value) == expected_sign, (side, value)
    assert value == pytest.approx(hand(anatomy, state, name, "supine"), abs=EXACT)


def test_upslip_and_anterior_rotation_by_hand_numbers(anatomy):
    # Supine, a pure 3 mm upslip lifts every landmark of that innominate by exactly 3 mm: the table
    # contacts on the sacrum do not move and the PSIS only slides along the table.
    state = models.joint_state(anatomy, "shear", {"left_mm": 3.0})
    assert finding(anatomy, state, ASIS_HEIGHT, "supine") == pytest.approx(3.0, abs=EXACT)
    assert finding(anatomy, state, PSIS_HEIGHT, "supine") == pytest.approx(3.0, abs=EXACT)
    assert finding(anatomy, state, LEG) == pytest.approx(-3.0, abs=EXACT)
    assert finding(anatomy, state, TILT, "supine") == pytest.approx(0.0, abs=EXACT)
    # Anterior rotation by θ about the S2 transverse axis turns the ASIS–PSIS line by exactly θ
    # (a rigid rotation about Z turns every sagittal line by the same angle); a table frame turns
    # both sides' lines alike, so the difference stays θ (to 0.01°: its small turn about Y tips the
    # two sagittal projections by slightly different amounts).
    state = models.joint_state(anatomy, "innominate_rotation", {"right_deg": 2.0})
    assert finding(anatomy, state, TILT, "supine") == pytest.approx(-2.0, abs=0.01)
    # In the pelvic frame the PSIS lies behind the axis, so it rises by −(x·sinθ) + y·(cosθ − 1).
    axis = descriptors.joints.nutation_axis(anatomy)
    x, y = (anatomy.point("psis_right") - axis.point_mm)[:2]
    theta = math.radians(2.0)
    rise = -x * math.sin(theta) + y * (math.cos(theta) - 1.0)
    assert rise > 0
    pelvic_frame = hand_side(anatomy, state, PSIS_HEIGHT, "left") - hand_side(anatomy, state, PSIS_HEIGHT, "right")
    assert pelvic_frame == pytest.approx(-rise, abs=1e-9)
    assert finding(anatomy, state, PSIS_HEIGHT, "supine") == pytest.approx(hand(anatomy, state, PSIS_HEIGHT, "supine"),
                                                                           abs=EXACT)


@pytest.mark.parametrize("side", ["left", "right"])
def test_forward_torsion_signature(anatomy, side):
    # L-on-L (left oblique axis, rotation left): deep RIGHT sulcus, LEFT ILA posterior; R-on-R mirrors it.
    axis = f"{side}_oblique"
    state = models.joint_state(anatomy, "sacral_torsion", {"axis": axis, "direction": side, "angle_deg": 3.0})
    sign = +1 if side == "left" else -1
    sulcus, ila = finding(anatomy, state, SULCUS), finding(anatomy, state, ILA_POSTERIOR)
    assert np.sign(sulcus) == -sign, sulcus  # the sulcus opposite the named side is deeper
    assert np.sign(ila) == sign, ila         # the named side's ILA is posterior
    assert sulcus == pytest.approx(hand(anatomy, state, SULCUS), abs=EXACT)
    assert ila == pytest.approx(hand(anatomy, state, ILA_POSTERIOR), abs=EXACT)


def test_nutation_deepens_both_sulci_alike(symmetric):
    # Nutation is symmetric: both sulci deepen by the same amount, so the difference is zero,
    # while each side's own depth change (hand) is positive.
    state = models.joint_state(symmetric, "nutation", {"angle_deg": 2.0})
    assert hand_side(symmetric, state, SULCUS, "left") > 0
    assert hand_side(symmetric, state, SULCUS, "right") > 0
    assert finding(symmetric, state, SULCUS) == pytest.approx(0.0, abs=1e-9)
