"""Build docs/population.md and docs/images/population.png: the 26 LLP26 subjects checked by pelvisim's rules.

Run from the repository root (the first run builds every subject, about 5–10 s each, then they are
cached)::

    python docs/make_population_report.py

For each subject it records the published-style dimensions against adult ranges (reference
BIOMECHANICS.md §8), the mirror asymmetry of every left/right landmark pair, the palpation
findings at neutral (what a hand would compare on this pelvis with no joint motion at all), the
sacroiliac gap, and an independent no-interpenetration check of both sacroiliac joints (ray parity
and edge crossings). The same for the first five shape modes at ±2 SD.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from pelvisim import frames
from pelvisim.anatomy import sources
from pelvisim.anatomy.build import check_disjoint
from pelvisim.anatomy.core import Anatomy
from pelvisim.anatomy.dimensions import dimensions
from pelvisim.anatomy.plausibility import landmark_checks
from pelvisim.anatomy.surface import Surface, closest_points_on_surface
from pelvisim.descriptors import describe
from pelvisim.errors import MeshError
from pelvisim.pose import NEUTRAL

HERE = Path(__file__).resolve().parent
OUT_MD = HERE / "population.md"
OUT_PNG = HERE / "images" / "population.png"
SUBJECTS = range(1, 27)
MODES = range(1, 6)
# published adult ranges (BIOMECHANICS.md §8): mean ± 2 SD where an SD is given
RANGES = {
    "inter_asis_mm": (227 - 32, 227 + 32, "227 ± 16 mm, CT, n = 200 (Skeletal Radiol 2009/10)"),
    "inter_hip_centre_mm": (160 - 16, 160 + 16, "160 ± 8 mm, same study"),
    "pelvic_incidence_deg": (32, 74, "53°, range 32–74°, n = 709 (Mac-Thiong 2011)"),
    "asis_psis_angle_deg": (13 - 10, 13 + 10, "13° (SD 5°) (Preece 2008); here with the APP vertical"),
    "acetabulum_radius_mm": (20, 30, "femoral head ≈ 50 mm across (radiographic studies)"),
}
FINDINGS = ("ASIS height difference", "PSIS height difference", "ASIS-PSIS tilt difference", "ILA height difference")


def surface(anatomy: Anatomy, bone: str) -> Surface:
    b = anatomy.bones[bone]
    return Surface(b.vertices_mm, b.faces)


def sij_figures(anatomy: Anatomy) -> dict[str, float | bool]:
    """Per side: disjoint (independent check), mean and smallest gap of the ilium's joint face."""
    sacrum = surface(anatomy, "sacrum")
    out: dict[str, float | bool] = {}
    for side in ("left", "right"):
        ilium = surface(anatomy, f"innominate_{side}")
        try:
            check_disjoint(sacrum, ilium, side)
            out[f"{side}_disjoint"] = True
        except MeshError:
            out[f"{side}_disjoint"] = False
        # the ilium's joint face: within 25 mm of its auricular centroid, facing the sacrum (as tests/test_anatomy.py)
        lm = anatomy.landmark(f"auricular_innominate_{side}_centroid")
        near = np.linalg.norm(ilium.vertices - lm.position_mm, axis=1) < 25
        facing = ilium.vertex_normals @ lm.normal > 0.5
        _, gap = closest_points_on_surface(ilium.vertices[near & facing], sacrum)
        out[f"{side}_gap_mean_mm"] = float(gap.mean())
        out[f"{side}_gap_min_mm"] = float(gap.min())
    return out


def mirror_pairs(anatomy: Anatomy) -> dict[str, float]:
    """|left − mirror(right)| for every left/right landmark pair, mm (pelvic frame: mirror is z → −z)."""
    out = {}
    for name in anatomy.landmarks:
        if "left" in name:
            twin = name.replace("left", "right")
            if twin in anatomy.landmarks:
                d = anatomy.point(name) - frames.mirror_points(anatomy.point(twin))
                out[name.replace("_left", "").replace("left_", "")] = float(np.linalg.norm(d))
    return out


def neutral_findings(anatomy: Anatomy) -> dict[str, float]:
    """Left-minus-right palpation differences at neutral (no joint motion), as the readout computes them."""
    return {f.name: f.at_pose for f in describe(anatomy, NEUTRAL).findings if f.name in FINDINGS}


