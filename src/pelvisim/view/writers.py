"""Writing rendered frames: one PNG, a folder of PNG frames, an MP4 or a GIF.

:func:`open_output` checks the output first (folder writable, free space, an existing output only
replaced with ``overwrite``, a frames folder only if it holds nothing but pelvisim's frames), then
yields a writer that takes (h, w, 3) uint8 frames one at a time. Everything goes to temporaries
created exclusively in the output folder (:mod:`pelvisim.output`) and takes the output's name only
when complete: an error, Ctrl-C or SIGTERM leaves no partial file and an existing output intact.

Frames are handed to a background thread (PNG encoding or ffmpeg's pipe overlaps the rendering of
the next frame; at most :data:`WRITE_QUEUE` wait). Videos use the ffmpeg bundled with
imageio-ffmpeg, run in its own session (a Ctrl-C in the terminal reaches pelvisim, which stops
ffmpeg itself) with its messages captured: a full or read-only disk is reported in one line that
names the user's file, not ffmpeg's temporary.

MP4: H.264, yuv420p, exact size (even sizes; H.264 pads to its 16-pixel blocks internally and
crops on playback). GIF: frames streamed losslessly (FFV1) to a working file, then one palette for
the whole clip (``palettegen``) and ordered dithering that stays put from frame to frame
(``paletteuse`` with ``diff_mode=rectangle``), at most :data:`GIF_MAX_FPS` frames per second.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from pelvisim import output
from pelvisim.errors import ParameterError, PelvisimError

FORMATS = (".png", ".mp4", ".gif")
WRITE_QUEUE = 2
"""Frames waiting for the writer thread at most (each 2.7 MB at 720p)."""
GIF_MAX_FPS = 15
"""GIFs are rendered at most at this rate: a teaching loop stays smooth and the file small."""
GIF_COLOURS = 96
"""Palette size of GIFs (one palette for the whole clip). Measured on the flagship scene (two
moving panels, 6 s at 720p and 15 fps): 128 colours 8.5 MB, 96 colours 7.5 MB, 64 colours 6.5 MB;
96 shows no banding on the shaded bones next to the 128-colour version."""
GIF_BUDGET_BYTES_PER_S = 8 * 1024 * 1024 / 6.0
"""Size budget of a 1280x720 GIF per second of video (8 MB for 6 s; scaled by pixel count for
other sizes, never below a quarter of it). A GIF over budget is thinned to 10, then 6 frames per
second."""
GIF_THINNER_FPS = (10, 6)
FRAME_NAME = "frame_{:05d}.png"
OWN_FRAMES = re.compile(r"frame_\d{5,}\.png")
"""Names of the files pelvisim writes into a frames folder (anything else there is the user's)."""
FRAMES_WHAT = "frame_NNNNN.png frames"

# Lower bounds of output sizes, bytes per pixel per frame, measured on bundled scenes at 720p
# (draft MP4 ~0.010, GIF ~0.045, PNG frames ~0.10): the free-space check uses half of each so it
# never refuses a render that would have fitted.
BYTES_PER_PIXEL_FRAME = {".mp4": 0.005, ".gif": 0.02, ".png": 0.05}


class RenderError(PelvisimError, RuntimeError):
    """Rendering or encoding failed."""


# --- progress ----------------------------------------------------------------------------------
class Progress:
    """A one-line progress bar with ETA on a terminal; silent otherwise."""

    def __init__(self, total: int, label: str, enabled: bool | None = None, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = (hasattr(self.stream, "isatty") and self.stream.isatty()) if enabled is None else enabled
        self.total, self.label, self.start = max(1, total), label, time.perf_counter()
        self._last = 0.0

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        elapsed = now - self.start
        eta = elapsed / done * (self.total - done) if done else float("nan")
        filled = int(30 * done / self.total)
        eta_text = f"ETA {_duration_text(eta)}" if done < self.total else f"done in {elapsed:.1f} s"
        if done == 0:
            eta_text = "starting"
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} {eta_text}   ")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _duration_text(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


# --- the output path ---------------------------------------------------------------------------
def output_kind(path: Path, frames: bool) -> str:
    """``"frames"``, ``".png"``, ``".mp4"`` or ``".gif"``; raises :class:`ParameterError` for others."""
    if frames:
        return "frames"
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError(f"{path}: expected an output ending in {', '.join(FORMATS)} (or --frames for a folder of PNGs)")
    return suffix


def check_output(path: Path, frames: bool, overwrite: bool) -> str:
    """Everything that can be checked before rendering; returns :func:`output_kind`.

    Raises
    ------
    ParameterError
        An unknown format.
    OutputError
        The folder does not exist or cannot be written (read-only, permission), the output exists
        without ``overwrite``, or a frames folder holds files that are not pelvisim's frames.
    """
    kind = output_kind(path, frames)
    if frames:
        if os.path.lexists(path) and (path.is_symlink() or not path.is_dir()):
            raise output.OutputError(f"cannot write frames into {path}: a file (or link) with that name exists")
        output.check_folder_replaceable(path, OWN_FRAMES, FRAMES_WHAT)
    output.check_writable(path, overwrite=overwrite, folder=frames)
    return kind


def estimated_bytes(kind: str, size: tuple[int, int], n_frames: int) -> float:
    """A low estimate of the bytes an output takes (see :data:`BYTES_PER_PIXEL_FRAME`)."""
    per_pixel = BYTES_PER_PIXEL_FRAME[".png" if kind == "frames" else kind]
    return per_pixel * size[0] * size[1] * max(1, n_frames)


def gif_fps(fps: int) -> int:
    """Frames per second a GIF is rendered at: the scene's, at most :data:`GIF_MAX_FPS`."""
    return min(int(fps), GIF_MAX_FPS)


def write_png(path: Path, image: np.ndarray) -> None:
    """Encode ``image`` (h, w, 3 uint8) as PNG into the existing file ``path``."""
    from PIL import Image

    with open(path, "r+b") as handle:  # the temporary we created: never re-created by name
        handle.truncate()
        Image.fromarray(np.ascontiguousarray(image)).save(handle, format="PNG")


# --- writers -----------------------------------------------------------------------------------
class _Writer:
    """Takes frames in the caller's thread and writes them in a background thread."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path  # the user's output (for messages)
        self.fps_written: int | None = None  # set by a writer that thinned the frames (GIF over budget)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=WRITE_QUEUE)
        self._error: BaseException | None = None
        self._count = 0
        self._thread = threading.Thread(target=self._pump, name=f"pelvisim-{name}", daemon=True)
        self._thread.start()

    def _consume(self, index: int, image: np.ndarray) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _pump(self) -> None:
        index = 0
        while True:
            image = self._queue.get()
            if image is None:
                return
            if self._error is None:
                try:
                    self._consume(index, image)
                except BaseException as error:  # noqa: BLE001 - raised by write()/close() in the caller's thread
                    self._error = error
            index += 1

    def _raise(self) -> None:
        if self._error is not None:
            raise self._explain(self._error)

    def _explain(self, error: BaseException) -> BaseException:
        if isinstance(error, OSError):
            return output.explain_os_error(error, self.path)
        return error

    def write(self, image: np.ndarray) -> None:
        """Queue one (h, w, 3) uint8 frame; the array must not be changed afterwards."""
        self._raise()
        self._queue.put(np.ascontiguousarray(image, dtype=np.uint8))
        self._count += 1

    def _drain(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def close(self) -> None:
        """Write what is queued and finish the output (raises the first write error)."""
        self._drain()
        self._raise()

    def abort(self) -> None:
        """Stop without finishing (the temporaries are removed by :func:`open_output`)."""
        self._error = self._error or RenderError("aborted")
        self._drain()


class _PngWriter(_Writer):
    """One still: the first frame goes into ``target``."""

    def __init__(self, path: Path, target: Path) -> None:
        self.target = target
        super().__init__(path, "png")

    def _consume(self, index: int, image: np.ndarray) -> None:
        if index == 0:
            write_png(self.target, image)


class _FramesWriter(_Writer):
    """``frame_00000.png``, ``frame_00001.png`` … in the (temporary) folder ``target``."""

    def __init__(self, path: Path, target: Path) -> None:
        self.target = target
        super().__init__(path, "frames")

    def _consume(self, index: int, image: np.ndarray) -> None:
        file = self.target / FRAME_NAME.format(index)
        output.create_new_file(file)  # our own fresh folder: exclusive all the same
        write_png(file, image)


class _Ffmpeg:
    """The bundled ffmpeg in its own session, its messages kept (last lines) to explain failures."""

    def __init__(self, args: list[str], user_path: Path, stdin: bool) -> None:
        import imageio_ffmpeg

        self.user_path = user_path
        self.lines: deque[str] = deque(maxlen=40)
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y", *args]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True,  # the terminal's Ctrl-C is ours to handle
        )
        self._reader = threading.Thread(target=self._read_messages, name="pelvisim-ffmpeg-log", daemon=True)
        self._reader.start()

    def _read_messages(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            text = raw.decode("utf-8", errors="replace").strip()
            if text:
                self.lines.append(text)

    def wait(self, poll_s: float = 0.1) -> int:
        """Wait for ffmpeg to end, checking for Ctrl-C/SIGTERM; returns its exit code."""
        while True:
            try:
                code = self.process.wait(timeout=poll_s)
                break
            except subprocess.TimeoutExpired:
                output.check_interrupted()
        self._reader.join(timeout=5)
        return code

    def stop(self) -> None:
        """End ffmpeg now (interrupt or error)."""
        if self.process.poll() is None:
            try:
                if self.process.stdin is not None:
                    self.process.stdin.close()
            except OSError:
                pass
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)

    def failure(self, what: str) -> BaseException:
        """The error to report for a failed ffmpeg: a disk problem names the user's file."""
        text = " ".join(self.lines)
        for words, code in (("No space left on device", errno.ENOSPC), ("Read-only file system", errno.EROFS),
                            ("Permission denied", errno.EACCES), ("Disk quota exceeded", errno.EDQUOT),
                            ("File too large", errno.EFBIG)):
            if words in text:
                return output.explain_os_error(OSError(code, words), self.user_path)
        last = self.lines[-1] if self.lines else f"exit code {self.process.returncode}"
        return RenderError(f"{self.user_path}: {what} (ffmpeg) failed: {output._cut(last)}")


class _VideoWriter(_Writer):
    """Streams RGB frames down ffmpeg's pipe into ``target``."""

    def __init__(self, path: Path, target: Path, size: tuple[int, int], fps: int, codec_args: list[str]) -> None:
        w, h = size
        self.ffmpeg = _Ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(int(fps)), "-i", "-",
                               "-an", *codec_args, str(target)], path, stdin=True)
        super().__init__(path, "ffmpeg")

    def _consume(self, index: int, image: np.ndarray) -> None:
        assert self.ffmpeg.process.stdin is not None
        self.ffmpeg.process.stdin.write(memoryview(image).cast("B"))

    def _explain(self, error: BaseException) -> BaseException:
        if isinstance(error, (BrokenPipeError, ConnectionResetError, ValueError)) or (
                isinstance(error, OSError) and error.errno == errno.EPIPE):
            self.ffmpeg.stop()  # ffmpeg ended early: its own message says why
            return self.ffmpeg.failure("the video encoder")
        return super()._explain(error)

    def close(self) -> None:
        self._drain()
        self._raise()
        try:
            assert self.ffmpeg.process.stdin is not None
            self.ffmpeg.process.stdin.close()
        except OSError:
            pass
        if self.ffmpeg.wait() != 0:
            raise self.ffmpeg.failure("the video encoder")

    def abort(self) -> None:
        self.ffmpeg.stop()
        super().abort()


