"""The anatomy picture (``pelvisim anatomy --png``, the import check picture) shows every bone whole,
below each view's title, and large enough to read."""

from __future__ import annotations

import render_helpers  # noqa: F401  (headless settings before pyvista)
import numpy as np
import pytest
from PIL import Image

from pelvisim.view.snapshots import TITLE_ROOM, anatomy_png

SIZE = (900, 320)  # three views of 300 × 320 px


def _bone_mask(path) -> np.ndarray:
    """Bone pixels: warm (cream, tan) ones; the background is white and the title text grey or black.

    Every bone colour has red above blue by 22–77 levels (snapshots.BONE_COLOURS); shading keeps the
    sign, and 6 levels leave out the anti-aliased grey of the text.
    """
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return (rgb[:, :, 0] - rgb[:, :, 2]) > 6


@pytest.mark.render
@pytest.mark.parametrize("femurs", [False, True])
def test_every_view_shows_the_whole_pelvis_below_its_title(tmp_path, anatomy, femurs):
    out = tmp_path / "anatomy.png"
    anatomy_png(anatomy, out, size=SIZE, landmarks=False, femurs=femurs)
    mask = _bone_mask(out)
    width = SIZE[0] // 3
    title_rows = int(TITLE_ROOM * SIZE[1])
    for view in range(3):
        panel = mask[:, view * width:(view + 1) * width]
        rows, cols = np.nonzero(panel)
        # nothing cut: a 2 px frame of background all round each view
        assert rows.min() >= 2 and rows.max() <= SIZE[1] - 3, f"view {view} touches the top or bottom"
        assert cols.min() >= 2 and cols.max() <= width - 3, f"view {view} touches a side"
        # nothing under the title
        assert rows.min() >= title_rows, f"view {view} reaches into the title row"
        # not too small: the bones span at least 80 % of the free height or of the width (the fit
        # leaves FILL = 86 %; 80 % allows for the box's corners being wider than the bones)
        free = SIZE[1] - title_rows
        assert (rows.max() - rows.min()) >= 0.8 * free * 0.86 or (cols.max() - cols.min()) >= 0.8 * width * 0.86
