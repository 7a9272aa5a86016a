"""Mutation testing for the modules that decide what a student sees.

Each *mutant* is one small, realistic bug put into a copy of the source (a sign flipped, an
operator or comparison swapped, a constant changed, an axis index moved, "left" written for
"right" in a label ...). The tests that cover the mutated module are run against it; the mutant is
*killed* when they fail, and *survives* when they all pass — a bug the suite would let through.

Usage (from the repository root, with the project's venv active)::

    python tools/mutate.py                     # every module, 2 workers, writes docs/testing.md
    python tools/mutate.py --modules pose,joints --max-per-module 40 --no-docs
    python tools/mutate.py --list              # print the mutants, run nothing

What it does:

- copies the repository (no ``.git``) once per worker into a temporary folder and runs
  ``pytest -x -q`` there with ``PYTHONPATH`` pointing at the copy's ``src`` (the editable install
  is shadowed), one mutant at a time — edits to the working tree during a run change nothing;
- runs only the test files listed for the mutated module in :data:`MODULES` (``-x`` stops at
  the first failure), with a timeout of ``max(20 s, 4 × the clean run)``; a timeout counts as
  killed (an endless loop is a failure a user would notice), reported separately;
- samples at most ``--max-per-module`` mutants per module (seeded, reproducible), since the
  render-path tests take tens of seconds per run;
- checks first that every module's tests pass on the unmutated copy, and refuses to go on if not;
- writes the results to ``docs/testing.md`` between the ``<!-- mutation results -->`` markers,
  with every survivor and its explanation from ``tools/mutation_notes.toml`` (survivors without a
  note are listed as "not yet explained"), and the raw results to ``--json``.

Nothing here is imported by pelvisim; it needs only the standard library and pytest.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import dataclasses
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "testing.md"
NOTES = ROOT / "tools" / "mutation_notes.toml"
BEGIN, END = "<!-- mutation results: begin (tools/mutate.py writes this part) -->", "<!-- mutation results: end -->"

# module (path under src/pelvisim) -> (test files to run, scope, max mutants by default)
# scope "all": every mutable expression; "constants": module-level numeric assignments only.
MODULES: dict[str, dict] = {
    "descriptors.py": {"tests": ["test_descriptors.py", "test_findings_signs.py", "test_descriptor_words.py",
                                 "test_readout_details.py", "test_signatures.py", "test_body_frame.py",
                                 "test_descriptors_leg_length.py", "test_cli_describe.py",
                                 # the readout tests of the second readouts round (review of issue 10)
                                 "test_midlines.py", "test_naming_posture.py", "test_palpability_bands.py", "test_symmetric_sacral_shifts.py", "test_whole_pelvis.py", "test_lying_words.py", "test_json_frames.py", "test_direction_words.py", "test_summary_details.py"], "scope": "all"},
    "naming.py": {"tests": ["test_readout_details.py", "test_signatures.py", "test_descriptor_words.py", "test_descriptors.py",
                            "test_findings_signs.py", "test_naming_posture.py", "test_symmetric_sacral_shifts.py",
                            "test_lying_words.py", "test_naming_details.py"], "scope": "all"},
    "body_frame.py": {"tests": ["test_body_frame.py", "test_readout_details.py", "test_findings_signs.py", "test_descriptors.py",
                                "test_descriptor_words.py", "test_descriptors_leg_length.py", "test_whole_pelvis.py",
                                "test_lying_words.py", "test_midlines.py"], "scope": "all"},
    "joints.py": {"tests": ["test_joints.py", "test_findings_signs.py", "test_descriptor_words.py", "test_signatures.py",
                            "test_model_labels.py", "test_models.py", "test_descriptors.py"], "scope": "all"},
    "models.py": {"tests": ["test_models.py", "test_model_labels.py", "test_findings_signs.py", "test_signatures.py",
                            "test_descriptors.py", "test_scene.py", "test_cli_describe.py"], "scope": "all"},
    "ring_models.py": {"tests": ["test_ring_models.py", "test_ring_model_parameters.py", "test_calibration.py",
                                 "test_descriptors_leg_length.py", "test_cli_describe.py",
                                 # the soft-tissue ring and the claims use its hip constraints and solutions
                                 "test_tissue_ring.py", "test_tissue_models.py", "test_closure.py", "test_claims.py", "test_ring_model_paths.py"],
                       "scope": "all"},
    "pose.py": {"tests": ["test_pose.py", "test_models.py", "test_descriptors.py"], "scope": "all"},
    "mechanics.py": {"tests": ["test_calibration.py", "test_mechanics.py", "test_ring_models.py",
                               # the disc-only symphysis and the ligament constants live in the tissue ring
                               "test_tissue_ring.py", "test_tissue_models.py", "test_ligaments.py", "test_closure.py"],
                     "scope": "constants"},
    "scene.py": {"tests": ["test_scene.py", "test_scene_rules.py", "test_scene_limits.py", "test_scene_fuzz.py", "test_cli_render.py", "test_readout_labels.py", "test_scene_key_lines.py",
                           "test_descriptors_leg_length.py"], "scope": "all", "markers": "not render"},
    "view/render.py": {"tests": ["test_render.py", "test_render_stage.py", "test_record.py", "test_cli_render.py"],
                       "scope": "all"},
    "view/writers.py": {"tests": ["test_writers_text.py", "test_writers_atomic.py", "test_render.py", "test_record.py", "test_cli_render.py"],
                        "scope": "all", "own_tests": ["test_writers_atomic.py"]},
    "output.py": {"tests": ["test_output.py", "test_output_details.py", "test_writers_atomic.py"], "scope": "all",
                  "own_tests": ["test_output.py", "test_writers_atomic.py"]},
}
"""Which test files cover which module. Add new test files here (a missing file is skipped with a warning;
a module with ``own_tests`` is not run at all until one of those files exists: the writers' own
tests come with the hardening branch)."""
DEFAULT_MAX_PER_MODULE = {"view/render.py": 12, "view/writers.py": 12}
"""The render path's tests take about a minute per run: a small seeded sample keeps the run under 30 min."""
DEFAULT_MAX = 200
"""Larger modules are sampled to this many mutants (seeded): ±3 % on a kill rate near 85 %."""

