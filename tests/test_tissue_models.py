"""The soft tissue in the models and read-outs: postures, the hip-flexion test, the gait muscle
pattern, describe --json, the export table and the story scenes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pelvisim import frames, gait, scene
from pelvisim.cli.describe_cmd import describe_json
from pelvisim.models import get_model
from pelvisim.tissue.ligaments import ligament_names
from pelvisim.tissue.models import GAIT_PATTERN, gait_muscle_forces, hip_flexor_forces
from pelvisim.tissue.muscles import muscle_names
from pelvisim.tissue.readout import side_table_rows

STORY_SCENES = ("russell_iliacus", "gurd_multifidus", "melt_closure", "gold_jammed_left", "force_closure",
                "single_leg_stance", "hip_flexion_test")


def _sij_deg(state, side):
    return math.degrees(frames.rotation_angle_rad(state.relative("sacrum", f"innominate_{side}")))


def test_single_leg_stance_posture_inside_kibsgard_band(anatomy):
    # Kibsgård 2014, RSA: 0–1° total SIJ rotation, ≈ 0.5° typical. The calibration's 0.3–0.7° band
    # is for its own load case (trunk load on S1; tests/test_calibration.py); here the trunk holds
    # the L5 instead, which takes a little more of the load (≈ 0.3°). 0.25 keeps "clearly moves,
    # about a third of a degree" (the scene's caption), 1.0 is the measured ceiling.
    model = get_model("soft_tissue")
    for side in ("left", "right"):
        state = model.joint_state(anatomy, {"posture": f"single_leg_{side}"})
        assert 0.25 <= _sij_deg(state, side) <= 1.0


def test_standing_hip_flexion_test_the_flexed_side_barely_moves(anatomy):
    # Sturesson 2000 (RSA): in the standing hip-flexion test the SIJ barely moves. "Barely": below
    # the RSA floor of about 0.5° (Kibsgård 2012) and below the stance side's motion.
    model = get_model("soft_tissue")
    state = model.joint_state(anatomy, {"posture": "hip_flexion_left"})
    assert _sij_deg(state, "left") < 0.1
    assert _sij_deg(state, "left") < _sij_deg(state, "right")
    # the raised thigh is drawn at 90° of hip flexion about the hip centre
    T = state.T_innominate_femur["left"]
    assert math.degrees(frames.rotation_angle_rad(T)) == pytest.approx(90.0)
    np.testing.assert_allclose(frames.apply(T, anatomy.point("acetabulum_centre_left")),
                               anatomy.point("acetabulum_centre_left"), atol=1e-9)


def test_hip_flexors_hold_the_raised_leg_by_hand():
    forces = hip_flexor_forces("hip_flexion_right", 70.0)
    leg_n = gait.LEG_MASS_FRACTION * 70.0 * gait.GRAVITY  # ≈ 110 N
    # moment balance about the hip: leg weight × 190 mm = flexor force × 45 mm
    assert forces["iliacus_right"] + forces["psoas_right"] == pytest.approx(leg_n * 190.0 / 45.0)
    assert hip_flexor_forces("standing") == {}


def test_gait_muscle_pattern_by_hand():
    phases = np.arange(100) / 100
    off = gait_muscle_forces(phases, 0.0)
    assert off == {}  # activity 0: the calibrated ring, no muscles
    on = gait_muscle_forces(phases, 1.0)
    bw = gait.DEFAULT_GAIT.body_weight_n
    # gluteus maximus of the right side peaks in its loading response, (−0.05 + 0.20)/2 = 0.075
    assert gait_muscle_forces(0.075, 1.0)["gluteus_maximus_right"][0] == pytest.approx(0.4 * bw, rel=1e-12)
    assert phases[np.argmax(on["gluteus_maximus_right"])] == pytest.approx(0.075, abs=0.011)
    # the left side is the right side half a stride later
    np.testing.assert_allclose(np.roll(on["gluteus_maximus_right"], 50), on["gluteus_maximus_left"], atol=1e-9)
    # silent outside its windows (iliacus fires in pre-swing/initial swing only)
    start, end = GAIT_PATTERN["iliacus"][0]
    quiet = (phases < start) | (phases > end)
    assert np.all(on["iliacus_right"][quiet] == 0.0)


def test_gait_with_muscles_stays_inside_the_published_walking_range(anatomy):
    # with the illustrative walking muscles on, intrapelvic motion stays ≤ 1° per side (issue 14)
    model = get_model("gait")
    peak = max(_sij_deg(model.joint_state(anatomy, {"muscle_activity": 1.0}, p / 50), side)
               for p in range(50) for side in ("left", "right"))
    assert 0.1 < peak <= 1.0


def test_describe_json_lists_ligament_strains_and_muscle_forces(anatomy):
    data = describe_json("soft_tissue", {"posture": "hip_flexion_left", "gluteus_maximus_right_n": 150.0},
                         anatomy=anatomy)
    json.dumps(data)
    assert set(data["ligaments"]) == set(ligament_names())
    assert set(data["muscles"]) == set(muscle_names())
    for entry in data["ligaments"].values():
        assert entry["strain_percent"] >= 0.0 and entry["force_n"] >= 0.0
        assert entry["max_strain_percent"] >= entry["strain_percent"] - 1e-12
    assert data["muscles"]["gluteus_maximus_right"]["force_n"] == 150.0
    expected = sum(hip_flexor_forces("hip_flexion_left").values()) / 2.0  # iliacus gets half
    assert data["muscles"]["iliacus_left"]["force_n"] == pytest.approx(expected)
    assert set(data["sij_compression_n"]) == {"left", "right"}


def test_describe_reads_ligaments_for_kinematic_models_too(anatomy):
    # a prescribed nutation stretches the sacrotuberous ligament (Vleeming 1996): the read-out is
    # geometry, so it works for every model
    rest = describe_json("nutation", {"angle_deg": 0.0}, anatomy=anatomy)["ligaments"]
    moved = describe_json("nutation", {"angle_deg": 1.0}, anatomy=anatomy)["ligaments"]
    assert moved["sacrotuberous_left"]["strain_percent"] > rest["sacrotuberous_left"]["strain_percent"]
    assert all(m == 0.0 for m in (e["force_n"] for e in describe_json("nutation", {}, anatomy=anatomy)["muscles"].values()))


def test_export_table_has_tissue_columns(anatomy):
    s = scene.load("russell_iliacus")
    rows = list(scene.table_rows(s, anatomy, [0.0, s.output.still_time_s]))  # at rest, then pulling 800 N
    row = rows[-1]
    for name in ligament_names():
        assert f"ligament.{name}.strain_percent" in row and f"ligament.{name}.force_n" in row
    assert row["muscle.iliacus_left.force_n"] == pytest.approx(800.0)
    assert rows[0]["muscle.iliacus_left.force_n"] == 0.0


def test_side_table_rows(anatomy):
    data = describe_json("soft_tissue", {"iliacus_left_n": 300.0}, anatomy=anatomy)
    rows = side_table_rows(data)
    labels = [r[0] for r in rows]
    assert sum(label.startswith("Ligament: ") for label in labels) == len(ligament_names())
    assert ("Muscle: iliacus (L)", "300 N") in rows
    assert not any(label == "Muscle: psoas (L)" for label in labels)  # not pulling: not listed


@pytest.mark.parametrize("name", STORY_SCENES)
def test_story_scenes_show_their_tissue(anatomy, name):
    s = scene.load(name)
    for i in range(len(s.panels)):
        assert s.panel_overlays(i)["tissue"]
        state = s.joint_state(anatomy, i, s.output.still_time_s)
        assert all(math.isfinite(_sij_deg(state, side)) for side in ("left", "right"))


# --- the story scenes' captions say what the model computes -----------------------------------------
def test_russell_caption_numbers(anatomy):
    from pelvisim import descriptors

    s = scene.load("russell_iliacus")
    d = descriptors.describe(anatomy, s.joint_state(anatomy, 0, s.output.still_time_s))
    caption = " ".join(c.text for c in s.captions)
    assert f"forward by {d.innominate_left.anterior_rotation_deg:.2f}°" in caption
    assert f"ASIS moves {np.linalg.norm(d.landmarks['asis_left']['shift_mm']):.2f} mm" in caption


@pytest.mark.parametrize("name", ["force_closure", "melt_closure"])
def test_closure_captions_match_the_ratio(anatomy, name):
    from test_closure import moment_motion

    s = scene.load(name)
    t = s.output.still_time_s
    off, on = (max(moment_motion(anatomy, s, i, t)) for i in (0, 1))
    # "about 40 % less": the moment's motion with closure on is 52–68 % of that with closure off
    assert "about 40 % less" in " ".join(c.text for c in s.captions) and 0.52 <= on / off <= 0.68


def test_single_leg_and_hip_flexion_captions(anatomy):
    s = scene.load("single_leg_stance")
    right = _sij_deg(s.joint_state(anatomy, 0, 0.0), "right")
    assert "about a third of a degree" in " ".join(c.text for c in s.captions) and 0.28 <= right <= 0.38
    s = scene.load("hip_flexion_test")
    left = _sij_deg(s.joint_state(anatomy, 1, 0.0), "left")
    assert "a few hundredths of a degree" in " ".join(c.text for c in s.captions) and 0.02 <= left < 0.1
