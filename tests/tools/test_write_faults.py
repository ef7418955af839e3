"""Issue 28, item 4: a disk that refuses the output, an image too small for
the network and an animated GIF, through the tools as a user runs them
(docs/reliability.md, "Faults provoked"). Each ends in one message (exit
2, no traceback) or in the folder's list of bad files (exit 1), and
nothing is half-written or lost.

The suite runs as root, for whom permissions do not stop a write, so the
faults are made in-process (``run_inprocess``), each as narrowly as the
fault itself:

* a full disk: the bytes of the file go to ``/dev/full``, whose every
  write fails with the kernel's own ``ENOSPC`` (``disk_full_for``);
* a read-only file system: ``os.statvfs`` reports ``ST_RDONLY`` for one
  folder, as for a read-only mount (``read_only``);
* a file in the way: a real regular file where the output folder goes.
"""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from tests.helpers import write_image_folder, write_paired_folder
from tests.tools.test_reliability import (TINY, run_inprocess, save_model_of,
                                          tiny_options)

DCDGAN = 'configs/dcdgan/dcdgan_demo.py'
CYCLEGAN = 'configs/cyclegan/cyclegan_demo.py'

pytestmark = pytest.mark.skipif(not osp.exists('/dev/full'),
                                reason='needs /dev/full (Linux)')


def disk_full_for(monkeypatch, name: str) -> None:
    """Make the atomic writes of files whose name contains ``name`` fail
    as on a full disk: their bytes go to ``/dev/full`` (real ``ENOSPC``
    from the kernel) instead of the temporary file."""
    import toolbox.fileio as fileio
    real = fileio._write_and_sync

    def write(file, data):
        # The temporary file is ".<target name>.<host>-<pid>.<random>.tmp".
        if name in osp.basename(os.readlink(f'/proc/self/fd/'
                                            f'{file.fileno()}')):
            with open('/dev/full', 'wb') as full:
                full.write(data)
                full.flush()
        real(file, data)

    monkeypatch.setattr(fileio, '_write_and_sync', write)


def read_only(monkeypatch, folder) -> None:
    """Make ``folder`` and everything under it look like a read-only
    mount to ``os.statvfs`` (``f_flag`` with ``ST_RDONLY``)."""
    real = os.statvfs
    root = osp.realpath(folder)

    def statvfs(path):
        result = real(path)
        here = osp.realpath(path)
        if here == root or here.startswith(root + os.sep):
            fields = list(result)
            fields[8] |= os.ST_RDONLY  # f_flag
            result = os.statvfs_result(fields)
        return result

    monkeypatch.setattr(os, 'statvfs', statvfs)


def temp_files(folder):
    return [name for name in os.listdir(folder) if name.endswith('.tmp')]


@pytest.fixture(scope='module')
def tiny_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('wf_tiny') / 'tiny.pth'
    save_model_of(TINY, path)
    return path


# --- tools/iqa.py --------------------------------------------------------


