"""Build the bundled bones from the ABI atlas (``musculoskeletal-models`` on PyPI).

Steps (each documented where it is done):

1. evaluate the cubic-Lagrange pelvis elements (0–72, 73–145: the two hemipelves; 146–259: the
   sacrum) and the quartic left femur on a fine parameter grid, weld the elements into closed
   surfaces with outward normals (:mod:`pelvisim.anatomy.atlas`);
2. tell right from left anatomically: with the dataset's CT axes (−y anterior, +z superior,
   checked: the sacrum lies behind and above the pubic symphysis), right = anterior × superior;
3. find the anterior pelvic plane and the PSIS, and move everything into the ISB pelvic frame
   (:mod:`pelvisim.anatomy.landmarks`);
4. move the sacral auricular surfaces clear of the ilia where the mean atlas surfaces overlap,
   leaving a thin joint space (the atlas surfaces are bone surfaces averaged over 26 subjects and
   overlap by up to about 1.3 mm): :func:`pelvisim.anatomy.surface.push_clear` moves sacral
   vertices along the ilium's outward normal, never along the sacrum's own (that folds the sharp
   rims of the mean auricular surface), and checks that no face was turned inside out; then
   :func:`check_disjoint` confirms, by ray parity and edge crossings, that the bones do not
   interpenetrate;
5. find every landmark by its rule; place each femur with its head centre on the acetabulum
   centre (the right femur is the mirror image of the left: the atlas's right femur file is the
   left one mirrored in place, not positioned);
6. write binary PLY meshes, ``landmarks.json``, ``SHA256SUMS``, ``PROVENANCE.md`` and the data
   licence.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from pelvisim import frames
from pelvisim.anatomy import landmarks as rules
from pelvisim.anatomy.atlas import AtlasMesh, read_atlas, triangulate
from pelvisim.anatomy.ply import write_ply
from pelvisim.anatomy.surface import Surface, contains, crossing_edges, push_clear
from pelvisim.errors import DataNotFoundError, MeshError

DATASET = "musculoskeletal-models"
PELVIS_FILES = ("pelvis_combined_cubic_flat.mesh", "pelvis_combined_cubic_flat.ens",
                "pelvis_combined_cubic_mean_rigid_LLP26.geof")
FEMUR_FILES = ("femur_left_quartic_flat.mesh", "femur_left_quartic_flat.ens", "femur_left_mean_rigid_LLP26.geof")
HEMIPELVIS_ELEMENTS = (range(0, 73), range(73, 146))
SACRUM_ELEMENTS = range(146, 260)
# Subdivisions per element edge: 16 gives ≈31k triangles per innominate (issue: 20k–80k for
# smooth shading at 1080p); the sacrum and femurs are smaller on screen.
SUBDIVISIONS = {"innominate": 16, "sacrum": 14, "femur": 10}
JOINT_CLEARANCE_MM = 0.3
JOINT_FALLOFF_MM = 4.0  # each sacral move fades to zero over this distance along the surface
AURICULAR_GAP_MM = 2.0  # least gap counted as auricular surface; a wider joint counts its own width (landmarks.auricular_gap_mm)
CT_ANTERIOR = np.array([0.0, -1.0, 0.0])
CT_SUPERIOR = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class BuiltAnatomy:
    """Surfaces and landmarks in the pelvic frame, plus build figures for PROVENANCE."""

    surfaces: dict[str, Surface]
    landmarks: dict[str, dict]
    report: dict[str, float]


def dataset_file(name: str) -> Path:
    """Path of one atlas file inside the installed ``musculoskeletal-models`` package."""
    try:
        from musculoskeletal.models import get_model_path
    except ImportError:
        raise DataNotFoundError(
            f"The {DATASET} package is needed to rebuild the meshes: pip install {DATASET}"
        ) from None
    path = get_model_path(f"atlas_meshes/{name}")
    if path is None:
        raise DataNotFoundError(f"{DATASET}: atlas file atlas_meshes/{name} not found in the installed package")
    return Path(path)


def _surface(vertices: np.ndarray, faces: np.ndarray, name: str) -> Surface:
    surface = Surface(vertices, faces).outward()
    if surface.signed_volume <= 0:
        raise MeshError(f"{name}: the evaluated surface encloses no volume")
    return surface


def _found_to_json(bone: str, found: rules.Found, mirror: bool) -> dict:
    side = frames.mirror_points if mirror else np.asarray
    entry: dict = {"bone": bone, "position_mm": [round(float(v), 4) for v in side(found.position)]}
    if found.normal is not None:
        entry["normal"] = [round(float(v), 6) for v in side(found.normal)]
    if found.radius_mm is not None:
        entry["radius_mm"] = round(float(found.radius_mm), 4)
    if found.area_mm2 is not None:
        entry["area_mm2"] = round(float(found.area_mm2), 2)
    return entry


def check_disjoint(a: Surface, b: Surface, what: str) -> None:
    """Raise :class:`MeshError` unless two closed surfaces are apart.

    Checked independently of the distances used to separate them: no vertex of either inside the
    other (ray-crossing parity) and no edge of either through a triangle of the other.
    """
    inside = int(contains(b, a.vertices).sum()), int(contains(a, b.vertices).sum())
    crossing = int(crossing_edges(a, b).sum()), int(crossing_edges(b, a).sum())
    if any(inside) or any(crossing):
        raise MeshError(f"{what} interpenetrate: {inside[0]} + {inside[1]} vertices inside the other bone, "
                        f"{crossing[0]} + {crossing[1]} edges through the other bone")


def read_pelvis_atlas() -> AtlasMesh:
    """The atlas pelvis (elements, bases and the mean node coordinates of LLP26)."""
    return read_atlas(*(dataset_file(f) for f in PELVIS_FILES))


def read_femur_atlas() -> AtlasMesh:
    """The atlas left femur (elements, bases and the mean node coordinates of LLP26)."""
    return read_atlas(*(dataset_file(f) for f in FEMUR_FILES))


def build_default_anatomy() -> BuiltAnatomy:
    """Evaluate the atlas and find every landmark; pure computation, writes nothing."""
    return build_anatomy(read_pelvis_atlas(), read_femur_atlas())


def build_anatomy(pelvis: AtlasMesh, femur_atlas: AtlasMesh,
                  progress: Callable[[str], None] | None = None) -> BuiltAnatomy:
    """Steps 1–5 of the module docstring on given node coordinates; pure computation.

    Parameters
    ----------
    pelvis : AtlasMesh
        The atlas pelvis; its ``nodes_mm`` may be any shape of the LLP26 shape model (CT frame, mm).
    femur_atlas : AtlasMesh
        The atlas left femur, likewise; the right femur is its mirror image.
    progress : callable, optional
        Called with a few words before each step (for a progress line).
    """
    say = progress or (lambda _text: None)
    say("evaluating the bone surfaces")
    hemis = [_surface(*triangulate(pelvis, r, SUBDIVISIONS["innominate"]), "hemipelvis") for r in HEMIPELVIS_ELEMENTS]
    sacrum = _surface(*triangulate(pelvis, SACRUM_ELEMENTS, SUBDIVISIONS["sacrum"]), "sacrum")

    # 2. sides, from anatomy in the CT axes
    right_dir = np.cross(CT_ANTERIOR, CT_SUPERIOR)
    centres = [h.vertices.mean(axis=0) for h in hemis]
    symphysis_ct = (centres[0] + centres[1]) / 2  # refined below; only used for the check
    behind = (sacrum.vertices.mean(axis=0) - symphysis_ct) @ CT_ANTERIOR
    if behind >= 0:
        raise MeshError("atlas orientation: expected the sacrum behind the hemipelves along −y")
    right_index = 0 if (centres[0] - centres[1]) @ right_dir > 0 else 1
    right_ct, left_ct = hemis[right_index], hemis[1 - right_index]

    # 3. pelvic frame
    say("finding the pelvic frame")
    app = rules.anterior_pelvic_plane(right_ct, left_ct, CT_ANTERIOR, CT_SUPERIOR)
    z = rules._unit(app.asis_right - app.asis_left)
    x_guess = app.normal - (app.normal @ z) * z
    T = frames.from_rt(np.array([x_guess, np.cross(z, x_guess), z]), np.zeros(3))
    for _ in range(10):  # PSIS depends on the frame's "posterior"; iterate to a fixed point
        psis_r = frames.apply(frames.invert(T), rules.psis_point(right_ct.transformed(T)))
        psis_l = frames.apply(frames.invert(T), frames.mirror_points(rules.psis_point(left_ct.transformed(T).mirrored())))
        T_new = rules.pelvic_frame_from_landmarks(app.asis_right, app.asis_left, psis_r, psis_l)
        done = np.allclose(T_new, T, atol=1e-10)
        T = T_new
        if done:
            break
    right, left, sacrum = (s.transformed(T) for s in (right_ct, left_ct, sacrum))
    asis_r, asis_l = frames.apply(T, app.asis_right), frames.apply(T, app.asis_left)
    pub_r, pub_l = frames.apply(T, app.pubic_right), frames.apply(T, app.pubic_left)

    # 4. joint space
    say("clearing the sacroiliac joint space")
    separation = push_clear(sacrum, [right, left], JOINT_CLEARANCE_MM, falloff_mm=JOINT_FALLOFF_MM)
    sacrum = separation.surface
    for side, ilium in (("right", right), ("left", left)):
        check_disjoint(sacrum, ilium, f"sacrum and innominate_{side}")

    # 5. landmarks (left = right rule on mirrored bones)
    say("finding the landmarks")
    inter_asis = float(np.linalg.norm(asis_r - asis_l))
    psis_mid = (rules.psis_point(right) + frames.mirror_points(rules.psis_point(left.mirrored()))) / 2
    depth = float(np.linalg.norm(((asis_r + asis_l) / 2 - psis_mid)[:2]))
    found: dict[str, dict] = {}
    inputs = {
        "right": (right, left, sacrum, asis_r, pub_r),
        "left": (left.mirrored(), right.mirrored(), sacrum.mirrored(), frames.mirror_points(asis_l),
                 frames.mirror_points(pub_l)),
    }
    # Both sulci from the same PSIS height and distance from the midline (mean of the two PSIS).
    psis_symmetric = (rules.psis_point(right) + rules.psis_point(left.mirrored())) / 2
    auricular_gaps = {side: rules.auricular_gap_mm(bone, sac, AURICULAR_GAP_MM)
                      for side, (bone, _, sac, _, _) in inputs.items()}
    for side, (bone, other, sac, asis, pub) in inputs.items():
        mirror = side == "left"
        gap = auricular_gaps[side]
        for name, f in rules.innominate_landmarks(bone, other, sac, asis, pub, inter_asis, depth,
                                                  gap).items():
            key = name.replace("auricular_innominate_", f"auricular_innominate_{side}_") if name.startswith(
                "auricular") else f"{name}_{side}"
            found[key] = _found_to_json(f"innominate_{side}", f, mirror)
        for name, f in rules.sacrum_landmarks(sac, bone, psis_symmetric, gap).items():
            if "right" in name:
                found[name.replace("right", side)] = _found_to_json("sacrum", f, mirror)
            elif not mirror:
                found[name] = _found_to_json("sacrum", f, False)

    say("placing the femurs")
    femur_ct = _surface(*triangulate(femur_atlas, list(femur_atlas.element_ids), SUBDIVISIONS["femur"]), "femur")
    femur_left = femur_ct.transformed(T)
    acetabulum_left = np.array(found["acetabulum_centre_left"]["position_mm"])
    head = rules.femur_landmarks(femur_left, acetabulum_left)["femoral_head_centre"].position
    femur_left = femur_left.transformed(frames.translation(acetabulum_left - head))
    femur_right = femur_left.mirrored()
    acetabulum_right = np.array(found["acetabulum_centre_right"]["position_mm"])
    femur_right = femur_right.transformed(frames.translation(acetabulum_right - frames.mirror_points(acetabulum_left)))
    surfaces = {"sacrum": sacrum, "innominate_left": left, "innominate_right": right,
                "femur_left": femur_left, "femur_right": femur_right}
    for side, femur in (("left", femur_left), ("right", femur_right)):
        bone = femur if side == "right" else femur.mirrored()
        acetabulum = np.array(found[f"acetabulum_centre_{side}"]["position_mm"])
        if side == "left":
            acetabulum = frames.mirror_points(acetabulum)
        for name, f in rules.femur_landmarks(bone, acetabulum).items():
            found[f"{name}_{side}"] = _found_to_json(f"femur_{side}", f, side == "left")

    report = {
        "atlas_overlap_before_correction_mm": round(separation.deepest_overlap_mm, 3),
        "sacral_move_max_mm": round(separation.largest_move_mm, 3),
        "sacral_face_turn_max_deg": round(separation.largest_face_turn_deg, 1),
        "joint_clearance_mm": JOINT_CLEARANCE_MM,
        "joint_closest_approach_mm": round(separation.closest_approach_mm, 3),
        "joint_falloff_mm": JOINT_FALLOFF_MM,
        **{f"sij_{side}_auricular_gap_mm": round(gap, 3) for side, gap in auricular_gaps.items()},
    }
    return BuiltAnatomy(surfaces, dict(sorted(found.items())), report)


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dataset_version() -> str:
    """Installed version of the atlas package."""
    try:
        return metadata.version(DATASET)
    except metadata.PackageNotFoundError:
        raise DataNotFoundError(f"The {DATASET} package is not installed: pip install {DATASET}") from None


def write_meshes(out_dir: Path) -> dict[str, str]:
    """Build the default anatomy and write it to ``out_dir``; returns file name → SHA-256."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    built = build_default_anatomy()
    version = dataset_version()
    comment = f"pelvisim mesh derived from {DATASET} {version} (MPL-2.0); pelvic frame, mm"
    for name, surface in built.surfaces.items():
        write_ply(out_dir / f"{name}.ply", surface.vertices, surface.faces, comment=comment)
    payload = {
        "frame": "ISB pelvic frame (Wu 2002): +X anterior, +Y superior, +Z right, origin mid-ASIS; mm",
        "source": f"{DATASET} {version}, mean pelvis and femur of 26 subjects (LLP26), MPL-2.0",
        "build": built.report,
        "landmarks": built.landmarks,
    }
    tmp = out_dir / "landmarks.json.tmp"
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out_dir / "landmarks.json")
    licence = Path(metadata.distribution(DATASET).locate_file(
        f"musculoskeletal_models-{version}.dist-info/LICENSE"))
    if licence.exists():
        shutil.copyfile(licence, out_dir / "LICENSE-MPL-2.0.txt")
    sums = {p.name: sha256(p) for p in sorted(out_dir.glob("*.ply"))}
    sums["landmarks.json"] = sha256(out_dir / "landmarks.json")
    (out_dir / "SHA256SUMS").write_text("".join(f"{h}  {n}\n" for n, h in sums.items()), encoding="utf-8")
    return sums
