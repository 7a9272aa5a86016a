"""``pelvisim render`` (scene -> PNG / MP4 / GIF / PNG frames) and ``pelvisim export`` (scene -> CSV table)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pelvisim.cli.anatomy_options import add_anatomy_options, anatomy_spec, load_anatomy_from_args
from pelvisim.errors import ParameterError


EXPORT_MS_PER_ROW = 2.5
"""Time per row of ``export`` (one panel at one time): 1.2-2.4 ms measured on the bundled scenes
on a 2-core machine; used only to announce exports that take over a minute."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``render`` and ``export`` sub-commands."""
    render = subparsers.add_parser(
        "render", help="render a scene offscreen to PNG, MP4, GIF or a folder of PNG frames",
        description="Render SCENE (a .toml file or the name of a bundled scene, see `pelvisim scene list`) offscreen. "
                    "The output appears only when complete: an error, Ctrl-C or SIGTERM leaves no partial file and an "
                    "existing output as it was. Renders expected to take over a minute are announced first.",
    )
    render.add_argument("scenes", nargs="+", metavar="SCENE", help="scene file or bundled scene name (several with --jobs)")
    render.add_argument("-o", "--output", required=True,
                        help="output .png, .mp4 or .gif (a folder with --frames); with several scenes, a folder")
    render.add_argument("--frames", action="store_true", help="write a folder of PNG frames")
    render.add_argument("--size", default=None, help="720p, 1080p, 4k or WxH, written exactly (odd numbers rounded down to "
                                                      "even; at most 4k's 8.3 megapixels)")
    render.add_argument("--fps", type=int, default=None, help="frames per second (default: the scene's)")
    render.add_argument("--cycles", type=float, default=None, help="gait cycles (gait timelines)")
    render.add_argument("--start", type=float, default=None, help="start time in seconds of the timeline")
    render.add_argument("--end", type=float, default=None, help="end time in seconds of the timeline")
    render.add_argument("--magnification", type=float, default=None,
                        help="display factor for every panel (1 = true scale, at most 1000)")
    render.add_argument("--quality", choices=("draft", "final"), default=None,
                        help="draft: no anti-aliasing (fast); final: MSAA")
    render.add_argument("--title-card", type=float, default=None, metavar="SECONDS", help="title card length, 0 to 60 (0 = none)")
    render.add_argument("--overwrite", action="store_true",
                        help="replace an existing output (with --frames: only a folder holding nothing but frame_NNNNN.png)")
    render.add_argument("--turntable", action="store_true",
                        help="orbit the camera once (8 s) around the pose at the still time instead of playing the timeline")
    render.add_argument("--jobs", type=int, default=1, help="scenes rendered in parallel processes (default 1)")
    add_anatomy_options(render)
    render.set_defaults(func=run_render)

    export = subparsers.add_parser(
        "export", help="table of landmark positions and descriptors per phase and panel (CSV)",
        description="Write a CSV table of SCENE: one row per frame time and panel with the time, gait phase, every "
                    "landmark position (mm, pelvic frame) and every numeric descriptor, all at true scale. --plot also "
                    "draws the main descriptors against gait phase. Files appear only when complete.",
    )
    export.add_argument("scene", metavar="SCENE", help="scene file or bundled scene name")
    export.add_argument("-o", "--output", required=True, help="output .csv")
    export.add_argument("--plot", default=None, metavar="PNG", help="also plot descriptors against gait phase")
    export.add_argument("--fps", type=int, default=None, help="rows per second of timeline (default: the scene's fps)")
    export.add_argument("--cycles", type=float, default=None, help="gait cycles (gait timelines)")
    export.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    add_anatomy_options(export)
    export.set_defaults(func=run_export)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return dict(frames=args.frames, size=args.size, fps=args.fps, cycles=args.cycles, start_s=args.start, end_s=args.end,
                magnification=args.magnification, quality=args.quality, title_card_s=args.title_card,
                overwrite=args.overwrite, turntable=args.turntable,
                **({"anatomy": spec} if (spec := anatomy_spec(args)) else {}))


def run_render(args: argparse.Namespace) -> int:
    """Render one scene, or several into a folder (``--jobs`` in parallel)."""
    from pelvisim.output import check_writable
    from pelvisim.scene import find_scene

    if args.jobs < 1:
        raise ParameterError(f"--jobs must be >= 1, got {args.jobs}")
    if len(args.scenes) == 1 and not args.frames and Path(args.output).suffix.lower() in (".png", ".mp4", ".gif"):
        check_writable(Path(args.output), overwrite=args.overwrite)  # before the second it takes to import VTK
    from pelvisim.view.render import render, render_many

    options = _options(args)
    if len(args.scenes) == 1:
        print(summary(render(args.scenes[0], args.output, **options)))
        return 0
    folder = Path(args.output)
    if not folder.is_dir():
        raise ParameterError(f"{folder}: with several scenes, -o must be an existing folder")
    suffix = "" if args.frames else ".mp4"
    jobs = [(str(find_scene(s)), str(folder / f"{Path(s).stem}{suffix}"), options) for s in args.scenes]
    for result in render_many(jobs, n_jobs=args.jobs):
        print(summary(result))
    return 0


def summary(result: Any) -> str:
    """``wrote clip.mp4 (180 frames, 1280x720, 6.0 s of video, 2.1 MB) in 9.9 s``."""
    from pelvisim.view.writers import size_text

    if result.video_s > 0:
        what = f"{result.n_frames} frames, {result.size[0]}x{result.size[1]}, {result.video_s:.1f} s of video"
    else:
        what = f"{result.size[0]}x{result.size[1]}"
    return f"wrote {result.path} ({what}, {size_text(result.n_bytes)}) in {result.seconds:.1f} s"


def run_export(args: argparse.Namespace) -> int:
    """Write the CSV table (and optionally the plot)."""
    from pelvisim.scene import frame_times, load, table_rows, write_table

    from pelvisim.output import check_writable

    out = Path(args.output)
    if out.suffix.lower() != ".csv":
        raise ParameterError(f"{out}: expected an output ending in .csv")
    if args.plot and Path(args.plot).suffix.lower() != ".png":
        raise ParameterError(f"{args.plot}: expected a plot ending in .png")
    for path in (out, Path(args.plot) if args.plot else None):
        if path is not None:
            check_writable(path, overwrite=args.overwrite)  # before the work: exists, folder, read-only
    scene = load(args.scene).with_overrides(cycles=args.cycles, fps=args.fps)
    times = frame_times(scene)
    n_rows = len(times) * len(scene.panels)
    seconds = n_rows * EXPORT_MS_PER_ROW / 1000.0
    if seconds > 60:
        print(f"pelvisim: {scene.name or 'scene'} → {out.name}: {n_rows:,} rows, about {seconds / 60:.0f} min to compute "
              "(Ctrl-C stops it and leaves no file)", file=sys.stderr, flush=True)
    rows = list(table_rows(scene, load_anatomy_from_args(args) if anatomy_spec(args) else None, times))
    write_table(rows, out, overwrite=args.overwrite)
    print(f"wrote {out} ({len(rows)} rows)")
    if args.plot:
        plot_table(rows, scene, args.plot, overwrite=args.overwrite)
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
