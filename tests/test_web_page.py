"""Lesson pages without a browser: what is sampled, how it is packed, and how the file is written."""

from __future__ import annotations

import base64
import errno
import json
import math
import os
import re

import numpy as np
import pytest

import browser_helpers
from pelvisim import frames
from pelvisim.cli import main
from pelvisim.errors import ParameterError
from pelvisim.output import OutputError
from pelvisim.descriptors import describe
from pelvisim.models import get_model
from pelvisim.scene import bundled_scene_names, load
from pelvisim.web import Resolution, build_page, write_page
from pelvisim.web import page as page_module
from pelvisim.view.theme import get_theme
from pelvisim.web.lesson import (
    PAGE_BUDGET_MB,
    Evaluator,
    panel_evaluators,
    plan_samples,
    readout_columns,
    scene_motions,
    slider_grid,
    timeline_axis,
)
from pelvisim.web.page import overlap_magnifications, page_data, page_html, triangle_budget

LOW = browser_helpers.low_resolution()
"""The cheapest page of a scene."""


def meta_and_bytes(page: str) -> tuple[dict, bytes]:
    meta = re.search(r'<script type="application/json" id="pelvisim-meta">(.*?)</script>', page, re.S).group(1)
    data = re.search(r'<script type="application/octet-stream" id="pelvisim-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(meta.replace("<\\/", "</")), base64.b64decode(data)


def view(blob: bytes, reference: list) -> np.ndarray:
    offset, count, kind = reference
    dtype = {"f64": "<f8", "f32": "<f4", "u16": "<u2", "u32": "<u4"}[kind]
    return np.frombuffer(blob, dtype=dtype, count=count, offset=offset)


def page_meta(pages, name: str) -> dict:
    return meta_and_bytes(pages[name].read_text(encoding="utf-8"))[0]


@pytest.fixture(scope="module")
def flare_page(lesson_pages):
    return lesson_pages["flare"].read_text(encoding="utf-8")


# --- the page file ----------------------------------------------------------------------------
def test_page_holds_everything_and_fetches_nothing(flare_page):
    assert re.findall(r"https?://", flare_page) == []  # no address of anything anywhere
    assert re.findall(r"<(?:script|img|link|iframe)[^>]*\s(?:src|href)=", flare_page) == []
    # The browser itself refuses any fetch: the page's security policy allows no source at all.
    assert "default-src 'none'" in flare_page
    scripts = re.findall(r"<script[^>]*>", flare_page)
    assert len(scripts) == 3 and all("src" not in s for s in scripts)


def test_bones_are_decimated_to_the_app_budget_and_decode_to_the_surface(anatomy, flare_page):
    from pelvisim.view.meshes import bone_surface

    meta, blob = meta_and_bytes(flare_page)
    budget = triangle_budget(1)
    assert budget == 6000  # the desktop app's budget for one panel (view/meshes.py)
    bones = meta["anatomies"][0]["bones"]
    assert [b["name"] for b in bones] == ["sacrum", "innominate_left", "innominate_right", "femur_left", "femur_right"]
    for bone in bones:
        vertices, faces = bone_surface(anatomy.bones[bone["name"]], budget)
        assert bone["n_triangles"] == len(faces) <= budget
        decoded = np.array(bone["origin_mm"]) + view(blob, bone["positions"]).reshape(-1, 3) * np.array(bone["step_mm"])
        # 16-bit coordinates over the bounding box: off by at most half a step (≤ 0.0034 mm here).
        assert np.abs(decoded - vertices).max() <= 0.5 * max(bone["step_mm"]) + 1e-12
        np.testing.assert_array_equal(view(blob, bone["indices"]).reshape(-1, 3), faces)


def test_packed_samples_are_the_lesson_samples(anatomy):
    scene = load("flare")
    meta, binary = page_data(scene, anatomy, LOW)
    blob = base64.b64decode(binary)
    motions, _ = scene_motions(scene, anatomy, LOW, Evaluator(anatomy, overlap_magnifications(scene, LOW)))
    packed, computed = meta["motions"][0], motions[0]
    np.testing.assert_array_equal(view(blob, packed["base"]["twists"]), computed["base"]["twists"].ravel())
    np.testing.assert_array_equal(view(blob, packed["base"]["readouts"]),
                                  computed["base"]["readouts"].ravel().astype(np.float32))
    np.testing.assert_array_equal(view(blob, packed["base"]["overlap"]), computed["base"]["overlap"].ravel())
    for p, c in zip(packed["sliders"], computed["sliders"]):
        assert p["grid"] == c["grid"] and p["n"] == c["n"]
        np.testing.assert_array_equal(view(blob, p["twists"]), c["twists"].ravel())
        np.testing.assert_array_equal(view(blob, p["texts"]), c["texts"].ravel())


def test_write_page_is_atomic(tmp_path, monkeypatch, anatomy):
    import pelvisim.output

    target = tmp_path / "lesson.html"
    target.write_text("the old page", encoding="utf-8")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pelvisim.output.os, "fsync", disk_full)  # the page's bytes are written, then the disk fails
    with pytest.raises(OutputError, match="No space left on device"):
        write_page("flare", target, anatomy=anatomy, resolution=LOW, overwrite=True)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "the old page"  # kept whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.html"]  # no partial file left
    result = write_page("flare", target, anatomy=anatomy, resolution=LOW, overwrite=True)
    assert result.size_bytes == target.stat().st_size > 100_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.html"]


