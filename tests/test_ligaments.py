"""Ligaments: the toe-region law by hand, each ligament's strain against hand geometry, attachment
rules (symmetry, plausible lengths, on the bone), and the published stiffness values."""

from __future__ import annotations

import numpy as np
import pytest

from pelvisim import frames
from pelvisim.anatomy.core import SIDES
from pelvisim.anatomy.surface import Surface, closest_points_on_surface
from pelvisim.errors import ParameterError
from pelvisim.synthetic import synthetic_anatomy
from pelvisim.tissue.attachments import find_attachments
from pelvisim.tissue.ligaments import (
    LIGAMENTS,
    REFERENCE_STRAIN,
    TOE_STRAIN,
    bundle_force_n,
    bundle_tangent_n,
    ligament_bundles,
    ligament_names,
)
from pelvisim.tissue.readout import ligament_readings

SYNTHETIC = synthetic_anatomy()


# --- the law --------------------------------------------------------------------------------------
def test_toe_region_law_by_hand():
    k = 1000.0  # N per unit strain
    et = TOE_STRAIN
    # slack: nothing; toe: k e²/(2 e_t); linear: k (e − e_t/2) — Blankevoort & Huiskes 1991
    assert bundle_force_n(-0.01, k) == 0.0 and bundle_force_n(0.0, k) == 0.0
    assert bundle_force_n(0.03, k) == pytest.approx(k * 0.03**2 / (2 * et))
    assert bundle_force_n(0.10, k) == pytest.approx(k * (0.10 - et / 2))
    # force and slope continuous at the end of the toe region (one part in 1e9: rounding only)
    below, above = et * (1 - 1e-9), et * (1 + 1e-9)
    assert bundle_force_n(below, k) == pytest.approx(bundle_force_n(above, k), rel=1e-8)
    assert bundle_tangent_n(below, k) == pytest.approx(bundle_tangent_n(above, k), rel=1e-8)
    # the tangent is the derivative of the force (central difference, step 1e-7: error ~1e-7 relative)
    for e in (0.005, 0.03, 0.08):
        h = 1e-7
        slope = (bundle_force_n(e + h, k) - bundle_force_n(e - h, k)) / (2 * h)
        assert bundle_tangent_n(e, k) == pytest.approx(slope, rel=1e-6)


def test_published_stiffness_per_ligament():
    # Phillips 2007 via BMC Musculoskelet Disord 2021 Table 1, N/mm, by hand
    expected = {"anterior_sacroiliac": 700, "interosseous": 2800, "long_dorsal_sacroiliac": 1000,
                "sacrotuberous": 1500, "sacrospinous": 1400, "iliolumbar": 1000, "superior_pubic": 500,
                "arcuate_pubic": 500}
    assert {n: s.stiffness_n_per_mm for n, s in LIGAMENTS.items()} == expected


@pytest.mark.parametrize("anatomy_name", ["bundled", "synthetic"])
def test_bundles_share_their_ligament_stiffness_and_start_at_the_reference_strain(anatomy, anatomy_name):
    a = anatomy if anatomy_name == "bundled" else SYNTHETIC
    b = ligament_bundles(a)
    names = np.array(b.ligament)
    for name in ligament_names():
        rows = names == name
        spec = LIGAMENTS[name.rsplit("_", 1)[0] if name.endswith(SIDES) else name]
        # linear stiffness N/mm = per-strain stiffness / slack length; the bundles add up
        assert np.sum(b.stiffness_per_strain_n[rows] / b.slack_length_mm[rows]) == pytest.approx(spec.stiffness_n_per_mm)
    strain = b.strain_from_lengths(b.neutral_length_mm)
    np.testing.assert_allclose(strain, REFERENCE_STRAIN, atol=1e-12)


# --- each ligament against hand geometry ----------------------------------------------------------
def _moved_body(b, rows):
    """The body to move (the bundles' end b) and the unit direction from end a to end b (mean)."""
    body = int(b.body_b[rows][0])
    direction = (b.point_b[rows] - b.point_a[rows]).mean(axis=0)
    return body, direction / np.linalg.norm(direction)


