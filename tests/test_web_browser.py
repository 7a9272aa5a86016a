"""Lesson pages in a real browser (chromium + playwright): offline, drawn, interactive, and true to Python.

Every page is loaded from a file with all non-file requests aborted and recorded; any console
error or uncaught exception fails the test that caused it. One browser and one tab serve every
test (``browser_helpers``); each test loads its page afresh.
"""

from __future__ import annotations

import numpy as np
import pytest

import pelvisim
from browser_helpers import Page, flagship_resolution, low_resolution, scaled_anatomy, share_of_background
from pelvisim import frames
from pelvisim.descriptors import describe
from pelvisim.pose import pose
from pelvisim.scene import bundled_scene_names, load
from pelvisim.web import Resolution, write_page
from pelvisim.web.lesson import readout_columns, readout_vector

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLAGSHIP_PHASES = flagship_resolution().phase_samples


def python_landmarks(anatomy, scene, panel, time_s, magnification, names):
    """Landmark positions (n, 3) as :func:`pelvisim.pose.pose` displays them at ``time_s``."""
    shown = pose(anatomy, scene.joint_state(anatomy, panel, time_s), magnification)
    return np.array([frames.apply(shown.T_world[anatomy.landmark(n).bone], anatomy.point(n)) for n in names])


def landmark_names(page: Page) -> list[str]:
    return page.page.evaluate("window.pelvisim.meta.anatomies[0].landmarks.map(l => l.name)")


def write_scene(tmp_path, name: str, text: str, anatomy, resolution: Resolution | None = None):
    scene = tmp_path / f"{name}.toml"
    scene.write_text(text, encoding="utf-8")
    low = resolution or low_resolution()
    return write_page(scene, tmp_path / f"{name}.html", anatomy=anatomy, resolution=low).path


