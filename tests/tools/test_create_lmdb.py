"""tools/create_lmdb.py: the command line (the logic is tested in
tests/datasets/test_lmdb.py)."""
import os
import signal
import subprocess
import sys
import warnings

import cv2
import lmdb
import numpy as np
import pytest

from tests.helpers import (read_lmdb_image, write_image_folder,
                           write_paired_folder)
from tests.tools.test_reliability import run_inprocess
from toolbox.datasets import lmdb_utils
from toolbox.datasets.lmdb_utils import create_lmdb, read_meta_info


def run_create_lmdb(repo_root, *args):
    """``tools/create_lmdb.py ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, 'tools/create_lmdb.py'] + [str(a) for a in args],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))


def interrupt_build(src, out, monkeypatch, commits=1):
    """A build of ``src`` into ``out`` that stops (as if killed) after
    ``commits`` transactions of 2 images: ``out.partial`` is left."""
    real_commit = lmdb_utils._commit
    calls = {'n': 0}

    def stop_after(*args, **kwargs):
        calls['n'] += 1
        if calls['n'] > commits:
            raise KeyboardInterrupt
        return real_commit(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(lmdb_utils, '_commit', stop_after)
        with pytest.raises(KeyboardInterrupt):
            create_lmdb(str(src), str(out), commit_every=2, progress=False)
    assert not out.exists() and (out.parent / (out.name + '.partial')).is_dir()


def assert_holds_exactly(db, folder):
    """Every key of ``db`` decodes to the pixels of its file in ``folder``,
    and it holds no other key."""
    sources = {p.stem: p for p in folder.glob('*.png')}
    with lmdb.open(str(db), readonly=True, lock=False) as env:
        with env.begin() as txn:
            stored = {k.decode() for k, _ in txn.cursor()}
    assert stored == set(sources) == set(read_meta_info(str(db)))
    for key, path in sources.items():
        expected = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(read_lmdb_image(str(db), key), expected), key


def test_cli_with_workers(tmp_path, repo_root):
    """With several workers every image lands under its own key: each value
    read back decodes to the pixels of the PNG it came from (a mix-up of
    keys and images between workers would show)."""
    root = write_paired_folder(tmp_path / 'src', count=5, size=16)
    src = root / 'target'
    # a sub-folder and images of another size: keys keep their folders
    write_image_folder(src / 'sub', count=2, size=12, seed=3)
    result = subprocess.run(
        [sys.executable, 'tools/create_lmdb.py', '--input', str(src),
         '--output', str(tmp_path / 't.lmdb'), '--workers', '2',
         '--compress-level', '3'],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr
    assert '7 images' in result.stdout
    db = str(tmp_path / 't.lmdb')
    sources = {str(p.relative_to(src).with_suffix('')): p
               for p in src.rglob('*.png')}
    assert len(sources) == 7
    meta = read_meta_info(db)
    assert set(meta) == set(sources)
    with lmdb.open(db, readonly=True, lock=False) as env:
        with env.begin() as txn:
            stored = {k.decode() for k, _ in txn.cursor()}
    assert stored == set(sources)  # nothing more, nothing less
    for key, path in sources.items():
        expected = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        value = read_lmdb_image(db, key)
        assert value.shape == expected.shape == meta[key], key
        assert np.array_equal(value, expected), key


def test_a_symlink_loop_is_listed_once(tmp_path, repo_root):
    """``ln -s .. D/loop/up`` inside the input folder: each image is packed
    once (the loop used to multiply 6 images into 246 keys), with a warning
    naming the link."""
    src = write_image_folder(tmp_path / 'D', count=4, size=16)
    write_image_folder(src / 'loop', count=2, size=16, seed=1)
    os.symlink('..', src / 'loop' / 'up')
    result = subprocess.run(
        [sys.executable, 'tools/create_lmdb.py', '--input', str(src),
         '--output', str(tmp_path / 'd.lmdb')],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr
    assert '6 images' in result.stdout
    assert len(read_meta_info(str(tmp_path / 'd.lmdb'))) == 6
    assert f'{src}/loop/up is a link to a folder already listed' in \
        result.stderr


def test_a_partial_build_of_another_folder_is_not_resumed(
        tmp_path, repo_root, monkeypatch):
    """Issue 28, defect 1: an interrupted build of folder B left
    ``X.lmdb.partial``; building folder A (same key names) into X.lmdb used
    to resume it and finish with B's pixels under A's keys (exit 0,
    ``--verify`` passing), with ``--overwrite`` too. Now the rerun is
    refused, naming the partial and its source, and ``--overwrite``
    discards it with a warning: the database holds A's pixels only."""
    folder_a = write_image_folder(tmp_path / 'A', count=4, size=16, seed=0)
    folder_b = write_image_folder(tmp_path / 'B', count=4, size=16, seed=1)
    assert not np.array_equal(cv2.imread(str(folder_a / '000.png')),
                              cv2.imread(str(folder_b / '000.png')))
    out = tmp_path / 'x.lmdb'
    interrupt_build(folder_b, out, monkeypatch)
    partial = tmp_path / 'x.lmdb.partial'

    result = run_create_lmdb(repo_root, '--input', folder_a, '--output', out)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f'tools/create_lmdb.py: error: {partial} holds an interrupted '
            f'build of {folder_b}, not of {folder_a}') in result.stderr
    assert f'rerun with --input {folder_b}' in result.stderr
    assert '--overwrite to discard it' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not out.exists() and partial.is_dir()  # B's build is kept

    result = run_create_lmdb(repo_root, '--input', folder_a, '--output', out,
                             '--overwrite')
    assert result.returncode == 0, result.stderr
    assert (f'WARNING: {partial} is an interrupted build of {folder_b}, not '
            f'of {folder_a}: discarded (--overwrite)') in result.stderr
    assert '4 images' in result.stdout
    assert_holds_exactly(out, folder_a)
    assert run_create_lmdb(repo_root, '--verify', out).returncode == 0


