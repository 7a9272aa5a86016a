"""Timing of the readouts the view calls per displayed pose (plain script: ``python benchmarks/bench_readouts.py``).

Targets (issue 10): ``limits.magnification_overlap_note`` ≤ 5 ms per call on the bundled anatomy
(the view calls it per displayed pose); ``descriptors.describe`` small against a frame (it was
0.5 ms before the body frames, names and limits were added). The joint patches are built once per
anatomy (cached); that one-off cost is printed too.
"""

from __future__ import annotations

import time

import pelvisim
from pelvisim import descriptors, limits, models

from _common import load_text


def best_of(fn, repeat: int = 7, number: int = 20) -> float:
    """Best mean wall time of ``fn()`` in seconds over ``repeat`` batches of ``number`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def main() -> None:
    anatomy = pelvisim.load_anatomy()
    print(load_text())
    start = time.perf_counter()
    limits._joint_patches(anatomy)
    print(f"joint patches (once per anatomy): {1000 * (time.perf_counter() - start):.0f} ms")
    cases = [("flare", {"left_deg": 1.0}, 0.0), ("gait", {"stiffness_ratio": 2.0}, 0.3),
             ("innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0}, 0.0), ("neutral", {}, 0.0)]
    for model, params, phase in cases:
        state = models.joint_state(anatomy, model, params, phase)
        for magnification in (1.0, 5.0, 20.0):
            t = best_of(lambda: limits.magnification_overlap_note(anatomy, state, magnification))
            print(f"overlap note  {model:<20} ×{magnification:<4g} {1000 * t:6.2f} ms  (target ≤ 5 ms)")
        t = best_of(lambda: descriptors.describe(anatomy, state))
        print(f"describe      {model:<20}       {1000 * t:6.2f} ms")


if __name__ == "__main__":
    main()
