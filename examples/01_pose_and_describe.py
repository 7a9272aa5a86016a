"""Load the bundled pelvis, pose a positional model and read its clinical descriptors."""

import pelvisim
from pelvisim.descriptors import describe
from pelvisim.models import get_model

anatomy = pelvisim.load_anatomy()
flare = get_model("flare")
print(f"{flare.title}: {flare.claim}")

state = flare.joint_state(anatomy, {"left_deg": 1.0})     # true scale, 1° left inflare
shown = pelvisim.pose(anatomy, state, magnification=20)   # for display only
descriptors = describe(anatomy, state)                     # always true scale

print(descriptors.summary)
print("left inflare (deg):", round(descriptors.innominate_left.inflare_deg, 3))
print("left ASIS moved (mm):", [round(v, 2) for v in descriptors.landmarks["asis_left"]["shift_mm"]])
print("displayed innominate matrix (×20):\n", shown.T_world["innominate_left"].round(3))
