"""Fault injection (issue 11, items 5-7): renders interrupted at random points, read-only folders,
full disks. Nothing partial is ever left, an existing output stays as it was, and the command
ends with the right exit code and one line.

- ``test_random_interrupts_leave_no_partial_file``: a driver process (tests/fault_driver.py)
  renders MP4, GIF, PNG and frame folders; SIGINT or SIGTERM is sent to it (or to its whole process
  group, as Ctrl-C in a terminal does) at a uniformly random moment of each render; after each,
  the folder is compared with what it held before (interrupted) or the output is decoded and its
  frames counted (finished). At least :data:`MIN_INTERRUPTS` renders are really interrupted.
- ``test_command_line_interrupt``: the real ``pelvisim render`` process: exit 130 / 143 and the
  single line ``pelvisim: interrupted``; VTK's "Caught a Ctrl-C" never appears.
- Full and read-only disks: a tiny or read-only tmpfs in a private mount namespace (``unshare``),
  so the real kernel says ENOSPC / EROFS; and the bundled ffmpeg writing to ``/dev/full`` (no
  privileges needed). Where no mount namespace can be made (some containers), only those tests skip
  and say why; the injected-OSError tests in test_output.py and test_writers_atomic.py still run.
"""

from __future__ import annotations

import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import render_helpers  # noqa: F401  (headless settings before pyvista)
import pytest

from render_helpers import count_video_frames

pytestmark = pytest.mark.render

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "fault_driver.py"
MIN_INTERRUPTS = 20
EXPECTED_FRAMES = 14  # fault_scene.toml: 1.5 s + 0.25 s title card at 8 fps
SCENE = HERE / "fault_scene.toml"
TIMEOUT_S = 120  # only ever reached if something hangs


def environment() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__import__("pelvisim").__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, str(HERE), env.get("PYTHONPATH", "")) if p)
    env["VTK_DEFAULT_OPENGL_WINDOW"] = "vtkEGLRenderWindow"
    return env


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) with its bytes."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))}


def plant_old_output(folder: Path, kind: str) -> None:
    if kind == "frames":
        (folder / "out").mkdir()
        for k in range(3):
            (folder / "out" / f"frame_{k:05d}.png").write_bytes(b"old frame %d" % k)
    else:
        (folder / f"out.{kind}").write_bytes(b"old output")


def check_complete(folder: Path, kind: str) -> None:
    """The finished output is whole: every frame decodes, nothing else in the folder."""
    from PIL import Image

    if kind == "frames":
        assert sorted(os.listdir(folder)) == ["out"]
        frames = sorted(os.listdir(folder / "out"))
        assert frames == [f"frame_{k:05d}.png" for k in range(EXPECTED_FRAMES)]
        for name in frames:
            Image.open(folder / "out" / name).verify()
    elif kind == "png":
        assert os.listdir(folder) == ["out.png"]
        Image.open(folder / "out.png").verify()
    else:
        assert os.listdir(folder) == [f"out.{kind}"]
        assert count_video_frames(folder / f"out.{kind}")[0] == EXPECTED_FRAMES


