"""Unpaired and no-reference image sets (real-world data has no targets)."""
import random
from typing import List, Optional

from mmengine.dataset.base_dataset import force_full_init

from toolbox.datasets.base import RestorationDataset
from toolbox.datasets.listing import list_images
from toolbox.registry import DATASETS
from toolbox.user_errors import choice_error


@DATASETS.register_module()
class ImageFolderDataset(RestorationDataset):
    """Degraded images without targets (real-world test sets: URHI/RTTS,
    SPA real rain, RealBlur used unpaired, ...), for no-reference metrics
    and inference. Samples have ``img_path`` and no ``gt_path``, so packed
    samples carry no ``gt_img``.

    Args:
        data_prefix: ``dict(img=<sub-folder or .lmdb>)`` (default:
            ``data_root`` itself).
        Others: see :class:`~toolbox.datasets.base.RestorationDataset`.
    """

    def __init__(self, data_prefix: Optional[dict] = None, **kwargs):
        super().__init__(data_prefix=data_prefix or dict(img=''), **kwargs)

    def load_data_list(self) -> List[dict]:
        images, backend = list_images(self.data_prefix['img'], self.suffixes,
                                      owner=self.name)
        return [
            dict(img_path=path, key=key, img_backend_args=backend,
                 degradation=self.degradation, dataset_name=self.name)
            for key, path in images.items()
        ]


@DATASETS.register_module()
class UnpairedImageDataset(RestorationDataset):
    """Two unrelated folders: degraded domain A (key ``img``) and clean
    domain B (key ``ref``), as CycleGAN-style and domain-adaptation training
    use them.

    Keys: the degraded image is ``img`` (``img_path``) like everywhere in
    the toolbox; the clean image of *another scene* is ``ref``
    (``ref_path``), deliberately not ``gt``: it is not this input's target,
    so pixel metrics must never compare them. ``PackRestorationInputs``
    turns it into ``data_samples.ref_img``. Load it with
    ``LoadImageFromFile(key='ref')``.

    The length is that of domain A (``length='a'``), or, as the official
    CycleGAN/CUT/DCD-GAN code counts an epoch, ``max(|A|, |B|)``
    (``length='max'``): sample ``i`` is then A image ``i mod |A|``, so
    with more B than A images an epoch shows some A images twice and the
    B images about once each. In training each A image gets a B image
    drawn at random with Python's ``random``: in a dataloader worker, as
    MMEngine seeds it from the run's seed, the rank and the worker; with
    ``num_workers=0``, in the training process, whose generator
    :class:`~toolbox.engine.rank_data_seed.RankDataSeedHook` seeds per rank
    and :class:`~toolbox.engine.exact_resume.ExactResumeHook` saves in
    checkpoints. In ``test_mode`` A[i] gets ``B[i % len(B)]``, so evaluation
    is deterministic.

    Args:
        data_prefix: ``dict(img=<domain A>, ref=<domain B>)``, folders or
            ``.lmdb`` databases (default ``trainA``/``trainB``).
        length: ``'a'`` (default) or ``'max'``, see above.
        Others: see :class:`~toolbox.datasets.base.RestorationDataset`.
    """

    LENGTHS = ('a', 'max')

    def __init__(self, data_prefix: Optional[dict] = None, length: str = 'a',
                 **kwargs):
        if length not in self.LENGTHS:
            raise choice_error('UnpairedImageDataset', 'length', length,
                               self.LENGTHS)
        self.length = length
        super().__init__(
            data_prefix=data_prefix or dict(img='trainA', ref='trainB'),
            **kwargs)

    @force_full_init
    def __len__(self) -> int:
        num_a = super().__len__()
        if self.length == 'max' and num_a:
            return max(num_a, len(self.ref_paths))
        return num_a

    def load_data_list(self) -> List[dict]:
        refs, self.ref_backend_args = list_images(
            self.data_prefix['ref'], self.suffixes, owner=self.name)
        self.ref_paths = list(refs.values())
        images, backend = list_images(self.data_prefix['img'], self.suffixes,
                                      owner=self.name)
        return [
            dict(img_path=path, key=key, img_backend_args=backend,
                 degradation=self.degradation, dataset_name=self.name)
            for key, path in images.items()
        ]

    def ref_for(self, idx: int) -> str:
        """The domain-B path that goes with sample ``idx``."""
        if self.test_mode:
            return self.ref_paths[idx % len(self.ref_paths)]
        return random.choice(self.ref_paths)

    def get_data_info(self, idx: int) -> dict:
        a_idx = idx
        if self.length == 'max':
            # Index i of the longer epoch is A image i mod |A| (negative
            # indices count from the end of that epoch).
            idx = idx % len(self)
            a_idx = idx % super().__len__()
        info = super().get_data_info(a_idx)
        info['ref_path'] = self.ref_for(idx)
        info['ref_backend_args'] = self.ref_backend_args
        return info
