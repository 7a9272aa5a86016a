"""Scene files behave as docs/scenes.md says: timeline clocks, keyframe easing, captions, overlays,
magnification, output sizes, and every documented limit refused with the key named.

Expected values come from the documentation's rules computed by hand (e.g. smooth easing is
3u² − 2u³, a gait phase advances by time / seconds_per_cycle), never from the parser's output.
"""

from __future__ import annotations

import math

import pytest

from pelvisim.errors import ParameterError, SceneError
from pelvisim.scene import OVERLAY_NAMES, frame_times, parse, parse_size

PANEL = '[[panels]]\nmodel = "flare"\n'


def scene(body: str = "", panels: str = PANEL, top: str = ""):
    return parse(f'title = "t"\n{top}{panels}{body}', "s.toml")


# --- clocks ---------------------------------------------------------------------------------------
def test_gait_phase_runs_from_the_start_phase_and_wraps():
    s = scene("[timeline]\nstart_phase = 0.75\nseconds_per_cycle = 2.0\ncycles = 1.5\n")
    assert s.duration_s == pytest.approx(3.0)  # 1.5 cycles × 2 s
    for t, phase in ((0.0, 0.75), (0.5, 0.0), (1.0, 0.25), (2.9, 0.2)):
        assert s.phase_at(t) == pytest.approx(phase, abs=1e-9), t


def test_still_and_keyframe_durations_and_phases():
    still = scene('[timeline]\nkind = "still"\nstill_s = 7\nphase = 0.3\n')
    assert still.duration_s == 7.0 and still.phase_at(5.0) == pytest.approx(0.3)
    frames = scene('[timeline]\nkind = "keyframes"\nphase = 0.4\n'
                   '[[timeline.keyframes]]\ntime_s = 1\nhold_s = 0.5\n[[timeline.keyframes]]\ntime_s = 3\nhold_s = 2\n')
    assert frames.duration_s == pytest.approx(5.0)  # last keyframe's time + hold
    assert frames.phase_at(2.0) == pytest.approx(0.4)  # no phase keyframed: the fixed phase


def test_keyframed_phase_is_interpolated():
    s = scene('[timeline]\nkind = "keyframes"\ninterpolation = "linear"\n'
              '[[timeline.keyframes]]\ntime_s = 0\nphase = 0.2\n[[timeline.keyframes]]\ntime_s = 2\nphase = 0.6\n')
    assert s.phase_at(1.0) == pytest.approx(0.4)
    assert s.phase_at(5.0) == pytest.approx(0.6)


# --- keyframes ------------------------------------------------------------------------------------
KEYFRAMES = ('[timeline]\nkind = "keyframes"\ninterpolation = "{interp}"\n'
             '[[timeline.keyframes]]\ntime_s = 1\nhold_s = 1\nparameters = {{ left_deg = 1 }}\n'
             '[[timeline.keyframes]]\ntime_s = 4\nparameters = {{ left_deg = 3 }}\n')


@pytest.mark.parametrize(("interp", "at_3"), [
    ("linear", 1.0 + 2.0 * 0.5),                      # halfway between the end of the hold (2 s) and 4 s
    ("smooth", 1.0 + 2.0 * (3 * 0.25 - 2 * 0.125)),   # ease in and out: 3u² − 2u³ at u = 0.5 -> 0.5
    ("step", 1.0),                                    # holds the earlier value until the next keyframe
])
def test_interpolation_between_keyframes(interp, at_3):
    s = scene(KEYFRAMES.format(interp=interp))
    left = lambda t: s.parameters_at(0, t)["left_deg"]  # noqa: E731
    assert left(0.0) == 1.0       # before the first keyframe: its value
    assert left(1.5) == 1.0       # holding
    assert left(3.0) == pytest.approx(at_3)
    assert left(4.0) == 3.0 and left(9.0) == 3.0
    assert s.parameters_at(0, 3.0)["right_deg"] == 0.0  # untouched keys keep the panel's value


def test_smooth_easing_is_not_linear_off_the_midpoint():
    s = scene(KEYFRAMES.format(interp="smooth"))
    u = 0.25  # at t = 2.5 s
    assert s.parameters_at(0, 2.5)["left_deg"] == pytest.approx(1.0 + 2.0 * (3 * u**2 - 2 * u**3))


def test_keyframes_for_one_panel_leave_the_other_alone():
    two = PANEL + '[[panels]]\nmodel = "flare"\n'
    s = scene('[timeline]\nkind = "keyframes"\ninterpolation = "linear"\n'
              '[[timeline.keyframes]]\ntime_s = 0\npanels = [2]\nparameters = { left_deg = 0 }\n'
              '[[timeline.keyframes]]\ntime_s = 2\npanels = [2]\nparameters = { left_deg = 4 }\n', panels=two)
    assert s.parameters_at(1, 1.0)["left_deg"] == pytest.approx(2.0)
    assert s.parameters_at(0, 1.0)["left_deg"] == 0.0


