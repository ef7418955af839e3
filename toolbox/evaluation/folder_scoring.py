"""Score a folder of images (e.g. another method's outputs)."""
from typing import Dict, List, Optional, Sequence

import numpy as np

from toolbox.datasets.paired import scan_images
from toolbox.datasets.transforms.loading import ImageReadError, read_image
from toolbox.evaluation import functional
from toolbox.progress import progress_bar

FULL_REFERENCE = ('psnr', 'ssim')
NO_REFERENCE = ('brisque', 'niqe', 'piqe')


def score_folder(folder: str, metrics: Sequence[str],
                 ref_folder: Optional[str] = None, crop_border: int = 0,
                 convert_to: Optional[str] = None,
                 progress: bool = True,
                 bad_files: Optional[List] = None
                 ) -> Dict[str, Dict[str, float]]:
    """``{image key: {metric: value}}`` for every image of ``folder``.

    Full-reference metrics pair images with ``ref_folder`` by name (the
    extension may differ); a missing partner is an error naming it.
    ``crop_border`` and ``convert_to`` apply to every metric (see
    :mod:`toolbox.evaluation.functional` for their meaning).

    ``bad_files``: a list to collect ``(path, problem)`` of the images (or
    references) that do not decode; they are skipped and every readable
    image is scored. Without it the first such image raises
    :class:`~toolbox.datasets.transforms.loading.ImageReadError`.
    """
    metrics = [m.lower() for m in metrics]
    unknown = set(metrics) - set(FULL_REFERENCE + NO_REFERENCE)
    if unknown:
        raise ValueError(f'Unknown metrics {sorted(unknown)}; choose from '
                         f'{FULL_REFERENCE + NO_REFERENCE}')
    needs_ref = [m for m in metrics if m in FULL_REFERENCE]
    if needs_ref and ref_folder is None:
        raise ValueError(f'{needs_ref} need --ref (the reference folder)')
    images = scan_images(folder)
    if not images:
        raise FileNotFoundError(f'No images found in {folder}')
    refs = scan_images(ref_folder) if needs_ref else {}
    missing = [k for k in images if needs_ref and k not in refs]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} image(s) have no reference of the same name in '
            f'{ref_folder}, e.g. {images[missing[0]]}')
    scores = {}
    for key, path in progress_bar(images.items(), desc='scoring',
                                  enabled=progress):
        try:
            img = read_image(path)
            ref = read_image(refs[key]) if needs_ref else None
        except ImageReadError as error:
            if bad_files is None:
                raise
            bad_files.append((path, str(error)))
            continue
        row = {}
        for metric in metrics:
            fn = getattr(functional, metric)
            try:
                if metric in FULL_REFERENCE:
                    row[metric] = fn(img, ref, crop_border, convert_to)
                else:
                    row[metric] = fn(img, crop_border, convert_to)
            except ValueError as error:
                partner = f' (reference {refs[key]})' if needs_ref else ''
                raise ValueError(f'{metric} of {path}{partner}: {error}') \
                    from error
        scores[key] = row
    return scores


def mean_scores(scores: Dict[str, Dict[str, float]]) -> Dict[str, float]:
    """Mean of every metric over the images."""
    metrics: List[str] = list(next(iter(scores.values())))
    return {m: float(np.mean([row[m] for row in scores.values()]))
            for m in metrics}


def format_scores(scores: Dict[str, Dict[str, float]]) -> str:
    """Per-image rows and a mean row, aligned."""
    metrics = list(mean_scores(scores))
    width = max(len(k) for k in list(scores) + ['mean'])
    header = 'image'.ljust(width) + ''.join(f'{m.upper():>10}'
                                            for m in metrics)
    lines = [header, '-' * len(header)]
    for key, row in scores.items():
        lines.append(key.ljust(width) +
                     ''.join(f'{row[m]:>10.4f}' for m in metrics))
    lines.append('-' * len(header))
    means = mean_scores(scores)
    lines.append('mean'.ljust(width) +
                 ''.join(f'{means[m]:>10.4f}' for m in metrics))
    return '\n'.join(lines)
