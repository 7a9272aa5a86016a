"""One self-contained HTML file per scene: the bones, the samples, and a small WebGL viewer.

The page holds everything it needs and fetches nothing: the viewer (``viewer.js``, our own WebGL
code), its style sheet, the scene's texts, the decimated bones and the samples of
:mod:`pelvisim.web.lesson` as one base64 block of little-endian binary arrays described by a JSON
block. It opens from a file (``file://``), offline, in any browser with WebGL 1.

The bones are decimated to the desktop app's per-bone triangle budget for the scene's number of
panels (``pelvisim.view.app.INTERACTIVE_TRIANGLES``, quadric decimation of
:func:`pelvisim.view.meshes.bone_surface`), then stored as 16-bit vertex coordinates over each
bone's bounding box (steps of at most 0.007 mm, on the femurs) and 16-bit triangle indices; the page
computes the normals.

This module builds a view (it decimates with VTK through :mod:`pelvisim.view.meshes`); the samples
come from the model layer (:mod:`pelvisim.web.lesson`).
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pelvisim import __version__, joints
from pelvisim.anatomy.core import BONES, PELVIC_BONES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.scene import CAMERA_VIEWS, OVERLAY_NAMES, Scene, load
from pelvisim.descriptors import NEGLIGIBLE
from pelvisim.web.lesson import CATEGORY_CHANNELS, TWIST_SLOTS, Evaluator, Resolution, scene_motions, timeline_axis

FORMAT_VERSION = 1
"""Version of the data layout the viewer reads (``meta.format``)."""

MAGNIFICATIONS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
"""Magnifications the page offers besides the scene's own (the app's list)."""

FEMUR_VIEW_DEPTH_MM = 120.0
"""With the femurs shown, the camera fits the pelvis and this much of the thighs (as videos do)."""

AXIS_HALF_LENGTHS_MM = {"nutation": 95.0, "oblique": 70.0}
"""Half-lengths of the drawn joint axes (as the app's panels draw them)."""

PAGE_FILES = ("page.html", "viewer.css", "viewer.js")
"""The template, style sheet and viewer, package data of :mod:`pelvisim.web`."""


# --- binary arrays ----------------------------------------------------------------------------
class Packer:
    """Collects numpy arrays into one little-endian byte block; JSON refers to them by offset.

    Each reference is ``[byte offset, element count, type]`` with type ``f64``, ``f32``, ``u16``
    or ``u32``; offsets are multiples of 8 so the page can view them as typed arrays in place.
    """

    TYPES = {"f64": "<f8", "f32": "<f4", "u16": "<u2", "u32": "<u4"}

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, array: Any, kind: str) -> list[Any]:
        """Append ``array`` (flattened, C order) as ``kind``; returns its reference."""
        data = np.ascontiguousarray(np.asarray(array).astype(self.TYPES[kind])).tobytes()
        reference = [self.size, int(np.asarray(array).size), kind]
        padding = (-len(data)) % 8
        self.chunks.append(data + b"\0" * padding)
        self.size += len(data) + padding
        return reference

    def base64(self) -> str:
        """The whole block, base64-encoded."""
        return base64.b64encode(b"".join(self.chunks)).decode("ascii")


# --- bones ------------------------------------------------------------------------------------
def triangle_budget(n_panels: int) -> int:
    """The desktop app's triangle budget per bone for ``n_panels`` panels."""
    from pelvisim.view.app import interactive_triangles

    return int(interactive_triangles(n_panels))


def encode_bone(vertices_mm: NDArray[np.float64], faces: NDArray[np.int64], packer: Packer) -> dict[str, Any]:
    """One bone as 16-bit coordinates over its bounding box and 16/32-bit triangle indices."""
    lo, hi = vertices_mm.min(axis=0), vertices_mm.max(axis=0)
    step = np.maximum(hi - lo, 1e-9) / 65535.0
    quantized = np.round((vertices_mm - lo) / step).astype(np.uint16)
    kind = "u16" if len(vertices_mm) <= 65535 else "u32"
    return {"positions": packer.add(quantized, "u16"), "origin_mm": lo.tolist(), "step_mm": step.tolist(),
            "indices": packer.add(faces, kind), "n_vertices": int(len(vertices_mm)), "n_triangles": int(len(faces))}


def _bones(anatomy: Anatomy, n_panels: int, theme: Any, packer: Packer) -> tuple[list[dict[str, Any]], list[float]]:
    from pelvisim.anatomy.user import is_closed
    from pelvisim.view.meshes import bone_surface

    budget = triangle_budget(n_panels)
    out = []
    for name in BONES:
        if name not in anatomy.bones:
            continue
        vertices, faces = bone_surface(anatomy.bones[name], budget)
        entry = encode_bone(vertices, faces, packer)
        entry.update(name=name, colour=theme.bone_colour(name), closed=bool(is_closed(faces)))
        out.append(entry)
    pelvis = np.vstack([anatomy.bones[b].vertices_mm for b in PELVIC_BONES])
    return out, [float(v) for pair in zip(pelvis.min(axis=0), pelvis.max(axis=0)) for v in pair]


