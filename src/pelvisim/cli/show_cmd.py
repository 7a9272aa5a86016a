"""``pelvisim show [SCENE]``: the desktop app (panels, sliders, gait playback, presentation mode)."""

from __future__ import annotations

import argparse
import os
import re
import sys

from pelvisim.cli.anatomy_options import add_anatomy_options, anatomy_spec, load_anatomy_from_args
from pelvisim.errors import DisplayError, ParameterError


def _display_available() -> bool:
    """Same rule as :func:`pelvisim.view.app.display_available`, without importing Qt."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected a window size like 1280x720, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``show`` to the command line."""
    parser = subparsers.add_parser(
        "show",
        help="open the interactive window",
        description=(
            "Open the pelvisim window: positional models side by side (1-4 panels), parameter sliders, "
            "gait playback, overlays, view presets and presentation mode (F5). Press ? in the window "
            "for the keyboard map. Needs a display; without one, use `pelvisim render`."
        ),
    )
    parser.add_argument("scene", nargs="?", help="scene file (.toml); PageDown/PageUp step through its folder")
    parser.add_argument("--model", "-m", action="append", default=[], metavar="MODEL",
                        help="positional model to show (repeat for up to 4 panels side by side)")
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window to this PNG and exit")
    parser.add_argument("--size", type=_size, default=(1280, 720), metavar="WxH",
                        help="window size in pixels (default 1280x720)")
    parser.add_argument("--presentation", action="store_true",
                        help="start in presentation mode (full screen, large text, controls hidden)")
    add_anatomy_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Open the window (imports Qt and pyvista only now, so other commands stay light)."""
    if args.scene and args.model:
        raise ParameterError("give either a scene file or --model, not both")
    if len(args.model) > 4:
        raise ParameterError(f"at most 4 panels side by side, got {len(args.model)} --model options")
    if not _display_available():  # before importing Qt/pyvista: one line, exit code 2, no traceback
        raise DisplayError(
            "no display found (DISPLAY / WAYLAND_DISPLAY not set), so the window cannot open; "
            "use `pelvisim render SCENE -o video.mp4` to render without a screen"
        )
    spec = anatomy_spec(args)  # checked before the window opens
    from pelvisim.view import app

    return app.run(args.scene, screenshot=args.screenshot, size=args.size, models=args.model,
                   presentation=args.presentation, **({"anatomy": load_anatomy_from_args(args)} if spec else {}))
