"""``pelvisim anatomy`` and ``pelvisim meshes build | import``."""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from pelvisim.cli.anatomy_options import add_anatomy_options, load_anatomy_from_args
from pelvisim.errors import ParameterError

IMPORT_PNG = "import_check.png"
IMPORT_OWN_FILES = re.compile(r"(sacrum|innominate_left|innominate_right|femur_left|femur_right)\.ply"
                              r"|landmarks\.json|import_check\.png")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``anatomy`` and ``meshes``."""
    p = subparsers.add_parser("anatomy", help="bones, landmarks and dimensions of the anatomy; picture with --png",
                              description="Report the anatomy: bones, landmarks (mm, pelvic frame) and dimensions.")
    add_anatomy_options(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--png", metavar="FILE", help="also write anterior, lateral and superior views to FILE")
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=_anatomy)

    m = subparsers.add_parser("meshes", help="rebuild the bundled bones, or import your own",
                              description="Rebuild the bundled meshes from the musculoskeletal-models dataset, "
                                          "or check and import a folder of your own bones.")
    msub = m.add_subparsers(dest="meshes_command", metavar="ACTION", required=True)
    b = msub.add_parser("build", help="rebuild the bundled meshes from the installed dataset")
    b.add_argument("-o", "--output", metavar="DIR", help="write here instead of the package's meshes folder")
    b.set_defaults(func=_build)
    i = msub.add_parser("import", help="check a folder of your own bones, find their landmarks, write them",
                        description="Read a folder of bone meshes (sacrum, innominate_left, innominate_right; "
                                    "optional femur_left, femur_right; STL, OBJ, PLY, VTP or VTK; any frame; mm or m), "
                                    "find every landmark, check the anatomy and print each landmark with a "
                                    "confidence. An optional landmarks.json or landmarks.csv in the folder overrides "
                                    "landmarks. See docs/anatomy.md.")
    i.add_argument("folder", metavar="DIR")
    i.add_argument("-o", "--output", metavar="OUT",
                   help="write the bones (pelvic frame, mm, PLY), landmarks.json and a check picture "
                        f"({IMPORT_PNG}) to this new folder (never the input folder; with --overwrite, the folder "
                        "of an earlier import)")
    i.add_argument("--png", metavar="FILE", help="write the three-view check picture to FILE")
    i.add_argument("--no-png", action="store_true", help="do not write the check picture")
    i.add_argument("--clear-joints", action="store_true",
                   help="where the sacrum and an ilium overlap, move the sacrum 0.3 mm clear (as for the bundled bones)")
    i.add_argument("--overwrite", action="store_true",
                   help="replace the folder of an earlier import (a folder holding anything else is refused)")
    i.set_defaults(func=_import)


def anatomy_report(anatomy) -> dict:
    """The JSON layout of ``pelvisim anatomy --json``."""
    from pelvisim.anatomy.dimensions import dimensions
    from pelvisim.anatomy.user import is_closed

    return {
        "source": anatomy.source,
        "bones": {name: {"triangles": bone.n_triangles, "closed": is_closed(bone.faces)}
                  for name, bone in anatomy.bones.items()},
        "landmarks": {name: [round(float(v), 2) for v in lm.position_mm] for name, lm in anatomy.landmarks.items()},
        "dimensions": dimensions(anatomy),
    }


def _anatomy(args: argparse.Namespace) -> int:
    if args.png:
        from pelvisim.output import check_writable

        check_writable(Path(args.png), overwrite=args.overwrite)  # before loading and rendering
    anatomy = load_anatomy_from_args(args)
    report = anatomy_report(anatomy)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"Anatomy: {report['source']}")
        for name, bone in report["bones"].items():
            print(f"  {name:<18} {bone['triangles']:>7} triangles  {'closed' if bone['closed'] else 'open'}")
        print("Dimensions:")
        for name, value in report["dimensions"].items():
            print(f"  {name:<38} {value:>8.1f}")
        print(f"Landmarks: {len(report['landmarks'])} (pelvic frame, mm; --json lists them)")
    if args.png:
        from pelvisim.view.snapshots import anatomy_png

        anatomy_png(anatomy, Path(args.png), overwrite=args.overwrite)
        if not args.json:
            print(f"Wrote {args.png}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from pelvisim.anatomy.build import write_meshes
    from pelvisim.anatomy.io import default_mesh_dir

    out = Path(args.output) if args.output else default_mesh_dir()
    sums = write_meshes(out)
    for name, digest in sums.items():
        print(f"{digest[:16]}  {out.name}/{name}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pelvisim.anatomy.user import load_user_anatomy
    from pelvisim.output import atomic_folder, check_writable

    folder = Path(args.folder)
    out = Path(args.output) if args.output else None
    png = None if args.no_png else (Path(args.png) if args.png else None)
    if out is not None:
        check_import_output(folder, out, args.overwrite)
    if png is not None:
        check_writable(png, overwrite=args.overwrite)
    report = load_user_anatomy(folder, clear_joints=args.clear_joints)
    for line in report.lines():
        print(line)
    if out is not None:
        from pelvisim.view.snapshots import anatomy_png

        with atomic_folder(out, own=IMPORT_OWN_FILES, what="import files",
                           overwrite=args.overwrite) as staging:
            write_import(report.anatomy, staging)
            if not args.no_png and png is None:
                anatomy_png(report.anatomy, staging / IMPORT_PNG, **check_marks(report))
        print(f"Wrote {len(report.anatomy.bones)} bones (PLY, pelvic frame, mm) and landmarks.json to {out}")
        if not args.no_png and png is None:
            print(f"Wrote {out / IMPORT_PNG} (anterior, right lateral and superior views: the main landmarks red, "
                  "medium confidence orange, low purple and named): check it")
    if png is not None:
        from pelvisim.view.snapshots import anatomy_png

        anatomy_png(report.anatomy, png, overwrite=args.overwrite, **check_marks(report))
        print(f"Wrote {png} (anterior, right lateral and superior views: the main landmarks red, medium confidence "
              "orange, low purple and named): check it")
    if out is None and png is None:
        print("Add -o OUT to write the imported bones, or --png FILE to see the landmarks on the bones.")
    return 0


CHECK_COLOURS = {"medium": "#e67e22", "low": "#8e44ad"}  # orange, purple (the usual landmarks are red)


def check_marks(report) -> dict:
    """``anatomy_png`` options marking the landmarks to check: medium confidence orange, low purple and named."""
    highlight = {n: CHECK_COLOURS[c.confidence] for n, c in report.checks.items() if c.confidence in CHECK_COLOURS}
    return {"highlight": highlight, "labelled": [n for n, colour in highlight.items() if colour == CHECK_COLOURS["low"]]}


def check_import_output(folder: Path, out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an output folder that is the input or holds anything of the user's.

    ``meshes import -o OUT`` fills OUT all at once (:func:`pelvisim.output.atomic_folder`): a new
    or empty folder, or, with ``--overwrite``, the folder of an earlier import (nothing in it but
    pelvisim's bones, landmarks.json and the check picture). The input meshes are never written over.
    """
    from pelvisim.output import check_folder_replaceable, check_writable

    if folder.exists() and os.path.lexists(out) and out.resolve() == folder.resolve():
        raise ParameterError(f"{out}: -o is the input folder; pelvisim never writes over your meshes: "
                             "choose a new folder")
    if os.path.lexists(out) and (out.is_symlink() or not out.is_dir()):
        raise ParameterError(f"{out}: exists and is not a folder; -o takes a new folder")
    if out.is_dir():
        check_folder_replaceable(out, IMPORT_OWN_FILES, "import files")
    check_writable(out, overwrite=overwrite, folder=True)


