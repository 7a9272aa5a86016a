"""Every compact-readout label names the motion whose number it shows.

For each label of :data:`pelvisim.scene.READOUTS` a panel can show, the bone is moved here by hand
(a 1 mm shift, or a 1° turn about a pelvic axis through the joint centre, its sign chosen from where
a landmark goes: the ASIS down for anterior rotation, toward the midline for inflare, the iliac
tubercle down for "outer rim down", the pubis up ...). The line the panel prints for that motion
must carry the label that names it — written out here from the motion's meaning — and a positive
number of the size moved. A label with a swapped word ("lateral glide" for "medial glide") or a
missing side fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import frames, joints
from pelvisim.descriptors import describe
from pelvisim.pose import JointState
from pelvisim.scene import READOUTS
from pelvisim.view.readout import readout_lines

X, Y, Z = np.eye(3)
ANTERIOR, SUPERIOR, RIGHT = 0, 1, 2
FIGURE_SPACE = "\u2007"
ROTATIONS_AND_UPSLIP = ("anterior_rotation_deg", "inflare_deg", "frontal_rotation_deg", "upslip_mm")


def _number(line: str, label: str) -> float:
    assert line.startswith(label + "  "), (line, label)
    text = line[len(label) + 2:].replace(FIGURE_SPACE, "").replace("\u2212", "-")
    return float(text.rstrip("°m ").strip())


def _medial(side: str) -> np.ndarray:
    return Z if side == "left" else -Z  # +Z is right: medial for the left bone


def _turn(anatomy, bone: str, centre, axis, degrees: float, landmark: str, wanted) -> np.ndarray:
    """A turn about ``axis`` through ``centre``, signed so that ``landmark`` moves as ``wanted(shift)`` says."""
    for sign in (1.0, -1.0):
        T = frames.rotation_about_axis(axis, sign * np.radians(degrees), centre)
        p = anatomy.point(landmark)
        if wanted(T[:3, :3] @ p + T[:3, 3] - p):
            return T
    raise AssertionError(f"no turn about {axis} moves {landmark} as wanted")


def _innominate_cases(anatomy, side: str):
    S = side[0].upper()
    centre = joints.joint_centre(anatomy, side)
    asis, tubercle, pubis = f"asis_{side}", f"iliac_tubercle_{side}", f"symphysis_{side}"
    medial = _medial(side)
    return [
        ("anterior_rotation_deg", f"{S} innominate anterior rotation",
         _turn(anatomy, side, centre, Z, 1.0, asis, lambda d: d[SUPERIOR] < 0), 1.0),
        ("inflare_deg", f"{S} innominate inflare",
         _turn(anatomy, side, centre, Y, 1.0, asis, lambda d: d @ medial > 0), 1.0),
        ("frontal_rotation_deg", f"{S} innominate lateral tilt",  # the outer rim (iliac tubercle) down
         _turn(anatomy, side, centre, X, 1.0, tubercle, lambda d: d[SUPERIOR] < 0), 1.0),
        ("upslip_mm", f"{S} innominate upslip", frames.translation(Y), 1.0),
        ("anterior_translation_mm", f"{S} innominate anterior glide", frames.translation(X), 1.0),
        ("medial_translation_mm", f"{S} innominate medial glide", frames.translation(medial), 1.0),
        ("pubic_superior_mm", f"{S} innominate pubis up",
         _turn(anatomy, side, centre, Z, 1.0, pubis, lambda d: d[SUPERIOR] > 0), None),
    ]


@pytest.mark.parametrize("side", ["left", "right"])
def test_each_innominate_label_names_the_motion_its_number_shows(anatomy, side):
    for field, words, T, size in _innominate_cases(anatomy, side):
        state = JointState(T_pelvis={f"innominate_{side}": T})
        d = describe(anatomy, state)
        keys = [f"innominate_{side}.{field}"]
        if field in ROTATIONS_AND_UPSLIP:  # these four also under their frame's own name
            keys.append(f"innominate_{side}.relative_to_sacrum.{field}")
        for key in keys:
            label = f"{words} (vs sacrum)"
            assert READOUTS[key][0] == label, (key, READOUTS[key][0])
            value = _number(readout_lines(d, [key])[0], label)
            if size is None:  # the pubis: its rise by hand, seen from the (unmoved) sacrum
                p = anatomy.point(f"symphysis_{side}")
                size = float((T[:3, :3] @ p + T[:3, 3] - p)[SUPERIOR])
            assert value == pytest.approx(size, abs=0.006), (key, value, size)  # printed to 0.01


def test_the_body_frame_labels_say_body_frame(anatomy):
    for side in ("left", "right"):
        for field in ROTATIONS_AND_UPSLIP:
            label = READOUTS[f"innominate_{side}.in_body_frame.{field}"][0]
            assert label.startswith(f"{side[0].upper()} innominate ") and label.endswith("(body frame)"), label
            assert label.replace("(body frame)", "(vs sacrum)") == READOUTS[f"innominate_{side}.{field}"][0]


def _sacral_cases(anatomy):
    origin = 0.5 * (anatomy.point("sacral_ala_left") + anatomy.point("sacral_ala_right"))
    return [
        ("sacrum.nutation_deg", "sacrum nutation (own motion)",  # base forward and down, so the apex goes back
         _turn(anatomy, "sacrum", origin, Z, 1.0, "sacral_apex", lambda d: d[ANTERIOR] < 0)),
        ("sacrum.rotation_left_deg", "sacrum turned left (own motion)",  # its front toward the left (−Z)
         _turn(anatomy, "sacrum", origin, Y, 1.0, "sacral_promontory", lambda d: d[RIGHT] < 0)),
        ("sacrum.sidebend_left_deg", "sacrum side-bent left (own motion)",  # the left ala down
         _turn(anatomy, "sacrum", origin, X, 1.0, "sacral_ala_left", lambda d: d[SUPERIOR] < 0)),
    ]


def test_each_sacral_label_names_the_turn_its_number_shows(anatomy):
    for key, label, T in _sacral_cases(anatomy):
        d = describe(anatomy, JointState(T_pelvis={"sacrum": T}))
        assert READOUTS[key][0] == label, (key, READOUTS[key][0])
        assert _number(readout_lines(d, [key])[0], label) == pytest.approx(1.0, abs=0.006), key


@pytest.mark.parametrize("side", ["left", "right"])
def test_each_sacral_half_down_label_follows_that_half(anatomy, side):
    # One half of the sacrum 1 mm down: the sacrum turned about an antero-posterior line through the
    # other auricular surface's centre, so that this side's centre goes down by 1 mm at first order.
    other = "right" if side == "left" else "left"
    centre, pivot = anatomy.point(f"auricular_sacrum_{side}_centroid"), anatomy.point(f"auricular_sacrum_{other}_centroid")
    lever = abs(centre[RIGHT] - pivot[RIGHT])
    T = _turn(anatomy, "sacrum", pivot, X, np.degrees(1.0 / lever), f"auricular_sacrum_{side}_centroid",
              lambda d: d[SUPERIOR] < 0)
    drop = -float((T[:3, :3] @ centre + T[:3, 3] - centre)[SUPERIOR])
    d = describe(anatomy, JointState(T_pelvis={"sacrum": T}))
    key, label = f"sacrum.{side}_half_inferior_mm", f"sacrum {side} half down (own motion)"
    assert READOUTS[key][0] == label
    assert _number(readout_lines(d, [key])[0], label) == pytest.approx(drop, abs=0.006)


def test_the_symphysis_labels_name_the_right_pubis_against_the_left(anatomy):
    # The right pubis 1 mm up, then 1 mm forward, the left one still.
    for key, label, shift in (("ring.symphysis_vertical_shear_mm", "symphysis: R pubis up vs L", Y),
                              ("ring.symphysis_sagittal_shift_mm", "symphysis: R pubis forward vs L", X)):
        d = describe(anatomy, JointState(T_pelvis={"innominate_right": frames.translation(shift)}))
        assert READOUTS[key][0] == label
        assert _number(readout_lines(d, [key])[0], label) == pytest.approx(1.0, abs=0.006), key


def test_every_model_has_its_own_default_readouts_and_each_names_a_known_number():
    # A panel that names no readouts shows its model's defaults: every model must have an entry
    # (a misspelt key would leave that model's panels without numbers), each a known readout.
    from pelvisim.models import MODELS
    from pelvisim.scene import DEFAULT_READOUTS, MAX_READOUTS

    assert set(DEFAULT_READOUTS) == set(MODELS)
    for model, keys in DEFAULT_READOUTS.items():
        assert len(keys) <= MAX_READOUTS and all(key in READOUTS for key in keys), model
    assert DEFAULT_READOUTS["nutation"] == ("sacrum.nutation_deg",)  # the one motion the model makes
