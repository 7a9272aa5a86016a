"""A virtual X server for tests of the app's 3D view, and the script those tests run under it.

Qt's ``offscreen`` platform has no OpenGL, so anything that must *render* inside the Qt window runs
in a child process with ``DISPLAY`` pointing at an ``Xvfb`` started here. A missing ``Xvfb`` is a
failure with a clear message (CI installs ``xvfb xauth``), never a silent skip.

Run as a script (``python xvfb.py views OUTDIR``) it opens the app and saves the 3D area of each
view preset as ``OUTDIR/<view>.png`` (and ``<view>_parallel.png`` with parallel projection), posed
models for the image regression, the flagship scene and a four-panel window, with what the tests
check about them in ``OUTDIR/checks.json`` (``python xvfb.py app OUTDIR``).
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


POSED_SIZE = (960, 540)
"""Window size of the posed-model images."""
FOUR_PANEL_SIZE = (1600, 900)
"""Window size of the four-panel check (the 3D area is about 1260 × 860: 2 × 2)."""


def _open(state, size, controls: bool = True):
    from pelvisim.view.app import MainWindow, application

    import pelvisim

    app = application()
    window = MainWindow(pelvisim.load_anatomy(), state)
    if not controls:  # the 3D area alone fills the window
        window.controls_scroll.hide()
        window.playback.hide()
    window.resize(*size)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.fit_views()
    window.refresh()
    app.processEvents()
    return window


def _posed_images(outdir: Path) -> None:
    """The flare model, left 2° ×20, anterior: bones only, and with names and key numbers; variants
    with another pose and another title (the regression tolerance must catch both)."""
    from PIL import Image

    from pelvisim.view.state import AppState, PanelChoice

    off = {name: False for name in ("ghost", "landmarks", "axes", "colour_map", "trails", "palpation", "femurs",
                                    "descriptors", "arrows")}
    for name, left_deg, label, text in (("posed_bones", 2.0, "", False), ("posed_bones_other_pose", 1.9, "", False),
                                        ("posed_text", 2.0, "Left inflare", True),
                                        ("posed_text_other_title", 2.0, "Left outflare", True)):
        overlays = {**off, "landmarks": text, "descriptors": text}
        state = AppState(panels=[PanelChoice("flare", {"left_deg": left_deg}, label)], overlays=overlays,
                         magnification=20.0)
        window = _open(state, POSED_SIZE, controls=False)
        Image.fromarray(window.scene_view.image()).save(outdir / f"{name}.png")
        window.close()


def _flagship(outdir: Path) -> dict:
    """The flagship scene in the app: each panel's badge, magnification and drawn innominate."""
    import numpy as np
    from PIL import Image

    from pelvisim.scene import find_scene
    from pelvisim.view.app import load_scene_state

    window = _open(load_scene_state(find_scene("flagship")), (1280, 720))
    image = window.scene_view.image()
    Image.fromarray(image).save(outdir / "flagship.png")
    out = {"panels": []}
    for i, panel in enumerate(window.panels):
        out["panels"].append({
            "badge": panel.magnification_actor.GetInput(),
            "magnification": window.state.panel_magnification(i),
            "viewport": list(panel.renderer.GetViewport()),
            "innominate_left": np.array(panel.actors["innominate_left"].user_matrix).tolist(),
            "phase": window.state.phase,
        })
    window.close()
    return out


def _four_panels(outdir: Path) -> dict:
    """Four panels at ×20 with names on: label boxes, leaders, and — measured independently through
    VTK's own projection and the GPU depth buffer — where each landmark's marker is and whether bone
    hides it (no ghost: its translucent surface writes depth too)."""
    import numpy as np
    from PIL import Image

    from pelvisim.view.state import AppState, PanelChoice

    panels = [PanelChoice("flare", {"left_deg": 2.0}), PanelChoice("sacral_rotation", {"left_deg": 1.0}),
              PanelChoice("sacral_torsion", {"angle_deg": 2.0}), PanelChoice("innominate_rotation", {"left_deg": -1.0})]
    state = AppState(panels=panels, magnification=20.0,
                     overlays={"landmarks": True, "descriptors": True, "ghost": False, "femurs": False})
    window = _open(state, FOUR_PANEL_SIZE)
    plotter = window.scene_view.plotter
    image = window.scene_view.image()
    Image.fromarray(image).save(outdir / "four_panels.png")
    height = int(plotter.ren_win.GetSize()[1])
    out = {"grid": list(window.scene_view.grid), "window": list(plotter.ren_win.GetSize()), "panels": []}
    for panel in window.panels:
        layer = panel.layers["landmarks"]
        renderer = panel.renderer
        x_origin, y_origin = renderer.GetOrigin()
        camera = renderer.GetActiveCamera()
        eye = np.array(camera.GetPosition())
        markers = {}
        for name, p in zip(panel.landmark_names, panel.landmark_positions(panel.pose)):
            if not panel.landmark_visible(name):
                continue
            renderer.SetWorldPoint(*p, 1.0)
            renderer.WorldToDisplay()
            x, y, _ = renderer.GetDisplayPoint()
            toward = (eye - p) / np.linalg.norm(eye - p)
            front = p + panel.theme.landmark_size_mm * toward
            renderer.SetWorldPoint(*front, 1.0)
            renderer.WorldToDisplay()
            z_front = renderer.GetDisplayPoint()[2]
            up = np.array(camera.GetViewUp())
            renderer.SetWorldPoint(*(p + panel.theme.landmark_size_mm * up), 1.0)
            renderer.WorldToDisplay()
            rx, ry, _ = renderer.GetDisplayPoint()
            radius = float(np.hypot(rx - x, ry - y))
            hidden = []
            for dx, dy in ((0, 0), (0.5, 0), (-0.5, 0), (0, 0.5), (0, -0.5)):
                px, py = int(round(x + dx * radius)), int(round(y + dy * radius))
                depth = plotter.ren_win.GetZbufferDataAtPoint(px, py)
                hidden.append(bool(depth < z_front - 1e-5))
            markers[name] = {"x": x - x_origin, "y": y - y_origin, "r": radius, "hidden": hidden}
        out["panels"].append({
            "viewport_px": [x_origin, y_origin, *renderer.GetSize()],
            "boxes": {k: list(v) for k, v in layer.boxes_px.items()},
            "leaders": {k: [list(a), list(b)] for k, (a, b) in layer.leaders_px.items()},
            "markers": markers,
            "text_boxes": [list(b) for b in panel.text_boxes()],
            "font_px": layer.label_prop.GetFontSize(),
        })
    out["window_height"] = height
    window.close()
    return out


def _save_app_checks(outdir: Path) -> None:
    import json

    import pyvista as pv

    pv.global_theme.multi_samples = 1
    outdir.mkdir(parents=True, exist_ok=True)
    _posed_images(outdir)
    checks = {"flagship": _flagship(outdir), "four_panels": _four_panels(outdir)}
    (outdir / "checks.json").write_text(json.dumps(checks))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "views":
        _save_views(Path(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "app":
        _save_app_checks(Path(sys.argv[2]))
    else:
        sys.exit("usage: python xvfb.py views|app OUTDIR")
