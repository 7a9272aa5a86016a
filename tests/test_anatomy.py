"""The bundled anatomy: landmarks on the right bone, side and region; frame; symmetry; joints."""

import numpy as np
import pytest

import pelvisim
from pelvisim import frames
from pelvisim.anatomy.dimensions import dimensions
from pelvisim.anatomy.surface import Surface, closest_points_on_surface, contains, crossing_edges
from pelvisim.anatomy.user import is_closed

ISSUE_LANDMARKS = (
    [f"{n}_{s}" for n in ("asis", "aiis", "psis", "piis", "iliac_tubercle", "pubic_tubercle", "symphysis",
                          "ischial_tuberosity", "ischial_spine", "acetabulum_centre", "sacral_ala", "sacral_sulcus",
                          "ila", "femoral_head_centre", "knee_centre") for s in ("left", "right")]
    + [f"auricular_{b}_{s}_{p}" for b in ("innominate", "sacrum") for s in ("left", "right")
       for p in ("centroid", "superior_pole", "inferior_pole")]
    + ["sacral_promontory", "s1_endplate_centre", "s2_posterior", "s3_posterior", "sacral_apex"]
)
# landmarks that are surface points (sphere centres are not)
CENTRES = ("acetabulum_centre", "femoral_head_centre", "knee_centre")



@pytest.fixture(scope="module")
def surfaces(anatomy):
    return {n: Surface(b.vertices_mm, b.faces) for n, b in anatomy.bones.items()}


def test_every_issue_landmark_is_present(anatomy):
    missing = [n for n in ISSUE_LANDMARKS if n not in anatomy.landmarks]
    assert not missing


def test_innominates_have_20k_to_80k_triangles_and_every_bone_is_closed(anatomy):
    for side in ("left", "right"):
        assert 20_000 <= anatomy.bones[f"innominate_{side}"].n_triangles <= 80_000
    for bone in anatomy.bones.values():
        assert is_closed(bone.faces), bone.name
        assert Surface(bone.vertices_mm, bone.faces).signed_volume > 0, f"{bone.name}: normals point inward"


@pytest.mark.parametrize("name", [n for n in ISSUE_LANDMARKS if not n.startswith(CENTRES)])
def test_surface_landmarks_lie_on_their_own_bone(anatomy, surfaces, name):
    lm = anatomy.landmark(name)
    _, distance = closest_points_on_surface(lm.position_mm[None], surfaces[lm.bone])
    assert abs(distance[0]) < 0.5, f"{name} is {distance[0]:.2f} mm off the {lm.bone} surface"


@pytest.mark.parametrize("name", [n for n in ISSUE_LANDMARKS if n.endswith(("_left", "_right"))])
def test_paired_landmarks_are_on_their_own_side(anatomy, name):
    z = anatomy.point(name)[2]
    assert (z > 0) if name.endswith("_right") else (z < 0)


def test_landmark_regions_follow_anatomy(anatomy):
    p = anatomy.point
    for s in ("left", "right"):
        assert p(f"asis_{s}")[0] > p(f"psis_{s}")[0] + 100           # ASIS well in front of PSIS
        assert p(f"aiis_{s}")[1] < p(f"asis_{s}")[1]                   # AIIS below ASIS
        assert p(f"piis_{s}")[1] < p(f"psis_{s}")[1]                   # PIIS below PSIS
        assert p(f"iliac_tubercle_{s}")[1] > p(f"asis_{s}")[1]         # on the crest, above ASIS
        assert abs(p(f"iliac_tubercle_{s}")[2]) > abs(p(f"asis_{s}")[2])  # and lateral to it
        assert p(f"ischial_tuberosity_{s}")[1] < p(f"acetabulum_centre_{s}")[1] - 40
        assert p(f"ischial_spine_{s}")[0] < p(f"acetabulum_centre_{s}")[0]   # behind the hip
        assert abs(p(f"pubic_tubercle_{s}")[2]) < 40                   # near the midline
        assert abs(p(f"symphysis_{s}")[2]) < 6                         # facing the other pubis
        sup, inf = p(f"auricular_sacrum_{s}_superior_pole"), p(f"auricular_sacrum_{s}_inferior_pole")
        assert sup[1] > inf[1]
        assert p(f"ila_{s}")[1] < p("s2_posterior")[1]
        assert p(f"knee_centre_{s}")[1] < p(f"femoral_head_centre_{s}")[1] - 300
    assert p("sacral_promontory")[0] > p("s1_posterior")[0] + 40       # base is in front of the crest
    assert p("s1_posterior")[1] > p("s2_posterior")[1] > p("s3_posterior")[1] > p("sacral_apex")[1]


