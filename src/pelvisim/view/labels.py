"""Landmark labels: their texts, their priority, and a screen-space placement where no two overlap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

LANDMARK_LABELS: Mapping[str, str] = {
    "asis_left": "ASIS L",
    "asis_right": "ASIS R",
    "psis_left": "PSIS L",
    "psis_right": "PSIS R",
    "pubic_tubercle_left": "pubic tubercle L",
    "pubic_tubercle_right": "pubic tubercle R",
    "ischial_tuberosity_left": "ischial tuberosity L",
    "ischial_tuberosity_right": "ischial tuberosity R",
    "sacral_promontory": "sacral base",
    "ila_left": "ILA L",
    "ila_right": "ILA R",
}
"""Landmarks shown by the ``landmarks`` overlay and their on-screen labels."""

LABEL_PRIORITY = ("asis", "psis", "sacral_promontory", "pubic_tubercle", "ila", "ischial_tuberosity")
"""Landmark labels by priority (name prefixes): where labels would overlap, a lower one moves or is hidden."""


def label_rank(name: str) -> tuple[int, str]:
    """Sort key of a landmark label: its rank in :data:`LABEL_PRIORITY`, then its name."""
    for rank, prefix in enumerate(LABEL_PRIORITY):
        if name.startswith(prefix):
            return rank, name
    return len(LABEL_PRIORITY), name


def mirror_name(name: str) -> str | None:
    """The other side's landmark of a left/right pair (None for a midline landmark)."""
    for a, b in (("_left", "_right"), ("_right", "_left")):
        if name.endswith(a):
            return name[: -len(a)] + b
    return None


def _free(box: tuple[float, float, float, float], others: Sequence[tuple[float, float, float, float]]) -> bool:
    """Whether ``box`` overlaps none of ``others`` (all ``(x0, x1, y0, y1)``)."""
    x0, x1, y0, y1 = box
    for a0, a1, b0, b1 in others:
        if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
            return False
    return True


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    sides: Sequence[int],
    width: float,
    height: float,
    gap: float,
    obstacles: Sequence[tuple[float, float, float, float]] = (),
    soft_obstacles: Sequence[tuple[float, float, float, float]] = (),
) -> list[tuple[float, float] | None]:
    """Greedy screen-space placement of labels that never overlap each other.

    Parameters
    ----------
    anchors : sequence of (x, y)
        The labelled points in pixels, in priority order (earlier labels are placed first).
    sizes : sequence of (w, h)
        Label sizes in pixels.
    sides : sequence of int
        Preferred side of each label: +1 right of its point, -1 left, 0 either (right first).
    width, height : float
        The viewport: labels stay inside it.
    gap : float
        Distance of a label from its point, pixels (clears the marker).
    obstacles : sequence of (x0, x1, y0, y1)
        Boxes no label may cover (other text).
    soft_obstacles : sequence of (x0, x1, y0, y1)
        Boxes a label avoids if it can (the markers).

    Returns
    -------
    list
        Lower-left corner of each label, or None for a label that has no free place (hidden).
    """
    placed: list[tuple[float, float, float, float]] = []
    out: list[tuple[float, float] | None] = []
    for (x, y), (w, h), side in zip(anchors, sizes, sides):
        first = 1 if side >= 0 else -1
        candidates = []
        # Beside the point (preferred side first), level then a little higher or lower; then
        # above or below it; then further off, each time as close as possible.
        for s in (first, -first):
            x0 = x + gap if s > 0 else x - gap - w
            candidates += [(x0, y - h / 2), (x0, y + 0.15 * h), (x0, y - 1.15 * h)]
        for s in (first, -first):
            x0 = x + gap - 0.3 * w if s > 0 else x - gap - 0.7 * w
            candidates += [(x0, y + gap), (x0, y - gap - h)]
        for s in (first, -first):
            x0 = x + gap if s > 0 else x - gap - w
            candidates += [(x0, y + 0.8 * h), (x0, y - 1.8 * h)]
        fallback = None
        chosen = None
        for x0, y0 in candidates:
            box = (x0, x0 + w, y0, y0 + h)
            if x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
                continue
            if not _free(box, placed) or not _free(box, obstacles):
                continue
            if _free(box, soft_obstacles):
                chosen = box
                break
            if fallback is None:
                fallback = box
        chosen = chosen or fallback
        if chosen is None:
            out.append(None)
        else:
            placed.append(chosen)
            out.append((chosen[0], chosen[2]))
    return out
