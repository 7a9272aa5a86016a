"""Typed, validated model parameters and the description of one positional model.

The same :class:`Parameter` table drives the sliders, the scene-file keys, the CLI ``--set``
options, the descriptor read-out and the docs, so a parameter is described once, here.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from pelvisim.errors import ParameterError

if TYPE_CHECKING:
    from pelvisim.anatomy.core import Anatomy
    from pelvisim.pose import JointState

Value = Union[float, str]


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a positional model.

    Attributes
    ----------
    name : str
        Key used in scene files, ``--set`` and the Python API, with the unit in the name
        (``left_deg``, ``shift_mm``).
    label : str
        Plain-language slider label, e.g. ``"Left innominate: anterior (+) / posterior (−)"``.
    unit : str
        ``"deg"``, ``"mm"``, ``"kg"``, ``"×"`` (ratio) or ``""`` for choices.
    default : float or str
        True-scale default; every numeric default cites its source in ``source``.
    minimum, maximum : float, optional
        Allowed range (may reach the magnitudes clinical stories claim).
    choices : tuple of str, optional
        Allowed values for a choice parameter (then ``minimum``/``maximum`` are unused).
    positive_means : str
        What a positive value means, in clinical words.
    in_vivo_limit : float, optional
        Largest magnitude measured in vivo; larger values get a warning in every output.
    source : str
        Where the default and the in-vivo limit come from.
    limit_words : str
        What the limit is, in the warning ("exceeds <limit_words>"): measured in-vivo motion by
        default; say so when the limit is pelvisim's own reading of a related measurement.
    """

    name: str
    label: str
    unit: str
    default: Value
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    positive_means: str = ""
    in_vivo_limit: float | None = None
    source: str = ""
    limit_words: str = "measured in-vivo motion"

    @property
    def is_choice(self) -> bool:
        """True for a parameter that takes one of :attr:`choices`."""
        return self.choices is not None

    def range_text(self) -> str:
        """The allowed values in words, for error messages and help."""
        if self.is_choice:
            return "one of " + ", ".join(repr(c) for c in self.choices or ())
        return f"a number from {self.minimum:g} to {self.maximum:g} {self.unit}".rstrip()

    def validate(self, value: Any, where: str = "") -> Value:
        """Return ``value`` converted to this parameter's type, or raise :class:`ParameterError`.

        ``where`` (e.g. ``"model 'flare'"``) is put in the message.
        """
        prefix = f"{where}: " if where else ""
        if self.is_choice:
            text = str(value)
            if text not in (self.choices or ()):
                raise ParameterError(
                    f"{prefix}{self.name} must be {self.range_text()}, got {value!r}."
                    + _suggest(text, list(self.choices or ()))
                )
            return text
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{prefix}{self.name} must be {self.range_text()}, got {value!r}") from None
        if not math.isfinite(number) or not (self.minimum <= number <= self.maximum):  # type: ignore[operator]
            raise ParameterError(f"{prefix}{self.name} must be {self.range_text()}, got {value!r}")
        return number

    def exceeds_in_vivo(self, value: Value) -> bool:
        """True when a numeric value is larger than anything measured in vivo."""
        return (
            not self.is_choice
            and self.in_vivo_limit is not None
            and abs(float(value)) > self.in_vivo_limit + 1e-12
        )


StateFunction = Callable[["Anatomy", Mapping[str, Value], float], "JointState"]
"""``(anatomy, validated parameters, gait phase) -> JointState`` (pure, true scale)."""


@dataclass(frozen=True)
class PositionalModel:
    """One story of what is displaced in the pelvic ring.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"flare"``.
    title : str
        Short title for panels and tables.
    claim : str
        The model's claim in one plain sentence (our words, not quoted).
    source : str
        Seed article file name or paper the claim comes from.
    parameters : tuple of Parameter
        Its parameters, in slider order.
    state_function : StateFunction
        Parameters and gait phase to a true-scale :class:`~pelvisim.pose.JointState`.
    evidence : str
        What the literature says about the claim (shown as a note, not a verdict).
    uses_gait : bool
        True when the gait phase changes the result beyond whole-pelvis motion.
    """

    name: str
    title: str
    claim: str
    source: str
    parameters: tuple[Parameter, ...]
    state_function: StateFunction = field(repr=False, compare=False)
    evidence: str = ""
    uses_gait: bool = False

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; the error lists the valid names."""
        for p in self.parameters:
            if p.name == name:
                return p
        names = [p.name for p in self.parameters]
        valid = ", ".join(names) if names else "(this model has no parameters)"
        raise ParameterError(
            f"Model {self.name!r} has no parameter {name!r}. Valid parameters: {valid}." + _suggest(name, names)
        )

    def resolve(self, values: Mapping[str, Any] | None = None) -> dict[str, Value]:
        """Defaults overlaid with ``values``, every value validated."""
        given = dict(values or {})
        for key in given:
            self.parameter(key)  # raises for unknown names
        where = f"model {self.name!r}"
        return {p.name: p.validate(given.get(p.name, p.default), where) for p in self.parameters}

    def warnings(self, values: Mapping[str, Value]) -> list[str]:
        """One line per value beyond the in-vivo range (empty when all are physiological)."""
        out = []
        for p in self.parameters:
            if p.name in values and p.exceeds_in_vivo(values[p.name]):
                out.append(
                    f"{p.name} = {float(values[p.name]):g} {p.unit} exceeds {p.limit_words} "
                    f"(≤ {p.in_vivo_limit:g} {p.unit}; {p.source})"
                )
        return out

    def joint_state(self, anatomy: Anatomy, values: Mapping[str, Any] | None = None, phase: float = 0.0) -> JointState:
        """True-scale joint state for these parameter values at gait ``phase`` in [0, 1)."""
        if not (0.0 <= float(phase) < 1.0) or not math.isfinite(float(phase)):
            raise ParameterError(f"phase must be in [0, 1), got {phase!r}")
        return self.state_function(anatomy, self.resolve(values), float(phase))