def test_a_resume_repacks_the_files_changed_since(tmp_path, repo_root,
                                                  monkeypatch):
    """Resuming the same folder reuses only the keys whose file is
    unchanged (name, size, mtime): an image edited after the interruption
    is packed again, and the key of an image removed since is dropped
    (it used to keep the old pixels, and the removed image)."""
    folder = write_image_folder(tmp_path / 'A', count=6, size=16)
    out = tmp_path / 'x.lmdb'
    interrupt_build(folder, out, monkeypatch, commits=2)  # 000-003 packed
    rng = np.random.default_rng(7)
    edited = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    cv2.imwrite(str(folder / '001.png'), edited)
    os.remove(folder / '002.png')

    result = run_create_lmdb(repo_root, '--input', folder, '--output', out)
    assert result.returncode == 0, result.stderr
    assert '5 images' in result.stdout
    assert np.array_equal(read_lmdb_image(str(out), '001'), edited)
    assert_holds_exactly(out, folder)
    assert run_create_lmdb(repo_root, '--verify', out).returncode == 0


#: A build that holds the lock and waits (before its first commit) until
#: it is killed: a run still going.
BLOCKED_BUILD = """
import sys
from toolbox.datasets import lmdb_utils
def wait(*args, **kwargs):
    print('packing', flush=True)
    sys.stdin.read()
lmdb_utils._commit = wait
lmdb_utils.create_lmdb(sys.argv[1], sys.argv[2], progress=False)
"""


