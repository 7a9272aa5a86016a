"""Writing the user's files safely: nothing half-written, nothing of theirs lost, one clear line.

Every file pelvisim writes goes first to a temporary created *exclusively* in the target's folder
(``O_CREAT | O_EXCL | O_NOFOLLOW`` with a random name: a file or link planted there is never
opened, never followed) and is renamed onto the target with :func:`os.replace` only once it is
complete. Any error, Ctrl-C (SIGINT) or SIGTERM on the way removes the temporary and leaves an
existing target as it was. Without ``overwrite`` an existing target is never replaced, even by a
file that appears while we write (the final step is a hard link, which fails if the name exists).

Operating-system errors become one :class:`OutputError` line naming the user's path and the cause
("No space left on device", "read-only file system", "permission denied") with what to do.

Interrupts: :func:`install_interrupt_handlers` makes SIGINT and SIGTERM raise :class:`Interrupted`
(exit codes 130 and 143 on the command line). Inside :func:`deferred_interrupts` a signal only
records itself and :func:`check_interrupted` raises it at a safe point (between two frames), so a
signal never lands inside VTK or halfway through a rename.

This module is part of the model layer: it imports neither pyvista nor Qt.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pelvisim.errors import ParameterError, PelvisimError

__all__ = [
    "OutputError", "OutputExists", "Interrupted", "check_writable", "check_free_space", "explain_os_error", "atomic_path",
    "atomic_folder", "write_bytes_atomic", "write_text_atomic", "deferred_interrupts", "check_interrupted",
    "install_interrupt_handlers", "temporary_name", "scratch_path", "create_new_file", "foreign_entries", "check_folder_replaceable",
]

MB = 1024 * 1024


class OutputError(PelvisimError, OSError):
    """An output cannot be written: the message names the user's path, the cause and what to do."""

    def __str__(self) -> str:  # OSError would prefix "[Errno n]" when given two arguments
        return str(self.args[0]) if self.args else ""


class OutputExists(OutputError, ParameterError):
    """The output exists and replacing it was not asked for (``--overwrite``)."""


def _exists(path: Path) -> OutputExists:
    return OutputExists(f"{path} exists; pass --overwrite to replace it")


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``exit_code`` is 128 + the signal number (130, 143)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(int(signum))
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """Shell convention: 128 + signal number."""
        return 128 + self.signum

    def __str__(self) -> str:
        return "interrupted"


# --- one-line explanations ---------------------------------------------------------------------
_ADVICE = {
    errno.ENOSPC: "No space left on device; free some space or write to another disk",
    errno.EROFS: "read-only file system; write to a folder on a writable disk",
    errno.EACCES: "permission denied; write to a folder you can write to",
    errno.EPERM: "operation not permitted; write to a folder you can write to",
    errno.EDQUOT: "disk quota exceeded; free some space or write elsewhere",
    errno.EFBIG: "file too large for this file system or the file-size limit (ulimit -f)",
    errno.ENAMETOOLONG: "file name too long; choose a shorter name",
    errno.EMFILE: "too many open files",
    errno.EIO: "input/output error on the disk",
}


