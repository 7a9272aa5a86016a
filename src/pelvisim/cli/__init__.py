"""The ``pelvisim`` command line.

Each sub-command lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``func`` (``args -> exit code``). Errors pelvisim raises on purpose are printed as
one line (so are a full or read-only disk, Ctrl-C and SIGTERM, and a closed pipe); anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import signal
import sys
import threading
from collections.abc import Sequence

from pelvisim import __version__
from pelvisim.errors import PelvisimError

# Sub-command modules, in the order ``pelvisim --help`` lists them.
COMMAND_MODULES = (
    "pelvisim.cli.show_cmd",
    "pelvisim.cli.render_cmd",
    "pelvisim.cli.share_cmd",
    "pelvisim.cli.describe_cmd",
    "pelvisim.cli.claims_cmd",
    "pelvisim.cli.scene_cmd",
    "pelvisim.cli.anatomy_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="pelvisim",
        description="Interactive 3D visualizer of pelvic-ring biomechanics for teaching.",
    )
    parser.add_argument("--version", action="version", version=f"pelvisim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    Exit codes: 0 success, 2 an error pelvisim explains in one line (bad input, an output that
    cannot be written), 130 / 143 interrupted by Ctrl-C (SIGINT) / SIGTERM, 141 when the reader of
    the output went away (``pelvisim describe --json | head``).
    """
    from pelvisim import output

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    output.install_interrupt_handlers()  # SIGTERM too: temporaries are removed, exit 143
    try:
        code = int(args.func(args) or 0)
        # Flush here, inside the try: output still in Python's buffer would otherwise meet a reader
        # that went away only at interpreter exit ("Exception ignored ... BrokenPipeError", exit 120).
        sys.stdout.flush()
        return code
    except PelvisimError as error:
        _error_line(str(error))
        return 2
    except KeyboardInterrupt as error:
        _error_line("interrupted", prefix="pelvisim: ")
        return int(getattr(error, "exit_code", 130))
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except MemoryError:
        _error_line("out of memory; try a smaller --size, fewer frames or fewer panels")
        return 2
    except OSError as error:
        if not error.filename:
            raise  # not about a file of the user's: a bug, keep the traceback
        _error_line(str(output.explain_os_error(error, error.filename, action="cannot use")))
        return 2
    finally:
        if threading.current_thread() is threading.main_thread():
            for sig, handler in previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _error_line(message: str, prefix: str = "pelvisim: error: ") -> None:
    """Print one line to stderr (long messages cut), never failing itself."""
    text = " ".join(str(message).split())
    if len(text) > 500:
        text = text[:499] + "…"
    try:
        print(f"{prefix}{text}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """After a broken pipe: send what is left to /dev/null so Python's exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