def test_write_page_refuses_bad_outputs_before_computing(tmp_path, monkeypatch, anatomy):
    def never(*args, **kwargs):
        raise AssertionError("the page was computed for an output that cannot be written")

    monkeypatch.setattr(page_module, "build_page", never)
    with pytest.raises(ParameterError, match="expected an output ending in .html"):
        write_page("flare", tmp_path / "lesson.txt", anatomy=anatomy, resolution=LOW)
    with pytest.raises(OutputError, match="does not exist"):
        write_page("flare", tmp_path / "missing" / "lesson.html", anatomy=anatomy, resolution=LOW)
    (tmp_path / "lesson.html").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        write_page("flare", tmp_path / "lesson.html", anatomy=anatomy, resolution=LOW)


# --- what is sampled --------------------------------------------------------------------------
def test_panels_with_the_same_motion_share_samples_and_sliders(bundled_pages):
    flagship = page_meta(bundled_pages, "flagship")
    assert [p["motion"] for p in flagship["panels"]] == [0, 0] and flagship["motions"][0]["panels"] == [0, 1]  # ×1 and ×20: one motion
    levels = page_meta(bundled_pages, "nutation_axis_levels")
    assert [p["motion"] for p in levels["panels"]] == [0, 1, 2]  # S1, S2, S3 axes: three motions
    assert [m["fixed"][0]["value"] for m in levels["motions"]] == ["S1", "S2", "S3"]


def test_sampled_twists_are_the_models_transforms(anatomy):
    """Each gait sample k is the model's joint state at phase k/n (exp of the stored twist)."""
    scene = load("flagship")
    low = Resolution(grid_points=2, phase_samples=6, other_grid_points=2)
    motions, _ = scene_motions(scene, anatomy, low)
    twists = motions[0]["base"]["twists"]
    model = get_model("gait")
    for k in range(6):
        state = model.joint_state(anatomy, {"stiffness_ratio": 2.0}, k / 6)
        expected = [state.T_pelvis["sacrum"], state.T_pelvis["innominate_left"], state.T_pelvis["innominate_right"],
                    state.T_innominate_femur["left"], state.T_innominate_femur["right"], state.T_world_pelvis]
        for slot, T in enumerate(expected):
            np.testing.assert_allclose(frames.exp(twists[k, slot]), T, atol=1e-12)


def test_readouts_read_the_descriptors_of_each_sample(anatomy):
    """A 1° left flare reads as 1° of left inflare relative to the sacrum (its axis is the SIJ's vertical one)."""
    columns = readout_columns(anatomy)
    evaluate = Evaluator(anatomy)
    _, readouts, _, _ = evaluate(get_model("flare"), {"left_deg": 1.0, "right_deg": 0.0}, 0.0)
    values = dict(zip((c["key"] for c in columns), readouts))
    assert values["innominate_left.inflare_deg"] == pytest.approx(1.0, abs=1e-9)
    assert values["innominate_right.inflare_deg"] == pytest.approx(0.0, abs=1e-9)
    # Mirror rule: the same motion on the right reads the same on the right.
    _, mirrored, _, _ = evaluate(get_model("flare"), {"left_deg": 0.0, "right_deg": 1.0}, 0.0)
    values_right = dict(zip((c["key"] for c in columns), mirrored))
    assert values_right["innominate_right.inflare_deg"] == pytest.approx(1.0, abs=1e-9)
    finding = "finding.ASIS-to-midline difference"
    assert values_right[finding] == pytest.approx(-values[finding], abs=0.05)  # left minus right flips
    assert all(c["frame"] for c in columns)  # every readout names what it is measured against


