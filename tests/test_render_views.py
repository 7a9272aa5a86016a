"""From scene file to pixels: views per lesson, motion that shows, magnification per panel, what is
never magnified, ghost, trails, colour bars, the gait strip and the turntable (issues 12 and 13).

Every check looks at the rendered image or at the actors VTK draws, and compares with numbers
computed independently from the anatomy and the true-scale state.
"""

from __future__ import annotations

import render_helpers  # noqa: F401  (headless settings before pyvista)
import math
from dataclasses import replace

import numpy as np
import pytest

import pelvisim
from pelvisim import gait
from pelvisim.pose import NEUTRAL, pose
from pelvisim.scene import bundled_scene_names, frame_times, load, parse
from pelvisim.view.gait_strip import LABEL_WIDTH, READOUT_WIDTH, feet_on_ground, stance_intervals
from pelvisim.view.layout import panel_grid
from pelvisim.view.render import Stage, render
from render_helpers import read_frames

pytestmark = pytest.mark.render

SIZE = (640, 360)
"""Small frames: the checks are fractions of pixels, which do not depend on the size."""
CHANGED = 30
"""Grey levels (0–255) by which a pixel must differ to count as changed: well above shading noise
between two renders of the same frame (0 on one machine) and below a bone edge against the background."""

MOTION_SCENES = {
    "nutation": ("sacrum",), "sacral_torsion": ("sacrum",), "unilateral_sacral_flexion": ("sacrum",),
    "twisted_shifted_sacrum": ("sacrum", "sacrum"), "innominate_rotation": ("innominate_left", "innominate_right"),
    "iliacus_pull": ("innominate_left", "innominate_left"),
}
"""Issue 13's six scenes, with the bone whose motion each panel teaches."""


def _largest_motion_time(scene, anatomy) -> float:
    """Timeline time at which the pelvic bones are furthest from neutral (true scale, summed rotation angle)."""
    best, best_t = -1.0, 0.0
    for t in frame_times(scene, 4):
        total = 0.0
        for index in range(len(scene.panels)):
            state = scene.joint_state(anatomy, index, t)
            for T in state.T_pelvis.values():
                total += math.acos(max(-1.0, min(1.0, (np.trace(T[:3, :3]) - 1) / 2))) + 0.01 * np.linalg.norm(T[:3, 3])
        if total > best + 1e-12:
            best, best_t = total, t
    return best_t


def _bones_only(scene, **on):
    """The scene with only bones, ghost and axes drawn (no text, labels, arrows, trails, captions or title
    card), then the overlays ``on`` switched as given."""
    switches = {"landmarks": False, "descriptors": False, "arrows": False, "trails": False, **on}
    panels = tuple(replace(p, overlays={**p.overlays, **switches}) for p in scene.panels)
    return replace(scene, overlays={**scene.overlays, **switches}, panels=panels, captions=(),
                   output=replace(scene.output, title_card_s=0.0))


def _neutral_plan(stage, plan):
    """``plan`` with every panel back at neutral (same magnification, camera and gait phase)."""
    poses = tuple(pose(stage.anatomy, NEUTRAL, p.magnification) for p in plan.poses)
    return replace(plan, poses=poses, key=("neutral",), descriptors=(None,) * len(poses), notes=(None,) * len(poses))


def _background(stage) -> np.ndarray:
    import pyvista as pv

    return np.array(pv.Color(stage.theme.background).int_rgb, dtype=float)


def _panel_slices(stage, image):
    """Image slices of each panel's viewport."""
    h, w = image.shape[:2]
    out = []
    for panel in stage.panels:
        x0, y0, x1, y1 = panel.renderer.GetViewport()
        out.append((slice(int(round((1 - y1) * h)), int(round((1 - y0) * h))), slice(int(round(x0 * w)), int(round(x1 * w)))))
    return out


