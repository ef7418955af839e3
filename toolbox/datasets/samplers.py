"""A sampler that balances degradation types inside every batch."""
import itertools
from typing import Iterator, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from toolbox.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class DegradationBalancedSampler(Sampler):
    """Infinite sampler whose batches hold every degradation equally often.

    Indices are emitted label by label in turn (haze, rain, blur, haze, ...),
    each label's indices reshuffled whenever they run out, so any run of
    ``k × num_labels`` consecutive indices holds ``k`` of each label. With a
    batch size that is a multiple of the number of labels, every batch is
    balanced (Uni-Removal needs every type present to run each teacher).

    Works with ``IterBasedTrainLoop``. Under DDP each rank draws its own
    stream (seed + rank), so per-rank batches stay balanced too.

    Args:
        dataset: a dataset with ``sample_labels()`` (e.g.
            :class:`MixedDegradationDataset`).
        seed: random seed (synchronised across ranks when None).
        shuffle: shuffle within each label.
    """

    def __init__(self, dataset: Sized, seed: Optional[int] = None,
                 shuffle: bool = True):
        if not hasattr(dataset, 'sample_labels'):
            raise TypeError(
                'DegradationBalancedSampler needs a dataset with '
                'sample_labels(), e.g. MixedDegradationDataset; got '
                f'{type(dataset).__name__}')
        self.dataset = dataset
        rank, self.world_size = get_dist_info()
        self.rank = rank
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle = shuffle
        labels = dataset.sample_labels()
        self.labels = sorted(set(labels), key=labels.index)
        self.indices = {
            label: np.flatnonzero(np.array(labels) == label)
            for label in self.labels
        }

    def _label_stream(self, label, rng) -> Iterator[int]:
        indices = self.indices[label]
        while True:
            order = rng.permutation(indices) if self.shuffle else indices
            yield from (int(i) for i in order)

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed + self.rank)
        streams = [self._label_stream(label, rng) for label in self.labels]
        for stream in itertools.cycle(streams):
            yield next(stream)

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used: the stream is infinite."""