@pytest.mark.parametrize('fault', ['read-only', 'file in the way'])
def test_iqa_checks_out_before_scoring(fault, repo_root, tmp_path, capsys,
                                       monkeypatch):
    """An --out that cannot be written stops iqa.py before it scores
    anything (it used to score every image, then fail on the write)."""
    src = write_paired_folder(tmp_path / 'src', count=2, size=16)
    if fault == 'read-only':
        (tmp_path / 'ro').mkdir()
        read_only(monkeypatch, tmp_path / 'ro')
        out = tmp_path / 'ro' / 'scores.json'
        expected = (f'tools/iqa.py: error: could not write {out}: read-only '
                    'file system (choose another --out on a writable disk)')
    else:
        (tmp_path / 'a_file').write_text('')
        out = tmp_path / 'a_file' / 'scores.json'
        expected = (f'tools/iqa.py: error: could not write {out}: '
                    f'{tmp_path}/a_file is a file, not a folder')
    code, log = run_inprocess(repo_root, 'tools/iqa.py', [
        src / 'input', '--ref', src / 'target', '--metrics', 'psnr',
        '--out', out], capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert expected in log, log[-2000:]
    assert 'mean' not in log and 'Traceback' not in log  # nothing scored


def test_iqa_disk_full_at_the_end_is_one_message(repo_root, tmp_path, capsys,
                                                 monkeypatch):
    """The scores are printed; the JSON that does not fit on the disk is
    one message naming it and the reason (was: a traceback ending in
    ``OSError: [Errno 28] No space left on device``)."""
    src = write_paired_folder(tmp_path / 'src', count=2, size=16)
    out = tmp_path / 'res' / 'scores.json'
    disk_full_for(monkeypatch, 'scores.json')
    code, log = run_inprocess(repo_root, 'tools/iqa.py', [
        src / 'input', '--ref', src / 'target', '--metrics', 'psnr',
        '--out', out], capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert (f'tools/iqa.py: error: could not write {out}: no space left on '
            'device (free space on that disk, or choose another --out)') \
        in log
    assert 'mean' in log and 'Traceback' not in log
    assert not out.exists() and temp_files(out.parent) == []


# --- tools/infer.py ------------------------------------------------------


def test_infer_disk_full_is_not_an_unknown_extension(
        repo_root, tmp_path, tiny_ckpt, capsys, monkeypatch):
    """A file: "could not write FILE: no space left on device" (was: "Could
    not write FILE (unknown extension?)" with a traceback), and the older
    output of that name stays whole. A folder: the images written before
    the failure are named and the run stops (no "N image(s) written")."""
    src = write_image_folder(tmp_path / 'in', count=3, size=16)
    old = tmp_path / 'one' / 'x.png'
    old.parent.mkdir()
    old.write_bytes(b'an earlier result')
    disk_full_for(monkeypatch, 'x.png')
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        TINY, '--checkpoint', tiny_ckpt, '--input', src / '000.png',
        '--output', old], capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert (f'tools/infer.py: error: could not write {old}: no space left on '
            'device (free space on that disk, or choose another --output)') \
        in log
    assert 'extension' not in log and 'Traceback' not in log
    assert old.read_bytes() == b'an earlier result'
    assert temp_files(old.parent) == []

    out = tmp_path / 'many'
    disk_full_for(monkeypatch, '001.png')
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        TINY, '--checkpoint', tiny_ckpt, '--input', src, '--output', out],
        capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert (f'could not write {out}/001.png: no space left on device (free '
            'space on that disk, or choose another --output); 1 of 3 images '
            f'were written before it ({out}/000.png); the other 2 were not '
            'written') in log
    assert 'image(s) written' not in log and 'Traceback' not in log
    assert sorted(os.listdir(out)) == ['000.png']


def test_infer_refuses_a_read_only_output_before_restoring(
        repo_root, tmp_path, tiny_ckpt, capsys, monkeypatch):
    src = write_image_folder(tmp_path / 'in', count=2, size=16)
    (tmp_path / 'ro').mkdir()
    read_only(monkeypatch, tmp_path / 'ro')
    out = tmp_path / 'ro' / 'restored'
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        TINY, '--checkpoint', tiny_ckpt, '--input', src, '--output', out],
        capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert (f'tools/infer.py: error: cannot write into {out}: read-only file '
            'system (choose another --output on a writable disk)') in log
    assert 'Traceback' not in log and not out.exists()


# --- tools/train.py ------------------------------------------------------


@pytest.fixture(scope='module')
def train_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('wf_paired')
    write_paired_folder(root / 'train', count=4, size=64)
    write_paired_folder(root / 'test', count=1, size=16, seed=1)
    return root


