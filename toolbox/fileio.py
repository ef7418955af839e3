"""Atomic file writes, shared by checkpoints, results files and the tools.

A file written with :func:`atomic_write_bytes` is, for any reader and after
any crash, either the old file or the complete new one, never half of one.
This module sits below every package of the toolbox (it imports none), so
``engine``, ``evaluation`` and the tools can all use it.
"""
import os
import tempfile
from pathlib import Path
from typing import Union


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` so that ``filepath`` is either the old or the new file.

    The bytes go to a temporary file in the target's folder (a rename across
    file systems would not be atomic), which is flushed, fsynced and renamed
    over the target (``os.replace`` is atomic on POSIX and Windows). The
    temporary file is removed if anything fails, including an interrupt.
    """
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(filepath)}.', suffix='.tmp')
    try:
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


__all__ = ['atomic_write_bytes', 'atomic_write_text']