def write_import(anatomy, folder: Path) -> None:
    """Write the bones (binary PLY, pelvic frame, mm) and ``landmarks.json`` into ``folder``."""
    from pelvisim.anatomy.ply import write_ply

    for name, bone in anatomy.bones.items():
        write_ply(folder / f"{name}.ply", bone.vertices_mm, bone.faces, comment="imported by pelvisim; pelvic frame, mm")
    payload = {
        "frame": "ISB pelvic frame (Wu 2002): +X anterior, +Y superior, +Z right, origin mid-ASIS; mm",
        "source": anatomy.source,
        "landmarks": {n: landmark_entry(lm) for n, lm in anatomy.landmarks.items()},
    }
    (folder / "landmarks.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def landmark_entry(lm) -> dict:
    """One landmark as written to ``landmarks.json`` (mm)."""
    entry: dict = {"bone": lm.bone, "position_mm": [round(float(v), 4) for v in lm.position_mm]}
    if lm.normal is not None:
        entry["normal"] = [round(float(v), 6) for v in lm.normal]
    if lm.radius_mm is not None:
        entry["radius_mm"] = round(float(lm.radius_mm), 4)
    if lm.area_mm2 is not None:
        entry["area_mm2"] = round(float(lm.area_mm2), 2)
    return entry