class Driver:
    def __init__(self, log: Path) -> None:
        self.log = log.open("w")
        self.process = subprocess.Popen([sys.executable, str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, env=environment(), start_new_session=True)
        assert self.read() == "ready"

    def read(self) -> str:
        line = self.process.stdout.readline().strip()
        assert line, f"the driver died: {Path(self.log.name).read_text()[-2000:]}"
        return line

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        self.send("quit")
        self.process.wait(timeout=TIMEOUT_S)
        self.log.close()


def test_random_interrupts_leave_no_partial_file(tmp_path):
    rng = random.Random(20261130)  # fixed seed: the same random points in every CI run
    driver = Driver(tmp_path / "driver.log")
    kinds = ("mp4", "gif", "frames", "png")
    duration = {}
    for kind in kinds:  # one uninterrupted render of each kind: the range of the random moments
        folder = tmp_path / f"whole_{kind}"
        folder.mkdir()
        driver.send(f"render {kind} {folder / 'out'} 0")
        assert driver.read() == "start"
        answer = driver.read()
        assert answer.startswith("done"), answer
        duration[kind] = float(answer.split()[1])
        check_complete(folder, kind)
    counts = {"interrupted": 0, "finished": 0, "interrupted after the output was complete": 0, "partial": 0}
    attempt = 0
    while counts["interrupted"] < MIN_INTERRUPTS and attempt < 60:
        attempt += 1
        kind = kinds[attempt % len(kinds)]
        sig = rng.choice((signal.SIGINT, signal.SIGTERM))
        whole_group = rng.random() < 0.5
        overwrite = rng.random() < 0.5
        folder = tmp_path / f"job{attempt:02d}"
        folder.mkdir()
        if overwrite:
            plant_old_output(folder, kind)
        before = snapshot(folder)
        driver.send(f"render {kind} {folder / 'out'} {int(overwrite)}")
        assert driver.read() == "start"
        time.sleep(rng.uniform(0.0, duration[kind]))  # most land inside; some after the end (checked too)
        (os.killpg if whole_group else os.kill)(driver.process.pid, sig)
        answer = driver.read()
        assert not answer.startswith("error"), answer
        if answer.startswith("interrupted"):
            assert answer == f"interrupted {int(sig)}"
            after = snapshot(folder)
            if after == before:
                counts["interrupted"] += 1  # stopped: nothing written, the old output as it was
            else:  # the signal came as the output was being renamed into place: it must then be whole
                counts["interrupted after the output was complete"] += 1
                try:
                    check_complete(folder, kind)
                except Exception:  # noqa: BLE001 - counted and reported below
                    counts["partial"] += 1
        else:  # the render was over before the signal came: the output must be whole
            counts["finished"] += 1
            check_complete(folder, kind)
    driver.close()
    log = (tmp_path / "driver.log").read_text()
    print(f"fault injection: {attempt} renders, {counts}, uninterrupted render seconds {duration}")
    assert counts["interrupted"] >= MIN_INTERRUPTS, counts
    assert counts["partial"] == 0, counts
    assert "Caught a Ctrl-C" not in log and "Traceback" not in log, log[-2000:]


def run_cli(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pelvisim.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=environment(), start_new_session=True, **kwargs)


@pytest.mark.parametrize("kind, sig", [("mp4", signal.SIGINT), ("gif", signal.SIGTERM), ("frames", signal.SIGTERM),
                                       ("png", signal.SIGINT)])
def test_command_line_interrupt(tmp_path, kind, sig):
    """Ctrl-C (SIGINT to the process group) or SIGTERM while the output is being written."""
    plant_old_output(tmp_path, kind)
    before = snapshot(tmp_path)
    out = tmp_path / ("out" if kind == "frames" else f"out.{kind}")
    process = run_cli(["render", str(SCENE), "-o", str(out), "--overwrite", *(["--frames"] if kind == "frames" else [])])
    deadline = time.monotonic() + TIMEOUT_S
    while not any(name.startswith(".") for name in os.listdir(tmp_path)):  # its temporary exists: writing has begun
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    time.sleep(random.Random(int(sig)).uniform(0.0, 0.3))
    if sig == signal.SIGINT:
        os.killpg(process.pid, sig)  # what Ctrl-C in a terminal does
    else:
        os.kill(process.pid, sig)
    stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 128 + sig, (stdout, stderr)
    assert stderr == "pelvisim: interrupted\n" and stdout == ""
    assert snapshot(tmp_path) == before


# --- full and read-only disks -------------------------------------------------------------------
def _namespace_prefix() -> list[str] | None:
    """A command prefix that runs a shell script in a private mount namespace, or None."""
    if not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]):
        probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt 2>/dev/null || "
                                "mount -t tmpfs -o size=16k tmpfs \"$0\"", "/tmp"], capture_output=True)
        if probe.returncode == 0:
            return prefix
    return None


NAMESPACE = _namespace_prefix()
needs_namespace = pytest.mark.skipif(NAMESPACE is None, reason="no private mount namespace (unshare) here; "
                                                               "the injected-error tests cover the writers")