def pixels_near(image: np.ndarray, colour: str, tolerance: int = 12) -> int:
    """Pixels within ``tolerance`` per channel of the ``#rrggbb`` colour."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int(np.count_nonzero(np.all(np.abs(image.astype(int) - rgb) <= tolerance, axis=-1)))


def patch(image: np.ndarray, xy, half: int = 3) -> np.ndarray:
    """Mean colour of the (2·half+1)² pixels around screen point ``xy`` (CSS pixels of the view)."""
    x, y = int(round(xy[0])), int(round(xy[1]))
    return image[y - half:y + half + 1, x - half:x + half + 1].reshape(-1, 3).mean(axis=0)


# --- loading, drawing, the network ---------------------------------------------------------------
def test_page_loads_offline_and_draws_every_panel(page, lesson_pages):
    page.open(lesson_pages["flagship"])
    assert page.blocked == [], f"the page tried the network: {page.blocked}"
    assert page.requests == [lesson_pages["flagship"].resolve().as_uri()]  # the page itself, nothing else
    background = page.page.evaluate("window.pelvisim.meta.theme.background")
    for index in range(2):
        image = page.view_image(index)
        # A blank canvas is all background; the bones cover well over 5 % of each view.
        assert share_of_background(image, background) < 0.95
        assert image.std() > 10.0
    badges = page.page.locator("[data-role=magnification]").all_inner_texts()
    assert badges == ["true scale", "×20 — exaggerated"]


@pytest.fixture(scope="module")
def small_tab(browser):
    """A tab of its own for the bundled scenes, in a small window (each test loads a page in it)."""
    tab = Page(browser, viewport=(640, 480))
    yield tab
    tab.close()


@pytest.mark.parametrize("name", bundled_scene_names())
def test_every_bundled_scene_page_loads_and_draws(name, small_tab, bundled_pages):
    page = small_tab
    page.reset(viewport=(640, 480))
    page.open(bundled_pages[name])
    assert page.blocked == []
    background = page.page.evaluate("window.pelvisim.meta.theme.background")
    assert share_of_background(page.canvas_image(0, redraw=False), background) < 0.97  # the frame as the page drew it
    # Every panel shows the scene's own view of it (the lesson views included).
    scene = load(name)
    assert [p["view"] for p in page.shown()["panels"]] == [
        scene.camera.view if scene.camera.position_mm is not None and p.view is None else scene.panel_view(i)
        for i, p in enumerate(scene.panels)]
    # Every panel's magnification badge is shown, inside its view, and no title or label covers it.
    uncovered = page.page.evaluate("""() => Array.from(document.querySelectorAll('.view')).map(view => {
        const box = (e) => e.getBoundingClientRect();
        const apart = (a, b) => a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
        const badge = view.querySelector('[data-role=magnification]'), r = box(badge), v = box(view);
        const others = [view.querySelector('.panel-title'),
                        ...Array.from(view.querySelectorAll('.label')).filter(l => l.style.display !== 'none')];
        return badge.textContent.length > 0 && r.width > 0 && r.left >= v.left && r.right <= v.right && r.top >= v.top
            && getComputedStyle(badge).visibility === 'visible' && others.every(o => apart(box(o), r)); })""")
    assert uncovered and all(uncovered), uncovered
    assert not page.errors, f"the page logged errors: {page.errors}"


def test_without_webgl_the_page_says_so_instead_of_failing(browser, bundled_pages):
    # The browser's WebGL switched off for this tab only: every canvas refuses a WebGL context.
    no_webgl = """(() => { const get = HTMLCanvasElement.prototype.getContext;
        HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
            return String(kind).includes('webgl') ? null : get.call(this, kind, ...rest); }; })();"""
    p = Page(browser, init_script=no_webgl)
    try:
        p.open(bundled_pages["flare"], wait_for_frame=False)
        p.page.wait_for_function("() => window.pelvisim && window.pelvisim.state().error !== null")
        message = p.page.locator("#error").inner_text()
        errors = list(p.errors)
    finally:
        p.close()
    assert "A browser with WebGL is needed" in message
    assert not errors  # a warning, not an error: the page itself did nothing wrong


# --- the timeline and the sliders -----------------------------------------------------------------
def test_moving_a_slider_changes_the_picture_and_the_readout(page, lesson_pages, page_anatomy):
    page.open(lesson_pages["flare"])
    before_image, before_text = page.view_image(), page.readout()
    before_compact = page.page.locator("[data-role=compact-readout]").inner_text()
    slider = page.page.locator("#slider-0-left_deg")
    slider.fill("10")
    page.page.wait_for_function("() => window.pelvisim.shown().panels[0].source === 'grid'")
    page.page.wait_for_timeout(100)
    after_image, after_text = page.view_image(), page.readout()
    # ×10 of a 10° inflare swings the ilium across the view: many pixels change.
    assert np.mean(np.abs(after_image.astype(float) - before_image.astype(float))) > 2.0
    assert after_text != before_text
    expected = describe(page_anatomy, pelvisim.models.get_model("flare").joint_state(page_anatomy, {"left_deg": 10.0}))
    assert f"inflare {expected.innominate_left.inflare_deg:.2f}°" in after_text
    assert "exceeds measured in-vivo motion" in after_text  # 10° > the 4° measured (Goode 2008)
    compact = page.page.locator("[data-role=compact-readout]").inner_text()
    assert compact != before_compact and f"+{expected.innominate_left.inflare_deg:.2f}°" in compact
    page.page.get_by_role("button", name="Back to the scene's values").click()
    page.page.wait_for_function("() => window.pelvisim.shown().panels[0].source === 'timeline'")


def test_play_advances_the_phase_and_pause_stops_it(page, lesson_pages):
    page.open(lesson_pages["flagship"])
    assert page.state()["phase"] == 0.0
    start = np.array(page.shown()["panels"][0]["landmarks"])
    page.page.locator("#play").click()
    page.page.wait_for_function("() => window.pelvisim.state().phase > 0.05", timeout=20000)
    page.page.locator("#play").click()
    stopped = page.state()
    assert not stopped["playing"]
    page.page.wait_for_timeout(300)
    assert page.state()["t"] == stopped["t"]
    moved = np.array(page.shown()["panels"][0]["landmarks"])
    # 5 % of a stride turns the pelvis by a degree or more: landmarks move by millimetres.
    assert np.abs(moved - start).max() > 1.0
    assert page.shown()["gait"]["phase"] == pytest.approx(stopped["phase"], abs=1e-12)  # the strip's cursor followed


def test_page_pose_equals_python_at_samples(page, lesson_pages, page_anatomy):
    """At a sample the page builds W·exp(m·twist) from Python's twists: the same pose to 1e-6 mm."""
    scene = load("flagship")
    page.open(lesson_pages["flagship"])
    names = landmark_names(page)
    for k in (0, 5, 13, 20):
        t = k / FLAGSHIP_PHASES * scene.timeline.seconds_per_cycle
        page.set_time(t)
        shown = page.shown()["panels"]
        for panel in range(2):
            expected = python_landmarks(page_anatomy, scene, panel, t, scene.panel_magnification(panel), names)
            got = np.array(shown[panel]["landmarks"])
            # float64 twists, exp in float64 on both sides: agreement to rounding (~1e-12 mm); 1e-6 mm is the brief's bar.
            assert np.abs(got - expected).max() < 1e-6, (k, panel)


