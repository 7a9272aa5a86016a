"""``pelvisim anatomy`` and ``pelvisim meshes build | import``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pelvisim.errors import ParameterError

IMPORT_PNG = "import_check.png"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``anatomy`` and ``meshes``."""
    p = subparsers.add_parser("anatomy", help="bones, landmarks and dimensions of the anatomy; picture with --png",
                              description="Report the anatomy: bones, landmarks (mm, pelvic frame) and dimensions.")
    p.add_argument("--anatomy", metavar="DIR", help="a folder of your own bones (default: the bundled mean pelvis)")
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
                        f"({IMPORT_PNG}) to this folder (never the input folder)")
    i.add_argument("--png", metavar="FILE", help=f"write the three-view check picture here (default with -o: OUT/{IMPORT_PNG})")
    i.add_argument("--no-png", action="store_true", help="do not write the check picture")
    i.add_argument("--clear-joints", action="store_true",
                   help="where the sacrum and an ilium overlap, move the sacrum 0.3 mm clear (as for the bundled bones)")
    i.add_argument("--overwrite", action="store_true", help="replace pelvisim's files in OUT (other files are never touched)")
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
    from pelvisim.anatomy import load_anatomy

    if args.png and Path(args.png).exists() and not args.overwrite:
        raise ParameterError(f"{args.png} exists; pass --overwrite to replace it")
    anatomy = load_anatomy(args.anatomy)
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

        anatomy_png(anatomy, Path(args.png))
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

    folder = Path(args.folder)
    out = Path(args.output) if args.output else None
    png = Path(args.png) if args.png else (out / IMPORT_PNG if out is not None else None)
    if args.no_png:
        png = None
    if out is not None:
        check_import_output(folder, out, args.overwrite, png)
    elif png is not None and png.exists() and not args.overwrite:
        raise ParameterError(f"{png} exists; pass --overwrite to replace it")
    report = load_user_anatomy(folder, clear_joints=args.clear_joints)
    for line in report.lines():
        print(line)
    if out is not None:
        write_import(report.anatomy, out)
        print(f"Wrote {len(report.anatomy.bones)} bones (PLY, pelvic frame, mm) and landmarks.json to {out}")
    if png is not None:
        from pelvisim.view.snapshots import anatomy_png

        anatomy_png(report.anatomy, png)
        print(f"Wrote {png} (anterior, right lateral and superior views of the pelvis with the main landmarks): "
              "check it")
    elif out is None:
        print("Add -o OUT to write the imported bones, or --png FILE to see the landmarks on the bones.")
    return 0


def import_files(anatomy) -> list[str]:
    """Names of the files ``meshes import -o`` writes for an anatomy."""
    return [f"{name}.ply" for name in anatomy.bones] + ["landmarks.json"]


def check_import_output(folder: Path, out: Path, overwrite: bool, png: Path | None) -> None:
    """Refuse an output folder that is the input folder, or holds files pelvisim would replace.

    Checked before any work, so nothing of the user's is lost: the input meshes are never written
    over, other files in OUT are never touched, and pelvisim's own files are replaced only with
    ``--overwrite``.
    """
    from pelvisim.anatomy.core import BONES
    from pelvisim.anatomy.mesh_files import MESH_EXTENSIONS

    if out.exists() and not out.is_dir():
        raise ParameterError(f"{out}: exists and is not a folder; -o takes a folder")
    if folder.exists() and out.exists() and out.resolve() == folder.resolve():
        raise ParameterError(f"{out}: -o is the input folder; pelvisim never writes over your meshes: "
                             "choose another folder")
    if not out.exists():
        return
    ours = {f"{bone}.ply" for bone in BONES} | {"landmarks.json"}
    clash = [p.name for p in sorted(out.iterdir()) if p.stem in BONES and p.suffix.lower() in MESH_EXTENSIONS
             and p.name not in ours]
    if clash:
        raise ParameterError(f"{out}: holds {', '.join(clash)}; writing pelvisim's PLY meshes next to it would give a "
                             "bone two meshes: choose an empty folder")
    existing = [name for name in sorted(ours | {"landmarks.csv"}) if (out / name).exists()]
    if png is not None and png.exists():
        existing.append(png.name)
    if "landmarks.csv" in existing:
        raise ParameterError(f"{out}: holds landmarks.csv; pelvisim writes landmarks.json and a folder may hold only "
                             "one landmark file: choose an empty folder")
    if existing and not overwrite:
        raise ParameterError(f"{out / existing[0]} exists ({len(existing)} of the files to write exist); "
                             "pass --overwrite to replace them")


def write_import(anatomy, out: Path) -> None:
    """Write the bones (PLY) and ``landmarks.json`` to ``out``, all or nothing.

    Everything is written into a private temporary folder inside ``out`` first (same file system),
    then moved into place with ``os.replace``; a failure leaves ``out`` as it was.
    """
    import os
    import shutil
    import tempfile

    from pelvisim.anatomy.ply import write_ply

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pelvisim-import-", dir=out))
    try:
        for name, bone in anatomy.bones.items():
            write_ply(staging / f"{name}.ply", bone.vertices_mm, bone.faces,
                      comment="imported by pelvisim; pelvic frame, mm")
        payload = {
            "frame": "ISB pelvic frame (Wu 2002): +X anterior, +Y superior, +Z right, origin mid-ASIS; mm",
            "source": anatomy.source,
            "landmarks": {n: landmark_entry(lm) for n, lm in anatomy.landmarks.items()},
        }
        (staging / "landmarks.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        for name in import_files(anatomy):
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
