"""A sampler that balances degradation types inside every batch."""
import itertools
import math
from typing import Iterator, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from toolbox.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class DegradationBalancedSampler(Sampler):
    """Sampler whose batches hold every degradation equally often.

    Indices are emitted label by label in turn (haze, rain, blur, haze, ...),
    so any run of ``k × num_labels`` consecutive indices holds ``k`` of each
    label: with a batch size that is a multiple of the number of labels,
    every batch is balanced (Uni-Removal runs each sample's teacher, chosen
    by its ``degradation``, so every type should be present). Smaller
    subsets are therefore seen more often than larger ones.

    Each label's indices are shuffled (seeded, the same on every rank) and
    split across DDP ranks like MMEngine's ``DefaultSampler`` does
    (``perm[rank::world_size]``, padded by wrapping), so ranks see disjoint
    samples within a pass; when a rank's share of a label runs out, the
    label is reshuffled for the next pass.

    Args:
        dataset: a dataset with ``sample_labels()`` (e.g.
            :class:`MixedDegradationDataset`).
        seed: random seed (synchronised across ranks when ``None``).
        shuffle: shuffle within each label.
        infinite: ``True`` (default): an endless stream for
            ``IterBasedTrainLoop``. ``False``: epochs of
            ``ceil(epoch_length / world_size)`` indices per rank for
            ``EpochBasedTrainLoop``, reshuffled by :meth:`set_epoch`.
        epoch_length: samples per epoch over all ranks with
            ``infinite=False``; default ``len(dataset)``, as many as one
            pass over the mixture (drawn balanced: the smaller sets are
            revisited, the larger ones sub-sampled).
    """

    def __init__(self, dataset: Sized, seed: Optional[int] = None,
                 shuffle: bool = True, infinite: bool = True,
                 epoch_length: Optional[int] = None):
        if not hasattr(dataset, 'sample_labels'):
            raise TypeError(
                'DegradationBalancedSampler needs a dataset with '
                'sample_labels(), e.g. MixedDegradationDataset; got '
                f'{type(dataset).__name__}')
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle = shuffle
        self.infinite = infinite
        self.epoch = 0
        labels = list(dataset.sample_labels())
        self.labels = sorted(set(labels), key=labels.index)
        array = np.array(labels)
        self.indices = [np.flatnonzero(array == label)
                        for label in self.labels]
        if epoch_length is not None and epoch_length < 1:
            raise ValueError('DegradationBalancedSampler: epoch_length must '
                             f'be >= 1, got {epoch_length}')
        self.num_samples = math.ceil((epoch_length or len(labels)) /
                                     self.world_size)

    def _rank_share(self, label_id: int, cycle: int) -> np.ndarray:
        """This rank's indices of one label for one pass."""
        indices = self.indices[label_id]
        if self.shuffle:
            rng = np.random.default_rng(
                [self.seed, self.epoch, label_id, cycle])
            indices = rng.permutation(indices)
        # Pad by wrapping so every rank gets the same number (DefaultSampler's
        # round_up), also when a label has fewer samples than ranks.
        total = math.ceil(len(indices) / self.world_size) * self.world_size
        padded = np.resize(indices, total)
        return padded[self.rank::self.world_size]

    def _label_stream(self, label_id: int) -> Iterator[int]:
        for cycle in itertools.count():
            yield from (int(i) for i in self._rank_share(label_id, cycle))

    def __iter__(self) -> Iterator[int]:
        streams = [self._label_stream(i) for i in range(len(self.labels))]
        order = (next(stream) for stream in itertools.cycle(streams))
        if self.infinite:
            yield from order
        else:
            yield from itertools.islice(order, self.num_samples)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for ``epoch`` (epoch-based training)."""
        self.epoch = epoch