def test_page_between_samples_stays_within_the_interpolation_bound(page, lesson_pages, page_anatomy):
    """Halfway between gait samples the page interpolates twists; the pose is off by less than the bound.

    A sinusoid of amplitude A sampled n times per cycle is interpolated linearly to within
    A·(2π/n)²/8: the ±4° pelvic turn (0.07 rad) at n = 24 gives 2.4e-3 rad, 0.5 mm at the
    200 mm from the pelvic centre to an ASIS. Measured: 0.15 mm at true scale and 0.44 mm at ×20
    (the ring's SIJ motion turns faster than a sinusoid at loading, and ×20 magnifies its error).
    1.5 mm is three times that; showing the nearest sample instead of interpolating fails it.
    """
    scene = load("flagship")
    page.open(lesson_pages["flagship"])
    names = landmark_names(page)
    worst = 0.0
    for k in (2, 9, 17):
        t = (k + 0.5) / FLAGSHIP_PHASES * scene.timeline.seconds_per_cycle
        page.set_time(t)
        shown = page.shown()["panels"]
        for panel in range(2):
            expected = python_landmarks(page_anatomy, scene, panel, t, scene.panel_magnification(panel), names)
            worst = max(worst, float(np.abs(np.array(shown[panel]["landmarks"]) - expected).max()))
    assert worst < 1.5


def test_page_readouts_equal_python_descriptors(page, lesson_pages, page_anatomy):
    scene = load("flare")
    page.open(lesson_pages["flare"])
    columns = readout_columns(page_anatomy)
    for t in (0.0, 2.5, 3.5):  # samples of the 10-per-second time axis
        page.set_time(t)
        got = np.array(page.shown()["panels"][0]["readouts"], dtype=float)
        expected = readout_vector(describe(page_anatomy, scene.joint_state(page_anatomy, 0, t)), columns)
        # Readouts travel as float32: 1e-6 relative, plus 1e-6 for values near zero.
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_magnification_changes_the_badge_and_picture_not_the_readout(page, lesson_pages):
    page.open(lesson_pages["flagship"])
    page.set_time(1.0)
    before = page.shown()["panels"][1]
    text = page.readout(1)
    page.page.select_option("#magnification", label="true scale")
    page.page.wait_for_function("() => document.querySelectorAll('[data-role=magnification]')[1].textContent === 'true scale'")
    after = page.shown()["panels"][1]
    assert page.readout(1) == text
    assert after["readouts"] == before["readouts"]
    assert after["compact"] == before["compact"]  # the key numbers are true scale too
    assert np.abs(np.array(after["landmarks"]) - np.array(before["landmarks"])).max() > 0.5  # ×20 → ×1 moves them


# --- views and cameras ---------------------------------------------------------------------------
def test_view_presets_turn_the_camera(page, lesson_pages):
    page.open(lesson_pages["flare"])
    before = page.view_image()
    page.page.get_by_role("button", name="anterior", exact=True).click()
    page.page.wait_for_function("() => window.pelvisim.state().view === 'anterior'")
    page.page.wait_for_timeout(100)
    assert np.mean(np.abs(page.view_image().astype(float) - before.astype(float))) > 2.0


TWO_VIEWS = """title = "Two views"
[[panels]]
model = "nutation"
parameters = { angle_deg = 2.0 }
view = "anterior"
[[panels]]
model = "nutation"
parameters = { angle_deg = 2.0 }
view = "sagittal_left"
[timeline]
kind = "still"
"""