def explain_os_error(error: OSError, path: str | os.PathLike[str], action: str = "cannot write") -> OutputError:
    """One :class:`OutputError` line for ``error`` met while writing the user's ``path``.

    The message names ``path`` (never a temporary file), the cause in words and what to do.
    """
    if isinstance(error, OutputError):
        return error
    path = Path(path)
    code = error.errno
    if code == errno.ENOENT:
        text = f"{action} {path}: the folder {_folder(path)} does not exist"
    elif code == errno.ENOTDIR:
        text = f"{action} {path}: {_folder(path)} is not a folder"
    elif code == errno.EISDIR:
        text = f"{action} {path}: it is a folder"
    elif code == errno.EEXIST:
        return _exists(path)
    else:
        reason = _ADVICE.get(code) if code is not None else None
        if reason is None:
            reason = _cut(error.strerror or str(error) or type(error).__name__)
        text = f"{action} {path}: {reason}"
    out = OutputError(text)
    out.errno = code  # keep the cause inspectable
    return out


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _cut(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- checks before a long job ------------------------------------------------------------------
def temporary_name(path: Path, suffix: str = "") -> Path:
    """A fresh hidden name next to ``path``: ``.NAME.<random>.partial<suffix>`` (not created)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial{suffix}")


def check_writable(path: str | os.PathLike[str], *, overwrite: bool = False, folder: bool = False) -> Path:
    """Fail early, in one line, when ``path`` cannot be written.

    Checks that the folder it goes into exists and really accepts a new file (a probe file is
    created exclusively and removed: this catches read-only disks, permissions and a full inode
    table), that ``path`` is not a folder when a file is wanted (or a file when a folder is
    wanted), and that it does not exist unless ``overwrite`` (an empty folder counts as free).

    Parameters
    ----------
    path : path
        The file (or, with ``folder``, the folder) to be written.
    overwrite : bool
        An existing target may be replaced.
    folder : bool
        ``path`` is a folder of outputs (e.g. PNG frames).

    Returns
    -------
    Path

    Raises
    ------
    OutputError
    """
    path = Path(path)
    parent = _folder(path)
    if not parent.exists():
        raise OutputError(f"cannot write {path}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a folder")
    if os.path.lexists(path):
        if folder and path.exists() and not path.is_dir():
            raise OutputError(f"cannot write frames into {path}: a file with that name exists")
        if not folder and path.is_dir():
            raise OutputError(f"cannot write {path}: it is a folder")
        empty_folder = folder and path.is_dir() and not any(path.iterdir())
        if not overwrite and not empty_folder:
            raise _exists(path)
    probe = temporary_name(path, ".probe")
    try:
        fd = os.open(probe, _CREATE_FLAGS, 0o600)
    except OSError as error:
        raise explain_os_error(error, path) from None
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:
        pass
    return path


def check_free_space(path: str | os.PathLike[str], needed_bytes: float) -> None:
    """Raise :class:`OutputError` when the disk of ``path`` has less than ``needed_bytes`` free."""
    path = Path(path)
    try:
        free = shutil.disk_usage(_folder(path)).free
    except OSError:
        return  # no figure to compare with; writing will tell
    if free < needed_bytes:
        raise OutputError(
            f"cannot write {path}: not enough free space on its disk (about {_mb(needed_bytes)} needed, "
            f"{_mb(free)} free); free some space or write to another disk")


def _mb(n: float) -> str:
    if n < MB:
        return f"{n / 1024:.0f} kB"
    return f"{n / MB:.0f} MB" if n >= 10 * MB else f"{n / MB:.1f} MB"


# --- atomic files ------------------------------------------------------------------------------
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# Errors of os.link on file systems without hard links (FAT, some network and FUSE mounts).
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS, errno.EACCES}


def create_new_file(path: str | os.PathLike[str]) -> None:
    """Create the empty file ``path``; fails (FileExistsError) if anything, a link included, has that name."""
    os.close(os.open(path, _CREATE_FLAGS, 0o666))


def _create_temporary(path: Path, suffix: str) -> Path:
    for _ in range(100):
        candidate = temporary_name(path, suffix)
        try:
            fd = os.open(candidate, _CREATE_FLAGS, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise OutputError(f"cannot write {path}: could not create a temporary file next to it")


def _commit_file(temporary: Path, path: Path, overwrite: bool) -> None:
    """Move the complete ``temporary`` onto ``path`` (never replacing it without ``overwrite``)."""
    if overwrite:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path, follow_symlinks=False)  # fails if path exists, even a dangling link
    except FileExistsError:
        raise _exists(path) from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(path):
            raise _exists(path) from None
        os.replace(temporary, path)
        return
    os.unlink(temporary)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass  # best effort: the original error matters more


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = False, suffix: str | None = None) -> Iterator[Path]:
    """Write ``path`` all at once: yields a fresh temporary path in the same folder to write to.

    The temporary exists (empty) and was created exclusively, so nothing planted under its name is
    followed. When the ``with`` block ends normally it is renamed onto ``path``; on any exception
    (Ctrl-C and SIGTERM included) it is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : path
        The file the user asked for.
    overwrite : bool
        Replace an existing ``path``; without it an existing ``path`` is an error, checked before
        and again at the final step.
    suffix : str, optional
        Ending of the temporary's name (default ``path``'s suffix, so tools that choose a format
        from the name, such as ffmpeg, see the right one).

    Raises
    ------
    OutputError
        ``path`` exists without ``overwrite``, or the disk refused (full, read-only, no permission).
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise _exists(path)
    try:
        is_folder = path.is_dir() and not path.is_symlink()  # may raise, e.g. for a name too long
    except OSError as error:
        raise explain_os_error(error, path) from None
    if is_folder:
        raise OutputError(f"cannot write {path}: it is a folder")
    try:
        temporary = _create_temporary(path, path.suffix if suffix is None else suffix)
    except OSError as error:
        raise explain_os_error(error, path) from None
    try:
        try:
            yield temporary
            _commit_file(temporary, path, overwrite)
        except OSError as error:
            raise explain_os_error(error, path) from None
    finally:
        if os.path.lexists(temporary):
            _remove(temporary)


@contextmanager
def scratch_path(near: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """A working file for intermediate data, created exclusively next to ``near`` and always removed.

    Raises
    ------
    OutputError
        The folder refused the file (the message names ``near``).
    """
    near = Path(near)
    try:
        temporary = _create_temporary(near, suffix)
    except OSError as error:
        raise explain_os_error(error, near) from None
    try:
        yield temporary
    finally:
        _remove(temporary)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); returns ``path``."""
    path = Path(path)
    with atomic_path(path, overwrite=overwrite) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return path


def write_text_atomic(path: str | os.PathLike[str], text: str, *, overwrite: bool = False,
                      encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); returns ``path``."""
    return write_bytes_atomic(path, text.encode(encoding), overwrite=overwrite)


