"""One self-contained HTML file per scene: the bones, the samples, and a small WebGL viewer.

The page holds everything it needs and fetches nothing: the viewer (``viewer.js``, our own WebGL
code), its style sheet, the scene's texts, the decimated bones and the samples of
:mod:`pelvisim.web.lesson` as one base64 block of little-endian binary arrays described by a JSON
block. It opens from a file (``file://``), offline, in any browser with WebGL 1.

The bones are decimated to the desktop app's per-bone triangle budget for the scene's number of
panels (``pelvisim.view.meshes.INTERACTIVE_TRIANGLES``, quadric decimation of
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pelvisim import __version__, joints
from pelvisim.anatomy.core import BONES, PELVIC_BONES, Anatomy
from pelvisim.errors import ParameterError
from pelvisim.scene import CAMERA_VIEWS, LESSON_VIEWS, OVERLAY_NAMES, READOUTS, VIEWS, Scene, load
from pelvisim.descriptors import NEGLIGIBLE
from pelvisim.web.lesson import (
    CATEGORY_CHANNELS,
    TRACK_ARRAYS,
    TWIST_SLOTS,
    Evaluator,
    Resolution,
    panel_evaluators,
    plan_samples,
    scene_motions,
    timeline_axis,
)

FORMAT_VERSION = 3
"""Version of the data layout the viewer reads (``meta.format``; 3: the at-rest text channel and the soft tissue)."""

MAGNIFICATIONS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
"""Magnifications the page offers besides the scene's own (the app's list)."""

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
    from pelvisim.view.meshes import interactive_triangles

    return int(interactive_triangles(n_panels))


def encode_bone(vertices_mm: NDArray[np.float64], faces: NDArray[np.int64], packer: Packer) -> dict[str, Any]:
    """One bone as 16-bit coordinates over its bounding box and 16/32-bit triangle indices."""
    lo, hi = vertices_mm.min(axis=0), vertices_mm.max(axis=0)
    step = np.maximum(hi - lo, 1e-9) / 65535.0
    quantized = np.round((vertices_mm - lo) / step).astype(np.uint16)
    kind = "u16" if len(vertices_mm) <= 65535 else "u32"
    return {"positions": packer.add(quantized, "u16"), "origin_mm": lo.tolist(), "step_mm": step.tolist(),
            "indices": packer.add(faces, kind), "n_vertices": int(len(vertices_mm)), "n_triangles": int(len(faces))}


def _bones(anatomy: Anatomy, budget: int, theme: Any, packer: Packer) -> list[dict[str, Any]]:
    from pelvisim.view.meshes import bone_surface, surface_is_closed

    out = []
    for name in BONES:
        if name not in anatomy.bones:
            continue
        vertices, faces = bone_surface(anatomy.bones[name], budget)
        entry = encode_bone(vertices, faces, packer)
        entry.update(name=name, colour=theme.bone_colour(name), closed=surface_is_closed(anatomy.bones[name], budget))
        out.append(entry)
    return out


def _box(boxes: list[NDArray[np.float64]]) -> list[float]:
    """``(xmin, xmax, ymin, ymax, zmin, zmax)`` around ``(2, 3)`` boxes (min row, max row)."""
    lo, hi = np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)
    return [float(v) for pair in zip(lo, hi) for v in pair]


def _bone_boxes(anatomy: Anatomy) -> dict[str, NDArray[np.float64]]:
    return {name: np.array([bone.vertices_mm.min(axis=0), bone.vertices_mm.max(axis=0)]) for name, bone in anatomy.bones.items()}


def _view_bounds(anatomy: Anatomy) -> dict[str, list[float]]:
    """What each view fits (as ``Panel.view_bounds``): its close-up box, or the pelvic bones it draws at neutral."""
    from pelvisim.view.camera import VIEW_PRESETS, close_up_bounds

    boxes = _bone_boxes(anatomy)
    out = {}
    for name in CAMERA_VIEWS:
        preset = VIEW_PRESETS[name]
        if preset.close_up:
            out[name] = [float(v) for v in close_up_bounds(joints.joint_centre(anatomy, preset.close_up))]
        else:
            out[name] = _box([boxes[b] for b in PELVIC_BONES if b in boxes and b not in preset.hidden])
    return out


def joint_axis(anatomy: Anatomy, name: str, level: str = "S2") -> joints.Axis:
    """The axis called ``name`` (:data:`pelvisim.view.overlays.AXIS_NAMES`; nutation at sacral ``level``)."""
    axis = joints.named_axis(anatomy, name, level)
    if axis is not None:
        return axis
    raise ParameterError(f"Unknown axis {name!r}")


def _axes(anatomy: Anatomy, theme: Any) -> dict[str, dict[str, Any]]:
    """Every axis rod a panel can draw, fitted as the app fits them: through the bone, capped outside it.

    Keys are the axis names of :data:`pelvisim.view.overlays.AXIS_NAMES` (the nutation axis once
    per sacral level: ``nutation_S1``...). Each rod runs from ``start_mm`` to ``end_mm`` along
    ``direction`` from ``point_mm``: where the line enters and leaves the bones, plus
    :data:`~pelvisim.view.overlays.AXIS_MARGIN_MM` (a disc at the start, an arrowhead at the end).
    """
    from pelvisim.view.meshes import surface_locator
    from pelvisim.view.overlays import AXIS_BONES, AXIS_FIT_TRIANGLES, AXIS_MARGIN_MM, AXIS_NAMES, axis_extent_mm

    out = {}
    bones = anatomy.bones
    for name in AXIS_NAMES:
        for level in (joints.SACRAL_LEVELS if name == "nutation" else ("S2",)):
            axis = joint_axis(anatomy, name, level)
            locators = [surface_locator(bones[b], AXIS_FIT_TRIANGLES if len(bones[b].faces) > AXIS_FIT_TRIANGLES else None)
                        for b in AXIS_BONES.get(name, PELVIC_BONES) if b in bones]
            start, end = axis_extent_mm(axis, locators)
            if end - start < 1.0:  # the line misses the bones: centre a rod on its point (as the app)
                start, end = -60.0, 60.0
            colour = theme.axis_colour if name in ("nutation", "symphysis") or name.startswith("flare") \
                else theme.oblique_axis_colour
            key = f"nutation_{level}" if name == "nutation" else name
            out[key] = {"name": name, "point_mm": axis.point_mm.tolist(), "direction": axis.direction.tolist(),
                        "start_mm": start - AXIS_MARGIN_MM, "end_mm": end + AXIS_MARGIN_MM, "colour": colour}
    return out


def _sacrum_cut(anatomy: Anatomy, budget: int, packer: Packer) -> dict[str, Any] | None:
    """The mid-sagittal section of the sacrum as the page draws it: the cap and its outline.

    The plane is the app's (``view.panel._SacrumCut``): fixed in the sacrum, midway between the two
    sacral auricular centres, normal to the pelvic Z axis. The section is cut from the decimated
    surface the page draws, so the cap closes exactly the hole the page's clipping leaves.
    """
    import pyvista as pv
    import vtk

    from pelvisim.view.meshes import bone_surface, polydata, sacral_midline_z_mm, section

    if "sacrum" not in anatomy.bones:
        return None
    z_mid = sacral_midline_z_mm(anatomy)
    plane = vtk.vtkPlane()
    plane.SetOrigin(0.0, 0.0, z_mid)
    plane.SetNormal(0.0, 0.0, 1.0)
    outline, cap = section(polydata(*bone_surface(anatomy.bones["sacrum"], budget)), plane)
    cap = cap.triangulate()
    lines = []
    cells = np.asarray(outline.lines)
    k = 0
    while k < len(cells):
        count = int(cells[k])
        ids = cells[k + 1:k + 1 + count]
        lines.append(packer.add(np.asarray(outline.points)[ids], "f32"))
        k += 1 + count
    faces = np.asarray(cap.faces).reshape(-1, 4)[:, 1:] if cap.n_cells else np.zeros((0, 3), dtype=np.int64)
    return {"origin_mm": [0.0, 0.0, float(z_mid)], "keep_tolerance_mm": 1.0,
            "cap": {"positions": packer.add(np.asarray(cap.points), "f32"), "indices": packer.add(faces, "u32")},
            "outlines": lines}


def _anatomy_data(anatomy: Anatomy, budget: int, theme: Any, packer: Packer, evaluate: Evaluator) -> dict[str, Any]:
    """Everything about one anatomy a panel draws: bones, landmarks, axes, view boxes, the sacrum's cut."""
    from pelvisim.view.labels import LANDMARK_LABELS, label_rank

    boxes = _bone_boxes(anatomy)
    landmarks = [
        {"name": name, "label": label, "bone": anatomy.landmark(name).bone, "position_mm": anatomy.point(name).tolist(),
         "rank": label_rank(name)[0]}
        for name, label in LANDMARK_LABELS.items() if name in anatomy.landmarks
    ]
    return {
        "source": anatomy.source,
        "bones": _bones(anatomy, budget, theme, packer),
        "bounds": {"pelvis": _box([boxes[b] for b in PELVIC_BONES if b in boxes])},
        "view_bounds": _view_bounds(anatomy),
        "landmarks": landmarks,
        "axes": _axes(anatomy, theme),
        "cut": _sacrum_cut(anatomy, budget, packer),
        "readout_columns": evaluate.columns,
    }


