"""Image regression that can fail: a stored reference compared tile by tile.

A whole-image mean hides a mirrored view, another pose or a changed word (they change a few per
cent of the pixels, 0.1–1 grey level on average). Here the image is cut into square tiles and
each tile may hold only a handful of pixels that differ clearly: rasterisation noise between two
renders on one machine is nil and spread thin at edges, while a changed letter puts dozens of
changed pixels into one tile.
"""

from __future__ import annotations

import numpy as np

TILE_PX = 24
"""Side of a tile, pixels (a glyph of 12–20 px fits in one or two)."""
CHANGED_LEVELS = 40
"""A pixel differs clearly when one of its channels differs by more than this (0–255)."""
PIXELS_PER_TILE = 12
"""A tile fails with more clearly changed pixels than this: a one-pixel shift along a 24-px edge
changes at most that many; one changed digit at 12 px changes 30 or more."""


def failing_tiles(image: np.ndarray, reference: np.ndarray) -> list[tuple[int, int, int]]:
    """Tiles ``(row, column, changed pixels)`` where ``image`` differs from ``reference`` beyond the tolerance.

    Raises
    ------
    AssertionError
        When the two images differ in size.
    """
    assert image.shape == reference.shape, f"Expected image size {reference.shape}, got {image.shape}"
    changed = np.abs(image.astype(int) - reference.astype(int)).max(axis=2) > CHANGED_LEVELS
    h, w = changed.shape
    out = []
    for r in range(0, h, TILE_PX):
        for c in range(0, w, TILE_PX):
            count = int(changed[r:r + TILE_PX, c:c + TILE_PX].sum())
            if count > PIXELS_PER_TILE:
                out.append((r // TILE_PX, c // TILE_PX, count))
    return out
