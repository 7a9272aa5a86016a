"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

import pelvisim
from anatomy_helpers import symmetrized

pytest_plugins = ("browser_helpers",)  # one browser and the lesson pages, shared by the whole session


@pytest.fixture(scope="module")
def anatomy() -> pelvisim.Anatomy:
    """The bundled mean pelvis (modules may override this fixture)."""
    return pelvisim.load_anatomy()


@pytest.fixture(scope="module")
def symmetric() -> pelvisim.Anatomy:
    """The bundled pelvis with every left landmark the exact mirror of its right partner."""
    return symmetrized(pelvisim.load_anatomy())


@pytest.fixture(scope="session", autouse=True)
def private_anatomy_cache(tmp_path_factory):
    """Subjects and shape-mode points built by tests go to a temporary cache, never the user's.

    Under pytest-xdist the workers share one such folder (in the run's common temporary folder), so
    a subject one worker built is not built again by the other; the cache writes each file by an
    atomic rename, so two workers building the same subject at once both leave a whole file."""
    import os

    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / "xdg-cache-shared"
        folder.mkdir(exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("xdg-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before
