"""The folder layouts of the benchmarks the papers use (see docs/datasets.md).

Each class only fixes defaults (sub-folders, pairing rule, degradation
label) of :class:`PairedImageDataset`; every default can be overridden in a
config.
"""
import os
import os.path as osp
from typing import List

from toolbox.datasets.paired import PairedImageDataset, scan_images
from toolbox.registry import DATASETS


@DATASETS.register_module()
class Rain1400Dataset(PairedImageDataset):
    """Rain1400 (Fu et al., CVPR 2017): 14 rainy versions per clean image.

    ``rainy_image/901_1.jpg … 901_14.jpg`` → ``ground_truth/901.jpg``.
    """

    def __init__(self, data_prefix=None, gt_key_pattern=r'^(.+)_\d+$',
                 degradation='rain', **kwargs):
        super().__init__(
            data_prefix=data_prefix or dict(img='rainy_image',
                                            gt='ground_truth'),
            gt_key_pattern=gt_key_pattern, degradation=degradation, **kwargs)


@DATASETS.register_module()
class RESIDEDataset(PairedImageDataset):
    """RESIDE OTS/ITS/SOTS (Li et al., TIP 2019): hazy images named
    ``<id>_<A>_<beta>`` (``0025_0.8_0.1.jpg``) share the clear ``<id>``.

    Default sub-folders ``hazy``/``clear`` (OTS); SOTS-outdoor uses
    ``data_prefix=dict(img='hazy', gt='gt')``.
    """

    def __init__(self, data_prefix=None, gt_key_pattern=r'^([^_]+)_',
                 degradation='haze', **kwargs):
        super().__init__(
            data_prefix=data_prefix or dict(img='hazy', gt='clear'),
            gt_key_pattern=gt_key_pattern, degradation=degradation, **kwargs)


@DATASETS.register_module()
class GoProDataset(PairedImageDataset):
    """GoPro (Nah et al., CVPR 2017): ``<scene>/blur/*.png`` ↔
    ``<scene>/sharp/*.png`` under ``data_root`` (``train`` or ``test``).

    Args:
        blur_dir, sharp_dir: the per-scene sub-folders (``blur_gamma`` is the
            gamma-corrected alternative GoPro also ships).
    """

    def __init__(self, blur_dir='blur', sharp_dir='sharp', degradation='blur',
                 **kwargs):
        self.blur_dir, self.sharp_dir = blur_dir, sharp_dir
        super().__init__(data_prefix=dict(img='', gt=''),
                         degradation=degradation, **kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_root
        if not osp.isdir(root):
            raise FileNotFoundError(f'{self.name}: folder not found: {root}')
        scenes = sorted(d for d in os.listdir(root)
                        if osp.isdir(osp.join(root, d, self.blur_dir)))
        if not scenes:
            raise FileNotFoundError(
                f'{self.name}: no <scene>/{self.blur_dir}/ folders in {root}')
        data = []
        for scene in scenes:
            inputs = scan_images(osp.join(root, scene, self.blur_dir),
                                 self.suffixes)
            targets = scan_images(osp.join(root, scene, self.sharp_dir),
                                  self.suffixes)
            inputs = {f'{scene}/{k}': v for k, v in inputs.items()}
            targets = {f'{scene}/{k}': v for k, v in targets.items()}
            data += self.pair(inputs, targets)
        return data


@DATASETS.register_module()
class RealBlurDataset(PairedImageDataset):
    """RealBlur-J/-R (Rim et al., ECCV 2020) from its list files.

    Each line of ``ann_file`` (``RealBlur_J_train_list.txt``) is
    ``<gt path> <blur path>`` relative to ``data_root``.
    """

    def __init__(self, ann_file='RealBlur_J_test_list.txt',
                 degradation='blur', **kwargs):
        super().__init__(ann_file=ann_file, data_prefix=dict(img='', gt=''),
                         degradation=degradation, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{self.name}: list file not found: {self.ann_file}')
        data = []
        with open(self.ann_file) as f:
            for number, line in enumerate(f, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) < 2:
                    raise ValueError(f'{self.ann_file}:{number}: expected '
                                     f'"<gt> <blur>", got {line.strip()!r}')
                gt, blur = (osp.join(self.data_root, p) for p in fields[:2])
                for path in (gt, blur):
                    if not osp.isfile(path):
                        raise FileNotFoundError(
                            f'{self.name}: {self.ann_file}:{number} names '
                            f'a missing file {path}')
                data.append(dict(img_path=blur, gt_path=gt,
                                 key=osp.splitext(fields[1])[0],
                                 degradation=self.degradation,
                                 dataset_name=self.name))
        if not data:
            raise FileNotFoundError(f'{self.name}: {self.ann_file} is empty')
        return data
