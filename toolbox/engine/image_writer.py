"""Writing every restored test image to disk: ``tools/test.py --save-dir``.

:class:`SaveRestoredImagesHook` takes the ``pred_img`` of each sample the
test loop hands to its hooks (``after_test_iter``'s outputs), the image the
metrics score, so it works for every model that tests through
``RestorationModel.predict`` (the Restorer, Uni-Removal KT/DA, CycleGAN and
DCD-GAN's inference generator) without a line in any model, and costs no
extra forward pass.

Layout: ``<out_dir>/<key>.png`` for a config with one test set,
``<out_dir>/<test set>/<key>.png`` with several (the names of
``MultiTestLoop``'s metric prefixes). ``<key>`` is the input's path under
its dataset's folder without the extension (``'0001'``, ``'scene1/0001'``),
the name the datasets know an image by, so every output has its input's
name. Images are always **PNG**: 8-bit RGB, lossless, so a saved image is
exactly what the metrics measured (they round the prediction to 8 bits
first); a JPEG input gives ``<key>.png``. Each file is encoded in memory and
written with :func:`toolbox.fileio.atomic_write_bytes` (a temporary file,
then a rename): a run killed mid-test leaves whole images only.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import cv2
from mmengine.hooks import Hook

from toolbox.engine.visualization import to_uint8_image
from toolbox.fileio import atomic_write_bytes
from toolbox.registry import HOOKS
from toolbox.user_errors import UserError


def output_name(sample) -> str:
    """The relative output path (``'scene1/0001.png'``) of a data sample:
    its ``key``, or its input file's name where the dataset gives no key.

    Parts that would leave the output folder (``..``, an absolute path of
    an annotation file) are dropped.
    """
    key = sample.metainfo.get('key')
    if not key:
        path = sample.metainfo.get('img_path')
        if not path:
            raise ValueError('a test sample has neither a key nor an '
                             'img_path to name its output by')
        key = osp.splitext(osp.basename(str(path)))[0]
    parts = [part for part in re.split(r'[\\/]+', str(key))
             if part not in ('', '.', '..')]
    return '/'.join(parts) + '.png'


def set_folder_name(set_name: str) -> str:
    """A test set's name as one folder name (``'rain/test'`` →
    ``'rain_test'``)."""
    return re.sub(r'[^\w.-]+', '_', set_name)


def _input_folders(dataset) -> List[str]:
    """The folders a test set reads its images from (its ``data_prefix``
    sides; the parts of a mixture)."""
    folders = []
    for part in getattr(dataset, 'datasets', None) or [dataset]:
        paths = getattr(part, 'input_paths', None)
        if paths is None:
            continue
        folders += [p.path for p in paths()
                    if p.kind == 'folder' and p.key.startswith('data_prefix')]
    return folders


@HOOKS.register_module()
class SaveRestoredImagesHook(Hook):
    """Write every restored image of every test set under ``out_dir``.

    Args:
        out_dir: the folder (created when missing). Files of an earlier run
            with the same names are replaced; others are left alone.

    A config can list it itself (``custom_hooks = [dict(type=
    'SaveRestoredImagesHook', out_dir='restored')]``); ``tools/test.py
    --save-dir DIR`` registers it. Under DDP each rank writes the samples
    it tested (the sampler gives each rank its own).

    Raises:
        UserError: an output would replace its own input file (``out_dir``
            is the input folder), or two samples of one test set would be
            written to one file (a mixture of datasets whose images share
            names: test them as separate sets).
    """

    priority = 'LOW'

    def __init__(self, out_dir: str):
        if not out_dir:
            raise ValueError('SaveRestoredImagesHook: out_dir is empty')
        self.out_dir = os.fspath(out_dir)
        self._written: Dict[str, str] = {}  # output path -> input path
        self._counts: Dict[str, int] = {}

    def before_test(self, runner) -> None:
        """Refuse an ``out_dir`` inside a test set's input folder; start a
        new record of what this test writes."""
        self._written, self._counts = {}, {}
        loop = runner.test_loop
        target = osp.realpath(self.out_dir)
        for loader in getattr(loop, 'dataloaders', [loop.dataloader]):
            for folder in _input_folders(loader.dataset):
                folder = osp.realpath(folder)
                if target == folder or target.startswith(folder + os.sep):
                    # The images would replace the inputs, or be taken for
                    # inputs by the next test (the folders are listed
                    # recursively).
                    raise UserError(
                        f'saving restored images to {self.out_dir}: it is '
                        f'(inside) the test input folder {folder}, whose '
                        'images it would replace or join; give a folder '
                        'outside the test data')

    def _folder(self, runner) -> str:
        # MultiTestLoop names the set that runs now ('' when it is the only
        # one); MMEngine's TestLoop has a single set.
        loop = runner.test_loop
        set_name = getattr(loop, 'current_set_name', None) or ''
        return osp.join(self.out_dir, set_folder_name(set_name)) \
            if set_name else self.out_dir

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        """Write the restored images of this batch."""
        folder = self._folder(runner)
        for sample in outputs or ():
            pred = getattr(sample, 'pred_img', None)
            if pred is None:
                continue
            path = osp.join(folder, output_name(sample))
            source = str(sample.metainfo.get('img_path', ''))
            if source and osp.exists(path) and osp.samefile(path, source):
                raise UserError(
                    f'saving restored images to {self.out_dir}: the image '
                    f'{path} would '
                    f'replace its input {source}; give a folder outside '
                    'the test data')
            if self._written.get(path, source) != source:
                raise UserError(
                    f'saving restored images to {self.out_dir}: two test '
                    'images would both be written '
                    f'to {path} ({self._written[path]} and {source}): '
                    'their names (without extension) are the same within '
                    'one test set; test them as separate sets')
            self._written[path] = source
            ok, encoded = cv2.imencode(
                '.png', to_uint8_image(pred)[..., ::-1])  # RGB -> BGR file
            if not ok:
                raise OSError(f'could not encode {path} as PNG')
            atomic_write_bytes(encoded.tobytes(), path)
            self._counts[folder] = self._counts.get(folder, 0) + 1

    def after_test(self, runner) -> None:
        """Say where the images went."""
        for folder, count in self._counts.items():
            runner.logger.info(f'{count} restored images written to '
                               f'{folder}')