def _mp4_args(quality: str) -> list[str]:
    final = quality == "final"
    return ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18" if final else "23",
            "-preset", "medium" if final else "veryfast", "-movflags", "+faststart"]


class _GifWriter(_VideoWriter):
    """Lossless working file while rendering; one palette and ordered dithering at the end."""

    def __init__(self, path: Path, target: Path, size: tuple[int, int], fps: int, scratch: ExitStack) -> None:
        self.target, self.fps, self.size = target, fps, size
        self.work = scratch.enter_context(output.scratch_path(path, ".mkv"))
        self.palette = scratch.enter_context(output.scratch_path(path, ".png"))
        super().__init__(path, self.work, size, fps, ["-c:v", "ffv1", "-pix_fmt", "bgr0"])

    def close(self) -> None:
        super().close()
        output.check_interrupted()
        self._run(["-i", str(self.work), "-vf", f"palettegen=max_colors={GIF_COLOURS}:stats_mode=full", "-frames:v", "1",
                   "-update", "1", str(self.palette)], "the GIF palette")
        scale = max(0.25, self.size[0] * self.size[1] / (1280 * 720))  # small GIFs compress worse per pixel
        budget = GIF_BUDGET_BYTES_PER_S * (self._count / self.fps) * scale
        for fps in (self.fps, *(f for f in GIF_THINNER_FPS if f < self.fps)):
            thin = f"fps={fps}," if fps != self.fps else ""
            self._run(["-i", str(self.work), "-i", str(self.palette), "-lavfi",
                       f"[0:v]{thin}null[v];[v][1:v]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle",
                       "-loop", "0", "-f", "gif", str(self.target)], "the GIF encoder")
            self.fps_written = fps if fps != self.fps else None
            if self.target.stat().st_size <= budget:
                break
            output.check_interrupted()

    def _run(self, args: list[str], what: str) -> None:
        self.ffmpeg = _Ffmpeg(args, self.path, stdin=False)
        try:
            code = self.ffmpeg.wait()
        except BaseException:
            self.ffmpeg.stop()
            raise
        if code != 0:
            raise self.ffmpeg.failure(what)


