"""Reference pictures of the soft tissue -> docs/images/tissue/.

1. ``attachments_posterior.png`` and ``attachments_anterior.png``: the bundled pelvis at neutral
   with every ligament bundle (one colour per ligament, footprint points as dots) and every muscle
   path (red, through its via points), to check the attachment rules by eye.
2. One full-size still per soft-tissue scene (``<scene>.png``), through pelvisim's renderer at the
   scene's ``still_time_s``.

Run from the repository root:  python docs/make_tissue_stills.py
"""

from __future__ import annotations

import os
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np
import pyvista as pv

import pelvisim
from pelvisim.tissue.attachments import find_attachments
from pelvisim.tissue.l5 import l5_mesh
from pelvisim.tissue.ligaments import LIGAMENTS, MIDLINE, ligament_bundles
from pelvisim.tissue.muscles import fibre_points, find_muscles
from pelvisim.view.meshes import polydata
from pelvisim.view.render import render

OUT = Path(__file__).resolve().parent / "images" / "tissue"
SCENES = ("russell_iliacus", "gurd_multifidus", "melt_closure", "force_closure", "gold_jammed_left",
          "single_leg_stance", "hip_flexion_test")
COLOURS = {"anterior_sacroiliac": "#1f77b4", "interosseous": "#17becf", "long_dorsal_sacroiliac": "#9467bd",
           "sacrotuberous": "#2ca02c", "sacrospinous": "#bcbd22", "iliolumbar": "#ff7f0e",
           "superior_pubic": "#e377c2", "arcuate_pubic": "#8c564b"}
VIEWS = {"posterior": ((-1.0, 0.25, 0.0), (0.0, 1.0, 0.0)), "anterior": ((1.0, 0.25, 0.0), (0.0, 1.0, 0.0))}


def attachments_picture(anatomy: pelvisim.Anatomy, view: str, path: Path) -> None:
    plotter = pv.Plotter(off_screen=True, window_size=(1600, 1200))
    plotter.set_background("#1d2128")
    for bone in ("sacrum", "innominate_left", "innominate_right"):
        b = anatomy.bones[bone]
        plotter.add_mesh(polydata(np.asarray(b.vertices_mm), np.asarray(b.faces)), color="#ece3cc", opacity=0.55,
                         smooth_shading=True)
    vertices, faces = l5_mesh(find_attachments(anatomy).l5)
    plotter.add_mesh(polydata(vertices, faces), color="#d8c28f", opacity=0.8)
    bundles = ligament_bundles(anatomy)
    for name, spec in LIGAMENTS.items():
        rows = [i for i, lig in enumerate(bundles.ligament) if lig == name or (name not in MIDLINE and lig.startswith(name + "_"))]
        colour = COLOURS[name]
        for i in rows:
            plotter.add_mesh(pv.Line(bundles.point_a[i], bundles.point_b[i]), color=colour, line_width=6,
                             render_lines_as_tubes=True)
        plotter.add_points(np.vstack([bundles.point_a[rows], bundles.point_b[rows]]), color=colour, point_size=12,
                           render_points_as_spheres=True, label=spec.label)
    first = True
    for muscle in find_muscles(anatomy).values():
        for fibre in muscle.fibres:
            P = fibre_points(anatomy, fibre)
            if first:
                plotter.add_mesh(pv.lines_from_points(P), color="#d7301f", line_width=4, render_lines_as_tubes=True,
                                 label="muscles (Rajagopal 2016 paths; multifidus, abdominal wall by rule)")
                first = False
            else:
                plotter.add_mesh(pv.lines_from_points(P), color="#d7301f", line_width=4, render_lines_as_tubes=True)
    plotter.add_legend(bcolor="#1d2128", border=False, size=(0.32, 0.3), loc="lower right")
    plotter.add_text(f"Ligament and muscle attachments, bundled mean pelvis ({view} view)", font_size=14, color="white")
    direction, up = VIEWS[view]
    focal = np.array([-70.0, -50.0, 0.0])
    plotter.camera.focal_point = focal
    plotter.camera.position = focal + 650.0 * np.array(direction) / np.linalg.norm(direction)
    plotter.camera.up = up
    plotter.screenshot(str(path))
    plotter.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    anatomy = pelvisim.load_anatomy()
    for view in VIEWS:
        attachments_picture(anatomy, view, OUT / f"attachments_{view}.png")
        print(f"wrote {OUT / f'attachments_{view}.png'}")
    for name in SCENES:
        result = render(name, OUT / f"{name}.png", anatomy=anatomy, overwrite=True)
        print(f"wrote {result.path}")


if __name__ == "__main__":
    main()
