"""Calibration table of the ring mechanics -> docs/calibration.md.

Run ``python benchmarks/calibrate_mechanics.py`` (writes docs/calibration.md and prints it);
``--out PATH`` writes the table elsewhere (e.g. to compare with the committed page), ``--out -`` only prints it.
Every figure is measured from the model with its defaults, on the bundled pelvis (and on the
synthetic symmetric pelvis used by the tests), against the targets of issues 4 and 14; the load
cases are shared with tests/test_calibration.py through :mod:`pelvisim.calibration`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

import pelvisim
from pelvisim import frames, gait, mechanics, scene
from pelvisim.calibration import PHASES, closure_single_leg_stance, measure, single_leg_stance, total_deg
from pelvisim.errors import PelvisimError
from pelvisim.ring_models import sacral_rotation_solution
from pelvisim.synthetic import synthetic_anatomy
from pelvisim.tissue import closure, ligaments
from pelvisim.tissue import ring as tissue_ring_module
from pelvisim.tissue import solve as tissue_solve
from pelvisim.tissue.loading import condensed_loads, gait_tissue_loads, posture_loads
from pelvisim.tissue.readout import ligament_readings
from pelvisim.tissue.ring import TissueOptions, assemble, tissue_ring

SIDES = ("left", "right")


def lumped_figures(anatomy) -> dict[str, float]:
    """The same load cases on the lumped ring (Miller × 18): the calibration before issue 14."""
    stiffness = mechanics.ring_stiffness()
    ring = mechanics.build_ring(anatomy, stiffness)
    out = {}
    for side in SIDES:
        s = single_leg_stance(anatomy, side, stiffness)
        out[f"single_{side}"] = float(total_deg(s.deformations[f"sij_{side}"]))
    E = ring.deformations(mechanics.LinearSolver(ring, mechanics.hold_body("sacrum")).solve_many(gait.gait_load_matrix(anatomy, PHASES)))
    for side in SIDES:
        out[f"gait_{side}"] = float(total_deg(E[f"sij_{side}"]).max())
    g = sacral_rotation_solution(anatomy, 1.0, stiffness).joint_state()
    for side in SIDES:
        out[f"gurd_{side}"] = math.degrees(frames.log(g.relative("sacrum", f"innominate_{side}"))[1])
    return out


def comparison(lumped: dict[str, float], tissue: dict[str, float]) -> list[str]:
    rows = ["| figure | lumped ring (before) | soft-tissue ring (now) | change | within 10 % |", "|---|---|---|---|---|"]
    labels = {"single": "single-leg stance, stance-side SIJ", "gait": "walking, peak SIJ", "gurd": "Gurd 1°: horizontal-plane innominate"}
    for key, label in labels.items():
        for side in SIDES:
            a, b = lumped[f"{key}_{side}"], tissue[f"{key}_{side}"]
            change = (b - a) / abs(a)
            rows.append(f"| {label} ({side}) | {a:+.3f}° | {b:+.3f}° | {100 * change:+.1f} % | "
                        f"{'yes' if abs(change) <= 0.10 else '**no**'} |")
    return rows


def stiffness_shares(anatomy) -> list[str]:
    """Per SIJ axis: share of the joint's stiffness that is bracing, cartilage contact, ligaments."""
    asm = assemble(anatomy)
    side = "right"
    rows, k = tissue_ring_module.sij_elements(asm, side)
    mask = tissue_ring_module.sij_bundle_mask(asm.bundles)[side]
    n_lig, n_contact = int(mask.sum()), len(asm.contact_rows[side])
    parts = {"ligaments": slice(0, n_lig), "cartilage contact": slice(n_lig, n_lig + n_contact),
             "bracing": slice(n_lig + n_contact, len(k))}
    T = asm.T_pelvis_sij[side]
    total = np.diag(tissue_ring_module.relative_stiffness_at_joint(rows, k, 0, 2, T))
    out = ["| part | rx (frontal) | ry (horizontal) | rz (in-plane, nutation) | tx | ty | tz (across) |",
           "|---|---|---|---|---|---|---|"]
    for name, sl in parts.items():
        kk = np.zeros_like(k)
        kk[sl] = k[sl]
        d = np.diag(tissue_ring_module.relative_stiffness_at_joint(rows, kk, 0, 2, T))
        out.append(f"| {name} | " + " | ".join(f"{max(100 * v / t, 0.0):.0f} %" for v, t in zip(d, total)) + " |")
    units = [v / mechanics.NMM_PER_RAD_PER_NM_PER_DEG for v in total[:3]] + list(total[3:])
    out.append("| **total** | " + " | ".join(f"{u:.0f} N·m/°" for u in units[:3]) + " | "
               + " | ".join(f"{u:.0f} N/mm" for u in units[3:]) + " |")
    return out


