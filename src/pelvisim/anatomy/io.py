"""Loading anatomy (placeholder until the bundled meshes are built)."""

from __future__ import annotations

from pathlib import Path

from pelvisim.anatomy.core import Anatomy
from pelvisim.errors import DataNotFoundError


def load_anatomy(path: str | Path | None = None) -> Anatomy:
    """Load the bundled mean pelvis (``path=None``) or a user's anatomy folder."""
    raise DataNotFoundError("the bundled meshes are not built yet")
