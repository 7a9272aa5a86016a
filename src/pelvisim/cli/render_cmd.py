"""``pelvisim render`` (scene -> PNG / MP4 / GIF / PNG frames) and ``pelvisim export`` (scene -> CSV table)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pelvisim.errors import ParameterError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``render`` and ``export`` sub-commands."""
    render = subparsers.add_parser(
        "render", help="render a scene offscreen to PNG, MP4, GIF or a folder of PNG frames",
        description="Render SCENE (a .toml file or the name of a bundled scene, see `pelvisim scene list`) offscreen.",
    )
    render.add_argument("scenes", nargs="+", metavar="SCENE", help="scene file or bundled scene name (several with --jobs)")
    render.add_argument("-o", "--output", required=True,
                        help="output .png, .mp4 or .gif (a folder with --frames); with several scenes, a folder")
    render.add_argument("--frames", action="store_true", help="write a folder of PNG frames")
    render.add_argument("--size", default=None, help="720p, 1080p, 4k or WxH (rounded to multiples of 16)")
    render.add_argument("--fps", type=int, default=None, help="frames per second (default: the scene's)")
    render.add_argument("--cycles", type=float, default=None, help="gait cycles (gait timelines)")
    render.add_argument("--start", type=float, default=None, help="start time in seconds of the timeline")
    render.add_argument("--end", type=float, default=None, help="end time in seconds of the timeline")
    render.add_argument("--magnification", type=float, default=None, help="display factor for every panel (1 = true scale)")
    render.add_argument("--quality", choices=("draft", "final"), default=None,
                        help="draft: no anti-aliasing (fast); final: MSAA")
    render.add_argument("--title-card", type=float, default=None, metavar="SECONDS", help="title card length (0 = none)")
    render.add_argument("--overwrite", action="store_true", help="replace an existing output")
    render.add_argument("--jobs", type=int, default=1, help="scenes rendered in parallel processes (default 1)")
    render.set_defaults(func=run_render)

    export = subparsers.add_parser(
        "export", help="table of landmark positions and descriptors per phase and panel (CSV)",
    )
    export.add_argument("scene", metavar="SCENE", help="scene file or bundled scene name")
    export.add_argument("-o", "--output", required=True, help="output .csv")
    export.add_argument("--plot", default=None, metavar="PNG", help="also plot descriptors against gait phase")
    export.add_argument("--fps", type=int, default=None, help="rows per second of timeline (default: the scene's fps)")
    export.add_argument("--cycles", type=float, default=None, help="gait cycles (gait timelines)")
    export.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    export.set_defaults(func=run_export)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return dict(frames=args.frames, size=args.size, fps=args.fps, cycles=args.cycles, start_s=args.start, end_s=args.end,
                magnification=args.magnification, quality=args.quality, title_card_s=args.title_card,
                overwrite=args.overwrite)


def run_render(args: argparse.Namespace) -> int:
    """Render one scene, or several into a folder (``--jobs`` in parallel)."""
    from pelvisim.scene import find_scene
    from pelvisim.view.render import render, render_many

    if args.jobs < 1:
        raise ParameterError(f"--jobs must be >= 1, got {args.jobs}")
    options = _options(args)
    if len(args.scenes) == 1:
        result = render(args.scenes[0], args.output, **options)
        print(f"wrote {result.path} ({result.n_frames} frame{'s' if result.n_frames != 1 else ''}, "
              f"{result.size[0]}x{result.size[1]}, {result.seconds:.1f} s)")
        return 0
    folder = Path(args.output)
    if not folder.is_dir():
        raise ParameterError(f"{folder}: with several scenes, -o must be an existing folder")
    suffix = "" if args.frames else ".mp4"
    jobs = [(str(find_scene(s)), str(folder / f"{Path(s).stem}{suffix}"), options) for s in args.scenes]
    for path, n, seconds in render_many(jobs, n_jobs=args.jobs):
        print(f"wrote {path} ({n} frames, {seconds:.1f} s)")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the CSV table (and optionally the plot)."""
    from pelvisim import load_anatomy
    from pelvisim.scene import frame_times, load, table_rows, write_table

    out = Path(args.output)
    if out.suffix.lower() != ".csv":
        raise ParameterError(f"{out}: expected an output ending in .csv")
    for path in (out, Path(args.plot) if args.plot else None):
        if path is not None and path.exists() and not args.overwrite:
            raise ParameterError(f"{path} exists; pass --overwrite to replace it")
    if args.plot and Path(args.plot).suffix.lower() != ".png":
        raise ParameterError(f"{args.plot}: expected a plot ending in .png")
    scene = load(args.scene).with_overrides(cycles=args.cycles, fps=args.fps)
    rows = list(table_rows(scene, load_anatomy(), frame_times(scene)))
    write_table(rows, out)
    print(f"wrote {out} ({len(rows)} rows)")
    if args.plot:
        plot_table(rows, scene, args.plot)
        print(f"wrote {args.plot}")
    return 0


PLOTTED = (
    ("sacrum.nutation_deg", "sacral nutation (°)"),
    ("sacrum.rotation_left_deg", "sacral rotation left (°)"),
    ("innominate_left.anterior_rotation_deg", "L innominate anterior rotation (°)"),
    ("innominate_right.anterior_rotation_deg", "R innominate anterior rotation (°)"),
    ("innominate_left.inflare_deg", "L inflare (°)"),
    ("innominate_right.inflare_deg", "R inflare (°)"),
)


def plot_table(rows: list[dict[str, Any]], scene: Any, path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Plot the main descriptors of every panel against gait phase, with the gait events marked.

    The PNG is written atomically (:func:`pelvisim.output.atomic_path`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pelvisim import gait
    from pelvisim.output import atomic_path

    path = Path(path)
    fig, axes = plt.subplots(len(PLOTTED), 1, figsize=(8, 1.7 * len(PLOTTED)), sharex=True)
    for ax, (key, label) in zip(axes, PLOTTED):
        for index, panel in enumerate(scene.panels):
            points = sorted((r["phase"], r.get(key, float("nan"))) for r in rows if r["panel"] == index + 1)
            ax.plot([p for p, _ in points], [v for _, v in points], label=panel.label, lw=1.5)
        for event in gait.EVENTS:
            ax.axvline(event.phase, color="0.6", lw=0.8, ls="--")
        ax.set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
        ax.grid(alpha=0.3)
    for event in gait.EVENTS:
        axes[0].text(event.phase, 1.02, event.name.replace("_", " "), transform=axes[0].get_xaxis_transform(),
                     fontsize=7, rotation=20, ha="left", va="bottom")
    axes[-1].set_xlabel("gait phase (0 = right initial contact)")
    axes[-1].set_xlim(0, 1)
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"{scene.title} — true-scale descriptors", fontsize=10, y=0.995)
    fig.tight_layout()
    try:
        with atomic_path(path, overwrite=overwrite) as temporary, open(temporary, "r+b") as handle:
            fig.savefig(handle, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path