def test_choice_parameters_always_step():
    s = parse('title = "t"\n[[panels]]\nmodel = "nutation"\n[timeline]\nkind = "keyframes"\ninterpolation = "linear"\n'
              '[[timeline.keyframes]]\ntime_s = 0\nparameters = { axis_level = "S1" }\n'
              '[[timeline.keyframes]]\ntime_s = 2\nparameters = { axis_level = "S3" }\n', "c.toml")
    assert [s.parameters_at(0, t)["axis_level"] for t in (0.0, 1.9, 2.0)] == ["S1", "S1", "S3"]


def test_parameters_are_constant_outside_a_keyframe_timeline():
    s = scene('[timeline]\nkind = "gait"\n', panels='[[panels]]\nmodel = "flare"\nparameters = { left_deg = 2 }\n')
    assert s.parameters_at(0, 3.0) == {"left_deg": 2.0, "right_deg": 0.0}


# --- captions, overlays, magnification ---------------------------------------------------------------------
def test_captions_show_from_start_until_end_exclusive():
    s = scene('[[captions]]\ntext = "  first  "\nstart_s = 1\nend_s = 2\n[[captions]]\ntext = "always"\n')
    assert s.captions_at(0.5) == ["always"]
    assert s.captions_at(1.0) == ["first", "always"]  # text stripped
    assert s.captions_at(2.0) == ["always"]


def test_panel_overlays_merge_scene_defaults_and_panel_switches():
    s = scene(top='[overlays]\nghost = true\ndescriptors = false\n',
              panels='[[panels]]\nmodel = "flare"\noverlays = { ghost = false, trails = true }\n[[panels]]\nmodel = "flare"\n')
    first, second = s.panel_overlays(0), s.panel_overlays(1)
    assert first["ghost"] is False and first["trails"] is True and first["landmarks"] is True  # landmarks: default on
    assert second["ghost"] is True and second["trails"] is False and second["descriptors"] is False
    # every overlay of docs/scenes.md has a switch, and nothing else does
    assert set(first) == set(OVERLAY_NAMES) >= {"ghost", "landmarks", "axes", "colour_map", "trails", "palpation", "femurs",
                                                "descriptors"}


def test_panel_magnification_falls_back_to_the_scene():
    s = scene(top="magnification = 20\n", panels=PANEL + '[[panels]]\nmodel = "flare"\nmagnification = 1\n')
    assert s.panel_magnification(0) == 20.0 and s.panel_magnification(1) == 1.0
    # a command-line magnification replaces every panel's own
    assert [s.with_overrides(magnification=5).panel_magnification(i) for i in (0, 1)] == [5.0, 5.0]


def test_overrides_change_only_what_was_asked():
    s = scene("[output]\nsize = \"720p\"\nfps = 24\n")
    o = s.with_overrides(size="1080p", fps=10, quality="final", title_card_s=0)
    assert (o.output.size, o.output.fps, o.output.quality, o.output.title_card_s) == ("1080p", 10, "final", 0.0)
    with pytest.raises(ParameterError, match="title card"):
        s.with_overrides(title_card_s=-3)
    assert s.output.fps == 24  # the original is untouched
    with pytest.raises(ParameterError, match="gait timeline"):
        scene('[timeline]\nkind = "still"\n').with_overrides(cycles=2)
    with pytest.raises(ParameterError, match="quality"):
        s.with_overrides(quality="best")
    with pytest.raises(ParameterError, match="fps"):
        s.with_overrides(fps=121)
    with pytest.raises(ParameterError, match="cycles"):
        s.with_overrides(cycles=0)


# --- sizes and frame times ---------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "size"), [("64x64", (64, 64)), ("720p", (1280, 720)), ("1080p", (1920, 1080)),
                                            ("4k", (3840, 2160)), ("100x100", (100, 100)), ("105x107", (104, 106)),
                                            ("7680x1080", (7680, 1080)), ((1000, 500), (1000, 500))])
def test_sizes_are_kept_and_odd_ones_rounded_down_to_even(text, size):
    # docs/scenes.md: 720p, 1080p, 4k or WxH; H.264 needs even sizes, so odd sides lose one pixel.
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["63x100", "100x7681", "0x0", "abc", (1, 2, 3), "7680x4320", "3856x2160"])
def test_sizes_outside_64_to_7680_or_above_4k_pixels_are_refused(text):
    with pytest.raises(ParameterError):
        parse_size(text)