def test_pelvic_frame_is_the_isb_frame(anatomy):
    ra, la = anatomy.point("asis_right"), anatomy.point("asis_left")
    np.testing.assert_allclose((ra + la) / 2, 0, atol=1e-3)           # origin mid-ASIS
    np.testing.assert_allclose(ra[:2], 0, atol=1e-3)                  # both ASIS on the Z axis
    np.testing.assert_allclose(la[:2], 0, atol=1e-3)
    assert ra[2] > 0                                                   # +Z right
    mid_psis = (anatomy.point("psis_left") + anatomy.point("psis_right")) / 2
    assert abs(mid_psis[1]) < 1e-3 and mid_psis[0] < 0                 # PSIS mid-point in the XZ plane, behind


@pytest.mark.parametrize("joint", ["sij_left", "sij_right", "symphysis"])
def test_joint_frames_are_rigid(anatomy, joint):
    assert frames.is_rigid(anatomy.joint_frame(joint), atol=1e-9)


SIJ_FRAME_MIRROR_DEG = 3.5
"""Each SIJ frame is fitted to its own side's auricular patch, and the atlas's patches are not exact
mirror images (areas 1581 / 1524 mm²): measured 2.8° between the left frame and the mirrored right
one. 0.7° of margin for a mesh rebuild; a frame built from the wrong patch, or with an axis
mirrored the wrong way, is off by tens of degrees."""
SIJ_FRAME_MIRROR_MM = 3.5
"""Origins (auricular centroids): measured 2.5 mm apart after mirroring; bounded like the bones'
own mirror Hausdorff (see INNOMINATE_MIRROR_HAUSDORFF_MM)."""


def test_sij_frames_are_mirror_images(anatomy):
    mirrored_right, left = frames.mirror(anatomy.joint_frame("sij_right")), anatomy.joint_frame("sij_left")
    D = mirrored_right[:3, :3].T @ left[:3, :3]
    angle = np.degrees(np.arccos(np.clip((np.trace(D) - 1.0) / 2.0, -1.0, 1.0)))
    assert angle < SIJ_FRAME_MIRROR_DEG, f"SIJ frames {angle:.2f}° apart after mirroring"
    assert np.linalg.norm(mirrored_right[:3, 3] - left[:3, 3]) < SIJ_FRAME_MIRROR_MM


INNOMINATE_MIRROR_HAUSDORFF_MM = 3.3
"""Measured 3.05 mm (left mirrored onto right, both ways; issue 2 note) on the committed meshes.
0.25 mm of margin — a tenth of what a 1° turn moves the ASIS (2.3–2.6 mm, BIOMECHANICS §1) — so
a bone turned by about a degree, about an axis that does not happen to undo the atlas's own
asymmetry, fails here. The turn that does undo it is caught by the fitted rotation below."""
INNOMINATE_MIRROR_MEDIAN_MM = 1.1
"""Measured 0.89 mm; the margin is a tenth of the 2.3–2.6 mm a 1° turn gives at the ASIS."""
MIRROR_FIT_VERTICAL_DEG = 0.5
"""Best rigid fit of the mirrored left innominate onto the right: measured 0.28° about the vertical
axis. Half the measured horizontal-plane (flare) SIJ rotation (≤ ~1°, Goode 2008), so a neutral
pelvis can never show a flare of in-vivo size by construction; a 1° turn gives 0.67–1.23°."""
MIRROR_FIT_TOTAL_DEG = 1.0
"""Same fit, whole rotation: measured 0.69° (mostly about the antero-posterior axis)."""
MIRROR_FIT_MEDIAN_MM = 0.4
"""After the rigid fit the two shapes agree to a median 0.21 mm: they differ by placement, not shape."""