def test_train_checkpoint_on_a_full_disk_keeps_the_last_one(
        repo_root, train_data, tmp_path, capsys, monkeypatch):
    """iter_4.pth does not fit on the disk: one message naming it and the
    intact iter_2.pth (was: a traceback ending in ``OSError: [Errno 28]``);
    iter_2.pth still loads and last_checkpoint still names it."""
    work_dir = tmp_path / 'w'
    disk_full_for(monkeypatch, 'iter_4.pth')
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', work_dir, '--cfg-options'] +
        tiny_options(train_data, max_iters=4, interval=2) +
        ['train_cfg.val_interval=100'], capsys, monkeypatch)
    assert code == 2, log[-3000:]
    last = work_dir / 'iter_2.pth'
    assert (f'tools/train.py: error: could not write {work_dir}/iter_4.pth: '
            'no space left on device (free space on that disk, or choose '
            f'another --work-dir); the last complete checkpoint, {last}, is '
            'intact: --resume continues from it') in log
    assert 'Traceback' not in log
    assert not (work_dir / 'iter_4.pth').exists()
    assert temp_files(work_dir) == []
    assert (work_dir / 'last_checkpoint').read_text() == str(last)
    state = torch.load(last, map_location='cpu', weights_only=False)
    assert state['meta']['iter'] == 2


@pytest.mark.parametrize('fault', ['read-only', 'file in the way'])
def test_train_refuses_a_work_dir_it_cannot_write(
        fault, repo_root, train_data, tmp_path, capsys, monkeypatch):
    """Before anything runs (was: a read-only disk or a file named as the
    work dir ended in a traceback, ``FileExistsError`` for the file)."""
    if fault == 'read-only':
        read_only(monkeypatch, tmp_path)
        work_dir = tmp_path / 'w'
        expected = (f'cannot write into {work_dir}: read-only file system '
                    '(choose another --work-dir on a writable disk)')
    else:
        work_dir = tmp_path / 'w'
        work_dir.write_text('not a folder')
        expected = (f'cannot write into {work_dir}: it is a file, not a '
                    'folder (remove or rename that file, or choose another '
                    '--work-dir)')
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', work_dir, '--cfg-options'] +
        tiny_options(train_data), capsys, monkeypatch)
    assert code == 2, log[-3000:]
    assert f'tools/train.py: error: {expected}' in log, log[-3000:]
    assert 'Traceback' not in log and 'Iter(train)' not in log
    assert work_dir.is_file() if fault != 'read-only' else \
        not work_dir.exists()


# --- An image too small for the network ----------------------------------


@pytest.fixture(scope='module')
def gan_ckpts(tmp_path_factory):
    folder = tmp_path_factory.mktemp('wf_gans')
    save_model_of(DCDGAN, folder / 'dcdgan.pth')
    save_model_of(CYCLEGAN, folder / 'cyclegan.pth')
    return folder


def test_an_image_too_small_for_dcdgan_is_named(
        repo_root, tmp_path, gan_ckpts, capsys, monkeypatch):
    """DCD-GAN's reflection paddings need 5×5 pixels (after the data
    preprocessor's padding to a multiple of 4 and two downsamplings). A
    1×1 file alone: one message with its size and the minimum, exit 2
    (was: a traceback ending in PyTorch's "Padding size should be less
    than the corresponding input dimension"). In a folder the others are
    restored and the tiny one listed, exit 1 (was: the same traceback,
    and the rest of the folder not restored)."""
    folder = write_image_folder(tmp_path / 'in', count=3, size=16)
    cv2.imwrite(str(folder / '001.png'), np.zeros((1, 1, 3), np.uint8))
    tiny = folder / '001.png'
    ckpt = gan_ckpts / 'dcdgan.pth'
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        DCDGAN, '--checkpoint', ckpt, '--input', tiny, '--output',
        tmp_path / 'one.png'], capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert (f'tools/infer.py: error: {tiny} is 1×1 pixels, too small for '
            'DCDGAN: it needs at least 5×5 (its reflection padding is wider '
            'than the feature maps its downsampling leaves); enlarge the '
            'image (pad or upscale it) or leave it out') in log
    assert 'Traceback' not in log and not (tmp_path / 'one.png').exists()

    out = tmp_path / 'out'
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        DCDGAN, '--checkpoint', ckpt, '--input', folder, '--output', out],
        capsys, monkeypatch)
    assert code == 1, log[-2000:]
    assert sorted(os.listdir(out)) == ['000.png', '002.png']
    assert 'tools/infer.py: 1 of 3 images were not restored:' in log
    assert (f'  {tiny}: the image is 1×1 pixels, too small for DCDGAN: it '
            'needs at least 5×5') in log
    assert 'Traceback' not in log


