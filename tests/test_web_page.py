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
from browser_helpers import bundled_pages  # noqa: F401  (fixture)
from pelvisim import frames
from pelvisim.cli import main
from pelvisim.errors import ParameterError
from pelvisim.output import OutputError
from pelvisim.models import get_model
from pelvisim.scene import bundled_scene_names, load
from pelvisim.web import Resolution, build_page, write_page
from pelvisim.web import page as page_module
from pelvisim.web.lesson import Evaluator, readout_columns, scene_motions, slider_grid, timeline_axis
from pelvisim.web.page import page_data, triangle_budget

LOW = Resolution(grid_points=2, phase_samples=4, time_samples_per_s=0.5, other_grid_points=2)
"""The cheapest page of a scene."""


def meta_and_bytes(page: str) -> tuple[dict, bytes]:
    meta = re.search(r'<script type="application/json" id="pelvisim-meta">(.*?)</script>', page, re.S).group(1)
    data = re.search(r'<script type="application/octet-stream" id="pelvisim-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(meta.replace("<\\/", "</")), base64.b64decode(data)


def view(blob: bytes, reference: list) -> np.ndarray:
    offset, count, kind = reference
    dtype = {"f64": "<f8", "f32": "<f4", "u16": "<u2", "u32": "<u4"}[kind]
    return np.frombuffer(blob, dtype=dtype, count=count, offset=offset)


@pytest.fixture(scope="module")
def flare_page(anatomy):
    return build_page("flare", anatomy, Resolution(grid_points=5))


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
    assert budget == 6000  # the desktop app's budget for one panel (view/app.py)
    assert [b["name"] for b in meta["bones"]] == ["sacrum", "innominate_left", "innominate_right", "femur_left", "femur_right"]
    for bone in meta["bones"]:
        vertices, faces = bone_surface(anatomy.bones[bone["name"]], budget)
        assert bone["n_triangles"] == len(faces) <= budget
        decoded = np.array(bone["origin_mm"]) + view(blob, bone["positions"]).reshape(-1, 3) * np.array(bone["step_mm"])
        # 16-bit coordinates over the bounding box: off by at most half a step (≤ 0.0034 mm here).
        assert np.abs(decoded - vertices).max() <= 0.5 * max(bone["step_mm"]) + 1e-12
        np.testing.assert_array_equal(view(blob, bone["indices"]).reshape(-1, 3), faces)


def test_packed_samples_are_the_lesson_samples(anatomy):
    scene = load("flare")
    meta, binary = page_data(scene, anatomy, Resolution(grid_points=5))
    blob = base64.b64decode(binary)
    motions, _ = scene_motions(scene, anatomy, Resolution(grid_points=5))
    packed, computed = meta["motions"][0], motions[0]
    np.testing.assert_array_equal(view(blob, packed["base"]["twists"]), computed["base"]["twists"].ravel())
    np.testing.assert_array_equal(view(blob, packed["base"]["readouts"]),
                                  computed["base"]["readouts"].ravel().astype(np.float32))
    for p, c in zip(packed["sliders"], computed["sliders"]):
        assert p["grid"] == c["grid"] and p["n"] == c["n"]
        np.testing.assert_array_equal(view(blob, p["twists"]), c["twists"].ravel())


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
def test_panels_with_the_same_motion_share_samples_and_sliders(anatomy):
    low = Resolution(grid_points=2, phase_samples=4, other_grid_points=2)
    motions, panel_motion = scene_motions(load("flagship"), anatomy, low)
    assert panel_motion == [0, 0] and motions[0]["panels"] == [0, 1]  # true scale and ×20: one motion
    motions, panel_motion = scene_motions(load("nutation_axis_levels"), anatomy, low)
    assert panel_motion == [0, 1, 2]  # S1, S2, S3 axes: three motions
    assert [m["fixed"][0]["value"] for m in motions] == ["S1", "S2", "S3"]


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
    _, readouts, _ = evaluate(get_model("flare"), {"left_deg": 1.0, "right_deg": 0.0}, 0.0)
    values = dict(zip((c["key"] for c in columns), readouts))
    assert values["innominate_left.inflare_deg"] == pytest.approx(1.0, abs=1e-9)
    assert values["innominate_right.inflare_deg"] == pytest.approx(0.0, abs=1e-9)
    # Mirror rule: the same motion on the right reads the same on the right.
    _, mirrored, _ = evaluate(get_model("flare"), {"left_deg": 0.0, "right_deg": 1.0}, 0.0)
    values_right = dict(zip((c["key"] for c in columns), mirrored))
    assert values_right["innominate_right.inflare_deg"] == pytest.approx(1.0, abs=1e-9)
    finding = "finding.ASIS-to-midline difference"
    assert values_right[finding] == pytest.approx(-values[finding], abs=0.05)  # left minus right flips
    assert all(c["frame"] for c in columns)  # every readout names what it is measured against


def test_slider_grids_hold_the_scenes_values_and_constant_samples_collapse(anatomy):
    scene = load("flare")
    motions, _ = scene_motions(scene, anatomy, Resolution(grid_points=5))
    sliders = {s["name"]: s for s in motions[0]["sliders"]}
    assert {0.0, 1.0} <= set(sliders["left_deg"]["grid"])  # the keyframes' 0° and 1° are exact
    assert sliders["left_deg"]["grid"][0] == -15.0 and sliders["left_deg"]["grid"][-1] == 15.0
    # Holding left_deg leaves nothing moving over time: one sample; right_deg keeps the keyframed
    # left moving, sampled at half the timeline's density (the scene does not use right_deg).
    assert sliders["left_deg"]["n"] == 1 and sliders["left_deg"]["in_scene"]
    assert not sliders["right_deg"]["in_scene"]
    # Half of the 10 samples per second over the whole timeline, both ends included.
    assert sliders["right_deg"]["n"] == timeline_axis(scene, Resolution(grid_points=5), coarse=True).n \
        == math.ceil(scene.duration_s * 5.0) + 1
    assert slider_grid(get_model("gait").parameter("stiffness_ratio"), [2.0], 2) == [0.5, 1.0, 2.0]


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


def test_resolution_is_validated():
    with pytest.raises(ParameterError, match="grid points per slider"):
        Resolution(grid_points=1)
    with pytest.raises(ParameterError, match="phase samples"):
        Resolution(phase_samples=2)
    with pytest.raises(ParameterError, match="time samples per second"):
        Resolution(time_samples_per_s=0.0)


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
def test_share_command_writes_pages(tmp_path, capsys):
    target = tmp_path / "lesson.html"
    assert main(["share", "flare", "-o", str(target), "--grid", "2", "--phase-samples", "8"]) == 0
    assert "wrote" in capsys.readouterr().out and target.stat().st_size > 100_000
    assert main(["share", "flare", "-o", str(target)]) == 2
    assert "exists; pass --overwrite to replace it" in capsys.readouterr().err
    assert main(["share", "flare", "shear", "-o", str(tmp_path), "--grid", "2"]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"lesson.html", "flare.html", "shear.html"}
    assert main(["share", "flare", "shear", "-o", str(target)]) == 2
    assert "-o must be an existing folder" in capsys.readouterr().err
    assert main(["share", "flare", "-o", str(tmp_path / "x.html"), "--grid", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "grid points per slider" in err  # one line, no traceback


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
