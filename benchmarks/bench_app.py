"""Slider to new frame in the desktop app, against a raw pyvista render of the same scene.

Run: ``python benchmarks/bench_app.py [--repeats 40]``. Needs a display for Qt's OpenGL: with no
``DISPLAY`` it starts ``Xvfb`` itself (and stops it by its pid at the end).

For 1 panel and 4 panels side by side, with the 3D area at 1280×720 and no anti-aliasing:

- **app**: move a parameter slider by one step → state, pose, descriptors, ``Panel.update`` (actor
  matrices only), descriptor table, render, Qt paint; then read the frame back (so the GPU work
  is finished, as in the baseline).
- **raw pyvista**: the same bone meshes (the default overlays add no triangles worth counting: the
  translucent ghost is off by default, landmarks are 11 small spheres) in a bare
  ``pv.Plotter(off_screen=True)`` of the same size and shape; change one ``user_matrix``, render,
  screenshot.

Targets (issue 5): app median ≤ 60 ms (1 panel) and ≤ 120 ms (4 panels). Timings jitter ±20 % on
shared machines: the ratio app / raw, measured in the same run, is the number to compare.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

SIZE = (1280, 720)
TARGET_MS = {1: 60.0, 4: 120.0}
MODELS_4 = ("flare", "nutation", "sacral_torsion", "shear")


def _start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    executable = shutil.which("Xvfb")
    if executable is None:
        sys.exit("bench_app: no DISPLAY and no Xvfb (apt-get install xvfb xauth)")
    read_end, write_end = os.pipe()
    process = subprocess.Popen([executable, "-displayfd", str(write_end), "-screen", "0", "2560x1440x24",
                                "-nolisten", "tcp"], pass_fds=(write_end,), stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip()
    return process


def bench_app(models: tuple[str, ...], repeats: int) -> tuple[float, float, tuple[int, int], int]:
    """Median ms slider→frame (with and without read-back), the 3D area size, and its triangle count."""
    import numpy as np  # noqa: F401
    from PySide6 import QtWidgets

    import pelvisim
    from pelvisim.view.app import MainWindow, application
    from pelvisim.view.state import AppState

    app = application()
    window = MainWindow(pelvisim.load_anatomy(), AppState.from_models(models))
    window.show()
    app.processEvents()
    # make the 3D area exactly SIZE, whatever the control column takes
    interactor = window.scene_view.plotter.interactor
    for _ in range(3):
        dw, dh = SIZE[0] - interactor.width(), SIZE[1] - interactor.height()
        window.resize(window.width() + dw, window.height() + dh)
        app.processEvents()
    size = (interactor.width(), interactor.height())
    control = next(c for c in window.panel_controls[0].controls.values() if c.slider is not None)
    plotter = window.scene_view.plotter
    triangles = 0
    for renderer in plotter.renderers:
        for actor in renderer.actors.values():
            dataset = getattr(getattr(actor, "mapper", None), "dataset", None)
            if getattr(actor, "visibility", False) and dataset is not None:
                triangles += dataset.n_cells
    frame, with_readback = [], []
    for i in range(repeats + 5):
        start = time.perf_counter()
        control.slider.setValue(control.slider.value() + (1 if i % 2 == 0 else -1))
        app.processEvents()
        middle = time.perf_counter()
        plotter.screenshot(return_img=True)
        end = time.perf_counter()
        if i >= 5:  # warm-up
            frame.append(1000 * (middle - start))
            with_readback.append(1000 * (end - start))
    window.close()
    QtWidgets.QApplication.processEvents()
    return statistics.median(frame), statistics.median(with_readback), size, triangles


def bench_raw(n_panels: int, repeats: int) -> float:
    """Median ms of a bare pyvista plotter: set one user_matrix, render, screenshot."""
    import numpy as np
    import pyvista as pv

    import pelvisim

    pv.global_theme.multi_samples = 1
    anatomy = pelvisim.load_anatomy()
    plotter = pv.Plotter(off_screen=True, window_size=SIZE, shape=(1, n_panels), border=False)
    moving = []
    for column in range(n_panels):
        plotter.subplot(0, column)
        for name, bone in anatomy.bones.items():
            mesh = pv.PolyData.from_regular_faces(np.array(bone.vertices_mm), np.array(bone.faces))
            actor = plotter.add_mesh(mesh, color="ivory", smooth_shading=True)
            if name == "innominate_left":
                moving.append(actor)
        plotter.view_yz()
    if n_panels > 1:
        plotter.link_views()
    plotter.show(auto_close=False)
    times = []
    for i in range(repeats + 5):
        T = np.eye(4)
        T[0, 3] = 0.1 * (i % 2)
        start = time.perf_counter()
        moving[0].user_matrix = T
        plotter.render()
        plotter.screenshot(return_img=True)
        if i >= 5:
            times.append(1000 * (time.perf_counter() - start))
    plotter.close()
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    xvfb = _start_xvfb()
    try:
        import pyvista as pv

        pv.global_theme.multi_samples = 1
        print(f"slider -> new frame, 3D area {SIZE[0]}x{SIZE[1]}, no anti-aliasing, median of {args.repeats}")
        failed = False
        for n, models in ((1, ("flare",)), (4, MODELS_4)):
            frame_ms, readback_ms, size, triangles = bench_app(models, args.repeats)
            raw_ms = bench_raw(n, args.repeats)
            ok = readback_ms <= TARGET_MS[n]
            failed |= not ok
            print(f"{n} panel(s) {size[0]}x{size[1]}, {triangles / 1000:.0f}k triangles drawn: "
                  f"app {frame_ms:.1f} ms to frame, {readback_ms:.1f} ms with read-back "
                  f"(target ≤ {TARGET_MS[n]:.0f} ms: {'met' if ok else 'MISSED'}); "
                  f"raw pyvista {raw_ms:.1f} ms; ratio app/raw {readback_ms / raw_ms:.2f}")
        return 1 if failed else 0
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
