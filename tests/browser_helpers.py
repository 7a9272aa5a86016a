"""A real browser for the lesson-page tests: Debian's chromium driven by playwright (PyPI).

Without chromium or playwright the tests are skipped on a developer's machine, with the install
commands in the reason; in CI (``CI=true``) that is a failure, so the tests cannot silently
vanish. Nothing is downloaded: playwright never installs a browser here (``executable_path``).
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest


INSTALL = "sudo apt-get install chromium  and  pip install -e '.[test]'"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-quic",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
"""Software WebGL (SwiftShader) and no background traffic of the browser's own."""


def chromium_executable() -> str | None:
    """Path of the system chromium (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_browser() -> str:
    """The chromium path; skips (or, with ``CI=true``, fails) when chromium or playwright is missing."""
    missing = []
    executable = chromium_executable()
    if executable is None:
        missing.append("chromium is not installed")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed")
    if missing:
        reason = f"{' and '.join(missing)}: {INSTALL}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the browser tests, but {reason}")
        pytest.skip(reason)
    assert executable is not None
    return executable


class Page:
    """One playwright page that records every request and every console error.

    Every request that is not a ``file:`` URL is aborted and remembered in :attr:`blocked`, so a
    test can assert that the page never tried the network.
    """

    def __init__(self, browser: Any, viewport: tuple[int, int] = (1280, 900)) -> None:
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith("file:") or url.startswith("data:") or url.startswith("about:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def open(self, path: Path, wait_for_frame: bool = True) -> None:
        """Load a page from a file and wait until the viewer has drawn its first frame."""
        self.page.goto(Path(path).resolve().as_uri())
        if wait_for_frame:
            self.page.wait_for_function("() => window.pelvisim && window.pelvisim.state().frames > 0", timeout=60000)

    def state(self) -> dict[str, Any]:
        return self.page.evaluate("window.pelvisim.state()")

    def shown(self) -> dict[str, Any]:
        return self.page.evaluate("window.pelvisim.shown()")

    def view_image(self, index: int = 0) -> np.ndarray:
        """The pixels of panel ``index``'s 3D view, (h, w, 3) uint8."""
        return png_pixels(self.page.locator(".view").nth(index).screenshot())

    def readout(self, index: int = 0) -> str:
        return self.page.locator(".readout").nth(index).inner_text()

    def close(self) -> None:
        self.context.close()


def png_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium (the system's), closed afterwards."""
    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def share_of_background(image: np.ndarray, background: str, tolerance: int = 12) -> float:
    """Fraction of pixels within ``tolerance`` (per channel) of the ``#rrggbb`` background colour."""
    rgb = np.array([int(background[i:i + 2], 16) for i in (1, 3, 5)])
    return float(np.mean(np.all(np.abs(image.astype(int) - rgb) <= tolerance, axis=-1)))


@pytest.fixture(scope="session")
def bundled_pages(tmp_path_factory) -> dict[str, Path]:
    """A page of every bundled scene at the cheapest resolution, written once per test session."""
    import pelvisim
    from pelvisim.scene import bundled_scene_names
    from pelvisim.web import Resolution, write_page

    low = Resolution(grid_points=2, phase_samples=4, time_samples_per_s=0.5, other_grid_points=2)
    anatomy = pelvisim.load_anatomy()
    folder = tmp_path_factory.mktemp("bundled_pages")
    return {name: write_page(name, folder / f"{name}.html", anatomy=anatomy, resolution=low).path
            for name in bundled_scene_names()}
