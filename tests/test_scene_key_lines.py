"""Line numbers from :func:`pelvisim.scene.key_lines`, checked on TOML documents built piece by piece.

What is checked
---------------
``key_lines(text)`` maps key paths of a TOML text to the 1-based line where each is written; scene
error messages use it for ``file:line:``. The path convention (read from ``_Scanner`` in scene.py):

- ``key = value`` records the table's path plus every part of the key, dotted or quoted
  (``a."b.c" = 1`` under ``[t]`` gives ``("t", "a", "b.c")``); the implicit tables a dotted key
  creates (``("t", "a")``) are not recorded;
- ``[a.b]`` records ``("a", "b")``; ``[[a]]`` records ``("a", i)`` for its i-th element (from 0),
  and headers below it use the latest element: ``[a.c]`` gives ``("a", i, "c")``;
- an element of an array value records the array's path plus its index, at the line where the
  element starts; a key of an inline table records the inline table's path plus the key's parts.

The property test writes random valid documents out of the pieces a scanner can get wrong:
dotted keys, quoted keys holding dots, spaces, ``#``, brackets and braces, ``[table]`` and
``[[array.of.tables]]`` headers (sub-tables and nested arrays of tables included, and a table
defined after its sub-tables), numbers, booleans and dates, basic strings with escaped quotes and
backslashes (``"a\\"b"``, ``"c\\\\"``), literal strings, multi-line strings holding newlines, quotes,
escaped triple quotes and closed by four or five quotes, arrays over several lines with comments and
trailing commas, nested arrays, nested inline tables, arrays of inline tables, and comments.

How the oracle is independent
-----------------------------
The generator writes the document itself, one piece at a time, and notes the line of a key when it
writes that key: one plus the number of newlines written so far. It also builds the Python data the
document stands for, and the test asserts that ``tomllib.loads(document)`` equals that data, so the
generator can neither write invalid TOML nor record a path that the document does not hold. The
scanner is only called on the finished text.

Shapes the scanner gets wrong are left out of the generator (escapes inside quoted keys; a nested
``[[a.b]]`` used again under a later element of ``[[a]]``) and pinned by ``xfail(strict=True)``
examples at the end of this file (a fix turns them into failures, so the mark must then go).
Text that is not TOML is checked only for what the scanner promises there: it finishes, without
raising, and keeps the lines of what came before the error. Every call runs under a time limit, so
a scanner loop that stops advancing fails the test instead of hanging the run.
"""

from __future__ import annotations

import math
import signal
import tomllib
from contextlib import contextmanager
from datetime import date, datetime, time, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pelvisim.scene import key_lines

EXAMPLES = 200
SECONDS_PER_SCAN = 5  # key_lines is linear and takes about a millisecond here; longer is a hang

# --- pieces of TOML: (as written in the file, the Python value tomllib reads) ------------------
SCALARS = [
    ("0", 0), ("-17", -17), ("+5", 5), ("1_000", 1000), ("0xDEAD_beef", 0xDEADBEEF), ("0o17", 15), ("0b101", 5),
    ("3.25", 3.25), ("-1e-3", -0.001), ("6.02E+23", 6.02e23), ("inf", math.inf), ("-inf", -math.inf),
    ("true", True), ("false", False),
    ("1979-05-27T07:32:00Z", datetime(1979, 5, 27, 7, 32, tzinfo=timezone.utc)),
    ("1979-05-27 07:32:00.5", datetime(1979, 5, 27, 7, 32, 0, 500000)),  # a space inside a value
    ("1979-05-27", date(1979, 5, 27)), ("07:32:00", time(7, 32)),
]
# Inside "...": escaped quotes and backslashes, and characters that mean something outside strings.
BASIC_PIECES = [
    ('\\"', '"'), ("\\\\", "\\"), ("'", "'"), ("# [x] {y} = ,", "# [x] {y} = ,"), ("'''", "'''"),
    ("\\n", "\n"), ("\\t", "\t"), ("\\u00e9", "é"), ("é", "é"), ("ab", "ab"),
]
# Inside '...': no escapes at all, so a backslash right before the closing quote ends the string.
LITERAL_PIECES = [('"', '"'), ('"""', '"""'), ("\\", "\\"), ("\\\\", "\\\\"), ("# [x] {y} = ,", "# [x] {y} = ,"),
                  ("ab", "ab")]