def _femur_bounds(anatomy: Anatomy, pelvic: list[float]) -> list[float]:
    points = np.vstack([b.vertices_mm for b in anatomy.bones.values()])
    bounds = [float(v) for pair in zip(points.min(axis=0), points.max(axis=0)) for v in pair]
    bounds[2] = max(bounds[2], pelvic[2] - FEMUR_VIEW_DEPTH_MM)
    return bounds


def _axis(axis: joints.Axis, half_length_mm: float) -> dict[str, Any]:
    return {"name": axis.name, "point_mm": axis.point_mm.tolist(), "direction": axis.direction.tolist(),
            "half_length_mm": half_length_mm}


def _theme(theme: Any) -> dict[str, Any]:
    fields = ("name", "background", "text_colour", "ghost_colour", "ghost_opacity", "landmark_colour", "axis_colour",
              "oblique_axis_colour", "trail_colour", "palpation_colour", "magnification_colour", "landmark_size_mm",
              "axis_radius_mm", "colour_map")
    return {name: getattr(theme, name) for name in fields}


def _pack_motion(motion: dict[str, Any], packer: Packer) -> dict[str, Any]:
    base = motion["base"]
    out = {key: motion[key] for key in ("model", "model_title", "claim", "panels", "uses_gait", "fixed", "key_rows")}
    out["base"] = {"n": base["n"], "twists": packer.add(base["twists"], "f64"), "readouts": packer.add(base["readouts"], "f32"),
                   "texts": packer.add(base["texts"], "u16"), "n_values": base["n_values"],
                   "values": packer.add(base["values"], "f64")}
    sliders = []
    for slider in motion["sliders"]:
        entry = {k: v for k, v in slider.items() if k not in ("twists", "readouts", "texts")}
        entry.update(twists=packer.add(slider["twists"], "f64"), readouts=packer.add(slider["readouts"], "f32"),
                     texts=packer.add(slider["texts"], "u16"))
        sliders.append(entry)
    out["sliders"] = sliders
    return out


# --- the page data ----------------------------------------------------------------------------
def page_data(scene: Scene, anatomy: Anatomy, resolution: Resolution = Resolution(),
              evaluate: Evaluator | None = None) -> tuple[dict[str, Any], str]:
    """Everything the viewer reads: ``(meta, binary)`` (a JSON-ready dict and the base64 arrays).

    Parameters
    ----------
    scene : Scene
    anatomy : Anatomy
    resolution : Resolution
        Sample density of the timeline and the sliders.
    evaluate : Evaluator, optional
        Keeps its results and texts for later requests (the notebook's live sliders).

    Returns
    -------
    meta : dict
    binary : str
    """
    from pelvisim.view.camera import VIEW_PRESETS
    from pelvisim.view.labels import LABEL_PRIORITY, LANDMARK_LABELS
    from pelvisim.view.overlays import PALPATION_ERROR_MM, PALPATION_LANDMARKS, TRAIL_LANDMARKS
    from pelvisim.view.state import magnification_text
    from pelvisim.view.theme import get_theme

    theme = get_theme(scene.theme)
    packer = Packer()
    evaluate = evaluate or Evaluator(anatomy)
    motions, panel_motion = scene_motions(scene, anatomy, resolution, evaluate)
    bones, pelvic_bounds = _bones(anatomy, len(scene.panels), theme, packer)
    axis = timeline_axis(scene, resolution)
    timeline = scene.timeline
    landmarks = [
        {"name": name, "label": label, "bone": anatomy.landmark(name).bone,
         "position_mm": anatomy.point(name).tolist(),
         "rank": next((i for i, prefix in enumerate(LABEL_PRIORITY) if name.startswith(prefix)), len(LABEL_PRIORITY))}
        for name, label in LANDMARK_LABELS.items() if name in anatomy.landmarks
    ]
    panels = []
    for index, spec in enumerate(scene.panels):
        level = str(spec.parameters.get("axis_level", "S2"))
        panels.append({"label": spec.label, "motion": panel_motion[index],
                       "magnification": scene.panel_magnification(index),
                       "overlays": scene.panel_overlays(index), "axis_level": level if level in joints.SACRAL_LEVELS else "S2"})
    camera = scene.camera
    meta = {
        "format": FORMAT_VERSION,
        "generator": f"pelvisim {__version__}",
        "scene": scene.name,
        "title": scene.title, "subtitle": scene.subtitle, "sources": scene.sources,
        "theme": _theme(theme),
        "timeline": {"kind": timeline.kind, "duration_s": scene.duration_s, "seconds_per_cycle": timeline.seconds_per_cycle,
                     "start_phase": timeline.start_phase, "axis": axis.kind, "samples": axis.n,
                     "phases": packer.add(np.array(axis.phases), "f64")},
        "captions": [{"text": c.text, "start_s": c.start_s, "end_s": None if math.isinf(c.end_s) else c.end_s}
                     for c in scene.captions],
        "camera": {"view": camera.view, "position_mm": camera.position_mm, "focal_point_mm": camera.focal_point_mm,
                   "up": camera.up, "zoom": camera.zoom, "orbit_deg": camera.orbit_deg},
        "views": {name: {"direction": list(VIEW_PRESETS[name].direction), "up": list(VIEW_PRESETS[name].up)} for name in CAMERA_VIEWS},
        "bounds": {"pelvis": pelvic_bounds, "with_femurs": _femur_bounds(anatomy, pelvic_bounds)},
        "bones": bones,
        "twist_slots": list(TWIST_SLOTS),
        "landmarks": landmarks,
        "trail_landmarks": [n for n in TRAIL_LANDMARKS if n in anatomy.landmarks],
        "palpation": {"landmarks": [n for n in PALPATION_LANDMARKS if n in anatomy.landmarks],
                      "radii_mm": list(PALPATION_ERROR_MM),
                      "source": "landmark palpation error at the iliac spines 15–20 mm (Della Croce 1999)"},
        "axes": {"oblique": [_axis(joints.oblique_axis(anatomy, w), AXIS_HALF_LENGTHS_MM["oblique"]) for w in joints.OBLIQUE_AXES],
                 "nutation": {lv: _axis(joints.nutation_axis(anatomy, lv), AXIS_HALF_LENGTHS_MM["nutation"])
                              for lv in joints.SACRAL_LEVELS}},
        "readout_columns": evaluate.columns,
        "categories": evaluate.categories,
        "category_channels": list(CATEGORY_CHANNELS),
        "negligible": NEGLIGIBLE,
        "motions": [_pack_motion(m, packer) for m in motions],
        "panels": panels,
        "overlay_names": list(OVERLAY_NAMES),
        "magnifications": [{"value": m, "text": magnification_text(m)} for m in MAGNIFICATIONS],
        "colour_map_range_mm": [0.0, 2.0],
        "resolution": {"grid_points": resolution.grid_points, "phase_samples": resolution.phase_samples,
                       "time_samples_per_s": resolution.time_samples_per_s, "other_grid_points": resolution.other_grid_points},
    }
    return meta, packer.base64()