def test_frame_times_are_start_plus_k_over_fps():
    s = scene("[timeline]\nseconds_per_cycle = 2\n")
    assert frame_times(s, fps=4) == [k / 4 for k in range(8)]
    assert frame_times(s, fps=4, start_s=0.5, end_s=1.0) == [0.5, 0.75]
    with pytest.raises(ParameterError, match="start < end"):
        frame_times(s, fps=4, start_s=1.0, end_s=1.0)
    with pytest.raises(ParameterError):
        frame_times(s, fps=4, start_s=-1.0)


# --- documented limits, refused with the key named -------------------------------------------------
@pytest.mark.parametrize(("body", "key"), [
    ("magnification = 0\n" + PANEL, "magnification"),                        # number > 0
    (PANEL + "magnification = 0\n", "panels[1].magnification"),
    (PANEL + "[timeline]\ncycles = 0\n", "timeline.cycles"),
    (PANEL + "[timeline]\nseconds_per_cycle = 0\n", "timeline.seconds_per_cycle"),
    (PANEL + "[timeline]\nstart_phase = 1.0\n", "timeline.start_phase"),      # phase in [0, 1)
    (PANEL + "[timeline]\nphase = -0.1\n", "timeline.phase"),
    (PANEL + '[timeline]\nkind = "still"\nstill_s = 0\n', "timeline.still_s"),
    (PANEL + "[camera]\nzoom = 0\n", "camera.zoom"),
    (PANEL + "[camera]\nposition_mm = [0, 0, 500]\nfocal_point_mm = [0, 0, 0]\n", "camera.position_mm"),  # all three
    (PANEL + "[camera]\nposition_mm = [0, 0]\nfocal_point_mm = [0, 0, 0]\nup = [0, 1, 0]\n", "camera.position_mm"),
    (PANEL + "[output]\nfps = 0\n", "output.fps"),                            # integer 1–120
    (PANEL + "[output]\nfps = 121\n", "output.fps"),
    (PANEL + "[output]\nfps = 30.5\n", "output.fps"),
    (PANEL + "[output]\ntitle_card_s = -1\n", "output.title_card_s"),
    (PANEL + '[output]\nquality = "best"\n', "output.quality"),
    (PANEL + "[[captions]]\ntext = \"x\"\nstart_s = 2\nend_s = 2\n", "captions[1].end_s"),  # end > start
    (PANEL + "[[captions]]\nstart_s = 2\n", "captions[1]"),                   # text required
    (PANEL + '[timeline]\nkind = "keyframes"\n', "timeline.kind"),           # needs a keyframe
    (PANEL + '[timeline]\nkind = "gait"\n[[timeline.keyframes]]\ntime_s = 0\n', "timeline.keyframes"),
    (PANEL + '[timeline]\nkind = "keyframes"\n[[timeline.keyframes]]\ntime_s = 0\npanels = [2]\n', "timeline.keyframes[1].panels"),
    (PANEL + '[timeline]\nkind = "keyframes"\n[[timeline.keyframes]]\ntime_s = 0\npanels = []\n', "timeline.keyframes[1].panels"),
    (PANEL + '[timeline]\nkind = "keyframes"\n[[timeline.keyframes]]\nhold_s = 1\n', "timeline.keyframes[1]"),
    (PANEL + '[overlays]\nghost = "yes"\n', "overlays.ghost"),
    (PANEL * 5, "panels[5]"),                                                 # 1 to 4 panels
    ('[[panels]]\nparameters = {}\n', "panels[1]"),                            # model required
])
def test_documented_limits_are_refused_with_the_key(body, key):
    with pytest.raises(SceneError) as error:
        parse(f'title = "t"\n{body}', "lim.toml")
    assert f": {key}: " in str(error.value) or str(error.value).rstrip().endswith(f": {key}"), str(error.value)


def test_values_just_inside_the_limits_are_accepted():
    s = parse('title = "t"\nmagnification = 0.5\n' + PANEL + "[timeline]\nstart_phase = 0.99\ncycles = 0.5\n"
              "[output]\nfps = 120\ntitle_card_s = 0\n[camera]\nposition_mm = [0, 0, 500]\nfocal_point_mm = [0, 0, 0]\n"
              "up = [0, 1, 0]\nzoom = 0.1\n", "ok.toml")
    assert s.magnification == 0.5 and s.output.fps == 120 and s.camera.up == (0.0, 1.0, 0.0)
    assert s.timeline.start_phase == 0.99 and math.isclose(s.duration_s, 2.0)
