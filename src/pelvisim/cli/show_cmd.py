"""``pelvisim show [SCENE]``: the desktop app (panels, sliders, gait playback, presentation mode)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from pelvisim.cli.anatomy_options import add_anatomy_options, anatomy_spec, load_anatomy_from_args
from pelvisim.errors import DisplayError, ParameterError
from pelvisim.output import check_writable
from pelvisim.scene import find_scene


def _display_available() -> bool:
    """Same rule as :func:`pelvisim.view.app.display_available`, without importing Qt."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,5})\s*[x×]\s*(\d{1,5})\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected a window size like 1280x720, got {text[:40]!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise argparse.ArgumentTypeError(f"expected a window from 320x240 to 7680x4320 pixels, got {width}x{height}")
    return width, height


def x_display_problem(display: str) -> str | None:
    """Why no X server answers at ``display`` (e.g. ``":99"``), or None when one does or we cannot tell.

    Asks libxcb, as Qt's xcb plugin will: when the connection fails Qt aborts the whole process
    (exit code 134) with a misleading hint about a missing library, so we check first. Displays on
    other hosts (``host:0``) are not checked (a dead host could take minutes to time out).
    """
    host = display.rpartition(":")[0] if ":" in display else ""
    if not display or host not in ("", "unix", "localhost", "127.0.0.1"):
        return None
    import ctypes
    import ctypes.util

    try:
        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
    except OSError:
        return None  # no libxcb: Qt's own message names it
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        code = xcb.xcb_connection_has_error(connection)
    finally:
        xcb.xcb_disconnect(connection)
    if code == 0:
        return None
    # xcb_connection_has_error codes: XCB_CONN_ERROR, ..._PARSE_ERR, ..._INVALID_SCREEN
    reasons = {1: "no X server answers there (or it refused the connection)", 5: "not a valid display name",
               6: "no such screen on that display"}
    return reasons.get(code, "the connection failed")


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
    parser.add_argument("scene", nargs="?",
                        help="scene file (.toml) or bundled scene name; PageDown/PageUp step through its folder")
    parser.add_argument("--model", "-m", action="append", default=[], metavar="MODEL",
                        help="positional model to show (repeat for up to 4 panels side by side)")
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window to this PNG and exit")
    parser.add_argument("--overwrite", action="store_true", help="replace the --screenshot file if it exists")
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
    scene = str(find_scene(args.scene)) if args.scene else None  # a file or a bundled scene name
    if args.screenshot:
        if Path(args.screenshot).suffix.lower() != ".png":
            raise ParameterError(f"{args.screenshot}: a screenshot must be a .png file")
        check_writable(Path(args.screenshot), overwrite=args.overwrite)
    if not _display_available():  # before importing Qt/pyvista: one line, exit code 2, no traceback
        raise DisplayError(
            "no display found (DISPLAY / WAYLAND_DISPLAY not set), so the window cannot open; "
            "use `pelvisim render SCENE -o video.mp4` to render without a screen"
        )
    spec = anatomy_spec(args)  # checked before the window opens
    display = os.environ.get("DISPLAY", "")
    if os.environ.get("QT_QPA_PLATFORM", "xcb") == "xcb" and not os.environ.get("WAYLAND_DISPLAY") and display:
        problem = x_display_problem(display)
        if problem:
            raise DisplayError(f"cannot connect to display {display}: {problem}; start the app on a desktop, or use "
                               "`pelvisim render SCENE -o video.mp4` to render without a screen")
    from pelvisim.view import app

    return app.run(scene, screenshot=args.screenshot, size=args.size, models=args.model,
                   presentation=args.presentation, **({"anatomy": load_anatomy_from_args(args)} if spec else {}))
