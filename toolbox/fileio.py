"""Atomic file writes, shared by checkpoints, results files and the tools.

A file written with :func:`atomic_write_bytes` is, for any reader and after
any crash, either the old file or the complete new one, never half of one.
This module sits below every package of the toolbox (it imports none), so
``engine``, ``evaluation`` and the tools can all use it.
"""
import contextlib
import errno
import glob
import os
import re
import socket
import stat
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Union

#: Temporary files are named ``.<target>.<host>-<pid>.<random>.tmp``, so a
#: later save can tell an orphan (its writer is gone) from a file another
#: process is writing now.
_TEMP_PATTERN = re.compile(r'^\.(?P<target>.+)\.(?P<host>[^.]*)-(?P<pid>\d+)\.'
                           r'[^.]+\.tmp$')


def _host() -> str:
    return re.sub(r'[^A-Za-z0-9_-]', '_', socket.gethostname()) or 'host'


def _new_file_mode(filepath: str) -> int:
    """The mode ``open(filepath, 'w')`` would give: the existing file's, or
    ``0o666`` less the umask (``mkstemp`` creates files ``0o600``)."""
    try:
        return stat.S_IMODE(os.stat(filepath).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphaned_temp_files(folder: Union[str, Path]) -> List[str]:
    """Remove the temporary files of :func:`atomic_write_bytes` in
    ``folder`` whose writer, a process of this machine, is gone (a run
    killed mid-save); returns their paths. Files of live processes or of
    other machines are left alone."""
    removed = []
    host = _host()
    for path in glob.glob(os.path.join(os.fspath(folder), '.*.tmp')):
        found = _TEMP_PATTERN.match(os.path.basename(path))
        if not found or found['host'] != host or _pid_alive(
                int(found['pid'])):
            continue
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed


def _write_and_sync(file, data: bytes) -> None:
    """Write ``data`` to the open ``file`` and make it durable; where a
    full disk or quota shows (``write``, ``flush`` or ``fsync`` fail)."""
    file.write(data)
    file.flush()
    os.fsync(file.fileno())


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` so that ``filepath`` is either the old or the new file.

    The bytes go to a temporary file in the target's folder (a rename across
    file systems would not be atomic), which is flushed, fsynced and renamed
    over the target (``os.replace`` is atomic on POSIX and Windows). The
    temporary file is removed if anything fails, including an interrupt
    (a killed process leaves it behind:
    :func:`remove_orphaned_temp_files` removes it later). The file gets the
    permissions a plain ``open(filepath, 'w')`` would give (the umask's),
    not ``mkstemp``'s ``0o600``.
    """
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    mode = _new_file_mode(filepath)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(filepath)}.{_host()}-'
        f'{os.getpid()}.', suffix='.tmp')
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as f:
            _write_and_sync(f, data)
        os.replace(tmp_path, filepath)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_write_text(text: str, filepath: Union[str, Path],
                      encoding: str = 'utf-8') -> None:
    """:func:`atomic_write_bytes` for text."""
    atomic_write_bytes(text.encode(encoding), filepath)


# ---------------------------------------------------------------------------
# Writing the user's output: faults of the place written to
# ---------------------------------------------------------------------------

#: ``errno`` of a failed write that the place written to explains (disk
#: full, quota, read-only file system, no permission): the user's to fix
#: by freeing space or choosing another place, not a fault of the toolbox.
WRITE_FAULT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES})

#: What to do about each fault; ``{elsewhere}`` becomes "choose another
#: <option>" (or "write elsewhere").
_FIXES = {
    errno.ENOSPC: 'free space on that disk, or {elsewhere}',
    errno.EDQUOT: 'free space within your quota, or {elsewhere}',
    errno.EROFS: '{elsewhere} on a writable disk',
    errno.EACCES: "check the folder's permissions, or {elsewhere}",
    errno.ENOTDIR: 'remove or rename that file, or {elsewhere}',
    errno.EISDIR: 'name a file, not a folder',
}


class OutputWriteError(OSError):
    """The user's output could not be written because of where it goes.

    An ``OSError`` with the fault's ``errno`` and the output as
    ``filename`` (so code that catches ``OSError`` still does), whose
    message names the file, the reason and the fix: ``could not write
    out/a.png: no space left on device (free space on that disk, or
    choose another --output)``. A user error for
    :func:`toolbox.app.errors.run_tool` (exit 2, no traceback).

    Args:
        code: the ``errno`` (``ENOSPC``, ``EROFS``, ...).
        filepath: the output that could not be written.
        option: the option that chooses the place (``--output``,
            ``--work-dir``), named in the fix.
        reason: the reason, when the OS's words for ``code`` are not it
            (``a_file is a file, not a folder``).
        note: a sentence added at the end (what was written before).
        folder: ``filepath`` is a folder to write into (``cannot write
            into DIR``), not a file.
    """

    def __init__(self, code: int, filepath: Union[str, Path],
                 option: Optional[str] = None,
                 reason: Optional[str] = None, note: str = '',
                 folder: bool = False):
        super().__init__(code, os.strerror(code), os.fspath(filepath))
        self.option = option
        self.reason = reason or os.strerror(code).lower()
        self.note = note
        self.folder = folder

    def __reduce__(self):  # keep the keyword fields across pickling
        return (type(self), (self.errno, self.filename, self.option,
                             self.reason, self.note, self.folder))

    def __str__(self) -> str:
        elsewhere = (f'choose another {self.option}' if self.option else
                     'write elsewhere')
        fix = _FIXES.get(self.errno)
        fix = f' ({fix.format(elsewhere=elsewhere)})' if fix else ''
        note = f'; {self.note}' if self.note else ''
        what = 'cannot write into' if self.folder else 'could not write'
        return f'{what} {self.filename}: {self.reason}{fix}{note}'

    def with_context(self, option: Optional[str] = None,
                     note: str = '') -> 'OutputWriteError':
        """This error with ``option`` (unless it names one) and ``note``."""
        return OutputWriteError(self.errno, self.filename,
                                self.option or option, self.reason,
                                note or self.note, self.folder)


@contextlib.contextmanager
def writing_output(filepath: Union[str, Path],
                   option: Optional[str] = None) -> Iterator[None]:
    """Turn a write of ``filepath`` that fails for a reason of the place
    (:data:`WRITE_FAULT_ERRNOS`) into :class:`OutputWriteError` naming it.

    Meant around the write of a user's output only (an image, a results
    file, a checkpoint): there the fault is the disk's, and the user can
    fix it. Other ``OSError`` pass unchanged, and so does any error
    elsewhere (a full ``/dev/shm`` under the data loader is not the
    output's fault).
    """
    try:
        yield
    except OutputWriteError:
        raise
    except OSError as error:
        if error.errno not in WRITE_FAULT_ERRNOS:
            raise
        raise OutputWriteError(error.errno, filepath, option) from error


def _nearest_existing(path: str) -> str:
    """``path`` or its nearest ancestor that exists (what a ``makedirs``
    of ``path`` would create the rest under)."""
    path = os.path.abspath(path)
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_output_folder(folder: Union[str, Path],
                        option: Optional[str] = None,
                        target: Optional[Union[str, Path]] = None) -> None:
    """Check, writing nothing, that ``folder`` can be created or written.

    Called before long work whose result goes there (scoring, restoring,
    training), so that a read-only disk or a mistyped path stops the run
    before the work, not after it. The nearest existing part of
    ``folder`` must be a folder, on a file system mounted read-write, that
    this process may write into. (A full disk cannot be told in advance:
    :func:`writing_output` reports it when the write fails.)

    Args:
        folder: the output folder (it need not exist yet).
        option: the option that chose it, named in the fix.
        target: the file to name in the message (default ``folder``).

    Raises:
        OutputWriteError: ``ENOTDIR`` (a file is in the way), ``EROFS`` or
            ``EACCES``.
    """
    folder = os.fspath(folder)
    into = target is None  # the message names the folder itself
    target = folder if into else os.fspath(target)
    existing = _nearest_existing(folder)
    if not os.path.isdir(existing):
        where = ('it' if into and existing == os.path.abspath(folder) else
                 existing)
        raise OutputWriteError(errno.ENOTDIR, target, option,
                               f'{where} is a file, not a folder',
                               folder=into)
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        raise OutputWriteError(errno.EROFS, target, option, folder=into)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputWriteError(errno.EACCES, target, option, folder=into)


def check_output_file(filepath: Union[str, Path],
                      option: Optional[str] = None) -> None:
    """:func:`check_output_folder` for the folder that will hold the file
    ``filepath``, which must not be a folder itself."""
    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        raise OutputWriteError(errno.EISDIR, filepath, option,
                               'it is a folder')
    check_output_folder(os.path.dirname(os.path.abspath(filepath)), option,
                        target=filepath)


__all__ = ['atomic_write_bytes', 'atomic_write_text',
           'remove_orphaned_temp_files', 'OutputWriteError',
           'WRITE_FAULT_ERRNOS', 'writing_output', 'check_output_folder',
           'check_output_file']
