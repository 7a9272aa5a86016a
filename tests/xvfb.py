"""A virtual X server for tests of the app's 3D view, and the script those tests run under it.

Qt's ``offscreen`` platform has no OpenGL, so anything that must *render* inside the Qt window runs
in a child process with ``DISPLAY`` pointing at an ``Xvfb`` started here. A missing ``Xvfb`` is a
failure with a clear message (CI installs ``xvfb xauth``), never a silent skip.

Run as a script (``python xvfb.py views OUTDIR``) it opens the app and saves the 3D area of each
view preset as ``OUTDIR/<view>.png`` (and ``<view>_parallel.png`` with parallel projection).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VIEW_SIZE = (960, 540)
"""Window size of the view-preset images."""


@contextmanager
def xvfb_display(screen: str = "1920x1080x24") -> Iterator[str]:
    """Start ``Xvfb`` on a free display with one ``screen`` (WxHxDepth); yields ``":N"`` and stops
    the server (by its pid) afterwards."""
    executable = shutil.which("Xvfb")
    if executable is None:
        raise RuntimeError(
            "Xvfb is not installed: the app's 3D-view tests need it (Debian: apt-get install xvfb xauth)"
        )
    read_end, write_end = os.pipe()
    process = subprocess.Popen(  # -displayfd: the server picks a free display number itself (no race)
        # -noreset: by default Xvfb resets itself whenever its last client disconnects, and a client
        # connecting during that reset is dropped (Qt then aborts with "Could not load the Qt platform
        # plugin xcb"); test_xvfb.py measured 110-216 of 1,200 connections lost that way, 0 with it.
        [executable, "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"Xvfb did not start: {err.strip()[:300]}")
        yield f":{number}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def run_under_display(display: str, args: list[str], timeout: float = 300.0) -> subprocess.CompletedProcess:
    """Run this file as a script with ``args`` under ``display`` (Qt's xcb platform, real OpenGL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "VTK_DEFAULT_OPENGL_WINDOW", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    return subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def _save_views(outdir: Path) -> None:
    import pyvista as pv

    pv.global_theme.multi_samples = 1
    from PySide6 import QtWidgets

    import pelvisim
    from pelvisim.view.app import MainWindow, application
    from pelvisim.view.state import AppState, PanelChoice

    app = application()
    overlays = {name: False for name in ("ghost", "landmarks", "axes", "colour_map", "trails", "palpation",
                                          "femurs", "descriptors")}
    state = AppState(panels=[PanelChoice("neutral")], overlays=overlays)
    window = MainWindow(pelvisim.load_anatomy(), state)
    window.controls_scroll.hide()
    window.playback.hide()
    window.resize(*VIEW_SIZE)
    window.show()
    for _ in range(5):
        app.processEvents()
    outdir.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    from pelvisim.view.state import VIEWS

    for view in VIEWS:
        window.set_view(view)
        Image.fromarray(window.scene_view.image()).save(outdir / f"{view}.png")
    # Parallel projection: opposite views must then be exact mirror images of each other's outline.
    for renderer in window.scene_view.plotter.renderers:
        renderer.GetActiveCamera().ParallelProjectionOn()
    for view in VIEWS:
        window.set_view(view)
        Image.fromarray(window.scene_view.image()).save(outdir / f"{view}_parallel.png")
    window.close()
    QtWidgets.QApplication.processEvents()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "views":
        _save_views(Path(sys.argv[2]))
    else:
        sys.exit("usage: python xvfb.py views OUTDIR")
