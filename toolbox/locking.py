"""Exclusive locks on a path, so that two runs never write one output.

``create_lmdb`` locks its output database (``X.lmdb.lock``) and training
locks its work dir (``<work_dir>/.lock``) for the whole run; a second run
on the same output is refused with :class:`LockHeldError`, naming the lock
and the holder's pid (recorded in the lock file).

Why POSIX record locks (``fcntl.lockf``) and not ``flock``: an ``flock``
belongs to the open file, which forked children share (``create_lmdb``'s
encoding pool, DataLoader workers), so after the run is killed its orphaned
workers keep the lock until they notice (seconds, or for ever), and the
rerun is refused in the name of a dead pid. A record lock belongs to the
process that took it: the kernel releases it the moment that process dies,
however it dies, so a lock left behind never blocks. Record locks do not
conflict within one process, so this module also keeps the set of locks
the process holds and refuses a second one itself (two runs in one
notebook, threads).

This module imports nothing of the toolbox (it sits on the floor of
:mod:`toolbox.fileio`). Without ``fcntl`` (Windows) it does not lock.
"""
import contextlib
import os
import socket
import threading
from typing import Iterator, Optional

try:
    import fcntl
except ImportError:  # Windows: no POSIX locks; runs are not locked there.
    fcntl = None


class LockHeldError(RuntimeError):
    """Another live run holds the lock (the message names it and the way
    on)."""

    def __init__(self, message: str, path: str, holder: Optional[str]):
        super().__init__(message)
        self.path = path
        self.holder = holder


_held = set()  # absolute lock paths this process holds
_held_guard = threading.Lock()


def _holder_of(path: str) -> Optional[str]:
    """``pid N on HOST`` as the holder recorded it, or ``None``."""
    try:
        with open(path) as file:
            fields = file.read().split()
    except OSError:
        return None
    if len(fields) >= 2 and fields[0].isdigit():
        return f'pid {fields[0]} on {fields[1]}'
    return None


def _try_lock(path: str) -> Optional[int]:
    """A descriptor of ``path`` holding its lock, or ``None`` if a live
    process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        # The holder before us removes the file as it releases it: locking
        # the unlinked file would lock nothing, so check that the file we
        # hold is still the one at ``path`` (else retry with the new one).
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(path: str, held_message: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` for the ``with`` block.

    The file records ``<pid> <host>`` and is removed on release (a killed
    process leaves it behind, unlocked: the next run takes it over).

    Raises:
        LockHeldError: a live process holds the lock; the message is
            ``held_message`` with ``{holder}`` replaced by ``pid N on HOST``
            (or "a process that has not recorded its pid yet") and
            ``{lock}`` by ``path``.
    """
    if fcntl is None:
        yield
        return
    path = os.path.abspath(path)

    def refuse(holder):
        raise LockHeldError(held_message.format(
            holder=holder or 'a process that has not recorded its pid yet',
            lock=path), path, holder)

    with _held_guard:
        if path in _held:
            refuse(f'pid {os.getpid()} on {socket.gethostname()}')
        fd = _try_lock(path)
        if fd is None:
            refuse(_holder_of(path))
        _held.add(path)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f'{os.getpid()} {socket.gethostname()}\n'.encode())
        yield
    finally:
        with _held_guard:
            _held.discard(path)
            # Removed while still locked, so that no other run can lock
            # this file between the removal and the release (see _try_lock).
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            os.close(fd)  # releases the lock


__all__ = ['exclusive_lock', 'LockHeldError']