def test_each_panel_shows_its_own_view_and_a_view_button_sets_all(page, tmp_path, page_anatomy):
    from pelvisim.view.camera import VIEW_PRESETS

    page.open(write_scene(tmp_path, "two_views", TWO_VIEWS, page_anatomy))
    names = landmark_names(page)
    front, cut = page.shown()["panels"]
    for shown, view in ((front, "anterior"), (cut, "sagittal_left")):
        assert shown["view"] == view
        looking = np.subtract(shown["eye"], shown["target"])
        # The camera sits along the preset's direction from the point it looks at, up as the preset says.
        np.testing.assert_allclose(looking / np.linalg.norm(looking), VIEW_PRESETS[view].direction, atol=1e-9)
        np.testing.assert_allclose(shown["up"], VIEW_PRESETS[view].up, atol=1e-9)
    assert front["bones"] == ["sacrum", "innominate_left", "innominate_right"]
    assert cut["bones"] == ["sacrum", "innominate_right"]  # the near (left) innominate removed
    assert cut["cut"] == "right" and front["cut"] is None
    # No marker or label on a removed bone or on the cut-away half of the sacrum.
    left_asis, left_ila, right_ila = names.index("asis_left"), names.index("ila_left"), names.index("ila_right")
    assert not cut["visible"][left_asis] and not cut["visible"][left_ila] and cut["visible"][right_ila]
    assert not cut["labelled"][left_asis] and front["labelled"][left_asis]
    # A view button puts every panel in that view; "scene views" gives each its own back.
    page.page.get_by_role("button", name="posterior", exact=True).click()
    page.redraw()
    assert [p["view"] for p in page.shown()["panels"]] == ["posterior", "posterior"]
    assert [p["bones"] for p in page.shown()["panels"]] == [["sacrum", "innominate_left", "innominate_right"]] * 2
    page.page.get_by_role("button", name="scene views", exact=True).click()
    page.redraw()
    assert [p["view"] for p in page.shown()["panels"]] == ["anterior", "sagittal_left"]


def test_sagittal_cut_shows_the_sacrum_in_section_outlined(page, bundled_pages, page_anatomy):
    """The nutation lesson: left innominate removed, the sacrum cut at the midline, its section outlined.

    The outline is drawn unlit in the theme's cut colour; where the left half of the sacrum were
    still drawn, it would hide the section and its outline (no outline pixels at all).
    """
    page.open(bundled_pages["nutation"])
    shown = page.shown()["panels"][0]
    assert shown["view"] == "sagittal_left" and shown["cut"] == "right"
    cut_colour = page.page.evaluate("window.pelvisim.meta.theme.cut_colour")
    page.page.evaluate("window.pelvisim.setOverlay('landmarks', false)")
    page.redraw()
    image = page.view_image()
    # The section's outline is about 300 mm long, a tube ~1.2 mm thick: several hundred pixels at this size.
    assert pixels_near(image, cut_colour) > 150
    # The cap closes the section at the plane: its points lie on it (the page's own cut of its surface).
    cut = page.page.evaluate("window.pelvisim.meta.anatomies[0].cut.origin_mm")
    z_mid = 0.5 * (page_anatomy.point("auricular_sacrum_left_centroid")[2] + page_anatomy.point("auricular_sacrum_right_centroid")[2])
    assert cut == pytest.approx([0.0, 0.0, z_mid])


def test_sij_close_up_looks_at_the_joint(page, bundled_pages, page_anatomy):
    """medial_left: the left SIJ from inside the pelvis, fitted as the desktop fits its close-up box."""
    import math

    from pelvisim import joints
    from pelvisim.view.camera import VIEW_PRESETS, close_up_bounds, fitting_distance_mm

    page.open(bundled_pages["iliacus_pull"])
    shown = page.shown()["panels"][0]
    assert shown["view"] == "medial_left" and shown["bones"] == ["sacrum", "innominate_left"] and shown["cut"] == "left"
    centre = joints.joint_centre(page_anatomy, "left")
    np.testing.assert_allclose(shown["target"], centre, atol=1e-9)  # the close-up box is centred on the joint
    preset = VIEW_PRESETS["medial_left"]
    expected = fitting_distance_mm(close_up_bounds(centre), centre, np.array(preset.direction), np.array(preset.up),
                                   math.radians(30.0), shown["aspect"])
    np.testing.assert_allclose(shown["eye"], centre + expected * np.array(preset.direction), atol=1e-6)
    # The section of the sacrum faces the camera: the cut keeps the left half, seen from the right.
    assert shown["eye"][2] > shown["target"][2]


def test_a_scene_camera_orbit_turns_the_view_over_the_timeline(page, tmp_path, page_anatomy):
    path = write_scene(tmp_path, "orbit",
                       'title = "Orbit"\n[[panels]]\nmodel = "flare"\n[timeline]\nkind = "keyframes"\n'
                       '[[timeline.keyframes]]\ntime_s = 0.0\nhold_s = 4.0\nparameters = { left_deg = 1.0 }\n'
                       '[camera]\nview = "anterior"\norbit_deg = 90\n', page_anatomy)
    page.open(path)
    start = page.shown()["panels"][0]
    page.set_time(4.0)
    end = page.shown()["panels"][0]
    # Held pose: the bones stay put in the pelvic frame, the camera has turned a quarter round them.
    np.testing.assert_allclose(end["landmarks"], start["landmarks"], atol=1e-9)
    asis_left = landmark_names(page).index("asis_left")
    moved_px = np.hypot(*np.subtract(end["screen"][asis_left], start["screen"][asis_left]))
    assert moved_px > 50.0