def _theme(theme: Any) -> dict[str, Any]:
    import matplotlib

    from pelvisim.view.overlays import COLOUR_STOPS

    fields = ("name", "background", "text_colour", "ghost_colour", "ghost_opacity", "landmark_colour", "axis_colour",
              "oblique_axis_colour", "trail_colour", "palpation_colour", "magnification_colour", "arrow_colour",
              "warning_colour", "cut_colour", "landmark_size_mm", "axis_radius_mm", "colour_map")
    out = {name: getattr(theme, name) for name in fields}
    stops = matplotlib.colormaps[theme.colour_map](np.linspace(0.0, 1.0, COLOUR_STOPS))[:, :3]
    out["colour_stops"] = [matplotlib.colors.to_hex(c) for c in stops]
    return out


def _pack_track(track: Mapping[str, Any], packer: Packer, n_bundles: int = 0) -> dict[str, Any]:
    out = {"twists": packer.add(track["twists"], "f64"), "readouts": packer.add(track["readouts"], "f32"),
           "texts": packer.add(track["texts"], "u16"), "overlap": packer.add(track["overlap"], "u16")}
    if "tissue" in track:  # pelvisim.web.tissue.packed_tissue: half the bytes of float32
        from pelvisim.web.tissue import packed_tissue

        packed = packed_tissue(track["tissue"], n_bundles)
        out["tissue"] = {"pose": packer.add(packed["pose"], "f32"), "strain": packer.add(packed["strain"], "u16"),
                         "force": packer.add(packed["force"], "u16"), "bundles": n_bundles,
                         "muscles": int(packed["force"].shape[1])}
    return out


