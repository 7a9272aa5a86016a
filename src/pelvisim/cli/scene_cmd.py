"""``pelvisim scene check FILE...`` and ``pelvisim scene list``."""

from __future__ import annotations

import argparse
import sys

from pelvisim.errors import PelvisimError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``scene`` sub-command with ``check`` and ``list``."""
    scene = subparsers.add_parser("scene", help="check scene files; list the bundled scenes",
                                  description="Check scene files (TOML) without rendering them, or list the scenes "
                                              "bundled with pelvisim. The format is described in docs/scenes.md.")
    sub = scene.add_subparsers(dest="scene_command", metavar="ACTION")
    check = sub.add_parser("check", help="validate scene files (errors give file:line, key and what was expected)",
                           description="Validate each scene file: prints one 'ok' line per valid file and one error "
                                       "line (file:line: key: what was expected) per invalid one; exit code 2 if any is "
                                       "invalid.")
    check.add_argument("files", nargs="+", metavar="FILE", help="scene files or bundled scene names")
    check.set_defaults(func=run_check)
    listing = sub.add_parser("list", help="list the bundled scenes",
                             description="List the scenes bundled with pelvisim, with their titles; use a name "
                                         "wherever a scene file is expected (pelvisim render flagship -o clip.mp4).")
    listing.set_defaults(func=run_list)
    scene.set_defaults(func=lambda args: (scene.print_help(), 2)[1])


def run_check(args: argparse.Namespace) -> int:
    """Validate every file; print one line per file; exit 2 if any is invalid."""
    from pelvisim.scene import caption_warnings, load

    failed = 0
    for name in args.files:
        try:
            scene = load(name)
        except PelvisimError as error:
            print(f"pelvisim: error: {error}", file=sys.stderr)
            failed += 1
            continue
        models = ", ".join(p.model for p in scene.panels)
        print(f"ok  {name}: {scene.title!r} — {len(scene.panels)} panel(s) ({models}), "
              f"{scene.timeline.kind} timeline, {scene.duration_s:g} s")
        for warning in caption_warnings(scene):
            print(f"warning: {name}: {warning}", file=sys.stderr)
    return 2 if failed else 0


def run_list(args: argparse.Namespace) -> int:
    """Print the bundled scenes with their titles."""
    from pelvisim.scene import bundled_scene_names, load

    for name in bundled_scene_names():
        try:
            title = load(name).title
        except PelvisimError as error:
            title = f"(invalid: {error})"
        print(f"{name:34s} {title}")
    return 0