def test_dragging_a_view_turns_the_shared_camera(page, lesson_pages):
    page.open(lesson_pages["flagship"])
    before = page.shown()["panels"]
    box = page.page.locator(".view").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.page.mouse.move(x, y)
    page.page.mouse.down()
    page.page.mouse.move(x + 120, y + 30, steps=6)
    page.page.mouse.up()
    page.redraw()
    after = page.shown()["panels"]
    for panel in range(2):  # linked cameras, as in the app: both panels turn
        np.testing.assert_allclose(after[panel]["landmarks"], before[panel]["landmarks"], atol=1e-9)
        moved = np.hypot(*(np.array(after[panel]["screen"]) - np.array(before[panel]["screen"])).T)
        assert np.median(moved) > 20.0


def test_each_panel_draws_its_own_anatomy(page, tmp_path, page_anatomy):
    """Two panels of one motion on two pelvises (the bundled one and an 8 % bigger copy): each
    panel's landmarks are its own pelvis's, posed by its own motion."""
    scene = load("true_scale_vs_x20")
    mirrored = scaled_anatomy(page_anatomy, 1.08)
    path = write_page(scene, tmp_path / "two_pelvises.html", anatomy=[page_anatomy, mirrored], resolution=low_resolution()).path
    page.open(path)
    t = 0.25 * scene.timeline.seconds_per_cycle  # a sample of the 4-per-cycle timeline
    page.set_time(t)
    shown = page.shown()["panels"]
    for panel, own in enumerate((page_anatomy, mirrored)):
        names = page.page.evaluate(f"window.pelvisim.meta.anatomies[{panel}].landmarks.map(l => l.name)")
        expected = python_landmarks(own, scene, panel, t, scene.panel_magnification(panel), names)
        np.testing.assert_allclose(shown[panel]["landmarks"], expected, atol=1e-6)
    # Not one pelvis twice: an ASIS 8 % further out is ~10 mm away.
    neutral = [page.page.evaluate(f"window.pelvisim.meta.anatomies[{k}].landmarks.map(l => l.position_mm)") for k in (0, 1)]
    assert np.abs(np.subtract(neutral[0], neutral[1])).max() > 5.0


# --- overlays and text ---------------------------------------------------------------------------
def test_every_overlay_switch_draws_something(page, lesson_pages):
    """Each overlay check box changes the picture, and switching it back restores it exactly."""
    page.open(lesson_pages["flagship"])
    page.set_time(1.0)  # a quarter into the stride, the ×20 panel
    base = page.canvas_image(1)
    for name in ("ghost", "landmarks", "axes", "colour_map", "trails", "palpation", "femurs", "arrows"):
        box = page.page.locator(f"input[data-overlay={name}]")
        box.evaluate("b => b.click()")  # a real click event, without scrolling the page under the view
        changed = page.canvas_image(1)
        box.evaluate("b => b.click()")
        assert np.count_nonzero(np.any(changed != base, axis=-1)) > 50, name  # something drawn, not a stray pixel
    assert np.array_equal(page.canvas_image(1), base)  # every switch undid exactly what it drew
    # The key numbers are text over the view: the box shows and hides with its switch.
    compact = page.page.locator("[data-role=compact-readout]").nth(1)
    assert compact.is_visible() and compact.inner_text().count("\n") == 3  # the flagship's four numbers
    page.page.locator("input[data-overlay=descriptors]").evaluate("b => b.click()")
    page.redraw()
    assert compact.is_hidden()


