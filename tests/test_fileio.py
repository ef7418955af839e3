"""toolbox/fileio.py: permissions of atomic writes, orphaned temp files."""
import os
import subprocess
import sys

from toolbox.engine.checkpoint import AtomicLocalBackend
from toolbox.fileio import atomic_write_bytes, remove_orphaned_temp_files


def test_atomic_writes_get_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(b'x', tmp_path / 'a.json')
        assert (tmp_path / 'a.json').stat().st_mode & 0o777 == 0o644
        os.umask(0o002)
        atomic_write_bytes(b'x', tmp_path / 'b.pth')
        assert (tmp_path / 'b.pth').stat().st_mode & 0o777 == 0o664
        # Overwriting keeps the file's own mode, as open(..., 'w') does.
        os.chmod(tmp_path / 'a.json', 0o640)
        atomic_write_bytes(b'y', tmp_path / 'a.json')
        assert (tmp_path / 'a.json').stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_orphaned_temp_files_are_removed_at_the_next_save(tmp_path):
    from toolbox.fileio import _host
    # A writer that is gone: a finished child process's pid.
    child = subprocess.run([sys.executable, '-c',
                            'import os; print(os.getpid())'],
                           capture_output=True, text=True)
    dead = int(child.stdout)
    orphan = tmp_path / f'.iter_10.pth.{_host()}-{dead}.abc123.tmp'
    live = tmp_path / f'.iter_10.pth.{_host()}-{os.getpid()}.def456.tmp'
    other_host = tmp_path / f'.iter_10.pth.elsewhere-{dead}.ghi789.tmp'
    for path in (orphan, live, other_host):
        path.write_bytes(b'half a checkpoint')
    AtomicLocalBackend().put(b'weights', tmp_path / 'iter_20.pth')
    assert not orphan.exists()
    assert live.exists() and other_host.exists()
    assert (tmp_path / 'iter_20.pth').read_bytes() == b'weights'
    assert remove_orphaned_temp_files(tmp_path) == []
