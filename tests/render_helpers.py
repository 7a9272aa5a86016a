"""Helpers for tests that render offscreen. Import this module before anything imports pyvista."""

from __future__ import annotations

import os

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np  # noqa: E402
import pyvista as pv  # noqa: E402

pv.OFF_SCREEN = True
pv.global_theme.multi_samples = 1

SMALL = "320x192"


def is_blank(image: np.ndarray, tolerance: float = 2.0) -> bool:
    """True when every pixel is (nearly) the same colour."""
    flat = image.reshape(-1, image.shape[-1]).astype(float)
    return bool(np.all(flat.std(axis=0) < tolerance))


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute pixel difference of two images of the same shape."""
    return float(np.mean(np.abs(a.astype(float) - b.astype(float))))


def read_frames(path) -> list[np.ndarray]:
    """Every frame of a video as (h, w, 3) uint8 arrays, decoded by imageio-ffmpeg."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return [np.frombuffer(frame, dtype=np.uint8).reshape(h, w, 3) for frame in reader]


def count_video_frames(path) -> tuple[int, float, tuple[int, int]]:
    """(frames, fps, (width, height)) of a video, read back with imageio-ffmpeg."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    n = sum(1 for _ in reader)
    return n, float(meta["fps"]), tuple(meta["size"])
