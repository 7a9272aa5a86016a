"""Muscles that pull on the pelvic ring: lines of action with via points, and the loads they make.

A muscle is one or more fibres; each fibre is a path of points, each point fixed to a body
(``sacrum``, ``innominate_<side>``, ``l5``, ``femur_<side>`` or ``leg_<side>``) or to a ligament
(``sacrotuberous_<side>``: the muscle pulls on the ligament, which passes the pull to its two
ends). A fibre of tension ``t`` pulls each point toward its neighbours: an end point gets
``t·u`` toward the next point, a via point ``t·(u_previous + u_next)``.

Where the path leaves the ring (femur, leg), the femur is taken as held by the leg below, and the
pull it receives is passed back into the pelvis through the hip joint: a force equal to that pull
acts at the acetabulum centre of the same side. So a muscle from the pelvis to the femur loads the
pelvis with a couple — it tilts the bone it pulls on, and the ring answers — and the loads of
every muscle are self-balanced.

Sources of the paths
--------------------
Iliacus, psoas, piriformis, gluteus maximus and biceps femoris (long head): path points of the
OpenSim model of Rajagopal et al. 2016 (IEEE Trans Biomed Eng 63:2068; file
``Models/Rajagopal/Rajagopal2016.osim`` of opensim-org/opensim-models), carried over as data in
:data:`RAJAGOPAL_2016_M` (pelvis frame, metres; femur points in the femur frame). They are mapped
onto this anatomy by the affine map that best matches the model's ASIS, PSIS and hip centres to
this anatomy's (:func:`rajagopal_to_pelvis`), then snapped onto the bone they attach to. Multifidus (sacral fibres) and the abdominal wall are
not in that model: their attachments follow rules on the landmarks (see each definition), from
anatomy texts (Vleeming 2012, J Anat 221:537).

Fibres joined to the sacrotuberous ligament — part of gluteus maximus, and of biceps femoris in
some people (Vleeming 1989) — get shares that are a teaching choice [U].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import SIDES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.tissue.attachments import SideView, find_attachments, right_side_view, snap
from pelvisim.tissue.solve import PointLoad

RAJAGOPAL_2016_M: Mapping[str, tuple[str, tuple[float, float, float]]] = MappingProxyType({
    # name: (frame, location in metres). Rajagopal et al. 2016, Rajagopal2016.osim (OpenSim),
    # right side; pelvis frame ≈ +X anterior, +Y superior, +Z right, origin near mid-ASIS.
    "iliacus_r-P1": ("pelvis", (-0.0605, 0.0309, 0.0843)),
    "iliacus_r-P2": ("pelvis", (-0.0135, -0.0557, 0.0756)),
    "iliacus_r-P3": ("femur", (-0.0023, -0.0565, 0.0139)),
    "iliacus_r-P4": ("femur", (-0.0122, -0.0637, 0.0196)),
    "psoas_r-P1": ("pelvis", (-0.0606, 0.062, 0.039)),
    "psoas_r-P2": ("pelvis", (-0.0205, -0.0654, 0.0656)),
    "psoas_r-P3": ("femur", (-0.0132, -0.0467, 0.0046)),
    "psoas_r-P4": ("femur", (-0.0235, -0.0524, 0.0088)),
    "piri_r-P1": ("pelvis", (-0.1018, -0.0065, 0.0135)),
    "piri_r-P2": ("pelvis", (-0.102, -0.0307, 0.0609)),
    "piri_r-P3": ("femur", (-0.0148, -0.0036, 0.0437)),
    "glmax1_r-P1": ("pelvis", (-0.1231, 0.0345, 0.0563)),
    "glmax1_r-P3": ("femur", (-0.0444, -0.0326, 0.0302)),
    "glmax1_r-P4": ("femur", (-0.0277, -0.0566, 0.047)),
    "glmax2_r-P1": ("pelvis", (-0.1317, 0.0087, 0.0462)),
    "glmax2_r-P3": ("femur", (-0.045, -0.0584, 0.0252)),
    "glmax2_r-P4": ("femur", (-0.0156, -0.1016, 0.0419)),
    "glmax3_r-P1": ("pelvis", (-0.13, -0.0525, 0.009)),
    "glmax3_r-P3": ("femur", (-0.0281, -0.1125, 0.0094)),
    "glmax3_r-P4": ("femur", (-0.006, -0.1419, 0.0411)),
    "bflh_r-P1": ("pelvis", (-0.104, -0.1191, 0.0586)),
    # landmarks for the mapping: skin markers of the model's marker set and the hip joint centre
    "RASI": ("pelvis", (0.0095, 0.0181, 0.1285)),
    "RPSI": ("pelvis", (-0.155, 0.035, 0.045)),
    "hip_r": ("pelvis", (-0.056276, -0.07849, 0.07726)),
})
"""Rajagopal 2016 path points used here (right side, metres) — verified against the model file
for gluteus maximus 1; the others as carried in the MyoSuite conversion of the same model."""


@lru_cache(maxsize=16)
def rajagopal_to_pelvis(anatomy: Anatomy) -> tuple[NDArray[np.float64], float]:
    """(A (3, 4), rms_mm): the affine map from the model's pelvis frame (mm) onto ``anatomy``.

    Least squares over the model's ASIS and PSIS markers and hip joint centres, both sides, matched
    to this anatomy's ASIS, PSIS and acetabulum centres. An affine map (not only a rotation and one
    scale) absorbs the model's different proportions; the model's ASIS and PSIS are skin markers,
    about a centimetre outside the bone, so a residual of several millimetres remains.
    """
    model_points, ours = [], []
    for name, landmark in (("RASI", "asis"), ("RPSI", "psis"), ("hip_r", "acetabulum_centre")):
        p = 1000.0 * np.array(RAJAGOPAL_2016_M[name][1])
        for side in SIDES:
            model_points.append(p if side == "right" else frames.mirror_points(p))
            ours.append(anatomy.point(f"{landmark}_{side}"))
    X = np.hstack([np.array(model_points), np.ones((len(ours), 1))])
    B = np.array(ours)
    M, *_ = np.linalg.lstsq(X, B, rcond=None)
    rms = float(np.sqrt(np.mean(np.sum((X @ M - B) ** 2, axis=1))))
    A = M.T
    A.setflags(write=False)
    return A, rms


def _rajagopal_point(anatomy: Anatomy, name: str, mirrored: bool = False) -> NDArray[np.float64]:
    """A Rajagopal point in this anatomy's pelvic frame (femur points at neutral hip angles).

    ``mirrored``: the model's left-side point, mapped, then mirrored into a right-side view, so the
    left attachment is the exact mirror of the right one on a symmetric anatomy.
    """
    frame, xyz = RAJAGOPAL_2016_M[name]
    p = 1000.0 * np.array(xyz)
    if frame == "femur":
        p = p + 1000.0 * np.array(RAJAGOPAL_2016_M["hip_r"][1])
    A, _ = rajagopal_to_pelvis(anatomy)
    if mirrored:
        return frames.mirror_points(A[:, :3] @ frames.mirror_points(p) + A[:, 3])
    return A[:, :3] @ p + A[:, 3]


@dataclass(frozen=True)
class MuscleSpec:
    """One muscle (per side, or one band across the ilia).

    Attributes
    ----------
    name : str
    label : str
    bilateral : bool
        True for the abdominal wall: one band joining both ilia (one instance, no side).
    action : str
        What it does to the ring in this model, in clinical words.
    source : str
    """

    name: str
    label: str
    bilateral: bool
    action: str
    source: str


MUSCLES: Mapping[str, MuscleSpec] = MappingProxyType({m.name: m for m in (
    MuscleSpec("iliacus", "Iliacus", False, "tips its ilium forward (anterior rotation) against the ring",
               "path: Rajagopal 2016; story: Russell 2024 seed"),
    MuscleSpec("psoas", "Psoas major", False, "pulls L5 toward the femur over the pelvic brim",
               "path: Rajagopal 2016 (lumbar origin taken at the L5 body)"),
    MuscleSpec("piriformis", "Piriformis", False, "pulls the sacrum toward the femur across the SIJ (compresses it)",
               "path: Rajagopal 2016; Snijders 1993 (force closure)"),
    MuscleSpec("multifidus", "Multifidus (sacral fibres)", False, "pulls the dorsal sacrum up toward L5: nutation",
               "attachments by rule: dorsal sacrum beside the median crest at S1–S3 to the L5 spinous process "
               "(Vleeming 2012); story: Gurd 2010 seed"),
    MuscleSpec("gluteus_maximus", "Gluteus maximus (sacral and sacrotuberous fibres)", False,
               "pulls the sacrum and the sacrotuberous ligament toward the femur (force closure)",
               "path: Rajagopal 2016 (gluteus maximus 2 and 3); fibres from the ligament: Vleeming 1989"),
    MuscleSpec("biceps_femoris", "Biceps femoris, long head", False,
               "pulls the ischial tuberosity and the sacrotuberous ligament toward the knee",
               "origin: Rajagopal 2016; link to the sacrotuberous ligament: Vleeming 1989 (some specimens)"),
    MuscleSpec("transversus_abdominis", "Transversus abdominis (band across the ilia)", True,
               "pulls the ilia together at the iliac crests", "attachments by rule: inner lip of the anterior iliac crest"),
    MuscleSpec("internal_oblique", "Internal oblique (band across the ilia)", True,
               "pulls the ilia together near the ASIS", "attachments by rule: anterior iliac crest behind the ASIS"),
)})
"""The muscles modelled."""

GLUTEUS_SACROTUBEROUS_SHARE = 1.0 / 3.0
"""Share of gluteus maximus modelled as arising from the sacrotuberous ligament [U]."""
BICEPS_SACROTUBEROUS_SHARE = 0.3
"""Share of biceps femoris (long head) modelled as pulling on the sacrotuberous ligament [U: Vleeming
1989 found the tendon continuous with the ligament in some specimens; no share was measured]."""


def muscle_names() -> tuple[str, ...]:
    """Every muscle instance: ``<name>_left``, ``<name>_right`` and the bands across the ilia."""
    out = []
    for m in MUSCLES.values():
        out += [m.name] if m.bilateral else [f"{m.name}_{side}" for side in SIDES]
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Fibre:
    """One line of a muscle.

    Attributes
    ----------
    bodies : tuple of str
        Where each path point is fixed (``sacrum``, ``innominate_<side>``, ``l5``, ``femur_<side>``,
        ``leg_<side>`` or ``sacrotuberous_<side>@<fraction>`` — a point on that ligament, the
        fraction measured from its sacral end).
    points_mm : ndarray (n, 3)
        Path points at neutral, pelvic frame.
    share : float
        Fraction of the muscle's force this fibre carries.
    """

    bodies: tuple[str, ...]
    points_mm: NDArray[np.float64]
    share: float

    def __post_init__(self) -> None:
        P = np.array(self.points_mm, dtype=float, copy=True)
        if P.shape != (len(self.bodies), 3) or len(self.bodies) < 2:
            raise ParameterError(f"fibre needs 2 or more points with a body each, got {len(self.bodies)} bodies, points {P.shape}")
        P.setflags(write=False)
        object.__setattr__(self, "points_mm", P)


@dataclass(frozen=True, eq=False)
class Muscle:
    """A muscle instance: its fibres and the hip its femur/leg end loads."""

    name: str
    spec: MuscleSpec
    fibres: tuple[Fibre, ...]
    side: str | None


def _medial_snap(view: SideView, point: NDArray, medial_mm: float = 10.0) -> NDArray[np.float64]:
    """Snap to the inner (medial) face of the ilium: query from a point moved medially first."""
    return snap(point - np.array([0.0, 0.0, medial_mm]), view.innominate)[0]


def _on(view: SideView, bone: str, point: NDArray) -> NDArray[np.float64]:
    surface = {"sacrum": view.sacrum, "innominate": view.innominate, "femur": view.femur}[bone]
    return snap(point, surface)[0]


def _right_muscles(anatomy: Anatomy, view: SideView) -> dict[str, tuple[Fibre, ...]]:
    """Fibres of the per-side muscles of the view's side, as right-side geometry (mirrored for the left)."""
    def raj(name: str) -> NDArray:
        """A model point of the view's side, in the view (left: the model's left point, mirrored)."""
        return _rajagopal_point(anatomy, name, mirrored=view.side == "left")

    side = view.side
    ilium, femur, leg = "innominate_right", "femur_right", "leg_right"
    at = find_attachments(anatomy)
    l5 = at.l5
    out: dict[str, tuple[Fibre, ...]] = {}

    p1 = raj("iliacus_r-P1")
    origins = [_medial_snap(view, p1 + d) for d in (np.zeros(3), np.array([14.0, -6.0, 4.0]), np.array([-14.0, 4.0, -4.0]))]
    brim, f3, f4 = _on(view, "innominate", raj("iliacus_r-P2")), _on(view, "femur", raj("iliacus_r-P3")), _on(view, "femur", raj("iliacus_r-P4"))
    out["iliacus"] = tuple(Fibre((ilium, ilium, femur, femur), np.array([o, brim, f3, f4]), 1.0 / 3.0) for o in origins)

    l5_body = l5.body_centre + 0.5 * 47.4 * (l5.right if side == "right" else -l5.right)
    l5_body = l5_body if side == "right" else frames.mirror_points(l5_body)
    out["psoas"] = (Fibre(("l5", ilium, femur, femur), np.array([
        l5_body, _on(view, "innominate", raj("psoas_r-P2")), _on(view, "femur", raj("psoas_r-P3")),
        _on(view, "femur", raj("psoas_r-P4"))]), 1.0),)

    p1 = raj("piri_r-P1")
    notch, troch = _on(view, "innominate", raj("piri_r-P2")), _on(view, "femur", raj("piri_r-P3"))
    out["piriformis"] = tuple(Fibre(("sacrum", ilium, femur), np.array([_on(view, "sacrum", p1 + [0.0, dy, 0.0]), notch, troch]), 1.0 / 3.0)
                              for dy in (10.0, 0.0, -10.0))

    spinous = l5.spinous_tip if side == "right" else frames.mirror_points(l5.spinous_tip)
    fibres = []
    for level, lateral in (("s1_posterior", 15.0), ("s2_posterior", 15.0), ("s3_posterior", 12.0)):
        fibres.append(Fibre(("sacrum", "l5"), np.array([_on(view, "sacrum", view.point(level) + [0.0, 0.0, lateral]),
                                                       spinous + [0.0, 0.0, 4.0]]), 1.0 / 3.0))
    out["multifidus"] = tuple(fibres)

    sacral = (1.0 - GLUTEUS_SACROTUBEROUS_SHARE) / 2.0
    out["gluteus_maximus"] = (
        Fibre(("sacrum", femur, femur), np.array([_on(view, "sacrum", raj("glmax2_r-P1")), _on(view, "femur", raj("glmax2_r-P3")),
                                                  _on(view, "femur", raj("glmax2_r-P4"))]), sacral),
        Fibre(("sacrum", femur, femur), np.array([_on(view, "sacrum", raj("glmax3_r-P1")), _on(view, "femur", raj("glmax3_r-P3")),
                                                  _on(view, "femur", raj("glmax3_r-P4"))]), sacral),
        Fibre(("sacrotuberous_right@0.5", femur), np.array([np.zeros(3), _on(view, "femur", raj("glmax3_r-P4"))]),
              GLUTEUS_SACROTUBEROUS_SHARE),
    )
    tuberosity = _on(view, "innominate", raj("bflh_r-P1"))
    knee = view.point("knee_centre_right") if "knee_centre_right" in view.points else tuberosity + np.array([20.0, -400.0, 10.0])
    out["biceps_femoris"] = (
        Fibre((ilium, leg), np.array([tuberosity, knee]), 1.0 - BICEPS_SACROTUBEROUS_SHARE),
        Fibre(("sacrotuberous_right@0.85", leg), np.array([np.zeros(3), knee]), BICEPS_SACROTUBEROUS_SHARE),
    )
    return out


