"""The folder layouts of the benchmarks the papers use (see docs/datasets.md).

Each class only fixes defaults (sub-folders, pairing rule, degradation
label) of :class:`PairedImageDataset` or reads the benchmark's own list
file; every default can be overridden in a config, and every side can be an
LMDB made by ``tools/create_lmdb.py`` instead of a folder.
"""
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

from toolbox.datasets.listing import is_lmdb, list_images
from toolbox.datasets.paired import PairedImageDataset
from toolbox.registry import DATASETS


@DATASETS.register_module()
class Rain1400Dataset(PairedImageDataset):
    """Rain1400 (Fu et al., CVPR 2017): 14 rainy versions per clean image.

    ``rainy_image/901_1.jpg … 901_14.jpg`` → ``ground_truth/901.jpg``.
    """

    source_hint = 'Rain1400: docs/datasets.md#rain1400'

    def __init__(self, data_prefix=None, gt_key_pattern=r'^(.+)_\d+$',
                 degradation='rain', **kwargs):
        super().__init__(
            data_prefix=data_prefix or dict(img='rainy_image',
                                            gt='ground_truth'),
            gt_key_pattern=gt_key_pattern, degradation=degradation, **kwargs)


@DATASETS.register_module()
class RESIDEDataset(PairedImageDataset):
    """RESIDE OTS/ITS/SOTS (Li et al., TIP 2019): hazy images named
    ``<id>_<A>_<beta>`` (``0025_0.8_0.1.jpg``; ITS: ``1_1_0.90179.png``)
    share the clear ``<id>``.

    Default sub-folders ``hazy``/``clear`` (OTS, ITS); SOTS uses
    ``data_prefix=dict(img='hazy', gt='gt')`` (or ``'clear'`` in some
    releases).
    """

    source_hint = 'RESIDE (OTS, ITS, SOTS): docs/datasets.md#reside'

    def __init__(self, data_prefix=None, gt_key_pattern=r'^([^_]+)_',
                 degradation='haze', **kwargs):
        super().__init__(
            data_prefix=data_prefix or dict(img='hazy', gt='clear'),
            gt_key_pattern=gt_key_pattern, degradation=degradation, **kwargs)


@DATASETS.register_module()
class SPADataset(PairedImageDataset):
    """SPA-Data (Wang et al., CVPR 2019) real rain pairs.

    The test set (``real_test_1000``) and training crops are listed in
    ``real_test_1000.txt`` / ``real_world.txt``, one ``<rain> <gt>`` pair
    per line (paths relative to ``data_root``, often with a leading ``/``).
    With ``ann_file=''``, two folders paired by name are used instead
    (``data_prefix=dict(img='rain', gt='norain')``).
    """

    source_hint = 'SPA-Data: docs/datasets.md#spa-data'

    def __init__(self, ann_file='real_test_1000.txt', data_prefix=None,
                 degradation='rain', **kwargs):
        self.list_order = ('img', 'gt')
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix or (dict(img='rain', gt='norain')
                                        if not ann_file else dict(img='',
                                                                  gt='')),
            degradation=degradation, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not self.ann_file:
            return super().load_data_list()
        return load_pair_list(self, self.list_order)


@DATASETS.register_module()
class HybridDistortionDataset(PairedImageDataset):
    """FDR-Net's DIV2K hybrid-distortion sets (RL-Restore protocol) as
    written by ``tools/synthesize.py --kind hybrid``:
    ``<data_root>/<level>/{input,target}/<name>.png``.

    Args:
        level: ``'mild'``, ``'moderate'`` or ``'severe'`` (sub-folder of
            ``data_root``; ``None`` uses ``data_root`` itself). Also the
            default ``name`` (metric prefix), e.g. ``'moderate'``.
    """

    source_hint = ('DIV2K hybrid distortions, made by tools/synthesize.py: '
                   'docs/datasets.md#div2k')

    def __init__(self, level: Optional[str] = 'moderate', data_root='',
                 name=None, degradation='hybrid', **kwargs):
        self.level = level
        if level:
            data_root = osp.join(data_root, level)
        super().__init__(data_root=data_root, name=name or level,
                         degradation=degradation, **kwargs)


@DATASETS.register_module()
class DIDMDNDataset(PairedImageDataset):
    """DID-MDN (Zhang and Patel, CVPR 2018) rain/clean pairs after
    ``tools/synthesize.py --side-by-side <DID-MDN folder> --kind none``
    split the released side-by-side images (rainy left, clean right):
    ``<data_root>/{input,target}/<sub-folders>/<name>.png``.
    """

    source_hint = ('DID-MDN, split into input/ and target/ by '
                   'tools/synthesize.py --side-by-side ... --kind none: '
                   'docs/datasets.md#did-mdn')

    def __init__(self, degradation='rain', **kwargs):
        super().__init__(degradation=degradation, **kwargs)


@DATASETS.register_module()
class DIDHYDataset(PairedImageDataset):
    """FDR-Net's DID-HY (ECCV 2020, Sec. 4.1): DID-MDN's rainy images with
    blur, noise and JPEG added, as written by ``tools/synthesize.py
    --side-by-side <DID-MDN folder> --kind hybrid``:
    ``<data_root>/{input,target}/<sub-folders>/<name>.png``.
    """

    source_hint = ('DID-HY, made from DID-MDN by tools/synthesize.py '
                   '--side-by-side ... --kind hybrid: '
                   'docs/methods/fdrnet.md#did-hy')

    def __init__(self, degradation='hybrid', **kwargs):
        super().__init__(degradation=degradation, **kwargs)


