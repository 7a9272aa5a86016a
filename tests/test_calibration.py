"""The ring's calibration, two-sided, against the published bounds it claims (docs/calibration.md).

The load cases are the calibration table's own (:mod:`pelvisim.calibration`); every figure here
is read off the bones' true-scale transforms (relative rotation angle and the displacement of a
joint centre), not from the solver's joint deformations that the table prints. Each bound names
its source (reference/BIOMECHANICS.md §1, §6, §7) and how that source measured.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pelvisim
from pelvisim import calibration, frames
from pelvisim.anatomy.core import SIDES
from pelvisim.synthetic import synthetic_anatomy

# --- published bounds -------------------------------------------------------------------------
SINGLE_LEG_STANCE_DEG = (0.3, 0.7)
"""Stance-side total SIJ rotation in single-leg stance. Kibsgård 2014, RSA in patients with pelvic
girdle pain: 0–1°, ≈ 0.5° typical; 0.3–0.7° is the calibration band around the typical value
(issue 4). Two-sided: a ring stiffened ×2.2 (SIJ_IN_VIVO_SCALE 13 → 29) gives 0.17° and must fail."""

WALKING_CEILING_DEG = 0.5
"""Peak SIJ rotation per side in walking: no in-vivo measurement exists; ≤ 0.5° per side is the ceiling
taken from single-leg stance (Kibsgård 2014, RSA; reference/BIOMECHANICS.md §7)."""

WALKING_FLOOR_DEG = 0.15
"""pelvisim's floor, not a published figure: walking loads the hip about as much as single-leg stance
(checked below), so the same linear ring cannot be near-rigid in walking while it moves 0.3–0.7° in
stance. Half the stance band's lower end leaves room for the different load direction."""

SYMPHYSIS_SHEAR_STANCE_MM = 2.6
"""Pubic symphysis vertical shear in one-leg stance: up to 2.6 mm (Walheim, in Meissner 1996, in vivo)."""

SYMPHYSIS_SHEAR_WALKING_MM = 2.2
"""Pubic symphysis vertical shear in walking: up to 2.2 mm (Walheim, in Meissner 1996)."""

SIJ_TRANSLATION_MM = 2.0
"""SIJ translation ≤ 2 mm is physiological, > 2 mm proposed pathological (Jacob & Kissling 1995;
Kissling & Jacob 1996: Kirschner wires with external markers, not RSA)."""

GURD_FLARE_DEG = (0.3, 1.5)
"""Innominate horizontal-plane rotation relative to the sacrum after a 1° sacral rotation, each side
(issue 4 criterion). Measured horizontal-plane SIJ rotation is ≤ ~1° typical (Goode 2008, review)."""

GURD_GAP_MM = 0.5
"""Symphysis gap change in Gurd's load case: under 0.5 mm (issue 4: the ring closes, it does not gape)."""

WALKING_GAP_MM = calibration.WALKING_GAP_CHANGE_MM
"""Symphysis gap change at every phase of walking, even SIJs and stiffness_ratio 2: under 0.5 mm.
Walheim (in Meissner 1996, in vivo): no effective transverse symphysis motion in walking; 0.5 mm is
pelvisim's threshold for "none" (≈ the 0.47 mm RSA floor, Kibsgård 2012). One-sided by nature (no
gap change is the measured value); it fails when the symphysis is as soft across the joint as in
shear (SYMPHYSIS_GAP_SCALE 1 → 0.05: walking closes the gap by up to 1.0 mm, 1.2 mm at ratio 2)."""

NUMERIC = 1e-9  # deg or mm: the same rigid motion read two ways (transforms vs deformations)

BUNDLED = pelvisim.load_anatomy()  # a failure to load the bundled pelvis fails the module: no skip
ANATOMIES = {"bundled": BUNDLED, "synthetic": synthetic_anatomy()}


@pytest.fixture(scope="module", params=list(ANATOMIES))
def anatomy(request):
    return ANATOMIES[request.param]