# Inside """...""": newlines, one or two quotes, escaped quotes (\""" too), a line-ending backslash.
ML_BASIC_PIECES = [
    ("\n", "\n"), ('"', '"'), ('""', '""'), ('\\"""', '"""'), ('\\"', '"'), ("\\\\", "\\"), ("'''", "'''"),
    ("# [x] {y} =", "# [x] {y} ="), ("\\\n   x", "x"), ("\t", "\t"), ("\\u00e9", "é"),
]
# Inside '''...''': newlines, one or two quotes, backslashes taken literally.
ML_LITERAL_PIECES = [("\n", "\n"), ("'", "'"), ("''", "''"), ('"""', '"""'), ("\\", "\\"), ("\\'", "\\'"),
                     ("# [x] {y} =", "# [x] {y} =")]
# Pieces that may end a multi-line string's content right before the closing quotes.
ML_SAFE_ENDINGS = {"\n", "\t", "\\\\", "\\"}

# Stems of key names (a counter is appended, so every name is new). Bare-able stems may be written
# bare or quoted; the others need quotes ("it's" only in "...", 'say "hi"' only in '...').
BARE_STEMS = ["k", "left_deg", "x-y", "9"]
QUOTED_STEMS = ["a.b", "two words", "# not a comment ", "[not.a.table]", "{x = 1}", "e=mc", "it's ", 'say "hi" ']
BARE_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

LINE_GAPS = ["", "\n", "# a comment with = [x] {y} \"q'\n", "   # indented comment ]]\n"]
ARRAY_GAPS = ["", " ", "\n    ", "  # comment ] } , \"q\n    ", "\t"]
AFTER_VALUE = ["", "  # comment after a value [x] \"q", "\t# x = 1"]
INDENTS = ["", "  ", "\t"]
KEY_DOTS = [".", ".", " . ", "\t."]
EQUALS = ["=", " = ", " = ", "  =  "]
MAX_DEPTH = 3  # nesting of arrays and inline tables in one value


class ArrayOfTables:
    """An array of tables written as ``[[names]]``: how many elements so far, and its parent."""

    def __init__(self, names, parent, parent_index):
        self.names, self.parent, self.parent_index, self.count = names, parent, parent_index, 0

    def current(self) -> bool:
        """Headers naming it still reach it: every enclosing array of tables is on the same element."""
        return self.parent is None or (self.parent.current() and self.parent.count - 1 == self.parent_index)