def test_an_image_too_small_for_cyclegan_is_named(
        repo_root, tmp_path, gan_ckpts, capsys, monkeypatch):
    """CycleGAN has the same minimum; at 1×1 its instance normalisation is
    what fails (was: exit 2 with PyTorch's "Expected more than 1 spatial
    element when training", naming no file)."""
    tiny = tmp_path / 'tiny.png'
    cv2.imwrite(str(tiny), np.zeros((1, 3, 3), np.uint8))
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        CYCLEGAN, '--checkpoint', gan_ckpts / 'cyclegan.pth', '--input',
        tiny, '--output', tmp_path / 'out.png'], capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert (f'{tiny} is 1×3 pixels, too small for CycleGAN: it needs at '
            'least 5×5') in log
    assert 'spatial element' not in log and 'Traceback' not in log


def test_minimum_image_size_of_the_networks():
    from toolbox.apis import init_model
    from toolbox.apis.inference import minimum_image_size
    assert minimum_image_size(init_model(DCDGAN)) == 5
    assert minimum_image_size(init_model(TINY)) == 1


# --- An animated GIF -----------------------------------------------------


def animated_gif(path, frames=3, size=16):
    """A GIF of ``frames`` frames (Pillow, which scikit-image requires)."""
    from PIL import Image
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (size, size, 3),
                                           dtype=np.uint8))
              for _ in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=100, loop=0)
    return path


def test_an_animated_gif_is_its_first_frame_alone_and_in_a_folder(
        repo_root, tmp_path, tiny_ckpt, capsys, monkeypatch, recwarn):
    """Alone, a GIF was restored (its first frame) without a word; in a
    folder it was left out without a word. Both now restore the first
    frame and warn, naming the file and its frame count. (In-process,
    pytest records the warnings that a user sees on stderr.)"""
    from toolbox.datasets.transforms.loading import AnimatedImageWarning

    def warned():
        found = [str(w.message) for w in recwarn
                 if issubclass(w.category, AnimatedImageWarning)]
        recwarn.clear()
        return found

    folder = write_image_folder(tmp_path / 'in', count=1, size=16)
    gif = animated_gif(folder / 'anim.gif')
    if cv2.imdecode(np.fromfile(str(gif), np.uint8),
                    cv2.IMREAD_UNCHANGED) is None:
        pytest.skip(f'OpenCV {cv2.__version__} reads no GIF')
    # The same GIF elsewhere: Python shows a warning once per message.
    alone = tmp_path / 'alone.gif'
    alone.write_bytes(gif.read_bytes())
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        TINY, '--checkpoint', tiny_ckpt, '--input', alone, '--output',
        tmp_path / 'one.png'], capsys, monkeypatch)
    assert code == 0, log[-2000:]
    assert (tmp_path / 'one.png').is_file()
    assert warned() == [f'{alone} is an animated GIF of 3 frames: only its '
                        'first frame is read (to use every frame, extract '
                        'them first, e.g. ffmpeg -i in.gif frames/%04d.png)']
    out = tmp_path / 'out'
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        TINY, '--checkpoint', tiny_ckpt, '--input', folder, '--output', out],
        capsys, monkeypatch)
    assert code == 0, log[-2000:]
    messages = warned()
    assert len(messages) == 1, messages
    assert messages[0].startswith(f'{gif} is an animated GIF of 3 frames')
    assert sorted(os.listdir(out)) == ['000.png', 'anim.png']
    assert (out / 'anim.png').read_bytes() == \
        (tmp_path / 'one.png').read_bytes()


def test_gif_frame_count(tmp_path):
    from toolbox.datasets.transforms.loading import gif_frame_count
    for frames in (1, 4):
        content = animated_gif(tmp_path / f'{frames}.gif', frames).read_bytes()
        assert gif_frame_count(content) == frames
    assert gif_frame_count(b'\x89PNG\r\n') == 0