@pytest.mark.parametrize("name", bundled_scene_names())
def test_every_bundled_scene_shows_its_motion(anatomy, name):
    """At least 1 % of the still's bone pixels change between neutral and the pose it shows.

    Counted over the whole still: a panel may show that almost nothing moves (gurd_multifidus
    computes a turn of under a hundredth of a degree next to an imposed 1°). Panels of the neutral
    model do not count: they show a pelvis at rest on purpose (motion_or_morphology)."""
    scene = _bones_only(load(name))
    t = _largest_motion_time(scene, anatomy)
    stage = Stage(scene, anatomy, SIZE)
    try:
        plan = stage.plan(t)
        stage.apply(plan)
        posed = stage.image().astype(float)
        stage.apply(_neutral_plan(stage, plan))
        neutral = stage.image().astype(float)
        background = _background(stage)
        changed_total = bone_total = 0
        shares = []
        for (rows, cols), spec in zip(_panel_slices(stage, posed), scene.panels):
            if spec.model == "neutral":
                continue
            a, b = posed[rows, cols], neutral[rows, cols]
            bone = (np.abs(a - background).max(axis=2) > CHANGED) | (np.abs(b - background).max(axis=2) > CHANGED)
            changed = (np.abs(a - b).max(axis=2) > CHANGED) & bone
            shares.append(changed.sum() / max(bone.sum(), 1))
            changed_total, bone_total = changed_total + changed.sum(), bone_total + bone.sum()
    finally:
        stage.close()
    share = changed_total / max(bone_total, 1)
    print(f"{name}: t = {t:.2f} s, changed bone pixels {share:.1%} (per panel {[f'{s:.1%}' for s in shares]})")
    assert share >= 0.01, f"{name}: only {share:.2%} of the still's bone pixels change at t = {t:.2f} s"


def test_the_six_lessons_have_distinct_views():
    views = {name: tuple(load(name).panel_view(i) for i in range(len(load(name).panels))) for name in MOTION_SCENES}
    assert len(set(views.values())) == len(views), views
    assert views["nutation"] == ("sagittal_left",)
    assert views["innominate_rotation"] == ("left_hemipelvis", "right_hemipelvis")  # one ilium per panel


@pytest.mark.parametrize("name", sorted(MOTION_SCENES))
def test_the_moving_bone_is_drawn_and_seen(anatomy, name):
    """The bone the lesson is about is drawn in every panel and covers at least 3 % of it (hiding it
    changes that many pixels)."""
    bones = MOTION_SCENES[name]
    scene = _bones_only(load(name))
    stage = Stage(scene, anatomy, SIZE)
    try:
        stage.show(_largest_motion_time(scene, anatomy))
        with_bone = stage.image().astype(float)
        for panel, bone in zip(stage.panels, bones, strict=True):
            assert panel.bone_shown(bone) and panel.actors[bone].GetVisibility(), f"{name}: {bone} hidden"
            for actor in panel.bone_actors(bone):  # a cut sacrum is mostly its cut face
                actor.SetVisibility(False)
        without = stage.image().astype(float)
        for (rows, cols), bone in zip(_panel_slices(stage, with_bone), bones):
            share = (np.abs(with_bone[rows, cols] - without[rows, cols]).max(axis=2) > CHANGED).mean()
            assert share >= 0.03, f"{name}: the {bone} covers only {share:.1%} of a panel"
    finally:
        stage.close()


# --- magnification per panel; what is never magnified ------------------------------------------
TWO_PANELS = '''
title = "t"
[[panels]]
label = "true"
model = "flare"
parameters = {{ left_deg = 2.0 }}
magnification = 1
[[panels]]
label = "big"
model = "flare"
parameters = {{ left_deg = 2.0 }}
magnification = {second}
[timeline]
kind = "still"
[camera]
view = "superior"
[overlays]
landmarks = false
descriptors = false
'''


def _render_two(anatomy, second: float):
    stage = Stage(parse(TWO_PANELS.format(second=second)), anatomy, SIZE)
    try:
        stage.show(0.0)
        image = stage.image().astype(float)
        background = _background(stage)
        masks = [np.abs(image[r, c] - background).max(axis=2) > CHANGED for r, c in _panel_slices(stage, image)]
        badges = [p.magnification_actor.GetInput() for p in stage.panels]
        matrices = [np.array(p.actors["innominate_left"].user_matrix) for p in stage.panels]
    finally:
        stage.close()
    return masks, badges, matrices


