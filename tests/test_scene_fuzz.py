"""Fuzzing the scene loader: every mutated scene is a valid Scene or ONE clear SceneError line.

The bundled scenes are mutated (characters inserted, deleted, replaced; lines dropped, doubled,
swapped; values replaced by hostile ones: huge, infinite, negative, deeply nested, very long, wrong
type; unknown and dotted keys; truncation; bytes that are not UTF-8) and fed to the loader. The
contract of :func:`pelvisim.scene.parse` / :func:`pelvisim.scene.load`:

- it returns a :class:`Scene` or raises :class:`SceneError` — never another exception
  (``RecursionError``, ``OverflowError``, ``UnicodeDecodeError``, ``MemoryError`` ...);
- the message is one line (no newline, at most 400 characters) that starts with the file's name,
  followed by ``:LINE:`` with a line that exists in the file when the problem has a line;
- it finishes in well under a second (hypothesis' ``deadline``: a hang detector, not a benchmark;
  the loader takes ~5 ms per case, see benchmarks/bench_scene_fuzz.py for the measured figures).

``FUZZ_CASES`` examples per test (hypothesis, derandomised so CI is reproducible); the two tests
together run 1,200 cases in about 20 s.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pelvisim.errors import SceneError
from pelvisim.scene import Scene, bundled_scene_names, find_scene, load, parse

FUZZ_CASES = 1000
NAME = "fuzz.toml"
BUNDLED = {name: find_scene(name).read_text(encoding="utf-8") for name in bundled_scene_names()}
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_CASES, derandomize=True, database=None,
    deadline=1000,  # ms: a case that takes a second is a hang (the loader needs ~5 ms)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# Values that have broken loaders: out of range, non-finite, huge, nested, long, wrong types.
HOSTILE_VALUES = [
    "1e300", "-1e300", "inf", "-inf", "nan", "0", "-1", "-0.0", "1e-320", "9" * 400, "-" + "9" * 5000,
    "true", "false", '""', '"x"', '"' + "y" * 70_000 + '"', "'" + "\\" * 50 + "'", '"""a\nb"""',
    "[]", "[1, 2, 3]", "[[[[1]]]]", "[" * 1000 + "]" * 1000, "{}", "{ a = 1 }", "{ a = " * 400 + "1" + " }" * 400,
    "1979-05-27T07:32:00Z", "07:32:00", "0x1F", "0o17", "0b101", "+1_000", "1__0", '"\\u0000"', '"\\uD800"',
    '"720p"', '"1080p"', '"7680x7680"', '"99999x99999"', '"flare"', '"gait"', '"keyframes"', "100", "600", "601",
    "1000", "1001", "120", "121", "0.999999", "1.0",
]
HOSTILE_LINES = [
    " " * 4000, "title = \"" + "t" * 60_000 + "\"", "a" + ".b" * 5000 + " = 1", "[" + "x." * 3000 + "y]",
    "[panels.parameters]", "[[timeline.keyframes]]", "[[captions]]", "[camera]\nzoomm = 2", "camera.zoom = 2",
    "panels.model = 1", "magnification.x = 1", "[output]\nsize = \"7680x7680\"", "[timeline]\ncycles = 100\nseconds_per_cycle = 600",
    "[[timeline.keyframes]]\ntime_s = 1e300", "x = 1", "title = 1", "# comment " + "#" * 3000, "\t\t\t",
    "=" * 2000, "'" * 3000, '"' * 3001, "[[" * 1500, "{" * 1500, "\\" * 2000, "\r\n\r\n", "\x00", "\ufeff",
]
LINE_NUMBER = re.compile(r"^fuzz\.toml:(\d+):")


def check_contract(text: str) -> None:
    """parse() gives a Scene or one SceneError line naming the file (and an existing line)."""
    try:
        scene = parse(text, NAME)
    except SceneError as error:
        message = str(error)
        assert message.startswith(NAME), message[:200]
        assert "\n" not in message and len(message) <= 400, message[:200]
        match = LINE_NUMBER.match(message)
        if match:  # a line number must point into the file
            assert 1 <= int(match.group(1)) <= text.count("\n") + 1, message[:200]
        return
    assert isinstance(scene, Scene)


@st.composite
def mutated_scene(draw: st.DrawFn) -> str:
    text = BUNDLED[draw(st.sampled_from(sorted(BUNDLED)))]
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["char", "delete", "value", "line", "drop", "double", "swap", "truncate", "key"]))
        at = draw(st.integers(0, max(0, len(text) - 1)))
        row = draw(st.integers(0, len(lines) - 1))
        if kind == "char":
            text = text[:at] + draw(st.text(min_size=1, max_size=8)) + text[at + 1:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "value":
            key_rows = [i for i, line in enumerate(lines) if re.match(r"\s*[\w.\"']+\s*=", line)]
            if key_rows:
                i = draw(st.sampled_from(key_rows))
                lines[i] = lines[i].split("=", 1)[0] + "= " + draw(st.sampled_from(HOSTILE_VALUES))
            text = "\n".join(lines)
        elif kind == "line":
            lines.insert(row, draw(st.sampled_from(HOSTILE_LINES)))
            text = "\n".join(lines)
        elif kind == "drop":
            del lines[row]
            text = "\n".join(lines)
        elif kind == "double":
            lines.insert(row, lines[row])
            text = "\n".join(lines)
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[row], lines[other] = lines[other], lines[row]
            text = "\n".join(lines)
        elif kind == "truncate":
            text = text[:at]
        else:  # an unknown, dotted or nested key somewhere
            key = draw(st.sampled_from(["colour", "camera.zoomm", "parameters.left_dgr", "overlays.ghostt",
                                        "timeline.kind.x", "output.fps.y", '"quoted key"', "a.b.c.d"]))
            lines.insert(row, f"{key} = {draw(st.sampled_from(HOSTILE_VALUES[:20]))}")
            text = "\n".join(lines)
    return text


@FUZZ_SETTINGS
@given(text=mutated_scene())
def test_mutated_scenes_give_a_scene_or_one_clear_line(text):
    check_contract(text)


@settings(FUZZ_SETTINGS, max_examples=200)
@given(name=st.sampled_from(sorted(BUNDLED)), at=st.integers(0, 3000),
       junk=st.binary(min_size=1, max_size=6).filter(lambda b: _not_utf8(b)))
def test_files_that_are_not_utf8_give_one_line_with_the_line_number(tmp_path_factory, name, at, junk):
    data = BUNDLED[name].encode("utf-8")
    at = min(at, len(data))
    folder = tmp_path_factory.mktemp("fuzz", numbered=True)
    path = folder / NAME
    path.write_bytes(data[:at] + junk + data[at:])
    with pytest.raises(SceneError) as info:
        load(path)
    message = str(info.value)
    # The first byte that is not UTF-8 is in the junk or just before it (a multi-byte character cut
    # in two, never across a line end): on the line of `at`, or a later one if the junk has newlines.
    first = data[:at].count(b"\n") + 1
    match = re.match(rf"^{re.escape(str(path))}:(\d+): not UTF-8 text", message)
    assert match and first <= int(match.group(1)) <= first + junk.count(b"\n"), message
    assert "\n" not in message


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@pytest.mark.parametrize("line", HOSTILE_LINES, ids=range(len(HOSTILE_LINES)))
def test_each_hostile_line_in_a_valid_scene(line):
    check_contract(BUNDLED["flagship"] + "\n" + line + "\n")


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
@pytest.mark.parametrize("key", ["magnification", "title", "timeline.cycles", "output.fps", "camera.zoom"])
def test_each_hostile_value_at_each_kind_of_key(key, value):
    text = BUNDLED["flagship"]
    if key == "title":
        text = re.sub(r'(?m)^title = .*$', lambda m: f"title = {value}", text, count=1)
    elif key == "magnification":
        text = re.sub(r'(?m)^magnification = .*$', lambda m: f"magnification = {value}", text, count=1)
    else:
        text = f"{key} = {value}\n" + "\n".join(line for line in text.split("\n") if not line.startswith(key.split(".")[0]))
    check_contract(text)


def test_bundled_scenes_still_load():
    for name in BUNDLED:
        assert isinstance(load(name), Scene)


def test_fuzz_inputs_reach_every_outcome():
    """The mutations are not all rejected by the TOML parser: many reach validation, some stay valid."""
    outcomes = {"valid": 0, "toml": 0, "validation": 0}
    for example in _examples(300):
        try:
            parse(example, NAME)
            outcomes["valid"] += 1
        except SceneError as error:
            outcomes["toml" if "invalid TOML" in str(error) else "validation"] += 1
    # "some": about a tenth of the mutations stay valid (29 of 300 with the re-timed, split captions of issue 13)
    assert outcomes["valid"] >= 20 and outcomes["validation"] >= 30 and outcomes["toml"] >= 30, outcomes


def _examples(n: int) -> list[str]:
    out: list[str] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(text=mutated_scene())
    def collect(text):
        out.append(text)

    collect()
    return out