def in_tiny_disk(tmp_path: Path, size_kb: int, command: list[str], old: str, read_only: bool = False,
                 setup: str = "true") -> tuple[int, str, str]:
    """Run ``command`` with its output folder a fresh tmpfs of ``size_kb`` (read-only if asked)
    holding the file ``old`` ("old output"); returns (exit code, stderr, listing + old file)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    remount = f"mount -o remount,ro {disk} && " if read_only else ""
    script = (f"mount -t tmpfs -o size={size_kb}k tmpfs {disk} && {setup} && printf 'old output' > {disk}/{old} && {remount}"
              f"{shlex.join(command)} 2> {tmp_path}/err; echo \"rc=$?\"; ls -A {disk}; echo ---; cat {disk}/{old}")
    result = subprocess.run([*NAMESPACE, "sh", "-c", script], capture_output=True, text=True, env=environment(),
                            timeout=TIMEOUT_S)
    rc_line, _, rest = result.stdout.partition("\n")
    assert rc_line.startswith("rc="), (result.stdout, result.stderr)
    return int(rc_line[3:]), (tmp_path / "err").read_text(), rest


def render_args(out: str, kind: str) -> list[str]:
    return [sys.executable, "-m", "pelvisim.cli", "render", str(SCENE), "-o", out, "--overwrite", "--size", "320x192",
            *(["--frames"] if kind == "frames" else [])]


@needs_namespace
@pytest.mark.parametrize("kind, size_kb, words", [
    ("mp4", 16, "No space left on device"),          # ffmpeg runs out of space mid-write
    ("gif", 32, "No space left on device"),          # the GIF's working file does not fit
    ("png", 16, "No space left on device"),          # Pillow runs out of space mid-write
    ("frames", 128, "No space left on device"),      # frame k of 21 does not fit
    ("frames", 16, "not enough free space on its disk"),  # refused before rendering
])
def test_full_disk_is_one_line_and_keeps_the_old_output(tmp_path, kind, size_kb, words):
    disk = tmp_path / "disk"
    if kind == "frames":  # an old frames folder on the tiny disk, holding one old frame
        old, out, setup = "frames/frame_00000.png", str(disk / "frames"), f"mkdir {disk}/frames"
    else:
        old, out, setup = f"out.{kind}", str(disk / f"out.{kind}"), "true"
    code, err, listing = in_tiny_disk(tmp_path, size_kb, render_args(out, kind), old, setup=setup)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pelvisim: error: cannot write {out}: ") and words in lines[0], err
    assert ".partial" not in lines[0]
    top = old.split("/")[0]
    assert listing == f"{top}\n---\nold output"  # nothing partial next to it, the old file intact


@needs_namespace
def test_frames_into_a_mount_point_is_refused(tmp_path):
    disk = tmp_path / "disk"
    code, err, listing = in_tiny_disk(tmp_path, 64, render_args(str(disk), "frames"), "frame_00000.png")
    assert code == 2 and err == (f"pelvisim: error: cannot write frame_NNNNN.png frames into {disk}: it is a mount point; "
                                 "write them into a new folder inside it\n")
    assert listing == "frame_00000.png\n---\nold output"


@needs_namespace
def test_full_disk_during_export(tmp_path):
    disk = tmp_path / "disk"
    command = [sys.executable, "-m", "pelvisim.cli", "export", str(SCENE), "-o", str(disk / "t.csv"), "--overwrite"]
    code, err, listing = in_tiny_disk(tmp_path, 16, command, "t.csv")
    assert code == 2 and err == f"pelvisim: error: cannot write {disk / 't.csv'}: No space left on device; " \
                                "free some space or write to another disk\n"
    assert listing == "t.csv\n---\nold output"


@needs_namespace
@pytest.mark.parametrize("kind", ["mp4", "png", "frames"])
def test_read_only_folder_is_refused_before_rendering(tmp_path, kind):
    disk = tmp_path / "disk"
    out = str(disk / "new_frames") if kind == "frames" else str(disk / f"out.{kind}")
    code, err, listing = in_tiny_disk(tmp_path, 64, render_args(out, kind), "keep.txt", read_only=True)
    assert code == 2
    assert err == f"pelvisim: error: cannot write {out}: read-only file system; write to a folder on a writable disk\n"
    assert listing == "keep.txt\n---\nold output"


@pytest.mark.parametrize("kind", ["mp4"] if NAMESPACE else ["mp4", "gif"])  # the tiny-disk tests cover the GIF
def test_encoder_hitting_a_full_device_is_one_line(tmp_path, kind):
    """The bundled ffmpeg writes into /dev/full (always ENOSPC): no privileges needed."""
    import imageio_ffmpeg

    wrapper = tmp_path / "ffmpeg"
    real = imageio_ffmpeg.get_ffmpeg_exe()
    wrapper.write_text(  # the real ffmpeg, its output file (the last argument) replaced by /dev/full
        f"#!{sys.executable}\nimport os, sys\n"
        "formats = {'.mp4': 'mp4', '.mkv': 'matroska', '.gif': 'gif', '.png': 'image2'}\n"
        "args = sys.argv[1:]\n"
        f"os.execv({real!r}, [{real!r}, *args[:-1], '-f', formats[os.path.splitext(args[-1])[1]], '/dev/full'])\n")
    wrapper.chmod(0o755)
    out = tmp_path / f"out.{kind}"
    out.write_bytes(b"old output")
    env = {**environment(), "IMAGEIO_FFMPEG_EXE": str(wrapper)}
    result = subprocess.run([sys.executable, "-m", "pelvisim.cli", "render", str(SCENE), "-o", str(out), "--overwrite"],
                            capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"pelvisim: error: cannot write {out}: No space left on device; free some space or " \
                            "write to another disk\n"
    assert out.read_bytes() == b"old output" and sorted(os.listdir(tmp_path)) == ["ffmpeg", f"out.{kind}"]
