"""Which midline (issue 10 review item 2): the ASIS-to-midline findings against the floor/table midline
and against the sacrum's own midsagittal plane, checked by an independent computation on the
landmarks ``describe --json`` exports (a Kabsch fit of the sacrum's own landmarks, written here).
"""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import scene
from pelvisim.cli.describe_cmd import describe_json

EXACT = 1e-9  # mm: the same rigid arithmetic done two ways; only rounding may differ
SACRAL = ("s1_posterior", "s2_posterior", "s3_posterior", "sacral_apex", "sacral_promontory", "ila_left", "ila_right",
          "sacral_sulcus_left", "sacral_sulcus_right")


def _fit(neutral, moved):
    """Rigid (R, t) mapping neutral points onto moved ones, least squares (Kabsch, by SVD)."""
    a0, b0 = neutral.mean(axis=0), moved.mean(axis=0)
    U, _, Vt = np.linalg.svd((neutral - a0).T @ (moved - b0))
    d = np.sign(np.linalg.det(Vt.T @ U.T))
    R = Vt.T @ np.diag([1.0, 1.0, d]) @ U.T
    return R, b0 - R @ a0


def _by_hand(data):
    """Left-minus-right change of 'distance from the midline' of the ASIS: (fixed midline, sacrum's midline)."""
    lm = data["landmarks"]
    moved = {n: np.array(lm[n]["position_mm"]) for n in lm}
    neutral = {n: moved[n] - np.array(lm[n]["shift_mm"]) for n in lm}
    R, t = _fit(np.array([neutral[n] for n in SACRAL]), np.array([moved[n] for n in SACRAL]))
    fixed, own = {}, {}
    for side, lateral in (("left", -1.0), ("right", 1.0)):
        n = f"asis_{side}"
        fixed[side] = lateral * (moved[n][2] - neutral[n][2])
        in_sacrum = R.T @ (moved[n] - t)  # the moved ASIS seen from the sacrum
        own[side] = lateral * (in_sacrum[2] - neutral[n][2])
    return fixed["left"] - fixed["right"], own["left"] - own["right"], own


def _findings(data):
    return {f["name"]: f for f in data["findings"]}


@pytest.mark.parametrize("posture", ["standing", "supine"])
@pytest.mark.parametrize(("model", "settings"), [
    ("sacral_rotation", {"left_deg": "1"}), ("innominate_rotation", {"left_deg": "-1", "right_deg": "1"}),
    ("flare", {"left_deg": "0.8"}), ("shear", {"left_mm": "2"}), ("nutation", {"angle_deg": "2"}),
])
def test_both_midlines_match_an_independent_fit(anatomy, model, settings, posture):
    data = describe_json(model, settings, anatomy=anatomy, posture=posture)
    fixed, own, _ = _by_hand(data)
    f = _findings(data)
    assert f["ASIS-to-midline difference"]["difference"] == pytest.approx(fixed, abs=EXACT)
    assert f["ASIS-to-sacral-midline difference"]["difference"] == pytest.approx(own, abs=EXACT)
    assert f["ASIS-to-sacral-midline difference"]["frame"] == "against the sacrum's midsagittal plane"
    which = "floor midline" if posture == "standing" else "table midline"
    for key, words in (("ASIS-to-midline difference", which), ("ASIS-to-sacral-midline difference", "sacrum's midline")):
        if abs(f[key]["difference"]) >= 0.05:
            assert f"ASIS further from the {words} on the " in f[key]["words"]


@pytest.mark.parametrize("posture", ["standing", "supine"])
def test_gurds_sign_holds_against_the_sacrums_midline_and_flips_against_the_fixed_one(anatomy, posture):
    data = describe_json("sacral_rotation", {"left_deg": "1"}, anatomy=anatomy, posture=posture)
    fixed, own, own_side = _by_hand(data)
    assert fixed > 0.1 and own < -0.1  # left ASIS: further from the floor/table midline, closer to the sacrum's
    which = "floor midline" if posture == "standing" else "table midline"
    summary = data["summary"]
    assert f"against the {which} the palpable sign is the opposite of a true left inflare" in summary
    assert own_side['left'] < 0 and f"({abs(own_side['left']):.1f} mm closer to the sacrum's midline, the patient's own midline" in summary
    assert "against the sacrum's midline, the one teaching judges flare by (inflare: ASIS nearer the umbilicus), it is that of one" in summary