def _abdominal(view: SideView) -> dict[str, list[NDArray]]:
    asis, tubercle = view.point("asis_right"), view.point("iliac_tubercle_right")
    crest = [_medial_snap(view, asis + t * (tubercle - asis), 6.0) for t in (0.35, 0.7)]
    oblique = [_on(view, "innominate", asis + [-10.0, -4.0, -6.0]), _on(view, "innominate", asis + [-22.0, 2.0, 0.0])]
    return {"transversus_abdominis": crest, "internal_oblique": oblique}


def _mirror_body(body: str) -> str:
    for a, b in (("_right", "_left"),):
        if a in body:
            return body.replace(a, b)
    return body


@lru_cache(maxsize=16)
def find_muscles(anatomy: Anatomy) -> Mapping[str, Muscle]:
    """Every muscle instance of ``anatomy`` (cached). Points of the left side are mirrored back."""
    out: dict[str, Muscle] = {}
    abdominal = {}
    for side in SIDES:
        view = right_side_view(anatomy, side)
        for name, fibres in _right_muscles(anatomy, view).items():
            placed = []
            for fibre in fibres:
                bodies = tuple(b if side == "right" else _mirror_body(b) for b in fibre.bodies)
                placed.append(Fibre(bodies, view.back(fibre.points_mm), fibre.share))
            out[f"{name}_{side}"] = Muscle(f"{name}_{side}", MUSCLES[name], tuple(placed), side)
        abdominal[side] = {k: view.back(np.array(v)) for k, v in _abdominal(view).items()}
    for name in ("transversus_abdominis", "internal_oblique"):
        R, L = abdominal["right"][name], abdominal["left"][name]
        fibres = tuple(Fibre(("innominate_right", "innominate_left"), np.array([r, l]), 1.0 / len(R)) for r, l in zip(R, L))
        out[name] = Muscle(name, MUSCLES[name], fibres, None)
    return MappingProxyType(out)