@pytest.mark.parametrize("name", ligament_names())
def test_strain_zero_below_slack_and_rising_as_the_attachments_part(anatomy, name):
    from pelvisim.tissue.ligaments import BODIES

    b = ligament_bundles(anatomy)
    rows = np.flatnonzero(np.array(b.ligament) == name)
    body, direction = _moved_body(b, rows)
    share = b.series_share[rows]
    # the pubic ligaments take only their series share (5 %) of the bones' motion: part them further
    # (twice as far keeps every bundle from passing its other end)
    scale = 1.0 if share.min() == 1.0 else 2.0
    previous = -1.0
    for shift_mm in scale * np.array([-8.0, -4.0, 0.0, 0.5, 1.0, 2.0, 4.0]):
        T = {BODIES[body]: frames.translation(shift_mm * direction)}
        reading = ligament_readings(anatomy, T)[name]
        # by hand: end b moved by shift·d; each bundle's own length takes its series share of the change
        new = np.linalg.norm(b.point_b[rows] + shift_mm * direction - b.point_a[rows], axis=1)
        neutral = np.linalg.norm(b.point_b[rows] - b.point_a[rows], axis=1)
        slack = neutral / (1.0 + REFERENCE_STRAIN)
        strain = (neutral + share * (new - neutral) - slack) / slack
        expected = 100.0 * np.maximum(strain, 0.0).mean()
        assert reading.strain_percent == pytest.approx(expected, abs=1e-9)
        if np.all(strain <= 0.0):
            assert reading.strain_percent == 0.0 and reading.force_n == 0.0 and reading.slack_bundles == len(rows)
        assert reading.strain_percent >= previous - 1e-12
        previous = reading.strain_percent
    assert previous > 100.0 * REFERENCE_STRAIN  # parted by 4 mm: tighter than at rest
    # a large shortening makes every bundle slack (the loop's first step must reach it)
    assert ligament_readings(anatomy, {BODIES[body]: frames.translation(-8.0 * scale * direction)})[name].force_n == 0.0


def test_nutation_tightens_sacrotuberous_and_slackens_long_dorsal(anatomy):
    # Vleeming 1996 (Spine 21:556), cadavers: nutation slackens the long dorsal SI ligament and
    # tightens the sacrotuberous; counternutation the reverse.
    from pelvisim import joints

    axis = joints.nutation_axis(anatomy)
    for sign, tighter, looser in ((1.0, "sacrotuberous", "long_dorsal_sacroiliac"),
                                  (-1.0, "long_dorsal_sacroiliac", "sacrotuberous")):
        T = axis.rotation(np.radians(sign * 1.0))
        moved = ligament_readings(anatomy, {"sacrum": T, "l5": T})
        rest = ligament_readings(anatomy, {})
        for side in SIDES:
            assert moved[f"{tighter}_{side}"].strain_percent > rest[f"{tighter}_{side}"].strain_percent
            assert moved[f"{looser}_{side}"].strain_percent < rest[f"{looser}_{side}"].strain_percent


# --- attachments ------------------------------------------------------------------------------------
def test_attachments_are_mirror_symmetric_on_the_symmetric_pelvis():
    at = find_attachments(SYNTHETIC)
    for name, fp in at.footprints.items():
        if "_right." in name:
            other = at.footprint(name.replace("_right.", "_left."))
            np.testing.assert_allclose(frames.mirror_points(fp.points_mm), other.points_mm, atol=1e-9)
        elif name.endswith(".right"):
            np.testing.assert_allclose(frames.mirror_points(fp.points_mm),
                                       at.footprint(name.replace(".right", ".left")).points_mm, atol=1e-9)
    np.testing.assert_allclose(frames.mirror_points(at.auricular["right"]), at.auricular["left"], atol=1e-9)


def test_bundle_lengths_are_anatomically_plausible(anatomy):
    # Published sizes: iliolumbar 31.7 mm mean (PMC9899183, 2023; the L5 tip is placed from it);
    # the interosseous ligament fills the narrow space behind the joint (short); the sacrotuberous
    # is the longest; wide bounds — these guard against a rule picking the wrong region.
    b = ligament_bundles(anatomy)
    names = np.array(b.ligament)
    lengths = b.neutral_length_mm
    bounds = {"interosseous": (3, 25), "anterior_sacroiliac": (4, 30), "long_dorsal_sacroiliac": (25, 70),
              "sacrotuberous": (60, 130), "sacrospinous": (30, 70), "iliolumbar": (20, 45),
              "superior_pubic": (8, 45), "arcuate_pubic": (8, 45)}
    for ligament, (low, high) in bounds.items():
        rows = np.char.startswith(names.astype(str), ligament)
        assert low <= lengths[rows].min() and lengths[rows].max() <= high, ligament


def test_footprints_sit_on_their_bones(anatomy):
    # snapped points lie on the bone surface (closest-point distance ~ 0; 1e-6 mm: rounding)
    at = find_attachments(anatomy)
    surfaces = {b: Surface(np.asarray(anatomy.bones[b].vertices_mm), np.asarray(anatomy.bones[b].faces))
                for b in ("sacrum", "innominate_left", "innominate_right")}
    for fp in at.footprints.values():
        if fp.bone in surfaces:
            _, d = closest_points_on_surface(fp.points_mm, surfaces[fp.bone])
            assert np.abs(d).max() < 1e-6, fp.name


def test_bad_reference_strain_is_refused(anatomy):
    with pytest.raises(ParameterError, match="reference_strain"):
        ligament_bundles(anatomy, 0.9)