# Words whose swap turns a correct label into a wrong lesson.
WORD_SWAPS = [("left", "right"), ("anterior", "posterior"), ("superior", "inferior"), ("medial", "lateral"),
              ("higher", "lower"), ("inflare", "outflare"), ("nutation", "counternutation"), ("up", "down"),
              ("forward", "backward"), ("longer", "shorter"), ("deeper", "shallower"), ("flexion", "extension")]
SWAP = {a: b for a, b in WORD_SWAPS} | {b: a for a, b in WORD_SWAPS}
WORD_RE = re.compile(r"\b(" + "|".join(sorted(SWAP, key=len, reverse=True)) + r")\b(?! to\b)")  # not "up to"

BINOPS = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*"),
          ast.FloorDiv: ("//", "/"), ast.Pow: ("**", "*"), ast.Mod: ("%", "//")}
CMPOPS = {ast.Lt: ("<", ">="), ast.LtE: ("<=", ">"), ast.Gt: (">", "<="), ast.GtE: (">=", "<"),
          ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is"),
          ast.In: ("in", "not in"), ast.NotIn: ("not in", "in")}
TINY = 1e-6  # numeric guards (tolerances, eps) are not behaviour: their constants are not mutated
PROSE_WORDS = 8  # strings longer than this many words are prose (claims, sources), not labels


@dataclasses.dataclass(frozen=True)
class Mutant:
    module: str
    line: int
    operator: str
    original: str
    replacement: str
    start: int  # character offsets in the module text
    end: int

    @property
    def key(self) -> str:
        """Stable identity for the notes file: module, the stripped source line, the change."""
        return f"{self.module} | {self.operator} | {self.original} -> {self.replacement}"

    def source_line(self, text: str) -> str:
        return text.splitlines()[self.line - 1].strip()

    def note_key(self, text: str) -> str:
        """``module:line-hash:operator:change-hash`` — plain characters, stable while the line is unchanged."""
        line = hashlib.sha1(self.source_line(text).encode()).hexdigest()[:8]
        change = hashlib.sha1(f"{self.original}->{self.replacement}".encode()).hexdigest()[:6]
        return f"{self.module}:{line}:{self.operator.replace(' ', '-')}:{change}"


