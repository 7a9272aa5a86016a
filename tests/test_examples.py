"""Every script in examples/ runs as-is (offscreen, writing into a temporary folder)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import render_helpers  # noqa: F401  (headless settings before pyvista)
import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.render
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script)])
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip()
    if "wrote" in out:
        assert any(p.stat().st_size > 0 for p in tmp_path.iterdir())


def test_there_are_examples():
    assert len(EXAMPLES) >= 4
