"""Timing of the ring mechanics in the gait model (plain script: ``python benchmarks/bench_mechanics.py``).

Targets (issue 4): one gait phase solved in ≤ 1 ms; a full cycle of 100 phases in ≤ 50 ms.
"One phase" is the whole model path: gait loads (hip reactions, abductors, trunk load split into
the L5's follower part) -> the soft-tissue ring's factored linear solve (the L5 condensed) ->
JointState with whole-pelvis motion and hip angles. The factorisation is cached per (anatomy,
stiffness), as in an interactive session where the sliders do not change at every frame; its
one-off cost is printed too, as is the first call, which also finds the tissue's attachments on the
bone meshes (once per anatomy). The soft tissue's per-frame costs (ligament read-out for the
overlay and the side table, a muscle/closure posture solve, a gait phase with self-bracing) follow.
"""

from __future__ import annotations

import time

import numpy as np
from _common import load_text

import pelvisim
from pelvisim import mechanics
from pelvisim.errors import PelvisimError
from pelvisim.models import get_model
from pelvisim.ring_models import _held_sacrum_solver, gait_cycle, gait_report
from pelvisim.synthetic import synthetic_anatomy
from pelvisim.tissue.models import _soft_tissue_solution
from pelvisim.tissue.readout import describe_entries
from pelvisim.tissue.ring import tissue_ring


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
    try:
        anatomy, name = pelvisim.load_anatomy(), "bundled mean pelvis"
    except PelvisimError:
        anatomy, name = synthetic_anatomy(), "synthetic pelvis"
    model = get_model("gait")
    values = model.resolve({})
    phases = np.arange(100) / 100

    _held_sacrum_solver.cache_clear()
    start = time.perf_counter()
    model.joint_state(anatomy, values, 0.3)
    first = time.perf_counter() - start
    _held_sacrum_solver.cache_clear()
    start = time.perf_counter()
    model.joint_state(anatomy, values, 0.3)
    refactor = time.perf_counter() - start

    one_phase = best_of(lambda: model.joint_state(anatomy, values, 0.37))
    report = best_of(lambda: gait_report(anatomy, values, 0.37))
    loop = best_of(lambda: [model.joint_state(anatomy, values, float(p)) for p in phases], repeat=5, number=2)
    vectorised = best_of(lambda: gait_cycle(anatomy, values, 100), repeat=5, number=5)
    ring = tissue_ring(anatomy)
    factor = best_of(lambda: mechanics.LinearSolver(ring, mechanics.hold_body("sacrum")), repeat=5, number=10)
    state = model.joint_state(anatomy, values, 0.37)
    readout = best_of(lambda: describe_entries(anatomy, "gait", values, 0.37, state), repeat=5, number=10)
    soft = get_model("soft_tissue")
    posture = soft.resolve({"posture": "single_leg_right", "iliacus_left_n": 300.0, "closure_gain": 1.0})
    key = tuple(sorted(posture.items()))

    def posture_solve():
        _soft_tissue_solution.cache_clear()
        _soft_tissue_solution(anatomy, key)

    posture_time = best_of(posture_solve, repeat=3, number=5)
    closure_phase = best_of(lambda: model.joint_state(anatomy, {**values, "closure_gain": 1.0}, 0.37), repeat=3, number=5)

    print(f"anatomy: {name}; {load_text()}")
    print(f"first call (finds attachments, builds and factors the tissue ring): {first * 1e3:8.1f} ms")
    print(f"first call after a stiffness change (factor only):                 {refactor * 1e3:8.3f} ms")
    print(f"factor the ring (null space + Cholesky):   {factor * 1e3:8.3f} ms")
    print(f"one phase, gait model -> JointState:      {one_phase * 1e3:8.3f} ms   (target <= 1 ms)  "
          f"{'OK' if one_phase <= 1e-3 else 'SLOW'}")
    print(f"one phase, gait_report (JSON numbers):     {report * 1e3:8.3f} ms")
    print(f"100 phases, per-phase JointState loop:     {loop * 1e3:8.3f} ms   (target <= 50 ms) "
          f"{'OK' if loop <= 50e-3 else 'SLOW'}")
    print(f"100 phases, vectorised gait_cycle:         {vectorised * 1e3:8.3f} ms   (target <= 50 ms) "
          f"{'OK' if vectorised <= 50e-3 else 'SLOW'}")
    print(f"ligament and muscle read-out of one frame:  {readout * 1e3:8.3f} ms")
    print(f"soft_tissue posture, nonlinear + closure:   {posture_time * 1e3:8.3f} ms")
    print(f"one gait phase with self-bracing (closure): {closure_phase * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