def hips_level(anatomy: Anatomy) -> dict[str, float]:
    """Left-minus-right heights with the pelvis turned about its front-to-back axis until both hip
    centres are level (standing on legs of equal length), mm.

    The pelvic frame levels the two ASIS by its definition, so it hides an asymmetry of the ASIS
    themselves; on level hips it shows. Innominate height: iliac crest top to ischial tuberosity.
    """
    d = anatomy.point("acetabulum_centre_right") - anatomy.point("acetabulum_centre_left")
    angle = np.arctan2(d[1], d[2])  # turn about X that brings the right hip centre to the left's height
    c, s = np.cos(angle), np.sin(angle)

    def height(p: np.ndarray) -> np.ndarray:
        p = np.atleast_2d(p)
        return c * p[:, 1] - s * p[:, 2]

    crest = {side: float(height(anatomy.bones[f"innominate_{side}"].vertices_mm).max()) for side in ("left", "right")}
    tuberosity = {side: float(height(anatomy.point(f"ischial_tuberosity_{side}"))[0]) for side in ("left", "right")}
    out = {name: float(height(anatomy.point(f"{name}_left"))[0] - height(anatomy.point(f"{name}_right"))[0])
           for name in ("asis", "psis", "acetabulum_centre")}
    out["iliac_crest_top"] = crest["left"] - crest["right"]
    out["innominate_height"] = (crest["left"] - tuberosity["left"]) - (crest["right"] - tuberosity["right"])
    return out


def measure(spec) -> dict:
    started = time.perf_counter()
    anatomy = sources.load(spec)
    d = dimensions(anatomy)
    d["acetabulum_radius_mm"] = (d["acetabulum_radius_left_mm"] + d["acetabulum_radius_right_mm"]) / 2
    return {"anatomy": anatomy, "dims": d, "build": sources.build_report(spec), "sij": sij_figures(anatomy),
            "checks": landmark_checks(anatomy),
            "mirror": mirror_pairs(anatomy), "findings": neutral_findings(anatomy), "level": hips_level(anatomy),
            "seconds": time.perf_counter() - started}


def flag(name: str, value: float) -> str:
    low, high, _ = RANGES[name]
    return f"{value:.1f}" if low <= value <= high else f"**{value:.1f}**"


