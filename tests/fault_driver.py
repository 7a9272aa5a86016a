"""Renders on request, for test_fault_injection.py to interrupt at random points.

Run as ``python fault_driver.py``; one command a line on stdin, one answer a line on stdout:

``render KIND OUTPUT OVERWRITE`` (KIND: png, mp4, gif or frames; OVERWRITE: 0 or 1) answers
``start`` just before the render begins (SIGINT/SIGTERM then raise as on the command line), then
``done SECONDS``, ``interrupted SIGNUM``, ``late SIGNUM`` (the signal came after the render was
complete) or ``error MESSAGE``. Between renders signals are ignored,
so a signal that arrives after a render finished is not mistaken for one that stopped it.
``quit`` ends the driver. Importing pyvista and loading the anatomy once makes each interrupted
render cost well under a second, so CI can afford many of them.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

SCENE = Path(__file__).resolve().parent / "fault_scene.toml"


def main() -> int:
    import pelvisim
    from pelvisim import output
    from pelvisim.scene import parse
    from pelvisim.view.render import render

    anatomy = pelvisim.load_anatomy()
    scene = parse(SCENE.read_text(encoding="utf-8"), SCENE.name)
    ignore = {sig: signal.SIG_IGN for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, handler in ignore.items():
        signal.signal(sig, handler)
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        kind, path, overwrite = words[1], words[2], words[3] == "1"
        target = path if kind == "frames" else f"{path}.{kind}"
        started = time.perf_counter()
        completed = False
        try:
            output.install_interrupt_handlers()
            print("start", flush=True)
            render(scene, target, frames=kind == "frames", overwrite=overwrite, anatomy=anatomy, progress=False)
            completed = True
            answer = f"done {time.perf_counter() - started:.3f}"
        except output.Interrupted as error:
            # A signal landing after render() returned finds the output complete: "late", not an interrupt.
            answer = f"late {error.signum}" if completed else f"interrupted {error.signum}"
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
            answer = "error " + " ".join(f"{type(error).__name__}: {error}".split())
        finally:
            for sig, handler in ignore.items():
                signal.signal(sig, handler)
        print(answer, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