def test_a_sagittal_rotation_moves_the_asis_only_against_the_floor_midline(anatomy):
    # Left 1° back, right 1° forward about transverse axes: no turn about the vertical axis relative
    # to the sacrum, so against the sacrum's midline the ASIS stays put (hand fit); the 3.7 mm against
    # the floor midline is the standing frame re-seating the whole pelvis, and the words say which midline.
    data = describe_json("innominate_rotation", {"left_deg": "-1", "right_deg": "1"}, anatomy=anatomy)
    fixed, own, _ = _by_hand(data)
    assert abs(own) < 0.05 and abs(fixed) > 3.0
    f = _findings(data)
    assert f["ASIS-to-sacral-midline difference"]["words"] == "ASIS-to-sacral-midline difference: none (< 0.05 mm)"
    assert f["ASIS-to-midline difference"]["words"].startswith("ASIS further from the floor midline on the left by 3.")


def test_inflare_vs_sacral_rotation_caption_matches_both_midlines(anatomy):
    caption = " ".join(c.text for c in scene.load("inflare_vs_sacral_rotation").captions)
    inflare = _by_hand(describe_json("flare", {"left_deg": "0.8"}, anatomy=anatomy))
    gurd = _by_hand(describe_json("sacral_rotation", {"left_deg": "1"}, anatomy=anatomy))
    # floor midline: the left ASIS in (left minus right < 0) in the inflare, out (> 0) in Gurd's pose
    assert inflare[0] < 0 < gurd[0]
    # the sacrum's midline: the left ASIS comes closer in both
    assert inflare[2]["left"] < 0 and gurd[2]["left"] < 0
    assert "Against the floor midline the left ASIS moves inward in a left inflare but outward when the sacrum turns left" in caption
    assert "Against the sacrum's midline, which turns with the trunk like the umbilicus, both move inward." in caption


def test_claims_gurd_row_reports_the_sacral_midline(anatomy):
    from pelvisim import claims

    row = next(r for r in claims.rows(anatomy) if r["key"] == "gurd_sacral_rotation_flare")
    _, _, own_side = _by_hand(describe_json("sacral_rotation", {"left_deg": "1"}, anatomy=anatomy))
    assert row["numbers"]["left_asis_toward_sacral_midline_mm"] == pytest.approx(-own_side["left"], abs=EXACT)
    assert f"it moves {-own_side['left']:.1f} mm closer: Gurd's sign" in row["model_shows"]
    assert "away from the floor midline (between the feet): against it the palpable sign is the opposite" in row["model_shows"]


@pytest.mark.parametrize("name", ["inflare_vs_sacral_rotation", "sacral_rotation"])
def test_gurd_scenes_show_both_frames_side_by_side(anatomy, name):
    # Review item 13: each panel shows the left ilium's flare vs the sacrum and in the body frame, and
    # no unexplained "own motion" number under a title that names another one.
    from pelvisim import descriptors

    s = scene.load(name)
    # the still, or the first keyframe where the sacrum has turned
    t = 0.0 if s.timeline.kind == "still" else next(k.time_s for k in s.timeline.keyframes if k.parameters.get("left_deg"))
    signs = []
    for i in range(len(s.panels)):
        keys = s.panel_readouts(i)
        assert keys[:2] == ("innominate_left.inflare_deg", "innominate_left.in_body_frame.inflare_deg")
        assert not any(k.startswith("sacrum.") for k in keys)
        d = descriptors.describe(anatomy, s.joint_state(anatomy, i, t))
        left = d.innominate_left
        assert left.relative_to_sacrum.inflare_deg > 0  # ASIS-inward relative to the sacrum in every panel
        medial = d.landmarks["asis_left"]["shift_mm"][2]  # +Z is medial on the left, standing body frame
        assert np.sign(left.in_body_frame.inflare_deg) == np.sign(medial)
        signs.append(np.sign(medial))
    if name == "inflare_vs_sacral_rotation":
        assert signs == [1.0, -1.0]  # opposite palpable signs, side by side