def picture(results: dict, path: Path) -> None:
    """The mean and the 26 subjects from the front, all at one scale."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    from pelvisim.view.snapshots import BONE_COLOURS, bone_polydata

    rows, cols, tile = 3, 9, 330
    plotter = pv.Plotter(off_screen=True, shape=(rows, cols), window_size=[cols * tile, rows * tile], border=False)
    plotter.set_background("white")
    for k, (label, result) in enumerate(results.items()):
        plotter.subplot(k // cols, k % cols)
        anatomy = result["anatomy"]
        for bone in ("sacrum", "innominate_left", "innominate_right"):
            plotter.add_mesh(bone_polydata(anatomy, bone).compute_normals(auto_orient_normals=False),
                             color=BONE_COLOURS[bone], smooth_shading=True, specular=0.2)
        plotter.add_text(label, position="upper_left", font_size=9, color="black")
        plotter.add_text(f"{result['dims']['inter_asis_mm']:.0f} mm", position="lower_right", font_size=7, color="#555555")
        camera = plotter.camera
        camera.focal_point = (0.0, -40.0, 0.0)
        camera.position = (1000.0, -40.0, 0.0)  # in front (+X anterior), ASIS midpoint at the origin
        camera.up = (0.0, 1.0, 0.0)
        camera.parallel_projection = True
        camera.parallel_scale = 150.0  # one scale for every tile: sizes compare
    from pelvisim.output import atomic_path

    with atomic_path(path, overwrite=True) as temporary:
        plotter.screenshot(str(temporary))
    plotter.close()


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + ["| " + " | ".join(r) + " |" for r in rows]


def main() -> int:
    results = {"mean": measure(sources.BUNDLED)}
    for j in SUBJECTS:
        results[f"subject {j}"] = measure(sources.as_spec(subject=j))
        print(f"subject {j}: {results[f'subject {j}']['seconds']:.1f} s", file=sys.stderr)
    modes = {}
    for m in MODES:
        for k in (-2.0, 2.0):
            modes[(m, k)] = measure(sources.as_spec(modes={m: k}))
            print(f"mode {m} {k:+g} SD: {modes[(m, k)]['seconds']:.1f} s", file=sys.stderr)
    picture(results, OUT_PNG)
    subjects = {k: v for k, v in results.items() if k != "mean"}

    lines = ["# The 26 LLP26 subjects, checked by pelvisim's rules", "",
             "Generated by `docs/make_population_report.py` (do not edit by hand). Each subject is built from the",
             "LLP26 shape model of `musculoskeletal-models` (Auckland Bioengineering Institute, MPL-2.0) by",
             "`pelvisim.anatomy.sources`, with the same element evaluation, landmark rules, sacroiliac clearance",
             "step and no-interpenetration check as the bundled mean (`pelvisim anatomy --subject N`).", "",
             "![The mean and the 26 subjects from the front, at one scale](images/population.png)", "",
             "*The bundled mean and the 26 subjects, anterior view, all at the same scale (number: inter-ASIS distance).*", ""]

    # --- summary ---------------------------------------------------------------------------------
    n_clear = sum(r["sij"]["left_disjoint"] and r["sij"]["right_disjoint"] for r in subjects.values())
    n_modes_clear = sum(r["sij"]["left_disjoint"] and r["sij"]["right_disjoint"] for r in modes.values())
    times = [r["build"] for r in subjects.values()]
    lines += ["## Summary", "",
              f"- **{len(subjects)} of 26 subjects build**; in **{n_clear} of {len(subjects)}** neither sacroiliac joint "
              "interpenetrates (checked independently of the clearance step: no vertex of either bone inside the other by",
              "  ray parity, no edge of either through a triangle of the other). Shape modes 1–5 at ±2 SD: "
              f"{n_modes_clear} of {len(modes)} clear.",
              f"- The smallest gap left at any sacroiliac joint is "
              f"{min(min(r['sij']['left_gap_min_mm'], r['sij']['right_gap_min_mm']) for r in subjects.values()):.2f} mm "
              f"(the clearance step aims at 0.3 mm); mean joint-face gaps range "
              f"{min(min(r['sij']['left_gap_mean_mm'], r['sij']['right_gap_mean_mm']) for r in subjects.values()):.1f}–"
              f"{max(max(r['sij']['left_gap_mean_mm'], r['sij']['right_gap_mean_mm']) for r in subjects.values()):.1f} mm.",
              ]
    for name, (low, high, source) in RANGES.items():
        values = [r["dims"][name] for r in subjects.values()]
        outside = [k.split()[1] for k, r in subjects.items() if not low <= r["dims"][name] <= high]
        lines.append(f"- {name.replace('_', ' ')}: {min(values):.1f}–{max(values):.1f} (median {np.median(values):.1f}); "
                     f"published {source}; outside {low:g}–{high:g}: "
                     + (", ".join(f"subject {s}" for s in outside) if outside else "none") + ".")
    lines += ["", "Build time per subject on the machine that made this report (first use; cached afterwards): "
              f"{min(r['seconds'] for r in subjects.values()):.1f}–{max(r['seconds'] for r in subjects.values()):.1f} s "
              "including measuring (the cached figures of a second run are read in well under a second).", ""]

    # --- what the shape model needed -------------------------------------------------------------
    lines += ["## What a subject needs before the bundled rules apply", "",
              "The shape model reproduces each subject's own fitted mesh, and two artefacts of those fits have to be",
              "repaired first (`pelvisim/anatomy/shape_repair.py`); the figures say how much each subject was changed.", "",
              "- **Folds**: the raw reconstructions self-intersect in small pleats at sharp rims (sacral ala, auricular rims,",
              "  apex). Each bone's node displacement from the mean is smoothed (Gaussian, σ 6 mm, within the bone), then",
              "  smoothed again only around faces still turned over against the mean.",
              "- **Deep sacroiliac overlap**: the subjects' sacra and ilia were fitted separately and overlap at the auricular",
              "  surfaces by up to several millimetres (the mean: 1.34 mm). Where the overlap is deeper than 1.5 mm the",
              "  sacrum's joint region is first moved straight out of the ilium by the excess (fading over 30 mm); the",
              "  bundled clearance step then leaves 0.3 mm everywhere. A moved joint region shows as a wider joint space",
              "  and a smaller auricular contact patch on that side (the auricular-area columns).", ""]
    rows = []
    for k, r in subjects.items():
        b = r["build"]
        rows.append([k.split()[1], f"{b['fold_smoothing_pelvis_rms_mm']:.2f}", f"{b['fold_smoothing_pelvis_max_mm']:.1f}",
                     str(b.get("folded_faces_left", 0)),
                     f"{b['sij_left_overlap_before_ease_mm']:.1f} / {b['sij_right_overlap_before_ease_mm']:.1f}",
                     f"{b['sij_left_eased_mm']:.1f} / {b['sij_right_eased_mm']:.1f}",
                     f"{b['atlas_overlap_before_correction_mm']:.2f}", f"{b['sacral_move_max_mm']:.2f}",
                     f"{r['sij']['left_gap_mean_mm']:.1f} / {r['sij']['right_gap_mean_mm']:.1f}",
                     f"{min(r['sij']['left_gap_min_mm'], r['sij']['right_gap_min_mm']):.2f}",
                     "yes" if r["sij"]["left_disjoint"] and r["sij"]["right_disjoint"] else "**NO**",
                     f"{r['dims']['auricular_area_sacrum_left_mm2']:.0f} / {r['dims']['auricular_area_sacrum_right_mm2']:.0f}"])
    lines += table(["subject", "fold smoothing rms (mm)", "max (mm)", "faces left turned", "SIJ overlap L / R (mm)",
                    "eased L / R (mm)", "overlap left for the clearance step (mm)", "clearance step largest move (mm)",
                    "mean joint gap L / R (mm)", "smallest gap (mm)", "SIJ disjoint", "sacral auricular area L / R (mm²)"], rows)

    # --- dimensions ------------------------------------------------------------------------------
    lines += ["", "## Dimensions against published adult ranges", "",
              "Bold: outside the range (mean ± 2 SD where the source gives an SD). Angles with the anterior pelvic plane",
              "vertical (Lewinnek's reference, a convention). Published ranges: "
              + "; ".join(f"{n.replace('_', ' ')} {s}" for n, (_, _, s) in RANGES.items()) + ".", ""]
    rows = []
    for k, r in results.items():
        d = r["dims"]
        rows.append([k.replace("subject ", ""), flag("inter_asis_mm", d["inter_asis_mm"]),
                     flag("inter_hip_centre_mm", d["inter_hip_centre_mm"]), f"{d['inter_psis_mm']:.1f}",
                     flag("pelvic_incidence_deg", d["pelvic_incidence_deg"]), f"{d['sacral_slope_deg']:.1f}",
                     f"{d['pelvic_tilt_deg']:.1f}", flag("asis_psis_angle_deg", d["asis_psis_angle_deg"]),
                     flag("acetabulum_radius_mm", d["acetabulum_radius_mm"]), f"{d['sacral_height_mm']:.1f}"])
    lines += table(["", "inter-ASIS (mm)", "inter-hip (mm)", "inter-PSIS (mm)", "pelvic incidence (°)", "sacral slope (°)",
                    "pelvic tilt (°)", "ASIS–PSIS angle (°)", "acetabulum radius (mm)", "sacral height (mm)"], rows)

    # --- asymmetry -------------------------------------------------------------------------------
    pair_names = sorted(results["mean"]["mirror"])
    lines += ["", "## Mirror symmetry of every landmark pair", "",
              "Distance between each left landmark and the mirror image of its right partner (pelvic frame, z → −z), mm.",
              "The pelvic frame is built from both ASIS and the PSIS mid-point, so the ASIS pair is symmetric by",
              "construction in height and depth. Every landmark rule is written once for the right side and run on the",
              "mirrored left bone, so these differences are the bones', not the rules'.", ""]
    rows = []
    for name in pair_names:
        values = np.array([r["mirror"][name] for r in subjects.values()])
        worst = list(subjects)[int(values.argmax())].split()[1]
        rows.append([name.replace("_", " "), f"{results['mean']['mirror'][name]:.1f}", f"{np.median(values):.1f}",
                     f"{values.max():.1f} (subject {worst})"])
    lines += table(["landmark pair", "mean pelvis", "median of 26", "largest"], rows)
    odd = [name for name in pair_names if max(r["mirror"][name] for r in subjects.values()) > 20.0]
    if odd:
        lines += ["", "Differences above 20 mm are not the bones: " + ", ".join(n.replace("_", " ") for n in odd) + ". "
                  "The auricular patches are the faces within the joint's own width of the other bone (at least 2 mm), "
                  "so a patch's outline, centroid and poles follow how each subject's fitted joint surfaces face each "
                  "other, which differs from side to side. Joint frames built from these patches inherit that. The "
                  "iliac tubercle is the most lateral point of the crest's top, and where the crest bulges gently "
                  "that point can sit a few centimetres apart on the two sides."]

    # --- landmark plausibility --------------------------------------------------------------------
    lines += ["", "## Where the extreme-point landmarks land", "",
              "Each measurement of `pelvisim.anatomy.plausibility` against its band (facts the rules do not use: the",
              "AIIS below the ASIS and just above the acetabular rim, the iliac tubercle on the crest about 5 cm behind",
              "the ASIS, S1–S3 on the median sacral crest in order down the sacrum; sources in that module), over the",
              "mean and the 26 subjects, both sides.", ""]
    rows = []
    keys: dict[tuple[str, str], list[tuple[str, object]]] = {}
    for k, r in results.items():
        for m in r["checks"]:
            keys.setdefault((m.landmark.replace("_left", "").replace("_right", ""), m.what), []).append((k, m))
    for (name, what), found in keys.items():
        values = [m.value_mm for _, m in found]
        bad = sorted({k.replace("subject ", "") for k, m in found if not m.ok}, key=lambda t: (t != "mean", t.zfill(3)))
        band = found[0][1]
        rows.append([name.replace("_", " "), what, f"{min(values):.1f}–{max(values):.1f}",
                     f"{band.low_mm:g}–{band.high_mm:g}", ", ".join(bad) if bad else "none"])
    lines += table(["landmark", "measured", "range (mm)", "band (mm)", "outside"], rows)

    lines += ["", "## What a hand would compare, at neutral", "",
              "The palpation findings of `pelvisim describe` read on each subject with **no joint motion at all**",
              "(left minus right, standing frame; ILA prone). Palpation error at the iliac spines is 15–20 mm (Della Croce",
              "1999, a 3D location error); normal bony asymmetry reaches 16 mm innominate height and 11° ASIS–PSIS tilt in",
              "30 cadaver pelves (Preece 2008). For scale: 1° of innominate rotation moves the ASIS about 2–3 mm.", ""]
    rows = []
    for k, r in results.items():
        f = r["findings"]
        rows.append([k.replace("subject ", "")] + [f"{f[n]:+.1f}" for n in FINDINGS])
    lines += table(["", "ASIS height L−R (mm)", "PSIS height L−R (mm)", "ASIS–PSIS tilt L−R (°)", "ILA height L−R (mm, prone)"], rows)
    for n, unit in zip(FINDINGS, ("mm", "mm", "°", "mm")):
        values = np.abs([r["findings"][n] for r in subjects.values()])
        lines.append(f"- {n}: median {np.median(values):.1f} {unit}, largest {values.max():.1f} {unit} over the 26.")
    lines += ["", "The readout's standing frame at neutral is the pelvic frame, which puts both ASIS at one height by its",
              "definition: the ASIS column is zero for every pelvis, and the bones' asymmetry shows in the PSIS instead.",
              "Standing on legs of equal length, the two hip centres are level instead; turned that way (about the",
              "front-to-back axis), the same bones give:", ""]
    rows = []
    level_names = ("asis", "psis", "iliac_crest_top", "innominate_height")
    for k, r in results.items():
        rows.append([k.replace("subject ", "")] + [f"{r['level'][n]:+.1f}" for n in level_names])
    lines += table(["", "ASIS height L−R (mm)", "PSIS height L−R (mm)", "iliac crest top L−R (mm)",
                    "innominate height L−R (mm, crest to ischial tuberosity)"], rows)
    for n in level_names:
        values = np.abs([r["level"][n] for r in subjects.values()])
        lines.append(f"- {n.replace('_', ' ')}, hips level: median {np.median(values):.1f} mm, largest {values.max():.1f} mm "
                     f"(subject {list(subjects)[int(values.argmax())].split()[1]}).")

    # --- modes -----------------------------------------------------------------------------------
    lines += ["", "## The first shape modes at ±2 SD", "",
              "`pelvisim anatomy --modes M=±2`. A mode's SD is over the whole limb (pelvis, femur, patella, tibia, fibula),",
              "so a mode can change the femur more than the pelvis.", ""]
    rows = []
    for (m, k), r in modes.items():
        d = r["dims"]
        rows.append([f"{m}", f"{k:+g}", f"{d['inter_asis_mm']:.1f}", f"{d['inter_hip_centre_mm']:.1f}",
                     f"{d['pelvic_incidence_deg']:.1f}", f"{d['asis_psis_angle_deg']:.1f}", f"{d['sacral_height_mm']:.1f}",
                     f"{r['findings']['ASIS height difference']:+.1f}",
                     "yes" if r["sij"]["left_disjoint"] and r["sij"]["right_disjoint"] else "**NO**"])
    lines += table(["mode", "SD", "inter-ASIS (mm)", "inter-hip (mm)", "pelvic incidence (°)", "ASIS–PSIS angle (°)",
                    "sacral height (mm)", "ASIS height L−R (mm)", "SIJ disjoint"], rows)
    lines.append("")
    from pelvisim.output import atomic_path

    with atomic_path(OUT_MD, overwrite=True) as temporary:
        Path(temporary).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT_MD.relative_to(HERE.parent)} and {OUT_PNG.relative_to(HERE.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
