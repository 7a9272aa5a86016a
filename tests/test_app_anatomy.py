"""The app with a chosen pelvis per panel: the anatomy chooser, shape-mode sliders, ``show --subject``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any QApplication exists in this process

import numpy as np
import pytest

from app_helpers import open_window
from pelvisim.anatomy import sources
from pelvisim.view.state import AppState

HERE = Path(__file__).resolve().parent


@pytest.fixture
def window(anatomy):
    with open_window(anatomy, AppState.from_models(["innominate_rotation", "innominate_rotation"])) as win:
        yield win


def _pelvis_width(panel) -> float:
    return float(np.linalg.norm(panel.anatomy.point("asis_right") - panel.anatomy.point("asis_left")))


def test_choosing_a_subject_changes_only_that_panel(window):
    mean_width = _pelvis_width(window.panels[0])
    chooser = window.panel_controls[1].anatomy
    chooser.box.setCurrentIndex(chooser.box.findData("subject=7"))  # as a user picks it
    assert window.state.panels[1].anatomy == sources.as_spec(subject=7)
    assert window.state.panels[0].anatomy is None
    subject = sources.load(subject=7)
    assert window.panels[1].anatomy is subject and window.panels[0].anatomy is not subject
    assert abs(_pelvis_width(window.panels[1]) - mean_width) > 1.0  # 224.8 vs 234.6 mm
    assert window.panels[1].title.endswith("LLP26 subject 7")  # the panel says which pelvis it shows
    # the readout of that panel is computed on the subject: its landmark positions are the subject's
    left = window.descriptors[1].landmarks["asis_left"]["position_mm"]
    np.testing.assert_allclose(left, subject.point("asis_left"), atol=1e-6)  # the model's defaults are neutral


def test_shape_mode_sliders_choose_a_point_in_shape_space(window, monkeypatch):
    asked = []
    monkeypatch.setattr(window, "set_anatomy", lambda index, spec: asked.append((index, spec)))
    chooser = window.panel_controls[0].anatomy
    chooser.box.setCurrentIndex(chooser.box.findData("modes"))
    assert chooser.mode_form.isVisibleTo(chooser)
    chooser.sliders[2].setValue(-3)  # keyboard-like change: -1.5 SD
    assert asked[-1] == (0, sources.as_spec(modes={2: -1.5}))
    assert chooser.slider_labels[2].text() == "-1.5 SD"


def test_a_bad_anatomy_leaves_the_panel_as_it_was(window):
    window.set_anatomy(0, {"subject": 99})
    assert window.state.panels[0].anatomy is None
    assert "1 to 26" in window.statusBar().currentMessage()


def test_scene_anatomy_reaches_the_app_state(tmp_path):
    from pelvisim.scene import parse

    scene = parse('title = "t"\nanatomy = { subject = 3 }\n[[panels]]\nmodel = "flare"\n'
                  '[[panels]]\nmodel = "flare"\nanatomy = "bundled"\n', str(tmp_path / "s.toml"), base_dir=tmp_path)
    state = AppState.from_scene(scene)
    assert state.panels[0].anatomy == sources.as_spec(subject=3)
    assert state.panels[1].anatomy == sources.BUNDLED


def test_show_subject_opens_and_draws(tmp_path):
    sys.path.insert(0, str(HERE))
    import xvfb as xvfb_module

    out = tmp_path / "window.png"
    with xvfb_module.xvfb_display() as display:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "VTK_DEFAULT_OPENGL_WINDOW")}
        env["DISPLAY"] = display
        result = subprocess.run([sys.executable, "-m", "pelvisim.cli", "show", "--subject", "7", "--model", "flare",
                                 "--screenshot", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    from PIL import Image

    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (720, 1280, 3)
    assert image[100:600, 100:800].astype(float).std() > 20, "the 3D area of the screenshot is blank"


def test_tissue_rows_are_read_on_the_panels_own_pelvis(anatomy):
    from pelvisim.tissue.readout import describe_entries, side_table_rows

    with open_window(anatomy, AppState.from_models(["soft_tissue"])) as window:
        window.set_value(0, "posture", "single_leg_right")
        on_mean = dict(window.panel_controls[0].table_text())
        window.set_anatomy(0, {"subject": 7})
        subject = sources.load(subject=7)
        rows = dict(window.panel_controls[0].table_text())
        choice = window.state.panels[0]
        state = choice.positional_model.joint_state(subject, choice.values, window.state.phase)
        expected = dict(side_table_rows(describe_entries(subject, "soft_tissue", choice.values, window.state.phase, state)))
        assert expected and all(rows[label] == text for label, text in expected.items())
        assert any(on_mean[label] != text for label, text in expected.items())  # the subject's own ligaments


def test_the_windows_own_pelvis_is_named_in_every_title(anatomy):
    subject = sources.load(subject=7)
    with open_window(subject, AppState.from_models(["flare", "nutation"])) as window:  # as `show --subject 7`
        assert all(p.title.endswith(" — LLP26 subject 7") for p in window.panels), [p.title for p in window.panels]
        window.set_model(1, "sacral_rotation")
        assert window.panels[1].title.endswith(" — LLP26 subject 7")
