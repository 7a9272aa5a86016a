"""The positional-model registry: every story of "what is displaced", as data.

Each :class:`~pelvisim.parameters.PositionalModel` has a name, a one-line claim, its source, its
parameters (unit, range, default, sign) and a pure function from parameters to a true-scale
:class:`~pelvisim.pose.JointState`. Models solved through the compliant ring (gait, sacral
rotation) are defined in :mod:`pelvisim.ring_models` and registered here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pelvisim.anatomy.core import Anatomy
from pelvisim.errors import ParameterError
from pelvisim.parameters import PositionalModel, Value, _suggest
from pelvisim.pose import NEUTRAL, JointState


def _neutral_state(anatomy: Anatomy, values: Mapping[str, Value], phase: float) -> JointState:
    return NEUTRAL


NEUTRAL_MODEL = PositionalModel(
    name="neutral",
    title="Neutral",
    claim="Every bone at its neutral (reference) position.",
    source="reference position of the bundled mean pelvis",
    parameters=(),
    state_function=_neutral_state,
)


def _build_registry() -> Mapping[str, PositionalModel]:
    from pelvisim.ring_models import RING_MODELS

    models: dict[str, PositionalModel] = {}
    for model in (NEUTRAL_MODEL, *RING_MODELS):
        if model.name in models:
            raise RuntimeError(f"model {model.name!r} is registered twice")
        models[model.name] = model
    return MappingProxyType(models)


MODELS: Mapping[str, PositionalModel] = _build_registry()
"""Every positional model, by name, in display order."""


def get_model(name: str) -> PositionalModel:
    """The model called ``name``; a :class:`ParameterError` lists the valid names."""
    try:
        return MODELS[name]
    except KeyError:
        valid = ", ".join(MODELS)
        raise ParameterError(f"Unknown model {name!r}. Valid models: {valid}." + _suggest(name, list(MODELS))) from None


def joint_state(anatomy: Anatomy, model: str, parameters: Mapping[str, Any] | None = None, phase: float = 0.0) -> JointState:
    """True-scale joint state of model ``model`` with ``parameters`` at gait ``phase``."""
    return get_model(model).joint_state(anatomy, parameters, phase)
