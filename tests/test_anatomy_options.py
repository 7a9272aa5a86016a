"""``--anatomy`` / ``--subject`` / ``--modes`` on every command, the ``anatomy`` key of scene files,
and the at-rest readout (a pelvis's own asymmetry with no joint motion)."""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim.anatomy import sources
from pelvisim.cli import build_parser, main
from pelvisim.descriptors import at_rest_words, describe
from pelvisim.errors import SceneError
from pelvisim.models import get_model
from pelvisim.pose import NEUTRAL
from pelvisim.scene import parse

COMMANDS = [
    ["anatomy"],
    ["describe", "--model", "flare"],
    ["render", "flare", "-o", "x.png"],
    ["export", "flare", "-o", "x.csv"],
    ["show"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_takes_the_three_options(command):
    parser = build_parser()
    for extra, name, value in ((["--subject", "7"], "subject", "7"), (["--modes", "1=+2,3=-1"], "modes", "1=+2,3=-1"),
                               (["--anatomy", "bones"], "anatomy", "bones")):
        args = parser.parse_args(command + extra)
        assert getattr(args, name) == value


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("extra, words", [
    (["--subject", "99"], "subject must be a whole number from 1 to 26"),
    (["--subject", "seven"], "--subject expects a whole number from 1 to 26"),
    (["--modes", "1=abc"], "--modes: mode 1 needs a number of standard deviations, got 'abc'"),
    (["--modes", "1"], "--modes expects MODE=SD pairs like 1=+2,3=-1"),
    (["--modes", "26=1"], "--modes: shape mode must be a whole number from 1 to 25"),
    (["--modes", "2=+3.5"], "-3 to +3 standard deviations"),
    (["--subject", "3", "--modes", "1=1"], "give one of --anatomy, --subject and --modes"),
])
def test_bad_values_are_one_line_errors(command, extra, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISPLAY", ":0")  # show: the anatomy options are checked before any window opens
    assert main(command + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pelvisim: error:") and words in err[0], err
    assert not list(tmp_path.iterdir())  # nothing written


def test_describe_reads_the_chosen_anatomy(capsys):
    """Same model and setting on the mean and on subject 7: the landmark positions are each pelvis's own."""
    assert main(["describe", "--model", "flare", "--json"]) == 0
    mean = capsys.readouterr().out
    assert main(["describe", "--model", "flare", "--json", "--subject", "7"]) == 0
    subject = capsys.readouterr().out
    import json

    a = np.array(json.loads(mean)["landmarks"]["asis_left"]["position_mm"])
    b = np.array(json.loads(subject)["landmarks"]["asis_left"]["position_mm"])
    np.testing.assert_allclose(b, sources.load(subject=7).point("asis_left"), atol=1e-6)  # flare defaults: neutral
    assert np.linalg.norm(a - b) > 1.0


# --- scene files -------------------------------------------------------------------------------------

SCENE = 'title = "t"\n{top}[[panels]]\nmodel = "flare"\n{panel}'


@pytest.mark.parametrize("top, panel, key0, key1", [
    ("", "", "bundled", "bundled"),
    ('anatomy = { subject = 7 }\n', "", "subject=7", "subject=7"),
    ('anatomy = { subject = 7 }\n', 'anatomy = "bundled"\n', "bundled", "subject=7"),
    ("", 'anatomy = { modes = { 1 = 2.0, 3 = -1 } }\n', "modes=1:+2,3:-1", "bundled"),
])
def test_scene_anatomy_top_level_and_per_panel(top, panel, key0, key1):
    text = SCENE.format(top=top, panel=panel) + '[[panels]]\nmodel = "flare"\n'
    scene = parse(text, "s.toml")
    assert scene.panel_anatomy(0).key == key0
    assert scene.panel_anatomy(1).key == key1


def test_scene_folder_is_found_next_to_the_scene_file(tmp_path):
    (tmp_path / "my_bones").mkdir()
    scene = parse(SCENE.format(top='anatomy = "my_bones"\n', panel=""), "s.toml", base_dir=tmp_path)
    assert scene.panel_anatomy(0).folder == tmp_path / "my_bones"


@pytest.mark.parametrize("top, panel, where, words", [
    ('anatomy = { subject = 99 }\n', "", "s.toml:2: anatomy:", "1 to 26"),
    ("", 'anatomy = { modes = { 1 = "big" } }\n', "s.toml:4: panels[1].anatomy:", "standard deviations"),
    ("", 'anatomy = "no_such_folder"\n', "s.toml:4: panels[1].anatomy:", "not found"),
    ('anatomy = { subject = 3, modes = { 1 = 1.0 } }\n', "", "s.toml:2: anatomy:", "one key"),
    ("anatomy = 7\n", "", "s.toml:2: anatomy:", "expected"),
])
def test_bad_scene_anatomy_names_file_line_and_key(top, panel, where, words, tmp_path):
    with pytest.raises(SceneError) as error:
        parse(SCENE.format(top=top, panel=panel), "s.toml", base_dir=tmp_path)
    message = str(error.value)
    assert message.startswith(where) and words in message and "\n" not in message


# --- the at-rest readout -------------------------------------------------------------------------------

def test_at_rest_readout_gives_the_pelvis_own_asymmetry_with_its_references(anatomy):
    words = at_rest_words(describe(anatomy, NEUTRAL))
    psis = anatomy.point("psis_left")[1] - anatomy.point("psis_right")[1]  # independent: straight from the landmarks
    assert abs(psis) >= 0.5  # the bundled mean: 1.0 mm
    side = "left" if psis > 0 else "right"
    assert f"PSIS higher on the {side} by {abs(psis):.1f} mm" in words
    assert "Preece 2008" in words and "Della Croce 1999" in words and "No joint motion" in words


def test_at_rest_readout_stays_silent_when_something_moved(anatomy):
    model = get_model("innominate_rotation")
    state = model.joint_state(anatomy, model.resolve({"left_deg": 1.0}), 0.0)
    assert at_rest_words(describe(anatomy, state)) == ""


def test_at_rest_readout_stays_silent_on_a_symmetric_pelvis(symmetric):
    assert at_rest_words(describe(symmetric, NEUTRAL)) == ""