def test_each_panel_draws_and_labels_its_own_magnification(anatomy):
    state = pelvisim.models.joint_state(anatomy, "flare", {"left_deg": 2.0})
    masks, badges, matrices = _render_two(anatomy, 20.0)
    assert badges == ["true scale", "×20 — exaggerated"]
    np.testing.assert_allclose(matrices[0], pose(anatomy, state, 1.0).T_world["innominate_left"], atol=1e-12)
    np.testing.assert_allclose(matrices[1], pose(anatomy, state, 20.0).T_world["innominate_left"], atol=1e-12)
    width = min(m.shape[1] for m in masks)
    differ = (masks[0][:, :width] ^ masks[1][:, :width]).mean()
    same_masks, same_badges, _ = _render_two(anatomy, 1.0)
    same = (same_masks[0][:, :width] ^ same_masks[1][:, :width]).mean()
    print(f"silhouettes differ in {differ:.2%} of the panel at ×20, {same:.2%} at ×1")
    assert same_badges == ["true scale", "true scale"]
    assert same < 0.002  # two panels of one pose: the same picture up to a pixel column of layout
    assert differ > 0.01 and differ > 10 * same


def test_whole_pelvis_motion_and_hip_angles_are_never_magnified(anatomy):
    """In a gait scene at ×1 and ×20 the ghost (whole-pelvis motion) and the femurs relative to their
    innominates are the same; only the intrapelvic motion differs."""
    text = '''
title = "gait"
magnification = {m}
[[panels]]
model = "gait"
parameters = {{ stiffness_ratio = 2.0 }}
[timeline]
kind = "gait"
[overlays]
ghost = true
femurs = true
landmarks = false
descriptors = false
'''
    images, states, drawn = {}, {}, {}
    for m in (1.0, 20.0):
        stage = Stage(parse(text.format(m=m)), anatomy, SIZE)
        try:
            plan = stage.plan(1.3)
            stage.apply(plan)
            panel = stage.panels[0]
            state = plan.poses[0].state
            np.testing.assert_allclose(np.array(panel.ghost_actors["sacrum"].user_matrix), state.T_world_pelvis, atol=1e-12)
            for side in ("left", "right"):
                T_in = np.array(panel.actors[f"innominate_{side}"].user_matrix)
                T_fe = np.array(panel.actors[f"femur_{side}"].user_matrix)
                np.testing.assert_allclose(np.linalg.inv(T_in) @ T_fe, state.T_innominate_femur[side], atol=1e-9)
            drawn[m] = {bone: np.array(panel.actors[bone].user_matrix) for bone in ("sacrum", "innominate_left")}
            for actor in (*panel.actors.values(), panel.title_actor, panel.magnification_actor, panel.notes_actor):
                actor.SetVisibility(False)
            images[m] = stage.image().astype(float)  # the ghost alone (and the gait strip, same phase)
            states[m] = state
        finally:
            stage.close()
    np.testing.assert_allclose(states[1.0].T_world_pelvis, states[20.0].T_world_pelvis, atol=1e-12)
    assert np.abs(images[1.0] - images[20.0]).max() <= 1, "the ghost moved with the magnification"

    def angle(T):
        return math.acos(max(-1.0, min(1.0, (np.trace(T[:3, :3]) - 1.0) / 2.0)))

    for bone, T1 in drawn[1.0].items():
        # ×1 -> ×20 adds 19 times the bone's own intrapelvic turn and nothing of the whole pelvis's
        between = np.linalg.inv(T1) @ drawn[20.0][bone]
        assert angle(between) == pytest.approx(19 * angle(states[1.0].T_pelvis[bone]), abs=1e-6), bone


