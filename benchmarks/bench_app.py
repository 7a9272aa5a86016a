"""Slider to new frame in the desktop app, against a raw pyvista render of the same scene.

Run: ``python benchmarks/bench_app.py [--repeats 40]``. Needs a display for Qt's OpenGL: with no
``DISPLAY`` it starts ``Xvfb`` itself (and stops it by its pid at the end).

For 1 panel and 4 panels side by side, with the 3D area at 1280×720 and no anti-aliasing:

- **app, slider to frame**: move a parameter slider by one step → state, pose, descriptors,
  ``Panel.update`` (actor matrices only), descriptor table, render, Qt paint and swap; then wait
  for OpenGL to finish (``WaitForCompletion``, i.e. ``glFinish``), so the frame is really drawn.
  This is the latency a student sees, and the figure the targets apply to.
- **app, with read-back**: the same, then copy the pixels back (a screenshot) — shown for
  comparison with the raw loop, which has to read back to know it is done.
- **raw pyvista, same scene**: the very meshes the app's panels draw (same triangle budget, same
  back-face culling) in a bare ``pv.Plotter(off_screen=True)`` of the same size and shape; change
  one ``user_matrix``, render, screenshot.
- **raw pyvista, full meshes**: the same with the bones as built (what the app drew before it
  had a triangle budget), for context.

Every overlay of issue 13 is on (:data:`NEW_OVERLAYS`); four panels are laid out 2 × 2.

Targets (issue 5): app median ≤ 60 ms (1 panel) and ≤ 120 ms (4 panels). Timings jitter ±20 % on
shared machines: the ratio app / raw, measured in the same run, is the number to compare, and the
load average is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from xvfb import xvfb_display  # noqa: E402  (the tests' Xvfb starter, shared)
from _common import load_text  # noqa: E402

SIZE = (1280, 720)
TARGET_MS = {1: 60.0, 4: 120.0}
MODELS_4 = ("flare", "nutation", "sacral_torsion", "shear")
NEW_OVERLAYS = ("landmarks", "descriptors", "arrows", "axes", "colour_map")
"""Issue 13's overlays, all on: landmark names with leaders and occlusion, key numbers and warnings,
displacement arrows, axis rods with their x-ray layer, the colour map with its bar."""


def bench_app(models: tuple[str, ...], repeats: int) -> tuple[float, float, tuple[int, int], int, tuple[list[dict], list]]:
    """Median ms slider→frame (without and with read-back), the 3D area size, its triangle count,
    and per panel the bone meshes it drew with their culling (for the raw baseline)."""
    from PySide6 import QtWidgets

    import pelvisim
    from pelvisim.view.app import MainWindow, application
    from pelvisim.view.state import AppState

    app = application()
    state = AppState.from_models(models)
    for name in NEW_OVERLAYS:
        state.set_overlay(name, True)
    window = MainWindow(pelvisim.load_anatomy(), state)
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
    meshes = [(panel.meshes, panel.actors) for panel in window.panels]
    cameras = [panel.renderer.camera_position for panel in window.panels]
    bone_meshes = [{bone: (mesh.copy(), actors[bone].prop.culling) for bone, mesh in m.items()} for m, actors in meshes]
    frame, with_readback = [], []
    for i in range(repeats + 5):
        start = time.perf_counter()
        control.slider.setValue(control.slider.value() + (1 if i % 2 == 0 else -1))
        app.processEvents()
        plotter.render_window.WaitForCompletion()
        middle = time.perf_counter()
        plotter.screenshot(return_img=True)
        end = time.perf_counter()
        if i >= 5:  # warm-up
            frame.append(1000 * (middle - start))
            with_readback.append(1000 * (end - start))
    window.close()
    QtWidgets.QApplication.processEvents()
    return statistics.median(frame), statistics.median(with_readback), size, triangles, (bone_meshes, cameras)


def bench_raw(drawn: tuple[list[dict], list], repeats: int) -> float:
    """Median ms of a bare pyvista plotter drawing ``drawn`` (per panel: bone → (mesh, culling);
    per panel: camera position) side by side: set one user_matrix, render, screenshot."""
    import numpy as np
    import pyvista as pv

    pv.global_theme.multi_samples = 1
    panels, cameras = drawn
    plotter = pv.Plotter(off_screen=True, window_size=SIZE, shape=(1, len(panels)), border=False)
    moving = []
    for column, (bones, camera) in enumerate(zip(panels, cameras)):
        plotter.subplot(0, column)
        for name, (mesh, culling) in bones.items():
            actor = plotter.add_mesh(mesh, color="ivory", smooth_shading=True, scalars=None, culling=culling)
            if name == "innominate_left":
                moving.append(actor)
        plotter.camera_position = camera
    if len(panels) > 1:
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


def full_meshes(drawn: tuple[list[dict], list]) -> tuple[list[dict], list]:
    """``drawn`` with the bones as built instead (no triangle budget, no culling)."""
    import numpy as np
    import pyvista as pv

    import pelvisim

    anatomy = pelvisim.load_anatomy()
    bones = {name: (pv.PolyData.from_regular_faces(np.array(b.vertices_mm), np.array(b.faces)), "none")
             for name, b in anatomy.bones.items() if name in drawn[0][0]}
    return [bones] * len(drawn[0]), drawn[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ["DISPLAY"] = stack.enter_context(xvfb_display(screen="2560x1440x24"))
        import pyvista as pv

        pv.global_theme.multi_samples = 1
        print(f"before: {load_text()}")
        print(f"slider -> new frame, 3D area {SIZE[0]}x{SIZE[1]}, no anti-aliasing, median of {args.repeats}")
        failed = False
        for n, models in ((1, ("flare",)), (4, MODELS_4)):
            frame_ms, readback_ms, size, triangles, drawn = bench_app(models, args.repeats)
            raw_ms = bench_raw(drawn, args.repeats)
            raw_full_ms = bench_raw(full_meshes(drawn), args.repeats)
            ok = frame_ms <= TARGET_MS[n]
            failed |= not ok
            print(f"{n} panel(s) {size[0]}x{size[1]}, {triangles / 1000:.0f}k triangles drawn: "
                  f"app {frame_ms:.1f} ms slider to frame (target ≤ {TARGET_MS[n]:.0f} ms: "
                  f"{'met' if ok else 'MISSED'}), {readback_ms:.1f} ms with read-back; "
                  f"raw pyvista same scene {raw_ms:.1f} ms (ratio app with read-back / raw "
                  f"{readback_ms / raw_ms:.2f}); raw pyvista full meshes {raw_full_ms:.1f} ms")
        print(f"after: {load_text()}")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
