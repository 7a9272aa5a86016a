"""Render the README's scene stills into docs/images/scenes/ (one small PNG per bundled scene).

Each still is one frame of the scene through pelvisim's offscreen renderer (the same Stage as
``pelvisim render SCENE -o still.png``) with the scene's panels, views, magnification and
overlays — landmark names, key numbers and warnings included — at the moment of largest
true-scale landmark motion. It leaves out the captions and the title card. One panel: 960 × 540;
two or more: 1280 × 720 (2 × 2 for four). Anti-aliased (final quality) and stored with a 256-colour
palette to keep the files small.

Run from the repository root:  python docs/make_scene_stills.py [SCENE ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np
from PIL import Image

import pelvisim
from pelvisim.descriptors import describe
from pelvisim.scene import Scene, bundled_scene_names, frame_times, load
from pelvisim.view.render import Stage

OUT = Path(__file__).resolve().parent / "images" / "scenes"
SIZES = {1: (960, 540), 2: (1280, 720), 3: (1280, 720), 4: (1280, 720)}
"""Still size by number of panels: at least 960 px wide, so names and numbers stay readable."""
SAMPLES_PER_S = 4
"""Timeline times tried when looking for the moment of largest motion."""


def still_scene(scene: Scene) -> Scene:
    """The scene without captions and title card."""
    return replace(scene, captions=(), output=replace(scene.output, title_card_s=0.0))


def largest_motion_time(scene: Scene, anatomy: pelvisim.Anatomy) -> float:
    """Timeline time at which the landmarks of all panels have moved most (true scale, mm)."""
    best, best_t = -1.0, 0.0
    for t in frame_times(scene, SAMPLES_PER_S):
        total = 0.0
        for index in range(len(scene.panels)):
            own = anatomy[index] if isinstance(anatomy, list) else anatomy
            landmarks = describe(own, scene.joint_state(own, index, t)).landmarks
            total += sum(float(np.linalg.norm(entry["shift_mm"])) for entry in landmarks.values())
        if total > best + 1e-9:
            best, best_t = total, t
    return best_t


def render_still(name: str, anatomy: pelvisim.Anatomy, out: Path) -> tuple[Path, float, tuple[int, int]]:
    """Render scene ``name`` to ``out/<name>.png``; returns (path, time, size)."""
    scene = still_scene(load(name))
    size = SIZES[len(scene.panels)]
    if any(scene.panel_anatomy(i).kind != "bundled" for i in range(len(scene.panels))):
        from pelvisim.anatomy import sources

        anatomy = [sources.load(scene.panel_anatomy(i)) for i in range(len(scene.panels))]  # the scene's own pelves
    t = largest_motion_time(scene, anatomy)
    stage = Stage(scene, anatomy, size, quality="final")
    try:
        stage.show(t)
        image = stage.image()
    finally:
        stage.close()
    path = out / f"{name}.png"
    temporary = path.with_name(f".{path.name}.partial")
    palette = Image.fromarray(image).quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
    palette.save(temporary, format="PNG", optimize=True)
    os.replace(temporary, path)
    return path, t, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenes", nargs="*", help="bundled scene names (default: all)")
    args = parser.parse_args(argv)
    names = args.scenes or bundled_scene_names()
    unknown = sorted(set(names) - set(bundled_scene_names()))
    if unknown:
        parser.error(f"not bundled scenes: {', '.join(unknown)} (see `pelvisim scene list`)")
    OUT.mkdir(parents=True, exist_ok=True)
    anatomy = pelvisim.load_anatomy()
    total = 0
    for name in names:
        path, t, (w, h) = render_still(name, anatomy, OUT)
        size = path.stat().st_size
        total += size
        print(f"{path.name:42s} {w}x{h}  t = {t:4.2f} s  {size / 1024:5.1f} KB")
    print(f"{len(names)} stills, {total / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
