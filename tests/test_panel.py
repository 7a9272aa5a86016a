"""The panel: actors added once, update only sets user_matrix, overlays toggle, view presets."""

from __future__ import annotations

import render_helpers  # noqa: F401  (headless settings before pyvista)
import numpy as np
import pytest
import pyvista as pv

import pelvisim
from pelvisim.errors import ParameterError
from pelvisim.models import joint_state
from pelvisim.view import OVERLAYS, VIEWS, Panel, magnification_text, set_view
from render_helpers import is_blank, mean_abs_difference

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def anatomy():
    return pelvisim.load_anatomy()


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
    names = panel._landmark_names
    moved = panel.landmark_positions(shown)
    i = names.index("asis_left")
    j = names.index("asis_right")
    np.testing.assert_allclose(moved[i] - anatomy.point("asis_left"), [0, 2.0, 0], atol=1e-9)
    np.testing.assert_allclose(moved[j], anatomy.point("asis_right"), atol=1e-9)


def test_colour_map_is_true_scale_displacement(plotter, anatomy):
    panel = Panel(plotter, anatomy, overlays=["colour_map"])
    panel.update(pelvisim.pose(anatomy, joint_state(anatomy, "shear", {"left_mm": 1.5}), 20.0))
    left = panel.meshes["innominate_left"].point_data["displacement_mm"]
    right = panel.meshes["innominate_right"].point_data["displacement_mm"]
    np.testing.assert_allclose(left, 1.5, atol=1e-9)  # magnification never reaches the colours
    np.testing.assert_allclose(right, 0.0, atol=1e-12)
    assert panel.actors["innominate_left"].mapper.scalar_visibility


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
    assert len(panel.trail_actors) == 4 and all(a.visibility for a in panel.trail_actors)
    panel.set_axis_level("S3")
    assert panel.axis_level == "S3"


def test_view_is_the_only_pyvista_importer():
    import subprocess
    import sys

    code = ("import sys, pelvisim, pelvisim.scene, pelvisim.models, pelvisim.descriptors; "
            "import pelvisim.cli.render_cmd, pelvisim.cli.scene_cmd; assert 'pyvista' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- simplified surfaces for the interactive app ---------------------------------------------
def _volume_mm3(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Enclosed volume by the divergence theorem: sum of signed tetrahedra to the origin."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


@pytest.mark.parametrize("bone", ["innominate_left", "sacrum"])
def test_simplified_bone_keeps_its_shape_within_budget(anatomy, bone):
    from pelvisim.anatomy.user import is_closed
    from pelvisim.view.panel import bone_surface

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
    full_volume = _volume_mm3(np.asarray(full.vertices_mm), np.asarray(full.faces))
    assert _volume_mm3(vertices, faces) == pytest.approx(full_volume, rel=0.02)
    np.testing.assert_allclose(vertices.min(axis=0), np.min(full.vertices_mm, axis=0), atol=1.5)
    np.testing.assert_allclose(vertices.max(axis=0), np.max(full.vertices_mm, axis=0), atol=1.5)


def test_budget_is_a_ceiling_and_too_small_is_rejected(anatomy):
    from pelvisim.view.panel import MIN_TRIANGLES, bone_surface

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
