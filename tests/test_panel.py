"""The panel: actors added once, update only sets user_matrix, overlays toggle, view presets."""

from __future__ import annotations

import render_helpers  # noqa: F401  (headless settings before pyvista)
import numpy as np
import pytest
import pyvista as pv

import pelvisim
from pelvisim.errors import ParameterError
from pelvisim.models import joint_state
from pelvisim.scene import DEFAULT_READOUTS
from pelvisim.view import OVERLAYS, VIEWS, Panel, magnification_text, set_view
from render_helpers import is_blank, mean_abs_difference

pytestmark = pytest.mark.render



@pytest.fixture()
def plotter():
    p = pv.Plotter(off_screen=True, window_size=(320, 240))
    yield p
    p.close()


def test_update_sets_user_matrix_without_remeshing(plotter, anatomy):
    panel = Panel(plotter, anatomy, title="flare")
    meshes = {b: a.mapper.GetInput().GetAddressAsString('vtkPolyData') for b, a in panel.actors.items()}
    n_points = {b: m.n_points for b, m in panel.meshes.items()}
    state = joint_state(anatomy, "flare", {"left_deg": 2.0})
    shown = pelvisim.pose(anatomy, state, 10.0)
    panel.update(shown)
    for bone, actor in panel.actors.items():
        np.testing.assert_allclose(actor.user_matrix, shown.T_world[bone], atol=1e-12)
        assert actor.mapper.GetInput().GetAddressAsString('vtkPolyData') == meshes[bone]
        assert panel.meshes[bone].n_points == n_points[bone]
    # mesh vertices never move: the pose lives in the matrix only
    np.testing.assert_allclose(panel.meshes["innominate_left"].points, anatomy.bones["innominate_left"].vertices_mm)


def test_landmarks_move_with_their_bones(plotter, anatomy):
    panel = Panel(plotter, anatomy)
    shown = pelvisim.pose(anatomy, joint_state(anatomy, "shear", {"left_mm": 2.0}), 1.0)
    panel.update(shown)
    names = panel.landmark_names
    moved = panel.landmark_positions(shown)
    i = names.index("asis_left")
    j = names.index("asis_right")
    np.testing.assert_allclose(moved[i] - anatomy.point("asis_left"), [0, 2.0, 0], atol=1e-9)
    np.testing.assert_allclose(moved[j], anatomy.point("asis_right"), atol=1e-9)


def test_colour_map_is_true_scale_displacement(plotter, anatomy):
    panel = Panel(plotter, anatomy, overlays=["colour_map"])
    panel.update(pelvisim.pose(anatomy, joint_state(anatomy, "shear", {"left_mm": 1.5}), 20.0))
    layer = panel.layers["colour_map"]
    np.testing.assert_allclose(layer.displacements_mm("innominate_left"), 1.5, atol=1e-9)  # never magnified
    np.testing.assert_allclose(layer.displacements_mm("innominate_right"), 0.0, atol=1e-12)
    assert layer.coloured_bones() == ("innominate_left", "innominate_right")  # relative to the sacrum


def test_overlays_toggle_and_unknown_names_are_rejected(plotter, anatomy):
    panel = Panel(plotter, anatomy)
    for name in OVERLAYS:
        panel.set_overlay(name, True)
        assert name in panel.overlays
        panel.set_overlay(name, False)
        assert name not in panel.overlays
    assert not panel.actors["femur_left"].visibility
    panel.set_overlay("femurs", True)
    assert panel.actors["femur_left"].visibility
    with pytest.raises(ParameterError, match="Expected one of"):
        panel.set_overlay("ghosts", True)


def test_magnification_label():
    assert magnification_text(1.0) == "true scale"
    assert magnification_text(20) == "×20 — exaggerated"


def test_view_presets_differ_and_are_not_blank(plotter, anatomy):
    panel = Panel(plotter, anatomy, overlays=["landmarks"])
    panel.update(pelvisim.pose(anatomy, joint_state(anatomy, "neutral"), 1.0))
    images = {}
    for name in VIEWS:
        panel.set_view(name)
        plotter.render()
        images[name] = plotter.screenshot(return_img=True)
        assert not is_blank(images[name]), name
    assert mean_abs_difference(images["anterior"], images["left"]) > 1.0
    camera = plotter.renderer.GetActiveCamera()
    set_view(plotter, "superior")
    assert camera.GetViewUp() == pytest.approx((1.0, 0.0, 0.0))
    with pytest.raises(ParameterError):
        set_view(plotter, "frontal")


def test_trails_and_axis_level(plotter, anatomy):
    panel = Panel(plotter, anatomy, overlays=["trails", "axes"], axis_level="S1")
    poses = [pelvisim.pose(anatomy, joint_state(anatomy, "mitchell_gait", {}, p / 10), 20.0) for p in range(10)]
    panel.set_trails(poses, frame="pelvis")
    assert len(panel.layers["trails"].actors) == 4 and all(a.visibility for a in panel.layers["trails"].actors)
    panel.set_axis_level("S3")
    assert panel.axis_level == "S3"


