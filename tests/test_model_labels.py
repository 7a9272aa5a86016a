"""Every slider a student moves says which way the bone goes, and the bone goes that way.

For each signed parameter of the kinematic models, the label's "(+)" word and ``positive_means``
are checked against the landmarks of the pose at +2 (deg or mm), computed by hand from the bones'
4×4 transforms. The in-vivo limits that raise a warning are the published maxima of
reference/BIOMECHANICS.md §1.
"""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import models
from pelvisim.errors import ParameterError


def shift(anatomy, state, name):
    T = np.asarray(state.T_pelvis[anatomy.landmark(name).bone])
    p = anatomy.point(name)
    return T[:3, :3] @ p + T[:3, 3] - p


def still(state, bone):
    return np.allclose(state.T_pelvis[bone], np.eye(4), atol=1e-12)


def medial(anatomy, state, name):
    """How far ``name`` moved toward the midline (mm)."""
    p = anatomy.point(name)
    return abs(p[2]) - abs(p[2] + shift(anatomy, state, name)[2])


# (model, parameter, label, positive_means, check of the + pose: landmarks moved as the words say)
SLIDERS = [
    ("nutation", "angle_deg", "Sacrum: nutation (+) / counternutation (−)", "nutation (sacral base forward and down)",
     lambda a, s: shift(a, s, "sacral_promontory")[0] > 0 and shift(a, s, "sacral_promontory")[1] < 0),
    *[("innominate_rotation", f"{side}_deg", f"{side.capitalize()} innominate: anterior (+) / posterior (−)",
       "anterior rotation (ASIS forward and down)",
       lambda a, s, side=side: shift(a, s, f"asis_{side}")[1] < 0 and still(s, f"innominate_{'right' if side == 'left' else 'left'}"))
      for side in ("left", "right")],
    *[("flare", f"{side}_deg", f"{side.capitalize()} innominate: inflare (+) / outflare (−)", "inflare (ASIS medial)",
       lambda a, s, side=side: medial(a, s, f"asis_{side}") > 0) for side in ("left", "right")],
    *[("shear", f"{side}_mm", f"{side.capitalize()} innominate: upslip (+) / downslip (−)", "upslip (innominate superior)",
       lambda a, s, side=side: shift(a, s, f"asis_{side}")[1] > 0 and shift(a, s, f"psis_{side}")[1] > 0) for side in ("left", "right")],
    *[("pubic_shear", f"{side}_mm", f"{side.capitalize()} pubis: superior (+) / inferior (−)", f"{side} pubis up",
       lambda a, s, side=side: shift(a, s, f"pubic_tubercle_{side}")[1] > 0) for side in ("left", "right")],
    *[("unilateral_sacral_flexion", f"{side}_deg", f"{side.capitalize()} sacral base: flexion (+) / extension (−)",
       f"{side} half of the base forward and down",
       lambda a, s, side=side: shift(a, s, f"sacral_sulcus_{side}")[0] > 0 and
       shift(a, s, f"auricular_sacrum_{side}_superior_pole")[1] < 0) for side in ("left", "right")],
]


@pytest.mark.parametrize(("model", "name", "label", "positive_means", "goes_as_named"), SLIDERS,
                         ids=[f"{m}.{n}" for m, n, *_ in SLIDERS])
def test_slider_label_says_which_way_the_bone_goes(anatomy, model, name, label, positive_means, goes_as_named):
    parameter = models.get_model(model).parameter(name)
    assert parameter.label == label
    assert parameter.positive_means == positive_means
    assert goes_as_named(anatomy, models.joint_state(anatomy, model, {name: 2.0}))
    assert not goes_as_named(anatomy, models.joint_state(anatomy, model, {name: -2.0}))