def test_slider_grids_hold_the_scenes_values_and_constant_samples_collapse(anatomy):
    scene = load("flare")
    motions, _ = scene_motions(scene, anatomy, Resolution(grid_points=5, time_samples_per_s=2.0, other_grid_points=2))
    sliders = {s["name"]: s for s in motions[0]["sliders"]}
    assert {0.0, 1.0} <= set(sliders["left_deg"]["grid"])  # the keyframes' 0° and 1° are exact
    assert sliders["left_deg"]["grid"][0] == -15.0 and sliders["left_deg"]["grid"][-1] == 15.0
    # Holding left_deg leaves nothing moving over time: one sample; right_deg keeps the keyframed
    # left moving, sampled at half the timeline's density (the scene does not use right_deg).
    assert sliders["left_deg"]["n"] == 1 and sliders["left_deg"]["in_scene"]
    assert not sliders["right_deg"]["in_scene"]
    # Half of the 2 samples per second over the whole timeline, both ends included.
    assert sliders["right_deg"]["n"] == timeline_axis(scene, Resolution(time_samples_per_s=2.0), coarse=True).n \
        == math.ceil(scene.duration_s * 1.0) + 1
    assert slider_grid(get_model("gait").parameter("stiffness_ratio"), [2.0], 2) == [0.5, 1.0, 2.0]


def test_slider_warnings_carry_the_models_own_limit_words(anatomy):
    """The page's slider warning says what the desktop's says: Mitchell's torsion limit is pelvisim's
    walking ceiling, not a measurement in walking (the page once said "measured in-vivo motion")."""
    scene = load("mitchell_gait")
    motions, _ = scene_motions(scene, anatomy, Resolution(grid_points=3, time_samples_per_s=1.0, other_grid_points=2))
    torsion = next(s for m in motions for s in m["sliders"] if s["name"] == "torsion_deg")
    assert torsion["limit_words"] == "the walking ceiling pelvisim takes from single-leg stance"
    assert "exceeds measured in-vivo motion" not in get_model("mitchell_gait").warnings({"torsion_deg": 3.0})[0]


def test_nutation_readout_names_the_sacrum_first(anatomy):
    motions, _ = scene_motions(load("nutation"), anatomy, LOW)
    keys = [readout_columns(anatomy)[i]["key"] for i in motions[0]["key_rows"]]
    assert keys[0] == "sacrum.nutation_deg"
    assert "innominate_left.anterior_rotation_deg" in keys  # the same motion seen from the innominate


def test_key_readouts_keep_each_moving_bone(anatomy):
    """A small sacral motion is still shown beside larger innominate ones (one row per moving bone first)."""
    from pelvisim.web.lesson import KEY_DESCRIPTORS, _key_rows

    columns = readout_columns(anatomy)
    index = {c["key"]: i for i, c in enumerate(columns)}
    readouts = np.zeros((1, len(columns)))
    for key, value in (("sacrum.nutation_deg", 0.3), ("innominate_left.anterior_rotation_deg", 2.0),
                       ("innominate_left.inflare_deg", 1.9), ("innominate_left.frontal_rotation_deg", 1.8),
                       ("innominate_right.anterior_rotation_deg", -1.7), ("innominate_right.inflare_deg", 1.6)):
        readouts[0, index[key]] = value
    keys = [columns[i]["key"] for i in _key_rows([readouts], columns)]
    assert len(keys) == KEY_DESCRIPTORS
    assert keys == ["sacrum.nutation_deg", "innominate_left.anterior_rotation_deg", "innominate_left.inflare_deg",
                    "innominate_right.anterior_rotation_deg"]