def test_view_is_the_only_pyvista_importer():
    import subprocess
    import sys

    code = ("import sys, pelvisim, pelvisim.scene, pelvisim.models, pelvisim.descriptors; "
            "import pelvisim.cli.render_cmd, pelvisim.cli.scene_cmd; assert 'pyvista' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- simplified surfaces for the interactive app ---------------------------------------------
@pytest.mark.parametrize("bone", ["innominate_left", "sacrum"])
def test_simplified_bone_keeps_its_shape_within_budget(anatomy, bone):
    from pelvisim.anatomy.surface import Surface
    from pelvisim.anatomy.user import is_closed
    from pelvisim.view.meshes import bone_surface

    full = anatomy.bones[bone]
    vertices, faces = bone_surface(full, 5000)
    assert 4000 <= len(faces) <= 5000 < full.n_triangles
    assert is_closed(faces), "simplification opened the surface"
    # every kept vertex lies on the original surface (VTK's point-to-surface distance)
    simplified = pv.PolyData.from_regular_faces(vertices, faces)
    original = pv.PolyData.from_regular_faces(np.array(full.vertices_mm), np.array(full.faces))
    distance_mm = np.abs(simplified.compute_implicit_distance(original)["implicit_distance"])
    print(f"{bone}: {len(faces)} triangles, distance to the original median {np.median(distance_mm):.3f} "
          f"max {distance_mm.max():.3f} mm")
    assert np.median(distance_mm) < 0.2 and distance_mm.max() < 1.0
    # same volume (quadric decimation with volume preservation) and same outline
    full_volume = Surface(np.asarray(full.vertices_mm), np.asarray(full.faces)).signed_volume
    assert Surface(vertices, faces).signed_volume == pytest.approx(full_volume, rel=0.02)
    np.testing.assert_allclose(vertices.min(axis=0), np.min(full.vertices_mm, axis=0), atol=1.5)
    np.testing.assert_allclose(vertices.max(axis=0), np.max(full.vertices_mm, axis=0), atol=1.5)


def test_budget_is_a_ceiling_and_too_small_is_rejected(anatomy):
    from pelvisim.view.meshes import MIN_TRIANGLES, bone_surface

    femur = anatomy.bones["femur_left"]
    vertices, faces = bone_surface(femur, femur.n_triangles + 1)
    np.testing.assert_array_equal(faces, femur.faces)  # already within budget: untouched
    np.testing.assert_array_equal(vertices, femur.vertices_mm)
    with pytest.raises(ParameterError, match=f"at least {MIN_TRIANGLES}"):
        bone_surface(femur, MIN_TRIANGLES - 1)


def test_panel_draws_the_budget_and_culls_only_closed_bones(plotter, anatomy):
    from pelvisim.anatomy.core import Anatomy, Bone

    panel = Panel(plotter, anatomy, max_triangles=3000)
    assert all(mesh.n_cells <= 3000 for mesh in panel.meshes.values())
    assert all(actor.prop.culling == "back" for actor in panel.actors.values())
    # an open user mesh (one triangle missing) must keep its back faces, or the hole shows through
    sacrum = anatomy.bones["sacrum"]
    open_sacrum = Bone("sacrum", sacrum.vertices_mm, np.asarray(sacrum.faces)[1:])
    opened = Anatomy(bones={**anatomy.bones, "sacrum": open_sacrum}, landmarks=anatomy.landmarks,
                     joint_frames=anatomy.joint_frames, source="test: sacrum with a hole")
    other = pv.Plotter(off_screen=True, window_size=(320, 240))
    try:
        panel = Panel(other, opened)
        assert panel.actors["sacrum"].prop.culling == "none"
        assert panel.actors["innominate_left"].prop.culling == "back"
    finally:
        other.close()


# --- panel text: glyphs and layout at every panel count ---------------------------------------
def _strings_in(path) -> list[str]:
    """String literals of a Python file (docstrings left out) or string values of a TOML file."""
    import ast
    import tomllib

    if path.suffix == ".toml":
        found: list[str] = []

        def walk(value):
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(tomllib.loads(path.read_text(encoding="utf-8")))
        return found
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def _special_characters() -> list[str]:
    """Every non-ASCII, visible character of the texts the 3D view draws.

    Titles, captions, subtitles, sources and panel labels of the bundled scenes; model titles and
    descriptor words (the modules that build them); the panel's and renderer's own labels.
    """
    import unicodedata
    from pathlib import Path

    package = Path(pelvisim.__file__).parent
    files = [*sorted((package / "scenes").glob("*.toml")),
             *(package / name for name in ("descriptors.py", "models.py", "ring_models.py", "scene.py",
                                            "view/panel.py", "view/render.py", "view/labels.py", "view/text.py"))]
    characters = {c for f in files for text in _strings_in(f) for c in text
                  if ord(c) > 127 and unicodedata.category(c)[0] not in "ZCM"}
    return sorted(characters)


def _ink(plotter, actor, text: str) -> int:
    """Pixels of the text's colour in a render of ``text`` (the shadow is dark and not counted)."""
    actor.SetInput(text)
    plotter.render()
    image = plotter.screenshot(return_img=True).astype(int)
    return int((image.min(axis=2) > 110).sum())


def test_project_texts_use_the_special_characters_this_test_checks():
    found = _special_characters()
    # the characters that were missing from VTK's Arial, and the ones every panel shows
    assert {"→", "×", "—", "°"} <= set(found), found
    assert "≈" in found and "κ" in found  # scene sources (title card)


@pytest.mark.parametrize("bold", [False, True])
def test_every_special_character_draws_a_glyph(bold):
    """A character the font lacks draws nothing: its text must have more ink than the text without it."""
    from pelvisim.view.text import display_text, text_actor

    plotter = pv.Plotter(off_screen=True, window_size=(320, 96))
    try:
        plotter.set_background("black")
        actor = text_actor("", (0.05, 0.2), 48, "#ffffff", bold=bold)
        actor.GetTextProperty().SetShadow(False)
        plotter.renderer.AddViewProp(actor)
        plotter.show(auto_close=False)
        plain = _ink(plotter, actor, "aa")
        assert plain > 100, "the reference text drew nothing"
        blank = [c for c in _special_characters() if _ink(plotter, actor, display_text(f"a{c}a")) < plain + 4]
        assert not blank, f"no glyph drawn for {' '.join(blank)}"
    finally:
        plotter.close()


def test_font_is_matplotlibs_dejavu_sans():
    from pathlib import Path

    import matplotlib

    from pelvisim.view.text import display_text, font_file

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    assert Path(font_file()) == folder / "DejaVuSans.ttf"
    assert Path(font_file(bold=True)) == folder / "DejaVuSans-Bold.ttf"
    assert display_text("Sacral rotation → flare") == "Sacral rotation → flare"  # nothing replaced


def test_without_dejavu_the_fallback_draws_every_character(monkeypatch):
    """Should the font be missing, VTK's Arial with ASCII stand-ins still draws every character."""
    from pelvisim.view import text as text_module

    monkeypatch.setattr(text_module, "font_file", lambda bold=False: None)
    assert text_module.display_text("Sacral rotation → flare") == "Sacral rotation -> flare"
    plotter = pv.Plotter(off_screen=True, window_size=(320, 96))
    try:
        plotter.set_background("black")
        actor = text_module.text_actor("", (0.05, 0.2), 48, "#ffffff")
        actor.GetTextProperty().SetShadow(False)
        assert actor.GetTextProperty().GetFontFamilyAsString() == "Arial"
        plotter.renderer.AddViewProp(actor)
        plotter.show(auto_close=False)
        plain = _ink(plotter, actor, "aa")
        blank = [c for c in _special_characters()
                 if _ink(plotter, actor, text_module.display_text(f"a{c}a")) < plain + 4]
        assert not blank, f"Arial draws nothing for {' '.join(blank)}: add them to ASCII_FALLBACK"
    finally:
        plotter.close()


def _longest_titles(n: int = 4) -> list[str]:
    """The ``n`` longest panel titles pelvisim shows: model titles and the bundled scenes' panel labels."""
    import tomllib
    from pathlib import Path

    from pelvisim.models import MODELS

    titles = {m.title for m in MODELS.values()}
    for path in (Path(pelvisim.__file__).parent / "scenes").glob("*.toml"):
        titles |= {p.get("label", "") for p in tomllib.loads(path.read_text(encoding="utf-8")).get("panels", [])}
    return sorted(titles, key=lambda t: (-len(t), t))[:n]


def _box(actor, renderer) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of a text actor in pixels of its renderer's viewport.

    ``vtkTextActor.GetBoundingBox`` gives the box relative to the actor's anchor point.
    """
    bbox = [0.0] * 4
    actor.GetBoundingBox(renderer, bbox)
    x, y = actor.GetPositionCoordinate().GetComputedViewportValue(renderer)
    return bbox[0] + x, bbox[1] + x, bbox[2] + y, bbox[3] + y


def _disjoint(a, b) -> bool:
    return a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]


@pytest.fixture(scope="module")
def long_descriptors(anatomy):
    from pelvisim.descriptors import describe

    return describe(anatomy, joint_state(anatomy, "sacral_rotation", {"left_deg": 1.0}))


def _text_panels(anatomy, descriptors, shape, size, theme, titles, magnification=20.0):
    plotter = pv.Plotter(off_screen=True, window_size=size, shape=shape, border=False)
    shown = pelvisim.pose(anatomy, joint_state(anatomy, "neutral"), magnification)
    panels = []
    for i, title in enumerate(titles):
        row, column = divmod(i, shape[1])
        panel = Panel(plotter, anatomy, subplot=(row, column), theme=theme, title=title,
                      overlays=["landmarks", "descriptors"], max_triangles=1000)
        panel.set_readout_keys(DEFAULT_READOUTS["sacral_rotation"])
        panel.update(shown, descriptors)
        panels.append(panel)
    plotter.show(auto_close=False)
    return plotter, panels


def _landmark_actors(panel) -> tuple:
    """Markers, names and leader lines of the panel's landmarks."""
    layer = panel.layers["landmarks"]
    return layer.marker_actor, layer.label_actor, layer.leader_actor


def _ink_of(plotter, hidden) -> np.ndarray:
    """Where anything is drawn (bool image, row 0 at the top) with ``hidden`` actors off, on black."""
    for actor in hidden:
        actor.SetVisibility(False)
    plotter.set_background("black")
    plotter.render()
    return plotter.screenshot(return_img=True).max(axis=2) > 60


def _pixel_box(box, height: int) -> tuple[slice, slice]:
    """Image slices (2 px margin) of a viewport box ``(x0, x1, y0, y1)`` (origin lower left)."""
    x0, x1, y0, y1 = box
    return slice(max(0, height - int(y1) - 2), height - int(y0) + 2), slice(max(0, int(x0) - 2), int(x1) + 2)


def _check_text_layout(panels, magnification=20.0):
    from pelvisim.view.text import MIN_FONT_PX

    for i, panel in enumerate(panels):
        width, height = panel.renderer.GetSize()
        boxes = {name: _box(actor, panel.renderer) for name, actor in
                 (("title", panel.title_actor), ("magnification", panel.magnification_actor),
                  ("descriptors", panel.descriptor_actor))}
        assert panel.descriptor_actor.GetInput(), f"panel {i}: no descriptor text shown"
        for name, (x0, x1, y0, y1) in boxes.items():
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height, \
                f"panel {i} ({width}x{height}): {name} {boxes[name]} leaves the panel"
        names = list(boxes)
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                assert _disjoint(boxes[names[a]], boxes[names[b]]), \
                    f"panel {i}: {names[a]} {boxes[names[a]]} overlaps {names[b]} {boxes[names[b]]}"
        # nothing cut from the title or the label, and all the text stays readable
        assert panel.title_actor.GetInput().split() == panel.title.split()
        assert panel.magnification_actor.GetInput() == magnification_text(magnification)
        for actor in (panel.title_actor, panel.magnification_actor, panel.descriptor_actor):
            assert actor.GetTextProperty().GetFontSize() >= MIN_FONT_PX
    # side-by-side panels lay their titles out alike: label placement and sizes
    for actor in ("title_actor", "magnification_actor"):
        assert len({getattr(p, actor).GetTextProperty().GetFontSize() for p in panels}) == 1, actor
    assert len({p.magnification_actor.GetTextProperty().GetJustification() for p in panels}) == 1


@pytest.mark.parametrize("theme", ["default", "projector"])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_panel_text_fits_side_by_side_panels(anatomy, long_descriptors, n, theme):
    plotter, panels = _text_panels(anatomy, long_descriptors, (1, n), (1280, 720), theme, _longest_titles(n))
    try:
        _check_text_layout(panels)
    finally:
        plotter.close()


@pytest.mark.parametrize("shape, size, theme", [((2, 2), (1280, 720), "default"),
                                                 ((1, 4), (1920, 1080), "projector"),
                                                 ((1, 4), (1280, 720), "projector")])
def test_panel_text_fits_video_and_projector_layouts(anatomy, long_descriptors, shape, size, theme):
    plotter, panels = _text_panels(anatomy, long_descriptors, shape, size, theme, _longest_titles(4))
    try:
        _check_text_layout(panels)
    finally:
        plotter.close()


def test_magnification_label_shares_the_title_line_only_when_there_is_room(anatomy, long_descriptors):
    title = "Sacral rotation → flare"
    plotter, (panel,) = _text_panels(anatomy, long_descriptors, (1, 1), (1280, 720), "default", [title])
    try:
        width = panel.renderer.GetSize()[0]
        title_box = _box(panel.title_actor, panel.renderer)
        label_box = _box(panel.magnification_actor, panel.renderer)
        assert label_box[3] > title_box[2], "wide panel: the label should sit on the title line"
        assert label_box[1] > width - 40, "wide panel: the label should sit at the right edge"
        # the same panel made narrow (the window resized): the label moves under the title
        plotter.window_size = (300, 720)
        plotter.render()
        title_box = _box(panel.title_actor, panel.renderer)
        label_box = _box(panel.magnification_actor, panel.renderer)
        assert label_box[3] <= title_box[2], f"narrow panel: label {label_box} not under title {title_box}"
        _check_text_layout([panel])
    finally:
        plotter.close()


def test_text_boxes_hold_all_the_drawn_text(anatomy, long_descriptors):
    """The boxes the layout tests check are where the text's pixels really are."""
    plotter, (panel,) = _text_panels(anatomy, long_descriptors, (1, 1), (640, 360), "default",
                                     ["Sacral rotation → flare"])
    try:
        ink = _ink_of(plotter, (*panel.actors.values(), *_landmark_actors(panel)))
        inside = np.zeros_like(ink)
        for actor in (panel.title_actor, panel.magnification_actor, panel.descriptor_actor):
            inside[_pixel_box(_box(actor, panel.renderer), ink.shape[0])] = True
        assert ink.sum() > 500
        assert not (ink & ~inside).any(), f"{(ink & ~inside).sum()} text pixels outside the measured boxes"
    finally:
        plotter.close()


def test_wrap_to_width_measures_pixels_and_keeps_every_word():
    import vtk

    from pelvisim.view.text import set_font, text_size_px, wrap_to_width

    prop = vtk.vtkTextProperty()
    set_font(prop)
    prop.SetFontSize(20)
    text = "Sacral rotation → flare: Left innominate posterior rotation 0.3°, inflare 0.7° (ASIS 0.6 mm posterior)"
    for width in (120, 200, 333, 1000):
        lines = wrap_to_width(text, prop, width)
        assert " ".join(lines).split() == text.split()
        assert all(text_size_px(prop, line)[0] <= width for line in lines if " " in line), (width, lines)
        assert not any(line.endswith("→") for line in lines)  # the arrow stays with "flare:"
    assert len(wrap_to_width(text, prop, 120)) > len(wrap_to_width(text, prop, 333)) > 1
    assert wrap_to_width(text, prop, 10000) == [text]


# --- landmark labels placed apart; text backdrop ---------------------------------------------
_ALWAYS_LABELLED = ("asis_left", "asis_right")
"""In the anterior view these are in plain sight (the PSIS are behind bone there, and at ×20 the
crossing pubic bones hide one pubic tubercle)."""


def _crowded_panels(anatomy, n, theme):
    """``n`` panels side by side at 1280×720, anterior view, left inflare 2° ×20 (pubic tubercles cross)."""
    from pelvisim.descriptors import describe

    state = joint_state(anatomy, "flare", {"left_deg": 2.0})
    plotter = pv.Plotter(off_screen=True, window_size=(1280, 720), shape=(1, n), border=False)
    panels = []
    for i in range(n):
        panel = Panel(plotter, anatomy, subplot=(0, i), theme=theme, title="Inflare / outflare",
                      overlays=["landmarks", "descriptors", "ghost", "femurs"], max_triangles=1000)
        panel.update(pelvisim.pose(anatomy, state, 20.0), describe(anatomy, state))
        panel.set_view("anterior")
        panels.append(panel)
    plotter.show(auto_close=False)
    plotter.render()
    return plotter, panels


@pytest.mark.parametrize("theme", ["default", "projector"])
@pytest.mark.parametrize("n", [1, 4])
def test_landmark_labels_do_not_overlap(anatomy, n, theme):
    plotter, panels = _crowded_panels(anatomy, n, theme)
    try:
        for i, panel in enumerate(panels):
            renderer = panel.renderer
            width, height = renderer.GetSize()
            shown = panel.layers["landmarks"].boxes_px
            for name in _ALWAYS_LABELLED:
                assert name in shown, f"panel {i}: {name} label hidden"
            names = sorted(shown)
            for a in range(len(names)):
                for b in range(a + 1, len(names)):
                    assert _disjoint(shown[names[a]], shown[names[b]]), \
                        f"panel {i}: {names[a]} {shown[names[a]]} overlaps {names[b]} {shown[names[b]]}"
            text = [_box(actor, renderer) for actor in (panel.title_actor, panel.magnification_actor,
                                                         panel.descriptor_actor)]
            for name, box in shown.items():
                x0, x1, y0, y1 = box
                assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height, f"panel {i}: {name} {box} leaves"
                assert all(_disjoint(box, other) for other in text), f"panel {i}: {name} covers the panel's text"
            # the markers stay, labelled or not
            assert panel.layers["landmarks"].marker_actor.visibility
            # labels sit beside their markers, on the side away from the midline (anterior view:
            # right-side landmarks to the viewer's left) where there is room (a wide panel)
            if n > 1:
                continue
            points = dict(zip(panel.landmark_names, panel.layers["landmarks"].positions))
            for name in ("asis_left", "asis_right"):
                renderer.SetWorldPoint(*points[name], 1.0)
                renderer.WorldToDisplay()
                x_display = renderer.GetDisplayPoint()[0] - renderer.GetOrigin()[0]
                box = shown[name]
                if name.endswith("_right"):
                    assert box[1] <= x_display, f"panel {i}: {name} label not to the viewer's left"
                else:
                    assert box[0] >= x_display, f"panel {i}: {name} label not to the viewer's right"
        # the scene is crowded: labels all drawn right of their points would collide
        panel = panels[0]
        from pelvisim.view.labels import LANDMARK_LABELS
        from pelvisim.view.text import text_size_px

        prop = panel.layers["landmarks"].label_prop
        naive = []
        for name, point in zip(panel.landmark_names, panel.layers["landmarks"].positions):
            panel.renderer.SetWorldPoint(*point, 1.0)
            panel.renderer.WorldToDisplay()
            x, y = panel.renderer.GetDisplayPoint()[:2]
            w, h = text_size_px(prop, LANDMARK_LABELS[name])
            naive.append((x + 4, x + 4 + w, y - h / 2, y + h / 2))
        assert any(not _disjoint(naive[a], naive[b]) for a in range(len(naive)) for b in range(a + 1, len(naive)))
    finally:
        plotter.close()


def test_landmark_labels_are_drawn_in_their_boxes_and_follow_the_camera(anatomy):
    plotter, (panel,) = _crowded_panels(anatomy, 1, "default")
    try:
        # only the labels, on black: every label pixel lies in a box, and every box has ink
        ink = _ink_of(plotter, (*panel.actors.values(), *panel.ghost_actors.values(), panel.layers["landmarks"].marker_actor,
                                panel.layers["landmarks"].leader_actor, panel.title_actor, panel.magnification_actor,
                                panel.descriptor_actor))
        inside = np.zeros_like(ink)
        boxes = panel.layers["landmarks"].boxes_px
        assert len(boxes) >= 6
        for name, label_box in boxes.items():
            box = _pixel_box(label_box, ink.shape[0])
            assert ink[box].sum() > 20, f"no {name} label drawn in its box"
            inside[box] = True
        assert not (ink & ~inside).any(), f"{(ink & ~inside).sum()} label pixels outside the boxes"
        before = dict(boxes)
        panel.set_view("posterior")
        plotter.render()
        assert panel.layers["landmarks"].boxes_px.get("psis_left") != before.get("psis_left")
    finally:
        plotter.close()


def test_descriptor_block_has_a_backdrop(anatomy, long_descriptors):
    plotter, (panel,) = _text_panels(anatomy, long_descriptors, (1, 1), (1280, 720), "default",
                                     ["Sacral rotation → flare"])
    try:
        prop = panel.descriptor_actor.GetTextProperty()
        assert prop.GetBackgroundOpacity() > 0.3
        assert prop.GetBackgroundColor() == pytest.approx(pv.Color(panel.theme.background).float_rgb)
        # over a bright scene the block's box is darker with the backdrop than without it
        plotter.set_background("white")
        height = plotter.window_size[1]
        x0, x1, y0, y1 = _box(panel.descriptor_actor, panel.renderer)

        def mean_behind_text():
            plotter.render()
            image = plotter.screenshot(return_img=True).astype(float)
            return image[height - int(y1): height - int(y0), int(x0): int(x1)].mean()

        with_backdrop = mean_behind_text()
        opacity = prop.GetBackgroundOpacity()
        prop.SetBackgroundOpacity(0.0)
        without = mean_behind_text()
        prop.SetBackgroundOpacity(opacity)
        assert with_backdrop < without - 40, (with_backdrop, without)
    finally:
        plotter.close()


def test_cycle_poses_close_the_gait_path(anatomy):
    from pelvisim.models import get_model
    from pelvisim.pose import cycle_poses

    poses = cycle_poses(anatomy, get_model("gait"), {}, 20.0, samples=12)
    assert len(poses) == 13
    for bone in poses[0].T_world:
        np.testing.assert_array_equal(poses[-1].T_world[bone], poses[0].T_world[bone])
    # the samples really are spread over the cycle: the pelvis at half a cycle is elsewhere
    assert not np.allclose(poses[6].T_world["sacrum"], poses[0].T_world["sacrum"])


# --- issue 13: readout, arrows, names, views, layers ------------------------------------------
def test_readout_numbers_keep_their_width(anatomy):
    """Two poses, the same readout lines apart from the digits: the block does not reflow."""
    import vtk

    from pelvisim.descriptors import describe
    from pelvisim.view.readout import format_number, readout_lines
    from pelvisim.view.text import set_font, text_size_px

    assert format_number(0.5, "°") == "+0.50°" and format_number(-0.004, "mm") == "+0.00 mm"
    assert format_number(-1.234, "mm") == "−1.23 mm"
    keys = DEFAULT_READOUTS["gait"]
    prop = vtk.vtkTextProperty()
    set_font(prop)
    prop.SetFontSize(18)
    widths = set()
    for phase in (0.1, 0.35, 0.6, 0.85):
        lines = readout_lines(describe(anatomy, joint_state(anatomy, "gait", {"stiffness_ratio": 2.0}, phase)), keys)
        assert len(lines) == len(keys) <= 4
        widths.add(tuple(text_size_px(prop, line)[0] for line in lines))
    assert len(widths) == 1, widths


def test_default_readouts_name_their_frame_and_exist_for_every_model(anatomy):
    from pelvisim.descriptors import describe
    from pelvisim.models import MODELS
    from pelvisim.scene import MAX_READOUTS, READOUTS
    from pelvisim.view.readout import read_path

    assert set(DEFAULT_READOUTS) == set(MODELS)
    d = describe(anatomy, joint_state(anatomy, "innominate_rotation", {"left_deg": -1.0, "right_deg": 1.0}))
    for model, keys in DEFAULT_READOUTS.items():
        assert len(keys) <= MAX_READOUTS
        for key in keys:
            assert read_path(d, key) is not None, key
    for key, (label, _) in READOUTS.items():
        assert any(words in label for words in ("vs sacrum", "body frame", "own motion", "vs L", "symphysis")), label
    # independent: the readout repeats the descriptor, and the left innominate turned posterior reads negative
    assert read_path(d, "innominate_left.anterior_rotation_deg") == pytest.approx(-1.0, abs=0.05)


def test_arrows_show_true_displacement_times_their_scale(plotter, anatomy):
    """Bones at true scale, arrows ×20: each arrow starts at its landmark and its tip lies at
    20 × the landmark's true-scale displacement (computed here from the state)."""
    from pelvisim.view.overlays import ARROW_MIN_LENGTH_MM

    panel = Panel(plotter, anatomy, overlays=["arrows", "landmarks"])
    panel.set_arrow_scale(20.0)
    state = joint_state(anatomy, "shear", {"left_mm": 1.5})
    shown = pelvisim.pose(anatomy, state, 1.0)
    panel.update(shown)
    arrows = panel.layers["arrows"]
    np.testing.assert_allclose(panel.actors["innominate_left"].user_matrix, shown.T_world["innominate_left"])
    per = len(arrows.mesh.points) // len(panel.landmark_names)
    tips = arrows.mesh.points.reshape(len(panel.landmark_names), per, 3)[:, -1]
    for i, name in enumerate(panel.landmark_names):
        landmark = anatomy.landmark(name)
        moved = landmark.bone == "innominate_left"
        expected = np.array([0.0, 1.5, 0.0]) * 20 if moved else np.zeros(3)
        start = anatomy.point(name) + (np.array([0.0, 1.5, 0.0]) if moved else 0.0)
        if np.linalg.norm(expected) >= ARROW_MIN_LENGTH_MM:
            np.testing.assert_allclose(tips[i], start + expected, atol=1e-9)
        assert arrows.lengths_mm[i] == pytest.approx(np.linalg.norm(expected), abs=1e-9)
    assert panel.magnification_actor.GetInput() == "true scale · arrows ×20"
    panel.set_overlay("arrows", False)
    assert panel.magnification_actor.GetInput() == "true scale"


def test_landmark_names_are_at_least_12_px_capitals_at_720p(anatomy):
    """Measured on the picture: the capitals of "ASIS L" (no descenders) are at least 12 px tall
    in a 1280×720 frame, also in a 2 × 2 layout."""
    from pelvisim.view.landmarks import CAP_HEIGHT_PER_EM

    plotter = pv.Plotter(off_screen=True, window_size=(1280, 720), shape=(2, 2), border=False)
    try:
        panels = []
        for i in range(4):
            panel = Panel(plotter, anatomy, subplot=divmod(i, 2), overlays=["landmarks"], max_triangles=1000)
            panel.update(pelvisim.pose(anatomy, joint_state(anatomy, "neutral"), 1.0))
            panel.set_view("anterior")
            panels.append(panel)
        plotter.show(auto_close=False)
        layer = panels[0].layers["landmarks"]
        assert "asis_left" in layer.boxes_px
        assert layer.label_prop.GetFontSize() * CAP_HEIGHT_PER_EM >= 12.0
        ink = _ink_of(plotter, (*(a for p in panels for a in p.actors.values()), layer.marker_actor, layer.leader_actor,
                                *(p.title_actor for p in panels), *(p.magnification_actor for p in panels)))
        x0, x1, y0, y1 = layer.boxes_px["asis_left"]  # viewport pixels of the first panel, origin lower left
        ox, oy = panels[0].renderer.GetOrigin()
        top, bottom = ink.shape[0] - int(oy + y1) - 2, ink.shape[0] - int(oy + y0) + 2
        box = ink[max(0, top):bottom, int(ox + x0) - 2:int(ox + x1) + 2]
        tall = np.flatnonzero(box.any(axis=1))
        cap_height = tall[-1] - tall[0] + 1
        print(f"label font {layer.label_prop.GetFontSize()} px, capitals {cap_height} px (shadow included)")
        assert cap_height >= 12
    finally:
        plotter.close()


def test_sagittal_cut_away_hides_the_near_bone_and_the_cut_half(plotter, anatomy):
    panel = Panel(plotter, anatomy, overlays=["landmarks"])
    panel.update(pelvisim.pose(anatomy, joint_state(anatomy, "nutation", {"angle_deg": 2.0}), 10.0))
    panel.set_view("sagittal_left")
    assert not panel.actors["innominate_left"].GetVisibility() and panel.actors["innominate_right"].GetVisibility()
    assert len(panel.bone_actors("sacrum")) == 3  # the kept half, its cut face and the cut's outline
    for name in panel.landmark_names:
        landmark = anatomy.landmark(name)
        if landmark.bone == "innominate_left":
            assert not panel.landmark_visible(name), name
        if landmark.bone == "sacrum":  # the left half of the sacrum is cut away (z < midline)
            assert panel.landmark_visible(name) == (anatomy.point(name)[2] > -1.0 + panel._cut.origin[2]), name
    assert not panel.landmark_visible("ila_left") and panel.landmark_visible("ila_right")
    panel.set_view("anterior")  # back: nothing hidden, nothing cut
    assert panel.actors["innominate_left"].GetVisibility() and len(panel.bone_actors("sacrum")) == 1


def test_every_layer_draws_in_its_own_panel(anatomy):
    """Actors added after construction (axes, trails, a cut) go into their own panel's subplot."""
    from pelvisim.models import get_model
    from pelvisim.pose import cycle_poses

    plotter = pv.Plotter(off_screen=True, window_size=(640, 240), shape=(1, 2))
    try:
        panels = [Panel(plotter, anatomy, subplot=(0, i), overlays=["axes", "trails"], max_triangles=1000) for i in range(2)]
        for panel in panels:  # built after both panels exist, with the second subplot active
            panel.set_axes(["left_oblique"])
            panel.set_trails(cycle_poses(anatomy, get_model("gait"), {}, 1.0, 8))
            panel.update(pelvisim.pose(anatomy, joint_state(anatomy, "neutral"), 1.0))
            panel.set_view("medial_left")
        for panel in panels:
            own = set(map(id, panel.renderer.actors.values()))
            layered = [*panel.layers["axes"].actors.values(), *panel.layers["trails"].actors, *panel.bone_actors("sacrum")]
            assert all(id(actor) in own for actor in layered)
    finally:
        plotter.close()


def test_a_registered_layer_is_built_and_switched_in_every_new_panel(plotter, anatomy):
    """The hook a new overlay (e.g. ligaments and muscles) uses: subclass Overlay, register it."""
    from pelvisim.view import overlays

    class Marker(overlays.Overlay):
        name = "test_marker_layer"

        def __init__(self, panel):
            super().__init__(panel)
            self.actor = panel.add_mesh(pv.Sphere(radius=5.0), color="white", reset_camera=False)
            self.actor.visibility = False
            self.poses = 0

        def show(self, on):
            super().show(on)
            self.actor.visibility = on

        def update(self, pose):
            self.poses += 1

    overlays.register_overlay(Marker)
    try:
        panel = Panel(plotter, anatomy, overlays=["test_marker_layer"])
        layer = panel.layers["test_marker_layer"]
        assert layer.actor.visibility and "test_marker_layer" in panel.overlays
        panel.update(pelvisim.pose(anatomy, joint_state(anatomy, "neutral"), 1.0))
        assert layer.poses == 1
        panel.set_overlay("test_marker_layer", False)
        assert not layer.actor.visibility
    finally:
        del overlays.OVERLAY_TYPES["test_marker_layer"]


def test_axes_follow_the_model(anatomy):
    from pelvisim.view.overlays import axes_for_model

    assert axes_for_model("nutation") == ("nutation",)
    assert axes_for_model("sacral_torsion", [{"axis": "right_oblique"}]) == ("right_oblique",)
    assert axes_for_model("unilateral_sacral_flexion", [{"left_deg": 0.0}, {"left_deg": 2.0}]) == ("unilateral_flexion_left",)
    assert axes_for_model("gait") == ("nutation", "left_oblique", "right_oblique")


def test_oblique_axis_rod_leaves_the_sacrum_at_both_ends(plotter, anatomy):
    """The rod's two ends lie outside the sacrum, beyond every point of the line inside it
    (inside-ness from VTK's implicit distance to the sacrum's surface, sampled every 0.5 mm)."""
    from pelvisim import joints
    from pelvisim.view.overlays import AXIS_MARGIN_MM

    panel = Panel(plotter, anatomy, overlays=["axes"])
    panel.set_axes(["left_oblique"])
    axis = joints.oblique_axis(anatomy, "left_oblique")
    d = np.asarray(axis.direction)
    rod = np.asarray(panel.layers["axes"].actors["left_oblique"].mapper.dataset.points)
    along = (rod - axis.point_mm) @ d
    t = np.arange(-250.0, 250.0, 0.5)
    line = pv.PolyData(np.asarray(axis.point_mm) + np.outer(t, d))
    sacrum = pv.PolyData.from_regular_faces(np.array(anatomy.bones["sacrum"].vertices_mm), np.array(anatomy.bones["sacrum"].faces))
    inside = t[line.compute_implicit_distance(sacrum)["implicit_distance"] < 0]
    assert len(inside) > 20, "the oblique axis should pass through the sacrum"
    margin = AXIS_MARGIN_MM - 1.0  # the sampling step and the cap's thickness
    assert along.min() <= inside.min() - margin and along.max() >= inside.max() + margin
