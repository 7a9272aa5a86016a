"""pelvisim: pelvic-ring biomechanics for teaching.

The public API is pure Python + numpy/scipy and never imports the view (pyvista / Qt)::

    import pelvisim
    anatomy = pelvisim.load_anatomy()          # the bundled mean pelvis
"""

from __future__ import annotations

__version__ = "0.1.0"

from pelvisim.anatomy import Anatomy, Bone, Landmark, load_anatomy  # noqa: E402
from pelvisim.errors import (  # noqa: E402
    LandmarkError,
    MeshError,
    ParameterError,
    PelvisimError,
    SceneError,
)
from pelvisim.pose import JointState, Pose, pose  # noqa: E402

__all__ = [
    "Anatomy",
    "Bone",
    "JointState",
    "Landmark",
    "LandmarkError",
    "MeshError",
    "ParameterError",
    "PelvisimError",
    "Pose",
    "SceneError",
    "__version__",
    "load_anatomy",
    "pose",
]
