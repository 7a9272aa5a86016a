"""Render one still of a model with its overlays to a PNG (offscreen)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")  # headless machines

import pyvista as pv

import pelvisim
from pelvisim.descriptors import describe
from pelvisim.models import joint_state
from pelvisim.view import Panel

out = Path(sys.argv[1] if len(sys.argv) > 1 else "sacral_torsion.png")
anatomy = pelvisim.load_anatomy()
state = joint_state(anatomy, "sacral_torsion", {"axis": "left_oblique", "direction": "left", "angle_deg": 2.0})

plotter = pv.Plotter(off_screen=True, window_size=(800, 608))
panel = Panel(plotter, anatomy, title="Left-on-left sacral torsion", overlays=["ghost", "axes", "landmarks", "descriptors"])
panel.update(pelvisim.pose(anatomy, state, magnification=10), describe(anatomy, state))
panel.set_view("posterior")
plotter.render()
plotter.screenshot(str(out))
plotter.close()
print(f"wrote {out}")
