"""Calibration table of the ring mechanics -> docs/calibration.md.

Run ``python benchmarks/calibrate_mechanics.py`` (writes docs/calibration.md and prints it);
``--out PATH`` writes the table elsewhere (e.g. to compare with the committed page), ``--out -`` only prints it.
Every figure is measured from the model with its defaults, on the bundled pelvis (and on the
synthetic symmetric pelvis used by the tests), against the targets of issue 4; the load cases are
shared with tests/test_calibration.py through :mod:`pelvisim.calibration`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import pelvisim
from pelvisim import gait, mechanics
from pelvisim.calibration import PHASES, measure, total_deg
from pelvisim.errors import PelvisimError
from pelvisim.synthetic import synthetic_anatomy

def sensitivity(anatomy) -> tuple[list[str], dict[tuple[float, float], float]]:
    """Table rows, and the stiffness-ratio-2 rotation ratio right ÷ left by (anterior-arc scale, SIJ scale)."""
    rows = []
    ratios: dict[tuple[float, float], float] = {}
    F = gait.gait_load_matrix(anatomy, PHASES)
    fs = {side: mechanics.load_vector(gait.single_leg_stance_loads(anatomy, side)) for side in ("left", "right")}
    for arc in (0.1, mechanics.ANTERIOR_ARC_SCALE, 0.03):
        for scale in (12.0, mechanics.SIJ_IN_VIVO_SCALE, 24.0):
            cells = []
            for ratio in (1.0, 2.0):
                ring = mechanics.build_ring(anatomy, mechanics.ring_stiffness(
                    ratio, in_vivo_scale=scale, symphysis=mechanics.SYMPHYSIS_BLOCK_STIFFNESS.scaled(arc)))
                solver = mechanics.LinearSolver(ring, mechanics.hold_body("sacrum"))
                E = ring.deformations(solver.solve_many(F))
                left, right = total_deg(E["sij_left"]).max(), total_deg(E["sij_right"]).max()
                if ratio == 1.0:
                    single = np.mean([total_deg(ring.deformations(solver.solve_many(fs[s]))[f"sij_{s}"])
                                      for s in ("left", "right")])
                    cells += [f"{single:.2f}", f"{max(left, right):.2f}"]
                else:
                    cells.append(f"{right / left:.2f}")
                    ratios[(arc, scale)] = float(right / left)
            mark = " (default)" if arc == mechanics.ANTERIOR_ARC_SCALE and scale == mechanics.SIJ_IN_VIVO_SCALE else ""
            rows.append(f"| {arc:g}{mark} | {scale:g} | " + " | ".join(cells) + " |")
    return rows, ratios


def table(name: str, m: dict[str, float]) -> list[str]:
    ok = lambda b: "yes" if b else "**no**"  # noqa: E731
    single_mean = 0.5 * (m["single_left"] + m["single_right"])
    ratio = m["ratio_right"] / m["ratio_left"]
    return [
        f"### {name}",
        "",
        "| quantity | target (source) | measured | met |",
        "|---|---|---|---|",
        f"| linear equilibrium residual ‖Kq − f‖/‖f‖ | < 1e-9 | {m['residual']:.1e} | {ok(m['residual'] < 1e-9)} |",
        f"| closure solve (gains 1, 1), single-leg stance | converges | residual {m['closure_residual']:.1e}, "
        f"{m['closure_iterations']} evaluations; SIJ {m['closure_single_right']:.2f}° (linear {m['single_right']:.2f}°) | yes |",
        f"| single-leg stance, total SIJ rotation, stance side (left / right; mean) | 0.3–0.7° (Kibsgård 2014) | "
        f"{m['single_left']:.2f}° / {m['single_right']:.2f}°; {single_mean:.2f}° | {ok(0.3 <= single_mean <= 0.7)} |",
        f"| single-leg stance, stance-side nutation (left / right) | > 0 (Toyohara 2020) | "
        f"{m['single_nutation_left']:.3f}° / {m['single_nutation_right']:.3f}° | "
        f"{ok(min(m['single_nutation_left'], m['single_nutation_right']) > 0)} |",
        f"| single-leg stance, symphysis vertical shear (left / right stance) | ≤ 2.6 mm (Walheim, in Meissner 1996) | "
        f"{m['single_shear_left']:.2f} / {m['single_shear_right']:.2f} mm | "
        f"{ok(max(m['single_shear_left'], m['single_shear_right']) <= 2.6)} |",
        f"| walking, peak total SIJ rotation (left / right) | ≤ 0.5° per side (BIOMECHANICS §7) | "
        f"{m['gait_left']:.2f}° / {m['gait_right']:.2f}° | {ok(max(m['gait_left'], m['gait_right']) <= 0.5)} |",
        f"| single-leg stance / walking, peak SIJ translation at the joint origin (largest side) | "
        f"≤ 2 mm physiological, typical 0.3–0.9 mm (Jacob & Kissling 1995; Kissling & Jacob 1996) | "
        f"{max(m['single_mm_left'], m['single_mm_right']):.2f} / {m['gait_mm']:.2f} mm | "
        f"{ok(max(m['single_mm_left'], m['single_mm_right'], m['gait_mm']) <= 2.0)} |",
        f"| walking, stance side nutates (mid-stance, smaller of the two sides) | > 0 (Toyohara 2020) | "
        f"{m['stance_nutation_min']:.3f}° | {ok(m['stance_nutation_min'] > 0)} |",
        f"| walking, symphysis vertical shear | ≤ 2.2 mm (Walheim) | {m['walk_shear']:.2f} mm | {ok(m['walk_shear'] <= 2.2)} |",
        f"| stiffness_ratio = 2: peak SIJ rotation left / right; right ÷ left | right ≥ 1.5 × left (issue 4) | "
        f"{m['ratio_left']:.2f}° / {m['ratio_right']:.2f}°; {ratio:.2f} | {ok(ratio >= 1.5)} |",
        f"| pelvic rotation / obliquity / tilt, peak to peak | 6–10° / 6–10° / 2–4° (Saunders 1953) | "
        f"{m['rotation_p2p']:.1f}° / {m['obliquity_p2p']:.1f}° / {m['tilt_p2p']:.1f}° | "
        f"{ok(6 <= m['rotation_p2p'] <= 10 and 6 <= m['obliquity_p2p'] <= 10 and 2 <= m['tilt_p2p'] <= 4)} |",
        f"| sacral_rotation left_deg = 1: innominate horizontal rotation relative to the sacrum, left / right "
        f"(− = left inflare / right outflare) | each 0.3–1.5° (Gurd's direction) | {m['gurd_left']:.2f}° / "
        f"{m['gurd_right']:.2f}° | {ok(all(0.3 <= -m[f'gurd_{s}'] <= 1.5 for s in ('left', 'right')))} |",
        f"| sacral_rotation left_deg = 1: symphysis gap change | < 0.5 mm | {m['gurd_gap']:+.3f} mm | "
        f"{ok(abs(m['gurd_gap']) < 0.5)} |",
        "",
    ]


DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "calibration.md"


def published(name: str, m: dict[str, float]) -> list[str]:
    """How the bundled pelvis's figures sit in the published ranges of reference BIOMECHANICS.md."""
    single_mean = 0.5 * (m["single_left"] + m["single_right"])
    walk = max(m["gait_left"], m["gait_right"])
    move = max(m["single_mm_left"], m["single_mm_right"], m["gait_mm"])
    ratio = m["ratio_right"] / m["ratio_left"]
    inside = lambda b: "inside" if b else "**outside**"  # noqa: E731
    below = single_mean < 0.5 or walk < 0.5
    return [
        f"### Against the published ranges ({name.split(' (')[0]})",
        "",
        "The targets above are the calibration's; the published ranges they come from "
        "(reference BIOMECHANICS.md §1, §6, §7) are wider or are ceilings:",
        "",
        f"- Single-leg stance: Kibsgård 2014 (RSA) measured 0–1° of total SIJ rotation, ≈ 0.5° typical. "
        f"The model's mean of {single_mean:.2f}° is {inside(0.0 <= single_mean <= 1.0)} that range"
        + (f", {'below' if single_mean < 0.5 else 'above'} the ≈ 0.5° typical value the calibration aims at "
           f"(the 0.3–0.7° target band around it is {'met' if 0.3 <= single_mean <= 0.7 else '**not met**'})."
           if abs(single_mean - 0.5) >= 0.05 else "."),
        f"- Walking: no in-vivo measurement exists; ≤ 0.5° per side is the ceiling (Kibsgård 2014, BIOMECHANICS §7). "
        f"The model's peak of {walk:.2f}° is {inside(walk <= 0.5)} it.",
        "- The 0.5–2° of SIJ rotation of Jacob & Kissling 1995 (max measured 3.6°) is per change of posture "
        "(BIOMECHANICS §1), not a range for single-leg stance or walking"
        + (f"; read against it, the model's single-leg stance and walking figures ({single_mean:.2f}°, {walk:.2f}°) "
           "fall **below** its lower end, while meeting the ranges published for those two load cases (above)."
           if below else "."),
        f"- SIJ translation: ≤ 2 mm physiological, typical 0.3–0.9 mm (Jacob & Kissling 1995; Kissling & Jacob 1996). "
        f"The model's largest, {move:.2f} mm, is {inside(move <= 2.0)} the 2 mm limit"
        + (" and below the typical range." if move < 0.3 else "."),
        "- Unequal stiffness: no left/right stiffness ratio has been measured in SI units (Damen 2002 graded "
        "asymmetric laxity in Doppler threshold units), so there is no published range; with stiffness_ratio = 2 "
        f"the lax right SIJ moves {ratio:.2f}× as much as the stiff left one in walking "
        f"({'clearly more: issue 4 asks for ≥ 1.5×' if ratio >= 1.5 else '**less than issue 4 asks (≥ 1.5×)**'}).",
        "",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="where to write the Markdown table (default: docs/calibration.md; '-' = print only)")
    args = parser.parse_args(argv)
    anatomies = []
    try:
        anatomies.append(("Bundled mean pelvis (pelvisim.load_anatomy())", pelvisim.load_anatomy()))
    except PelvisimError as exc:
        print(f"bundled anatomy unavailable: {exc}")
    anatomies.append(("Synthetic symmetric pelvis (pelvisim.synthetic, used by the tests)", synthetic_anatomy()))
    lines = [
        "# Calibration of the compliant pelvic ring",
        "",
        "Generated by `python benchmarks/calibrate_mechanics.py`; do not edit by hand.",
        "",
        "Defaults: SIJ stiffness = Miller 1987 cadaver secant values × "
        f"`SIJ_IN_VIVO_SCALE` = {mechanics.SIJ_IN_VIVO_SCALE:g} (force closure in vivo); symphysis = disc block "
        f"+ pubic ligaments × `ANTERIOR_ARC_SCALE` = {mechanics.ANTERIOR_ARC_SCALE:g} (pubic rami in series); "
        "70 kg, 1.3 m/s, hip reaction peak 2.4 × body weight. Single-leg stance: Pauwels balance of the stance "
        "hip and abductors, free leg hanging. Walking: the `gait` model's loads over 100 phases. Rotations are "
        "the total (helical) angle of the innominate relative to the sacrum.",
        "",
        "Both scale factors are calibrated, not measured: the SIJ factor to Kibsgård 2014 (single-leg stance) "
        "and the walking ceiling; the anterior-arc factor so that a lax SIJ visibly answers its own loads "
        "(issue 4's ≥ 1.5× criterion) while the symphysis stays within Walheim's in-vivo shear. "
        "No in-vivo measurement of SIJ motion during walking exists: the walking figures are a model.",
        "",
    ]
    measured = [measure(anatomy) for _, anatomy in anatomies]
    for (name, _), m in zip(anatomies, measured):
        lines += table(name, m)
    name, anatomy = anatomies[0]
    lines += published(name, measured[0])
    rows, ratios = sensitivity(anatomy)
    at = {arc: r for (arc, scale), r in ratios.items() if scale == mechanics.SIJ_IN_VIVO_SCALE}
    stiff_arc, soft_arc = max(at), min(at)
    lines += [
        f"### Sensitivity ({name.split(' (')[0]})",
        "",
        "| anterior-arc scale | SIJ in-vivo scale | single-leg stance, mean (°) | walking peak (°) | ratio 2: right ÷ left |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "A stiffer anterior arc ties the two innominates together, so the two SIJs share more of the motion and "
        "the lax side's extra motion shrinks: at the default SIJ scale, stiffness_ratio = 2 gives "
        f"{at[stiff_arc]:.2f}× with an anterior-arc scale of {stiff_arc:g} and {at[soft_arc]:.2f}× with "
        f"{soft_arc:g}. The asymmetry shows most when the anterior arc is the most compliant part of the ring"
        + ("; every combination tabulated meets issue 4's ≥ 1.5×." if min(ratios.values()) >= 1.5 else
           "; issue 4's ≥ 1.5× is missed where the ratio column is below 1.50."),
        "",
    ]
    text = "\n".join(lines)
    if args.out != "-":
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