# --- figures read off the transforms ----------------------------------------------------------
def sij_rotation_deg(state, side: str) -> float:
    """Total (helical) rotation of the innominate relative to the sacrum, from its 3×3 block."""
    R = np.asarray(state.relative("sacrum", f"innominate_{side}"))[:3, :3]
    return math.degrees(math.acos(np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0)))


def sij_translation_mm(anatomy, state, side: str) -> float:
    """Displacement of the SIJ origin carried by the innominate, seen from the sacrum."""
    T = np.asarray(state.relative("sacrum", f"innominate_{side}"))
    c = np.asarray(anatomy.joint_frame(f"sij_{side}"))[:3, 3]
    return float(np.linalg.norm(T[:3, :3] @ c + T[:3, 3] - c))


def symphysis_shear_mm(anatomy, state) -> float:
    """Vertical offset (mm) the right pubis takes relative to the left at the symphysis centre."""
    c = np.asarray(anatomy.joint_frame("symphysis"))[:3, 3]
    left, right = (np.asarray(state.T_pelvis[f"innominate_{s}"]) for s in SIDES)
    return float((right[:3, :3] @ c + right[:3, 3])[1] - (left[:3, :3] @ c + left[:3, 3])[1])


def symphysis_gap_change_mm(anatomy, state) -> float:
    """Right pubis relative to the left across the joint (+Z) at the symphysis centre: + opens, − closes."""
    c = np.asarray(anatomy.joint_frame("symphysis"))[:3, 3]
    D = np.linalg.inv(np.asarray(state.T_pelvis["innominate_left"])) @ np.asarray(state.T_pelvis["innominate_right"])
    return float((D[:3, :3] @ c + D[:3, 3] - c)[2])


def sagittal_rotation_deg(state, side: str) -> float:
    """Rotation of the innominate relative to the sacrum about +Z (posterior = sacral nutation), deg."""
    return math.degrees(frames.log(state.relative("sacrum", f"innominate_{side}"))[2])


@pytest.fixture(scope="module")
def stance(anatomy):
    return {side: calibration.single_leg_stance(anatomy, side).joint_state() for side in SIDES}


@pytest.fixture(scope="module")
def walking(anatomy):
    return calibration.walking_states(anatomy)


# --- single-leg stance ------------------------------------------------------------------------
@pytest.mark.parametrize("side", SIDES)
def test_single_leg_stance_rotation_inside_kibsgard_band(anatomy, stance, side):
    low, high = SINGLE_LEG_STANCE_DEG
    angle = sij_rotation_deg(stance[side], side)
    assert low <= angle <= high, f"{side} stance: {angle:.3f}° outside {low}–{high}° (Kibsgård 2014)"


@pytest.mark.parametrize("side", SIDES)
def test_single_leg_stance_side_nutates(anatomy, stance, side):
    # Toyohara 2020 (FE): the sacrum nutates on the stance side = the ilium turns posteriorly (+Z).
    assert sagittal_rotation_deg(stance[side], side) > 0


@pytest.mark.parametrize("side", SIDES)
def test_single_leg_stance_symphysis_and_sij_translation_within_published_ceilings(anatomy, stance, side):
    assert abs(symphysis_shear_mm(anatomy, stance[side])) <= SYMPHYSIS_SHEAR_STANCE_MM
    for joint_side in SIDES:
        assert sij_translation_mm(anatomy, stance[side], joint_side) <= SIJ_TRANSLATION_MM


def test_transform_readout_agrees_with_the_table_readout(anatomy, stance):
    # The calibration table reads the solver's joint deformations; the transforms must say the same.
    figures = calibration.measure(anatomy)
    for side in SIDES:
        assert sij_rotation_deg(stance[side], side) == pytest.approx(figures[f"single_{side}"], abs=NUMERIC)
        assert sij_translation_mm(anatomy, stance[side], side) == pytest.approx(figures[f"single_mm_{side}"], abs=1e-6)
    peak = max(sij_rotation_deg(s, side) for s in calibration.walking_states(anatomy) for side in SIDES)
    assert peak == pytest.approx(max(figures["gait_left"], figures["gait_right"]), abs=NUMERIC)


