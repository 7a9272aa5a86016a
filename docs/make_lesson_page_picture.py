"""Take the README's picture of a lesson page (docs/images/lesson_page.png) in headless Chromium.

The flagship scene's page at its default resolution, exactly as ``pelvisim share flagship`` writes
it, opened from a file in Debian's chromium (software WebGL) at 1200 × 900, paused at 1.3 s (a
third into the stride, both panels visibly apart), with the displacement arrows switched on. The
picture is the top of the page: title, both panels with their key numbers, the readouts, the gait
strip, the caption and the controls. Stored with a 256-colour palette to keep it small.

Run from the repository root:  python docs/make_lesson_page_picture.py [--scene flagship] [--time 1.3]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

OUT = ROOT / "docs" / "images" / "lesson_page.png"
WIDTH, HEIGHT = 1200, 900
"""Browser window; the picture is this wide and at most :data:`PICTURE_HEIGHT` tall."""
PICTURE_HEIGHT = 1350


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", default="flagship")
    parser.add_argument("--time", type=float, default=1.3, help="timeline time shown, seconds")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()

    from browser_helpers import Page, chromium
    from pelvisim.web import write_page

    with tempfile.TemporaryDirectory() as folder, chromium() as browser:
        page = write_page(args.scene, Path(folder) / "lesson.html").path
        tab = Page(browser, viewport=(WIDTH, HEIGHT))
        tab.open(page)
        tab.page.evaluate("window.pelvisim.setOverlay('arrows', true)")
        tab.set_time(args.time)
        tab.settle()
        assert not tab.errors and not tab.blocked, (tab.errors, tab.blocked)
        height = min(PICTURE_HEIGHT, tab.page.evaluate("document.documentElement.scrollHeight"))
        png = tab.page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": height})
        tab.close()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    image.save(args.output, optimize=True)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e3:.0f} kB, {image.width}×{image.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
