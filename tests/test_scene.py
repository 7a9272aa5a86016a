"""Scene files: parsing, validation with file:line, keyframes, frame times, bundled scenes."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from pelvisim.errors import ParameterError, SceneError
from pelvisim.scene import (
    bundled_scene_names,
    find_scene,
    frame_times,
    key_lines,
    load,
    parse,
    parse_size,
)

MINIMAL = 'title = "t"\n\n[[panels]]\nmodel = "flare"\n'


def test_minimal_scene_has_documented_defaults():
    scene = parse(MINIMAL, "m.toml")
    assert scene.panels[0].parameters == {"left_deg": 0.0, "right_deg": 0.0}
    assert scene.panels[0].label == "Inflare / outflare"
    assert scene.timeline.kind == "gait" and scene.duration_s == pytest.approx(4.0)
    assert scene.output.size == "720p" and scene.output.fps == 30 and scene.output.quality == "draft"
    assert scene.magnification == 1.0 and scene.camera.view == "anterior"
    assert scene.overlays["landmarks"] and not scene.overlays.get("ghost", False)


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('title = "t"\n[[panels]]\nmodel = "flair"\n', 3, "Did you mean 'flare'"),
        ('title = "t"\n\n[[panels]]\nmodel = "flare"\nparameters = { left_deg = 40 }\n', 5, "left_deg must be a number from -15 to 15"),
        ('title = "t"\n[[panels]]\nmodel = "flare"\nparameters = { lft_deg = 1 }\n', 4, "no parameter 'lft_deg'"),
        ('title = "t"\n[[panels]]\nmodel = "flare"\n[output]\nfps = "thirty"\n', 5, "expected an integer from 1 to 120"),
        ('title = "t"\n[[panels]]\nmodel = "flare"\n[camera]\nveiw = "left"\n', 5, "unknown key"),
        ('title = "t"\n[[panels]]\nmodel = "flare"\n[[panels]]\nmodel = "nutation"\n[camera]\nview = "frontal"\n', 7, "expected one of anterior"),
        ('title = "t"\n[[panels]]\nmodel = "flare"\n[output]\nsize = "huge"\n', 5, "720p, 1080p, 4k"),
        ('title = "t\n', 1, "invalid TOML"),
        ('[[panels]]\nmodel = "flare"\n', None, "missing key 'title'"),
    ],
)
def test_errors_name_file_line_and_expectation(text, line, words):
    with pytest.raises(SceneError) as info:
        parse(text, "lesson.toml")
    message = str(info.value)
    assert message.startswith(f"lesson.toml:{line}:" if line else "lesson.toml")
    assert words in message


def test_keyframe_parameter_errors_point_at_the_keyframe():
    text = MINIMAL + '[timeline]\nkind = "keyframes"\n[[timeline.keyframes]]\ntime_s = 0\n[[timeline.keyframes]]\ntime_s = 1\nparameters = { left_deg = 99 }\n'
    with pytest.raises(SceneError, match=r"^k.toml:11: timeline.keyframes\[2\].parameters.left_deg"):
        parse(text, "k.toml")


def test_keyframes_must_not_go_back_in_time():
    text = MINIMAL + '[timeline]\nkind = "keyframes"\n[[timeline.keyframes]]\ntime_s = 2\nhold_s = 1\n[[timeline.keyframes]]\ntime_s = 2.5\n'
    with pytest.raises(SceneError, match=r"k.toml:11: .*time_s.*>= 3"):
        parse(text, "k.toml")


def test_key_lines_handles_arrays_of_tables_and_inline_tables():
    text = 'title = "t"\n[[panels]]\nmodel = "a"\n[[panels]]\nmodel = "b"\nparameters = { x = 1, y = 2 }\n[timeline]\nkind = "gait"\n'
    lines = key_lines(text)
    assert lines[("panels", 0, "model")] == 3
    assert lines[("panels", 1, "model")] == 5
    assert lines[("panels", 1, "parameters", "y")] == 6
    assert lines[("timeline", "kind")] == 8


def test_keyframes_interpolate_with_holds():
    text = MINIMAL + (
        '[timeline]\nkind = "keyframes"\ninterpolation = "linear"\n'
        '[[timeline.keyframes]]\ntime_s = 0\nhold_s = 1\nparameters = { left_deg = 0 }\n'
        '[[timeline.keyframes]]\ntime_s = 3\nhold_s = 1\nparameters = { left_deg = 2 }\n'
    )
    scene = parse(text, "k.toml")
    assert scene.duration_s == pytest.approx(4.0)
    values = [scene.parameters_at(0, t)["left_deg"] for t in (0.0, 0.5, 1.0, 2.0, 3.0, 3.9)]
    assert values == pytest.approx([0.0, 0.0, 0.0, 1.0, 2.0, 2.0])
    assert scene.parameters_at(0, 2.0)["right_deg"] == 0.0


def test_gait_frame_times_follow_the_phase_not_the_clock():
    scene = parse(MINIMAL + "[timeline]\ncycles = 2\nseconds_per_cycle = 1.0\n", "g.toml")
    times = frame_times(scene, fps=10)
    assert len(times) == 20
    assert [round(scene.phase_at(t), 6) for t in times[:3]] == [0.0, 0.1, 0.2]
    assert scene.phase_at(times[10]) == pytest.approx(0.0, abs=1e-9)
    assert len(frame_times(scene, fps=10, start_s=0.5, end_s=1.5)) == 10


@pytest.mark.parametrize("text, size", [("720p", (1280, 720)), ("1080p", (1920, 1080)), ("4k", (3840, 2160)), ("1000x500", (1000, 500)),
                                        ("1001x501", (1000, 500))])
def test_sizes_are_exact_and_even(text, size):
    assert parse_size(text) == size


def test_bad_size_is_a_parameter_error():
    with pytest.raises(ParameterError, match="WIDTHxHEIGHT"):
        parse_size("big")


def test_overrides_are_validated():
    scene = parse(MINIMAL, "m.toml")
    assert scene.with_overrides(cycles=3).duration_s == pytest.approx(12.0)
    assert scene.with_overrides(magnification=20).panel_magnification(0) == 20.0
    with pytest.raises(ParameterError):
        scene.with_overrides(fps=0)
    with pytest.raises(ParameterError):
        scene.with_overrides(magnification=-1)


def test_scene_is_frozen():
    scene = parse(MINIMAL, "m.toml")
    with pytest.raises(Exception):
        scene.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        scene.panels[0].parameters["left_deg"] = 3  # type: ignore[index]


def test_bundled_scene_lookup_by_name_and_error_lists_names(tmp_path):
    assert "flagship" in bundled_scene_names()
    assert find_scene("flagship").name == "flagship.toml"
    with pytest.raises(SceneError, match="Bundled scenes: .*flagship"):
        find_scene("no_such_scene")


@pytest.mark.parametrize("name", bundled_scene_names())
def test_every_bundled_scene_passes_check(name):
    scene = load(name)
    assert scene.title and scene.captions, f"{name}: every scene needs a title and a caption"
    assert scene.sources, f"{name}: every scene names its sources"
    assert math.isfinite(scene.duration_s) and scene.duration_s > 0


def test_scene_check_cli_reports_file_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "t"\n[[panels]]\nmodel = "flare"\nparameters = { left_deg = 40 }\n')
    from pelvisim.cli import main

    assert main(["scene", "check", "flagship"]) == 0
    assert main(["scene", "check", str(bad)]) == 2


def test_scene_module_never_imports_pyvista():
    code = "import sys, pelvisim.scene; pelvisim.scene.load('flagship'); assert 'pyvista' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- view keys of issue 13: panel views, key numbers, arrows, colour-map frame, caption timing -----
def test_panel_views_key_numbers_and_display_keys():
    text = MINIMAL + 'view = "sagittal_left"\nreadouts = ["innominate_left.inflare_deg"]\n'
    scene = parse(text, "v.toml")
    assert scene.panel_view(0) == "sagittal_left" and scene.panel_readouts(0) == ("innominate_left.inflare_deg",)
    plain = parse(MINIMAL, "m.toml")
    assert plain.panel_view(0) == "anterior" and plain.panel_readouts(0) == ("innominate_left.inflare_deg",
                                                                            "innominate_right.inflare_deg")
    assert plain.arrow_scale == 20.0 and plain.colour_map_frame == "sacrum" and plain.output.title_card_s == 1.5
    top = parse('title = "t"\narrow_scale = 50\ncolour_map_frame = "pelvis"\n[[panels]]\nmodel = "flare"\n', "t.toml")
    assert top.arrow_scale == 50.0 and top.colour_map_frame == "pelvis"


@pytest.mark.parametrize("extra, line, words", [
    ('view = "sagital_left"\n', 5, "Did you mean 'sagittal_left'"),
    ('readouts = ["sacrum.nutation"]\n', 5, "expected one of"),
    ('readouts = ["sacrum.nutation_deg", "sacrum.nutation_deg", "sacrum.nutation_deg", "sacrum.nutation_deg", '
     '"sacrum.nutation_deg"]\n', 5, "at most 4"),
])
def test_view_key_errors_name_the_line(extra, line, words):
    with pytest.raises(SceneError) as error:
        parse(MINIMAL + extra, "v.toml")
    assert f"v.toml:{line}:" in str(error.value) and words in str(error.value)


def test_captions_shorter_than_a_reading_pace_are_warned():
    from pelvisim.scene import caption_warnings

    ten_words = "one two three four five six seven eight nine ten"
    short = parse(MINIMAL + f'[timeline]\nkind = "still"\nstill_s = 10\n[[captions]]\ntext = "{ten_words}"\nend_s = 2.5\n', "c.toml")
    warnings = caption_warnings(short)
    assert len(warnings) == 1 and "10 words shown for 2.5 s; expected at least 3.0 s" in warnings[0]
    enough = parse(MINIMAL + f'[timeline]\nkind = "still"\nstill_s = 10\n[[captions]]\ntext = "{ten_words}"\nend_s = 3\n', "c.toml")
    assert caption_warnings(enough) == []
    past_the_end = parse(MINIMAL + f'[timeline]\nkind = "still"\nstill_s = 2\n[[captions]]\ntext = "{ten_words}"\n', "c.toml")
    assert caption_warnings(past_the_end)  # shown until the end of a 2 s timeline


@pytest.mark.parametrize("name", bundled_scene_names())
def test_bundled_captions_can_be_read_and_title_cards_are_short(name):
    from pelvisim.scene import caption_warnings

    scene = load(name)
    assert caption_warnings(scene) == []
    assert scene.output.title_card_s <= 1.5


def test_scene_check_warns_about_hurried_captions(tmp_path):
    path = tmp_path / "fast.toml"
    path.write_text(MINIMAL + '[[captions]]\ntext = "a caption of many words that nobody could read in time at all"\nend_s = 1\n')
    result = subprocess.run([sys.executable, "-m", "pelvisim.cli", "scene", "check", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "warning:" in result.stderr and "13 words shown for 1.0 s" in result.stderr


def test_keyframes_hold_the_first_value_before_it_and_ease_between():
    # A track that starts at 1 s with no hold: before it the first value holds; between two
    # keyframes "linear" is the straight line and "smooth" eases (3u² − 2u³, equal at the middle).
    def scene(interpolation):
        return parse(MINIMAL + (
            f'[timeline]\nkind = "keyframes"\ninterpolation = "{interpolation}"\n'
            '[[timeline.keyframes]]\ntime_s = 1\nparameters = { left_deg = 1 }\n'
            '[[timeline.keyframes]]\ntime_s = 3\nparameters = { left_deg = 3 }\n'), "k.toml")

    linear, smooth, step = scene("linear"), scene("smooth"), scene("step")
    assert [linear.parameters_at(0, t)["left_deg"] for t in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)] == \
        pytest.approx([1.0, 1.0, 1.0, 1.5, 2.0, 3.0])
    u = 0.25  # at 1.5 s, a quarter of the way
    assert smooth.parameters_at(0, 1.5)["left_deg"] == pytest.approx(1.0 + 2.0 * (3 * u**2 - 2 * u**3))
    assert smooth.parameters_at(0, 2.0)["left_deg"] == pytest.approx(2.0)
    assert [step.parameters_at(0, t)["left_deg"] for t in (0.5, 2.9, 3.0)] == [1.0, 1.0, 3.0]


def test_a_keyframed_gait_phase_stays_in_its_cycle():
    # Phases from 0 to 1 over 2 s: the phase at the end is 1.0, the same instant as 0 (docstring:
    # a phase in [0, 1)).
    scene = parse(MINIMAL + (
        '[timeline]\nkind = "keyframes"\ninterpolation = "linear"\n'
        '[[timeline.keyframes]]\ntime_s = 0\nphase = 0.0\n'
        '[[timeline.keyframes]]\ntime_s = 2\nphase = 1.0\n'), "p.toml")
    assert scene.phase_at(1.0) == pytest.approx(0.5)
    assert scene.phase_at(2.0) == 0.0


@pytest.mark.parametrize("override", [{"fps": True}, {"fps": 0}, {"fps": 121}, {"fps": 30.0},
                                      {"title_card_s": True}, {"magnification": True}])
def test_a_yes_no_value_is_not_a_number_in_overrides(override):
    # Python counts True as 1: an fps, title card or magnification of ``true`` must still be refused.
    scene = parse(MINIMAL, "m.toml")
    with pytest.raises(ParameterError):
        scene.with_overrides(**override)


@pytest.mark.parametrize("value", ["true", "0", "121", "30.0", '"30"'])
def test_an_output_fps_that_is_not_a_whole_number_from_1_to_120_is_refused_at_its_line(value):
    with pytest.raises(SceneError, match=r"^o.toml:6: output.fps: expected an integer from 1 to 120"):
        parse(MINIMAL + f"[output]\nfps = {value}\n", "o.toml")


def test_an_explicit_camera_names_the_keys_it_lacks():
    with pytest.raises(SceneError) as error:
        parse(MINIMAL + '[camera]\nposition_mm = [0, 0, 900]\nup = [0, 1, 0]\n', "c.toml")
    message = str(error.value)
    assert message.startswith("c.toml:6: camera.position_mm:") and message.endswith("missing focal_point_mm")


def test_a_file_cut_off_inside_an_array_points_at_its_last_line():
    # tomllib says "at end of document" without a line: the message gives the file's last line.
    text = MINIMAL + 'parameters = { left_deg = 1 }\n[[captions]]\ntext = "a"\nend_s = [1,\n2\n'
    with pytest.raises(SceneError, match=r"^e.toml:9: invalid TOML: Unclosed array"):
        parse(text, "e.toml")


def test_a_bundled_scene_loads_by_its_file_name_too():
    by_name, by_file = load("flagship"), load("flagship.toml")
    assert by_file.title == by_name.title and by_file.panels == by_name.panels


def test_a_scene_file_saved_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff".encode() + MINIMAL.encode())
    assert load(path).panels[0].model == "flare"


@pytest.mark.parametrize("start, end", [(math.nan, 1.0), (0.0, math.nan), (0.0, math.inf), (-1.0, 1.0), (1.0, 1.0)])
def test_frame_times_refuse_a_start_or_end_that_is_not_a_time(start, end):
    scene = parse(MINIMAL, "m.toml")
    with pytest.raises(ParameterError, match="expected 0 <= start < end"):
        frame_times(scene, fps=10, start_s=start, end_s=end)