@contextmanager
def open_output(path: Path, kind: str, size: tuple[int, int], fps: int, quality: str = "draft", *,
                overwrite: bool = False, n_frames: int = 1) -> Iterator[_Writer]:
    """A writer for ``path`` whose output appears, complete, only when the block ends normally.

    Parameters
    ----------
    path : Path
        The user's output (a folder for ``kind="frames"``).
    kind : str
        ``".png"`` (the first frame), ``".mp4"``, ``".gif"`` or ``"frames"``.
    size : (int, int)
        Frame width and height, pixels.
    fps : int
    quality : str
        ``draft`` or ``final`` (MP4 compression).
    overwrite : bool
        Replace an existing output (a frames folder only if it holds nothing but frames).
    n_frames : int
        Frames expected (free-space check).

    Raises
    ------
    OutputError
        Not writable, not enough space, an existing output without ``overwrite``.
    RenderError
        The encoder failed for another reason.
    """
    check_output(path, kind == "frames", overwrite)
    output.check_free_space(path, estimated_bytes(kind, size, n_frames))
    with ExitStack() as stack:
        if kind == "frames":
            target = stack.enter_context(output.atomic_folder(path, own=OWN_FRAMES, overwrite=overwrite,
                                                              what=FRAMES_WHAT))
        else:
            target = stack.enter_context(output.atomic_path(path, overwrite=overwrite))
        writer: _Writer
        if kind == "frames":
            writer = _FramesWriter(path, target)
        elif kind == ".png":
            writer = _PngWriter(path, target)
        elif kind == ".mp4":
            writer = _VideoWriter(path, target, size, fps, _mp4_args(quality))
        else:
            writer = _GifWriter(path, target, size, fps, stack)
        try:
            yield writer
            writer.close()
            output.check_interrupted()  # a signal during the last frame: stop before the rename
        except BaseException:
            writer.abort()
            raise