# --- finding mutants ----------------------------------------------------------------------------
class _Finder(ast.NodeVisitor):
    def __init__(self, module: str, text: str, scope: str) -> None:
        self.module, self.text, self.scope = module, text, scope
        self.offsets = [0]
        for line in text.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))
        self.lines = text.splitlines()
        self.out: list[Mutant] = []
        self.skip_nodes: set[int] = set()
        self.depth = 0  # function/class nesting (constants scope: module level only)

    def pos(self, lineno: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets
        line = self.lines[lineno - 1]
        return self.offsets[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.pos(node.lineno, node.col_offset), self.pos(node.end_lineno, node.end_col_offset)

    def add(self, node: ast.AST, operator: str, start: int, end: int, replacement: str) -> None:
        if "no mutate" in self.lines[node.lineno - 1]:
            return
        self.out.append(Mutant(self.module, node.lineno, operator, self.text[start:end], replacement, start, end))

    # structure
    def visit_FunctionDef(self, node):  # noqa: N802
        self._docstring(node)
        for d in node.decorator_list:
            self.skip_nodes.add(id(d))
        if self.scope == "constants":
            return
        self.depth += 1
        for child in node.body:
            self.visit(child)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):  # noqa: N802
        self._docstring(node)
        if self.scope == "constants":
            return
        self.depth += 1
        for child in node.body:
            self.visit(child)
        self.depth -= 1

    def visit_Module(self, node):  # noqa: N802
        self._docstring(node)
        for child in node.body:
            self.visit(child)

    def _docstring(self, node):
        body = getattr(node, "body", [])
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                self.skip_nodes.add(id(stmt.value))  # docstrings, also attribute docstrings after assignments

    def visit_Import(self, node):  # noqa: N802
        return

    visit_ImportFrom = visit_Import

    def visit_AnnAssign(self, node):  # noqa: N802
        if node.value is not None:
            self.visit(node.value)

    def visit_arg(self, node):  # noqa: N802
        return  # annotations

    def visit_Raise(self, node):  # noqa: N802
        return  # error messages: their wording is checked by the hardening tests, not a lesson

    def visit_Assert(self, node):  # noqa: N802
        return  # internal consistency checks, not behaviour

    def visit_Assign(self, node):  # noqa: N802
        if self.scope == "constants" and self.depth == 0 and not self._numeric(node.value):
            return
        self.generic_visit(node)

    def visit_Expr(self, node):  # noqa: N802
        if id(node.value) in self.skip_nodes:
            return
        self.generic_visit(node)

    @staticmethod
    def _numeric(node) -> bool:
        return all(isinstance(n, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Name, ast.Attribute, ast.Call, ast.Tuple,
                                  ast.operator, ast.unaryop, ast.Load, ast.keyword))
                   for n in ast.walk(node)) and any(isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
                                                    and not isinstance(n.value, bool) for n in ast.walk(node))

    # operators
    def visit_Subscript(self, node):  # noqa: N802
        s = node.slice
        if isinstance(s, ast.Constant) and type(s.value) is int and s.value in (0, 1, 2) and self.scope == "all":
            start, end = self.span(s)
            self.add(s, "axis index", start, end, str((s.value + 1) % 3))
            self.skip_nodes.add(id(s))
        self.generic_visit(node)

    def visit_Constant(self, node):  # noqa: N802
        if id(node) in self.skip_nodes:
            return
        v = node.value
        start, end = self.span(node)
        if isinstance(v, bool):
            if self.scope == "all":
                self.add(node, "boolean", start, end, str(not v))
        elif isinstance(v, (int, float)):
            if v != 0 and abs(v) <= TINY:
                return
            if isinstance(v, int):
                new = "1" if v == 0 else ("0" if v == 1 else str(v + 1))
            else:
                new = "1.0" if v == 0 else repr(v * 2.0)
            self.add(node, "constant", start, end, new)
        elif isinstance(v, str) and self.scope == "all":
            self._words(node, start, end)

    def visit_JoinedStr(self, node):  # noqa: N802
        if self.scope != "all" or id(node) in self.skip_nodes:
            return
        start, end = self.span(node)
        self._words(node, start, end)
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value.value)

    def _words(self, node, start, end):
        segment = self.text[start:end]
        if len(segment.split()) > PROSE_WORDS:
            return  # claims, evidence and citations are prose, reviewed by people, not tests
        m = WORD_RE.search(segment)
        if m:
            word = m.group(1)
            new = segment[: m.start()] + SWAP[word] + segment[m.end():]
            if "no mutate" not in self.lines[node.lineno - 1]:
                self.out.append(Mutant(self.module, node.lineno, "label word", segment, new, start, end))

    def visit_UnaryOp(self, node):  # noqa: N802
        start, end = self.span(node)
        operand_start, operand_end = self.span(node.operand)
        if isinstance(node.op, ast.USub) and self.scope == "all":
            self.add(node, "sign", start, end, self.text[operand_start:operand_end])
        elif isinstance(node.op, ast.Not):
            self.add(node, "negation", start, end, self.text[operand_start:operand_end])
        self.generic_visit(node)

    def visit_BinOp(self, node):  # noqa: N802
        pair = BINOPS.get(type(node.op))
        if pair:
            left_end = self.span(node.left)[1]
            right_start = self.span(node.right)[0]
            between = self.text[left_end:right_start]
            i = between.find(pair[0])
            if i >= 0 and not (pair[0] == "*" and between[i:i + 2] == "**") and not (pair[0] == "/" and between[i:i + 2] == "//"):
                s = left_end + i
                self.add(node, "operator", s, s + len(pair[0]), pair[1])
        self.generic_visit(node)

    def visit_Compare(self, node):  # noqa: N802
        prev = node.left
        for op, comp in zip(node.ops, node.comparators):
            pair = CMPOPS[type(op)]
            a, b = self.span(prev)[1], self.span(comp)[0]
            between = self.text[a:b]
            token = re.search(r"not\s+in|is\s+not|<=|>=|==|!=|<|>|\bin\b|\bis\b", between)
            if token:
                s = a + token.start()
                self.add(node, "comparison", s, a + token.end(), pair[1])
            prev = comp
        self.generic_visit(node)

    def visit_BoolOp(self, node):  # noqa: N802
        word, other = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        for left, right in zip(node.values, node.values[1:]):
            a, b = self.span(left)[1], self.span(right)[0]
            m = re.search(rf"\b{word}\b", self.text[a:b])
            if m:
                self.add(node, "boolean operator", a + m.start(), a + m.end(), other)
        self.generic_visit(node)


