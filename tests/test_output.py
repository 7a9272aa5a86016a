"""pelvisim.output: atomic files and folders, one-line OS errors, deferred interrupts (issue 11).

Disk failures are injected by making the operating-system call fail (``os.open``, ``os.link``,
``os.replace`` ... raise ``OSError(ENOSPC)`` or ``OSError(EROFS)``): the code under test is ours,
the failing call is the operating system's.
"""

from __future__ import annotations

import errno
import os
import re
import signal

import pytest

from pelvisim import output
from pelvisim.errors import ParameterError
from pelvisim.output import Interrupted, OutputError


def names(folder) -> list[str]:
    """Every entry of ``folder``, hidden ones included, sorted."""
    return sorted(os.listdir(folder))


# --- atomic files ------------------------------------------------------------------------------
def test_atomic_path_appears_only_when_complete(tmp_path):
    target = tmp_path / "table.csv"
    with output.atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".table.csv.") and temporary.exists()
        temporary.write_text("a,b\n")
        assert not target.exists()  # nothing under the user's name until the end
    assert target.read_text() == "a,b\n"
    assert names(tmp_path) == ["table.csv"]


def test_an_error_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with output.atomic_path(target, overwrite=True) as temporary:
            temporary.write_text("half of the new")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert names(tmp_path) == ["table.csv"]


def test_an_interrupt_mid_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with output.atomic_path(target, overwrite=True) as temporary:
            temporary.write_bytes(b"new")
            raise Interrupted(signal.SIGTERM)
    assert target.read_bytes() == b"old" and names(tmp_path) == ["a.png"]


def test_existing_file_is_refused_without_overwrite_and_is_a_parameter_error(tmp_path):
    target = tmp_path / "a.png"
    target.write_bytes(b"keep")
    with pytest.raises(ParameterError, match=r"a\.png exists; pass --overwrite to replace it$"):
        output.write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"keep"


def test_a_file_appearing_while_we_write_is_not_replaced(tmp_path):
    target = tmp_path / "a.csv"
    with pytest.raises(OutputError, match="exists"):
        with output.atomic_path(target) as temporary:
            temporary.write_text("ours")
            target.write_text("someone else's")  # created after the check, before the rename
    assert target.read_text() == "someone else's" and names(tmp_path) == ["a.csv"]


def test_temporary_names_are_unpredictable_and_a_planted_link_is_never_followed(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "x.png"
    seen = []
    for _ in range(3):
        with output.atomic_path(target, overwrite=True) as temporary:
            seen.append(temporary.name)
            temporary.write_bytes(b"png")
    assert len(set(seen)) == 3  # a random part: no name an attacker could plant in advance
    # Even a link planted under the exact next name is refused (O_EXCL | O_NOFOLLOW), not followed.
    planted = out / ".x.png.000000000000.partial.png"
    planted.symlink_to(victim)
    tokens = iter(["000000000000", "111111111111"])
    monkeypatch.setattr(output.secrets, "token_hex", lambda n: next(tokens))
    with output.atomic_path(target, overwrite=True) as temporary:
        assert temporary.name == ".x.png.111111111111.partial.png"  # the planted name was skipped
        temporary.write_bytes(b"new png")
    assert victim.read_text() == "precious" and target.read_bytes() == b"new png"


def test_a_link_at_the_target_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "x.png"
    target.symlink_to(victim)
    with pytest.raises(OutputError, match="exists"):
        output.write_bytes_atomic(target, b"png")
    output.write_bytes_atomic(target, b"png", overwrite=True)
    assert victim.read_text() == "precious" and not target.is_symlink() and target.read_bytes() == b"png"


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "read-only file system"),
                                         (errno.EACCES, "permission denied"), (errno.EDQUOT, "disk quota exceeded")])
def test_disk_errors_are_one_line_naming_the_users_path(tmp_path, monkeypatch, code, words):
    target = tmp_path / "table.csv"
    target.write_text("old")
    def failing_sync(fd):  # the data went to the cache; the disk refuses it (delayed allocation, NFS)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", failing_sync)
    with pytest.raises(OutputError) as info:
        output.write_text_atomic(target, "x" * 100_000, overwrite=True)
    monkeypatch.undo()
    message = str(info.value)
    assert message.startswith(f"cannot write {target}: ") and words in message and "\n" not in message
    assert ".partial" not in message  # never the temporary's name
    assert target.read_text() == "old" and names(tmp_path) == ["table.csv"]


