"""The ``pelvisim`` command line.

Each sub-command lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``func`` (``args -> exit code``). Errors pelvisim raises on purpose are printed as
one line; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pelvisim import __version__
from pelvisim.errors import PelvisimError

# Sub-command modules, in the order ``pelvisim --help`` lists them.
COMMAND_MODULES = (
    "pelvisim.cli.show_cmd",
    "pelvisim.cli.render_cmd",
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
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PelvisimError as error:
        print(f"pelvisim: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pelvisim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