def _pack_motion(motion: dict[str, Any], packer: Packer, n_bundles: int = 0) -> dict[str, Any]:
    base = motion["base"]
    out = {key: motion[key] for key in ("model", "model_title", "claim", "panels", "uses_gait", "fixed", "key_rows", "left_out",
                                        "tissue")}
    out["base"] = {"n": base["n"], **_pack_track(base, packer, n_bundles), "n_values": base["n_values"],
                   "values": packer.add(base["values"], "f64")}
    sliders = []
    for slider in motion["sliders"]:
        entry = {k: v for k, v in slider.items() if k not in TRACK_ARRAYS}
        entry.update(_pack_track(slider, packer, n_bundles))
        sliders.append(entry)
    out["sliders"] = sliders
    return out


def overlap_magnifications(scene: Scene, resolution: Resolution = Resolution()) -> tuple[float, ...]:
    """The magnifications whose overlap the page checks, in the overlap masks' bit order.

    Every magnification the page can show (its menu and the scene's own); with
    ``resolution.overlap == "scene"`` only the panels' own (the page then says, at any other
    magnification, that it did not check).
    """
    values = list(MAGNIFICATIONS) if resolution.overlap == "menu" else []
    for index in range(len(scene.panels)):
        m = float(scene.panel_magnification(index))
        if m not in values:
            values.append(m)
    return tuple(values)


