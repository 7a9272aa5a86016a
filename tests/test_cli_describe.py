"""``pelvisim models`` and ``pelvisim describe``: the JSON contract and one-line errors."""

from __future__ import annotations

import json

import pytest

from pelvisim.cli import main

CORE_KEYS = {"model", "parameters", "descriptors", "landmarks", "findings", "summary", "warnings", "body_frame",
             "posture", "named", "name_checks", "landmarks_frame", "magnification_note", "whole_pelvis", "limit_warnings", "neutral_asymmetry"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_json_lists_the_registry(capsys):
    code, out, _ = run(capsys, "models", "--json")
    assert code == 0
    data = {m["name"]: m for m in json.loads(out)}
    assert {"neutral", "nutation", "flare", "sacral_torsion", "twisted_shifted_sacrum"} <= set(data)
    flare = {p["name"]: p for p in data["flare"]["parameters"]}
    assert flare["left_deg"]["unit"] == "deg" and flare["left_deg"]["default"] == 0.0
    assert flare["left_deg"]["in_vivo_limit"] is not None and flare["left_deg"]["source"]


def test_models_text(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0 and "innominate_rotation" in out and "left_deg" in out


def test_describe_json_contract(capsys):
    code, out, _ = run(capsys, "describe", "--model", "flare", "--set", "left_deg=1.0", "--json")
    assert code == 0
    data = json.loads(out)
    assert CORE_KEYS <= set(data) and set(data) - CORE_KEYS <= {"pelvis", "joints", "events", "ligaments", "muscles",
                                                                 "sij_compression_n"}
    assert {"ligaments", "muscles"} <= set(data)  # the soft tissue's read-out (issue 14)
    assert data["model"] == "flare" and data["parameters"] == {"left_deg": 1.0, "right_deg": 0.0}
    assert set(data["descriptors"]) == {"innominate_left", "innominate_right", "sacrum", "ring"}
    assert data["descriptors"]["innominate_left"]["inflare_deg"] == pytest.approx(1.0)
    assert set(data["landmarks"]["asis_left"]) == {"position_mm", "shift_mm"}
    assert data["warnings"] == []
    assert "inflare" in data["summary"]


def test_describe_magnification_does_not_change_descriptors(capsys):
    _, true_scale, _ = run(capsys, "describe", "--model", "nutation", "--set", "angle_deg=1.5", "--json")
    _, magnified, _ = run(capsys, "describe", "--model", "nutation", "--set", "angle_deg=1.5", "--magnification", "20", "--json")
    true_scale, magnified = json.loads(true_scale), json.loads(magnified)
    # only the note about the drawing may differ (nutation 1.5° ×20 makes the sacrum pass into the ilia)
    assert true_scale.pop("magnification_note") is None
    magnified.pop("magnification_note")
    assert true_scale == magnified


def test_describe_warns_beyond_in_vivo_range(capsys):
    _, out, _ = run(capsys, "describe", "--model", "shear", "--set", "left_mm=5", "--json")
    (warning,) = json.loads(out)["warnings"]
    assert "left_mm" in warning and "in-vivo" in warning


def test_describe_table_in_clinical_words(capsys):
    code, out, _ = run(capsys, "describe", "--model", "sacral_torsion", "--set", "angle_deg=2", "--magnification", "10")
    assert code == 0
    assert "left-on-left forward torsion" in out and "×10" in out and "below the 15–20 mm landmark-location error" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--model", "flair"], "Valid models: neutral"),
        (["--model", "flare", "--set", "lft_deg=1"], "Valid parameters: left_deg, right_deg"),
        (["--model", "flare", "--set", "left_deg=40"], "from -15 to 15 deg"),
        (["--model", "nutation", "--set", "axis_level=L5"], "'S1', 'S2', 'S3'"),
        (["--model", "flare", "--set", "left_deg"], "KEY=VALUE"),
        (["--model", "flare", "--magnification", "0"], "magnification"),
        (["--model", "flare", "--phase", "1.5"], "phase"),
    ],
)
def test_describe_errors_are_one_line(capsys, argv, expected):
    code, out, err = run(capsys, "describe", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("pelvisim: error:") and expected in err
