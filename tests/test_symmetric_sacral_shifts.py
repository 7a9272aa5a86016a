"""Symmetric motions still show what the hand is on (issue 10 review item 8): the sacral sulci, ILAs and
apex are printed prone, where they are palpated, even when left and right move alike. Expected values
come from the landmark positions ``describe --json --posture prone`` exports, and §4's nutation
signature (both sulci deep, coccyx posterior)."""

from __future__ import annotations

import pytest

from pelvisim import claims
from pelvisim.cli import main
from pelvisim.cli.describe_cmd import describe_json

EXACT = 1e-9  # mm: the same subtraction done twice


def test_nutation_prints_its_symmetric_sacral_shifts(anatomy, capsys):
    data = describe_json("nutation", {"angle_deg": "2"}, anatomy=anatomy)
    prone = describe_json("nutation", {"angle_deg": "2"}, anatomy=anatomy, posture="prone")["landmarks"]
    sacrum = data["descriptors"]["sacrum"]
    assert sacrum["landmark_frame"] == "prone, on the table"
    for name in ("sacral_sulcus_left", "sacral_sulcus_right", "ila_left", "ila_right", "sacral_apex"):
        assert sacrum["landmark_shifts"][name]["shift_mm"] == pytest.approx(prone[name]["shift_mm"], abs=EXACT)
    for side in ("left", "right"):
        depth = prone[f"sacral_sulcus_{side}"]["shift_mm"][0] - prone[f"psis_{side}"]["shift_mm"][0]
        assert sacrum["sulcus_deeper_mm"][side] == pytest.approx(depth, abs=EXACT)
        assert depth > 0.1  # §4 nutation: both sulci deep
        assert prone[f"ila_{side}"]["shift_mm"][0] < -1.0  # the ILAs go back with the apex
    assert prone["sacral_apex"]["shift_mm"][0] < -1.0  # §4: coccyx posterior
    # the summary no longer stops at "nothing to palpate"
    ila = prone["ila_left"]["shift_mm"][0]
    assert "No left-right difference to palpate, but both sides move alike (prone, on the table): " in data["summary"]
    assert f"left ILA {abs(ila):.1f} mm posterior" in data["summary"]
    deeper = prone["sacral_sulcus_left"]["shift_mm"][0] - prone["psis_left"]["shift_mm"][0]
    assert f"sulcus {deeper:.1f} mm deeper (left)" in data["summary"]
    assert f"apex {abs(prone['sacral_apex']['shift_mm'][0]):.1f} mm posterior" in data["summary"]
    assert main(["describe", "--model", "nutation", "--set", "angle_deg=2"]) == 0
    text = capsys.readouterr().out
    assert "landmarks, prone, on the table (where they are palpated):" in text
    assert f"{deeper:.1f} mm deeper" in text.split("left sulcus depth against the PSIS", 1)[1].splitlines()[0]


def test_the_claims_row_names_the_symmetric_shift(anatomy):
    row = next(r for r in claims.rows(anatomy) if r["key"] == "nutation")
    prone = describe_json("nutation", {"angle_deg": "2"}, anatomy=anatomy, posture="prone")["landmarks"]
    assert row["hand_could_feel"].startswith("No left–right difference to feel: both sides move alike")
    assert f"apex {abs(prone['sacral_apex']['shift_mm'][0]):.1f} mm posterior" in row["hand_could_feel"]
