"""Lying-posture words (issue 10 review item 10): supine or prone the pelvic Y axis runs toward the head,
so what is read in the table frame never says "vertical", "higher" or "lower"."""

from __future__ import annotations

import re

import pytest

from pelvisim.cli import main

CASES = [("flare", "left_deg=2"), ("shear", "left_mm=2"), ("innominate_rotation", "left_deg=2"),
         ("sacral_rotation", "left_deg=1"), ("unilateral_sacral_flexion", "left_deg=2"), ("nutation", "angle_deg=2")]
UPRIGHT = re.compile(r"\bvertical\b|\bhigher\b|\blower\b")


def _text(capsys, model, setting, posture):
    assert main(["describe", "--model", model, "--set", setting, "--posture", posture]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("posture", ["supine", "prone"])
@pytest.mark.parametrize(("model", "setting"), CASES)
def test_table_frame_lines_say_toward_the_head(capsys, model, setting, posture):
    lines = _text(capsys, model, setting, posture).splitlines()
    framed = [line for line in lines if line.lstrip().startswith(f"lying {posture} on the table:")]
    assert len(framed) == 3  # both innominates and the sacrum, in the table frame
    findings = lines[lines.index(next(l for l in lines if l.startswith("What a clinician could feel"))) + 1:]
    findings = findings[:next(i for i, l in enumerate(findings) if "not perfectly symmetric" in l or "symmetric at neutral" in l)]
    for line in framed + findings:
        assert not UPRIGHT.search(line), line
    assert "in the supine, on the table" not in "\n".join(lines) and "in the prone, on the table" not in "\n".join(lines)


def test_flare_supine_turns_about_the_long_axis(capsys):
    text = _text(capsys, "flare", "left_deg=1", "supine")
    assert re.search(r"lying supine on the table: ilium turned \d\.\d° about the long \(head–foot\) axis, ASIS toward the "
                     r"table midline", text)
    upslip = _text(capsys, "shear", "left_mm=2", "supine")
    assert "ASIS further toward the head on the left by 2.0 mm" in upslip  # supine, the 2 mm upslip lifts it all (test_descriptors)
    standing = _text(capsys, "shear", "left_mm=2", "standing")
    assert "in the standing body frame: ilium" in standing and "PSIS higher on the left" in standing
