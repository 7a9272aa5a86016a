"""A real browser for the lesson-page tests: Debian's chromium driven by playwright (PyPI).

Without chromium or playwright the tests are skipped on a developer's machine, with the install
commands in the reason; in CI (``CI=true``) that is a failure, so the tests cannot silently
vanish. Nothing is downloaded: playwright never installs a browser here (``executable_path``).

This module is a pytest plugin (``tests/conftest.py`` loads it), so its session fixtures exist
once for the whole run: one chromium (:func:`browser`), one browser tab reused by every test
(:func:`page`: each test loads its page afresh, and fails on any console error it caused), and
the lesson pages, each built once (:func:`lesson_pages`, :func:`bundled_pages`).

Under pytest-xdist (``-n 2``) each worker has its own chromium and tab (session fixtures are per
worker), but the pages are built once for the whole run: into a folder of the run's own temporary
root that every worker sees, each page under a lock, the workers taking the pages in turn
(:func:`shared_pages`). Nothing uses a fixed path or a port.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
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

VIEWPORT = (960, 720)
"""Browser window of the tests: a small laptop screen. Software WebGL draws every pixel on the CPU
(about 0.1 s a frame at this size), so a bigger window only makes the tests slower."""


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

    def __init__(self, browser: Any, viewport: tuple[int, int] = VIEWPORT, init_script: str | None = None) -> None:
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.viewport = viewport
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def reset(self, viewport: tuple[int, int] = VIEWPORT) -> None:
        """Forget the requests and errors seen so far (the tab is reused by the next test)."""
        self.requests.clear()
        self.blocked.clear()
        self.errors.clear()
        if viewport != self.viewport:
            self.page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
            self.viewport = viewport

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
        """Load a page from a file and wait until the viewer has drawn its first frame.

        A viewer that stops with an error (it shows the message instead of a picture) fails at
        once with that message, instead of waiting for a frame that never comes.
        """
        self.page.goto(Path(path).resolve().as_uri())
        if wait_for_frame:
            self.page.wait_for_function(
                "() => window.pelvisim && (window.pelvisim.state().frames > 0 || window.pelvisim.state().error !== null)",
                timeout=60000)
            error = self.state()["error"]
            assert error is None, f"{Path(path).name}: the viewer stopped: {error}"
            self.settle()

    def settle(self) -> None:
        """Wait until the picture matches the page's final layout.

        The first frame fills in the readouts, which may change the page's layout (a scroll bar);
        the viewer redraws when its stage changes size. Two animation frames later the canvas must
        have the stage's size — a stretched picture would fail here.
        """
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        sizes = self.page.evaluate("""() => { const c = document.getElementById('canvas'), s = document.getElementById('stage');
            const ratio = Math.min(window.devicePixelRatio || 1, 2);
            return [c.width, c.height, Math.round(s.clientWidth * ratio), Math.round(s.clientHeight * ratio)]; }""")
        assert sizes[:2] == sizes[2:], f"the picture was drawn for another layout: canvas {sizes[:2]}, stage {sizes[2:]}"

    def redraw(self) -> None:
        """Draw a frame now (after a change made through ``window.pelvisim``)."""
        self.page.evaluate("window.pelvisim.redraw()")

    def set_time(self, time_s: float) -> None:
        self.page.evaluate(f"window.pelvisim.setTime({float(time_s)!r})")
        self.redraw()

    def state(self) -> dict[str, Any]:
        return self.page.evaluate("window.pelvisim.state()")

    def shown(self) -> dict[str, Any]:
        return self.page.evaluate("window.pelvisim.shown()")

    def view_image(self, index: int = 0) -> np.ndarray:
        """The pixels of panel ``index``'s 3D view, (h, w, 3) uint8."""
        return png_pixels(self.page.locator(".view").nth(index).screenshot())

    def canvas_image(self, index: int = 0, redraw: bool = True) -> np.ndarray:
        """The canvas pixels of panel ``index``, (h, w, 3) uint8, top row first; ``redraw`` draws a frame first.

        Quicker than a screenshot, and only what WebGL drew (no text or labels on top).
        """
        import base64

        shot = self.page.evaluate(f"window.pelvisim.pixels({int(index)}, {'true' if redraw else 'false'})")
        rgba = np.frombuffer(base64.b64decode(shot["data"]), dtype=np.uint8).reshape(shot["height"], shot["width"], 4)
        return rgba[::-1, :, :3]

    def readout(self, index: int = 0) -> str:
        return self.page.locator(".readout").nth(index).inner_text()

    def close(self) -> None:
        self.context.close()


def png_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@contextmanager
def chromium(extra_flags: tuple[str, ...] = ()) -> Iterator[Any]:
    """A headless chromium (the system's), closed afterwards."""
    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=[*CHROMIUM_FLAGS, *extra_flags])
        try:
            yield browser
        finally:
            browser.close()


def share_of_background(image: np.ndarray, background: str, tolerance: int = 12) -> float:
    """Fraction of pixels within ``tolerance`` (per channel) of the ``#rrggbb`` background colour."""
    rgb = np.array([int(background[i:i + 2], 16) for i in (1, 3, 5)])
    return float(np.mean(np.all(np.abs(image.astype(int) - rgb) <= tolerance, axis=-1)))