class DocumentWriter:
    """Writes a random valid TOML document and notes the line of every key path as it writes it."""

    def __init__(self, draw):
        self.draw = draw
        self.pieces: list[str] = []
        self.line = 1
        self.lines: dict[tuple, int] = {}  # key path -> line, the expectation
        self.data: dict = {}  # what tomllib must read
        self.fresh = 0
        self.tables: list[tuple[str, ...]] = []  # header names of explicit [tables]
        self.arrays_of_tables: dict[tuple[str, ...], ArrayOfTables] = {}
        self.implicit: list[tuple[str, ...]] = []  # tables made implicitly by [a.b], which [a] may still define

    # -- writing --
    def write(self, text: str) -> None:
        self.pieces.append(text)
        self.line += text.count("\n")

    def note(self, path: tuple) -> None:
        assert path not in self.lines, path  # each path is written once
        self.lines[path] = self.line

    def text(self) -> str:
        return "".join(self.pieces)

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def number(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def chance(self) -> bool:
        return self.draw(st.booleans())

    # -- keys --
    def new_name(self) -> str:
        self.fresh += 1
        return f"{self.pick(BARE_STEMS + QUOTED_STEMS)}{self.fresh}"

    def key_text(self, names) -> str:
        written = []
        for name in names:
            if set(name) <= BARE_CHARACTERS and self.chance():
                written.append(name)
            elif "'" in name or ('"' not in name and self.chance()):
                written.append(f'"{name}"')
            else:
                written.append(f"'{name}'")
        out = written[0]
        for part in written[1:]:
            out += self.pick(KEY_DOTS) + part
        return out

    def new_key(self, prefixes: list[tuple[str, ...]]) -> tuple[str, ...]:
        """A key of 1-3 parts; it may extend a dotted prefix used before in the same table."""
        if prefixes and self.chance():
            names = self.pick(prefixes) + (self.new_name(),)
        else:
            names = tuple(self.new_name() for _ in range(self.pick([1, 1, 2, 3])))
        prefixes.extend(names[:k] for k in range(1, len(names)))
        return names

    # -- values --
    def value(self, path: tuple, depth: int):
        """Write one value for ``path``; returns what tomllib reads."""
        kinds = ["scalar", "basic", "literal", "ml_basic", "ml_literal"]
        if depth < MAX_DEPTH:
            kinds += ["array", "array", "inline", "inline"]
        kind = self.pick(kinds)
        if kind == "scalar":
            written, value = self.pick(SCALARS)
            self.write(written)
            return value
        if kind in ("basic", "literal"):
            pieces = self.draw(st.lists(st.sampled_from(BASIC_PIECES if kind == "basic" else LITERAL_PIECES),
                                        max_size=4))
            quote = '"' if kind == "basic" else "'"
            self.write(quote + "".join(w for w, _ in pieces) + quote)
            return "".join(v for _, v in pieces)
        if kind in ("ml_basic", "ml_literal"):
            return self.multi_line_string(kind)
        if kind == "array":
            return self.array(path, depth)
        return self.inline_table(path, depth)

    def multi_line_string(self, kind: str) -> str:
        quote = '"' if kind == "ml_basic" else "'"
        pieces = self.draw(st.lists(st.sampled_from(ML_BASIC_PIECES if kind == "ml_basic" else ML_LITERAL_PIECES),
                                    max_size=5))
        written, value = "", ""
        for k, (w, v) in enumerate(pieces):
            written, value = written + w, value + v
            last = k == len(pieces) - 1
            if not (last and w in ML_SAFE_ENDINGS):  # a letter keeps quotes from running into the closing ones
                letter = self.pick("abc")
                written, value = written + letter, value + letter
        if written.startswith("\n"):  # a newline right after the opening quotes is not part of the string
            value = value[1:]
        extra = self.number(0, 2)  # """a"""" is 'a"' and """a""""" is 'a""'
        self.write(quote * 3 + written + quote * 3 + quote * extra)
        return value + quote * extra

    def array(self, path: tuple, depth: int) -> list:
        self.write("[")
        items = []
        count = self.number(0, 4)
        for i in range(count):
            self.write(self.pick(ARRAY_GAPS))
            self.note(path + (i,))
            items.append(self.value(path + (i,), depth + 1))
            self.write(self.pick(ARRAY_GAPS))
            if i < count - 1 or self.chance():  # a trailing comma is allowed
                self.write(",")
        self.write(self.pick(ARRAY_GAPS) + "]")
        return items

    def inline_table(self, path: tuple, depth: int) -> dict:
        self.write("{" + self.pick(["", " "]))
        table: dict = {}
        prefixes: list[tuple[str, ...]] = []
        for k in range(self.number(0, 3)):
            if k:
                self.write(self.pick([",", ", ", " , "]))
            names = self.new_key(prefixes)
            self.note(path + names)
            self.write(self.key_text(names) + self.pick(EQUALS))
            put(table, names, self.value(path + names, depth + 1))
        self.write(self.pick(["", " "]) + "}")
        return table

    # -- statements and headers --
    def statements(self, table_path: tuple) -> None:
        prefixes: list[tuple[str, ...]] = []
        for _ in range(self.number(0, 4)):
            self.write(self.pick(LINE_GAPS) + self.pick(INDENTS))
            names = self.new_key(prefixes)
            self.note(table_path + names)
            self.write(self.key_text(names) + self.pick(EQUALS))
            value = self.value(table_path + names, 0)
            put(walk(self.data, table_path), names, value)
            self.write(self.pick(AFTER_VALUE) + "\n")

    def resolve(self, names) -> tuple:
        """The data path of header names: an array of tables on the way means its latest element."""
        out: list = []
        for k in range(len(names)):
            out.append(names[k])
            array = self.arrays_of_tables.get(tuple(names[: k + 1]))
            if array is not None:
                out.append(array.count - 1)
        return tuple(out)

    def enclosing(self, names) -> list[ArrayOfTables]:
        """The arrays of tables that ``names`` passes through (itself included), outermost first."""
        found = [self.arrays_of_tables.get(tuple(names[: k + 1])) for k in range(len(names))]
        return [array for array in found if array is not None]

    def reachable(self, names) -> bool:
        return all(array.current() for array in self.enclosing(names))

    def header(self) -> tuple:
        """Write one [table] or [[array]] header line; returns the path of the table it opens."""
        parents = [()] + [n for n in self.tables + list(self.arrays_of_tables) if self.reachable(n)]
        appendable = [n for n, array in self.arrays_of_tables.items() if array.current()]
        kinds = ["table", "array"] + (["append", "append"] if appendable else []) + (["super"] if self.implicit else [])
        kind = self.pick(kinds)
        if kind == "super":  # [a] after [a.b]
            names = self.implicit.pop(self.number(0, len(self.implicit) - 1))
        elif kind == "append":
            names = self.pick(appendable)
        else:
            parent = self.pick(parents)
            names = parent + tuple(self.new_name() for _ in range(self.pick([1, 1, 2])))
            if kind == "table" and not parent and len(names) == 2:
                self.implicit.append(names[:1])
        self.write(self.pick(INDENTS))
        if kind in ("table", "super"):
            path = self.resolve(names)
            walk(self.data, path)
            self.tables.append(names)
            self.note(path)
            self.write(f"[{self.pick(['', ' '])}{self.key_text(names)}]")
        else:
            if kind == "array":
                owners = self.enclosing(names)
                outer = owners[-1] if owners else None
                self.arrays_of_tables[names] = ArrayOfTables(names, outer, outer.count - 1 if outer else None)
            walk(self.data, self.resolve(names[:-1])).setdefault(names[-1], []).append({})
            self.arrays_of_tables[names].count += 1
            path = self.resolve(names)
            self.note(path)
            self.write(f"[[{self.key_text(names)}]]")
        self.write(self.pick(AFTER_VALUE) + "\n")
        return path

    def document(self) -> str:
        self.statements(())
        for _ in range(self.number(0, 6)):
            self.write(self.pick(LINE_GAPS))
            self.statements(self.header())
        self.write(self.pick(LINE_GAPS))
        return self.text()


def walk(data: dict, path: tuple) -> dict:
    """The table at ``path`` (created on the way when missing)."""
    for part in path:
        data = data[part] if isinstance(part, int) else data.setdefault(part, {})
    return data


def put(table: dict, names: tuple, value) -> None:
    walk(table, names[:-1])[names[-1]] = value


def lookup(data, path: tuple):
    for part in path:
        data = data[part]
    return data


@st.composite
def documents(draw):
    writer = DocumentWriter(draw)
    text = writer.document()
    return text, writer.lines, writer.data


@contextmanager
def hang_guard(seconds: int):
    """Fail (instead of hanging the run) when the block takes longer than ``seconds``."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def interrupt(signum, frame):
        raise TimeoutError(f"key_lines took more than {seconds} s: a loop that does not advance")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def scan(text: str) -> dict:
    with hang_guard(SECONDS_PER_SCAN):
        return key_lines(text)


def assert_lines(text: str, expected: dict) -> None:
    found = scan(text)
    wrong = {path: (line, found.get(path)) for path, line in expected.items() if found.get(path) != line}
    assert not wrong, f"(expected line, key_lines line) by path: {wrong}\n--- document ---\n{text}"


# --- the property -------------------------------------------------------------------------------------
def test_key_lines_match_the_lines_the_keys_were_written_on():
    texts: list[str] = []
    paths: list[tuple] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(documents())
    def check(document):
        text, expected, data = document
        assert tomllib.loads(text) == data, text  # the generator writes valid TOML and knows what it means
        for path in expected:
            lookup(data, path)  # every recorded path is in the data (KeyError/IndexError otherwise)
        assert_lines(text, expected)
        texts.append(text)
        paths.extend(expected)

    check()
    assert_every_kind_of_piece_was_written("\n".join(texts), paths)


def assert_every_kind_of_piece_was_written(everything: str, paths: list[tuple]) -> None:
    """The generated documents do hold the shapes they are meant to exercise."""
    for piece in ['\\"', "\\\\\"", "\\\\'", '\\"""', '"""""', '""""\n', "''''", "'''''", '"""\n', "'''\n",
                  ",\n", "[[", "[ ", "{ ", "# comment ] }", "\t.", "'say \"hi\"", '"it\'s', "07:32"]:
        assert piece in everything, piece
    assert any(len([p for p in path if isinstance(p, int)]) >= 2 for path in paths)  # nested arrays / of tables
    assert any(isinstance(path[-1], int) and path[-1] >= 2 for path in paths)  # third elements and beyond
    assert any(len(path) >= 5 for path in paths)


