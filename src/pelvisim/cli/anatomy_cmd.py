"""``pelvisim anatomy`` and ``pelvisim meshes build | import``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pelvisim.cli.anatomy_options import add_anatomy_options, load_anatomy_from_args
from pelvisim.errors import ParameterError


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
    i = msub.add_parser("import", help="check a folder of your own bones and landmarks")
    i.add_argument("folder", metavar="DIR")
    i.add_argument("-o", "--output", metavar="DIR", help="write the bones, moved into the pelvic frame in mm, here")
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
    if args.png and Path(args.png).exists() and not args.overwrite:
        raise ParameterError(f"{args.png} exists; pass --overwrite to replace it")
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
    from pelvisim.anatomy.ply import write_ply
    from pelvisim.anatomy.user import load_user_anatomy

    report = load_user_anatomy(Path(args.folder))
    for line in report.lines():
        print(line)
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        for name, bone in report.anatomy.bones.items():
            write_ply(out / f"{name}.ply", bone.vertices_mm, bone.faces, comment="imported by pelvisim; pelvic frame, mm")
        payload = {"source": report.anatomy.source, "landmarks": {
            n: {"bone": lm.bone, "position_mm": lm.position_mm.round(4).tolist(),
                **({"normal": lm.normal.round(6).tolist()} if lm.normal is not None else {}),
                **({"radius_mm": lm.radius_mm} if lm.radius_mm is not None else {})}
            for n, lm in report.anatomy.landmarks.items()}}
        (out / "landmarks.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"Wrote {len(report.anatomy.bones)} bones and landmarks.json to {out}")
    return 0
