"""Scene files at their documented limits (docs/scenes.md), and line numbers that survive tricky TOML.

Each documented cap is tried at the limit (accepted) and just beyond (refused, naming the key);
error lines are checked after multi-line strings, quotes, escapes and comments that a line scanner
could miscount.
"""

from __future__ import annotations

import pytest

from pelvisim.errors import ParameterError, SceneError
from pelvisim.scene import Camera, Scene, Timeline, load, parse, table_rows

PANEL = '[[panels]]\nmodel = "flare"\n'


def ok(text: str):
    return parse(text, "lim.toml")


def refused(text: str) -> str:
    with pytest.raises(SceneError) as error:
        parse(text, "lim.toml")
    return str(error.value)


# --- documented caps ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("at_limit", "beyond", "key"), [
    ('title = "t"\n' + PANEL + "[timeline]\ncycles = 100\nseconds_per_cycle = 6\n",
     'title = "t"\n' + PANEL + "[timeline]\ncycles = 100.5\nseconds_per_cycle = 1\n", "timeline.cycles"),
    ('title = "t"\n' + PANEL + "[timeline]\nseconds_per_cycle = 600\n",
     'title = "t"\n' + PANEL + "[timeline]\nseconds_per_cycle = 600.5\n", "timeline.seconds_per_cycle"),
    ('title = "t"\nmagnification = 1000\n' + PANEL, 'title = "t"\nmagnification = 1000.5\n' + PANEL, "magnification"),
    ('title = "t"\n' + PANEL + "[camera]\nzoom = 20\n", 'title = "t"\n' + PANEL + "[camera]\nzoom = 20.5\n", "camera.zoom"),
    ('title = "t"\n' + PANEL + "[camera]\norbit_deg = -3600\n", 'title = "t"\n' + PANEL + "[camera]\norbit_deg = 3601\n",
     "camera.orbit_deg"),
    ('title = "' + "x" * 200 + '"\n' + PANEL, 'title = "' + "x" * 201 + '"\n' + PANEL, "title"),
    ('title = "t"\n[[panels]]\nmodel = "flare"\nlabel = "' + "x" * 120 + '"\n',
     'title = "t"\n[[panels]]\nmodel = "flare"\nlabel = "' + "x" * 121 + '"\n', "panels[1].label"),
    ('title = "t"\n' + PANEL + '[[captions]]\ntext = "' + "x" * 1000 + '"\n',
     'title = "t"\n' + PANEL + '[[captions]]\ntext = "' + "x" * 1001 + '"\n', "captions[1].text"),
    ('title = "t"\n' + PANEL + "[timeline]\ncycles = 2\nseconds_per_cycle = 300\n",
     'title = "t"\n' + PANEL + "[timeline]\ncycles = 2\nseconds_per_cycle = 300.5\n", "timeline"),   # 600 s at most
    ('title = "t"\n' + PANEL + '[timeline]\nkind = "keyframes"\n[[timeline.keyframes]]\ntime_s = 500\nhold_s = 100\n',
     'title = "t"\n' + PANEL + '[timeline]\nkind = "keyframes"\n[[timeline.keyframes]]\ntime_s = 500\nhold_s = 100.5\n',
     "timeline.keyframes[1]"),
])
def test_documented_caps(at_limit, beyond, key):
    ok(at_limit)
    message = refused(beyond)
    assert f": {key}" in message, message


def test_at_most_200_captions_and_1000_keyframes():
    captions = "".join(f'[[captions]]\ntext = "c{i}"\n' for i in range(200))
    assert len(ok('title = "t"\n' + PANEL + captions).captions) == 200
    assert "captions" in refused('title = "t"\n' + PANEL + captions + '[[captions]]\ntext = "one more"\n')
    frames = "".join(f"[[timeline.keyframes]]\ntime_s = {i * 0.5}\n" for i in range(1000))
    assert len(ok('title = "t"\n' + PANEL + '[timeline]\nkind = "keyframes"\n' + frames).timeline.keyframes) == 1000
    assert "keyframes" in refused('title = "t"\n' + PANEL + '[timeline]\nkind = "keyframes"\n' + frames
                                  + "[[timeline.keyframes]]\ntime_s = 501\n")


def test_nesting_and_dotted_keys_are_capped():
    nested = lambda depth: "[" * depth + "1" + "]" * depth  # noqa: E731
    assert "nest" in refused(f'title = "t"\n{PANEL}extra = {nested(17)}\n').lower()
    message = refused(f'title = "t"\n{PANEL}extra = {nested(16)}\n')
    assert "nest" not in message.lower() and "extra" in message  # within the cap: refused only as an unknown key
    assert "32" in refused('title = "t"\n' + PANEL + ".".join(f"k{i}" for i in range(33)) + " = 1\n")


def test_numbers_must_be_numbers():
    assert "magnification" in refused('title = "t"\nmagnification = true\n' + PANEL)  # TOML booleans are not numbers
    assert "fps" in refused('title = "t"\n' + PANEL + "[output]\nfps = true\n")
    assert "magnification" in refused('title = "t"\nmagnification = ' + "9" * 400 + "\n" + PANEL)
    assert "camera.up" in refused('title = "t"\n' + PANEL + '[camera]\nposition_mm = [0, 0, 500]\nfocal_point_mm = [0, 0, 0]\n'
                                  'up = "y"\n')


