"""Import each of the 26 LLP26 training subjects as if they were a user's own bones.

Run ``python benchmarks/user_import_subjects.py [--keep DIR]``. Each subject's pelvis is evaluated
from the shape model of ``musculoskeletal-models`` (the same Lagrange elements as the bundled mean
pelvis, at a coarser 8 subdivisions per element edge), written as binary STL in the dataset's CT
frame (not the pelvic frame, no landmark file), and imported with
:func:`pelvisim.anatomy.user.load_user_anatomy`. Printed: which subjects import, and per landmark
the median / 90th percentile / largest distance between the rule's point and the fitted mean
pelvis's point (the figures behind ``CONFIDENCE_MM`` in pelvisim.anatomy.user), and the CPU time.

Needs the population work's shape-model reader (``pelvisim.anatomy.shape_model``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from pelvisim.errors import PelvisimError


def write_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Binary STL (every triangle with its own corners)."""
    records = np.zeros(len(faces), dtype=[("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attr", "<u2")])
    records["corners"] = vertices[faces]
    path.write_bytes(b"LLP26 subject".ljust(80, b" ") + np.uint32(len(faces)).tobytes() + records.tobytes())


def subject_folder(k: int, model, pelvis, folder: Path) -> Path:
    """The pelvis of subject ``k`` (1-based) as three STL files in the CT frame."""
    from pelvisim.anatomy import build
    from pelvisim.anatomy.atlas import triangulate
    from pelvisim.anatomy.shape_model import PELVIS_NODES

    atlas = replace(pelvis, nodes_mm=model.as_nodes(model.subject_flat(k))[PELVIS_NODES])
    hemis = [build._surface(*triangulate(atlas, r, 8), "hemipelvis") for r in build.HEMIPELVIS_ELEMENTS]
    sacrum = build._surface(*triangulate(atlas, build.SACRUM_ELEMENTS, 8), "sacrum")
    right = np.cross(build.CT_ANTERIOR, build.CT_SUPERIOR)  # right = anterior × superior
    centres = [h.vertices.mean(axis=0) for h in hemis]
    r = 0 if (centres[0] - centres[1]) @ right > 0 else 1
    folder.mkdir(parents=True, exist_ok=True)
    for name, surface in (("sacrum", sacrum), ("innominate_right", hemis[r]), ("innominate_left", hemis[1 - r])):
        write_stl(folder / f"{name}.stl", surface.vertices, surface.faces)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="write the subject folders here (default: a temporary folder)")
    args = parser.parse_args()
    try:
        from pelvisim.anatomy.shape_model import read_shape_model
    except ImportError:
        print("pelvisim.anatomy.shape_model is not installed here (the population work); nothing measured")
        return 0
    from pelvisim.anatomy import build
    from pelvisim.anatomy.user import load_user_anatomy

    model = read_shape_model()
    pelvis = build.read_atlas(*(build.dataset_file(f) for f in build.PELVIS_FILES))
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="llp26-import-"))
    agreement: dict[str, list[float]] = {}
    for k in range(1, 27):
        folder = subject_folder(k, model, pelvis, root / f"subject_{k:02d}")
        started = time.process_time()
        try:
            report = load_user_anatomy(folder)
        except PelvisimError as error:
            print(f"subject {k:2d}: refused: {error}")
            continue
        low = [n for n, c in report.checks.items() if c.confidence == "low"]
        print(f"subject {k:2d}: imported in {time.process_time() - started:.1f} s CPU; "
              f"inter-ASIS {report.dimensions['inter_asis_mm']:.0f} mm; low confidence: {', '.join(low) or 'none'}")
        for name, check in report.checks.items():
            if check.agreement_mm is not None:
                agreement.setdefault(name, []).append(check.agreement_mm)
    print(f"\n{'landmark':<42} {'median':>7} {'p90':>7} {'max':>7}  (rule vs fitted mean pelvis, mm)")
    for name, values in sorted(agreement.items(), key=lambda item: -float(np.median(item[1]))):
        print(f"{name:<42} {np.median(values):7.1f} {np.percentile(values, 90):7.1f} {max(values):7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
