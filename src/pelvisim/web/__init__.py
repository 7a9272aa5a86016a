"""Lesson pages: one self-contained HTML file per scene, opened offline in any current browser.

``pelvisim share SCENE -o lesson.html`` writes one; :func:`pelvisim.notebook.show` shows the same
viewer inside Jupyter. :mod:`pelvisim.web.lesson` computes what a page shows (model layer, numpy
only); :mod:`pelvisim.web.page` decimates the bones and assembles the HTML around ``viewer.js``,
our own small WebGL viewer (no third-party browser library).
"""

from __future__ import annotations

from pelvisim.web.lesson import Resolution
from pelvisim.web.page import PageResult, build_page, write_page

__all__ = ["PageResult", "Resolution", "build_page", "write_page"]