# --- atomic folders (PNG frames) ---------------------------------------------------------------
def foreign_entries(folder: Path, own: re.Pattern[str]) -> list[str]:
    """Names in ``folder`` that pelvisim did not write (not matching ``own``), sorted."""
    return sorted(entry.name for entry in os.scandir(folder)
                  if not (own.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)))


def check_folder_replaceable(path: Path, own: re.Pattern[str], what: str) -> None:
    """Refuse, before any work, to replace a folder that holds anything but pelvisim's ``own`` files.

    ``what`` names those files in the message (e.g. ``"frame_NNNNN.png frames"``).
    """
    if path.is_dir() and not path.is_symlink():
        if os.path.ismount(path):  # a folder that is a disk of its own cannot be swapped for a new one
            raise OutputError(f"cannot write {what} into {path}: it is a mount point; write them into a new folder "
                              "inside it")
        foreign = foreign_entries(path, own)
        if foreign:
            shown = ", ".join(_cut(name, 60) for name in foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise OutputError(
                f"{path} holds files that are not pelvisim's {what} ({shown}); pelvisim replaces only a folder of "
                f"its own {what}, so nothing of yours is deleted: choose a new or empty folder")


@contextmanager
def atomic_folder(path: str | os.PathLike[str], *, own: re.Pattern[str], what: str = "files",
                  overwrite: bool = False) -> Iterator[Path]:
    """Fill a folder all at once: yields a fresh temporary folder next to ``path`` to write into.

    On success the temporary folder takes the place of ``path``. An existing ``path`` is replaced
    only with ``overwrite`` (an empty one always) and only when it holds nothing but files whose
    names match ``own`` (e.g. ``frame_00012.png``); anything else in it is the user's and the
    folder is refused before any work. On any exception the temporary folder is removed.

    Raises
    ------
    OutputError
    """
    path = Path(path)
    if os.path.lexists(path):
        if path.is_symlink() or not path.is_dir():
            raise OutputError(f"cannot write frames into {path}: a file (or link) with that name exists")
        check_folder_replaceable(path, own, what)
        if not overwrite and any(path.iterdir()):
            raise _exists(path)
    temporary = temporary_name(path)
    try:
        os.mkdir(temporary, 0o777)
    except OSError as error:
        raise explain_os_error(error, path) from None
    trash: Path | None = None
    try:
        try:
            yield temporary
            if os.path.lexists(path):
                # Checked again: files may have been added while we rendered.
                check_folder_replaceable(path, own, what)
                if not overwrite and any(path.iterdir()):
                    raise _exists(path)
                trash = temporary_name(path, ".old")
                os.rename(path, trash)
            try:
                os.rename(temporary, path)
            except BaseException:
                if trash is not None:
                    os.rename(trash, path)  # put the old folder back
                    trash = None
                raise
        except OSError as error:
            raise explain_os_error(error, path) from None
    finally:
        if os.path.lexists(temporary):
            _remove(temporary)
        if trash is not None:
            _remove(trash)


# --- interrupts --------------------------------------------------------------------------------
_lock = threading.Lock()
_deferring = 0
_pending: int | None = None
_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None)


def _handler(signum: int, frame: object) -> None:
    global _pending
    if _deferring:
        # Raised by check_interrupted() at the next safe point. Never raised here: this handler may
        # run inside a Python callback that VTK called, and VTK answers a KeyboardInterrupt there
        # with "Caught a Ctrl-C within python, exiting program." and exit code 1.
        if _pending is None:
            _pending = signum
        return
    raise Interrupted(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def install_interrupt_handlers() -> None:
    """Make SIGINT and SIGTERM raise :class:`Interrupted` in the main thread (the command line)."""
    if _in_main_thread():
        for sig in _SIGNALS:
            signal.signal(sig, _handler)


def check_interrupted() -> None:
    """Raise :class:`Interrupted` if a signal arrived inside :func:`deferred_interrupts`."""
    global _pending
    if _pending is not None:
        signum, _pending = _pending, None
        raise Interrupted(signum)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Inside, SIGINT/SIGTERM are held until :func:`check_interrupted` (or the block's end).

    Only the main thread can own signal handlers; elsewhere this does nothing. Nested blocks are
    fine. Code inside must call :func:`check_interrupted` often (every frame); a pending signal is
    also raised when the block ends.
    """
    global _deferring, _pending
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    with _lock:
        _deferring += 1
    for sig in _SIGNALS:
        signal.signal(sig, _handler)
    try:
        yield
        check_interrupted()
    finally:
        with _lock:
            _deferring -= 1
        if not _deferring:
            for sig, handler in previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            if _pending is not None:  # a signal that arrived after the last check
                signum, _pending = _pending, None
                raise Interrupted(signum)