@pytest.mark.parametrize("side", ["left", "right"])
def test_twisted_shifted_sacrum_sliders(anatomy, side):
    model = models.get_model("twisted_shifted_sacrum")
    assert model.parameter("shift_mm").label == "Sacral side: down (+) / up (−)"
    assert model.parameter("twist_deg").label == "Sacral side: twisted forward (+) / back (−)"
    other = "right" if side == "left" else "left"
    down = models.joint_state(anatomy, model.name, {"side": side, "shift_mm": 2.0})
    # That half drops by exactly the shift; the opposite SIJ is the hinge and stays put.
    assert shift(anatomy, down, f"auricular_sacrum_{side}_centroid")[1] == pytest.approx(-2.0, abs=1e-9)
    np.testing.assert_allclose(shift(anatomy, down, f"auricular_sacrum_{other}_centroid"), 0.0, atol=1e-9)
    forward = models.joint_state(anatomy, model.name, {"side": side, "twist_deg": 2.0})
    assert shift(anatomy, forward, f"auricular_sacrum_{side}_centroid")[0] > 0
    assert shift(anatomy, forward, f"auricular_sacrum_{other}_centroid")[0] < 0
    # Gold's twist turns about a vertical axis midway between the two sacral auricular centroids.
    mid = 0.5 * (anatomy.point("auricular_sacrum_left_centroid") + anatomy.point("auricular_sacrum_right_centroid"))
    T = np.asarray(forward.T_pelvis["sacrum"])
    np.testing.assert_allclose(T[:3, :3] @ mid + T[:3, 3], mid, atol=1e-9)


# --- in-vivo limits: values beyond what was ever measured are flagged ------------------------------
@pytest.mark.parametrize(("model", "name", "limit", "source"), [
    ("nutation", "angle_deg", 3.6, "Jacob & Kissling 1995"),          # max measured SIJ sagittal rotation
    ("innominate_rotation", "left_deg", 3.6, "Jacob & Kissling 1995"),
    ("flare", "right_deg", 4.0, "Goode 2008"),                        # review range −0.8…4.0°
    ("shear", "left_mm", 2.0, "Kissling & Jacob 1996"),               # > 2 mm proposed pathological
    ("pubic_shear", "right_mm", 2.6, "Meissner 1996"),                # Walheim: up to 2.6 mm in one-leg stance
    ("twisted_shifted_sacrum", "twist_deg", 4.0, "Goode 2008"),
])
def test_warnings_start_at_the_published_in_vivo_limit(model, name, limit, source):
    m = models.get_model(model)
    assert m.warnings(m.resolve({name: limit - 0.05})) == []
    (warning,) = m.warnings(m.resolve({name: limit + 0.05}))
    assert name in warning and source in warning
    (warning,) = m.warnings(m.resolve({name: -(limit + 0.05)}))  # either direction
    assert name in warning


@pytest.mark.parametrize(("model", "name", "reach"), [
    ("flare", "left_deg", 15.0), ("nutation", "angle_deg", 15.0), ("shear", "right_mm", 10.0),
    ("pubic_shear", "left_mm", 10.0), ("nutation", "axis_anterior_mm", 30.0),
])
def test_slider_ranges_reach_the_clinical_stories_and_stop_there(anatomy, model, name, reach):
    # Ranges reach the magnitudes clinical stories claim (models.py): ±15°, ±10 mm, axis ±30 mm.
    models.joint_state(anatomy, model, {name: reach})
    models.joint_state(anatomy, model, {name: -reach})
    with pytest.raises(ParameterError, match=f"from {-reach:g} to {reach:g}"):
        models.joint_state(anatomy, model, {name: reach + 1.0})


def test_nutation_axis_offset_slider_moves_the_axis_forward(anatomy):
    from pelvisim import joints

    p = models.get_model("nutation").parameter("axis_anterior_mm")
    assert p.label == "Nutation axis: anterior (+) / posterior (−) offset" and p.positive_means == "axis moved forward"
    # The fixed point of the nodding sacrum, with the offset +10 mm: 10 mm in front of the default one.
    state = models.joint_state(anatomy, "nutation", {"angle_deg": 2.0, "axis_anterior_mm": 10.0})
    T = np.asarray(state.T_pelvis["sacrum"])
    default = joints.nutation_axis(anatomy).point_mm
    forward = default + np.array([10.0, 0.0, 0.0])
    np.testing.assert_allclose(T[:3, :3] @ forward + T[:3, 3], forward, atol=1e-9)
    assert np.linalg.norm(T[:3, :3] @ default + T[:3, 3] - default) > 0.3


def test_model_titles_and_gold_words():
    assert models.get_model("nutation").title == "Nutation / counternutation"
    assert models.get_model("unilateral_sacral_flexion").title == "Unilateral sacral flexion"
    gold = models.get_model("twisted_shifted_sacrum")
    assert gold.parameter("shift_mm").positive_means == "that half of the sacrum shifted down"
    assert gold.parameter("twist_deg").positive_means == "that half of the sacrum forward"
    assert gold.parameter("side").default == "left" and gold.parameter("side").choices == ("left", "right")
