"""Bones, landmarks and joint frames (pure Python + numpy; never imports the view)."""

from __future__ import annotations

from pelvisim.anatomy.core import BONES, FEMURS, PELVIC_BONES, SIDES, Anatomy, Bone, Landmark
from pelvisim.anatomy.io import load_anatomy

__all__ = ["BONES", "FEMURS", "PELVIC_BONES", "SIDES", "Anatomy", "Bone", "Landmark", "load_anatomy"]
