"""Lesson pages: size of every bundled scene's page, and how soon headless chromium shows the first frame.

Run ``python benchmarks/bench_share.py [SCENE ...] [--loads N]`` (default: every bundled scene, 3
loads each). Pages are built at the default resolution into a temporary folder. For each load the
script reports the time from navigation start to the end of the first drawn frame (the page's own
``performance.now()`` after ``gl.finish()``), and the wall time from ``page.goto`` to the same
moment as seen from Python; the median of the loads is printed. The browser is Debian's chromium
with software WebGL (SwiftShader), started once; the first load of each page is included.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _common import load_text  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenes", nargs="*", help="bundled scene names (default: all)")
    parser.add_argument("--loads", type=int, default=3, help="loads of each page in the browser")
    args = parser.parse_args()

    import pelvisim
    from browser_helpers import Page, chromium
    from pelvisim.scene import bundled_scene_names
    from pelvisim.web import write_page

    names = args.scenes or bundled_scene_names()
    anatomy = pelvisim.load_anatomy()
    print(load_text())
    print(f"{'scene':36s} {'size MB':>8s} {'build s':>8s} {'first frame ms':>15s} {'goto→frame ms':>14s}")
    with tempfile.TemporaryDirectory() as folder, chromium() as browser:
        for name in names:
            started = time.perf_counter()
            result = write_page(name, Path(folder) / f"{name}.html", anatomy=anatomy)
            built = time.perf_counter() - started
            in_page, wall = [], []
            for _ in range(args.loads):
                page = Page(browser, viewport=(1280, 800))
                t0 = time.perf_counter()
                page.open(result.path)
                wall.append(1000.0 * (time.perf_counter() - t0))
                in_page.append(float(page.state()["firstFrameMs"]))
                if page.errors or page.blocked:
                    print(f"  {name}: errors {page.errors}, blocked {page.blocked}")
                page.close()
            print(f"{name:36s} {result.size_bytes / 1e6:8.2f} {built:8.1f} {statistics.median(in_page):15.0f} "
                  f"{statistics.median(wall):14.0f}", flush=True)
    print(load_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