def test_every_compact_readout_reads_the_number_the_desktop_panel_reads(anatomy):
    """Each readout a scene can put in a panel (pelvisim.scene.READOUTS) has a column with that number."""
    from pelvisim.scene import READOUTS
    from pelvisim.view.readout import read_path
    from pelvisim.web.lesson import readout_alias, readout_vector

    columns = readout_columns(anatomy)
    index = {c["key"]: i for i, c in enumerate(columns)}
    state = get_model("gait").joint_state(anatomy, {"stiffness_ratio": 2.0, "coupling_gain": 0.5}, 0.3)
    d = describe(anatomy, state)
    values = readout_vector(d, columns)
    for key in READOUTS:
        column = index[key] if key in index else index[readout_alias(key)]
        # float64 both sides: the very same number (the desktop reads the path attribute by attribute).
        assert values[column] == read_path(d, key), key
    body = [c for c in columns if c.get("extra")]
    assert body and all(c["frame"] == "standing body frame" for c in body)  # they name their own frame


def test_scene_panels_carry_their_compact_readouts_view_and_axes(bundled_pages):
    from pelvisim.scene import DEFAULT_READOUTS

    scene = load("iliacus_pull")
    meta = page_meta(bundled_pages, "iliacus_pull")
    columns = meta["anatomies"][0]["readout_columns"]
    for index, panel in enumerate(meta["panels"]):
        assert [r["key"] for r in panel["readouts"]] == list(scene.panel_readouts(index))
        assert all(columns[r["column"]]["key"].split(".")[-1] == r["key"].split(".")[-1] for r in panel["readouts"])
        assert panel["view"] == "medial_left" and panel["magnification"] == 20.0
    flare = page_meta(bundled_pages, "flare")
    assert [r["key"] for r in flare["panels"][0]["readouts"]] == list(DEFAULT_READOUTS["flare"])  # the model's default
    assert flare["panels"][0]["axes"] == ["flare_left"]  # only the side the scene moves
    assert meta["arrows"]["scale"] == scene.arrow_scale


def test_identical_poses_are_described_once(anatomy):
    """The flare model ignores the gait phase, and a zero angle is a zero angle on any axis level."""
    evaluate = Evaluator(anatomy)
    flare = get_model("flare")
    first = evaluate(flare, flare.resolve({"left_deg": 1.0}), 0.0)
    again = evaluate(flare, flare.resolve({"left_deg": 1.0}), 0.5)
    assert evaluate.described == 1 and again is first
    nutation = get_model("nutation")
    evaluate(nutation, nutation.resolve({"angle_deg": 0.0, "axis_level": "S1"}), 0.0)
    evaluate(nutation, nutation.resolve({"angle_deg": 0.0, "axis_level": "S3"}), 0.0)
    assert evaluate.described == 2  # flare's one, and neutral once
    evaluate(nutation, nutation.resolve({"angle_deg": 1.0, "axis_level": "S3"}), 0.0)
    assert evaluate.described == 3


def test_overlap_bits_and_limit_notes_are_the_limits_modules(anatomy):
    """Bit k of a sample's overlap mask is the overlap note at the k-th magnification; the notes
    channel holds the panels' one-line joint-limit notes (pelvisim.limits)."""
    from pelvisim import limits

    magnifications = (1.0, 5.0, 20.0, 50.0)
    evaluate = Evaluator(anatomy, magnifications)
    model = get_model("gait")
    seen = set()
    for phase in (0.0, 0.1, 0.3, 0.55):
        values = model.resolve({"stiffness_ratio": 2.0})
        _, _, texts, mask = evaluate(model, values, phase)
        state = model.joint_state(anatomy, values, phase)
        for k, m in enumerate(magnifications):
            expected = limits.magnification_overlap_note(anatomy, state, m) is not None
            assert bool(mask >> k & 1) == expected, (phase, m)
            seen.add(expected)
        notes = evaluate.categories[texts[3]]
        assert notes.split("\n") == [limits.limit_note(w) for w in limits.joint_limit_warnings(anatomy, state)] or \
            (notes == "" and not limits.joint_limit_warnings(anatomy, state))
    assert seen == {True, False}  # both answers occurred: the bits were tested, not only zeros


