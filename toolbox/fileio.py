"""Atomic file writes, shared by checkpoints, results files and the tools.

A file written with :func:`atomic_write_bytes` is, for any reader and after
any crash, either the old file or the complete new one, never half of one.
This module sits below every package of the toolbox (it imports none), so
``engine``, ``evaluation`` and the tools can all use it.
"""
import glob
import os
import re
import socket
import stat
import tempfile
from pathlib import Path
from typing import List, Union

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
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_write_text(text: str, filepath: Union[str, Path],
                      encoding: str = 'utf-8') -> None:
    """:func:`atomic_write_bytes` for text."""
    atomic_write_bytes(text.encode(encoding), filepath)


__all__ = ['atomic_write_bytes', 'atomic_write_text',
           'remove_orphaned_temp_files']