def mirror_fit(moving, fixed, iterations: int = 8):
    """Rigid transform (4×4) best fitting ``moving``'s vertices (every 4th) onto ``fixed``.

    Iterated closest points: pair each point with its closest point on ``fixed``, then solve the
    best rotation and translation of the pairs in closed form (Kabsch, SVD); repeat.
    """
    P = moving.vertices[::4]
    T = np.eye(4)
    for _ in range(iterations):
        Q = P @ T[:3, :3].T + T[:3, 3]
        C, _ = closest_points_on_surface(Q, fixed)
        mq, mc = Q.mean(axis=0), C.mean(axis=0)
        U, _, Vt = np.linalg.svd((Q - mq).T @ (C - mc))
        D = np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))])
        R = Vt.T @ D @ U.T
        step = np.eye(4)
        step[:3, :3], step[:3, 3] = R, mc - R @ mq
        T = step @ T
    _, residual = closest_points_on_surface(P @ T[:3, :3].T + T[:3, 3], fixed)
    return T, residual


def test_left_and_right_innominates_are_mirror_images(surfaces):
    right = surfaces["innominate_right"]
    left = surfaces["innominate_left"].mirrored()
    _, d1 = closest_points_on_surface(left.vertices, right)
    _, d2 = closest_points_on_surface(right.vertices, left)
    hausdorff = max(np.abs(d1).max(), np.abs(d2).max())
    assert hausdorff < INNOMINATE_MIRROR_HAUSDORFF_MM, f"Hausdorff after mirroring {hausdorff:.2f} mm"
    assert np.median(np.abs(np.concatenate([d1, d2]))) < INNOMINATE_MIRROR_MEDIAN_MM


def test_mirrored_left_innominate_needs_no_turn_to_fit_the_right(surfaces):
    from scipy.spatial.transform import Rotation

    T, residual = mirror_fit(surfaces["innominate_left"].mirrored(), surfaces["innominate_right"])
    rotvec_deg = np.degrees(Rotation.from_matrix(T[:3, :3]).as_rotvec())
    assert abs(rotvec_deg[1]) < MIRROR_FIT_VERTICAL_DEG, f"turned {rotvec_deg[1]:+.2f}° about the vertical axis"
    assert np.linalg.norm(rotvec_deg) < MIRROR_FIT_TOTAL_DEG, rotvec_deg
    assert np.median(np.abs(residual)) < MIRROR_FIT_MEDIAN_MM


@pytest.mark.parametrize("side", ["left", "right"])
def test_auricular_surfaces_face_each_other_without_interpenetration(anatomy, surfaces, side):
    sacrum, ilium = surfaces["sacrum"], surfaces[f"innominate_{side}"]
    n_sacrum = anatomy.landmark(f"auricular_sacrum_{side}_centroid").normal
    n_ilium = anatomy.landmark(f"auricular_innominate_{side}_centroid").normal
    assert n_sacrum @ n_ilium < -0.9                                   # the two patches face each other
    # the ilium's joint face: within 25 mm of the auricular centroid, facing the sacrum
    near = np.linalg.norm(ilium.vertices - anatomy.point(f"auricular_innominate_{side}_centroid"), axis=1) < 25
    facing = ilium.vertex_normals @ n_ilium > 0.5
    _, gap = closest_points_on_surface(ilium.vertices[near & facing], sacrum)
    assert gap.mean() < 3.0, f"mean joint gap {gap.mean():.2f} mm"


@pytest.mark.parametrize("side", ["left", "right"])
def test_sacrum_and_innominate_do_not_interpenetrate_at_neutral(surfaces, side):
    """No vertex of either bone inside the other (ray-crossing parity, majority of three rays) and no
    edge of either through a triangle of the other: together, the two closed surfaces are disjoint.

    The atlas's mean surfaces overlap by up to 1.3 mm at the auricular surfaces; the build moves the
    sacrum clear. Both checks are independent of the distance computation the build uses.
    """
    sacrum, ilium = surfaces["sacrum"], surfaces[f"innominate_{side}"]
    assert contains(ilium, sacrum.vertices).sum() == 0
    assert contains(sacrum, ilium.vertices).sum() == 0
    assert crossing_edges(sacrum, ilium).sum() == 0
    assert crossing_edges(ilium, sacrum).sum() == 0