def test_sacrum_section_lies_on_the_cut_plane_and_closes(anatomy):
    """The cap and outline of the sagittal cut: on the plane, closed, about the size of a sacral midline section."""
    from pelvisim.web.page import Packer, _sacrum_cut

    packer = Packer()
    cut = _sacrum_cut(anatomy, triangle_budget(1), packer)
    blob = base64.b64decode(packer.base64())
    z_mid = cut["origin_mm"][2]
    cap = view(blob, cut["cap"]["positions"]).reshape(-1, 3)
    faces = view(blob, cut["cap"]["indices"]).reshape(-1, 3)
    # float32 coordinates of a plane at |z| < 1 mm: on it to 1e-5 mm.
    assert np.abs(cap[:, 2] - z_mid).max() < 1e-5
    a, b, c = (cap[faces[:, i]].astype(float) for i in range(3))
    area = 0.5 * np.abs(np.cross(b - a, c - a)[:, 2]).sum()
    # The bundled sacrum is ~100 mm tall and 30-55 mm deep at the midline: a section of 20-50 cm².
    assert 2000.0 < area < 5000.0, area
    for ref in cut["outlines"]:
        loop = view(blob, ref).reshape(-1, 3)
        assert np.abs(loop[:, 2] - z_mid).max() < 1e-5
    length = sum(np.linalg.norm(np.diff(view(blob, r).reshape(-1, 3), axis=0), axis=1).sum() for r in cut["outlines"])
    # An outline at least as long as the circle of the same area (the isoperimetric bound): it goes all round.
    assert length >= 2.0 * np.sqrt(np.pi * area)


def test_axis_rods_pass_through_their_bone_and_end_outside_it(anatomy):
    """As the app fits them: where the line enters and leaves the bone, plus the margin each way."""
    from pelvisim.anatomy.surface import Surface, closest_points_on_surface
    from pelvisim.view.overlays import AXIS_BONES, AXIS_MARGIN_MM
    from pelvisim.view.theme import get_theme
    from pelvisim.web.page import _axes

    rods = _axes(anatomy, get_theme("default"))
    assert set(rods) >= {"nutation_S1", "nutation_S2", "nutation_S3", "left_oblique", "right_oblique", "flare_left"}
    for key in ("left_oblique", "right_oblique", "flare_left"):
        rod = rods[key]
        bone = anatomy.bones[AXIS_BONES[key][0]]
        surface = Surface(np.asarray(bone.vertices_mm, dtype=float), np.asarray(bone.faces))
        p, d = np.array(rod["point_mm"]), np.array(rod["direction"])
        ends = np.array([p + rod["start_mm"] * d, p + rod["end_mm"] * d])
        entries = np.array([p + (rod["start_mm"] + AXIS_MARGIN_MM) * d, p + (rod["end_mm"] - AXIS_MARGIN_MM) * d])
        _, outside = closest_points_on_surface(ends, surface)
        _, at_surface = closest_points_on_surface(entries, surface)
        assert (outside > 0).all(), key  # both caps in the open
        # Fitted on a 4000-triangle copy of the bone: on the full surface within a millimetre.
        assert np.abs(at_surface).max() < 1.0, (key, at_surface)


def test_view_boxes_are_the_desktop_panels(anatomy):
    from pelvisim import joints
    from pelvisim.web.page import _view_bounds

    boxes = _view_bounds(anatomy)
    centre = joints.joint_centre(anatomy, "left")
    np.testing.assert_allclose(np.reshape(boxes["medial_left"], (3, 2)).mean(axis=1), centre)
    np.testing.assert_allclose(np.diff(np.reshape(boxes["medial_left"], (3, 2)), axis=1).ravel(), 200.0)
    kept = np.vstack([anatomy.bones[b].vertices_mm for b in ("sacrum", "innominate_right")])
    np.testing.assert_allclose(boxes["sagittal_left"], [v for pair in zip(kept.min(axis=0), kept.max(axis=0)) for v in pair])


def test_gait_strip_stance_is_the_gait_models(bundled_pages):
    from pelvisim import gait

    strip = page_meta(bundled_pages, "flagship")["gait_strip"]
    assert strip["shown"]
    for phase in np.linspace(0.0, 0.99, 100):
        for side in ("left", "right"):
            inside = any(a <= phase < b for a, b in strip["stance"][side])
            assert inside == gait.in_stance(phase, side), (phase, side)
    assert not page_meta(bundled_pages, "flare")["gait_strip"]["shown"]


