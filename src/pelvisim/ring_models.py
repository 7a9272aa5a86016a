"""Positional models solved through the compliant ring (filled in by the mechanics issue)."""

from __future__ import annotations

from pelvisim.parameters import PositionalModel

RING_MODELS: tuple[PositionalModel, ...] = ()