def test_dimensions_match_published_ranges(anatomy):
    d = dimensions(anatomy)
    assert 200 <= d["inter_asis_mm"] <= 260          # 227 ± 16 mm, CT (BIOMECHANICS §8)
    assert 140 <= d["inter_hip_centre_mm"] <= 180    # 160 ± 8 mm
    for s in ("left", "right"):
        assert 20 <= d[f"acetabulum_radius_{s}_mm"] <= 30   # femoral head ≈ 50 mm diameter


# Mac-Thiong 2011 (Eur Spine J 20 S5:572; standing lateral radiographs, n = 709 asymptomatic adults)
# gives mean ± 2 SD ranges PI 32–74°, PT 0–27°, SS 24–55°: means 53 / 13.5 / 39.5°, SD 10.5 / 6.75 /
# 7.75°. The bundled pelvis is an atlas MEAN shape, so it must sit within one SD of each mean.
MAC_THIONG_2011 = {"pelvic_incidence_deg": (53.0, 10.5), "pelvic_tilt_deg": (13.5, 6.75), "sacral_slope_deg": (39.5, 7.75)}


def standing_sagittal_angles_deg(anatomy) -> dict[str, float]:
    """Sacral slope and pelvic tilt by hand, standing with the anterior pelvic plane vertical.

    Lewinnek's convention, as in dimensions.py (real standing tilt varies by several degrees):
    "up" is the sagittal direction from the mid pubic tubercles to the mid-ASIS, "forward" is
    perpendicular to it, pointing anterior. SS: the S1 endplate normal's forward lean from "up".
    PT: the line from the mid hip centre to the S1 endplate centre, leaning back from "up"
    (positive when the hips lie in front of the endplate centre, Legaye 1998).
    """
    p = anatomy.point
    up = ((p("asis_left") + p("asis_right")) / 2 - (p("pubic_tubercle_left") + p("pubic_tubercle_right")) / 2)[:2]
    up = up / np.linalg.norm(up)
    forward = np.array([up[1], -up[0]])
    assert forward[0] > 0  # anterior
    endplate = anatomy.landmark("s1_endplate_centre")
    n = np.asarray(endplate.normal, dtype=float)[:2]
    hips = ((p("acetabulum_centre_left") + p("acetabulum_centre_right")) / 2)[:2]
    to_endplate = endplate.position_mm[:2] - hips
    return {"sacral_slope_deg": float(np.degrees(np.arctan2(n @ forward, n @ up))),
            "pelvic_tilt_deg": float(np.degrees(np.arctan2(-(to_endplate @ forward), to_endplate @ up)))}


def test_sacral_slope_and_pelvic_tilt_match_mac_thiong_2011(anatomy):
    mine = standing_sagittal_angles_deg(anatomy)
    reported = dimensions(anatomy)
    for key, value in mine.items():
        mean, sd = MAC_THIONG_2011[key]
        assert abs(value - mean) <= sd, f"{key} {value:.1f}° vs {mean} ± {sd}° (Mac-Thiong 2011)"
        assert reported[key] == pytest.approx(value, abs=0.006)  # dimensions() rounds to 0.01°
    # Pelvic incidence, orientation-free in dimensions(); here the geometric sum of the two
    # standing angles computed above (PI = SS + PT holds for any orientation of the pelvis).
    incidence = mine["sacral_slope_deg"] + mine["pelvic_tilt_deg"]
    mean, sd = MAC_THIONG_2011["pelvic_incidence_deg"]
    assert abs(incidence - mean) <= sd
    assert reported["pelvic_incidence_deg"] == pytest.approx(incidence, abs=0.02)


def test_femoral_heads_sit_in_the_acetabula(anatomy):
    for s in ("left", "right"):
        np.testing.assert_allclose(anatomy.point(f"femoral_head_centre_{s}"),
                                   anatomy.point(f"acetabulum_centre_{s}"), atol=1e-3)
    head = anatomy.landmark("femoral_head_centre_right").radius_mm
    cup = anatomy.landmark("acetabulum_centre_right").radius_mm
    assert 0 < cup - head < 4   # head slightly smaller than its socket


def test_unknown_landmark_lists_the_known_ones(anatomy):
    with pytest.raises(pelvisim.LandmarkError, match="asis_left"):
        anatomy.point("asis_middle")