def unbraced_single_leg_deg(anatomy) -> float:
    """Mean stance-side SIJ rotation in single-leg stance with the bracing removed (ligaments and cartilage only)."""
    options = TissueOptions(bracing_scale=0.0)
    ring = tissue_ring(anatomy, options)
    solver = mechanics.LinearSolver(ring, mechanics.hold_body("sacrum"))
    out = []
    for side in SIDES:
        ring_f, l5_f = posture_loads(anatomy, gait.single_leg_stance_loads(anatomy, side), {})
        q = solver.solve_many(condensed_loads(anatomy, options, ring_f[:, None], l5_f[:, None])[:, 0])
        out.append(float(total_deg(ring.deformations(q)[f"sij_{side}"])))
    return float(np.mean(out))


def ligament_table(anatomy) -> list[str]:
    """Each ligament at rest and in single-leg stance on the right (nonlinear solve)."""
    ring_f, l5_f = posture_loads(anatomy, gait.single_leg_stance_loads(anatomy, "right"), {})
    s = tissue_solve.solve(anatomy, np.concatenate([ring_f, l5_f]), tissue_solve.hold("sacrum"), nonlinear=True)
    rest = ligament_readings(anatomy, {})
    stance = ligament_readings(anatomy, s.T_pelvis())
    out = ["| ligament | stiffness (N/mm, Phillips 2007) | at rest: strain, force | right single-leg stance: strain, force | slack bundles |",
           "|---|---|---|---|---|"]
    for name in ligaments.ligament_names():
        spec = ligaments.LIGAMENTS[name if name in ligaments.MIDLINE else name.rsplit("_", 1)[0]]
        a, b = rest[name], stance[name]
        out.append(f"| {name.replace('_', ' ')} | {spec.stiffness_n_per_mm:.0f} | {a.strain_percent:.2f} %, {a.force_n:.0f} N | "
                   f"{b.strain_percent:.2f} %, {b.force_n:.0f} N | {b.slack_bundles} |")
    return out, s


def closure_lines(anatomy) -> list[str]:
    asm = assemble(anatomy)
    out = ["| side | resting compression | compression stated | rotational stiffness about the joint normal, rest → closed | × |",
           "|---|---|---|---|---|"]
    for side in SIDES:
        rest = asm.resting_compression_n[side]
        k0 = closure.rotational_stiffness_nmm_per_rad(asm, side) / mechanics.NMM_PER_RAD_PER_NM_PER_DEG
        stated = closure.CLOSURE_TEST_COMPRESSION_RATIO * rest
        k1 = closure.rotational_stiffness_nmm_per_rad(asm, side, stated) / mechanics.NMM_PER_RAD_PER_NM_PER_DEG
        out.append(f"| {side} | {rest:.0f} N | {stated:.0f} N ({closure.CLOSURE_TEST_COMPRESSION_RATIO:g} ×) | "
                   f"{k0:.0f} → {k1:.0f} N·m/° | {k1 / k0:.2f} |")
    out.append("")
    out.append("| closure scene (bundled) | total SIJ rotation, closure off (left / right) | closure on | on ÷ off "
               "(larger side) | the moment's own part, on ÷ off (larger side) |")
    out.append("|---|---|---|---|---|")
    for name in ("melt_closure", "force_closure"):
        s = scene.load(name)
        t = s.output.still_time_s
        angles, own = [], []
        for i in range(2):
            st, st0 = s.joint_state(anatomy, i, t), s.joint_state(anatomy, i, 0.0)  # time 0: squeezed, no moment
            rel = {x: np.asarray(st.relative("sacrum", f"innominate_{x}")) for x in SIDES}
            rel0 = {x: np.asarray(st0.relative("sacrum", f"innominate_{x}")) for x in SIDES}
            angles.append([math.degrees(frames.rotation_angle_rad(rel[x])) for x in SIDES])
            own.append([math.degrees(frames.rotation_angle_rad(np.linalg.inv(rel0[x]) @ rel[x])) for x in SIDES])
        out.append(f"| {name} | {angles[0][0]:.4f}° / {angles[0][1]:.4f}° | {angles[1][0]:.4f}° / {angles[1][1]:.4f}° | "
                   f"{max(angles[1]) / max(angles[0]):.2f} | {max(own[1]) / max(own[0]):.2f} |")
    return out


