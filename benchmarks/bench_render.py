"""Render one gait cycle of the flagship single-panel scene at 1280×720, 30 fps, through pelvisim,
and the same meshes through a bare pyvista loop in the same run; print the ratio (target ≤ 1.3×).

Like for like: the bare loop draws the meshes pelvisim's panel draws (the same triangles; the scene
hides the femurs), from pelvisim's camera in pelvisim's panel viewport, sets each actor's ``user_matrix`` from the
same precomputed poses, and streams frames to the same encoder with the same settings (libx264,
CRF 23, preset veryfast, +faststart) — with ``plotter.open_movie`` when imageio is installed,
otherwise ``render()`` + ``screenshot()`` into imageio-ffmpeg. pelvisim's time includes its gait
model, descriptors, warnings, every overlay of ``OVERLAYS_ON`` (ghost, landmark names with leaders
and their occlusion test, key numbers, displacement arrows, axis rods with their x-ray layer, the
colour map with its bar, trails), the gait strip, title, magnification label, caption strip,
atomic write and its own start-up.

pelvisim skips the back faces of its closed, opaque bones (same picture, about a third less
drawing on software OpenGL). A bare loop that does the same is timed too and its ratio printed,
so the cost of pelvisim's overlays stays visible; the target is on the plain bare loop.

Run:  python benchmarks/bench_render.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np
import pyvista as pv

import pelvisim
from _common import load_text
from pelvisim.scene import frame_times, load
from pelvisim.view.render import Stage, render

pv.OFF_SCREEN = True
pv.global_theme.multi_samples = 1
SIZE = (1280, 720)
FPS = 30
ENCODER = ["-crf", "23", "-preset", "veryfast", "-movflags", "+faststart"]
"""pelvisim's draft MP4 settings (view/render.py), used by the bare loop too."""


OVERLAYS_ON = ("ghost", "landmarks", "descriptors", "arrows", "axes", "colour_map", "trails")
"""Every overlay a teaching video uses, on at once (the palpation spheres are for true-scale stills;
the femurs would add bones to both loops alike)."""


def flagship_single_panel(every_overlay: bool = True):
    """The flagship scene reduced to its ×20 panel, one gait cycle, at 720p / 30 fps, no title card,
    with every overlay of :data:`OVERLAYS_ON` (or only the scene's own), plus the gait strip, key
    numbers, warnings and captions."""
    scene = load("flagship")
    overlays = {**scene.overlays, **{name: True for name in (OVERLAYS_ON if every_overlay else ())}}
    panels = tuple(replace(p, overlays={**p.overlays, **overlays}) for p in scene.panels[1:2])
    return replace(scene, panels=panels, overlays=overlays, timeline=replace(scene.timeline, cycles=1.0),
                   output=replace(scene.output, size="1280x720", fps=FPS, title_card_s=0.0))


def pelvisim_view(scene, anatomy) -> dict:
    """The bone meshes pelvisim's panel shows, its camera and its viewport (read from a Stage, untimed)."""
    stage = Stage(scene, anatomy, SIZE)
    try:
        panel = stage.panels[0]
        camera = panel.renderer.GetActiveCamera()
        bones = [name for name, actor in panel.actors.items() if actor.GetVisibility()]
        return {
            "bones": bones,
            "meshes": {name: pv.PolyData(panel.meshes[name].points.copy(), panel.meshes[name].faces.copy()) for name in bones},
            "position": camera.GetPosition(), "focal_point": camera.GetFocalPoint(), "up": camera.GetViewUp(),
            "view_angle": camera.GetViewAngle(), "viewport": panel.renderer.GetViewport(),
        }
    finally:
        stage.close()


