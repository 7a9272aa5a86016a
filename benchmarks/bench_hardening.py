"""Figures for issue 11 (nothing lost, nothing hangs): the scene fuzzer at scale, GIF size, exact
video sizes and the render-time estimate behind the long-render notice.

- Fuzz: ``--cases`` mutated bundled scenes (the strategy of tests/test_scene_fuzz.py), each parsed
  once; counts valid scenes, clean one-line SceneErrors, other exceptions ("uncaught"), and the
  slowest case (a case over 1 s counts as a hang).
- GIF: the flagship scene (two moving panels) for 6 s at 1280x720, no title card; size in MB
  (budget 8 MB).
- Exact size: a 1080p MP4 decoded back (expected 1920x1080).
- Estimate: wall time of a draft 720p render against ``writers.estimated_seconds``.

Run:  python benchmarks/bench_hardening.py [--cases 5000] [--skip-render]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def fuzz(cases: int) -> None:
    from hypothesis import HealthCheck, given, settings

    from pelvisim.errors import SceneError
    from pelvisim.scene import parse
    from test_scene_fuzz import NAME, check_contract, mutated_scene

    counts = {"valid": 0, "clean errors": 0, "uncaught": 0, "contract broken": 0, "over 1 s": 0}
    slowest = [0.0]

    @settings(max_examples=cases, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=mutated_scene())
    def run(text):
        started = time.perf_counter()
        try:
            parse(text, NAME)
            counts["valid"] += 1
        except SceneError:
            counts["clean errors"] += 1
            try:
                check_contract(text)
            except AssertionError:
                counts["contract broken"] += 1
        except Exception:  # noqa: BLE001 - what we count
            counts["uncaught"] += 1
        seconds = time.perf_counter() - started
        slowest[0] = max(slowest[0], seconds)
        counts["over 1 s"] += seconds > 1.0

    started = time.perf_counter()
    run()
    total = sum(counts[k] for k in ("valid", "clean errors", "uncaught"))
    print(f"fuzz: {total} cases in {time.perf_counter() - started:.1f} s: {counts}; slowest case {slowest[0] * 1000:.0f} ms")


def renders() -> None:
    import imageio_ffmpeg

    from pelvisim.view import writers
    from pelvisim.view.render import render

    with tempfile.TemporaryDirectory() as folder:
        gif = render("flagship", Path(folder) / "flagship.gif", size="720p", cycles=1.5, title_card_s=0, progress=False)
        print(f"GIF: flagship 6 s at 1280x720: {gif.n_bytes / 2**20:.2f} MB, {gif.n_frames} frames at {gif.fps} fps, "
              f"{gif.seconds:.1f} s to render (budget 8 MB)")
        mp4 = render("flare", Path(folder) / "x.mp4", size="1080p", end_s=0.2, title_card_s=0, progress=False)
        reader = imageio_ffmpeg.read_frames(str(mp4.path))
        print(f"1080p MP4 decodes as {next(reader)['size']}")
        result = render("nutation", Path(folder) / "n.mp4", size="720p", title_card_s=0, progress=False)
        estimate = writers.estimated_seconds(result.n_frames, result.size, 1, "draft")
        print(f"estimate: nutation 720p {result.n_frames} frames took {result.seconds:.1f} s, estimated {estimate:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--skip-render", action="store_true")
    args = parser.parse_args()
    fuzz(args.cases)
    if not args.skip_render:
        renders()


if __name__ == "__main__":
    main()