def test_each_panel_gets_its_own_anatomy(anatomy):
    """Two panels of the same motion on two pelvises: two anatomies, two motions, each its own numbers."""
    bigger = browser_helpers.scaled_anatomy(anatomy, 1.08)
    scene = load("true_scale_vs_x20")
    meta, blob = meta_and_bytes(page_html(*page_data(scene, [anatomy, bigger], LOW, anatomy_labels=["mean", "bigger"])))
    assert [p["anatomy"] for p in meta["panels"]] == [0, 1]
    assert [p["motion"] for p in meta["panels"]] == [0, 1]  # one motion per anatomy, though the same model and values
    assert [a["label"] for a in meta["anatomies"]] == ["mean", "bigger"]
    for entry, own in zip(meta["anatomies"], (anatomy, bigger)):
        positions = {l["name"]: l["position_mm"] for l in entry["landmarks"]}
        np.testing.assert_allclose(positions["asis_left"], own.point("asis_left"))  # each its own landmarks
        bone = next(b for b in entry["bones"] if b["name"] == "innominate_left")
        decoded = np.array(bone["origin_mm"]) + view(blob, bone["positions"]).reshape(-1, 3) * np.array(bone["step_mm"])
        lo = np.asarray(own.bones["innominate_left"].vertices_mm).min(axis=0)
        # Its own bones: the decimated surface keeps the extremes to ~0.05 mm; the two pelvises are ~11 mm apart there.
        np.testing.assert_allclose(decoded.min(axis=0), lo, atol=0.5)
    # Each pelvis has its own neutral asymmetry: 8 % more millimetres on the bigger one.
    columns = [a["readout_columns"] for a in meta["anatomies"]]
    for small, big in zip(*columns):
        if small["group"] == "finding" and small["unit"] == "mm" and abs(small["at_neutral"]) > 0.1:
            assert big["at_neutral"] == pytest.approx(1.08 * small["at_neutral"], rel=1e-3), small["key"]


def test_soft_tissue_is_carried_only_where_the_scene_shows_it(bundled_pages, anatomy):
    """A scene with the tissue overlay on carries each pelvis's attachments and, per sample, the L5 on
    the sacrum, one strain change per ligament bundle and one force per muscle, packed in 16-bit steps;
    one without it carries none (no page grows for what it never shows). Decoded, Gurd's first panel
    holds the desktop's tissue (:func:`pelvisim.view.tissue.frame_tissue`) to half a step."""
    from pelvisim.tissue.ring import assemble
    from pelvisim.view.tissue import frame_tissue
    from pelvisim.web.tissue import FORCE_STEP_N, SLACK_CODE, STRAIN_STEP_PERCENT, muscle_names

    for name in bundled_pages:
        meta = page_meta(bundled_pages, name)
        shown = any(p["overlays"].get("tissue") for p in meta["panels"])
        assert (meta["tissue"] is not None) == shown, name
        assert all(("tissue" in m["base"]) == shown for m in meta["motions"]), name
        if shown:
            geometry = meta["anatomies"][0]["tissue"]
            assert len(geometry["bundles"]) == len(assemble(anatomy).bundles.point_a)
            assert [m["name"] for m in geometry["muscles"]] == muscle_names(anatomy)
    assert page_meta(bundled_pages, "flare")["tissue"] is None

    scene = load("gurd_multifidus")  # a still: one sample per track
    meta, blob = meta_and_bytes(bundled_pages["gurd_multifidus"].read_text(encoding="utf-8"))
    packed = meta["motions"][meta["panels"][0]["motion"]]["base"]["tissue"]
    desktop = frame_tissue(anatomy, scene.panels[0].model, scene.parameters_at(0, 0.0), scene.phase_at(0.0),
                           scene.joint_state(anatomy, 0, 0.0))
    codes = view(blob, packed["strain"]).astype(int)
    change = 100.0 * (desktop.strain - desktop.reference_strain)
    assert np.array_equal(codes == SLACK_CODE, desktop.strain <= 0.0)
    taut = codes != SLACK_CODE
    np.testing.assert_allclose((codes[taut] - 32768) * STRAIN_STEP_PERCENT, change[taut], atol=0.5 * STRAIN_STEP_PERCENT + 1e-9)
    forces = view(blob, packed["force"]) * FORCE_STEP_N
    expected = [desktop.state.muscle_forces_n.get(m, 0.0) for m in muscle_names(anatomy)]
    np.testing.assert_allclose(forces, expected, atol=0.5 * FORCE_STEP_N)
    l5 = frames.exp(view(blob, packed["pose"]).astype(float))
    on_sacrum = frames.invert(scene.joint_state(anatomy, 0, 0.0).T_pelvis["sacrum"]) @ desktop.state.T_pelvis_l5
    np.testing.assert_allclose(l5, on_sacrum, atol=1e-5)  # a float32 twist