def test_arrows_show_true_scale_displacement_times_their_scale(page, lesson_pages, page_anatomy):
    """Each arrow starts at its landmark as drawn and is the landmark's true-scale displacement × the scale.

    Expected: the model's joint state at that time, each landmark moved by its bone's T_pelvis (the
    femurs by their innominate and hip), the difference turned by the whole-pelvis rotation.
    """
    scene = load("flagship")
    page.open(lesson_pages["flagship"])
    page.page.evaluate("window.pelvisim.setOverlay('arrows', true)")
    t = 5 / FLAGSHIP_PHASES * scene.timeline.seconds_per_cycle
    page.set_time(t)
    names = landmark_names(page)
    state = scene.joint_state(page_anatomy, 1, t)
    for index, shown in enumerate(page.shown()["panels"]):
        assert shown["badge"] == f"{'true scale' if index == 0 else '×20 — exaggerated'} · arrows ×{scene.arrow_scale:g}"
        for name, arrow, start in zip(names, shown["arrows"], shown["landmarks"]):
            bone = page_anatomy.landmark(name).bone
            T = state.T_pelvis[bone] if bone in state.T_pelvis else \
                state.T_pelvis[f"innominate_{bone[6:]}"] @ state.T_innominate_femur[bone[6:]]
            p = page_anatomy.point(name)
            expected = scene.arrow_scale * state.T_world_pelvis[:3, :3] @ (frames.apply(T, p) - p)
            np.testing.assert_allclose(arrow["start"], start, atol=1e-12)
            if np.linalg.norm(expected) >= 0.5:  # shorter ones are not drawn (ARROW_MIN_LENGTH_MM)
                np.testing.assert_allclose(arrow["vector"], expected, atol=1e-6)  # float64 both sides
            else:
                assert arrow["length_mm"] == 0.0
    assert any(a["length_mm"] > 1.0 for a in page.shown()["panels"][0]["arrows"])  # the test saw real arrows


def test_compact_readout_and_notes_are_the_desktop_panels(page, lesson_pages, page_anatomy):
    """The key numbers and warnings over each view read exactly as the desktop panel prints them.

    Expected: :func:`pelvisim.view.readout.readout_lines` (the app's and the videos' compact
    readout) and :func:`~pelvisim.view.readout.panel_notes` (overlap note at the panel's
    magnification, then joint limits) on the model's own descriptors at a sample time.
    """
    from pelvisim.view.readout import panel_notes, readout_lines

    scene = load("flagship")
    page.open(lesson_pages["flagship"])
    seen_overlap = False
    for k in (0, 3, 8, 14):
        t = k / FLAGSHIP_PHASES * scene.timeline.seconds_per_cycle
        page.set_time(t)
        compact = page.page.locator("[data-role=compact-readout]").all_inner_texts()
        notes = page.page.locator("[data-role=notes]").all_inner_texts()
        for panel, shown in enumerate(page.shown()["panels"]):
            state = scene.joint_state(page_anatomy, panel, t)
            assert shown["compact"] == readout_lines(describe(page_anatomy, state), scene.panel_readouts(panel)), (k, panel)
            assert compact[panel] == "\n".join(shown["compact"])
            expected_notes = panel_notes(page_anatomy, state, scene.panel_magnification(panel))
            assert shown["notes"] == expected_notes, (k, panel)
            assert notes[panel] == "\n".join(f"⚠ {n}" for n in expected_notes)
            seen_overlap |= any("artefact of ×20" in n for n in expected_notes)
    assert seen_overlap  # the ×20 panel passed through an overlap: the note was tested, not only its absence


def test_a_panel_without_key_numbers_shows_its_pelvis_own_asymmetry(page, tmp_path):
    """Motion or morphology, each panel on the pelvis its scene names (subject 5, the mean): the
    neutral panel has no key numbers, so, as the desktop panel, it shows subject 5's own left-right
    differences (:func:`pelvisim.descriptors.at_rest_words`, one sentence a line); the moving panel
    shows its numbers and no at-rest words. The scene's caption, written from the same subject by
    hand, says 6.0 mm at the PSIS."""
    from pelvisim.descriptors import at_rest_words
    from pelvisim.view.panel import _descriptor_text
    from pelvisim.web.page import scene_anatomies

    scene = load("motion_or_morphology")
    path = write_page(scene, tmp_path / "motion_or_morphology.html", resolution=low_resolution()).path  # the scene's own pelves
    anatomies, _ = scene_anatomies(scene, progress=None)
    page.open(path)
    shown = page.shown()["panels"]
    at_rest = at_rest_words(describe(anatomies[0], scene.joint_state(anatomies[0], 0, 0.0)))
    assert "PSIS higher on the right by 6.0 mm" in at_rest  # the caption's figure
    assert shown[0]["compact"] == _descriptor_text(at_rest).split("\n")
    assert page.page.locator("[data-role=compact-readout]").nth(0).inner_text() == "\n".join(shown[0]["compact"])
    assert len(shown[1]["compact"]) == 3 and not any("No joint motion" in line for line in shown[1]["compact"])
    pelves = page.page.locator("[data-role=pelvis]").all_inner_texts()
    assert pelves == ["Pelvis: LLP26 subject 5", "Pelvis: mean of 26 (bundled)"]