def test_ghost_shows_only_when_on_and_only_where_the_bones_moved_away(anatomy):
    scene = parse(TWO_PANELS.format(second=20))
    shown = {}
    for ghost in (False, True):
        stage = Stage(replace(scene, overlays={**scene.overlays, "ghost": ghost}), anatomy, SIZE)
        try:
            stage.show(0.0)
            shown[ghost] = stage.image().astype(float)
            slices = _panel_slices(stage, shown[ghost])
        finally:
            stage.close()
    (r0, c0), (r1, c1) = slices
    true_scale = (np.abs(shown[True][r0, c0] - shown[False][r0, c0]).max(axis=2) > CHANGED).mean()
    magnified = (np.abs(shown[True][r1, c1] - shown[False][r1, c1]).max(axis=2) > CHANGED).mean()
    print(f"ghost pixels: {true_scale:.2%} at true scale, {magnified:.2%} at ×20")
    assert magnified > 0.005 and magnified > 5 * true_scale


def test_trails_follow_the_displayed_landmarks(anatomy):
    from pelvisim.models import get_model
    from pelvisim.pose import cycle_poses

    scene = _bones_only(load("gait"), trails=True)
    stage = Stage(scene, anatomy, SIZE)
    try:
        trails = stage.panels[0].layers["trails"]
        assert len(trails.actors) == 4 and all(a.GetVisibility() for a in trails.actors)
        path = np.asarray(trails.actors[0].mapper.dataset.points)
        poses = cycle_poses(anatomy, get_model("gait"), scene.panels[0].parameters, scene.panel_magnification(0), 60)
        asis = anatomy.landmark("asis_left")
        expected = np.array([(p.T_world[asis.bone] @ np.append(asis.position_mm, 1.0))[:3] for p in poses])
        np.testing.assert_allclose(path, expected, atol=1e-9)
        stage.show(0.0)
        with_trails = stage.image().astype(float)
        for actor in trails.actors:
            actor.SetVisibility(False)
        without = stage.image().astype(float)
        # four loops a few millimetres across, 3 px wide, at 640x360: about 150 pixels
        assert (np.abs(with_trails - without).max(axis=2) > CHANGED).sum() > 80
    finally:
        stage.close()


# --- colour bars --------------------------------------------------------------------------------
def _colour_bar_pixels(stage, panel, image):
    """Pixels of the panel's colour-bar box."""
    x0, x1, y0, y1 = panel.layers["colour_map"].boxes()[0]
    h = image.shape[0]
    vx0, vy0, _, _ = panel.renderer.GetViewport()
    ox, oy = vx0 * image.shape[1], vy0 * h
    return image[int(h - oy - y1): int(h - oy - y0), int(ox + x0): int(ox + x1)]


@pytest.mark.parametrize("name", [n for n in bundled_scene_names()
                                  if any(load(n).panel_overlays(i)["colour_map"] for i in range(len(load(n).panels)))])
def test_every_colour_map_has_a_colour_bar(anatomy, name):
    """The bar is drawn: its box holds the colour map's low (pale yellow) and high (dark red) ends and
    its title names the quantity, unit and frame."""
    scene = load(name)
    stage = Stage(replace(scene, captions=()), anatomy, SIZE)
    try:
        stage.show(0.0)
        image = stage.image().astype(float)
        for index, panel in enumerate(stage.panels):
            if not scene.panel_overlays(index)["colour_map"]:
                continue
            bar = panel.layers["colour_map"].bar
            assert bar.GetVisibility()
            assert "mm (true scale)" in bar.GetTitle() and "relative to the sacrum" in bar.GetTitle()
            pixels = _colour_bar_pixels(stage, panel, image).reshape(-1, 3)
            lut = panel.actors["innominate_left"].mapper.lookup_table
            for value in panel.layers["colour_map"].range_mm:
                colour = np.array(lut.map_value(value)[:3], dtype=float)
                nearest = np.abs(pixels - colour).max(axis=1).min()
                assert nearest < 25, f"{name} panel {index}: no pixel of the bar has the colour of {value} mm"
    finally:
        stage.close()