def test_resolution_is_validated():
    with pytest.raises(ParameterError, match="grid points per slider"):
        Resolution(grid_points=1)
    with pytest.raises(ParameterError, match="phase samples"):
        Resolution(phase_samples=2)
    with pytest.raises(ParameterError, match="time samples per second"):
        Resolution(time_samples_per_s=0.0)
    with pytest.raises(ParameterError, match="page budget must be a positive number of MB"):
        Resolution(budget_mb=0.0)


def test_every_bundled_scene_makes_a_page(bundled_pages):
    assert sorted(bundled_pages) == bundled_scene_names()
    for name, path in bundled_pages.items():
        scene = load(name)
        meta, _ = meta_and_bytes(path.read_text(encoding="utf-8"))
        assert meta["title"] == scene.title
        assert [p["label"] for p in meta["panels"]] == [p.label for p in scene.panels]
        assert [c["text"] for c in meta["captions"]] == [c.text for c in scene.captions]
        assert sorted(i for m in meta["motions"] for i in m["panels"]) == list(range(len(scene.panels)))


# --- command line -----------------------------------------------------------------------------
SMALL_SCENE = 'title = "{title}"\n[[panels]]\nmodel = "flare"\nparameters = {{ left_deg = 1.0 }}\n[timeline]\nkind = "still"\n'
"""A scene whose page is quick to compute (a still: one sample per slider value)."""


