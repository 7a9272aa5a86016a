"""Render the README's moving picture and app screenshot into docs/images/.

- ``flagship.gif``: one stride of ``stiffness_symmetric_vs_asymmetric`` — even SIJs next to a left
  SIJ twice as stiff, colour = displacement relative to the sacrum — at 960 × 540, 15 frames a
  second, without title card or captions (the README says what it shows).
- ``app_four_panels.png``: the desktop app with four models in a 2 × 2 layout (needs a display:
  run under ``xvfb-run -a`` on a machine without one).

Run from the repository root:  python docs/make_readme_pictures.py [gif] [app]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

OUT = Path(__file__).resolve().parent / "images"
GIF_SCENE = "stiffness_symmetric_vs_asymmetric"
GIF_SIZE = "960x540"
GIF_FPS = 15
APP_SCENE = """title = "Four models side by side"
magnification = 20
[[panels]]
model = "flare"
parameters = { left_deg = 1.0 }
[[panels]]
model = "sacral_rotation"
parameters = { left_deg = 1.0 }
[[panels]]
model = "sacral_torsion"
parameters = { angle_deg = 1.0 }
[[panels]]
model = "innominate_rotation"
parameters = { left_deg = -1.0, right_deg = 1.0 }
[timeline]
kind = "still"
[overlays]
ghost = true
landmarks = true
descriptors = true
femurs = false
"""
"""The app screenshot's scene: four models at a pose each, ×20, names and key numbers on."""
APP_SIZE = "1600x900"


def make_gif() -> Path:
    """The README GIF: one stride, both panels, no title card or captions."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from pelvisim.scene import load
    from pelvisim.view.render import render

    scene = load(GIF_SCENE)
    scene = replace(scene, captions=(), timeline=replace(scene.timeline, cycles=1.0))
    result = render(scene, OUT / "flagship.gif", size=GIF_SIZE, fps=GIF_FPS, title_card_s=0.0, overwrite=True,
                    progress=False)
    print(f"{result.path.name}: {result.size[0]}x{result.size[1]}, {result.n_frames} frames at {result.fps} fps, "
          f"{result.path.stat().st_size / 1e6:.2f} MB")
    return result.path


def make_app_screenshot() -> Path:
    """The app with four posed models (2 × 2), through ``pelvisim show SCENE --screenshot``."""
    import tempfile

    if not os.environ.get("DISPLAY"):
        sys.exit("the app screenshot needs a display: run `xvfb-run -a python docs/make_readme_pictures.py app`")
    path = OUT / "app_four_panels.png"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "VTK_DEFAULT_OPENGL_WINDOW")}
    with tempfile.TemporaryDirectory() as folder:
        scene = Path(folder) / "four_models.toml"
        scene.write_text(APP_SCENE, encoding="utf-8")
        subprocess.run([sys.executable, "-m", "pelvisim.cli", "show", str(scene), "--size", APP_SIZE, "--screenshot",
                        str(path), "--overwrite"], check=True, env=env)
    print(f"{path.name} written")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # no argparse choices here: with nargs="*" and no arguments, Python 3.11 checks [] against them and fails
    parser.add_argument("pictures", nargs="*", metavar="{gif,app}", help="which pictures (default: both)")
    args = parser.parse_args(argv)
    wanted = args.pictures or ["gif", "app"]
    unknown = sorted(set(wanted) - {"gif", "app"})
    if unknown:
        parser.error(f"unknown picture {unknown[0]!r}: choose gif or app")
    if "gif" in wanted:
        make_gif()
    if "app" in wanted:
        make_app_screenshot()
    return 0


if __name__ == "__main__":
    sys.exit(main())