def _split_scene_keys(images: Dict[str, str], sub_dir: str,
                      ) -> Dict[str, str]:
    """``{'<scene>/<sub_dir>/<name>': p}`` → ``{'<scene>/<name>': p}``."""
    pattern = re.compile(rf'^([^/]+)/{re.escape(sub_dir)}/(.+)$')
    out = {}
    for key, path in images.items():
        match = pattern.match(key)
        if match:
            out[f'{match.group(1)}/{match.group(2)}'] = path
    return out


@DATASETS.register_module()
class GoProDataset(PairedImageDataset):
    """GoPro (Nah et al., CVPR 2017): ``<scene>/blur/*.png`` ↔
    ``<scene>/sharp/*.png`` under ``data_root`` (``train`` or ``test``).

    LMDB: pack the whole split (``create_lmdb.py --input GoPro/train
    --output GoPro/train.lmdb``, keys ``<scene>/blur/<name>``) and set
    ``data_prefix=dict(img='train.lmdb', gt='train.lmdb')`` with
    ``data_root='GoPro'``.

    Args:
        blur_dir, sharp_dir: the per-scene sub-folders (``blur_gamma`` is the
            gamma-corrected alternative GoPro also ships).
    """

    source_hint = ('GoPro (<scene>/blur, <scene>/sharp): '
                   'docs/datasets.md#gopro')

    def __init__(self, blur_dir='blur', sharp_dir='sharp', degradation='blur',
                 data_prefix=None, **kwargs):
        self.blur_dir, self.sharp_dir = blur_dir, sharp_dir
        super().__init__(data_prefix=data_prefix or dict(img='', gt=''),
                         degradation=degradation, **kwargs)

    def load_data_list(self) -> List[dict]:
        inputs = _split_scene_keys(self._scan('img'), self.blur_dir)
        targets = _split_scene_keys(self._scan('gt'), self.sharp_dir)
        if not inputs:
            raise FileNotFoundError(
                f'{self.name}: no <scene>/{self.blur_dir}/<image> found in '
                f'{self.data_prefix["img"]}')
        return self.pair(inputs, targets)


def load_pair_list(dataset: PairedImageDataset,
                   order: Tuple[str, str]) -> List[dict]:
    """Samples from a list file of ``<path> <path>`` lines (``order`` says
    which is the input ``img`` and which the target ``gt``), paths relative
    to ``data_prefix[side]``: a folder, or an LMDB whose keys are those
    paths without extension."""
    ann_file = dataset.ann_file
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'{dataset.name}: list file not found: {ann_file}')
    sides = {}
    for side in ('img', 'gt'):
        root = dataset.data_prefix[side]
        keys, lmdb = None, None
        if is_lmdb(root):
            keys, lmdb = list_images(root, owner=dataset.name)
        sides[side] = (root, keys, lmdb)
    data, missing = [], []
    with open(ann_file) as f:
        for number, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 2:
                raise ValueError(f'{ann_file}:{number}: expected two paths '
                                 f'({" ".join(order)}), got {line.strip()!r}')
            sample = dict(key=osp.splitext(
                fields[order.index('img')].lstrip('/'))[0])
            for side, rel in zip(order, fields[:2]):
                root, keys, lmdb = sides[side]
                rel = rel.lstrip('/')
                if lmdb:
                    path = osp.splitext(rel)[0]
                    found = path in keys
                else:
                    path = osp.join(root, rel)
                    found = osp.isfile(path)
                if not found:
                    missing.append(f'{ann_file}:{number}: {path}')
                sample[f'{side}_path'] = path
                sample[f'{side}_backend_args'] = lmdb
            data.append(sample)
    if missing and not dataset.skip_bad:
        raise FileNotFoundError(
            f'{dataset.name}: {len(missing)} listed file(s) are missing, '
            f'e.g. {missing[0]}')
    if missing:
        bad = {m.split(': ', 1)[1] for m in missing}
        data = [d for d in data
                if d['img_path'] not in bad and d['gt_path'] not in bad]
        dataset.report_skipped(len(missing), 'listed files that are missing')
    if not data:
        raise FileNotFoundError(f'{dataset.name}: {ann_file} lists no pairs')
    for sample in data:
        sample.update(degradation=dataset.degradation,
                      dataset_name=dataset.name)
    return data


@DATASETS.register_module()
class RealBlurDataset(PairedImageDataset):
    """RealBlur-J/-R (Rim et al., ECCV 2020) from its list files.

    Each line of ``ann_file`` (``RealBlur_J_train_list.txt``) is
    ``<gt path> <blur path>`` relative to ``data_root``. For LMDB, pack the
    archive root (keys = those paths without extension) and point
    ``data_prefix=dict(img='RealBlur.lmdb', gt='RealBlur.lmdb')`` at it.
    """

    source_hint = 'RealBlur: docs/datasets.md#realblur'

    def __init__(self, ann_file='RealBlur_J_test_list.txt',
                 degradation='blur', data_prefix=None, **kwargs):
        super().__init__(ann_file=ann_file,
                         data_prefix=data_prefix or dict(img='', gt=''),
                         degradation=degradation, **kwargs)

    def load_data_list(self) -> List[dict]:
        return load_pair_list(self, ('gt', 'img'))


__all__ = [
    'Rain1400Dataset', 'RESIDEDataset', 'SPADataset',
    'HybridDistortionDataset', 'GoProDataset', 'RealBlurDataset',
    'load_pair_list'
]
