"""The desktop app (issue 5).

Widget logic runs in this process under ``QT_QPA_PLATFORM=offscreen`` (Qt works, the 3D view has
no OpenGL, actor matrices still change). Everything that must render inside the Qt window runs in a
child process under an Xvfb started by a session fixture (tests/xvfb.py); a missing Xvfb fails.

Image regression: ``tests/images/app_*.png`` (view presets at neutral, a posed model with and
without names and numbers) are compared tile by tile (``image_compare.py``), a tolerance shown to
fail on a mirrored view, another pose and one changed word; regenerate them on purpose only, with
``PELVISIM_REGENERATE_IMAGES=1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any QApplication exists in this process

import numpy as np
import pytest

import pelvisim
from app_helpers import open_window
from pelvisim.view.keys import KEYMAP, help_text
from pelvisim.view.state import PHASE_END, VIEWS, AppState, PanelChoice

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"
REGENERATE = os.environ.get("PELVISIM_REGENERATE_IMAGES") == "1"


# --- pure state (no Qt) ---------------------------------------------------------------------
def test_state_validates_and_resets():
    state = AppState.from_models(["flare"])
    assert state.set_value(0, "left_deg", "2.5") == 2.5
    with pytest.raises(pelvisim.ParameterError, match="left_deg must be a number from -15 to 15"):
        state.set_value(0, "left_deg", 99)
    assert state.reset_value(0, "left_deg") == 0.0
    with pytest.raises(pelvisim.ParameterError, match="Expected 1 to 4 panels"):
        state.set_panel_count(5)
    state.set_panel_count(3)
    assert len({p.model for p in state.panels}) == 3


def test_state_playback_loops_or_stops_at_the_end():
    state = AppState(playing=True, speed=1.0, loop=True)
    state.advance(0.75)
    state.advance(0.5)
    assert state.phase == pytest.approx(0.25)
    state.loop = False
    state.advance(2.0)
    assert state.phase == PHASE_END and not state.playing


def test_state_from_scene_reads_panels_duck_typed():
    class Scene:
        title = "inflare vs sacral rotation"
        panels = [{"model": "flare", "parameters": {"left_deg": 1.5}, "label": "flare"}, {"model": "nutation"}]
        magnification = 20
        overlays = {"trails": True}
        camera = "posterior"

    state = AppState.from_scene(Scene())
    assert [p.model for p in state.panels] == ["flare", "nutation"]
    assert state.panels[0].values["left_deg"] == 1.5 and state.panels[0].title == "flare"
    assert state.magnification == 20 and state.overlays["trails"] and state.view == "posterior"


def test_every_key_action_is_handled_and_listed_in_help():
    from pelvisim.view.app import MainWindow

    source = Path(sys.modules[MainWindow.__module__].__file__).read_text()
    for key in KEYMAP:
        kind, _, arg = key.action.partition(":")
        assert (kind in ("view", "overlay")) or f'"{key.action}"' in source, key.action
        assert key.says in help_text()
    assert {f"view:{v}" for v in VIEWS} <= {k.action for k in KEYMAP}


# --- the window under QT_QPA_PLATFORM=offscreen ---------------------------------------------
@pytest.fixture
def window(anatomy):
    from PySide6 import QtWidgets

    with open_window(anatomy, AppState.from_models(["flare"])) as win:
        assert QtWidgets.QApplication.platformName() == "offscreen"
        yield win


def _matrix(panel, bone: str) -> np.ndarray:
    return np.array(panel.actors[bone].user_matrix, dtype=float)


def test_slider_moves_the_bone_and_updates_the_table(window):
    panel = window.panels[0]
    control = window.panel_controls[0].controls["left_deg"]
    before_left, before_sacrum = _matrix(panel, "innominate_left"), _matrix(panel, "sacrum")
    assert ("Left innominate", "neutral") in window.panel_controls[0].table_text()

    control.slider.setValue(control.slider.value() + round(2.0 / control.step))  # user drags to +2°

    assert window.state.panels[0].values["left_deg"] == pytest.approx(2.0)
    assert control.number.value() == pytest.approx(2.0)
    assert not np.allclose(_matrix(panel, "innominate_left"), before_left)
    np.testing.assert_allclose(_matrix(panel, "sacrum"), before_sacrum)
    left = dict(window.panel_controls[0].table_text())["Left innominate"]
    assert left.startswith("left inflare") and "2.0°" in left  # named by its signature, with the angle
    # 2° is within measured flare, but it closes the symphysis gap beyond pelvisim's 0.5 mm threshold (none was measured in vivo)
    note = window.panel_controls[0].warning
    assert not note.isHidden() and "Symphysis gap closes" in note.text() and "left_deg" not in note.text()
    assert any(n.startswith("symphysis gap change") for n in panel.notes)  # and in the 3D view


def test_slider_is_keyboard_adjustable_and_resets(window):
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    control = window.panel_controls[0].controls["right_deg"]
    control.slider.setFocus()
    for _ in range(5):
        QTest.keyClick(control.slider, QtCore.Qt.Key.Key_Right)
    assert window.state.panels[0].values["right_deg"] == pytest.approx(5 * control.step)
    control.reset_button.click()
    assert window.state.panels[0].values["right_deg"] == 0.0


def test_beyond_in_vivo_range_shows_a_note(window):
    window.panel_controls[0].controls["left_deg"].number.setValue(8.0)
    note = window.panel_controls[0].warning
    assert not note.isHidden()
    assert "left_deg = 8 deg exceeds measured in-vivo motion" in note.text()


def test_model_dropdown_rebuilds_the_sliders(window):
    box = window.panel_controls[0].model_box
    box.setCurrentIndex(box.findData("nutation"))
    assert window.state.panels[0].model == "nutation"
    controls = window.panel_controls[0].controls
    assert set(controls) == {"angle_deg", "axis_level", "axis_anterior_mm"}
    assert controls["axis_level"].combo is not None  # choice parameter -> drop-down
    before = _matrix(window.panels[0], "sacrum")
    controls["angle_deg"].number.setValue(2.0)
    assert not np.allclose(_matrix(window.panels[0], "sacrum"), before)
    sacrum = dict(window.panel_controls[0].table_text())["Sacrum"]
    assert "nutation" in sacrum and "2.0°" in sacrum


def test_magnification_is_labelled_in_every_panel_and_never_reaches_descriptors(window):
    window.set_panel_count(3)
    assert len(window.panels) == 3 and len(window.panel_controls) == 3
    window.set_value(0, "left_deg", 1.0)
    true_scale = window.descriptors[0].innominate_left.inflare_deg
    matrix_true = _matrix(window.panels[0], "innominate_left")
    window.set_magnification(20.0)
    assert all(p.magnification_actor.GetInput() == "×20 — exaggerated" for p in window.panels)
    assert window.descriptors[0].innominate_left.inflare_deg == pytest.approx(true_scale)
    assert not np.allclose(_matrix(window.panels[0], "innominate_left"), matrix_true)


def test_play_advances_the_phase_and_moves_gait_models(window):
    from PySide6.QtTest import QTest

    window.set_model(0, "gait")
    window.state.speed = 1.0
    before = _matrix(window.panels[0], "sacrum")
    window.playback.play.click()
    assert window.state.playing and window.timer.isActive()
    QTest.qWait(400)
    window.playback.play.click()
    assert not window.state.playing
    assert 0.1 < window.state.phase < 0.9
    assert window.playback.scrubber.value() == int(window.state.phase * window.playback.STEPS)
    assert not np.allclose(_matrix(window.panels[0], "sacrum"), before)


def test_overlay_toggle_and_view_keys(window):
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    QTest.keyClick(window, QtCore.Qt.Key.Key_P)
    assert window.state.overlays["palpation"] and "palpation" in window.panels[0].overlays
    window.display_box.overlays["palpation"].click()
    assert "palpation" not in window.panels[0].overlays
    QTest.keyClick(window, QtCore.Qt.Key.Key_2)
    assert window.state.view == "posterior"
    camera = window.panels[0].renderer.GetActiveCamera()
    assert np.array(camera.GetPosition())[0] < np.array(camera.GetFocalPoint())[0]  # behind the patient
    QTest.keyClick(window, QtCore.Qt.Key.Key_Question)
    assert "PgDown" in window.help_dialog.informativeText()
    window.help_dialog.close()


def test_presentation_mode_keys(window, monkeypatch, tmp_path):
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    import pelvisim.view.app as app_module

    scenes = [tmp_path / "a_flare.toml", tmp_path / "b_torsion.toml"]
    by_file = {scenes[0]: ["flare"], scenes[1]: ["sacral_torsion", "nutation"]}
    monkeypatch.setattr(app_module, "load_scene_state", lambda path: AppState.from_models(by_file[Path(path)]))
    window.scenes, window.scene_index = scenes, 0

    QTest.keyClick(window, QtCore.Qt.Key.Key_F5)
    assert window.presenting and window.isFullScreen()
    assert window.controls_scroll.isHidden() and window.playback.isHidden()
    assert window.panels[0].theme.name == "projector" and "descriptors" in window.panels[0].overlays

    QTest.keyClick(window, QtCore.Qt.Key.Key_PageDown)  # what a clicker sends for "next"
    assert window.scene_index == 1 and [p.model for p in window.state.panels] == ["sacral_torsion", "nutation"]
    assert len(window.panels) == 2 and window.panels[0].theme.name == "projector"
    QTest.keyClick(window, QtCore.Qt.Key.Key_PageDown)  # already the last scene: stays
    assert window.scene_index == 1
    QTest.keyClick(window, QtCore.Qt.Key.Key_PageUp)
    assert window.scene_index == 0 and [p.model for p in window.state.panels] == ["flare"]

    QTest.keyClick(window, QtCore.Qt.Key.Key_Escape)
    assert not window.presenting and not window.isFullScreen()
    assert not window.controls_scroll.isHidden() and window.panels[0].theme.name == "default"
    QTest.keyClick(window, QtCore.Qt.Key.Key_F11)
    assert window.presenting
    QTest.keyClick(window, QtCore.Qt.Key.Key_F11)
    assert not window.presenting


def test_each_panel_keeps_the_scenes_magnification_and_view(anatomy):
    """The flagship's right panel is ×20 in the app too; the controls say which sets one panel and which all."""
    from pelvisim.scene import load

    with open_window(anatomy, AppState.from_scene(load("flagship"))) as window:
        badges = [p.magnification_actor.GetInput() for p in window.panels]
        assert badges == ["true scale", "×20 — exaggerated"]
        magnification = window.panels[1].pose.magnification
        assert magnification == 20.0 and window.panels[0].pose.magnification == 1.0
        # the Display box shows true scale while panel 2 keeps its ×20: its label must not claim "all panels"
        label = window.display_box.layout().labelForField(window.display_box.magnification).text()
        assert label == "Magnification, panels without their own" and window.display_box.magnification.currentData() == 1.0
        own = window.panel_controls[1].magnification
        assert own.currentData() == 20.0 and "this panel" in own.toolTip()
        own.setCurrentIndex(own.findData(5.0))  # one panel only
        assert [p.pose.magnification for p in window.panels] == [1.0, 5.0]
        window.display_box.magnification.setCurrentIndex(window.display_box.magnification.findData(10.0))  # all panels
        assert [p.pose.magnification for p in window.panels] == [10.0, 10.0]
        assert [c.magnification.currentData() for c in window.panel_controls] == [None, None]
    with open_window(anatomy, AppState.from_scene(load("innominate_rotation"))) as window:
        assert [p.view for p in window.panels] == ["left_hemipelvis", "right_hemipelvis"]
        assert not window.panels[0].actors["innominate_right"].GetVisibility()
        window.set_view("anterior")  # the Display box sets every panel
        assert [p.view for p in window.panels] == ["anterior", "anterior"]


