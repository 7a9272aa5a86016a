"""Render one gait cycle of the flagship single-panel scene at 1280×720, 30 fps, through pelvisim,
and the same meshes through a bare pyvista loop in the same run; print the ratio (target ≤ 1.3×).

The bare loop adds the five bone meshes, sets each actor's ``user_matrix`` from the same
precomputed poses and streams frames to MP4 — with ``plotter.open_movie`` when imageio is
installed, otherwise with imageio-ffmpeg directly (the same encoder). pelvisim's time includes
its gait model, descriptors, landmarks, text, caption strip and atomic write.

Run:  python benchmarks/bench_render.py [--cycles 1] [--repeat 1]
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
from pelvisim.scene import frame_times, load
from pelvisim.view.render import render

pv.OFF_SCREEN = True
pv.global_theme.multi_samples = 1
SIZE = (1280, 720)
FPS = 30


def flagship_single_panel():
    """The flagship scene reduced to its ×20 panel, at 720p / 30 fps, no title card."""
    scene = load("flagship")
    return replace(scene, panels=scene.panels[1:2], output=replace(scene.output, size="1280x720", fps=FPS, title_card_s=0.0))


def bare_loop(anatomy, poses, path: Path) -> float:
    """Same meshes, same poses, bare pyvista: returns seconds."""
    start = time.perf_counter()
    plotter = pv.Plotter(off_screen=True, window_size=list(SIZE))
    actors = {}
    for name, bone in anatomy.bones.items():
        mesh = pv.PolyData.from_regular_faces(np.asarray(bone.vertices_mm), np.asarray(bone.faces))
        actors[name] = plotter.add_mesh(mesh, color="ivory", smooth_shading=True)
    plotter.view_yz()
    try:
        import imageio  # noqa: F401

        plotter.open_movie(str(path), framerate=FPS, quality=5)
        for p in poses:
            for name, actor in actors.items():
                actor.user_matrix = p.T_world[name]
            plotter.write_frame()
    except ImportError:
        import imageio_ffmpeg

        writer = imageio_ffmpeg.write_frames(str(path), SIZE, fps=FPS, codec="libx264", pix_fmt_out="yuv420p",
                                             macro_block_size=16, ffmpeg_log_level="error", quality=None,
                                             output_params=["-crf", "23", "-preset", "veryfast"])
        writer.send(None)
        for p in poses:
            for name, actor in actors.items():
                actor.user_matrix = p.T_world[name]
            plotter.render()
            writer.send(np.ascontiguousarray(plotter.screenshot(return_img=True)[..., :3]))
        writer.close()
    plotter.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    anatomy = pelvisim.load_anatomy()
    scene = flagship_single_panel()
    times = frame_times(scene, FPS)
    m = scene.panel_magnification(0)
    poses = [pelvisim.pose(anatomy, scene.joint_state(anatomy, 0, t), m) for t in times]
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.repeat):
            bare.append(bare_loop(anatomy, poses, Path(folder) / f"bare{i}.mp4"))
            t0 = time.perf_counter()
            result = render(scene, Path(folder) / f"pelvisim{i}.mp4", progress=False, anatomy=anatomy)
            ours.append(time.perf_counter() - t0)
    n = result.n_frames
    o, b = min(ours), min(bare)
    print(f"frames: {n} ({len(times)} expected) at {SIZE[0]}x{SIZE[1]}, {FPS} fps")
    print(f"bare pyvista loop : {b:6.2f} s  ({1000 * b / n:5.1f} ms/frame)")
    print(f"pelvisim render   : {o:6.2f} s  ({1000 * o / n:5.1f} ms/frame)")
    print(f"ratio pelvisim / bare = {o / b:.2f}  (target ≤ 1.3)")


if __name__ == "__main__":
    main()