def sensitivity(anatomy) -> list[str]:
    rows = ["| bracing scale | reference strain | single-leg stance, mean (°) | walking peak (°) | ratio 2: right ÷ left |",
            "|---|---|---|---|---|"]
    fs = {side: posture_loads(anatomy, gait.single_leg_stance_loads(anatomy, side), {}) for side in SIDES}
    ring_g, l5_g = gait_tissue_loads(anatomy, PHASES)
    for scale in (0.7, tissue_ring_module.BRACING_SCALE, 1.3):
        for strain in (0.01, ligaments.REFERENCE_STRAIN, 0.04):
            cells = []
            for ratio in (1.0, 2.0):
                options = TissueOptions(stiffness_ratio=ratio, bracing_scale=scale, reference_strain=strain)
                ring = tissue_ring(anatomy, options)
                solver = mechanics.LinearSolver(ring, mechanics.hold_body("sacrum"))
                E = ring.deformations(solver.solve_many(condensed_loads(anatomy, options, ring_g, l5_g)))
                left, right = total_deg(E["sij_left"]).max(), total_deg(E["sij_right"]).max()
                if ratio == 1.0:
                    single = np.mean([total_deg(ring.deformations(solver.solve_many(
                        condensed_loads(anatomy, options, fs[s][0][:, None], fs[s][1][:, None])[:, 0]))[f"sij_{s}"])
                        for s in SIDES])
                    cells += [f"{single:.2f}", f"{max(left, right):.2f}"]
                else:
                    cells.append(f"{right / left:.2f}")
            default = scale == tissue_ring_module.BRACING_SCALE and strain == ligaments.REFERENCE_STRAIN
            rows.append(f"| {scale:g}{' (default)' if default else ''} | {strain:g} | " + " | ".join(cells) + " |")
    return rows


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
        f"| self-bracing on (gain 1), right single-leg stance | converges | residual {m['closure_residual']:.1e}, "
        f"{m['closure_iterations']} Newton steps; compression {m['closure_compression_right']:.0f} N, bracing × "
        f"{m['closure_factor_right']:.2f}; SIJ {m['closure_single_right']:.2f}° (off: {m['single_right']:.2f}°) | "
        f"{ok(m['closure_residual'] < 1e-9)} |",
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
        f"{m['gurd_right']:.2f}° | {ok(all(0.3 <= -m[f'gurd_{s}'] <= 1.5 for s in SIDES))} |",
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
        + (" and below the typical range: the bracing keeps the lumped ring's sliding stiffness (Miller 1987's"
           " cadaver values × 18), which gave 0.2–0.3 mm too." if move < 0.3 else "."),
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
        "The ring is the soft-tissue ring of `pelvisim.tissue` (issue 14). Each SIJ is cartilage contact "
        f"(E = {tissue_ring_module.CARTILAGE_MODULUS_MPA:g} MPa over {tissue_ring_module.CARTILAGE_THICKNESS_MM:g} mm, "
        "compression only), a bracing spring at the joint centre "
        f"(`BRACING_SCALE` = {tissue_ring_module.BRACING_SCALE:g} × the lumped ring's in-vivo SIJ stiffness, Miller "
        "1987's cadaver values × 18, which keeps their proportions of turning to sliding: form closure and the "
        "resting force closure of a living joint) and five ligaments as tension-only fibre bundles with a toe region "
        "(stiffness of Phillips 2007, toe region of Blankevoort & Huiskes 1991, "
        f"{100 * ligaments.REFERENCE_STRAIN:g} % strain at neutral). The symphysis is the interpubic disc block "
        f"plus the superior and arcuate pubic ligaments, × `ANTERIOR_ARC_SCALE` = {mechanics.ANTERIOR_ARC_SCALE:g} "
        "(pubic rami in series). The L5 sits on the sacrum through its L5/S1 segment (Miller 1986) and is tied to "
        "the ilia by the iliolumbar ligaments; the compressive part of the trunk load enters through it. 70 kg, "
        "1.3 m/s, hip reaction peak 2.4 × body weight. Single-leg stance: Pauwels balance of the stance hip and "
        "abductors, free leg hanging. Walking: the `gait` model's loads over 100 phases. Rotations are the total "
        "(helical) angle of the innominate relative to the sacrum.",
        "",
        "Two factors are calibrated, not measured, both carried over from the lumped ring: its in-vivo × 18 on "
        "Miller's cadaver SIJ, now the bracing, to Kibsgård 2014 (single-leg stance ≈ 0.35°) and the walking ceiling "
        "of 0.5° per side on both pelvises; the anterior-arc "
        "factor so that a lax SIJ visibly answers its own loads (issue 4's ≥ 1.5× criterion) while the symphysis stays "
        "within Walheim's in-vivo shear. No in-vivo measurement of SIJ motion during walking exists: the walking "
        "figures are a model.",
        "",
    ]
    measured = [measure(anatomy) for _, anatomy in anatomies]
    for (name, _), m in zip(anatomies, measured):
        lines += table(name, m)
    name, anatomy = anatomies[0]
    short = name.split(" (")[0]
    lines += published(name, measured[0])
    lines += [
        "### The soft-tissue ring against the lumped ring it replaced",
        "",
        "Issue 14: with every muscle at 0 and self-bracing off, gait, single-leg stance and Gurd figures within 10 % "
        "of the lumped ring (Miller 1987 cadaver stiffness × 18, the calibration before it), or the change explained "
        "and inside the published ranges. Same load cases, same run.",
        "",
    ]
    changes = []
    for (name_i, anatomy_i), m in zip(anatomies, measured):
        rows = comparison(lumped_figures(anatomy_i), m)
        changes += [r for r in rows if r.endswith("**no** |")]
        lines += [f"**{name_i.split(' (')[0]}**", "", *rows, ""]
    lines += [
        ("Every figure is within 10 %: the bracing is the lumped ring's SIJ, and the ligaments and cartilage add a few "
         "percent of stiffness." if not changes else
         f"**{len(changes)} figure(s) move by more than 10 %** (rows marked above)."),
        "",
        f"### What carries each SIJ's stiffness ({short}, right SIJ at neutral)",
        "",
        "Share of each diagonal term of the joint's stiffness (joint axes: z is the joint normal, so rz is the "
        "in-plane, nutation-like rotation):",
        "",
        *stiffness_shares(anatomy),
        "",
        "The ligaments and cartilage at their published values give a joint several times softer than RSA allows "
        f"(without bracing, single-leg stance would turn the SIJ by {unbraced_single_leg_deg(anatomy):.1f}°); the "
        "calibrated bracing — the in-vivo "
        "self-bracing the lumped ring's × 18 stood for — carries most of the stiffness; the ligaments' share is "
        "largest in the joint's plane (rz, tx). Ligament strains and forces "
        "below are read from the bones' motion; their *changes* are what the model predicts, their absolute level "
        "follows the assumed 2 % pretension.",
        "",
    ]
    ligament_rows, _ = ligament_table(anatomy)
    lines += [f"### Ligaments at rest and in single-leg stance ({short}; nonlinear solve: tension-only, toe region)", "",
              *ligament_rows, ""]
    lines += [
        f"### Force closure ({short})",
        "",
        "Law (pelvisim.tissue.closure, after Snijders 1993 and Vleeming 1990): each SIJ's shear bracing × "
        f"max(N / N_rest, {closure.FORM_CLOSURE_FLOOR:g}), N the compression across the joint, N_rest its resting "
        "value from the ligaments' pretension. Stated compression for issue 14's test: "
        f"{closure.CLOSURE_TEST_COMPRESSION_RATIO:g} × N_rest (+150 %; Pel 2008 modelled +70 … +400 % from muscles).",
        "",
        *closure_lines(anatomy),
        "",
        "Closure stiffens the bracing's turning and sliding (on the curved, ridged auricular surface every turning "
        "slides the surfaces on each other somewhere), not its opening. In single-leg stance the stance SIJ's "
        "compression rises to more than twice its resting value and, with self-bracing on, the joint turns about half "
        "as much (first table). In the closure scenes 330 N more presses each ilium onto the sacrum in both panels; "
        "that squeeze itself turns the joints a little (the ilia pivot about the held hip centres as the joints "
        "close), in both panels alike, so the scenes' total rotations drop less than the moment's own part, which "
        "falls by about 40 %.",
        "",
        f"### Sensitivity ({short})",
        "",
        *sensitivity(anatomy),
        "",
        "Motion scales about inversely with the bracing, the calibrated part; the ligaments' pretension (reference "
        "strain) changes it by a few percent only, because the ligaments carry a small share of the joint's stiffness.",
        "",
    ]
    text = "\n".join(lines)
    if args.out != "-":
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