def test_colour_map_colours_are_the_true_scale_displacement(anatomy):
    """Visible surface points are drawn in the colour of their displacement relative to the sacrum,
    computed here with numpy from the true-scale state (hue compared as G/R, which lighting keeps)."""
    import matplotlib

    from pelvisim import frames

    scene = _bones_only(load("stiffness_symmetric_vs_asymmetric"), ghost=False)
    stage = Stage(scene, anatomy, (960, 540))
    try:
        plan = stage.plan(1.75)
        stage.apply(plan)
        image = stage.image().astype(float)
        panel = stage.panels[1]
        state = plan.poses[1].state
        T = frames.invert(state.T_pelvis["sacrum"]) @ state.T_pelvis["innominate_right"]
        vertices = np.asarray(panel.neutral_vertices["innominate_right"])
        expected = np.linalg.norm(vertices @ (T[:3, :3] - np.eye(3)).T + T[:3, 3], axis=1)
        to_world = np.array(panel.actors["innominate_right"].user_matrix)
        colours = matplotlib.colormaps[panel.theme.colour_map]
        renderer, window, h = panel.renderer, stage.plotter.ren_win, image.shape[0]
        errors = []
        for k in range(0, len(vertices), 19):
            renderer.SetWorldPoint(*(to_world @ np.append(vertices[k], 1.0))[:3], 1.0)
            renderer.WorldToDisplay()
            x, y, z = renderer.GetDisplayPoint()
            if abs(window.GetZbufferDataAtPoint(int(round(x)), int(round(y))) - z) > 2e-4:
                continue  # hidden behind another surface
            drawn = image[h - 1 - int(round(y)), int(round(x))]
            wanted = np.array(colours(expected[k] / 2.0)[:3])
            errors.append(drawn[1] / max(drawn[0], 1.0) - wanted[1] / wanted[0])
    finally:
        stage.close()
    print(f"{len(errors)} points, median |G/R error| {np.median(np.abs(errors)):.3f}")
    assert len(errors) >= 20
    assert np.median(np.abs(errors)) < 0.05  # 0.05 of a G/R that spans 1.0 over the 0–2 mm range: about 0.1 mm


def test_the_lax_side_is_the_more_intensely_coloured(anatomy):
    """stiffness_symmetric_vs_asymmetric, left SIJ 2× stiffer: relative to the sacrum the lax right
    innominate moves more in its stance than the stiff left one in its own, and its pixels are the
    redder (YlOrRd: green falls from 255 to 0 while red stays high; 1 − G/R is 0 at 0 mm, 1 at 2 mm).
    Each side is read at the moments of its own stance (right 0.5–2.0 s, left 2.5–3.75 s of a 4 s stride)."""
    scene = load("stiffness_symmetric_vs_asymmetric")
    stage = Stage(replace(scene, captions=()), anatomy, SIZE)
    peak = {0: {"left": 0.0, "right": 0.0}, 1: {"left": 0.0, "right": 0.0}}
    try:
        for t in (0.75, 1.75, 2.75, 3.75):
            stage._shown = None
            stage.show(t)
            image = stage.image().astype(float)
            for index, panel in enumerate(stage.panels):
                rows, cols = _panel_slices(stage, image)[index]
                for side in ("left", "right"):
                    # the innominate's own pixels: drawn alone vs nothing drawn
                    for bone, actor in panel.actors.items():
                        actor.SetVisibility(bone == f"innominate_{side}")
                    alone = stage.image().astype(float)[rows, cols]
                    panel.actors[f"innominate_{side}"].SetVisibility(False)
                    empty = stage.image().astype(float)[rows, cols]
                    mask = np.abs(alone - empty).max(axis=2) > CHANGED
                    colours = image[rows, cols][mask]
                    shade = float(np.mean(1.0 - colours[:, 1] / np.maximum(colours[:, 0], 1.0)))
                    peak[index][side] = max(peak[index][side], shade)
                    for bone in ("sacrum", "innominate_left", "innominate_right"):
                        panel.actors[bone].SetVisibility(True)
    finally:
        stage.close()
    print("peak colour intensity (1 - G/R), left / right:", {i: f"{p['left']:.2f}/{p['right']:.2f}" for i, p in peak.items()})
    lax, stiff = peak[1]["right"], peak[1]["left"]
    assert lax > stiff + 0.05, "the lax right innominate should be the more intensely coloured"
    # the asymmetry is the stiffness ratio's: the even panel is less lopsided
    assert lax - stiff > peak[0]["right"] - peak[0]["left"]


