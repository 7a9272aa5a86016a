"""What the render writers print around a long job: the time estimate, the progress line, sizes.

Checked against the figures their docstrings state (a 720p one-panel draft frame is estimated at
61 ms; final quality costs three times as much) and against a progress line worked out by hand
from a stand-in clock.
"""

from __future__ import annotations

import io

import pytest

from pelvisim.view import writers


def test_the_render_time_estimate_is_the_documented_cost_per_frame():
    # 15 ms + 50 ms per megapixel and panel (one panel counts 1, each more 0.5): 720p = 0.9216 MP.
    one_panel_ms = 15.0 + 50.0 * 0.9216
    assert one_panel_ms == pytest.approx(61.08)  # the docstring's "estimated at 61 ms"
    assert writers.estimated_seconds(1000, (1280, 720), 1, "draft") == pytest.approx(one_panel_ms)
    assert writers.estimated_seconds(1000, (1280, 720), 2, "draft") == pytest.approx(15.0 + 50.0 * 0.9216 * 1.5)
    assert writers.estimated_seconds(1000, (1280, 720), 1, "final") == pytest.approx(3 * one_panel_ms)


def test_a_long_render_is_announced_with_its_estimate_and_a_short_one_is_not():
    # 525 frames of the two-panel flagship at 720p: about 44 s, under the 60 s announcement threshold;
    # 3,000 frames at 1080p: 3000 × (15 + 50 × 2.0736 × 1.5) ms ≈ 511 s ≈ 9 min.
    assert writers.long_render_notice("clip.mp4", 525, (1280, 720), 2, "draft") is None
    notice = writers.long_render_notice("clip.mp4", 3000, (1920, 1080), 2, "draft")
    assert notice == ("clip.mp4: 3,000 frames at 1920x1080, about 9 min to render "
                      "(Ctrl-C stops it and leaves no file)")


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_progress_line_counts_frames_and_estimates_the_time_left(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(writers.time, "perf_counter", clock)
    stream = io.StringIO()
    progress = writers.Progress(40, "clip.mp4", enabled=True, stream=stream)
    progress(0)
    clock.now += 10.0
    progress(10)  # 10 frames in 10 s: 30 left, about 30 s
    clock.now += 30.0
    progress(40)
    lines = stream.getvalue().split("\r")[1:]
    assert lines[0].startswith("clip.mp4 [" + "." * 30 + "] 0/40 starting")
    assert lines[1].startswith("clip.mp4 [" + "#" * 7 + "." * 23 + "] 10/40 ETA 30 s")
    assert lines[2] == "clip.mp4 [" + "#" * 30 + "] 40/40 done in 40.0 s   \n"


@pytest.mark.parametrize("n_bytes, text", [(812 * 1024, "812 kB"), (999 * 1024, "999 kB"), (1000 * 1024, "1.0 MB"),
                                           (3.4 * 1024 * 1024, "3.4 MB")])
def test_sizes_are_printed_in_kilobytes_then_megabytes(n_bytes, text):
    assert writers.size_text(n_bytes) == text