# --- hand-written examples -------------------------------------------------------------------------
EXAMPLES_BY_HAND = {
    "arrays of tables and a table after the second element": (
        'title = "t"\n[[panels]]\nmodel = "flare"\n[[panels]]\nmodel = "flare"\n[panels.parameters]\nleft_deg = 5\n'
        "[[panels]]\n",
        {("title",): 1, ("panels", 0): 2, ("panels", 0, "model"): 3, ("panels", 1): 4, ("panels", 1, "model"): 5,
         ("panels", 1, "parameters"): 6, ("panels", 1, "parameters", "left_deg"): 7, ("panels", 2): 8}),
    "multi-line strings closed by four and five quotes": (
        'a = """x\n""""\nb = """y\n"""""\nc = \'\'\'z\n\'\'\'\'\nd = \'\'\'w\'\'\'\'\'\ne = 1\n',
        {("a",): 1, ("b",): 3, ("c",): 5, ("d",): 7, ("e",): 8}),
    "escaped triple quotes and escaped backslashes in multi-line strings": (
        'a = """one \\""" two\n\\\\"""\nb = """\\\\\\"""\n"""\nc = 1\n',
        {("a",): 1, ("b",): 3, ("c",): 5}),
    "escaped quotes and backslashes before comments": (
        'a = "x\\" # not a comment"  # a comment "\nb = "c\\\\"  # "\nc = \'d\\\'  # \'\nd = "\\\\\\""\ne = 1\n',
        {("a",): 1, ("b",): 2, ("c",): 3, ("d",): 4, ("e",): 5}),
    "dotted and quoted keys": (
        '[t]\na . "b.c" . \'d e\' = 1\n"x#y" = 2\n[ "u.v" . w ]\nz = 3\n',
        {("t",): 1, ("t", "a", "b.c", "d e"): 2, ("t", "x#y"): 3, ("u.v", "w"): 4, ("u.v", "w", "z"): 5}),
    "nested inline tables": (
        "x = 0\nt = {a = 1, b = {c = 2, d = [3, {e = 4}]}, f.g = 5}\n",
        {("t",): 2, ("t", "a"): 2, ("t", "b"): 2, ("t", "b", "c"): 2, ("t", "b", "d", 1, "e"): 2, ("t", "f", "g"): 2}),
    "arrays over several lines with comments, trailing commas and nested arrays": (
        "a = [  # opens [\n  1,\n\n  # a comment, with ] and }\n  [2, [\n    3,\n  ]],\n  \"]\",\n]\nb = []\n",
        {("a",): 1, ("a", 0): 2, ("a", 1): 5, ("a", 1, 0): 5, ("a", 1, 1): 5, ("a", 1, 1, 0): 6, ("a", 2): 8,
         ("b",): 10}),
    "an array of inline tables": (
        'captions = [\n  { text = "} ] [ {", start_s = 0 },\n  { text = "b", at = [\n1] },\n]\nz = 1\n',
        {("captions", 0): 2, ("captions", 0, "text"): 2, ("captions", 0, "start_s"): 2, ("captions", 1): 3,
         ("captions", 1, "at"): 3, ("captions", 1, "at", 0): 4, ("z",): 6}),
    "a table defined after its sub-table, and an array of tables inside it": (
        "[a.b]\n[[a.c]]\n[[a.c]]\n[a]\nz = 1\n",
        {("a", "b"): 1, ("a", "c", 0): 2, ("a", "c", 1): 3, ("a",): 4, ("a", "z"): 5}),
    "Windows line ends": (
        'a = 1\r\n[t]\r\nb = """x\r\ny"""\r\nc = [\r\n  2,\r\n]\r\n',
        {("a",): 1, ("t",): 2, ("t", "b"): 3, ("t", "c"): 5, ("t", "c", 0): 6}),
}