# --- layouts, gait strip, turntable ------------------------------------------------------------
def test_panel_grids_follow_the_aspect():
    assert panel_grid(4, 1280, 720) == (2, 2)
    assert panel_grid(4, 2560, 720) == (1, 4)  # a very wide frame keeps them in a row
    assert panel_grid(3, 1280, 720) == (1, 3)
    assert panel_grid(2, 1280, 720) == (1, 2)
    assert panel_grid(2, 720, 1280) == (2, 1)  # portrait
    assert panel_grid(1, 300, 900) == (1, 1)


def test_four_panels_are_laid_out_two_by_two_and_share_a_camera(anatomy):
    scene = load("nutation_axis_levels")
    four = replace(scene, panels=(*scene.panels, scene.panels[0]), captions=())
    stage = Stage(four, anatomy, (1280, 720))
    try:
        viewports = [tuple(round(v, 3) for v in p.renderer.GetViewport()) for p in stage.panels]
        assert stage.grid == (2, 2)
        assert {v[0] for v in viewports} == {0.0, 0.5} and len({v[1] for v in viewports}) == 2
        cameras = {id(p.renderer.GetActiveCamera()) for p in stage.panels}
        assert len(cameras) == 1
    finally:
        stage.close()


def test_gait_strip_knows_the_stance_phases():
    assert stance_intervals("right") == [gait.STANCE["right"]]
    assert stance_intervals("left") == [(0.5, 1.0), (0.0, pytest.approx(0.12))]
    assert feet_on_ground(0.3) == ["right"] and feet_on_ground(0.8) == ["left"]
    assert feet_on_ground(0.05) == ["right", "left"]  # double support after right initial contact


def test_gait_strip_cursor_moves_with_the_phase(anatomy):
    """The cursor (a bright vertical line in the strip) sits at the phase's share of the bar."""
    scene = replace(_bones_only(load("gait")), captions=())
    stage = Stage(scene, anatomy, (800, 450))
    try:
        found = {}
        for t in (0.8, 2.6):
            stage.show(t)
            image = stage.image().astype(float)
            strip = stage.gait_strip.renderer.GetViewport()
            h, w = image.shape[:2]
            rows = slice(int((1 - strip[3]) * h) + 2, int((1 - strip[1]) * h) - 2)
            bright = (image[rows].min(axis=2) > 200).mean(axis=0)  # white through both rows
            column = int(np.argmax(bright))
            found[t] = column / w
            x0, x1 = LABEL_WIDTH, 1.0 - READOUT_WIDTH
            expected = x0 + scene.phase_at(t) * (x1 - x0)
            assert abs(found[t] - expected) < 4.0 / w, (t, found[t], expected)
        assert "foot down" in stage.gait_strip.text.GetInput()
    finally:
        stage.close()


