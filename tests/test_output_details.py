"""pelvisim.output in detail: what is on disk after each step, and how signals are held and given back.

Checked with real files in ``tmp_path``: the permissions of created files and folders, the checks
before a long job (an empty folder is free, a non-empty one needs --overwrite), links at the
target or among the frames (replaced or refused, never written through), the folder swap putting
the old frames back when the last rename fails, the clean-up after a failed render, the wording of
the refusal and of the free-space figures, and the deferred-interrupt block (the signal it held is
raised, the handler it found is put back). Failures are simulated only in the operating system's
calls (``os.link``, ``os.rename``, ``os.unlink``, ``shutil.disk_usage``), never in pelvisim's own.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
from collections import namedtuple
from pathlib import Path

import pytest

from pelvisim import output
from pelvisim.output import Interrupted, OutputError

OWN = re.compile(r"frame_\d{5}\.png")
# The usual default umask. It leaves the execute bits of "group" and "others" unmasked, so a
# stray execute bit in the mode a file is created with shows in the file's permissions.
UMASK = 0o022


def names(folder) -> list[str]:
    """Every entry of ``folder``, hidden ones included, sorted."""
    return sorted(os.listdir(folder))


def fill(folder: Path, names_: list[str], text: str = "x") -> None:
    folder.mkdir(exist_ok=True)
    for name in names_:
        (folder / name).write_text(text)


def frames(n: int) -> list[str]:
    return [f"frame_{k:05d}.png" for k in range(n)]


@pytest.fixture
def umask():
    """The process umask set to :data:`UMASK` for one test, then put back."""
    before = os.umask(UMASK)
    yield UMASK
    os.umask(before)


# --- permissions ---------------------------------------------------------------------------------
def test_outputs_are_readable_and_writable_as_the_umask_allows(tmp_path, umask):
    table = output.write_text_atomic(tmp_path / "table.csv", "a,b\n")
    assert table.stat().st_mode & 0o7777 == 0o666 & ~umask  # rw-r--r--: no execute bit, like any new file
    with output.atomic_folder(tmp_path / "frames", own=OWN) as temporary:
        output.create_new_file(temporary / "frame_00000.png")
    assert (tmp_path / "frames").stat().st_mode & 0o7777 == 0o777 & ~umask  # rwxr-xr-x, like mkdir
    assert (tmp_path / "frames" / "frame_00000.png").stat().st_mode & 0o7777 == 0o666 & ~umask


def test_a_new_frame_file_never_goes_through_a_link_with_its_name(tmp_path):
    dangling = tmp_path / "frame_00000.png"
    dangling.symlink_to(tmp_path / "elsewhere.png")
    with pytest.raises(FileExistsError):
        output.create_new_file(dangling)
    assert names(tmp_path) == ["frame_00000.png"]  # the link's target was not created


# --- checks before a long job --------------------------------------------------------------------
def test_an_empty_frames_folder_is_free_but_a_full_one_needs_overwrite(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert output.check_writable(empty, folder=True) == empty
    full = tmp_path / "full"
    fill(full, frames(1))
    with pytest.raises(OutputError, match=r"full exists; pass --overwrite to replace it$"):
        output.check_writable(full, folder=True)
    assert output.check_writable(full, folder=True, overwrite=True) == full
    assert names(tmp_path) == ["empty", "full"] and names(empty) == [] and names(full) == frames(1)  # probes gone


def test_free_space_below_one_megabyte_is_counted_in_kilobytes_of_1024_bytes(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**12, 0, 999 * 1024))
    with pytest.raises(OutputError, match=r"\(about 1000 kB needed, 999 kB free\)"):
        output.check_free_space(tmp_path / "x.mp4", 1000 * 1024)


# --- atomic files --------------------------------------------------------------------------------
def test_a_link_to_a_folder_at_the_target_is_replaced_and_the_folder_left_alone(tmp_path):
    folder = tmp_path / "results"
    fill(folder, ["notes.txt"], "mine")
    target = tmp_path / "table.csv"
    target.symlink_to(folder)
    output.write_text_atomic(target, "a,b\n", overwrite=True)
    assert not target.is_symlink() and target.read_text() == "a,b\n"
    assert names(folder) == ["notes.txt"] and (folder / "notes.txt").read_text() == "mine"


def test_a_folder_at_the_target_is_refused_before_any_work(tmp_path):
    target = tmp_path / "table.csv"
    fill(target, ["notes.txt"])
    with pytest.raises(OutputError, match=r"table\.csv: it is a folder$"):
        with output.atomic_path(target, overwrite=True):
            pytest.fail("no work may start")
    assert names(tmp_path) == ["table.csv"] and names(target) == ["notes.txt"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_the_final_step_moves_the_temporary_itself_even_if_it_was_swapped_for_a_link(tmp_path, overwrite):
    # With or without --overwrite the last step renames whatever has the temporary's name; a link
    # put there by someone else is moved as a link, and the file it points to gets no second name.
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "table.csv"
    with output.atomic_path(target, overwrite=overwrite) as temporary:
        temporary.unlink()
        temporary.symlink_to(victim)
    assert target.is_symlink() and victim.stat().st_nlink == 1 and victim.read_text() == "precious"
    assert names(tmp_path) == ["table.csv", "victim.txt"]


def test_a_disk_without_hard_links_still_gets_the_file_and_keeps_an_existing_one(tmp_path, monkeypatch):
    def no_hard_links(src, dst, **kwargs):  # what FAT and some network mounts answer
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_hard_links)
    target = tmp_path / "table.csv"
    output.write_text_atomic(target, "new")
    assert target.read_text() == "new" and names(tmp_path) == ["table.csv"]
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        with output.atomic_path(tmp_path / "late.csv") as temporary:
            temporary.write_text("ours")
            (tmp_path / "late.csv").write_text("someone else's")  # appears while we write
    assert (tmp_path / "late.csv").read_text() == "someone else's" and names(tmp_path) == ["late.csv", "table.csv"]


def test_a_disk_error_at_the_final_step_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    def failing_link(src, dst, **kwargs):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "link", failing_link)
    target = tmp_path / "table.csv"
    with pytest.raises(OutputError) as info:
        output.write_text_atomic(target, "new")
    assert str(info.value) == f"cannot write {target}: input/output error on the disk"
    assert names(tmp_path) == []


# --- atomic folders ------------------------------------------------------------------------------
def test_a_link_named_like_a_frame_is_the_users_and_stops_the_replacement(tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"the user's picture")
    folder = tmp_path / "frames"
    fill(folder, frames(1), "old")
    (folder / "frame_00001.png").symlink_to(photo)
    with pytest.raises(OutputError, match=r"not pelvisim's frames \(frame_00001\.png\)"):
        with output.atomic_folder(folder, own=OWN, what="frames", overwrite=True):
            pytest.fail("no work may start")
    assert names(folder) == frames(2) and (folder / "frame_00001.png").is_symlink()
    assert names(tmp_path) == ["frames", "photo.png"]


def test_the_refusal_names_three_foreign_entries_cut_short_and_counts_the_rest(tmp_path):
    folder = tmp_path / "frames"
    long_name = "b" * 100
    fill(folder, [*frames(2), "a.txt", long_name, "c.txt", "d.txt"])
    with pytest.raises(OutputError) as info:
        output.check_folder_replaceable(folder, OWN, "frames")
    shown = "a.txt, " + "b" * 59 + "…, c.txt and 1 more"  # a name is cut to 60 characters, "…" included
    assert str(info.value) == (f"{folder} holds files that are not pelvisim's frames ({shown}); pelvisim replaces only "
                               "a folder of its own frames, so nothing of yours is deleted: choose a new or empty folder")


def test_a_new_frames_folder_passes_the_check(tmp_path):
    assert output.check_folder_replaceable(tmp_path / "new", OWN, "frames") is None
    assert names(tmp_path) == []


@pytest.mark.parametrize("kind", ["link to a frames folder", "file"])
def test_a_link_or_file_with_the_frames_folders_name_is_refused_and_kept(tmp_path, kind):
    elsewhere = tmp_path / "elsewhere"
    fill(elsewhere, frames(2), "old")
    path = tmp_path / "frames"
    if kind == "file":
        path.write_text("mine")
    else:
        path.symlink_to(elsewhere)

    def state():  # what the name holds: where the link points, or the file's text
        return (True, os.readlink(path)) if path.is_symlink() else (False, path.read_text())

    before = state()
    with pytest.raises(OutputError, match=r"frames: a file \(or link\) with that name exists$"):
        with output.atomic_folder(path, own=OWN, overwrite=True):
            pytest.fail("no work may start")
    assert state() == before
    assert names(tmp_path) == ["elsewhere", "frames"] and names(elsewhere) == frames(2)


@pytest.mark.parametrize("old_frames", [3, 0], ids=["old folder", "new folder"])
def test_when_the_last_rename_fails_the_old_frames_folder_is_put_back(tmp_path, monkeypatch, old_frames):
    folder = tmp_path / "frames"
    if old_frames:
        fill(folder, frames(old_frames), "old")
    real_rename = os.rename

    def rename(src, dst, **kwargs):
        if Path(src).name.endswith(".partial"):  # the new folder onto the user's name: the disk refuses
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputError) as info:
        with output.atomic_folder(folder, own=OWN, overwrite=True) as temporary:
            fill(temporary, frames(2), "new")
    monkeypatch.undo()
    assert str(info.value) == f"cannot write {folder}: No space left on device; free some space or write to another disk"
    if old_frames:
        assert names(tmp_path) == ["frames"] and names(folder) == frames(old_frames)
        assert {(folder / name).read_text() for name in names(folder)} == {"old"}
    else:
        assert names(tmp_path) == []


def test_one_undeletable_frame_does_not_stop_the_clean_up_of_the_others(tmp_path, monkeypatch):
    real_unlink = os.unlink
    refused = []

    def unlink(path, *, dir_fd=None):
        if dir_fd is not None and not refused:  # the first frame the clean-up deletes: the disk refuses
            refused.append(path)
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_unlink(path, dir_fd=dir_fd)

    with pytest.raises(RuntimeError, match="render failed"):
        with output.atomic_folder(tmp_path / "frames", own=OWN) as temporary:
            fill(temporary, frames(5))
            monkeypatch.setattr(os, "unlink", unlink)
            raise RuntimeError("render failed")
    monkeypatch.undo()
    assert names(tmp_path) == [temporary.name]  # only the folder that could not be emptied is left ...
    assert names(temporary) == refused  # ... holding only the one frame the disk refused to delete


# --- deferred interrupts -------------------------------------------------------------------------
@pytest.fixture
def own_sigterm_handler():
    """A Python handler of the test's own for SIGTERM (records the signals), put back afterwards."""
    received = []
    before = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    yield received
    signal.signal(signal.SIGTERM, before)


def test_the_block_raises_the_signal_it_held_and_gives_back_the_handler_it_found(own_sigterm_handler):
    mine = signal.getsignal(signal.SIGTERM)
    steps = []
    with pytest.raises(Interrupted) as info:
        with output.deferred_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("held")
    assert steps == ["held"] and info.value.signum == signal.SIGTERM and info.value.exit_code == 143
    assert own_sigterm_handler == []  # held by the block, not passed on
    assert signal.getsignal(signal.SIGTERM) is mine
    os.kill(os.getpid(), signal.SIGTERM)  # after the block the handler found there answers again
    assert own_sigterm_handler == [signal.SIGTERM]


def test_nested_blocks_hold_signals_until_the_outer_one_ends(own_sigterm_handler):
    mine = signal.getsignal(signal.SIGTERM)
    steps = []
    with pytest.raises(Interrupted) as info:
        with output.deferred_interrupts():
            with output.deferred_interrupts():
                steps.append("inner")
            os.kill(os.getpid(), signal.SIGTERM)  # between the inner block's end and the outer's
            steps.append("still held")
    assert steps == ["inner", "still held"] and info.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is mine and own_sigterm_handler == []
