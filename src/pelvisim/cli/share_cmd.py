"""``pelvisim share SCENE -o lesson.html``: one self-contained web page per scene."""

from __future__ import annotations

import argparse
from pathlib import Path

from pelvisim.cli.anatomy_options import add_anatomy_options, anatomy_spec, load_anatomy_from_args
from pelvisim.errors import ParameterError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``share`` sub-command."""
    share = subparsers.add_parser(
        "share", help="write a lesson page: one HTML file that opens offline in any browser",
        description="Write SCENE (a .toml file or a bundled scene name) as one self-contained HTML page: the bones, "
                    "panels, captions, timeline, sliders, view presets and true-scale readouts. Nothing is "
                    "downloaded when it is viewed; hand the file out (e.g. upload it to a learning platform).",
    )
    share.add_argument("scenes", nargs="+", metavar="SCENE", help="scene file or bundled scene name (several: -o is a folder)")
    share.add_argument("-o", "--output", required=True, help="output .html; with several scenes, an existing folder")
    share.add_argument("--grid", type=int, default=None, metavar="N",
                       help="values computed per slider over its range (default 13; fewer make smaller pages)")
    share.add_argument("--phase-samples", type=int, default=None, metavar="N",
                       help="samples per gait cycle (default 48)")
    share.add_argument("--max-mb", type=float, default=None, metavar="MB",
                       help="page size budget (default 10): the model's other sliders are coarsened or left out to fit; "
                            "0 for no budget")
    share.add_argument("--overwrite", action="store_true", help="replace existing pages")
    add_anatomy_options(share)
    share.set_defaults(func=run_share)


def run_share(args: argparse.Namespace) -> int:
    """Write one page per scene and say how big each is."""
    from pelvisim.scene import find_scene
    from pelvisim.web import Resolution, write_page

    defaults = Resolution()
    resolution = Resolution(grid_points=args.grid if args.grid is not None else defaults.grid_points,
                            phase_samples=args.phase_samples if args.phase_samples is not None else defaults.phase_samples,
                            budget_mb=defaults.budget_mb if args.max_mb is None else (args.max_mb or None))
    if len(args.scenes) == 1:
        targets = [(args.scenes[0], Path(args.output))]
    else:
        folder = Path(args.output)
        if not folder.is_dir():
            raise ParameterError(f"{folder}: with several scenes, -o must be an existing folder")
        targets = [(s, folder / f"{find_scene(s).stem}.html") for s in args.scenes]
    # One anatomy for every panel when the options name one; else each panel's own (the scene's anatomy keys).
    anatomy = load_anatomy_from_args(args) if anatomy_spec(args) is not None else None
    for scene, path in targets:
        result = write_page(scene, path, anatomy=anatomy, resolution=resolution, overwrite=args.overwrite)
        print(f"wrote {result.path} ({result.size_bytes / 1e6:.1f} MB); it opens offline in any current browser")
        if result.budget_note:
            print(f"  {result.budget_note}")
    return 0