# --- walking -----------------------------------------------------------------------------------
@pytest.mark.parametrize("side", SIDES)
def test_walking_peak_rotation_between_floor_and_ceiling(anatomy, walking, side):
    peak = max(sij_rotation_deg(s, side) for s in walking)
    assert WALKING_FLOOR_DEG <= peak <= WALKING_CEILING_DEG, f"{side}: walking peak {peak:.3f}°"


def test_walking_loads_the_hip_about_as_much_as_single_leg_stance(anatomy):
    # The premise of WALKING_FLOOR_DEG: peak walking hip reaction within 0.7–1.5× the stance one.
    from pelvisim import gait

    stance_hip = next(w for w in gait.single_leg_stance_loads(anatomy, "right") if w.label == "hip reaction (right)")
    walking_peak = max(np.linalg.norm(gait.hip_force_n(float(p), "right")) for p in calibration.PHASES)
    assert 0.7 <= walking_peak / np.linalg.norm(stance_hip.force_n) <= 1.5


def test_walking_symphysis_shear_and_sij_translation_within_published_ceilings(anatomy, walking):
    assert max(abs(symphysis_shear_mm(anatomy, s)) for s in walking) <= SYMPHYSIS_SHEAR_WALKING_MM
    assert max(sij_translation_mm(anatomy, s, side) for s in walking for side in SIDES) <= SIJ_TRANSLATION_MM


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_walking_leaves_the_symphysis_gap_unchanged(anatomy, ratio):
    states = calibration.walking_states(anatomy, {"stiffness_ratio": ratio})
    gaps = np.array([symphysis_gap_change_mm(anatomy, s) for s in states])
    assert np.abs(gaps).max() < WALKING_GAP_MM, f"ratio {ratio}: gap change {gaps.min():+.3f} … {gaps.max():+.3f} mm"
    # the hip reactions push both ilia toward the midline: the gap closes, never opens
    assert gaps.max() < 0.0


def test_walking_gap_readout_agrees_with_the_table(anatomy):
    figures = calibration.measure(anatomy)
    for ratio, key in ((1.0, "walk_gap_even"), (2.0, "walk_gap_ratio2")):
        gaps = [symphysis_gap_change_mm(anatomy, s) for s in calibration.walking_states(anatomy, {"stiffness_ratio": ratio})]
        # the table reads the solver's first-order joint deformation; the transforms add the
        # second-order terms ½|w|²|p| of the bones' twists, taken at the pelvic origin ≈ 100 mm from
        # the symphysis: |w| ≈ 0.01 rad gives ≈ 5e-3 mm, the tolerance
        assert calibration.signed_extreme(np.array(gaps)) == pytest.approx(figures[key], abs=5e-3)


# --- Gurd's sacral rotation ------------------------------------------------------------------------
def test_gurd_sacral_rotation_flares_inside_the_range(anatomy):
    state = calibration.gurd_state(anatomy)
    low, high = GURD_FLARE_DEG
    for side in SIDES:
        # Horizontal-plane part (about +Y) of the innominate's rotation relative to the sacrum:
        # sacrum turned left -> left inflare (−Y on the left) and right outflare (−Y on the right).
        about_y = math.degrees(frames.log(state.relative("sacrum", f"innominate_{side}"))[1])
        assert -high <= about_y <= -low, f"{side}: {about_y:.3f}° about +Y"
    before = np.linalg.norm(anatomy.point("symphysis_right") - anatomy.point("symphysis_left"))
    moved = {s: frames.apply(state.T_pelvis[f"innominate_{s}"], anatomy.point(f"symphysis_{s}")) for s in SIDES}
    assert abs(np.linalg.norm(moved["right"] - moved["left"]) - before) < GURD_GAP_MM