def bare_loop(poses, view: dict, path: Path, cull: bool = False) -> tuple[float, float]:
    """Same meshes, poses, camera and encoder through bare pyvista: returns (wall, CPU) seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    plotter = pv.Plotter(off_screen=True, window_size=list(SIZE))
    actors = {}
    for name in view["bones"]:
        actors[name] = plotter.add_mesh(view["meshes"][name], color="ivory", smooth_shading=True, culling="back" if cull else None)
    plotter.renderer.SetViewport(*view["viewport"])
    camera = plotter.renderer.GetActiveCamera()
    camera.SetPosition(*view["position"])
    camera.SetFocalPoint(*view["focal_point"])
    camera.SetViewUp(*view["up"])
    camera.SetViewAngle(view["view_angle"])
    plotter.renderer.ResetCameraClippingRange()
    plotter.renderer.camera_set = True
    try:
        import imageio  # noqa: F401

        plotter.open_movie(str(path), framerate=FPS, codec="libx264", quality=None, macro_block_size=16,
                           output_params=ENCODER, ffmpeg_log_level="error")
        for p in poses:
            for name, actor in actors.items():
                actor.user_matrix = p.T_world[name]
            plotter.write_frame()
    except ImportError:
        import imageio_ffmpeg

        writer = imageio_ffmpeg.write_frames(str(path), SIZE, fps=FPS, codec="libx264", pix_fmt_out="yuv420p",
                                             macro_block_size=16, ffmpeg_log_level="error", quality=None,
                                             output_params=ENCODER)
        writer.send(None)
        for p in poses:
            for name, actor in actors.items():
                actor.user_matrix = p.T_world[name]
            plotter.render()
            writer.send(np.ascontiguousarray(plotter.screenshot(return_img=True)[..., :3]))
        writer.close()
    plotter.close()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each loop, interleaved (the fastest counts)")
    parser.add_argument("--scene-overlays", action="store_true",
                        help="only the flagship's own overlays (ghost, names, key numbers) instead of every overlay")
    args = parser.parse_args()
    anatomy = pelvisim.load_anatomy()
    scene = flagship_single_panel(every_overlay=not args.scene_overlays)
    times = frame_times(scene, FPS)
    m = scene.panel_magnification(0)
    poses = [pelvisim.pose(anatomy, scene.joint_state(anatomy, 0, t), m) for t in times]
    view = pelvisim_view(scene, anatomy)
    load_before = load_text()
    ours, bare, bare_culled = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.repeat):
            bare.append(bare_loop(poses, view, Path(folder) / f"bare{i}.mp4"))
            t0, c0 = time.perf_counter(), time.process_time()
            result = render(scene, Path(folder) / f"pelvisim{i}.mp4", progress=False, anatomy=anatomy)
            ours.append((time.perf_counter() - t0, time.process_time() - c0))
            bare_culled.append(bare_loop(poses, view, Path(folder) / f"culled{i}.mp4", cull=True))
    n = result.n_frames
    o, b, c = min(t for t, _ in ours), min(t for t, _ in bare), min(t for t, _ in bare_culled)
    o_cpu, b_cpu = min(t for _, t in ours), min(t for _, t in bare)
    triangles = sum(mesh.n_cells for mesh in view["meshes"].values())
    on = sorted(name for name, value in scene.panel_overlays(0).items() if value)
    print(f"overlays on: {', '.join(on)} (+ gait strip, key numbers, warnings, captions)")
    print(f"frames: {n} ({len(times)} expected) at {SIZE[0]}x{SIZE[1]}, {FPS} fps; "
          f"bones drawn: {', '.join(view['bones'])} ({triangles} triangles)")
    print(f"bare pyvista loop            : {b:6.2f} s  ({1000 * b / n:5.1f} ms/frame)")
    print(f"bare loop + back-face culling: {c:6.2f} s  ({1000 * c / n:5.1f} ms/frame)")
    print(f"pelvisim render              : {o:6.2f} s  ({1000 * o / n:5.1f} ms/frame)")
    print(f"ratio pelvisim / bare = {o / b:.2f}  (target ≤ 1.3)")
    print(f"CPU time of this process (the encoder excluded): pelvisim {1000 * o_cpu / n:.1f} ms/frame, bare "
          f"{1000 * b_cpu / n:.1f} ms/frame, ratio {o_cpu / b_cpu:.2f} (less sensitive to other processes' load)")
    print(f"ratio pelvisim / bare with culling = {o / c:.2f}  (the cost of pelvisim's overlays and text)")
    print(f"machine: {load_before} before, {load_text()} after (best of {args.repeat})")


if __name__ == "__main__":
    main()
