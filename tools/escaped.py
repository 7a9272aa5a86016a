"""Re-apply the bugs that once escaped the suite (issue 12) and list the tests that now catch each.

Usage (repository root, project venv active)::

    python tools/escaped.py            # every named bug
    python tools/escaped.py psis_sign  # one of them

Each bug is a text replacement in one source file, made in a private copy of the repository (no
``.git``), followed by a run of the whole non-GUI suite there; tests that already fail without any bug are listed once and left out. A bug whose text is no longer
found (the code was rewritten) is reported as such: update its pattern here. Exit status 1 when
any bug is caught by no test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TURN = '''    source = json.loads((folder / "landmarks.json").read_text(encoding="utf-8")).get("source", "")
    from pelvisim import frames as _f  # ESCAPED BUG: the left innominate turned 1° about a vertical axis
    _T = _f.rotation_about_axis(_f.Y_SUPERIOR, np.radians({angle}), lms["auricular_innominate_left_centroid"].position_mm)
    bones["innominate_left"] = Bone("innominate_left", _f.apply(_T, bones["innominate_left"].vertices_mm),
                                    bones["innominate_left"].faces)
    for _n, _l in list(lms.items()):
        if _l.bone == "innominate_left":
            lms[_n] = Landmark(_n, _l.bone, _f.apply(_T, _l.position_mm),
                               None if _l.normal is None else _T[:3, :3] @ _l.normal, _l.radius_mm, _l.area_mm2)'''
SOURCE_LINE = '''    source = json.loads((folder / "landmarks.json").read_text(encoding="utf-8")).get("source", "")'''

# name -> (file under src/pelvisim, old text, new text, what it means)
BUGS: dict[str, tuple[str, str, str, str]] = {
    "psis_sign": ("descriptors.py", 'lambda p, side: float(p[f"psis_{side}"][1])', 'lambda p, side: -float(p[f"psis_{side}"][1])',
                  "1. the sign of the 'PSIS height difference' finding flipped"),
    "sij_scale_40": ("mechanics.py", "SIJ_IN_VIVO_SCALE = 18.0", "SIJ_IN_VIVO_SCALE = 40.0",
                     "2. SIJ_IN_VIVO_SCALE 18 -> 40 (single-leg stance 0.36° -> 0.17°)"),
    "gait_magnified": ("pose.py", "    W = state.T_world_pelvis\n", "    W = frames.power(state.T_world_pelvis, magnification)\n",
                       "4. whole-pelvis gait motion magnified with the intrapelvic motion"),
    "hips_magnified": ("pose.py", 'T_world[f"innominate_{side}"] @ state.T_innominate_femur[side]',
                       'T_world[f"innominate_{side}"] @ frames.power(state.T_innominate_femur[side], magnification)',
                       "4b. hip angles magnified with the intrapelvic motion"),
    "left_turned_plus_1deg": ("anatomy/io.py", SOURCE_LINE, TURN.format(angle=1.0),
                              "a left innominate (mesh and landmarks) turned +1° about a vertical axis through its SIJ"),
    "left_turned_minus_1deg": ("anatomy/io.py", SOURCE_LINE, TURN.format(angle=-1.0),
                               "the same turn, -1°"),
    "left_mesh_turned_plus_1deg": ("anatomy/io.py", SOURCE_LINE, TURN.format(angle=1.0).split("\n    for _n")[0],
                                   "the left innominate mesh alone turned +1° (landmarks left in place)"),
}
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts=--strict-markers",
          "-m", "not render", "--ignore=tests/test_app.py", "--ignore=tests/test_panel.py", "--ignore=tests/test_record.py",
          "tests"]


def run(name: str | None, base: Path) -> list[str] | None:
    """Failing test ids with bug ``name`` applied (``None``: the unmutated code, the baseline)."""
    tree = base / (name or "baseline")
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", "build", "__pycache__", "*.pyc", ".hypothesis"))
    if name is not None:
        module, old, new, _ = BUGS[name]
        path = tree / "src" / "pelvisim" / module
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            return None
        path.write_text(text.replace(old, new), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(PYTEST, cwd=tree, env=env, capture_output=True, text=True)
    return re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.M) or ([] if proc.returncode == 0 else [f"exit {proc.returncode}"])


def main(argv: list[str]) -> int:
    names = argv or list(BUGS)
    escaped = 0
    with tempfile.TemporaryDirectory(prefix="pelvisim-escaped-") as tmp:
        baseline = set(run(None, Path(tmp)) or [])
        if baseline:
            print(f"failing WITHOUT any bug (left out below): {len(baseline)} test(s)")
            for test in sorted(baseline):
                print(f"   - {test}")
        for name in names:
            caught = run(name, Path(tmp))
            if caught is not None:
                caught = [t for t in caught if t not in baseline]
            print(f"\n== {name}: {BUGS[name][3]}")
            if caught is None:
                print("   pattern not found in the source: update tools/escaped.py")
                escaped += 1
            elif not caught:
                print("   ESCAPED: no test fails")
                escaped += 1
            else:
                print(f"   caught by {len(caught)} test(s):")
                for test in caught:
                    print(f"   - {test}")
    return 1 if escaped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