def find_mutants(module: str, scope: str) -> list[Mutant]:
    text = (ROOT / "src" / "pelvisim" / module).read_text(encoding="utf-8")
    finder = _Finder(module, text, scope)
    finder.visit(ast.parse(text))
    out, seen = [], set()
    for m in sorted(finder.out, key=lambda m: (m.start, m.operator)):
        mutated = text[: m.start] + m.replacement + text[m.end:]
        if (m.start, m.end, m.replacement) in seen or mutated == text:
            continue
        try:
            compile(mutated, module, "exec")
        except SyntaxError:
            continue
        seen.add((m.start, m.end, m.replacement))
        out.append(m)
    return out


# --- running ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Result:
    mutant: Mutant
    outcome: str  # killed | survived | timeout
    seconds: float
    failing_test: str = ""


def _test_files(module: str) -> list[str]:
    present = [t for t in MODULES[module]["tests"] if (ROOT / "tests" / t).exists()]
    for t in MODULES[module]["tests"]:
        if t not in present:
            print(f"warning: {module}: test file tests/{t} not found, skipped", file=sys.stderr)
    return present


DESELECT: list[str] = []
"""Test ids to leave out (``--deselect``): tests that fail on the unmutated code, reported in the results."""


def _pytest_args(module: str) -> list[str]:
    spec = MODULES[module]
    files = _test_files(module)
    args = ["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts=--strict-markers",
            *[f"tests/{t}" for t in files]]
    args += [f"--deselect={d}" for d in DESELECT if d.split("::")[0].removeprefix("tests/") in files]
    return args + (["-m", spec["markers"]] if spec.get("markers") else [])


