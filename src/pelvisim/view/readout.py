"""The compact readout of a panel: a few key numbers at a fixed precision, and the panel's warnings.

The 3D view shows at most :data:`pelvisim.scene.MAX_READOUTS` numbers per panel (chosen in the scene
file, or the model's defaults in :data:`pelvisim.scene.DEFAULT_READOUTS`); the full table stays in
the app's side panel and in ``pelvisim describe``. Every number is printed with its sign and two
decimals, padded to a fixed width with figure spaces, so the text does not reflow from frame to
frame (DejaVu Sans digits all have the same width). Each label names the frame the number is
measured in.

No VTK here: plain text in, plain text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pelvisim.limits import limit_note  # noqa: F401  (moved to the model layer; still importable here)
from pelvisim.scene import READOUTS

FIGURE_SPACE = "\u2007"
"""A space as wide as a digit: pads numbers to a fixed width."""
MINUS = "\u2212"
"""The minus sign (as wide as the plus sign in DejaVu Sans, unlike the hyphen)."""
NUMBER_WIDTH = 4
"""Characters of a number without its sign: ``1.23`` (two decimals; 10 and above take one more)."""
MISSING = "n/a"
"""Shown in place of a number the descriptors do not provide."""


def format_number(value: float, unit: str) -> str:
    """``value`` with its sign, two decimals and ``unit``: the same width for every value below 10.

    >>> format_number(0.5, "°")
    '+0.50°'
    >>> format_number(-2.345, "mm")
    '−2.35 mm'
    """
    magnitude = f"{abs(float(value)):.2f}".rjust(NUMBER_WIDTH, FIGURE_SPACE)
    sign = MINUS if float(value) < 0 and magnitude.strip(FIGURE_SPACE) != "0.00" else "+"
    return f"{sign}{magnitude}{unit if unit == '°' else ' ' + unit}"


def number_template(unit: str) -> str:
    """The widest text :func:`format_number` gives below 10 (for measuring the layout once)."""
    return f"+0.00{unit if unit == '°' else ' ' + unit}"


def read_path(descriptors: Any, path: str) -> float | None:
    """The number at dotted ``path`` of ``descriptors`` (attributes or mapping keys), or None."""
    value: Any = descriptors
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
        if value is None:
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def readout_lines(descriptors: Any, keys: Sequence[str]) -> list[str]:
    """One line per readout key: ``"<label naming the frame>  <number>"``.

    Parameters
    ----------
    descriptors : Descriptors
        From :func:`pelvisim.descriptors.describe` (true scale).
    keys : sequence of str
        Keys of :data:`pelvisim.scene.READOUTS`.
    """
    lines = []
    for key in keys:
        label, unit = READOUTS[key]
        value = read_path(descriptors, key)
        lines.append(f"{label}  {format_number(value, unit) if value is not None else MISSING}")
    return lines


def readout_template(keys: Sequence[str]) -> list[str]:
    """The lines of :func:`readout_lines` with the widest numbers: the block's size never changes."""
    return [f"{READOUTS[key][0]}  {number_template(READOUTS[key][1])}" for key in keys]


def panel_notes(anatomy: Any, state: Any, magnification: float) -> list[str]:
    """Warnings a panel shows: bones that overlap only because of magnification, then joint limits exceeded.

    The model layer decides (:func:`pelvisim.limits.magnification_overlap_note`,
    :func:`pelvisim.limits.joint_limit_warnings`); this only collects them, each on one short line.
    """
    from pelvisim import limits

    overlap = limits.magnification_overlap_note(anatomy, state, magnification)
    return ([str(overlap)] if overlap else []) + [limit_note(w) for w in limits.joint_limit_warnings(anatomy, state)]
