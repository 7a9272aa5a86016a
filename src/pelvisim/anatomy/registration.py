"""Register one set of bone surfaces to another: rigid + scale first, then a smooth deformation.

Used to lay the bundled mean pelvis over a user's bones, so that the landmark rules know which way
is anterior, superior and right on bones that came in any frame, and so that every landmark the
rules find can be compared with where the mean pelvis puts it (the import's confidence).

* :func:`register_similarity`: iterative closest point (Besl & McKay 1992) with a scale (Umeyama
  1991), started from the 24 proper rotations that pair the two clouds' principal axes; the best
  start wins. Correspondences are taken both ways (source → target and target → source) and the
  worst 10 % are dropped, so the scale does not shrink the source into one part of the target.
* :func:`smooth_deformation`: after the similarity, points of the source are pulled towards their
  closest points on the target surface; the pulls are smoothed with a Gaussian of decreasing width
  (30, 15, 8 mm), so the mean shape bends into the user's without tearing (in the spirit of
  coherent point drift, Myronenko & Song 2010, with closest points instead of soft assignments).

numpy and scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pelvisim.anatomy.surface import Surface

TRIM_FRACTION = 0.9  # keep the best 90 % of the correspondences in each ICP step


@dataclass(frozen=True)
class Similarity:
    """``x -> scale · R x + t``: a rotation (proper, det +1), a uniform scale and a translation."""

    scale: float
    rotation: NDArray[np.float64]
    translation: NDArray[np.float64]

    @staticmethod
    def identity() -> Similarity:
        """The transform that changes nothing."""
        return Similarity(1.0, np.eye(3), np.zeros(3))

    def apply(self, points: NDArray) -> NDArray[np.float64]:
        """Map points (…, 3)."""
        return self.scale * np.asarray(points, dtype=float) @ self.rotation.T + self.translation

    def apply_direction(self, vectors: NDArray) -> NDArray[np.float64]:
        """Rotate directions (…, 3) (no scale, no translation)."""
        return np.asarray(vectors, dtype=float) @ self.rotation.T

    def inverse(self) -> Similarity:
        """The transform that undoes this one."""
        R = self.rotation.T
        return Similarity(1.0 / self.scale, R, -R @ self.translation / self.scale)


def fit_similarity(source: NDArray, target: NDArray) -> Similarity:
    """Least-squares similarity taking ``source`` points onto paired ``target`` points (Umeyama 1991)."""
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    S, T = source - mu_s, target - mu_t
    U, d, Vt = np.linalg.svd(T.T @ S / len(S))
    sign = np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt)) or 1.0])
    R = U @ sign @ Vt
    variance = float((S**2).sum() / len(S))
    scale = float(np.trace(np.diag(d) @ sign) / variance) if variance > 0 else 1.0
    return Similarity(scale, R, mu_t - scale * R @ mu_s)


def sample_surface(surface: Surface, n: int, seed: int = 0) -> NDArray[np.float64]:
    """``n`` points spread evenly over the surface's area (random but repeatable).

    Area sampling, not vertex sampling, so that finely and coarsely meshed regions weigh the same.
    """
    rng = np.random.default_rng(seed)
    area = surface.face_areas
    face = rng.choice(len(area), size=n, p=area / area.sum())
    r1, r2 = np.sqrt(rng.random(n)), rng.random(n)
    tri = surface.vertices[surface.faces[face]]
    return ((1 - r1)[:, None] * tri[:, 0] + (r1 * (1 - r2))[:, None] * tri[:, 1]
            + (r1 * r2)[:, None] * tri[:, 2])


def _pairs(moved: NDArray, target: NDArray, target_tree: cKDTree) -> tuple[NDArray, NDArray, NDArray]:
    """Closest-point pairs both ways: (source index, target index, distance)."""
    d1, j = target_tree.query(moved)
    d2, i = cKDTree(moved).query(target)
    src = np.concatenate([np.arange(len(moved)), i])
    tgt = np.concatenate([j, np.arange(len(target))])
    return src, tgt, np.concatenate([d1, d2])


def icp_similarity(source: NDArray, target: NDArray, start: Similarity, iterations: int = 40,
                   target_tree: cKDTree | None = None, allow_scale: bool = True) -> tuple[Similarity, float]:
    """Refine ``start`` by iterative closest point; returns the transform and the trimmed RMS distance."""
    tree = target_tree if target_tree is not None else cKDTree(target)
    T, rms = start, np.inf
    for _ in range(iterations):
        src, tgt, dist = _pairs(T.apply(source), target, tree)
        keep = dist <= np.quantile(dist, TRIM_FRACTION)
        new = fit_similarity(source[src[keep]], target[tgt[keep]])
        if not allow_scale:
            new = fit_similarity(T.scale * source[src[keep]], target[tgt[keep]])
            new = Similarity(T.scale, new.rotation, new.translation)
        new_rms = float(np.sqrt(np.mean(dist[keep] ** 2)))
        T = new
        if abs(rms - new_rms) < 1e-4 * max(new_rms, 1e-9):
            rms = new_rms
            break
        rms = new_rms
    src, tgt, dist = _pairs(T.apply(source), target, tree)
    keep = dist <= np.quantile(dist, TRIM_FRACTION)
    return T, float(np.sqrt(np.mean(dist[keep] ** 2)))


def _principal_axes(points: NDArray) -> tuple[NDArray, NDArray, float]:
    centre = points.mean(axis=0)
    X = points - centre
    _, vectors = np.linalg.eigh(X.T @ X)
    return centre, vectors[:, ::-1], float(np.sqrt((X**2).sum(axis=1).mean()))


def axis_pairings(source: NDArray, target: NDArray) -> list[Similarity]:
    """The 24 similarities that pair the principal axes of ``source`` with those of ``target``.

    Every permutation of the axes with every choice of signs that keeps the rotation proper
    (det +1: a registration never mirrors, so a right bone can only land on a right bone), scaled
    so both clouds have the same RMS radius.
    """
    cs, As, rs = _principal_axes(source)
    ct, At, rt = _principal_axes(target)
    scale = rt / rs
    out = []
    for perm in permutations(range(3)):
        for signs in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1), (-1, -1, -1), (-1, 1, 1), (1, -1, 1),
                      (1, 1, -1)):
            R = At[:, perm] @ np.diag(signs) @ As.T
            if np.linalg.det(R) < 0:
                continue
            out.append(Similarity(scale, R, ct - scale * R @ cs))
    return out


def register_similarity(source: NDArray, target: NDArray, coarse_points: int = 300, fine_points: int = 1500,
                        seed: int = 0) -> tuple[Similarity, float]:
    """Best similarity taking the ``source`` cloud onto the ``target`` cloud, from any starting pose.

    Each of the 24 axis pairings (:func:`axis_pairings`) is refined by a few ICP steps on a few
    hundred points; the best four continue, and the best of those is refined on more points.

    Returns
    -------
    Similarity, float
        The transform and its trimmed RMS distance (same units as the points).
    """
    rng = np.random.default_rng(seed)
    coarse_s = source[rng.choice(len(source), min(coarse_points, len(source)), replace=False)]
    coarse_t = target[rng.choice(len(target), min(coarse_points * 2, len(target)), replace=False)]
    tree = cKDTree(coarse_t)
    trials = [icp_similarity(coarse_s, coarse_t, start, iterations=6, target_tree=tree)
              for start in axis_pairings(source, target)]
    leaders = sorted(trials, key=lambda trial: trial[1])[:4]
    trials = [icp_similarity(coarse_s, coarse_t, start, iterations=15, target_tree=tree) for start, _ in leaders]
    best = min(trials, key=lambda trial: trial[1])[0]
    fine_s = source[rng.choice(len(source), min(fine_points, len(source)), replace=False)]
    return icp_similarity(fine_s, target, best, iterations=40)


@dataclass(frozen=True)
class Deformation:
    """A smooth displacement field: Gaussian-weighted blend of displacements known at control points."""

    controls: NDArray[np.float64]
    displacements: NDArray[np.float64]
    sigma: float

    def apply(self, points: NDArray) -> NDArray[np.float64]:
        """Move points (n, 3) by the field."""
        P = np.atleast_2d(np.asarray(points, dtype=float))
        return P + _blend(P, self.controls, self.displacements, self.sigma)


def _blend(points: NDArray, controls: NDArray, values: NDArray, sigma: float) -> NDArray[np.float64]:
    """Gaussian-weighted average of ``values`` (at ``controls``) at each point."""
    from scipy.spatial.distance import cdist

    out = np.zeros((len(points), values.shape[1]))
    for start in range(0, len(points), 1024):  # in blocks, to bound memory
        w = np.exp(-cdist(points[start:start + 1024], controls, "sqeuclidean") / (2 * sigma**2))
        total = w.sum(axis=1)
        ok = total > 1e-12
        out[start:start + 1024][ok] = (w[ok] @ values) / total[ok, None]
    return out


def smooth_deformation(source: NDArray, target: Surface, sigmas_mm: tuple[float, ...] = (30.0, 15.0, 8.0),
                       steps: int = 3, controls: int = 400, seed: int = 0) -> Deformation:
    """A smooth field bending the ``source`` points onto the ``target`` surface (already aligned).

    At each width σ (coarse to fine), ``steps`` times: every source point's pull towards its
    closest point on the target surface (exact, so a re-meshed copy of the same shape pulls by
    nothing) is averaged with a Gaussian of width σ (a smooth field, sampled at ``controls`` of the
    points), and the points move by it.

    Returns
    -------
    Deformation
        Control points = the original source points, with their total displacement; blended with
        the finest σ for other points.
    """
    from pelvisim.anatomy.surface import closest_points_on_surface

    moved = np.array(source, dtype=float)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(moved), min(controls, len(moved)), replace=False)
    for sigma in sigmas_mm:
        for _ in range(steps):
            closest, _ = closest_points_on_surface(moved[pick], target)
            moved = moved + _blend(moved, moved[pick], closest - moved[pick], sigma)
    return Deformation(np.array(source, dtype=float), moved - source, float(sigmas_mm[-1]))


@dataclass(frozen=True)
class BoneFit:
    """How one bone of the mean pelvis was laid over the user's: a similarity, then a smooth bend.

    Attributes
    ----------
    similarity : Similarity
        Mean-pelvis frame → user's frame.
    deformation : Deformation
        Applied after the similarity, in the user's frame.
    distance_mm : float
        Mean distance from the fitted mean surface to the user's (area samples), mm.
    """

    similarity: Similarity
    deformation: Deformation
    distance_mm: float

    def map(self, points: NDArray) -> NDArray[np.float64]:
        """Where points of the mean bone (mean-pelvis frame) land on the user's bone."""
        return self.deformation.apply(self.similarity.apply(points))


def fit_bone(mean: Surface, user: Surface, start: Similarity, points: int = 1000, seed: int = 0) -> BoneFit:
    """Refine the similarity of one bone from ``start``, then bend it onto the user's bone."""
    from pelvisim.anatomy.surface import closest_points_on_surface

    source = sample_surface(mean, points, seed)
    target = sample_surface(user, 2 * points, seed + 1)
    similarity, _ = icp_similarity(source, target, start, iterations=30)
    moved = similarity.apply(source)
    deformation = smooth_deformation(moved, user)
    _, distance = closest_points_on_surface(deformation.apply(moved), user)
    return BoneFit(similarity, deformation, float(np.mean(np.abs(distance))))
