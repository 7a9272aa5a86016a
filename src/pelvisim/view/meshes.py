"""Bone surfaces as the panels draw them: VTK polydata, simplified copies for the app, coarse ghosts."""

from __future__ import annotations

import weakref

import numpy as np
import pyvista as pv
import vtk
from numpy.typing import NDArray

from pelvisim.anatomy.core import Bone
from pelvisim.anatomy.user import is_closed
from pelvisim.errors import ParameterError

GHOST_GRID = 40
"""Quadric-clustering grid of the ghost meshes (the ghost is a faint hint: few triangles keep it cheap)."""

MIN_TRIANGLES = 500
"""Smallest triangle budget per bone accepted by :func:`bone_surface`: below it bones lose their shape."""


INTERACTIVE_TRIANGLES = {1: 6000, 2: 5000, 3: 4000, 4: 4000}
"""Triangle budget per bone in the app and in lesson pages, by number of panels (see :func:`bone_surface`).

Software OpenGL (no GPU) must redraw a slider step in a few tens of milliseconds, and a panel a
quarter of the screen wide cannot show more. At these budgets the bones keep their outline and
joint surfaces at panel size; videos and stills (``pelvisim render``) draw the full meshes.
"""


def interactive_triangles(n_panels: int) -> int:
    """Triangle budget per bone when ``n_panels`` panels share the app's 3D area."""
    return INTERACTIVE_TRIANGLES.get(n_panels, min(INTERACTIVE_TRIANGLES.values()))


def polydata(vertices: NDArray, faces: NDArray) -> pv.PolyData:
    """A triangle mesh from ``(n, 3)`` vertices (mm) and ``(m, 3)`` vertex indices."""
    return pv.PolyData.from_regular_faces(np.array(vertices, dtype=float), np.array(faces, dtype=np.int64))


_SIMPLIFIED: weakref.WeakKeyDictionary[Bone, dict[int, tuple[NDArray, NDArray]]] = weakref.WeakKeyDictionary()


def bone_surface(bone: Bone, max_triangles: int | None = None) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The bone's surface, simplified to at most ``max_triangles``: ``(vertices_mm, faces)``.

    ``None`` (or a budget the bone already meets) returns the bone as built. Otherwise the surface
    is simplified by quadric decimation (Garland & Heckbert 1997; VTK's ``vtkQuadricDecimation``)
    with its volume preserved, which keeps outlines and joint surfaces at the sizes a panel shows.
    Results are cached per bone, so four panels of the same anatomy simplify once.

    Parameters
    ----------
    bone : Bone
    max_triangles : int, optional
        Triangle budget, at least :data:`MIN_TRIANGLES`.

    Returns
    -------
    vertices_mm : ndarray, shape (n, 3)
    faces : ndarray, shape (m, 3)
    """
    faces = np.asarray(bone.faces, dtype=np.int64)
    if max_triangles is None or len(faces) <= max_triangles:
        return np.asarray(bone.vertices_mm, dtype=float), faces
    if int(max_triangles) < MIN_TRIANGLES:
        raise ParameterError(f"max_triangles must be at least {MIN_TRIANGLES} (fewer lose the bone's shape), "
                             f"got {max_triangles}")
    budget = int(max_triangles)
    per_bone = _SIMPLIFIED.setdefault(bone, {})
    if budget not in per_bone:
        decimate = vtk.vtkQuadricDecimation()
        decimate.SetInputData(polydata(bone.vertices_mm, faces))
        decimate.SetTargetReduction(1.0 - budget / len(faces))
        decimate.VolumePreservationOn()
        decimate.Update()
        simplified = pv.wrap(decimate.GetOutput())
        per_bone[budget] = (np.asarray(simplified.points, dtype=float),
                            simplified.faces.reshape(-1, 4)[:, 1:].astype(np.int64))
    vertices, simplified_faces = per_bone[budget]
    return vertices.copy(), simplified_faces.copy()


def coarse_copy(mesh: pv.PolyData) -> pv.PolyData:
    """A few-triangle copy of ``mesh`` (quadric clustering on a :data:`GHOST_GRID` grid) for the ghost."""
    cluster = vtk.vtkQuadricClustering()
    cluster.SetInputData(mesh)
    cluster.SetNumberOfDivisions(GHOST_GRID, GHOST_GRID, GHOST_GRID)
    cluster.AutoAdjustNumberOfDivisionsOff()
    cluster.Update()
    return pv.wrap(cluster.GetOutput())


_CLOSED: weakref.WeakKeyDictionary[Bone, dict[int | None, bool]] = weakref.WeakKeyDictionary()
_LOCATORS: weakref.WeakKeyDictionary[Bone, dict[int | None, vtk.vtkOBBTree]] = weakref.WeakKeyDictionary()


def surface_is_closed(bone: Bone, max_triangles: int | None = None) -> bool:
    """Whether the bone's surface at this budget (:func:`bone_surface`) is closed (cached per bone)."""
    per_bone = _CLOSED.setdefault(bone, {})
    if max_triangles not in per_bone:
        per_bone[max_triangles] = bool(is_closed(bone_surface(bone, max_triangles)[1]))
    return per_bone[max_triangles]


def surface_locator(bone: Bone, max_triangles: int | None = None) -> vtk.vtkOBBTree:
    """An OBB tree of the bone's surface at neutral at this budget, for ray tests (cached per bone)."""
    per_bone = _LOCATORS.setdefault(bone, {})
    if max_triangles not in per_bone:
        tree = vtk.vtkOBBTree()
        tree.SetDataSet(polydata(*bone_surface(bone, max_triangles)))
        tree.BuildLocator()
        per_bone[max_triangles] = tree
    return per_bone[max_triangles]


def sacral_midline_z_mm(anatomy) -> float:
    """Where the sacrum is cut in two: half-way between the centroids of its two auricular surfaces (mm, Z)."""
    return 0.5 * (anatomy.point("auricular_sacrum_left_centroid")[2] + anatomy.point("auricular_sacrum_right_centroid")[2])


def section(mesh: pv.PolyData, plane: vtk.vtkPlane) -> tuple[pv.PolyData, pv.PolyData]:
    """Where ``plane`` cuts the closed ``mesh``: (outline as joined polylines, cap filling it)."""
    cutter = vtk.vtkCutter()
    cutter.SetInputData(mesh)
    cutter.SetCutFunction(plane)
    stripper = vtk.vtkStripper()
    stripper.SetInputConnection(cutter.GetOutputPort())
    stripper.Update()
    outline = pv.wrap(stripper.GetOutput())
    fill = vtk.vtkContourTriangulator()
    fill.SetInputData(outline)
    fill.Update()
    return outline, pv.wrap(fill.GetOutput())
