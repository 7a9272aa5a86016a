"""Shared helper for tests that drive the desktop app's main window in this process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def open_window(anatomy: Any, state: Any) -> Iterator[Any]:
    """A shown ``MainWindow`` of ``anatomy`` and ``state``, closed and deleted on exit."""
    from PySide6 import QtWidgets

    from pelvisim.view.app import MainWindow, application

    app = application()
    window = MainWindow(anatomy, state)
    window.show()
    app.processEvents()
    try:
        yield window
    finally:
        window.close()
        window.deleteLater()
        QtWidgets.QApplication.processEvents()