def _ligament_point(anatomy: Anatomy, body: str) -> tuple[str, float, NDArray, NDArray]:
    """(side, fraction, sacral end, ischial end) of a ``sacrotuberous_<side>@<fraction>`` path point."""
    ligament, _, fraction = body.partition("@")
    side = ligament.rsplit("_", 1)[1]
    at = find_attachments(anatomy)
    sacral = at.footprint(f"sacrotuberous_{side}.sacrum").centre
    ischial = at.footprint(f"sacrotuberous_{side}.ilium").centre
    return side, float(fraction), sacral, ischial


def fibre_points(anatomy: Anatomy, fibre: Fibre) -> NDArray[np.float64]:
    """Path points at neutral with ligament points placed on their ligament."""
    P = np.array(fibre.points_mm, dtype=float, copy=True)
    for j, body in enumerate(fibre.bodies):
        if body.startswith("sacrotuberous_"):
            _, t, sacral, ischial = _ligament_point(anatomy, body)
            P[j] = (1.0 - t) * sacral + t * ischial
    return P


def muscle_loads(anatomy: Anatomy, forces_n: Mapping[str, float],
                 femur_poses: Mapping[str, NDArray] | None = None) -> tuple[PointLoad, ...]:
    """Loads on the tissue ring from muscle forces ``{instance: N}`` (≥ 0).

    See the module docstring: each fibre pulls its path points toward their neighbours; pulls on
    the femur or leg reach the pelvis at the same side's acetabulum centre; pulls on the
    sacrotuberous ligament are shared by its ends in proportion to the distance (lever rule). The
    net force is zero; the net moment is what the legs take (the muscle's moment about the hips).

    ``femur_poses``: per side, ``T_innominate_femur`` (e.g. a flexed hip); points on that femur or
    leg move with it (default: neutral hips).
    """
    muscles = find_muscles(anatomy)
    loads: list[PointLoad] = []
    for name, force in forces_n.items():
        if name not in muscles:
            raise ParameterError(f"Expected a muscle among {sorted(muscles)}, got {name!r}")
        force = float(force)
        if not (np.isfinite(force) and force >= 0.0):
            raise ParameterError(f"muscle {name}: force must be a finite number >= 0 N, got {force!r}")
        if force == 0.0:
            continue
        m = muscles[name]
        for fibre in m.fibres:
            t = force * fibre.share
            P = fibre_points(anatomy, fibre)
            for j, body in enumerate(fibre.bodies):
                side = body.split("_", 1)[1] if body.startswith(("femur_", "leg_")) else None
                if side and femur_poses and side in femur_poses:
                    T = np.asarray(femur_poses[side])
                    P[j] = T[:3, :3] @ P[j] + T[:3, 3]
            for j, body in enumerate(fibre.bodies):
                pull = np.zeros(3)
                for k in (j - 1, j + 1):
                    if 0 <= k < len(P):
                        d = P[k] - P[j]
                        pull += t * d / np.linalg.norm(d)
                loads.extend(_place(anatomy, body, P[j], pull, f"{name}"))
    return tuple(loads)


def _place(anatomy: Anatomy, body: str, point: NDArray, force: NDArray, label: str) -> list[PointLoad]:
    if body.startswith(("femur_", "leg_")):
        side = body.split("_", 1)[1]
        return [PointLoad(f"innominate_{side}", force, anatomy.point(f"acetabulum_centre_{side}"),
                          label=f"{label}: through the {side} hip")]
    if body.startswith("sacrotuberous_"):
        side, t, sacral, ischial = _ligament_point(anatomy, body)
        return [PointLoad("sacrum", (1.0 - t) * force, sacral, label=f"{label}: via the sacrotuberous ligament"),
                PointLoad(f"innominate_{side}", t * force, ischial, label=f"{label}: via the sacrotuberous ligament")]
    return [PointLoad(body, force, point, label=label)]
