"""The app with the soft tissue: the side table lists ligament strains and muscle forces, and the
tissue overlay draws the pulling muscle (offscreen Qt: actors change, nothing is drawn)."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any QApplication exists in this process

import pytest

from app_helpers import open_window
from pelvisim.tissue.ligaments import ligament_names
from pelvisim.view.state import AppState


@pytest.fixture()
def window(anatomy):
    with open_window(anatomy, AppState.from_models(["soft_tissue"])) as w:
        yield w


def test_side_table_lists_ligaments_and_the_muscle_that_pulls(window):
    rows = dict(window.panel_controls[0].table_text())
    assert sum(label.startswith("Ligament: ") for label in rows) == len(ligament_names())
    assert not any(label.startswith("Muscle: ") for label in rows)  # nothing pulls yet
    control = window.panel_controls[0].controls["iliacus_left_n"]
    control.number.setValue(400.0)
    rows = dict(window.panel_controls[0].table_text())
    assert rows["Muscle: iliacus (L)"] == "400 N"


def test_tissue_overlay_shows_the_muscle_when_it_pulls(window):
    window.set_overlay("tissue", True)
    overlay = window.panels[0].layers["tissue"].drawing
    assert overlay is not None and overlay.ligament_actor.visibility
    assert not overlay.muscle_actors["iliacus_left"].visibility
    window.panel_controls[0].controls["iliacus_left_n"].number.setValue(400.0)
    assert overlay.muscle_actors["iliacus_left"].visibility
    window.set_overlay("tissue", False)
    assert not overlay.ligament_actor.visibility and not overlay.muscle_actors["iliacus_left"].visibility