def _asset(name: str) -> str:
    return (resources.files("pelvisim.web") / name).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    """JSON text safe inside a ``<script>`` element (no ``</`` can end it early)."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def page_html(meta: Mapping[str, Any], binary: str) -> str:
    """The HTML page for ``meta`` and ``binary`` (see :func:`page_data`)."""
    template = _asset("page.html")
    parts = {
        "<!--PELVISIM:TITLE-->": html.escape(str(meta["title"])),
        "/*PELVISIM:CSS*/": _asset("viewer.css"),
        "/*PELVISIM:META*/": _script_safe(json.dumps(meta, ensure_ascii=False, allow_nan=False, separators=(",", ":"))),
        "/*PELVISIM:DATA*/": binary,
        "/*PELVISIM:VIEWER*/": _asset("viewer.js"),
    }
    for marker, text in parts.items():
        if template.count(marker) != 1:
            raise RuntimeError(f"page.html: expected the marker {marker} once")  # a packaging bug, not user input
        template = template.replace(marker, text)
    return template


def build_page(scene: Scene | str | os.PathLike[str], anatomy: Anatomy | None = None,
               resolution: Resolution = Resolution()) -> str:
    """The lesson page of a scene as one HTML text.

    Parameters
    ----------
    scene : Scene, str or Path
        A scene, a scene file or the name of a bundled scene.
    anatomy : Anatomy, optional
        Default: the bundled mean pelvis.
    resolution : Resolution
        Sample density (a coarser one makes smaller pages, e.g. for tests).

    Returns
    -------
    str
    """
    if not isinstance(scene, Scene):
        scene = load(scene)
    if anatomy is None:
        from pelvisim import load_anatomy

        anatomy = load_anatomy()
    return page_html(*page_data(scene, anatomy, resolution))


@dataclass(frozen=True)
class PageResult:
    """What :func:`write_page` wrote.

    Attributes
    ----------
    path : Path
    size_bytes : int
    """

    path: Path
    size_bytes: int


def write_page(scene: Scene | str | os.PathLike[str], output: str | os.PathLike[str], *, anatomy: Anatomy | None = None,
               resolution: Resolution = Resolution(), overwrite: bool = False) -> PageResult:
    """Write the lesson page of ``scene`` to ``output`` (``.html``), atomically.

    The page goes to a temporary file in the same folder, renamed onto ``output`` once complete
    (:func:`pelvisim.output.write_text_atomic`): an error or Ctrl-C leaves no partial page and an
    existing one as it was.

    Raises
    ------
    ParameterError
        The output does not end in ``.html``/``.htm``.
    OutputError
        The folder does not exist or cannot be written, or ``output`` exists and ``overwrite``
        is False (checked before the page is computed, and again when it is written).
    """
    from pelvisim.output import check_writable, write_text_atomic

    path = Path(output)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ParameterError(f"{path}: expected an output ending in .html")
    check_writable(path, overwrite=overwrite)
    text = build_page(scene, anatomy, resolution)
    write_text_atomic(path, text, overwrite=overwrite)
    return PageResult(path=path, size_bytes=path.stat().st_size)
