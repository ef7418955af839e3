"""Several datasets as one, each sample labelled with its degradation."""
from typing import List, Sequence

from mmengine.dataset import ConcatDataset

from toolbox.registry import DATASETS


@DATASETS.register_module()
class MixedDegradationDataset(ConcatDataset):
    """Concatenate datasets and label every sample with its degradation.

    Uni-Removal trains one student on OTS (haze), Rain1400 (rain) and GoPro
    (blur); each sample's ``degradation`` picks its teacher.

    Args:
        datasets: dataset configs (or datasets).
        labels: one degradation label per dataset (``'haze'``, ...); it
            overrides the datasets' own ``degradation``.
        name: name of the mixture (metric prefix if it is tested as one).
    """

    def __init__(self, datasets: Sequence, labels: Sequence[str],
                 name: str = 'mixed', lazy_init: bool = False):
        if len(datasets) != len(labels):
            raise ValueError(
                f'MixedDegradationDataset: {len(datasets)} datasets but '
                f'{len(labels)} labels; give one label per dataset.')
        built = []
        for cfg, label in zip(datasets, labels):
            built.append(DATASETS.build(dict(cfg, degradation=label))
                         if isinstance(cfg, dict) else cfg)
        self.labels = list(labels)
        self.name = name
        super().__init__(built, lazy_init=lazy_init,
                         ignore_keys=['dataset_name'])
        self._metainfo = dict(self._metainfo, dataset_name=name)

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        # Label every data info (the sub-dataset's infos carry it already
        # when built here; this also covers datasets passed in built).
        for dataset, label in zip(self.datasets, self.labels):
            for info in dataset.data_list:
                info['degradation'] = label

    def sample_labels(self) -> List[str]:
        """The degradation label of every index."""
        self.full_init()
        return [
            label for dataset, label in zip(self.datasets, self.labels)
            for _ in range(len(dataset))
        ]
