"""Still pictures of an anatomy (no motion): anterior, lateral and superior views side by side."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from pelvisim.anatomy.core import Anatomy

BONE_COLOURS = {
    "sacrum": "#e8c99b",
    "innominate_left": "#f2ead8",
    "innominate_right": "#f2ead8",
    "femur_left": "#d9d2c3",
    "femur_right": "#d9d2c3",
}
# (camera direction from the focal point, view-up) in the pelvic frame: +X anterior, +Y superior, +Z right
THREE_VIEWS = {
    "anterior": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "right lateral": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
    "superior": ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
}


def prepare_offscreen() -> None:
    """Settings for rendering without a screen (PLATFORM.md): EGL, no MSAA."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def bone_polydata(anatomy: Anatomy, name: str):
    """A pyvista PolyData of one bone (with point normals for smooth shading)."""
    import pyvista as pv

    bone = anatomy.bones[name]
    faces = np.column_stack([np.full(len(bone.faces), 3), bone.faces]).ravel()
    return pv.PolyData(np.asarray(bone.vertices_mm, dtype=float), faces)


def anatomy_png(anatomy: Anatomy, path: Path, size: tuple[int, int] = (1800, 640), landmarks: bool = True,
                femurs: bool = False, overwrite: bool = True, highlight: Mapping[str, str] | None = None,
                labelled: Sequence[str] = ()) -> None:
    """Write a PNG with the anterior, right-lateral and superior views of the pelvis.

    ``highlight`` maps further landmark names to a colour (drawn larger); the landmarks named in
    ``labelled`` also get their name written beside them (e.g. those to check after an import).

    The file is written atomically (:func:`pelvisim.output.atomic_path`): an error or interrupt
    leaves no partial PNG and an existing file as it was; without ``overwrite`` an existing file
    is an error.
    """
    prepare_offscreen()
    import pyvista as pv

    from pelvisim.output import atomic_path, check_interrupted, check_writable, deferred_interrupts
    from pelvisim.view.writers import write_png

    path = check_writable(Path(path), overwrite=overwrite)
    with deferred_interrupts():  # Ctrl-C stops after the picture, never inside VTK
        plotter = pv.Plotter(off_screen=True, shape=(1, 3), window_size=list(size), border=False)
        plotter.set_background("white")
        bones = [b for b in anatomy.bones if femurs or not b.startswith("femur")]
        meshes = {b: bone_polydata(anatomy, b).compute_normals(auto_orient_normals=False) for b in bones}
        shown = ["asis", "psis", "pubic_tubercle", "ischial_tuberosity", "acetabulum_centre"]
        points = {n: lm.position_mm for n, lm in anatomy.landmarks.items()
                  if any(n.startswith(s + "_") for s in shown)} if landmarks else {}
        points.update({n: anatomy.point(n) for n in ("sacral_promontory",) if landmarks})
        for column, (title, (direction, up)) in enumerate(THREE_VIEWS.items()):
            plotter.subplot(0, column)
            for name, mesh in meshes.items():
                plotter.add_mesh(mesh, color=BONE_COLOURS[name], smooth_shading=True, specular=0.2)
            if points:
                cloud = pv.PolyData(np.array(list(points.values())))
                plotter.add_mesh(cloud, color="#c0392b", point_size=12, render_points_as_spheres=True)
            for name, colour in (highlight or {}).items():
                plotter.add_mesh(pv.PolyData(anatomy.point(name)[None]), color=colour, point_size=18,
                                 render_points_as_spheres=True)
            if labelled:
                plotter.add_point_labels(np.array([anatomy.point(n) for n in labelled]), list(labelled), font_size=11,
                                         point_size=1, shape_opacity=0.6, always_visible=True)
            plotter.add_text(title, font_size=14, color="black", position="upper_left")
            plotter.camera_position = [tuple(np.array(direction) * 900.0), (0.0, -40.0, 0.0), up]
            plotter.camera.parallel_projection = True
            plotter.reset_camera()
            plotter.camera.zoom(1.25)
        try:
            image = plotter.screenshot(return_img=True)
        finally:
            plotter.close()
        check_interrupted()
        with atomic_path(path, overwrite=overwrite) as temporary:
            write_png(temporary, image)