@pytest.mark.parametrize(("text", "expected"), EXAMPLES_BY_HAND.values(), ids=EXAMPLES_BY_HAND.keys())
def test_hand_written_examples(text, expected):
    data = tomllib.loads(text)
    for path in expected:
        lookup(data, path)
    assert_lines(text, expected)


@pytest.mark.parametrize("broken", [
    "x = {a = ]}",  # a character that cannot start a value
    "x = [1, }]",
    "x = { = 1}",  # an inline table entry without a key
    "x = {a = 1,, b = 2}",
    'x = "never closed',
    'x = """never closed\n\n',
    "[[never closed",
])
def test_text_that_is_not_toml_is_still_scanned_to_its_end(broken):
    """key_lines never raises nor hangs on a syntax error; what comes before it keeps its line."""
    text = "a = 1\n[t]\nb = [\n  2,\n]\n" + broken + "\nc = 3\n"
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    found = scan(text)
    assert {path: found.get(path) for path in [("a",), ("t",), ("t", "b"), ("t", "b", 0)]} == {
        ("a",): 1, ("t",): 2, ("t", "b"): 3, ("t", "b", 0): 4}


# --- real scanner bugs, left out of the generator ---------------------------------------------------------
KNOWN_BUGS = {
    # _Scanner counts [[a.b]] over the whole file, but each element of [[a]] starts its own a.b array.
    "nested arrays of tables restart under each element": (
        "[[a]]\n[[a.b]]\n[[a]]\n[[a.b]]\n",
        {("a", 0, "b", 0): 2, ("a", 1, "b", 0): 4}),
    # Quoted keys are recorded as written, so a key with an escape is not found under its real name.
    "escapes in quoted keys": (
        '"a\\"b" = 1\n"c\\\\d" = 2\n"\\u0041" = 3\n',
        {('a"b',): 1, ("c\\d",): 2, ("A",): 3}),
    # In an inline table, the time after the space of a date-time is read as a key ("07"), which
    # takes the line of a real key of that name written further on.
    "a date-time with a space inside an inline table": (
        "x = {d = 1979-05-27 07:32:00, a = [\n1], 07 = 1}\n",
        {("x", "07"): 2}),
}


@pytest.mark.parametrize(("text", "expected"), KNOWN_BUGS.values(), ids=KNOWN_BUGS.keys())
@pytest.mark.xfail(strict=True, reason="known _Scanner limitation (see the comment above the example)")
def test_known_scanner_bugs(text, expected):
    data = tomllib.loads(text)
    for path in expected:
        lookup(data, path)
    assert_lines(text, expected)