def test_share_command_writes_pages(tmp_path, capsys):
    scenes = []
    for name in ("one", "two"):
        scenes.append(tmp_path / f"{name}.toml")
        scenes[-1].write_text(SMALL_SCENE.format(title=name), encoding="utf-8")
    target = tmp_path / "lesson.html"
    assert main(["share", str(scenes[0]), "-o", str(target), "--grid", "2", "--phase-samples", "8"]) == 0
    assert "wrote" in capsys.readouterr().out and target.stat().st_size > 100_000
    assert main(["share", str(scenes[0]), "-o", str(target)]) == 2
    assert "exists; pass --overwrite to replace it" in capsys.readouterr().err
    pages = tmp_path / "pages"
    pages.mkdir()
    assert main(["share", *map(str, scenes), "-o", str(pages), "--grid", "2"]) == 0
    assert {p.name for p in pages.iterdir()} == {"one.html", "two.html"}
    assert main(["share", *map(str, scenes), "-o", str(target)]) == 2
    assert "-o must be an existing folder" in capsys.readouterr().err
    assert main(["share", "flare", "-o", str(tmp_path / "x.html"), "--grid", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "grid points per slider" in err  # one line, no traceback
    # The anatomy options of every command: one pelvis for every panel (checked before any computing).
    assert main(["share", "flare", "-o", str(tmp_path / "y.html"), "--subject", "5", "--modes", "1=+2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "give one of --anatomy, --subject and --modes" in err
    assert not (tmp_path / "y.html").exists()


# --- the browser requirement ------------------------------------------------------------------
def test_missing_browser_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(browser_helpers, "chromium_executable", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"sudo apt-get install chromium .* pip install -e '\.\[test\]'"):
        browser_helpers.require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        browser_helpers.require_browser()
    assert os.environ["CI"] == "true"


# --- the size budget --------------------------------------------------------------------------
KEYFRAMED_FLARE = ('title = "flare ramp"\n[[panels]]\nmodel = "flare"\n[timeline]\nkind = "keyframes"\n'
                   '[[timeline.keyframes]]\ntime_s = 0.0\nparameters = { left_deg = 0.0 }\n'
                   '[[timeline.keyframes]]\ntime_s = 2.0\nparameters = { left_deg = 2.0 }\n')
"""A flare ramp (2 s): its sliders' samples change over time, so no track collapses to one sample."""


def sample_bytes(motions) -> float:
    """Base64 bytes of every packed track of ``motions``, counted off the packer (not the estimate)."""
    packer = page_module.Packer()
    for m in motions:
        page_module._pack_motion(m, packer)
    return packer.size * 4 / 3


def test_sample_estimate_is_the_packed_size_before_computing(tmp_path, anatomy):
    """The budget is decided from an estimate made before any pose is computed: an upper bound on
    the packed size, and here (no track collapses beyond those whose parameters stay) within the
    8-byte padding allowed for each array."""
    (tmp_path / "ramp.toml").write_text(KEYFRAMED_FLARE, encoding="utf-8")
    scene = load(tmp_path / "ramp.toml")
    resolution = Resolution(grid_points=3, time_samples_per_s=2.0, other_grid_points=2, overlap="scene")
    evaluators = panel_evaluators(scene, anatomy)
    plan = plan_samples(scene, evaluators, resolution, None)
    motions, _ = scene_motions(scene, anatomy, resolution, evaluators, plan)
    arrays = sum(5 * (1 + len(m["sliders"])) for m in motions)  # base + each slider: 4 track arrays and values
    # padding: < 8 bytes per packed array, 4/3 of it in base64
    assert sample_bytes(motions) <= plan.estimated_bytes + 1 <= sample_bytes(motions) + arrays * 8 * 4 / 3 + 1


def test_force_closure_page_fits_the_default_budget_keeping_the_scenes_sliders(anatomy):
    """Issue 16: every bundled page ≤ 10 MB. force_closure's "more parameters" (19 sliders × 2
    panels) once made it 23 MB; the plan must bring the estimate under the budget left after the
    bones and viewer, and keep every slider the scene sets or animates at the full grid."""
    scene = load("force_closure")
    evaluators = panel_evaluators(scene, anatomy)
    packer = page_module.Packer()
    anatomies = [page_module._anatomy_data(anatomy, triangle_budget(len(scene.panels)), get_theme(scene.theme),
                                           packer, evaluators[0])]
    room = PAGE_BUDGET_MB * 1e6 - page_module.page_overhead_bytes(packer, anatomies)
    unlimited = plan_samples(scene, evaluators, Resolution(), None)
    assert unlimited.estimated_bytes > PAGE_BUDGET_MB * 1e6  # the page the budget exists for
    plan = plan_samples(scene, evaluators, Resolution(), room)
    assert plan.estimated_bytes <= room
    assert plan.other_grid_points >= 2  # the other sliders are coarsened before they are dropped


def test_budget_leaves_out_other_sliders_and_says_so(tmp_path, capsys, anatomy):
    """A tight budget drops "more parameters" sliders (never the scene's own, kept at the full grid
    and timeline), the page counts them for its note, and the share note names them in one line."""
    (tmp_path / "ramp.toml").write_text(KEYFRAMED_FLARE, encoding="utf-8")
    scene = load(tmp_path / "ramp.toml")
    resolution = Resolution(grid_points=3, time_samples_per_s=2.0, other_grid_points=5, overlap="scene")
    evaluators = panel_evaluators(scene, anatomy)
    full = plan_samples(scene, evaluators, resolution, None)
    nothing_else = plan_samples(scene, evaluators, resolution, 1.0)  # below even the scene's own sliders
    assert nothing_else.other_kept == 0
    plan = plan_samples(scene, evaluators, resolution, full.estimated_bytes - 1)
    assert plan.estimated_bytes < full.estimated_bytes
    motions, _ = scene_motions(scene, anatomy, resolution, evaluators, nothing_else)
    names = [s["name"] for s in motions[0]["sliders"]]
    numeric = [p.name for p in get_model("flare").parameters if not p.is_choice]
    assert names == ["left_deg"] and motions[0]["left_out"] == len(numeric) - 1
    assert sorted(motions[0]["left_out_names"]) == sorted(set(numeric) - {"left_deg"})
    left = motions[0]["sliders"][0]
    assert len(left["grid"]) == len(slider_grid(get_model("flare").parameter("left_deg"), [0.0, 2.0], 3))
    assert left["n"] == 1  # holding the only keyframed parameter leaves nothing moving: one sample each
    # A budget just under the full page keeps the scene's slider and coarsens or drops only the others.
    partial, _ = scene_motions(scene, anatomy, resolution, evaluators, plan)
    assert partial[0]["sliders"][0]["name"] == "left_deg" and partial[0]["sliders"][0]["grid"] == left["grid"]
    assert main(["share", str(tmp_path / "ramp.toml"), "-o", str(tmp_path / "ramp.html"), "--grid", "2", "--max-mb", "0.01"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and "left out" in printed[1] and "right_deg" in printed[1]  # one line of what is missing
    meta, _ = meta_and_bytes((tmp_path / "ramp.html").read_text(encoding="utf-8"))
    note = page_module.budget_note(meta)
    assert note.count("\n") == 0 and "left out" in note and "right_deg" in note
    assert meta["motions"][0]["left_out"] == len(numeric) - 1