def test_explicit_camera_needs_distance_and_an_up_off_the_line_of_sight():
    camera = '[camera]\nposition_mm = [0, 0, 500]\nfocal_point_mm = [0, 0, 0]\nup = {up}\n'
    assert ok('title = "t"\n' + PANEL + camera.format(up="[0, 1, 0]")).camera.up == (0.0, 1.0, 0.0)
    assert "camera.up" in refused('title = "t"\n' + PANEL + camera.format(up="[0, 0, 1]"))    # along the sight line
    assert "camera.up" in refused('title = "t"\n' + PANEL + camera.format(up="[0, 0, -3]"))
    assert "camera.up" in refused('title = "t"\n' + PANEL + camera.format(up="[0, 0, 0]"))
    assert "camera.position_mm" in refused('title = "t"\n' + PANEL + '[camera]\nposition_mm = [0, 0, 0.5]\n'
                                           'focal_point_mm = [0, 0, 0]\nup = [0, 1, 0]\n')


@pytest.mark.parametrize("view", ["anterior", "posterior", "superior", "inferior", "left", "right"])
def test_every_view_preset_is_accepted(view):
    assert ok(f'title = "t"\n{PANEL}[camera]\nview = "{view}"\n').camera.view == view


def test_python_defaults_are_the_documented_ones():
    t = Timeline()
    assert (t.kind, t.cycles, t.seconds_per_cycle, t.start_phase, t.phase, t.still_s) == ("gait", 1.0, 4.0, 0.0, 0.0, 3.0)
    assert (Camera().view, Camera().zoom, Camera().orbit_deg) == ("anterior", 1.0, 0.0)
    assert Scene(title="t", panels=()).magnification == 1.0


def test_long_names_are_cut_in_messages():
    assert "at most 200 characters" in refused('title = "t"\n[[panels]]\nmodel = "' + "y" * 5000 + '"\n')
    with pytest.raises(SceneError) as error:
        load("z" * 5000)
    assert "…" in str(error.value) and len(str(error.value)) < 2000


def test_overrides_keep_the_cycles_cap():
    s = ok('title = "t"\n' + PANEL + "[timeline]\nseconds_per_cycle = 1\n")
    assert s.with_overrides(cycles=100).duration_s == pytest.approx(100.0)
    with pytest.raises(ParameterError, match="cycles"):
        s.with_overrides(cycles=101)


# --- line numbers after tricky TOML -------------------------------------------------------------------------
def _line(text: str) -> int:
    message = refused(text)
    return int(message.split(":")[1])


@pytest.mark.parametrize("prefix", [
    'title = """a\nmulti-line\ntitle"""\n',                      # multi-line basic string
    "title = '''a\nliteral\n'''\n",                               # multi-line literal string
    'title = """quotes "" inside\n and ""\n"""\n',                # up to two quotes inside
    'title = """ends with quotes"""""\n\n\n',                       # a string closed by five quotes
    'title = "a \\" # not a comment [ ] { }"\n\n\n',              # escaped quote, brackets and # inside a string
    'title = "a \\\\"  # a real comment after an escaped backslash\n\n\n',
    "title = 't'  # [[panels]] in a comment\n[camera]\nposition_mm = [\n  0,\n  0, 500,\n]\n"
    "focal_point_mm = [0, 0, 0]\nup = [0, 1, 0]\n",                 # a multi-line array
    'title = "t"\ncaptions = [ { text = "} ] [ {", start_s = 0 },\n  { text = "b" } ]\n\n',  # inline tables, brackets in strings
])
def test_error_lines_count_past_strings_comments_and_arrays(prefix):
    text = prefix + '[[panels]]\nmodel = "flair"\n'
    ok(prefix + PANEL)  # the prefix itself is valid
    model_line = text.count("\n", 0, text.index('model = "flair"')) + 1
    assert _line(text) == model_line


def test_error_line_inside_an_array_of_tables():
    text = 'title = "t"\n[[panels]]\nmodel = "flare"\n[[panels]]\nmodel = "flare"\n\nparameters = { left_deg = 99 }\n'
    assert _line(text) == 7


# --- the export table -------------------------------------------------------------------------------------
def test_table_rows_number_panels_from_one_and_keep_the_frame_times(anatomy):
    s = ok('title = "t"\n' + PANEL + PANEL + "[timeline]\nseconds_per_cycle = 1\n[output]\nfps = 3\n")
    rows = list(table_rows(s, anatomy, [0.0, 1 / 3, 2 / 3]))
    assert [r["panel"] for r in rows] == [1, 2, 1, 2, 1, 2]
    assert [r["time_s"] for r in rows[::2]] == [0.0, round(1 / 3, 6), round(2 / 3, 6)]
    assert [r["phase"] for r in rows[::2]] == [0.0, round(1 / 3, 6), round(2 / 3, 6)]


# docs/scenes.md, "Limits": title 200, subtitle 300, sources 2000, label 120, a caption's text 1000.
DOCUMENTED_TEXT_LIMITS = [("title", 200), ("subtitle", 300), ("sources", 2000), ("label", 120), ("text", 1000)]


@pytest.mark.parametrize("key, limit", DOCUMENTED_TEXT_LIMITS)
def test_each_text_is_accepted_up_to_its_documented_length_and_refused_beyond(key, limit):
    def scene(n: int) -> str:
        text = "x" * n
        top = {"title": f'title = "{text}"\n'}.get(key, 'title = "t"\n')
        top += {"subtitle": f'subtitle = "{text}"\n', "sources": f'sources = "{text}"\n'}.get(key, "")
        panel = '[[panels]]\nmodel = "flare"\n' + (f'label = "{text}"\n' if key == "label" else "")
        caption = f'[[captions]]\nstart_s = 0\nend_s = 1\ntext = "{text}"\n' if key == "text" else ""
        return top + panel + caption

    parse(scene(limit), "t.toml")  # exactly at the limit: accepted
    assert f"expected at most {limit:,} characters, got {limit + 1:,}" in refused(scene(limit + 1))
