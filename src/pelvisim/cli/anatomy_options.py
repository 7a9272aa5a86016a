"""``--anatomy DIR`` / ``--subject N`` / ``--modes M=SD,...``: one set of options for every command.

The values are checked when the command runs (not by argparse), so a bad value gives pelvisim's
one-line error rather than argparse's usage block.
"""

from __future__ import annotations

import argparse
from typing import Any

from pelvisim.errors import ParameterError


def add_anatomy_options(parser: argparse.ArgumentParser) -> None:
    """Add the three anatomy options to ``parser`` (at most one may be given; checked when the command runs)."""
    group = parser.add_argument_group("anatomy (give at most one; default: the bundled mean of 26 pelves)")
    group.add_argument("--anatomy", metavar="DIR", default=None,
                       help="a folder of your own bones (default: the bundled mean of 26 pelves)")
    group.add_argument("--subject", metavar="N", default=None,
                       help="one of the 26 LLP26 subjects, 1-26 (built on first use, then cached)")
    group.add_argument("--modes", metavar="M=SD,...", default=None,
                       help="the mean moved along shape modes, in standard deviations, e.g. 1=+2,3=-1 (modes 1-25, ±3 SD)")


def anatomy_spec(args: argparse.Namespace) -> Any:
    """The :class:`~pelvisim.anatomy.sources.AnatomySpec` the options ask for, or None when none was given."""
    from pelvisim.anatomy import sources

    folder, subject, modes = (getattr(args, name, None) for name in ("anatomy", "subject", "modes"))
    given = [f"--{name}" for name, value in (("anatomy", folder), ("subject", subject), ("modes", modes)) if value is not None]
    if not given:
        return None
    if len(given) > 1:
        raise ParameterError(f"give one of --anatomy, --subject and --modes, not {' and '.join(given)}")
    if subject is not None:
        text = str(subject).strip()
        if not text.isdigit():
            raise ParameterError(f"--subject expects a whole number from 1 to 26, got {subject!r}")
        return sources.make_spec(subject=int(text))
    if modes is not None:
        try:
            return sources.make_spec(modes=sources.parse_modes(modes))
        except ParameterError as error:
            message = str(error)
            raise ParameterError(message if message.startswith("--modes") else f"--modes: {message}") from None
    return sources.make_spec(folder=folder)


def load_anatomy_from_args(args: argparse.Namespace) -> Any:
    """The anatomy the options ask for (the bundled mean when none was given)."""
    from pelvisim.anatomy import sources

    return sources.load(anatomy_spec(args))