def test_check_writable_refuses_a_read_only_folder_before_any_work(tmp_path, monkeypatch):
    real_open = os.open

    def read_only(path, flags, mode=0o777, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(OutputError, match=r"^cannot write .*clip\.mp4: read-only file system; write to a folder"):
        output.check_writable(tmp_path / "clip.mp4")


def test_check_writable_names_a_missing_folder_and_a_folder_in_the_way(tmp_path):
    with pytest.raises(OutputError, match="the folder .*nowhere does not exist"):
        output.check_writable(tmp_path / "nowhere" / "x.png")
    (tmp_path / "x.png").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        output.check_writable(tmp_path / "x.png", overwrite=True)
    assert names(tmp_path) == ["x.png"]  # the probe file is gone


def test_check_free_space_compares_with_the_disk(tmp_path):
    import shutil

    free = shutil.disk_usage(tmp_path).free
    output.check_free_space(tmp_path / "x.mp4", free / 2)
    with pytest.raises(OutputError, match=r"not enough free space on its disk \(about .* needed, .* free\)"):
        output.check_free_space(tmp_path / "x.mp4", free * 2 + 1e9)


# --- atomic folders (frames) -------------------------------------------------------------------
OWN = re.compile(r"frame_\d{5}\.png")


def _fill(folder, names_, text="x"):
    folder.mkdir(exist_ok=True)
    for name in names_:
        (folder / name).write_text(text)


def test_folder_of_other_files_is_refused_and_left_alone(tmp_path):
    d = tmp_path / "d"
    _fill(d, ["frame_00000.png", "notes.txt"])
    (d / "sub").mkdir()
    with pytest.raises(OutputError, match=r"holds files that are not pelvisim's frames \(notes\.txt, sub\)"):
        with output.atomic_folder(d, own=OWN, what="frames", overwrite=True):
            pytest.fail("no work may start")
    assert names(d) == ["frame_00000.png", "notes.txt", "sub"] and names(tmp_path) == ["d"]


def test_folder_of_own_frames_is_replaced_whole(tmp_path):
    d = tmp_path / "d"
    _fill(d, [f"frame_{k:05d}.png" for k in range(5)], "old")
    with output.atomic_folder(d, own=OWN, what="frames", overwrite=True) as temporary:
        _fill(temporary, [f"frame_{k:05d}.png" for k in range(2)], "new")
    assert names(d) == ["frame_00000.png", "frame_00001.png"]  # stale frames 2-4 gone with the old folder
    assert (d / "frame_00000.png").read_text() == "new" and names(tmp_path) == ["d"]


def test_folder_needs_overwrite_unless_empty_and_an_error_keeps_the_old_one(tmp_path):
    d = tmp_path / "d"
    _fill(d, ["frame_00000.png"], "old")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        with output.atomic_folder(d, own=OWN):
            pass
    with pytest.raises(RuntimeError):
        with output.atomic_folder(d, own=OWN, overwrite=True) as temporary:
            _fill(temporary, ["frame_00000.png"], "new")
            raise RuntimeError("mid-render")
    assert (d / "frame_00000.png").read_text() == "old" and names(tmp_path) == ["d"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with output.atomic_folder(empty, own=OWN) as temporary:
        _fill(temporary, ["frame_00000.png"])
    assert names(empty) == ["frame_00000.png"]


def test_files_added_to_the_folder_during_the_render_stop_the_replacement(tmp_path):
    d = tmp_path / "d"
    _fill(d, ["frame_00000.png"], "old")
    with pytest.raises(OutputError, match="notes.txt"):
        with output.atomic_folder(d, own=OWN, what="frames", overwrite=True) as temporary:
            _fill(temporary, ["frame_00000.png"], "new")
            (d / "notes.txt").write_text("written by the user meanwhile")
    assert names(d) == ["frame_00000.png", "notes.txt"] and (d / "frame_00000.png").read_text() == "old"


# --- interrupts --------------------------------------------------------------------------------
def test_deferred_interrupt_waits_for_the_check_and_keeps_its_signal():
    steps = []
    with pytest.raises(Interrupted) as info:
        with output.deferred_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("after the signal")  # the handler did not raise here
            output.check_interrupted()
            steps.append("never")
    assert steps == ["after the signal"]
    assert info.value.signum == signal.SIGTERM and info.value.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))


def test_deferred_interrupt_is_raised_at_the_end_of_the_block():
    before = signal.getsignal(signal.SIGINT)  # Python's default handler, or SIG_IGN in a background job
    with pytest.raises(Interrupted) as info:
        with output.deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C is not raised inside the block either
    assert info.value.exit_code == 130
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_a_name_too_long_for_the_disk_is_one_line_with_what_to_do(tmp_path):
    # A real ENAMETOOLONG from the file system (names over 255 bytes), not a simulated one.
    target = tmp_path / ("n" * 300 + ".csv")
    with pytest.raises(OutputError) as info:
        output.write_text_atomic(target, "x")
    message = str(info.value)
    assert message.endswith("file name too long; choose a shorter name") and "\n" not in message


@pytest.mark.parametrize("error, words", [(OSError(errno.ENXIO, "No such device or address"), "No such device or address"),
                                          (OSError("a cause in words"), "a cause in words"),
                                          (OSError(), "OSError"),
                                          (OSError(errno.ENXIO, "word " * 100), "word word")])
def test_an_unlisted_disk_error_keeps_its_own_words_cut_to_one_line(tmp_path, error, words):
    message = str(output.explain_os_error(error, tmp_path / "x.mp4"))
    assert message.startswith(f"cannot write {tmp_path / 'x.mp4'}: ") and words in message
    reason = message.split(": ", 1)[1]
    assert len(reason) <= 200 and "\n" not in message
    if len(error.strerror or "") > 200:
        assert reason.endswith("…") and len(reason) == 200


@pytest.mark.parametrize("n_bytes, text", [(512 * 1024, "512 kB"), (3.5 * 1024 * 1024, "3.5 MB"), (10 * 1024 * 1024, "10 MB"),
                                           (25 * 1024 * 1024, "25 MB")])
def test_free_space_figures_are_in_kilobytes_and_megabytes_of_1024(tmp_path, monkeypatch, n_bytes, text):
    # The message quotes the bytes needed in kB below 1 MiB, with one decimal below 10 MiB.
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**12, 0, 1024))
    with pytest.raises(OutputError, match=rf"about {re.escape(text)} needed, 1 kB free"):
        output.check_free_space(tmp_path / "x.mp4", n_bytes)