def low_resolution() -> Any:
    """The cheapest page of a scene: 2 values per slider the scene uses (the model's other sliders
    left out), 4 samples per gait cycle, one every 2 s, overlap checked at the scene's own
    magnifications only."""
    from pelvisim.web import Resolution

    return Resolution(grid_points=2, phase_samples=4, time_samples_per_s=0.5, other_grid_points=0, overlap="scene")


def flagship_resolution() -> Any:
    """Coarser than a real page (48 phases): the tests then also check interpolation where it is widest.
    Overlap is checked at the scene's ×1 and ×20 (the tests change magnification only to true scale);
    the model's other sliders are left out (the tests move the scene's)."""
    from pelvisim.web import Resolution

    return Resolution(grid_points=3, phase_samples=24, other_grid_points=0, overlap="scene")


def flare_resolution() -> Any:
    """Flare at the real timeline density (10 samples per second), its slider every 5° (10° is a grid value),
    the model's other slider left out."""
    from pelvisim.web import Resolution

    return Resolution(grid_points=7, other_grid_points=0, overlap="scene")


def scaled_anatomy(anatomy: Any, factor: float) -> Any:
    """The anatomy enlarged ``factor`` times about the pelvic origin (bones, landmarks, joint centres):
    a bigger pelvis of the same shape, for tests of panels with different anatomies."""
    from dataclasses import replace

    from pelvisim.anatomy.core import Anatomy

    bones = {name: replace(bone, vertices_mm=np.asarray(bone.vertices_mm) * factor) for name, bone in anatomy.bones.items()}
    landmarks = {name: replace(lm, position_mm=np.asarray(lm.position_mm) * factor) for name, lm in anatomy.landmarks.items()}
    joint_frames = {}
    for name, T in anatomy.joint_frames.items():
        T = np.array(T, dtype=float)
        T[:3, 3] *= factor
        joint_frames[name] = T
    return Anatomy(bones=bones, landmarks=landmarks, joint_frames=joint_frames, source=f"{anatomy.source}, ×{factor:g}")


@contextmanager
def _lock(path: Path, wait: bool = True) -> Iterator[bool]:
    """An exclusive lock on ``path`` between processes (yields whether it was taken; without
    ``fcntl``, e.g. on Windows, always True: the pages are then built once per worker)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield True
        return
    with open(path, "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_folder(tmp_path_factory: Any, name: str) -> Path:
    """A folder of this test run that every xdist worker sees (the run's temporary root)."""
    base = Path(tmp_path_factory.getbasetemp())
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / name
    folder.mkdir(exist_ok=True)
    return folder


def shared_pages(folder: Path, names: Sequence[str], build: Callable[[str, Path], Any]) -> dict[str, Path]:
    """``folder/NAME.html`` for every name, each built once by ``build(name, path)`` whichever worker
    comes first; a page another worker is building is taken last, after waiting for it."""
    paths = {name: folder / f"{name}.html" for name in names}
    later = []
    for name in names:
        with _lock(folder / f"{name}.lock", wait=False) as mine:
            if not mine:
                later.append(name)
            elif not paths[name].exists():
                build(name, paths[name])  # write_page: a temporary, then os.replace, so never half a page
    for name in later:
        with _lock(folder / f"{name}.lock"):
            if not paths[name].exists():
                build(name, paths[name])
    return paths


@pytest.fixture(scope="session")
def page_anatomy() -> Any:
    """The bundled mean pelvis (the loader keeps it; one per session here)."""
    import pelvisim

    return pelvisim.load_anatomy()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the whole test session."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def browser_tab(browser: Any) -> Iterator[Page]:
    """One browser tab, reused by every test through :func:`page`."""
    tab = Page(browser)
    yield tab
    tab.close()


@pytest.fixture
def page(browser_tab: Page) -> Iterator[Page]:
    """The shared tab, its records cleared; the test fails if its page logged any error."""
    browser_tab.reset()
    yield browser_tab
    errors = list(browser_tab.errors)
    assert not errors, f"the page logged errors: {errors}"


@pytest.fixture(scope="session")
def lesson_pages(tmp_path_factory: Any, page_anatomy: Any) -> dict[str, Path]:
    """The flagship and flare pages the browser tests share, built once."""
    from pelvisim.web import write_page

    resolutions = {"flagship": flagship_resolution(), "flare": flare_resolution()}
    return shared_pages(shared_folder(tmp_path_factory, "lesson_pages"), list(resolutions),
                        lambda name, path: write_page(name, path, anatomy=page_anatomy, resolution=resolutions[name]))


@pytest.fixture(scope="session")
def bundled_pages(tmp_path_factory: Any, page_anatomy: Any) -> dict[str, Path]:
    """A page of every bundled scene at the cheapest resolution, written once per test session."""
    from pelvisim.scene import bundled_scene_names
    from pelvisim.web import write_page

    return shared_pages(shared_folder(tmp_path_factory, "bundled_pages"), bundled_scene_names(),
                        lambda name, path: write_page(name, path, anatomy=page_anatomy, resolution=low_resolution()))