def test_turntable_orbits_once(anatomy, tmp_path, monkeypatch):
    """One orbit: the camera that draws each frame turns 360°/n a frame about its up axis at a fixed
    distance, and the last frame is back next to the first."""
    cameras = []
    original = Stage.apply

    def apply_and_note_the_camera(stage, plan):
        changed = original(stage, plan)
        camera = stage.panels[0].renderer.GetActiveCamera()
        cameras.append((np.array(camera.GetPosition()), np.array(camera.GetFocalPoint()), np.array(camera.GetViewUp())))
        return changed

    monkeypatch.setattr(Stage, "apply", apply_and_note_the_camera)
    frames_seen = []
    result = render("shear", tmp_path / "turn.mp4", anatomy=anatomy, size="320x180", fps=3, turntable=True,
                    on_frame=lambda k, image: frames_seen.append(image.astype(float)))
    n = result.n_frames
    assert n == 24  # 8 s at 3 fps, no title card
    assert len(read_frames(result.path)) == n
    position0, focus, up = cameras[0]
    start = position0 - focus
    side = np.cross(up, start)
    angles = []
    for position, f, u in cameras:
        np.testing.assert_allclose(f, focus, atol=1e-9)
        offset = position - focus
        assert np.linalg.norm(offset) == pytest.approx(np.linalg.norm(start), rel=1e-9)
        angles.append(math.degrees(math.atan2(offset @ side / np.linalg.norm(side), offset @ start / np.linalg.norm(start))) % 360)
    np.testing.assert_allclose(angles, [360.0 * k / n for k in range(n)], atol=1e-6)
    difference = [np.abs(f - frames_seen[0]).mean() for f in frames_seen]
    assert difference[-1] < difference[n // 4] and difference[-1] < difference[n // 2]


def test_turntable_needs_a_video(anatomy, tmp_path):
    with pytest.raises(pelvisim.ParameterError, match="turntable is a video"):
        render("flare", tmp_path / "still.png", anatomy=anatomy, turntable=True)


def test_true_scale_vs_x20_says_the_bones_overlap_only_at_x20(anatomy):
    """The ×20 panel, where the pubic bones pass through each other, carries the note; true scale does not."""
    scene = replace(load("true_scale_vs_x20"), captions=())
    stage = Stage(scene, anatomy, SIZE)
    try:
        stage.show(0.0)
        image = stage.image().astype(float)
        notes = [panel.notes for panel in stage.panels]
        drawn = [panel.notes_actor.GetInput() for panel in stage.panels]
        (r0, c0), (r1, c1) = _panel_slices(stage, image)
        panel = stage.panels[1]
        x0 = int(panel.renderer.GetOrigin()[0])
        bbox = [0.0] * 4
        panel.notes_actor.GetBoundingBox(panel.renderer, bbox)
        x, y = panel.notes_actor.GetPosition()
        h = image.shape[0]
        box = image[h - int(y + bbox[3]): h - int(y + bbox[2]), x0 + int(x + bbox[0]): x0 + int(x + bbox[1])]
    finally:
        stage.close()
    assert "bones overlap: an artefact of ×20" in notes[1] and "bones overlap" in drawn[1]
    assert not any("bones overlap" in n for n in notes[0])
    warning = np.array(__import__("pyvista").Color(stage.theme.warning_colour).int_rgb, dtype=float)
    assert (np.abs(box - warning).max(axis=2) < 40).sum() > 50, "the note is not drawn in the warning colour"


@pytest.mark.parametrize("view, left_is_right_on_screen", [("anterior", True), ("posterior", False)])
def test_names_say_the_patients_side(anatomy, view, left_is_right_on_screen):
    """"ASIS L" is the patient's left: right of "ASIS R" on the screen seen from the front, left of it from behind."""
    scene = replace(_bones_only(load("flare"), landmarks=True), camera=replace(load("flare").camera, view=view))
    stage = Stage(scene, anatomy, SIZE)
    try:
        stage.show(0.0)
        stage.image()
        boxes = stage.panels[0].layers["landmarks"].boxes_px
        side = "psis" if view == "posterior" else "asis"
        left, right = boxes[f"{side}_left"], boxes[f"{side}_right"]
    finally:
        stage.close()
    assert (left[0] > right[1]) == left_is_right_on_screen


def test_render_command_writes_a_turntable(tmp_path):
    from pelvisim.cli import main
    from render_helpers import count_video_frames

    out = tmp_path / "turn.mp4"
    assert main(["render", "shear", "-o", str(out), "--turntable", "--fps", "2", "--size", "160x96"]) == 0
    assert count_video_frames(out)[0] == 16  # one 8 s orbit at 2 fps