def _compact_readout(scene: Scene, index: int, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The panel's compact readout: label (naming the frame), unit and the readout column of each number."""
    from pelvisim.web.lesson import readout_alias

    keys = {c["key"]: i for i, c in enumerate(columns)}
    out = []
    for key in scene.panel_readouts(index):
        label, unit = READOUTS[key]
        out.append({"key": key, "label": label, "unit": unit, "column": keys[readout_alias(key) if key not in keys else key]})
    return out


# --- the page data ----------------------------------------------------------------------------
META_ALLOWANCE_BYTES = 300_000
"""Room kept for the page's JSON besides the bones (texts, captions, slider descriptions): the
flagship's is about 0.1 MB."""


def page_overhead_bytes(packer: Packer, anatomies: Sequence[Mapping[str, Any]]) -> float:
    """Bytes of a page that are not samples: the packed bones so far (base64), their JSON, the
    viewer's files and :data:`META_ALLOWANCE_BYTES`."""
    assets = sum(len(_asset(name).encode("utf-8")) for name in ("page.html", "viewer.js", "viewer.css"))
    anatomy_json = len(json.dumps(anatomies, separators=(",", ":")).encode("utf-8"))
    return packer.size * 4.0 / 3.0 + anatomy_json + assets + META_ALLOWANCE_BYTES


def budget_note(meta: Mapping[str, Any]) -> str:
    """One line saying what the page's size budget left out or coarsened ("" when nothing)."""
    budget, resolution = meta["budget"], meta["resolution"]
    parts = []
    left = {}
    for entry in budget["left_out"]:
        for name in entry["names"]:
            left.setdefault(name, []).append(entry["model"])
    if resolution["other_grid_points"] and (budget["other_grid_points"] < resolution["other_grid_points"]
                                            or budget["other_divisor"] > 2):
        parts.append(f"'more parameters' sliders coarsened to {budget['other_grid_points']} evenly spaced values "
                     f"(plus default and 0) and 1/{budget['other_divisor']} of the timeline's samples")
    if budget["scene_divisor"] > 1:
        parts.append(f"the scene's own sliders at 1/{budget['scene_divisor']} of the timeline's samples")
    if left and resolution["other_grid_points"]:
        parts.append(f"left out {len(left)} slider{'s' if len(left) > 1 else ''} ({', '.join(left)})")
    if not parts:
        return ""
    return f"to stay under {resolution['budget_mb']:g} MB: " + "; ".join(parts)
def page_data(scene: Scene, anatomy: Anatomy | Sequence[Anatomy], resolution: Resolution = Resolution(),
              evaluate: Evaluator | Sequence[Evaluator] | None = None,
              anatomy_labels: Sequence[str] | None = None) -> tuple[dict[str, Any], str]:
    """Everything the viewer reads: ``(meta, binary)`` (a JSON-ready dict and the base64 arrays).

    Parameters
    ----------
    scene : Scene
    anatomy : Anatomy or sequence of Anatomy
        One anatomy for every panel, or one per panel (each panel its own bones and landmarks).
    resolution : Resolution
        Sample density of the timeline and the sliders.
    evaluate : Evaluator or sequence of Evaluator, optional
        Keep their results and texts for later requests (the notebook's live sliders): one for
        every panel or one per panel (:func:`pelvisim.web.lesson.panel_evaluators`); their
        ``overlap_magnifications`` must be :func:`overlap_magnifications` of the scene and resolution.
    anatomy_labels : sequence of str, optional
        What each panel's anatomy is, in words (e.g. "LLP26 subject 7"), one per panel.

    Returns
    -------
    meta : dict
    binary : str
    """
    from pelvisim import gait
    from pelvisim.models import get_model
    from pelvisim.view.camera import VIEW_PRESETS
    from pelvisim.view.gait_strip import SIDE_COLOURS, stance_intervals
    from pelvisim.view.overlays import (
        ARROW_MIN_LENGTH_MM,
        COLOUR_BAR_TITLES,
        COLOUR_MAP_RANGE_MM,
        PALPATION_ERROR_MM,
        PALPATION_LANDMARKS,
        TRAIL_LANDMARKS,
        axes_for_model,
    )
    from pelvisim.view.render import FEMUR_SHOWN_MM
    from pelvisim.view.state import magnification_text
    from pelvisim.view.theme import get_theme
    from pelvisim.web.tissue import bundle_count, shows_tissue, tissue_style

    theme = get_theme(scene.theme)
    packer = Packer()
    magnifications = overlap_magnifications(scene, resolution)
    evaluators = panel_evaluators(scene, anatomy, evaluate, magnifications)
    if any(e.overlap_magnifications != magnifications for e in evaluators):
        raise ValueError("the evaluator's overlap magnifications are not the page's")  # a programming error
    budget = triangle_budget(len(scene.panels))
    distinct: list[Evaluator] = []
    for e in evaluators:
        if all(e is not d for d in distinct):
            distinct.append(e)
    panel_anatomy = [next(k for k, d in enumerate(distinct) if d is e) for e in evaluators]
    anatomies = [_anatomy_data(e.anatomy, budget, theme, packer, e) for e in distinct]
    for k, entry in enumerate(anatomies):
        entry["label"] = anatomy_labels[panel_anatomy.index(k)] if anatomy_labels else ""
    tissue = shows_tissue(scene)
    if tissue:  # where the ligaments and muscles attach, per pelvis (pelvisim.web.tissue)
        from pelvisim.web.tissue import tissue_geometry

        for entry, e in zip(anatomies, distinct):
            entry["tissue"] = tissue_geometry(e.anatomy)
    # The samples get what the budget leaves after the bones, the viewer and the rest of the meta.
    sample_budget = None
    if resolution.budget_mb is not None:
        sample_budget = resolution.budget_mb * 1e6 - page_overhead_bytes(packer, anatomies)
    plan = plan_samples(scene, evaluators, resolution, sample_budget)
    motions, panel_motion = scene_motions(scene, [e.anatomy for e in evaluators], resolution, evaluators, plan)
    axis = timeline_axis(scene, resolution)
    timeline = scene.timeline
    panels = []
    for index, spec in enumerate(scene.panels):
        level = str(spec.parameters.get("axis_level", "S2"))
        seen = [dict(spec.parameters)] + [dict(k.parameters) for k in timeline.keyframes
                                          if k.panels is None or index in k.panels]
        axes = [f"nutation_{level if level in joints.SACRAL_LEVELS else 'S2'}" if name == "nutation" else name
                for name in axes_for_model(spec.model, seen)]
        panels.append({"label": spec.label, "motion": panel_motion[index], "anatomy": panel_anatomy[index],
                       "magnification": scene.panel_magnification(index), "view": scene.panel_view(index),
                       "own_view": spec.view is not None, "overlays": scene.panel_overlays(index), "axes": axes,
                       "readouts": _compact_readout(scene, index, evaluators[index].columns),
                       "uses_gait": get_model(spec.model).uses_gait})
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
        "views": {name: {"direction": list(VIEW_PRESETS[name].direction), "up": list(VIEW_PRESETS[name].up),
                         "says": VIEW_PRESETS[name].says, "hidden": list(VIEW_PRESETS[name].hidden),
                         "cut_keep": VIEW_PRESETS[name].cut_keep, "close_up": VIEW_PRESETS[name].close_up}
                  for name in CAMERA_VIEWS},
        "anatomical_views": list(VIEWS),
        "lesson_views": list(LESSON_VIEWS),
        "femur_shown_mm": FEMUR_SHOWN_MM,
        "anatomies": anatomies,
        "twist_slots": list(TWIST_SLOTS),
        "trail_landmarks": list(TRAIL_LANDMARKS),
        "palpation": {"landmarks": list(PALPATION_LANDMARKS), "radii_mm": list(PALPATION_ERROR_MM),
                      "source": "landmark palpation error at the iliac spines 15–20 mm (Della Croce 1999)"},
        "categories": evaluators[0].categories,
        "category_channels": list(CATEGORY_CHANNELS),
        "negligible": NEGLIGIBLE,
        "motions": [_pack_motion(m, packer, bundle_count(evaluators[m["panels"][0]].anatomy) if m["tissue"] else 0)
                    for m in motions],
        "panels": panels,
        "overlay_names": list(OVERLAY_NAMES),
        "magnifications": [{"value": m, "text": magnification_text(m)} for m in MAGNIFICATIONS],
        "overlap_magnifications": list(magnifications),  # checked; at any other the page says it did not check
        "arrows": {"scale": scene.arrow_scale, "min_length_mm": ARROW_MIN_LENGTH_MM},
        "tissue": tissue_style() if tissue else None,
        "colour_map": {"frame": scene.colour_map_frame, "range_mm": list(COLOUR_MAP_RANGE_MM),
                       "title": COLOUR_BAR_TITLES[scene.colour_map_frame].split("\n")},
        "gait_strip": {"shown": any(p["uses_gait"] for p in panels),
                       # rounded: 1.12 - 1 is 0.12000000000000011, and phase 0.12 is already swing
                       "stance": {side: [[round(a, 12), round(b, 12)] for a, b in stance_intervals(side)]
                                  for side in ("right", "left")},
                       "colours": dict(SIDE_COLOURS),
                       "source": "stance 0–62 % of the stride from initial contact to toe-off, the left half a stride later "
                                 f"(pelvisim.gait.STANCE: {gait.STANCE['right']} and {gait.STANCE['left']})"},
        "resolution": {"grid_points": resolution.grid_points, "phase_samples": resolution.phase_samples,
                       "time_samples_per_s": resolution.time_samples_per_s, "other_grid_points": resolution.other_grid_points,
                       "overlap": resolution.overlap, "budget_mb": resolution.budget_mb},
        "budget": {"other_grid_points": plan.other_grid_points, "other_divisor": plan.other_divisor,
                   "scene_divisor": plan.scene_divisor,
                   "estimated_sample_bytes": plan.estimated_bytes,
                   "left_out": [{"model": m["model"], "panels": m["panels"], "names": m["left_out_names"]} for m in motions]},
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


def build_page(scene: Scene | str | os.PathLike[str], anatomy: Anatomy | Sequence[Anatomy] | None = None,
               resolution: Resolution = Resolution()) -> str:
    """The lesson page of a scene as one HTML text.

    Parameters
    ----------
    scene : Scene, str or Path
        A scene, a scene file or the name of a bundled scene.
    anatomy : Anatomy or sequence of Anatomy, optional
        One anatomy for every panel, or one per panel. Default: each panel's own, as the scene
        names it (:func:`scene_anatomies`; the bundled mean pelvis when it names none).
    resolution : Resolution
        Sample density (a coarser one makes smaller pages, e.g. for tests).

    Returns
    -------
    str
    """
    if not isinstance(scene, Scene):
        scene = load(scene)
    labels = None
    if anatomy is None:
        anatomy, labels = scene_anatomies(scene)
    return page_html(*page_data(scene, anatomy, resolution, anatomy_labels=labels))


def scene_anatomies(scene: Scene, progress: Any = "stderr") -> tuple[list[Anatomy], list[str]]:
    """Each panel's anatomy as the scene names it (its ``anatomy`` keys; the bundled mean without
    them), loaded once per distinct anatomy, and each in words ("LLP26 subject 7").

    ``progress`` is passed to :func:`pelvisim.anatomy.sources.load` (default: its notes on stderr
    while a subject or shape-mode point is built the first time; None for silence).
    """
    from pelvisim.anatomy import sources

    loaded: dict[str, Anatomy] = {}
    anatomies, labels = [], []
    for index in range(len(scene.panels)):
        spec = scene.panel_anatomy(index)
        if spec.key not in loaded:
            loaded[spec.key] = sources.load(spec) if progress == "stderr" else sources.load(spec, progress=progress)
        anatomies.append(loaded[spec.key])
        labels.append(spec.label)
    return anatomies, labels


@dataclass(frozen=True)
class PageResult:
    """What :func:`write_page` wrote.

    Attributes
    ----------
    path : Path
    size_bytes : int
    budget_note : str
        What the size budget left out or coarsened, in one line (:func:`budget_note`; "" when nothing).
    """

    path: Path
    size_bytes: int
    budget_note: str = ""


def write_page(scene: Scene | str | os.PathLike[str], output: str | os.PathLike[str], *,
               anatomy: Anatomy | Sequence[Anatomy] | None = None,
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
    if not isinstance(scene, Scene):
        scene = load(scene)
    labels = None
    if anatomy is None:
        anatomy, labels = scene_anatomies(scene)
    meta, binary = page_data(scene, anatomy, resolution, anatomy_labels=labels)
    write_text_atomic(path, page_html(meta, binary), overwrite=overwrite)
    return PageResult(path=path, size_bytes=path.stat().st_size, budget_note=budget_note(meta))