def test_a_second_build_of_one_output_is_refused_while_the_first_runs(
        tmp_path, repo_root):
    """Two builds into one X.lmdb at once used to share X.lmdb.partial.
    The second is refused, naming the lock and the first one's pid; once
    that one is killed, its lock (left on disk) no longer blocks."""
    folder = write_image_folder(tmp_path / 'A', count=4, size=16)
    out = tmp_path / 'x.lmdb'
    lock = tmp_path / 'x.lmdb.lock'
    first = subprocess.Popen(
        [sys.executable, '-c', BLOCKED_BUILD, str(folder), str(out)],
        cwd=repo_root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        assert first.stdout.readline().strip() == 'packing'
        result = run_create_lmdb(repo_root, '--input', folder, '--output',
                                 out, '--overwrite')
        assert result.returncode == 2, result.stdout + result.stderr
        assert (f'tools/create_lmdb.py: error: {out} is being built by '
                f'another run (pid {first.pid} on ') in result.stderr
        assert f'lock {lock})' in result.stderr
        assert 'choose another --output' in result.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    assert lock.exists()  # a killed build leaves its lock file
    result = run_create_lmdb(repo_root, '--input', folder, '--output', out)
    assert result.returncode == 0, result.stderr
    assert_holds_exactly(out, folder)
    assert not lock.exists()  # a build that ends removes it
    result = run_create_lmdb(repo_root, '--input', folder, '--output', out)
    assert result.returncode == 2  # one line, no traceback
    assert result.stderr.startswith(f'tools/create_lmdb.py: error: {out} '
                                    'exists; pass --overwrite to rebuild it')


# --- Issue 28, item 4: a user's mistake is one line, exit 2, nothing written -


def create_lmdb_inprocess(repo_root, capsys, monkeypatch, *args):
    """``tools/create_lmdb.py ARGS`` run in this process (no seconds of
    imports): ``(exit status, stdout + stderr)``."""
    monkeypatch.delenv('TOOLBOX_DEBUG', raising=False)
    # The tool points warnings.showwarning at its printer: undone after.
    monkeypatch.setattr(warnings, 'showwarning', warnings.showwarning)
    return run_inprocess(repo_root, 'tools/create_lmdb.py', args, capsys,
                         monkeypatch)


def assert_refused(code, output, message):
    assert code == 2, output
    assert f'tools/create_lmdb.py: error: {message}' in output
    assert 'Traceback' not in output


def test_names_that_cannot_be_keys_are_refused_up_front(
        tmp_path, repo_root, capsys, monkeypatch):
    """A space or a non-ASCII letter in a file name used to end in a
    traceback (ValueError). MMEngine's LmdbBackend (the datasets' reader),
    BasicSR and MMagic look keys up as ASCII and meta_info.txt ends a key at
    a space, so neither round-trips: the build is refused before anything
    is written, naming every such file and the fix."""
    src = write_image_folder(tmp_path / 'D', count=2, size=8)
    write_image_folder(src / 'sub', count=1, size=8)
    for name in ('a b.png', 'café.png', 'sub/x\ty.png'):
        (src / name).write_bytes((src / '000.png').read_bytes())
    out = tmp_path / 'new' / 'd.lmdb'
    code, output = create_lmdb_inprocess(repo_root, capsys, monkeypatch,
                                         '--input', src, '--output', out)
    assert_refused(code, output, f"{src} holds 3 file names that cannot be "
                   "an LMDB key: 'a b.png', 'café.png', 'sub/x\\ty.png'. A "
                   'key is the path without its extension and must be ASCII '
                   'without spaces')
    assert 'Rename such files' in output
    assert not (tmp_path / 'new').exists()  # no folder, lock or partial


def test_a_non_ascii_key_does_not_read_back(tmp_path):
    """Why such names are refused rather than stored as UTF-8: an LMDB
    that holds one (made by hand here) lists it, but the datasets' reader
    cannot look it up."""
    from toolbox.datasets.listing import list_images
    from toolbox.datasets.transforms.loading import ImageReadError, read_image
    db = str(tmp_path / 'u.lmdb')
    ok, png = cv2.imencode('.png', np.zeros((4, 4, 3), np.uint8))
    with lmdb.open(db, map_size=1 << 22) as env, env.begin(write=True) as txn:
        txn.put('café'.encode(), png.tobytes())
    (tmp_path / 'u.lmdb' / 'meta_info.txt').write_text('café.png (4,4,3) 1\n')
    keys, backend_args = list_images(db)
    assert list(keys) == ['café']
    with pytest.raises(ImageReadError, match='ascii'):
        read_image('café', backend_args)


def test_an_output_without_the_lmdb_suffix_is_refused(
        tmp_path, repo_root, capsys, monkeypatch):
    """``--output out`` (or ``out.LMDB``) used to end in a traceback."""
    src = write_image_folder(tmp_path / 'D', count=1, size=8)
    for given, wanted in (('new/out', 'new/out.lmdb'),
                          ('new/out.LMDB', 'new/out.lmdb')):
        code, output = create_lmdb_inprocess(
            repo_root, capsys, monkeypatch, '--input', src, '--output',
            tmp_path / given)
        assert_refused(code, output, f'--output {tmp_path / given}: an LMDB '
                       'is a folder whose name ends with .lmdb (the toolbox '
                       'and BasicSR recognise it by that); use --output '
                       f'{tmp_path / wanted}')
    assert not (tmp_path / 'new').exists()


def test_two_files_of_one_key_are_refused_before_writing(
        tmp_path, repo_root, capsys, monkeypatch):
    """``a.png`` and ``a.jpg`` map to one key ``a``: used to end in a
    traceback; now refused before anything is written, naming both (every
    such group at once)."""
    src = write_image_folder(tmp_path / 'D', count=3, size=8)
    for stem in ('000', '002'):
        cv2.imwrite(str(src / f'{stem}.jpg'), cv2.imread(str(src / '000.png')))
    out = tmp_path / 'new' / 'd.lmdb'
    code, output = create_lmdb_inprocess(repo_root, capsys, monkeypatch,
                                         '--input', src, '--output', out)
    assert_refused(code, output, f"Images in {src} share a name (their "
                   f"extensions aside): '000': {src}/000.jpg, "
                   f"{src}/000.png; '002': {src}/002.jpg, {src}/002.png. ")
    assert 'Rename or remove all but one file of each name.' in output
    assert not (tmp_path / 'new').exists()