def test_soft_tissue_lines_join_their_attachments_coloured_by_strain(page, bundled_pages, page_anatomy):
    """Gurd's multifidus scene turns the tissue overlay on: every ligament bundle runs between its two
    attachments as the desktop panel places them (each on its bone as displayed, the L5 on the sacrum
    with its own true-scale motion), coloured by the desktop's strain change; the multifidus that pulls
    (100 N) is drawn, the others are not; switching the overlay off removes exactly what it drew."""
    from pelvisim.tissue.ligaments import BODIES
    from pelvisim.tissue.ring import assemble
    from pelvisim.view.tissue import frame_tissue

    scene = load("gurd_multifidus")
    page.open(bundled_pages["gurd_multifidus"])
    shown = page.shown()["panels"][0]
    assert shown["tissue"] is not None and page.page.locator("[data-role=tissue-bar]").nth(0).is_visible()
    from pelvisim.view import tissue as desktop_tissue

    bar = page.page.locator("[data-role=tissue-bar]").nth(0).inner_text().split()
    # The desktop bar's title and its three labels over ±STRAIN_CHANGE_RANGE.
    assert " ".join(bar[:-3]) == " ".join(desktop_tissue.COLOUR_BAR_TITLE.split())
    r = desktop_tissue.STRAIN_CHANGE_RANGE
    assert bar[-3:] == [f"{-r:+.1f}", f"{0.0:+.1f}", f"{r:+.1f}"]
    # The desktop's frame: pose as displayed (the scene's magnification) and the tissue at true scale.
    state = scene.joint_state(page_anatomy, 0, 0.0)
    values = scene.parameters_at(0, 0.0)
    desktop = frame_tissue(page_anatomy, scene.panels[0].model, values, scene.phase_at(0.0), state)
    shown_pose = pose(page_anatomy, state, scene.panel_magnification(0))
    T = {b: shown_pose.T_world[b] for b in BODIES[:3]}
    T["l5"] = T["sacrum"] @ frames.invert(state.T_pelvis["sacrum"]) @ desktop.state.T_pelvis_l5
    # The L5 as drawn (column-major in the page): on the sacrum as displayed, its own motion at true scale
    # (1e-5: its pose is stored as float32, ~1e-7 of ~100 mm).
    np.testing.assert_allclose(np.array(shown["tissue"]["l5"]).reshape(4, 4).T, T["l5"], atol=1e-5)
    bundles = assemble(page_anatomy).bundles
    for i, drawn in enumerate(shown["tissue"]["bundles"]):
        # the L5 pose stored as a float32 twist: 1e-3 mm is far below a pixel.
        np.testing.assert_allclose(drawn["a"], frames.apply(T[BODIES[bundles.body_a[i]]], bundles.point_a[i]), atol=1e-3)
        np.testing.assert_allclose(drawn["b"], frames.apply(T[BODIES[bundles.body_b[i]]], bundles.point_b[i]), atol=1e-3)
        if desktop.strain[i] <= 0.0:
            assert drawn["strain_change_percent"] is None  # slack: green
        else:
            # stored in 1e-4 %-point steps (pelvisim.web.tissue.STRAIN_STEP_PERCENT): half a step, and float32 room
            assert drawn["strain_change_percent"] == pytest.approx(100 * (desktop.strain[i] - desktop.reference_strain), abs=0.55e-4)
    assert len({round(b["strain_change_percent"] or 0.0, 6) for b in shown["tissue"]["bundles"]}) > 5  # not one colour for all
    pulling = {m["name"]: m for m in shown["tissue"]["muscles"] if m["fibres"]}
    assert set(pulling) == {name for name, f in desktop.state.muscle_forces_n.items() if f > 0} == {"multifidus_left"}
    assert pulling["multifidus_left"]["force_n"] == pytest.approx(values["pull_n"], abs=1e-3)
    # Pixels: the overlay draws, and switching it off restores the picture exactly.
    with_tissue = page.canvas_image(0)
    page.page.locator("input[data-overlay=tissue]").evaluate("b => b.click()")
    without = page.canvas_image(0)
    assert page.shown()["panels"][0]["tissue"] is None and page.page.locator("[data-role=tissue-bar]").nth(0).is_hidden()
    assert np.count_nonzero(np.any(with_tissue != without, axis=-1)) > 300  # 42 bundles and a muscle, not a stray pixel
    page.page.locator("input[data-overlay=tissue]").evaluate("b => b.click()")
    assert np.array_equal(page.canvas_image(0), with_tissue)


