"""Exceptions raised by pelvisim.

Every error is a :class:`PelvisimError` and also subclasses the matching builtin, so callers can
catch either. Messages say what was expected, what was got, and where (file, line, key).
"""

from __future__ import annotations


class PelvisimError(Exception):
    """Base class of every error pelvisim raises on purpose."""


class ParameterError(PelvisimError, ValueError):
    """A model parameter, option or argument is unknown or out of range."""


class SceneError(PelvisimError, ValueError):
    """A scene file is malformed: the message names the file, line and key."""


class MeshError(PelvisimError, ValueError):
    """A bone mesh is missing, empty, broken or in unexpected units."""


class LandmarkError(PelvisimError, KeyError):
    """A landmark is missing or implausible."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it readable
        return str(self.args[0]) if self.args else ""


class DataNotFoundError(PelvisimError, FileNotFoundError):
    """A file pelvisim needs does not exist."""


class DisplayError(PelvisimError, RuntimeError):
    """No display is available for an interactive window."""