def test_table_flare_sign_is_the_readouts_inflare_sign():
    # docs/calibration.md prints flares with + = inflare; the describe readout is the independent
    # reading of the same pose (its own frame maths): both must agree, sign included. (The bundled
    # pelvis only: the readout needs landmarks the synthetic pelvis does not have.)
    from pelvisim import descriptors

    anatomy = BUNDLED
    figures = calibration.measure(anatomy)
    d = descriptors.describe(anatomy, calibration.gurd_state(anatomy))
    readout = {"left": d.innominate_left.relative_to_sacrum.inflare_deg, "right": d.innominate_right.relative_to_sacrum.inflare_deg}
    for side in SIDES:
        # the readout's flare angle and the about-Y component of the twist differ by second-order
        # terms of a ≈ 1° rotation (≈ 1e-4 rad × 1°): 0.01° covers them
        assert calibration.flare_deg(figures, side) == pytest.approx(readout[side], abs=0.01)
    assert readout["left"] > 0 > readout["right"]  # Gurd: sacrum turned left -> left inflare, right outflare


# --- the default stiffness values are the published figures they cite --------------------------------
NM_PER_DEG = 1000.0 * 180.0 / math.pi  # 1 N·m/° in N·mm/rad, by hand


def test_sij_cadaver_stiffness_is_miller_1987():
    # Miller 1987 (J Orthop Res 5:92, cadavers): 42 N·m gave 1.40° lateral bending and 6.21° axial
    # rotation; 294 N gave 2.74 mm anterior and 0.76 mm medial translation. BIOMECHANICS §6 gives
    # the central values 15 N·m/° (range 7–30) and 200 N/mm (range 100–400) for the other two.
    # The code rounds to 2–3 significant figures: 1 % covers that rounding.
    from pelvisim import mechanics

    k = mechanics.SIJ_CADAVER_STIFFNESS
    expected_rot = (42.0 / 1.40, 42.0 / 6.21, 15.0)
    expected_tr = (294.0 / 2.74, 200.0, 294.0 / 0.76)
    assert np.array(k.rotational_nmm_per_rad) == pytest.approx(np.array(expected_rot) * NM_PER_DEG, rel=0.01)
    assert np.array(k.translational_n_per_mm) == pytest.approx(expected_tr, rel=0.01)


def test_symphysis_block_stiffness_by_hand_from_the_cited_disc():
    # Interpubic disc E = 5 MPa, ν = 0.45; superior and arcuate pubic ligaments 500 N/mm each
    # (BMC Musculoskelet Disord 2021, s12891-021-04856-8, Table 1); block 5 mm thick, 40 mm high,
    # 15 mm deep, ligaments 20 mm above and below the disc centre (typical textbook sizes, [U]).
    from pelvisim import mechanics

    E, nu, k_lig, t, h, d = 5.0, 0.45, 500.0, 5.0, 40.0, 15.0
    G, A = E / (2.0 * (1.0 + nu)), h * d
    shear = G * A / t                             # ≈ 207 N/mm, vertical shear: the soft direction
    expected_tr = (2.0 * shear,                   # sagittal shift half the vertical shear (Walheim)
                   shear,
                   E * A / t + 2.0 * k_lig)       # ≈ 1600 N/mm across the joint
    expected_rot = (E * (d * h**3 / 12.0) / t + 2.0 * k_lig * (h / 2.0) ** 2,
                    E * (h * d**3 / 12.0) / t,
                    G * A * (h**2 + d**2) / 12.0 / t)
    block = mechanics.SYMPHYSIS_BLOCK_STIFFNESS
    assert shear == pytest.approx(207.0, abs=0.5) and expected_tr[2] == pytest.approx(1600.0)
    assert np.array(block.translational_n_per_mm) == pytest.approx(expected_tr, rel=1e-12)
    assert np.array(block.rotational_nmm_per_rad) == pytest.approx(expected_rot, rel=1e-12)
    # The soft-tissue ring's disc is the same block without the two ligaments (it adds them as fibres).
    disc = mechanics.SYMPHYSIS_DISC_STIFFNESS
    assert np.array(disc.translational_n_per_mm) == pytest.approx((2.0 * shear, shear, E * A / t), rel=1e-12)
    assert np.array(disc.rotational_nmm_per_rad) == pytest.approx(
        (E * (d * h**3 / 12.0) / t, expected_rot[1], expected_rot[2]), rel=1e-12)