COLOUR_SCENE = """title = "Colour frame"
colour_map_frame = "{frame}"
[[panels]]
model = "nutation"
parameters = {{ angle_deg = 2.0 }}
[timeline]
kind = "still"
[camera]
view = "anterior"
[overlays]
landmarks = false
descriptors = false
"""


def test_colour_map_is_relative_to_the_sacrum_and_its_bar_names_the_frame(page, tmp_path, page_anatomy):
    """Sacral nutation: relative to the sacrum the innominates move and the sacrum is the reference
    (plain); in the pelvic frame the sacrum is coloured too. Patches on the sacrum and at an ASIS."""
    results = {}
    for frame in ("sacrum", "pelvis"):
        page.open(write_scene(tmp_path, f"colour_{frame}", COLOUR_SCENE.format(frame=frame), page_anatomy))
        names = landmark_names(page)
        shown = page.shown()["panels"][0]
        screen = np.array(shown["screen"])
        # Just below the sacral base, ~40 mm from the S2 nutation axis: 2° moves it ~1.4 mm (orange on the 0–2 mm map).
        sacrum_body = 0.85 * screen[names.index("sacral_promontory")] + 0.075 * (screen[names.index("ila_left")] + screen[names.index("ila_right")])
        asis = 0.8 * screen[names.index("asis_left")] + 0.2 * screen[names.index("psis_left")]  # on the iliac crest, off the sphere
        plain = page.view_image()
        assert page.page.locator("[data-role=colour-bar]").is_hidden()
        page.page.evaluate("window.pelvisim.setOverlay('colour_map', true)")
        page.redraw()
        coloured = page.view_image()
        bar = page.page.locator("[data-role=colour-bar]")
        results[frame] = (np.abs(patch(coloured, sacrum_body) - patch(plain, sacrum_body)).max(),
                          np.abs(patch(coloured, asis) - patch(plain, asis)).max(), bar.inner_text())
    sacrum_change, asis_change, bar_text = results["sacrum"]
    assert sacrum_change < 3.0  # the reference keeps its bone colour (3 of 255: antialiasing at most)
    assert asis_change > 30.0  # 2° of nutation moves the ASIS ~3.5 mm relative to the sacrum: top of the 0–2 mm map
    assert "displacement, mm (true scale)" in bar_text and "relative to the sacrum" in bar_text
    assert bar_text.split()[-5:] == ["0.0", "0.5", "1.0", "1.5", "2.0"]
    sacrum_change, _, bar_text = results["pelvis"]
    assert sacrum_change > 30.0 and "in the pelvic frame" in bar_text


def test_gait_strip_marks_the_phase_and_foot_contact_as_the_desktop_strip(page, lesson_pages, bundled_pages):
    from pelvisim.view.gait_strip import GaitStrip
    from pelvisim.view.theme import get_theme

    desktop = GaitStrip(get_theme("default"), 720)
    scene = load("flagship")
    page.open(lesson_pages["flagship"])
    strip = page.page.locator("[data-role=gait-strip]")
    assert strip.is_visible()
    for k in (0, 7, 13, 16, 22):  # both feet, right only, left only around the stride
        t = k / FLAGSHIP_PHASES * scene.timeline.seconds_per_cycle
        page.set_time(t)
        gait = page.shown()["gait"]
        desktop.set_phase(scene.phase_at(t))
        assert page.page.locator("[data-role=gait-text]").inner_text() == desktop.text.GetInput() == gait["text"]
        left = float(page.page.locator(".gait-cursor").evaluate("c => parseFloat(c.style.left)"))
        assert left == pytest.approx(100 * scene.phase_at(t), abs=1e-3)  # CSS keeps 4 decimals of a per cent
    # Bars: the right stance over 0–62 % of the row, the left wrapping round the end of the stride.
    widths = page.page.locator(".gait-bar").evaluate_all("bars => bars.map(b => [b.dataset.side, b.style.left, b.style.width])")
    assert [w[0] for w in widths] == ["right", "left", "left"]
    assert float(widths[0][2].rstrip("%")) == pytest.approx(62.0)
    page.open(bundled_pages["flare"])  # no gait, no strip
    assert page.page.locator("[data-role=gait-strip]").count() == 0


def test_first_frame_time_is_recorded(page, lesson_pages):
    """The page stamps when its first frame was drawn (bench_share.py reads it for the ≤ 3 s target)."""
    page.open(lesson_pages["flagship"])
    first = page.state()["firstFrameMs"]
    assert first is not None and first > 0
    assert abs(page.page.evaluate("Number(document.body.dataset.firstFrameMs)") - first) <= 0.5  # whole milliseconds
