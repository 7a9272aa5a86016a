"""Flat 2D shapes drawn over a renderer in normalised viewport coordinates (0–1, origin lower left):
the title card's veil, the gait strip's bars and cursor."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyvista as pv
import vtk
from vtkmodules.util.numpy_support import numpy_to_vtk


def quads(rects: Sequence[tuple[float, float, float, float]]) -> vtk.vtkPolyData:
    """Filled rectangles ``(x0, x1, y0, y1)`` as one polydata."""
    points, polys = [], vtk.vtkCellArray()
    for x0, x1, y0, y1 in rects:
        base = len(points)
        points += [(x0, y0, 0.0), (x1, y0, 0.0), (x1, y1, 0.0), (x0, y1, 0.0)]
        polys.InsertNextCell(4)
        for k in range(4):
            polys.InsertCellPoint(base + k)
    data = vtk.vtkPolyData()
    vtk_points = vtk.vtkPoints()
    vtk_points.SetData(numpy_to_vtk(np.array(points, dtype=float).reshape(-1, 3), deep=True))
    data.SetPoints(vtk_points)
    data.SetPolys(polys)
    return data


def flat_actor(data: vtk.vtkPolyData, colour: str, opacity: float = 1.0) -> vtk.vtkActor2D:
    """A 2D actor drawing ``data`` (normalised viewport coordinates) in ``colour``."""
    mapper = vtk.vtkPolyDataMapper2D()
    mapper.SetInputData(data)
    coordinate = vtk.vtkCoordinate()
    coordinate.SetCoordinateSystemToNormalizedViewport()
    mapper.SetTransformCoordinate(coordinate)
    actor = vtk.vtkActor2D()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(pv.Color(colour).float_rgb)
    actor.GetProperty().SetOpacity(opacity)
    return actor
