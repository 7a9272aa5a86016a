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


TITLE_ROOM = 0.08
"""Share of each view's height kept free at the top for its title."""


def frame_view(renderer, bounds, direction, up, aspect: float) -> None:
    """Parallel camera along ``direction`` fitting the box ``bounds`` (mm) below the view's title.

    The whole box fills :data:`pelvisim.view.camera.FILL` of the space under the title; the camera
    looks at the box's centre, moved up the screen by half the title room so nothing sits under it.
    """
    from pelvisim.view.camera import fitting_parallel_scale_mm

    centre = 0.5 * (np.array(bounds[0::2], dtype=float) + np.array(bounds[1::2], dtype=float))
    d = np.asarray(direction, dtype=float)
    u = np.asarray(up, dtype=float)
    # fit into the height below the title: the same box in a viewport (1 - TITLE_ROOM) as tall
    scale = fitting_parallel_scale_mm(bounds, centre, d, u, aspect / (1.0 - TITLE_ROOM)) / (1.0 - TITLE_ROOM)
    focus = centre + u * scale * TITLE_ROOM  # the box's centre sits TITLE_ROOM/2 of the height lower
    camera = renderer.GetActiveCamera()
    camera.SetParallelProjection(True)
    camera.SetFocalPoint(*focus)
    camera.SetPosition(*(focus + 1000.0 * d))
    camera.SetViewUp(*u)
    camera.SetParallelScale(scale)
    renderer.ResetCameraClippingRange()
    renderer.camera_set = True


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
    from pelvisim.view.camera import union_bounds
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
        bounds = union_bounds([mesh.bounds for mesh in meshes.values()])
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
            frame_view(plotter.renderer, bounds, direction, up, size[0] / 3 / size[1])
        try:
            image = plotter.screenshot(return_img=True)
        finally:
            plotter.close()
        check_interrupted()
        with atomic_path(path, overwrite=overwrite) as temporary:
            write_png(temporary, image)
