"""Issue 11, one regression test per item owned by the command line and the scene loader.

Nothing of the user's is lost, nothing hangs, every bad input is one line that says what is wrong
and what to do. (Interrupts, full and read-only disks: test_fault_injection.py; atomic writers:
test_writers_atomic.py and test_output.py; the scene fuzzer: test_scene_fuzz.py.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import render_helpers  # noqa: F401  (headless settings before pyvista)
import pytest

from pelvisim.cli import build_parser, main
from pelvisim.errors import SceneError
from pelvisim.scene import find_scene, parse

HANG_TIMEOUT_S = 60  # a command that needs milliseconds; 60 s only ever means it hangs
FLARE = find_scene("flare").read_text(encoding="utf-8")


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = HANG_TIMEOUT_S, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m pelvisim.cli ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "pelvisim.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env or dict(os.environ), **kwargs)


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pelvisim: error: ") and "Traceback" not in stderr
    return lines[0]


# --- 1. data loss: --frames --overwrite into a folder of other files ---------------------------
@pytest.mark.render
def test_frames_overwrite_refuses_a_folder_holding_other_files(tmp_path, capsys):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "notes.txt").write_text("my notes")
    (d / "sub" / "video.mp4").write_bytes(b"my video")
    (d / "frame_00000.png").write_bytes(b"an old frame")
    assert main(["render", "flare", "-o", str(d), "--frames", "--overwrite", "--size", "160x96", "--fps", "2"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "notes.txt, sub" in line and "nothing of yours is deleted" in line
    assert sorted(p.relative_to(d).as_posix() for p in d.rglob("*")) == ["frame_00000.png", "notes.txt", "sub", "sub/video.mp4"]
    assert (d / "notes.txt").read_text() == "my notes" and os.listdir(tmp_path) == ["d"]


@pytest.mark.render
def test_output_onto_an_existing_file_or_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("keep")
    (tmp_path / "folder.png").mkdir()
    assert main(["render", "flare", "-o", str(tmp_path / "file"), "--frames"]) == 2
    assert "a file (or link) with that name exists" in one_error_line(capsys.readouterr().err)
    assert main(["render", "flare", "-o", str(tmp_path / "folder.png"), "--overwrite"]) == 2
    assert "it is a folder" in one_error_line(capsys.readouterr().err)
    assert main(["export", "flare", "-o", str(tmp_path / "nowhere" / "t.csv")]) == 2
    assert "does not exist" in one_error_line(capsys.readouterr().err)
    assert (tmp_path / "file").read_text() == "keep"


# --- 2. hangs: the line scanner on long lines ----------------------------------------------------
def test_long_lines_and_long_values_do_not_hang(tmp_path):
    spaces = tmp_path / "spaces.toml"
    spaces.write_text(FLARE + "\n" + " " * 100_000 + "\n")  # 4,000 spaces took 17 s before
    title = tmp_path / "title.toml"
    title.write_text(FLARE.replace('title = "Inflare and outflare"', 'title = "' + "t" * 60_000 + '"'))
    result = cli("scene", "check", str(spaces), str(title))
    assert result.stdout.startswith(f"ok  {spaces}:")
    line = one_error_line(result.stderr)
    assert line.startswith(f"pelvisim: error: {title}:1: title: expected at most 200 characters, got 60,000")


# --- 3. every quantity bounded ---------------------------------------------------------------------
@pytest.mark.parametrize("insert, words", [
    ("[[timeline.keyframes]]\ntime_s = 1e300\n", "time_s: expected seconds <= 600, got 1e+300"),
    ("[[timeline.keyframes]]\ntime_s = 6.0\nhold_s = 599\n", "time_s + hold_s = 605 s; a scene lasts at most 600 s"),
])
def test_keyframe_times_are_bounded(insert, words):
    with pytest.raises(SceneError, match=re.escape(words)):
        parse(FLARE.replace("[camera]", insert + "\n[camera]"), "f.toml")


def test_a_sixty_thousand_second_gait_is_refused_with_its_line():
    text = 'title = "t"\n[[panels]]\nmodel = "gait"\n[timeline]\ncycles = 100\nseconds_per_cycle = 600\n'
    with pytest.raises(SceneError, match=r"^g\.toml:5: timeline\.cycles: cycles x seconds_per_cycle = 100 x 600 s = 60000 s"):
        parse(text, "g.toml")


@pytest.mark.parametrize("option, value, words", [
    ("--title-card", "1e9", "the title card must be a number of seconds from 0 to 60, got 1000000000.0"),
    ("--title-card", "inf", "got inf"),
    ("--title-card", "nan", "got nan"),
    ("--magnification", "1e6", "magnification must be a display factor > 0 and <= 1000, got 1000000.0"),
    ("--size", "7680x7680", "at most 8.3 megapixels"),
    ("--cycles", "150", "cycles must be a number in (0, 100]"),
    ("--end", "1e9", "expected 0 <= start < end <= 600 (seconds), got start=0, end=1e+09"),
    ("--start", "nan", "expected 0 <= start < end"),
    ("--cycles", "61", "makes the video 610 s long (10 s per cycle); at most 600 s"),
])
def test_render_options_have_the_scene_files_bounds(tmp_path, capsys, option, value, words):
    scene = "flare"
    if option == "--cycles":
        scene = str(tmp_path.parent / f"{tmp_path.name}_slow_gait.toml")
        Path(scene).write_text('title = "t"\n[[panels]]\nmodel = "gait"\n[timeline]\nseconds_per_cycle = 10\n')
    out = tmp_path / "x.mp4"
    assert main(["render", scene, "-o", str(out), option, value]) == 2
    assert words in one_error_line(capsys.readouterr().err)
    assert os.listdir(tmp_path) == []


def test_describe_magnification_has_the_same_bound(capsys):
    assert main(["describe", "--model", "flare", "--magnification", "1e6"]) == 2
    assert "--magnification must be a display factor > 0 and <= 1000" in one_error_line(capsys.readouterr().err)
    assert main(["describe", "--model", "flare", "--magnification", "1000"]) == 0


@pytest.mark.render
def test_long_render_is_announced_before_it_starts(tmp_path, capsys, anatomy):
    from pelvisim.scene import load as load_scene
    from pelvisim.view.render import RenderCancelled, render

    with pytest.raises(RenderCancelled):
        render("gait", tmp_path / "long.mp4", cycles=100, size="320x192", anatomy=anatomy,
               on_progress=lambda done, total: False)  # stop before the first frame
    err = capsys.readouterr().err
    scene = load_scene("gait")
    # 100 cycles of the scene's clock plus its title card, at its frame rate (hand count).
    frames = round(100 * scene.timeline.seconds_per_cycle * scene.output.fps + scene.output.title_card_s * scene.output.fps)
    assert re.search(rf"gait → long\.mp4: {frames:,} frames at 320x192, about \d+ min to render \(Ctrl-C stops it", err), err
    assert os.listdir(tmp_path) == []


# --- 4. tracebacks ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["[" * 1000 + "]" * 1000, "{ a = " * 400 + "1" + " }" * 400])
def test_deep_nesting_is_one_line_not_a_recursion_error(value):
    with pytest.raises(SceneError, match=r"^n\.toml:2: arrays or inline tables nested more than 16 deep"):
        parse('title = "t"\nx = ' + value + "\n", "n.toml")


@pytest.mark.parametrize("args", [["describe", "--model", "flare", "--json"], ["models", "--json"], ["anatomy", "--json"]])
def test_output_into_a_closed_pipe_is_quiet(args):
    """``pelvisim describe --json | head``: the reader went away; no BrokenPipeError traceback."""
    process = subprocess.Popen([sys.executable, "-m", "pelvisim.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like `head` exiting before pelvisim writes
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=HANG_TIMEOUT_S) == 141
    assert stderr == ""


# --- 9. wrong words -----------------------------------------------------------------------------------
def test_exists_message_names_the_flag(tmp_path, capsys):
    out = tmp_path / "t.csv"
    out.write_text("keep")
    assert main(["export", "flare", "-o", str(out), "--fps", "1"]) == 2
    assert one_error_line(capsys.readouterr().err) == f"pelvisim: error: {out} exists; pass --overwrite to replace it"


def test_long_values_are_cut_in_messages():
    value = "x" * 150_000
    with pytest.raises(SceneError) as info:
        parse(FLARE.replace('view = "superior"', f'view = "{value}"'), "f.toml")
    message = str(info.value)
    assert len(message) <= 400 and "(150,000 characters)" in message and message.startswith("f.toml:25: camera.view:")


@pytest.mark.parametrize("line, number, key", [
    ("camera.zoomm = 2", 1, "camera.zoomm"),                      # dotted keys at the top level
    ("overlays.ghostt = true", 1, "overlays.ghostt"),
    ("timeline = { kind = \"gait\", cyclez = 2 }", 1, "timeline.cyclez"),  # inside an inline table
])
def test_dotted_and_nested_unknown_keys_have_a_line_number(line, number, key):
    text = 'title = "t"\n[[panels]]\nmodel = "flare"\nparameters = { left_deg = 1 }\n'
    with pytest.raises(SceneError) as info:
        parse(line + "\n" + text, "u.toml")
    assert str(info.value).startswith(f"u.toml:{number}: {key}: unknown key")


def test_unknown_keys_in_nested_inline_tables_arrays_and_tables_have_their_line():
    text = 'title = "t"\n[[panels]]\nmodel = "flare"\nparameters = { left_deg = 1, inner = { a = 1 } }\n'
    with pytest.raises(SceneError, match=r"^u\.toml:4: panels\[1\]\.parameters\.inner: .*no parameter 'inner'"):
        parse(text, "u.toml")
    keyframes = ('title = "t"\n[[panels]]\nmodel = "flare"\n[timeline]\nkind = "keyframes"\nkeyframes = [\n'
                 '  { time_s = 0 },\n  { time_s = 1, parameters = { left_deg = 2 } },\n\n  { time_s = 2, hodl_s = 1 },\n]\n')
    with pytest.raises(SceneError, match=r"^u\.toml:10: timeline\.keyframes\[3\]\.hodl_s: unknown key"):
        parse(keyframes, "u.toml")
    table = 'title = "t"\n[[panels]]\nmodel = "flare"\n[panels.overlays]\nghost = true\nghostt = true\n'
    with pytest.raises(SceneError, match=r"^u\.toml:6: panels\[1\]\.overlays\.ghostt: unknown key"):
        parse(table, "u.toml")


@pytest.mark.render
def test_render_summary_gives_video_length_time_taken_and_size(tmp_path, capsys):
    from pelvisim.scene import load as load_scene

    out = tmp_path / "clip.mp4"
    assert main(["render", "flare", "-o", str(out), "--size", "160x96", "--fps", "4", "--title-card", "0.5"]) == 0
    line = capsys.readouterr().out.strip()
    size_kb = out.stat().st_size / 1024
    seconds = load_scene("flare").duration_s + 0.5  # the scene's timeline + the 0.5 s title card
    frames = round(seconds * 4)  # at 4 fps (hand count)
    match = re.fullmatch(rf"wrote {re.escape(str(out))} \({frames} frames, 160x96, {seconds:.1f} s of video, (\d+) kB\) "
                         r"in (\d+\.\d) s", line)
    assert match, line
    assert abs(int(match.group(1)) - size_kb) <= 1


# --- 10. the app and the command line ------------------------------------------------------------
def test_show_accepts_bundled_scene_names():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = cli("show", "flare", env=env)
    assert result.returncode == 2
    assert "no display found" in one_error_line(result.stderr)  # got past the scene name
    result = cli("show", "no_such_scene", env=env)
    assert "no_such_scene: no such scene file, and not a bundled scene" in one_error_line(result.stderr)


def _unused_display() -> str:
    """A display number nobody serves (no socket, no lock file)."""
    for number in range(4711, 4811):
        if not (Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists()):
            return f":{number}"
    raise AssertionError("no unused display number")


def test_show_with_no_x_server_at_display_says_so_instead_of_aborting():
    display = _unused_display()
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["DISPLAY"] = display
    result = cli("show", "flare", env=env)
    assert result.returncode == 2  # Qt's abort was 134
    line = one_error_line(result.stderr)
    assert f"cannot connect to display {display}" in line and "pelvisim render" in line


def test_phase_for_a_model_without_gait_is_a_warning(capsys):
    assert main(["describe", "--model", "flare", "--phase", "0.5"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("pelvisim: warning: --phase 0.5 has no effect: model 'flare' has no gait cycle")
    assert main(["describe", "--model", "gait", "--phase", "0.5"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("command", [["describe"], ["models"], ["export"], ["scene"], ["scene", "list"], ["scene", "check"],
                                     ["render"], ["show"]])
def test_every_command_has_a_description_in_help(command):
    parser = build_parser()
    sub = parser
    for word in command:
        action = next(a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction")
        sub = action.choices[word]
    assert sub.description and len(sub.description) > 40, command


@pytest.mark.parametrize("start", ["nan", "-1", "1e9"])
def test_still_time_is_bounded(tmp_path, capsys, start):
    assert main(["render", "flare", "-o", str(tmp_path / "x.png"), "--start", start]) == 2
    assert "the still's time must be from 0 to 600 s" in one_error_line(capsys.readouterr().err)
    assert os.listdir(tmp_path) == []
