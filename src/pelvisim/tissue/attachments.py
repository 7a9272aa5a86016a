"""Attachment footprints of the pelvic ligaments and muscles, found by rules on the bones.

Like the landmarks (:mod:`pelvisim.anatomy.landmarks`), every footprint is found by a written
geometric rule, never typed in: the rule runs on the right side; the left footprint is the same
rule run on the mirrored bones and landmarks, mirrored back, so left and right are symmetric by
construction. A footprint is several points (one per fibre bundle), each moved onto the bone's
surface ("snapped") when the anatomy has meshes. An anatomy without meshes (the synthetic test
pelvis) gets the same rules on its landmarks, unsnapped.

Rules (right side; the SIJ frame's axes are x ≈ anterior along the joint, y ≈ superior along the
joint, z = the joint normal from the sacrum into the ilium):

* ``auricular``: the auricular surface of the sacrum, sampled — its faces within 2 mm of the
  ilium (the rule that finds the auricular landmarks), or, without meshes, an ear-shaped band in
  the joint plane: two arms from the poles meeting at an apex in front, as long as the surface
  from pole to pole and as wide as its area requires.
* ``anterior_sacroiliac``: four levels from 20 % to 80 % of the way down the joint; at each, the
  most anterior point of the auricular surface, moved 4 mm forward and 7 mm to either side of the
  joint line (sacrum medially, ilium laterally).
* ``interosseous``: four levels from 10 % to 55 % down the joint; at each, the most posterior
  point of the auricular surface, moved 9 mm further back, then 6 mm to either side of the joint
  line (sacral and iliac tuberosities).
* ``long_dorsal_sacroiliac``: iliac end at the PSIS and 30 % and 60 % of the way to the PIIS;
  sacral end on the lateral sacral crest (28 mm from the midline, the most posterior sacral point)
  at the S3 level and 8 and 16 mm below it (S3–S4; Vleeming 2012).
* ``sacrotuberous``: sacral end on the lateral border of the lower sacrum, from the inferior
  lateral angle (ILA) up 10 and 20 mm (the most lateral sacral points at those heights); ischial
  end on the postero-medial margin of the ischial tuberosity 10, 20 and 30 mm above its lowest point.
* ``sacrospinous``: sacral end on the lateral margin of the sacrum below the ILA (15, 45 and 75 %
  of the way down to the apex; the most lateral points in front of the ILA–apex mid-depth); iliac
  end at the ischial spine and 5 mm above and below it.
* ``iliolumbar``: iliac end on the inner lip of the iliac crest 10 and 22 mm in front of the
  PSIS (the highest crest points, then the most medial within 6 mm of that height); L5 end at the
  tip of the L5 transverse process, 2 mm behind and in front of it (:mod:`pelvisim.tissue.l5`).
* ``superior_pubic`` / ``arcuate_pubic`` (midline, one ligament joining both pubes): 15 mm above /
  17 mm below the symphyseal surface centre, 8 and 14 mm lateral to it, on each pubis.

Muscle footprints (origin points, via points) are found in :mod:`pelvisim.tissue.muscles` with the
helpers here (:func:`right_side_view`, :func:`snap`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.anatomy.landmarks import auricular_gap_mm, contact_patch
from pelvisim.anatomy.surface import Surface, closest_points_on_surface
from pelvisim.errors import LandmarkError
from pelvisim.tissue.l5 import L5Geometry, l5_geometry

AURICULAR_GAP_MM = 2.0
"""Faces of the sacrum within this distance of the ilium form the auricular surface, or within the
joint's own width where it is wider (the landmark rules' :func:`pelvisim.anatomy.landmarks.auricular_gap_mm`,
same least value as pelvisim.anatomy.build)."""
AURICULAR_SAMPLES = 24
"""Points sampled on each auricular surface (contact springs of the joint)."""
DEFAULT_AURICULAR_AREA_MM2 = 1065.0
"""Used only when an anatomy gives no auricular area: mean of men 1138 and women 993 mm²
(BIOMECHANICS.md §3) [D]."""


@dataclass(frozen=True, eq=False)
class Footprint:
    """Where one tissue attaches to one bone.

    Attributes
    ----------
    name : str
        e.g. ``"sacrotuberous_right.sacrum"``.
    bone : str
        ``sacrum``, ``innominate_left``, ``innominate_right``, ``l5``, ``femur_left`` or
        ``femur_right``.
    points_mm : ndarray (n, 3)
        Attachment points in the pelvic frame at neutral (read-only).
    """

    name: str
    bone: str
    points_mm: NDArray[np.float64]

    def __post_init__(self) -> None:
        P = np.array(self.points_mm, dtype=float, copy=True).reshape(-1, 3)
        if not np.all(np.isfinite(P)) or len(P) == 0:
            raise LandmarkError(f"footprint {self.name!r}: expected finite points, got {P.tolist()}")
        P.setflags(write=False)
        object.__setattr__(self, "points_mm", P)

    @property
    def centre(self) -> NDArray[np.float64]:
        """Mean of the points."""
        return self.points_mm.mean(axis=0)


@dataclass(frozen=True, eq=False)
class SideView:
    """The anatomy as seen for the rules of one side: the left side is mirrored into a right side.

    Attributes
    ----------
    side : str
        ``"right"`` or ``"left"`` (the side the rules are producing).
    sacrum, innominate, other_innominate, femur : Surface or None
        Bones as right-side bones (mirrored for ``side == "left"``); None without meshes.
    points : Mapping[str, ndarray]
        Landmark positions named as for the right side (``psis_right`` is the PSIS of ``side``).
    normals : Mapping[str, ndarray]
        Landmark normals, same naming.
    areas : Mapping[str, float]
        Landmark areas, same naming.
    T_pelvis_sij : Transform
        The SIJ frame of ``side`` as a right-side frame.
    """

    side: str
    sacrum: Surface | None
    innominate: Surface | None
    other_innominate: Surface | None
    femur: Surface | None
    points: Mapping[str, NDArray[np.float64]]
    normals: Mapping[str, NDArray[np.float64]]
    areas: Mapping[str, float]
    T_pelvis_sij: frames.Transform
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def point(self, name: str) -> NDArray[np.float64]:
        """Right-named landmark position (mirrored for the left side)."""
        try:
            return self.points[name]
        except KeyError:
            raise LandmarkError(f"Attachment rules need landmark {name!r} ({self.side} side)") from None

    def back(self, points: NDArray) -> NDArray[np.float64]:
        """Points from this view back to the pelvic frame (mirror for the left side)."""
        return np.asarray(points, dtype=float) if self.side == "right" else frames.mirror_points(points)

    @property
    def has_meshes(self) -> bool:
        """True when the bones have triangles (rules then use and snap to the surfaces)."""
        return self.sacrum is not None and self.innominate is not None


def _surface(anatomy: Anatomy, bone: str, mirror: bool) -> Surface | None:
    if bone not in anatomy.bones or len(anatomy.bones[bone].faces) == 0:
        return None
    b = anatomy.bones[bone]
    s = Surface(np.asarray(b.vertices_mm), np.asarray(b.faces))
    return s.mirrored() if mirror else s


def _swap_side(name: str) -> str:
    if "_left" in name:
        return name.replace("_left", "_right")
    if "_right" in name:
        return name.replace("_right", "_left")
    return name


@lru_cache(maxsize=16)
def right_side_view(anatomy: Anatomy, side: str) -> SideView:
    """The :class:`SideView` of ``side`` (cached per anatomy)."""
    if side not in SIDES:
        raise LandmarkError(f"Expected side 'left' or 'right', got {side!r}")
    mirror = side == "left"
    other = "left" if side == "right" else "right"
    points, normals, areas = {}, {}, {}
    for name, lm in anatomy.landmarks.items():
        key = _swap_side(name) if mirror else name
        points[key] = frames.mirror_points(lm.position_mm) if mirror else np.asarray(lm.position_mm, dtype=float)
        if lm.normal is not None:
            normals[key] = frames.mirror_points(lm.normal) if mirror else np.asarray(lm.normal, dtype=float)
        if lm.area_mm2 is not None:
            areas[key] = float(lm.area_mm2)
    T = anatomy.joint_frame(f"sij_{side}")
    return SideView(
        side=side,
        sacrum=_surface(anatomy, "sacrum", mirror),
        innominate=_surface(anatomy, f"innominate_{side}", mirror),
        other_innominate=_surface(anatomy, f"innominate_{other}", mirror),
        femur=_surface(anatomy, f"femur_{side}", mirror),
        points=MappingProxyType(points),
        normals=MappingProxyType(normals),
        areas=MappingProxyType(areas),
        T_pelvis_sij=frames.mirror(T) if mirror else np.asarray(T, dtype=float),
    )


def snap(points: NDArray, surface: Surface | None) -> NDArray[np.float64]:
    """The closest points on ``surface`` (unchanged when there is no surface)."""
    P = np.atleast_2d(np.asarray(points, dtype=float))
    if surface is None:
        return P
    closest, _ = closest_points_on_surface(P, surface)
    return closest


def _lerp(a: NDArray, b: NDArray, t: float) -> NDArray[np.float64]:
    return (1.0 - t) * np.asarray(a, dtype=float) + t * np.asarray(b, dtype=float)


# --- the auricular surface --------------------------------------------------------------------


def _farthest_point_sample(points: NDArray, n: int) -> NDArray[np.float64]:
    """``n`` points of ``points`` spread over them (greedy farthest-point sampling, deterministic)."""
    if len(points) <= n:
        return points
    centre = points.mean(axis=0)
    chosen = [int(np.argmin(np.linalg.norm(points - centre, axis=1)))]
    distance = np.linalg.norm(points - points[chosen[0]], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(distance))
        chosen.append(i)
        distance = np.minimum(distance, np.linalg.norm(points - points[i], axis=1))
    return points[np.sort(chosen)]


def auricular_points(view: SideView) -> NDArray[np.float64]:
    """Sample points of the sacral auricular surface of the view's side (right-side view frame).

    With meshes: centres of the sacral faces within the auricular gap of the ilium (at least
    :data:`AURICULAR_GAP_MM`, the joint's width where wider), spread
    by farthest-point sampling to :data:`AURICULAR_SAMPLES` points. Without meshes: an ear-shaped
    band in the joint plane through the joint centre (module docstring).
    """
    if "auricular" in view._cache:
        return view._cache["auricular"]
    if view.has_meshes:
        gap = auricular_gap_mm(view.innominate, view.sacrum, AURICULAR_GAP_MM)
        faces = contact_patch(view.sacrum, view.innominate, gap)
        centres = view.sacrum.face_centres[faces]
        if len(centres) < AURICULAR_SAMPLES:
            raise LandmarkError(f"auricular surface ({view.side}): only {len(centres)} faces within "
                                f"{gap:g} mm of the ilium")
        out = _farthest_point_sample(centres, AURICULAR_SAMPLES)
    else:
        T = view.T_pelvis_sij
        R, origin = T[:3, :3], T[:3, 3]
        top, bottom = view.point("auricular_sacrum_right_superior_pole"), view.point("auricular_sacrum_right_inferior_pole")
        length = float(abs((top - bottom) @ R[:, 1]))
        area = view.areas.get("auricular_sacrum_right_centroid", DEFAULT_AURICULAR_AREA_MM2)
        # ear shape: two arms from the poles (a quarter of the length behind the centre) meeting at
        # an apex a quarter of the length in front of it; the band's width gives the area
        corners = np.array([[-0.25 * length, 0.5 * length], [0.25 * length, 0.0], [-0.25 * length, -0.5 * length]])
        arm = float(np.linalg.norm(corners[1] - corners[0]))
        width = area / (2.0 * arm)
        grid = []
        for a, b in ((corners[0], corners[1]), (corners[1], corners[2])):
            along = (b - a) / arm
            across = np.array([-along[1], along[0]])
            for t in np.linspace(0.0, 1.0, 6):
                for w in (-0.35, 0.35):
                    u, v = a + t * (b - a) + w * width * across
                    grid.append(origin + u * R[:, 0] + v * R[:, 1])
        out = _farthest_point_sample(np.array(grid), AURICULAR_SAMPLES)
    view._cache["auricular"] = out
    return out


def _joint_coordinates(view: SideView, points: NDArray) -> NDArray[np.float64]:
    T = view.T_pelvis_sij
    return (np.asarray(points) - T[:3, 3]) @ T[:3, :3]


def _margin_points(view: SideView, levels: NDArray, anterior: bool) -> NDArray[np.float64]:
    """Most anterior (or posterior) auricular point near each level (0 = upper pole, 1 = lower pole)."""
    P = auricular_points(view)
    J = _joint_coordinates(view, P)
    top, bottom = J[:, 1].max(), J[:, 1].min()
    out = []
    for t in levels:
        height = top + t * (bottom - top)
        band = np.abs(J[:, 1] - height) < max(0.15 * (top - bottom), 4.0)
        idx = np.flatnonzero(band) if band.any() else np.arange(len(P))
        pick = idx[np.argmax(J[idx, 0])] if anterior else idx[np.argmin(J[idx, 0])]
        out.append(P[pick])
    return np.array(out)


# --- ligament rules (right side of the view) --------------------------------------------------

Rule = Callable[[SideView], dict[str, tuple[str, NDArray]]]
"""A rule returns ``{end: (bone in the view, points)}``; bones named for the right side."""


def anterior_sacroiliac(view: SideView) -> dict[str, tuple[str, NDArray]]:
    """Anterior sacroiliac ligament: across the anterior joint line (see the module docstring)."""
    R = view.T_pelvis_sij[:3, :3]
    edge = _margin_points(view, np.linspace(0.2, 0.8, 4), anterior=True) + 4.0 * R[:, 0]
    return {"sacrum": ("sacrum", snap(edge - 7.0 * R[:, 2], view.sacrum)),
            "ilium": ("innominate_right", snap(edge + 7.0 * R[:, 2], view.innominate))}


def interosseous(view: SideView) -> dict[str, tuple[str, NDArray]]:
    """Interosseous sacroiliac ligament: between the tuberosities behind the joint."""
    R = view.T_pelvis_sij[:3, :3]
    back = _margin_points(view, np.linspace(0.1, 0.55, 4), anterior=False) - 9.0 * R[:, 0]
    return {"sacrum": ("sacrum", snap(back - 6.0 * R[:, 2], view.sacrum)),
            "ilium": ("innominate_right", snap(back + 6.0 * R[:, 2], view.innominate))}


def _most_posterior_sacral(view: SideView, height: float, lateral_mm: float, fallback: NDArray) -> NDArray:
    if not view.has_meshes:
        return fallback
    V = view.sacrum.vertices
    band = (np.abs(V[:, 1] - height) < 3.0) & (np.abs(V[:, 2] - lateral_mm) < 4.0)
    if not band.any():
        raise LandmarkError(f"long dorsal ligament ({view.side}): no sacral point at height {height:.0f} mm")
    return V[band][np.argmin(V[band, 0])]


def long_dorsal_sacroiliac(view: SideView) -> dict[str, tuple[str, NDArray]]:
    """Long dorsal sacroiliac ligament: PSIS region to the lateral sacral crest at S3–S4."""
    psis, piis = view.point("psis_right"), view.point("piis_right")
    iliac = np.array([psis, _lerp(psis, piis, 0.3), _lerp(psis, piis, 0.6)])
    s3 = view.point("s3_posterior")
    sacral = []
    for drop in (0.0, 8.0, 16.0):
        guess = s3 + np.array([0.0, -drop, 28.0])
        sacral.append(_most_posterior_sacral(view, s3[1] - drop, 28.0, guess))
    return {"ilium": ("innominate_right", snap(iliac, view.innominate)),
            "sacrum": ("sacrum", snap(np.array(sacral), view.sacrum))}


def _most_lateral(surface: Surface | None, height: float, keep: Callable[[NDArray], NDArray], fallback: NDArray) -> NDArray:
    if surface is None:
        return fallback
    V = surface.vertices
    band = (np.abs(V[:, 1] - height) < 2.5) & keep(V)
    if not band.any():
        raise LandmarkError(f"no bone point at height {height:.0f} mm for a lateral-border rule")
    return V[band][np.argmax(V[band, 2])]


def sacrotuberous(view: SideView) -> dict[str, tuple[str, NDArray]]:
    """Sacrotuberous ligament: lower lateral sacral border to the ischial tuberosity."""
    ila = view.point("ila_right")
    sacral = [_most_lateral(view.sacrum, ila[1] + rise, lambda V: V[:, 0] < ila[0] + 15.0, ila + [0.0, rise, 0.0])
              for rise in (0.0, 10.0, 20.0)]
    tub = view.point("ischial_tuberosity_right")
    ischial = []
    for rise in (10.0, 20.0, 30.0):
        if view.has_meshes:
            V = view.innominate.vertices
            band = (np.abs(V[:, 1] - (tub[1] + rise)) < 3.0) & (np.linalg.norm(V - tub, axis=1) < 45.0)
            if not band.any():
                raise LandmarkError(f"sacrotuberous ({view.side}): no tuberosity point {rise:.0f} mm above its lowest point")
            d = np.array([-1.0, 0.0, -1.0]) / np.sqrt(2.0)
            ischial.append(V[band][np.argmax(V[band] @ d)])
        else:
            ischial.append(tub + np.array([-5.0, rise, -5.0]))
    return {"sacrum": ("sacrum", snap(np.array(sacral), view.sacrum)),
            "ilium": ("innominate_right", snap(np.array(ischial), view.innominate))}


def sacrospinous(view: SideView) -> dict[str, tuple[str, NDArray]]:
    """Sacrospinous ligament: lateral margin of the lower sacrum to the ischial spine."""
    ila = view.point("ila_right")
    apex = view.point("sacral_apex")
    front = 0.5 * (ila[0] + apex[0]) - 4.0
    sacral = [_most_lateral(view.sacrum, ila[1] + t * (apex[1] - ila[1]), lambda V: V[:, 0] > front,
                            _lerp(ila, apex, t)) for t in (0.15, 0.45, 0.75)]
    spine = view.point("ischial_spine_right")
    spinal = np.array([spine + [0.0, 5.0, 0.0], spine, spine - [0.0, 5.0, 0.0]])
    return {"sacrum": ("sacrum", snap(np.array(sacral), view.sacrum)),
            "ilium": ("innominate_right", snap(spinal, view.innominate))}


def iliolumbar_iliac(view: SideView) -> NDArray[np.float64]:
    """Iliac end of the iliolumbar ligament: inner lip of the crest 10 and 22 mm in front of the PSIS."""
    psis = view.point("psis_right")
    out = []
    for ahead in (10.0, 22.0):
        if view.has_meshes:
            V = view.innominate.vertices
            band = np.abs(V[:, 0] - (psis[0] + ahead)) < 3.0
            if not band.any():
                raise LandmarkError(f"iliolumbar ({view.side}): no crest point {ahead:.0f} mm in front of the PSIS")
            top = V[band, 1].max()
            crest = V[band][V[band, 1] > top - 6.0]
            out.append(crest[np.argmin(crest[:, 2])])
        else:
            out.append(psis + np.array([ahead, 25.0, 10.0]))
    return snap(np.array(out), view.innominate)


def _pubic(view: SideView, vertical_mm: float) -> NDArray[np.float64]:
    s = view.point("symphysis_right")
    points = np.array([s + [2.0, vertical_mm, 8.0], s + [-4.0, vertical_mm, 14.0]])
    return snap(points, view.innominate)


LIGAMENT_RULES: Mapping[str, Rule] = MappingProxyType({
    "anterior_sacroiliac": anterior_sacroiliac,
    "interosseous": interosseous,
    "long_dorsal_sacroiliac": long_dorsal_sacroiliac,
    "sacrotuberous": sacrotuberous,
    "sacrospinous": sacrospinous,
})
"""Per-side sacrum–ilium ligaments and their rules (the iliolumbar and pubic ones need L5 / both sides)."""


def _bone_for(view: SideView, bone: str) -> str:
    if bone == "innominate_right":
        return f"innominate_{view.side}"
    if bone == "femur_right":
        return f"femur_{view.side}"
    return bone


@dataclass(frozen=True, eq=False)
class Attachments:
    """Every footprint of the ligaments, plus the L5 they need.

    Attributes
    ----------
    footprints : Mapping[str, Footprint]
        By ``"<ligament>_<side>.<end>"`` (``end`` = ``sacrum``, ``ilium`` or ``l5``) and, for the
        midline pubic ligaments, ``"<ligament>.<side>"``.
    auricular : Mapping[str, ndarray]
        Per side, sample points (n, 3) of the sacral auricular surface.
    l5 : L5Geometry
    """

    footprints: Mapping[str, Footprint]
    auricular: Mapping[str, NDArray[np.float64]]
    l5: L5Geometry

    def footprint(self, name: str) -> Footprint:
        """The footprint called ``name``; the error lists the known names."""
        try:
            return self.footprints[name]
        except KeyError:
            raise LandmarkError(f"Unknown footprint {name!r}. Known: {', '.join(sorted(self.footprints))}") from None


@lru_cache(maxsize=16)
def find_attachments(anatomy: Anatomy) -> Attachments:
    """Run every ligament rule on both sides of ``anatomy`` (cached per anatomy).

    Raises
    ------
    LandmarkError
        When a landmark a rule needs is missing, or a rule finds no bone where it looks.
    """
    footprints: dict[str, Footprint] = {}
    auricular: dict[str, NDArray] = {}
    iliolumbar: dict[str, NDArray] = {}
    for side in SIDES:
        view = right_side_view(anatomy, side)
        for ligament, rule in LIGAMENT_RULES.items():
            for end, (bone, points) in rule(view).items():
                name = f"{ligament}_{side}.{end}"
                footprints[name] = Footprint(name, _bone_for(view, bone), view.back(points))
        auricular[side] = view.back(auricular_points(view))
        iliolumbar[side] = view.back(iliolumbar_iliac(view))
        for ligament, vertical in (("superior_pubic", 15.0), ("arcuate_pubic", -17.0)):
            name = f"{ligament}.{side}"
            footprints[name] = Footprint(name, f"innominate_{side}", view.back(_pubic(view, vertical)))
    l5 = l5_geometry(anatomy, iliolumbar["right"].mean(axis=0), iliolumbar["left"].mean(axis=0))
    for side in SIDES:
        name = f"iliolumbar_{side}"
        footprints[f"{name}.ilium"] = Footprint(f"{name}.ilium", f"innominate_{side}", iliolumbar[side])
        tip = l5.transverse_tip(side)
        footprints[f"{name}.l5"] = Footprint(f"{name}.l5", "l5", np.array([tip - 2.0 * l5.anterior, tip + 2.0 * l5.anterior]))
    return Attachments(MappingProxyType(footprints), MappingProxyType(auricular), l5)