def serve() -> None:
    """Worker loop (``--serve``): import the heavy libraries once, then fork one pytest per request.

    Each request is a JSON line ``{"args": [...], "timeout": s}`` on stdin; the answer a JSON line
    ``{"outcome", "seconds", "failing"}`` on stdout. pelvisim itself is never imported here, so every
    forked child imports the (mutated) sources fresh from disk.
    """
    import signal

    import numpy  # noqa: F401
    import pytest
    import scipy.linalg  # noqa: F401
    import scipy.optimize  # noqa: F401
    import scipy.spatial  # noqa: F401

    try:
        import hypothesis  # noqa: F401
    except ImportError:  # pragma: no cover
        pass
    assert not any(name == "pelvisim" or name.startswith("pelvisim.") for name in sys.modules)
    answer = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        log = Path(tempfile.mkstemp(prefix="mutant-", suffix=".log")[1])
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # child: its own process group, so a timeout also ends ffmpeg & co.
            os.setpgrp()
            fd = os.open(log, os.O_WRONLY | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            try:
                code = int(pytest.main(request["args"]))
            except BaseException:  # noqa: BLE001
                code = 99
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        deadline = t0 + float(request["timeout"])
        status = None
        while status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
            elif time.perf_counter() > deadline:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                status = "timeout"
            else:
                time.sleep(0.02)
        seconds = time.perf_counter() - t0
        out = log.read_text(encoding="utf-8", errors="replace")
        log.unlink()
        if status == "timeout":
            result = {"outcome": "timeout", "seconds": seconds, "failing": ""}
        elif status == 0:
            result = {"outcome": "survived", "seconds": seconds, "failing": ""}
        else:
            failing = re.findall(r"^(?:FAILED|ERROR) (\S+)", out, flags=re.M)
            result = {"outcome": "killed", "seconds": seconds, "failing": failing[0] if failing else f"exit {status}"}
        answer.write(json.dumps(result) + "\n")
        answer.flush()


class Worker:
    """A private copy of the repository (sources, tests, examples, docs; no .git) and its fork server."""

    def __init__(self, index: int, base: Path) -> None:
        self.tree = base / f"worker{index}"
        shutil.copytree(ROOT, self.tree, ignore=shutil.ignore_patterns(".git", "build", "__pycache__", "*.pyc",
                                                                      ".pytest_cache", ".hypothesis", "mutants"))
        env = dict(os.environ, PYTHONPATH=str(self.tree / "src"), PYTHONDONTWRITEBYTECODE="1")
        env.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
        self.server = subprocess.Popen([sys.executable, str(self.tree / "tools" / "mutate.py"), "--serve"],
                                       cwd=self.tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def pytest(self, module: str, timeout: float) -> tuple[str, float, str]:
        self.server.stdin.write(json.dumps({"args": _pytest_args(module), "timeout": timeout}) + "\n")
        self.server.stdin.flush()
        answer = json.loads(self.server.stdout.readline())
        return answer["outcome"], answer["seconds"], answer["failing"]

    def run(self, mutant: Mutant, timeout: float) -> Result:
        path = self.tree / "src" / "pelvisim" / mutant.module
        original = path.read_text(encoding="utf-8")
        path.write_text(original[: mutant.start] + mutant.replacement + original[mutant.end:], encoding="utf-8")
        try:
            outcome, seconds, failing = self.pytest(mutant.module, timeout)
        finally:
            path.write_text(original, encoding="utf-8")
        return Result(mutant, outcome, seconds, failing)

    def close(self) -> None:
        self.server.stdin.close()
        self.server.wait(timeout=30)


def _run_all(workers: list[Worker], wanted: list[str], plan) -> tuple[list[Result] | None, dict[str, float]]:
    clean: dict[str, float] = {}
    for module in wanted:  # the unmutated copy must pass, and gives each module's time budget
        outcome, seconds, failing = workers[0].pytest(module, 3600)
        if outcome != "survived":
            print(f"{module}: its tests fail WITHOUT any mutation ({failing}); fix that first", file=sys.stderr)
            return None, clean
        clean[module] = seconds
        print(f"clean run {module}: {seconds:.1f} s", flush=True)
    jobs = [m for module in wanted for m in plan[module][1]]
    results: list[Result] = []
    free = list(workers)
    with concurrent.futures.ThreadPoolExecutor(len(workers)) as pool:
        pending = {}
        queue = list(jobs)
        while queue or pending:
            while queue and free:
                worker, mutant = free.pop(), queue.pop(0)
                timeout = max(20.0, 4.0 * clean[mutant.module])
                pending[pool.submit(worker.run, mutant, timeout)] = worker
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                free.append(pending.pop(future))
                r = future.result()
                results.append(r)
                print(f"[{len(results)}/{len(jobs)}] {r.outcome:8s} {r.seconds:5.1f}s {r.mutant.module}:{r.mutant.line} "
                      f"{r.mutant.operator}: {r.mutant.original!r} -> {r.mutant.replacement!r}", flush=True)
    return results, clean


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", default=",".join(MODULES), help="comma-separated, e.g. pose.py,joints.py")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-per-module", type=int, default=None,
                        help=f"sample at most this many mutants per module (default {DEFAULT_MAX}; render path 12)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--json", default=str(ROOT / "build" / "mutation-results.json"))
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/testing.md")
    parser.add_argument("--deselect", action="append", default=[], metavar="TEST_ID",
                        help="leave out a test that fails on the unmutated code (repeatable; listed in the results)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # internal: worker loop
    parser.add_argument("--docs-from", metavar="RESULTS_JSON",
                        help="rewrite docs/testing.md from a results file (with the current notes), then exit")
    parser.add_argument("--notes-template", metavar="RESULTS_JSON",
                        help="print TOML lines for the survivors of a results file that have no note yet, then exit")
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return 0
    DESELECT.extend(args.deselect)
    if args.docs_from:
        data = json.loads(Path(args.docs_from).read_text(encoding="utf-8"))
        notes = _notes()
        for m in data["modules"].values():
            for sv in m["survivors"]:
                sv["why"] = notes.get(sv["note_key"], "")
        _write_docs(_markdown(data))
        return 0
    if args.notes_template:
        data = json.loads(Path(args.notes_template).read_text(encoding="utf-8"))
        for module, m in data["modules"].items():
            for sv in m["survivors"]:
                if not sv["why"]:
                    print(f'# {module}:{sv["line"]} {sv["operator"]}: {_short(sv["original"], 40)} -> '
                          f'{_short(sv["replacement"], 40)} | {_short(sv["source"], 80)}')
                    print(f'"{sv["note_key"]}" = ""')
        return 0

    wanted = [m if m.endswith(".py") else f"{m}.py" for m in args.modules.split(",") if m]
    unknown = [m for m in wanted if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; choose from {', '.join(MODULES)}")
    for module in list(wanted):
        own = MODULES[module].get("own_tests")
        if own and not any((ROOT / "tests" / t).exists() for t in own):
            print(f"{module}: none of its own test files ({', '.join(own)}) exists yet: not run", file=sys.stderr)
            wanted.remove(module)
    rng = random.Random(args.seed)
    plan: dict[str, tuple[int, list[Mutant]]] = {}
    for module in wanted:
        mutants = find_mutants(module, MODULES[module]["scope"])
        cap = args.max_per_module or DEFAULT_MAX_PER_MODULE.get(module, DEFAULT_MAX)
        chosen = sorted(rng.sample(mutants, cap), key=lambda m: m.start) if cap and cap < len(mutants) else mutants
        plan[module] = (len(mutants), chosen)
    if args.list:
        for module, (total, chosen) in plan.items():
            text = (ROOT / "src" / "pelvisim" / module).read_text(encoding="utf-8")
            print(f"# {module}: {len(chosen)} of {total}")
            for m in chosen:
                print(f"{module}:{m.line} [{m.operator}] {m.original!r} -> {m.replacement!r}   | {m.source_line(text)}")
        return 0

    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pelvisim-mutate-") as tmp:
        workers = [Worker(i, Path(tmp)) for i in range(max(1, args.workers))]
        try:
            results, clean = _run_all(workers, wanted, plan)
        finally:
            for worker in workers:
                worker.close()
    if results is None:
        return 2
    elapsed = time.perf_counter() - t_start
    summary = _summary(plan, results, clean, elapsed, args)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    report = _markdown(summary)
    print(report)
    if not args.no_docs:
        _write_docs(report)
    return 0


def _summary(plan, results, clean, elapsed, args) -> dict:
    notes = _notes()
    modules = {}
    for module, (total, chosen) in plan.items():
        rs = [r for r in results if r.mutant.module == module]
        text = (ROOT / "src" / "pelvisim" / module).read_text(encoding="utf-8")
        modules[module] = {
            "found": total, "run": len(rs), "killed": sum(r.outcome == "killed" for r in rs),
            "timeout": sum(r.outcome == "timeout" for r in rs), "survived": sum(r.outcome == "survived" for r in rs),
            "tests": MODULES[module]["tests"] + ([f"-m '{MODULES[module]['markers']}'"] if MODULES[module].get("markers") else []),
            "scope": MODULES[module]["scope"], "clean_run_s": round(clean[module], 1),
            "survivors": [{"line": r.mutant.line, "operator": r.mutant.operator, "original": r.mutant.original,
                           "replacement": r.mutant.replacement, "source": r.mutant.source_line(text),
                           "note_key": r.mutant.note_key(text),
                           "why": notes.get(r.mutant.note_key(text), "")}
                          for r in sorted(rs, key=lambda r: r.mutant.start) if r.outcome == "survived"],
        }
    return {"elapsed_s": round(elapsed, 1), "workers": args.workers, "seed": args.seed, "deselected": list(DESELECT),
            "python": sys.version.split()[0], "modules": modules}


def _notes() -> dict[str, str]:
    return tomllib.loads(NOTES.read_text(encoding="utf-8")).get("survivor", {}) if NOTES.exists() else {}


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def _markdown(summary: dict) -> str:
    mods = summary["modules"]
    run = sum(m["run"] for m in mods.values())
    killed = sum(m["killed"] + m["timeout"] for m in mods.values())
    lines = [BEGIN, "",
             f"Last run: {run} mutants over {len(mods)} modules in {summary['elapsed_s'] / 60:.1f} min "
             f"({summary['workers']} workers, seed {summary['seed']}, Python {summary['python']}); "
             f"**{killed} killed ({100.0 * killed / max(run, 1):.1f} %)**, {run - killed} survived."
             + (f" Left out because they fail on the unmutated code: {', '.join(f'`{d}`' for d in summary['deselected'])}."
                if summary.get("deselected") else ""),
             "", "| module | scope | mutants found | run | killed (of which timeout) | survived | kill rate | tests run per mutant |",
             "|---|---|---|---|---|---|---|---|"]
    for name, m in mods.items():
        k = m["killed"] + m["timeout"]
        rate = f"{100.0 * k / m['run']:.1f} %" if m["run"] else "—"
        lines.append(f"| {name} | {m['scope']} | {m['found']} | {m['run']} | {k} ({m['timeout']}) | {m['survived']} | "
                     f"{rate} | {', '.join(m['tests'])} |")
    lines += ["", "### Survivors", "",
              "Each survivor is a change the listed tests let through. *Why* comes from "
              "`tools/mutation_notes.toml` (keyed by module, a hash of the source line and the change), so it "
              "follows the line through re-runs; a survivor without a note is new and needs a look.", ""]
    for name, m in mods.items():
        if not m["survivors"]:
            continue
        lines += [f"#### {name}", "", "| line | change | source line | why it survives / what would catch it |",
                  "|---|---|---|---|"]
        for s in m["survivors"]:
            change = f"{s['operator']}: `{_short(s['original'], 30)}` → `{_short(s['replacement'], 30)}`"
            lines.append(f"| {s['line']} | {change} | `{_short(s['source'])}` | {s['why'] or '**not yet explained**'} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def _write_docs(report: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + report + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + report + "\n"
    tmp = DOCS.with_name(f".{DOCS.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, DOCS)


if __name__ == "__main__":
    sys.exit(main())