# --- before and after a long render ------------------------------------------------------------
MS_PER_MEGAPIXEL_PANEL = 50.0
"""Rough draft-quality cost of one frame on a 2-core machine without a GPU (software OpenGL), per
megapixel and panel, on top of 15 ms: a 720p one-panel frame is estimated at 61 ms; measured 47-66
ms with the bundled scenes (benchmarks/bench_hardening.py). MSAA (final quality) costs about 3x."""
LONG_RENDER_S = 60.0
"""Renders expected to take longer than this are announced before they start."""


def estimated_seconds(n_frames: int, size: tuple[int, int], n_panels: int, quality: str) -> float:
    """Rough wall time of a render (see :data:`MS_PER_MEGAPIXEL_PANEL`)."""
    megapixels = size[0] * size[1] / 1e6
    per_frame_ms = 15.0 + MS_PER_MEGAPIXEL_PANEL * megapixels * (0.5 + 0.5 * n_panels)
    return n_frames * per_frame_ms * (3.0 if quality == "final" else 1.0) / 1000.0


def long_render_notice(label: str, n_frames: int, size: tuple[int, int], n_panels: int, quality: str) -> str | None:
    """The line printed before a render expected to take over :data:`LONG_RENDER_S`, else None."""
    seconds = estimated_seconds(n_frames, size, n_panels, quality)
    if seconds < LONG_RENDER_S:
        return None
    return (f"{label}: {n_frames:,} frames at {size[0]}x{size[1]}, about {_duration_text(seconds)} "
            f"to render (Ctrl-C stops it and leaves no file)")


def size_text(n_bytes: float) -> str:
    """``"812 kB"``, ``"3.4 MB"`` …"""
    if n_bytes < 1000 * 1024:
        return f"{n_bytes / 1024:.0f} kB"
    return f"{n_bytes / output.MB:.1f} MB"


def output_bytes(path: Path) -> int:
    """Bytes written: the file, or the files of a frames folder."""
    if path.is_dir():
        return sum(entry.stat().st_size for entry in os.scandir(path) if entry.is_file())
    return path.stat().st_size


__all__ = ["FORMATS", "GIF_MAX_FPS", "RenderError", "Progress", "check_output", "open_output", "output_kind",
           "estimated_bytes", "estimated_seconds", "long_render_notice", "gif_fps", "write_png", "size_text",
           "output_bytes", "OWN_FRAMES", "FRAME_NAME"]