def test_record_this_keeps_each_panels_magnification_and_view(anatomy):
    from pelvisim.scene import load
    from pelvisim.view.render import scene_from_state

    state = AppState.from_scene(load("innominate_rotation"))
    state.set_panel_magnification(1, 5.0)
    scene = scene_from_state(state)
    assert [scene.panel_view(i) for i in range(2)] == ["left_hemipelvis", "right_hemipelvis"]
    assert [scene.panel_magnification(i) for i in range(2)] == [10.0, 5.0]


def _run_cli(args: list[str], env: dict[str, str], timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pelvisim.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_show_without_a_display_says_so_in_one_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = _run_cli(["show"], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0] and "pelvisim render" in lines[0]
    assert "Traceback" not in result.stderr


def test_app_opens_and_closes_cleanly_in_a_fresh_process():
    code = (
        "import pelvisim\n"
        "from pelvisim.view.app import MainWindow, application\n"
        "from pelvisim.view.state import AppState\n"
        "app = application()\n"
        "w = MainWindow(pelvisim.load_anatomy(), AppState.from_models(['flare', 'gait']))\n"
        "w.show(); app.processEvents(); w.set_playing(True)\n"
        "from PySide6 import QtCore\n"
        "QtCore.QTimer.singleShot(300, w.close)\n"
        "QtCore.QTimer.singleShot(600, app.quit)\n"
        "app.exec()\n"
        "print('closed', w.isVisible(), w.timer.isActive())\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("closed False False")
    assert "Traceback" not in result.stderr and "Error" not in result.stderr


# --- the 3D view under Xvfb -----------------------------------------------------------------
@pytest.fixture(scope="session")
def xvfb():
    sys.path.insert(0, str(HERE))
    import xvfb as xvfb_module

    with xvfb_module.xvfb_display() as display:
        yield xvfb_module, display


@pytest.fixture(scope="session")
def view_images(xvfb, tmp_path_factory):
    module, display = xvfb
    outdir = tmp_path_factory.mktemp("views")
    result = module.run_under_display(display, ["views", str(outdir)])
    assert result.returncode == 0, result.stderr[-3000:]
    from PIL import Image

    names = [*VIEWS, *(f"{v}_parallel" for v in VIEWS)]
    return {v: np.asarray(Image.open(outdir / f"{v}.png").convert("RGB")) for v in names}


@pytest.fixture(scope="session")
def app_checks(xvfb, tmp_path_factory):
    """Posed-model images, the flagship scene and a four-panel window rendered in the app under Xvfb."""
    import json

    from PIL import Image

    module, display = xvfb
    outdir = tmp_path_factory.mktemp("app")
    result = module.run_under_display(display, ["app", str(outdir)])
    assert result.returncode == 0, result.stderr[-3000:]
    images = {f.stem: np.asarray(Image.open(f).convert("RGB")) for f in outdir.glob("*.png")}
    return images, json.loads((outdir / "checks.json").read_text())


def _compare_with_reference(image: np.ndarray, name: str) -> None:
    from PIL import Image

    from image_compare import failing_tiles

    reference_file = IMAGES / f"app_{name}.png"
    if REGENERATE:
        IMAGES.mkdir(exist_ok=True)
        Image.fromarray(image).save(reference_file)
    assert reference_file.exists(), f"{reference_file.name} missing: run with PELVISIM_REGENERATE_IMAGES=1 once"
    reference = np.asarray(Image.open(reference_file).convert("RGB"))
    failing = failing_tiles(image, reference)
    assert not failing, f"{name}: {len(failing)} tiles differ from the stored image, e.g. {failing[:3]}"


@pytest.mark.parametrize("view", VIEWS)
def test_view_preset_matches_stored_image(view_images, view):
    _compare_with_reference(view_images[view], f"view_{view}")


@pytest.mark.parametrize("name", ["posed_bones", "posed_text"])
def test_posed_model_matches_stored_image(app_checks, name):
    """A posed model (left inflare 2° ×20), bones only and with names and key numbers."""
    _compare_with_reference(app_checks[0][name], name)


def test_the_image_tolerance_catches_a_mirror_a_pose_and_a_word(app_checks):
    """What the regression must fail on, each against the same stored references."""
    from PIL import Image

    from image_compare import failing_tiles

    images = app_checks[0]
    bones = np.asarray(Image.open(IMAGES / "app_posed_bones.png").convert("RGB"))
    text = np.asarray(Image.open(IMAGES / "app_posed_text.png").convert("RGB"))
    mirrored = failing_tiles(bones[:, ::-1], bones)
    other_pose = failing_tiles(images["posed_bones_other_pose"], bones)  # 1.9° instead of 2°
    other_word = failing_tiles(images["posed_text_other_title"], text)  # "outflare" for "inflare"
    print(f"failing tiles: mirrored {len(mirrored)}, 1.9° for 2° {len(other_pose)}, one word {len(other_word)}")
    assert mirrored and other_pose and other_word
    assert len(other_word) <= 12  # the word's own tiles, not the whole picture
    for view in ("anterior", "superior", "inferior"):  # nearly symmetric views: a mirror still fails
        reference = np.asarray(Image.open(IMAGES / f"app_view_{view}.png").convert("RGB"))
        assert failing_tiles(reference[:, ::-1], reference), f"a mirrored {view} view passes"


# --- the flagship and four panels in the app -----------------------------------------------------
def test_app_flagship_right_panel_is_drawn_and_labelled_x20(app_checks, anatomy):
    """The flagship scene's right panel: badge '×20', innominate drawn at ×20 of the true-scale state,
    and a silhouette that differs from the true-scale panel's (issue 10, item 9)."""
    from pelvisim.pose import pose
    from pelvisim.scene import load

    images, checks = app_checks
    left, right = checks["flagship"]["panels"]
    assert left["badge"] == "true scale" and right["badge"] == "×20 — exaggerated"
    assert (left["magnification"], right["magnification"]) == (1.0, 20.0)
    scene = load("flagship")
    state = scene.panels[1]
    from pelvisim.models import get_model

    true_state = get_model(state.model).joint_state(anatomy, state.parameters, right["phase"])
    np.testing.assert_allclose(right["innominate_left"], pose(anatomy, true_state, 20.0).T_world["innominate_left"],
                               atol=1e-9)
    np.testing.assert_allclose(left["innominate_left"], pose(anatomy, true_state, 1.0).T_world["innominate_left"],
                               atol=1e-9)
    image = images["flagship"].astype(float)
    h, w = image.shape[:2]
    halves = []
    for viewport in (left["viewport"], right["viewport"]):
        x0, y0, x1, y1 = viewport
        part = image[int((1 - y1) * h) + int(0.15 * h): int((1 - y0) * h), int(x0 * w): int(x1 * w)]
        halves.append(np.abs(part - image[-1, 0]).max(axis=2) > 30)
    width = min(halves[0].shape[1], halves[1].shape[1])
    differ = (halves[0][:, :width] ^ halves[1][:, :width]).mean()
    print(f"flagship panels' drawings differ in {differ:.1%} of the panel")
    assert differ > 0.01


def test_four_panel_labels_have_leaders_to_their_own_markers_and_never_overlap(app_checks):
    """In the four-panel app screenshot (2 × 2): each name's leader ends within 2 px of its own marker
    (projected by VTK), no two name boxes overlap or cover the panel's text, and a landmark the depth
    buffer shows hidden behind bone has no name."""
    images, checks = app_checks
    four = checks["four_panels"]
    assert four["grid"] == [2, 2]
    hidden_seen = 0
    for i, panel in enumerate(four["panels"]):
        markers, boxes, leaders = panel["markers"], panel["boxes"], panel["leaders"]
        assert len(boxes) >= 3, f"panel {i}: only {sorted(boxes)} named"
        assert set(leaders) == set(boxes)
        for name, (at_name, at_marker) in leaders.items():
            x, y, r = markers[name]["x"], markers[name]["y"], markers[name]["r"]
            assert np.hypot(at_marker[0] - x, at_marker[1] - y) <= r + 2.0, f"panel {i}: {name} leader misses its marker"
            nearest = min(markers, key=lambda m: np.hypot(at_marker[0] - markers[m]["x"], at_marker[1] - markers[m]["y"]))
            assert nearest == name, f"panel {i}: {name}'s leader ends nearer the marker of {nearest}"
            x0, x1, y0, y1 = boxes[name]
            assert x0 - 1 <= at_name[0] <= x1 + 1 and y0 - 1 <= at_name[1] <= y1 + 1, f"panel {i}: {name} leader leaves its name"
        names = sorted(boxes)
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                assert _disjoint(boxes[names[a]], boxes[names[b]]), f"panel {i}: {names[a]} overlaps {names[b]}"
            assert all(_disjoint(boxes[names[a]], text) for text in panel["text_boxes"]), f"panel {i}: {names[a]} covers text"
        for name, marker in markers.items():
            if all(marker["hidden"]):  # bone in front of the marker at its centre and four points around it
                hidden_seen += 1
                assert name not in boxes, f"panel {i}: {name} is hidden behind bone but named"
            if name in boxes:
                assert not all(marker["hidden"])
    assert hidden_seen >= 4, "the check needs landmarks hidden behind bone (the PSIS in an anterior view)"


def _disjoint(a, b) -> bool:
    return a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]


def _silhouette(image: np.ndarray) -> np.ndarray:
    background = image[-1, 0].astype(float)  # lower-left corner: no bone, no text
    mask = np.abs(image.astype(float) - background).max(axis=2) > 30
    mask[: int(0.08 * mask.shape[0])] = False  # title and magnification label
    return mask


@pytest.mark.parametrize("first, second", [("anterior", "posterior"), ("left", "right"), ("superior", "inferior")])
def test_opposite_views_are_mirror_silhouettes(view_images, first, second):
    """Independent of the stored images: looking from the other side mirrors the outline left-right.

    Checked with parallel projection, where the mirror is exact up to rasterisation.
    """
    a = _silhouette(view_images[f"{first}_parallel"])
    b = _silhouette(view_images[f"{second}_parallel"])[:, ::-1]
    assert a.sum() > 0.03 * a.size, f"{first}: the pelvis is missing from the image"
    overlap = (a & b).sum() / (a | b).sum()
    assert overlap > 0.97, f"{first} vs mirrored {second}: outlines overlap only {overlap:.0%}"
    unmirrored = _silhouette(view_images[f"{second}_parallel"])
    if first == "left":  # the pelvis is left-right symmetric, so only the side views tell mirroring apart
        assert (a & unmirrored).sum() / (a | unmirrored).sum() < overlap - 0.05


def test_show_screenshot_writes_the_window(xvfb, tmp_path):
    module, display = xvfb
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "VTK_DEFAULT_OPENGL_WINDOW")}
    env["DISPLAY"] = display
    out = tmp_path / "window.png"
    result = _run_cli(["show", "--model", "flare", "--model", "nutation", "--screenshot", str(out)], env)
    assert result.returncode == 0, result.stderr[-3000:]
    from PIL import Image

    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (720, 1280, 3)
    left_half = image[100:600, 100:800].astype(float)
    assert left_half.std() > 20, "the 3D area of the screenshot is blank"
