"""Palpability as a band (issue 10 review item 7; BIOMECHANICS §1): the left–right difference at the
pose is set against the 15–20 mm landmark-location error (Della Croce 1999), the normal bony
asymmetry Preece 2008 measured (16 mm innominate height, 11° tilt) and examiner agreement (κ) —
never one cut-off — and ``describe`` and ``claims`` judge the same quantity the same way.
Expected values come from the exported landmark positions, not from the verdict code.
"""

from __future__ import annotations

import pytest

from pelvisim import claims
from pelvisim.cli.describe_cmd import describe_json


def _f(data, name):
    return next(f for f in data["findings"] if f["name"] == name)


def _height_difference(data, base):
    """Left minus right height of ``base`` at the pose, from the exported positions."""
    return data["landmarks"][f"{base}_left"]["position_mm"][1] - data["landmarks"][f"{base}_right"]["position_mm"][1]


def test_the_reviews_pose_reads_as_bands_with_machine_readable_fields(anatomy):
    data = describe_json("innominate_rotation", {"left_deg": "15", "right_deg": "-15"}, anatomy=anatomy)
    for f in data["findings"]:
        assert "threshold" not in f  # the single cut-off the review objected to is gone
        if f["unit"] == "mm":
            size = abs(f["at_pose"])
            expected = "below" if size < 15 else "within" if size < 20 else "beyond"
            assert f["location_error"] == expected and f["band"] == [15.0, 20.0]
        assert f["kappa"].startswith("κ") and f["kappa"] in f["verdict"]
    psis = _f(data, "PSIS height difference")
    assert psis["at_pose"] == pytest.approx(_height_difference(data, "psis"), abs=1e-9)
    assert abs(psis["at_pose"]) > 20 and psis["normal_asymmetry"] == 16.0 and psis["beyond_normal_asymmetry"] is True
    asis = _f(data, "ASIS height difference")
    assert asis["at_pose"] == pytest.approx(_height_difference(data, "asis"), abs=1e-9)
    assert abs(asis["at_pose"]) < 15 and asis["location_error"] == "below" and asis["beyond_normal_asymmetry"] is False
    assert "within the 16 mm normal bony asymmetry (Preece 2008)" in asis["verdict"]
    assert "Palpable:" not in data["summary"] and "κ ≤ 0.4" in data["summary"]


@pytest.mark.parametrize(("total_mm", "location", "beyond_preece"), [(14.0, "below", False), (17.0, "within", True),
                                                                      (20.0, "beyond", True)])  # 20.0: the model's maximum (±10 mm); ≥ the band edge
def test_height_differences_against_both_bands(anatomy, total_mm, location, beyond_preece):
    # Supine, an upslip of half the total on the left and a downslip on the right: the ASIS heights
    # differ by the total plus the pelvis's own 0 mm at neutral (read from the landmarks).
    data = describe_json("shear", {"left_mm": str(total_mm / 2), "right_mm": str(-total_mm / 2)}, anatomy=anatomy,
                         posture="supine")
    asis = _f(data, "ASIS height difference")
    assert asis["at_pose"] == pytest.approx(_height_difference(data, "asis"), abs=1e-9)
    assert abs(asis["at_pose"]) == pytest.approx(total_mm, abs=0.05)  # 0.05 mm: the pelvis's own neutral asymmetry
    assert asis["location_error"] == location and asis["beyond_normal_asymmetry"] is beyond_preece
    assert asis["palpable"] is (location == "beyond" and beyond_preece)
    assert f"{'beyond' if beyond_preece else 'within'} the 16 mm normal bony asymmetry" in asis["verdict"]


def test_claims_judge_the_difference_at_the_pose_as_describe_does(anatomy):
    # A 2 mm left upslip: the leg-length change is 2.0 mm but the pelvis already differs by 0.3 mm at
    # neutral, so a hand compares 2.3 mm; the claims row must say the same as describe.
    row = next(r for r in claims.rows(anatomy) if r["key"] == "upslip")
    data = describe_json("shear", {"left_mm": "2"}, anatomy=anatomy)
    leg = _f(data, "apparent leg-length difference (medial malleoli)")
    supine = describe_json("shear", {"left_mm": "2"}, anatomy=anatomy, posture="supine")
    lm = supine["landmarks"]
    by_hand = lm["medial_malleolus_right"]["position_mm"][1] - lm["medial_malleolus_left"]["position_mm"][1]
    assert leg["at_pose"] == pytest.approx(by_hand, abs=1e-9)
    assert abs(leg["difference"]) != pytest.approx(abs(leg["at_pose"]), abs=0.05)  # the two really differ here
    assert f"the difference at the pose, {abs(by_hand):.1f} mm, is {leg['verdict']}" in row["hand_could_feel"]
    assert row["hand_could_feel"].startswith("No: ")
