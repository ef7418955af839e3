"""tools/synthesize.py: a user's mistakes (issue 28, item 4), run in this
process as a user runs the tool (the synthesis itself is tested in
tests/degradations/test_synthesis.py)."""
import cv2
import numpy as np

from tests.helpers import smooth_image
from tests.tools.test_reliability import run_inprocess


def write_images(folder, sizes):
    """``{name: (h, w)}`` → smooth RGB PNGs ``folder/<name>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, (h, w) in sizes.items():
        image = cv2.resize(smooth_image(rng, 16), (w, h))
        cv2.imwrite(str(folder / f'{name}.png'), image)
    return folder


def synthesize(repo_root, capsys, monkeypatch, *args):
    """``tools/synthesize.py ARGS``: ``(exit status, stdout + stderr)``."""
    monkeypatch.delenv('TOOLBOX_DEBUG', raising=False)
    return run_inprocess(repo_root, 'tools/synthesize.py', args, capsys,
                         monkeypatch)


def test_images_too_small_for_a_crop_are_listed(tmp_path, repo_root, capsys,
                                                monkeypatch):
    """Images smaller than one 63×63 hybrid crop at every scale used to be
    dropped without a word (exit 0). Now every image is synthesised or
    listed with its size and the minimum (exit 1, as tools/infer.py does
    for unreadable images); when none is large enough, nothing is written
    (exit 2)."""
    src = write_images(tmp_path / 'D', {'big': (64, 64), 'small': (40, 40),
                                        'wide': (62, 200)})
    out = tmp_path / 'O'
    code, output = synthesize(repo_root, capsys, monkeypatch, '--clean', src,
                              '--out', out, '--kind', 'hybrid', '--level',
                              'mild')
    assert code == 1, output
    assert f'1 pairs written to {out}' in output
    assert ('tools/synthesize.py: 2 of 3 images are too small (not '
            'synthesised): a 63×63 crop (--patch 63) needs an image of at '
            'least 63×63 pixels (scales 1, 0.6667, 0.3333); pass a smaller '
            '--patch, or --patch 0 for whole images (sizes: height×width):\n'
            f'  {src}/small.png: 40×40\n  {src}/wide.png: 62×200\n') in output
    assert [p.name for p in (out / 'input').iterdir()] == [
        'big_s1_0000_0000.png']

    small = write_images(tmp_path / 'S', {'a': (40, 40), 'b': (30, 90)})
    code, output = synthesize(repo_root, capsys, monkeypatch, '--clean',
                              small, '--out', tmp_path / 'O2', '--kind',
                              'rain', '--patch', '48')
    assert code == 2, output
    assert (f'tools/synthesize.py: error: no image in {small} is large '
            'enough: a 48×48 crop (--patch 48) needs an image of at least '
            f'48×48 pixels, and the images are {small}/a.png 40×40, '
            f'{small}/b.png 30×90 (height×width). Nothing was written; pass '
            'a smaller --patch, or --patch 0 for whole images.') in output
    assert 'Traceback' not in output
    assert not (tmp_path / 'O2').exists()


def test_crop_options_out_of_range_are_refused(tmp_path, repo_root, capsys,
                                               monkeypatch):
    """A negative --patch or --stride (0 pairs, or crops wrapped around the
    image) and a scale of 0 (a traceback from the resize) are refused."""
    src = write_images(tmp_path / 'D', {'a': (64, 64)})
    for option, message in (
            (['--patch', '-1'], '--patch -1: must be 0 or more (--patch 0: '
             'whole images; --stride 0: the patch size)'),
            (['--stride', '-5'], '--stride -5: must be 0 or more'),
            (['--scales', '1,0'], '--scales: 0 is not positive (a scale '
             'multiplies the image size, e.g. 1,0.5)')):
        code, output = synthesize(repo_root, capsys, monkeypatch, '--clean',
                                  src, '--out', tmp_path / 'O', '--kind',
                                  'hybrid', *option)
        assert code == 2, output
        assert f'tools/synthesize.py: error: {message}' in output
    assert not (tmp_path / 'O').exists()


def test_a_side_by_side_file_of_odd_width_is_refused_before_writing(
        tmp_path, repo_root, capsys, monkeypatch):
    """An odd width has no middle: it used to end in a traceback
    (ValueError) after the files before it were split. Now the widths are
    checked first: one line naming the file, nothing written."""
    src = write_images(tmp_path / 'P', {'1': (8, 16), '2': (8, 15)})
    out = tmp_path / 'O'
    code, output = synthesize(repo_root, capsys, monkeypatch,
                              '--side-by-side', src, '--out', out, '--kind',
                              'none')
    assert code == 2, output
    assert ('tools/synthesize.py: error: 1 of 2 side-by-side images has an '
            'odd width, which does not split into two halves: '
            f'{src}/2.png (15 pixels). --side-by-side reads [degraded | '
            'clean] pairs of equal halves; nothing was written. Crop these '
            'files to an even width (or remove them), or pass --clean for a '
            'folder of single images.') in output
    assert 'Traceback' not in output
    assert not out.exists()


def test_a_bad_subset_is_one_message(tmp_path, repo_root, capsys,
                                     monkeypatch):
    """``--subset`` not START:END, or selecting no image: a usage error or
    one message, exit 2, nothing written (was: a ValueError traceback)."""
    src = write_images(tmp_path / 'D', {'a': (64, 64), 'b': (64, 64)})
    out = tmp_path / 'O'
    common = ['--clean', src, '--out', out, '--kind', 'blur']
    code, output = synthesize(repo_root, capsys, monkeypatch, *common,
                              '--subset', '0-5')
    assert code == 2 and "--subset: '0-5' is not START:END" in output, output
    code, output = synthesize(repo_root, capsys, monkeypatch, *common,
                              '--subset', '5:9')
    assert code == 2, output
    assert (f'error: --subset 5:9 selects no image of the 2 in {src}'
            in output), output
    assert 'Traceback' not in output and not out.exists()
