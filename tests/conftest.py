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
    """Subjects and shape-mode points built by tests go to a temporary cache, never the user's."""
    import os

    folder = tmp_path_factory.mktemp("xdg-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before
