"""FDR-Net's interpretative experiment (Sec. 4.5, Fig. 8).

* **Channel correlation before and after the FDM.** For each image, the
  Pearson correlation between every two channels of a feature map over its
  pixels; the absolute values are averaged over the images, and the mean
  of the off-diagonal entries is the figure the paper reports (0.272 before
  the FDM, 0.164 after).
* **Channel responses per distortion.** Clean images get Gaussian blur,
  Gaussian noise or JPEG alone at ten increasing levels; the response of a
  channel is the mean absolute FDM output over pixels and images, minus
  the clean images' response (what the distortion changes). Fig. 8(c)
  shows that different distortions excite different channels, whatever
  their level.

The network must return ``(image, {'fdm': [...], 'fdm_in': [...]})`` from
``forward(x, return_features=True)``, one entry per phase (as
:class:`~toolbox.models.backbones.FDRNet` does). ``tools/analyze_features.py``
is the command line; plotting needs matplotlib (``pip install matplotlib``).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from toolbox.datasets.transforms.formatting import image_to_tensor
from toolbox.degradations.blur import add_gaussian_blur
from toolbox.degradations.noise import add_gaussian_noise, jpeg_compress
from toolbox.structures import RestorationSample

#: Ten levels per distortion, mildest first: the upper edges of RL-Restore's
#: strength bins (blur σ, noise σ in 8-bit levels, JPEG quality).
DISTORTION_LEVELS: Dict[str, Sequence[float]] = dict(
    blur=tuple(0.5 * i for i in range(1, 11)),
    noise=tuple(5.0 * i for i in range(1, 11)),
    jpeg=(80, 60, 50, 40, 35, 30, 25, 20, 15, 10))


def distort(image: np.ndarray, kind: str, level: float,
            rng: np.random.Generator) -> np.ndarray:
    """One distortion of FDR-Net's Fig. 8(c) at ``level``."""
    if kind == 'blur':
        return add_gaussian_blur(image, level)
    if kind == 'noise':
        return add_gaussian_noise(image, level, rng)
    if kind == 'jpeg':
        return jpeg_compress(image, int(level))
    raise KeyError(f"kind must be 'blur', 'noise' or 'jpeg', got {kind!r}")


def channel_correlation(feat: torch.Tensor) -> torch.Tensor:
    """``|Pearson r|`` between the channels of each image, averaged over
    the images: ``N×C×H×W`` → ``C×C`` (float64). A constant channel
    correlates with nothing (0)."""
    x = feat.detach().double().flatten(2)
    x = x - x.mean(dim=2, keepdim=True)
    cov = x @ x.transpose(1, 2)
    std = cov.diagonal(dim1=1, dim2=2).clamp_min(1e-24).sqrt()
    corr = cov / (std[:, :, None] * std[:, None, :])
    return corr.abs().mean(dim=0)


def mean_off_diagonal(matrix: torch.Tensor) -> float:
    """Mean of the off-diagonal entries of a square matrix."""
    c = matrix.shape[0]
    mask = ~torch.eye(c, dtype=torch.bool)
    return float(matrix[mask].mean())


class FeatureProbe:
    """Runs a model's network on RGB uint8 images and returns its FDM
    features (inputs normalised by the model's data preprocessor)."""

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.network = model.inference_network() if hasattr(
            model, 'inference_network') else model.generator

    @torch.no_grad()
    def features(self, image: np.ndarray) -> Dict[str, List[torch.Tensor]]:
        sample = RestorationSample(metainfo=dict(ori_shape=image.shape[:2]))
        data = self.model.data_preprocessor(
            dict(inputs=[image_to_tensor(image)], data_samples=[sample]),
            training=False)
        _, feats = self.network(data['inputs'], return_features=True)
        if not feats.get('fdm'):
            raise ValueError(
                f'{type(self.network).__name__} returned no FDM features '
                "('fdm'): the analysis needs a network with an FDM")
        return feats


def correlation_analysis(probe: FeatureProbe,
                         images: Sequence[np.ndarray]) -> dict:
    """Channel correlation before (``fdm_in``) and after (``fdm``) the FDM
    of every phase, over ``images``.

    Returns ``dict(before=[C×C per phase], after=[...],
    mean_before=[float per phase], mean_after=[...])``.
    """
    sums: Dict[str, List[torch.Tensor]] = {}
    for image in images:
        feats = probe.features(image)
        for key in ('fdm_in', 'fdm'):
            mats = [channel_correlation(f) for f in feats[key]]
            if key not in sums:
                sums[key] = mats
            else:
                sums[key] = [a + b for a, b in zip(sums[key], mats)]
    before = [m / len(images) for m in sums['fdm_in']]
    after = [m / len(images) for m in sums['fdm']]
    return dict(before=before, after=after,
                mean_before=[mean_off_diagonal(m) for m in before],
                mean_after=[mean_off_diagonal(m) for m in after])


def channel_responses(probe: FeatureProbe, clean: Sequence[np.ndarray],
                      phase: int = 0,
                      levels: Optional[Dict[str, Sequence[float]]] = None,
                      seed: int = 0) -> dict:
    """Mean absolute FDM output per channel of ``phase`` for each
    distortion and level, minus the clean images' (Fig. 8c).

    Returns ``dict(clean=[C], <kind>=[levels × C] ...)`` as numpy arrays.
    """
    levels = levels or DISTORTION_LEVELS

    def response(images):
        total = 0
        for image in images:
            feat = probe.features(image)['fdm'][phase]
            total = total + feat.abs().mean(dim=(0, 2, 3)).double()
        return (total / len(images)).numpy()

    base = response(clean)
    out = dict(clean=base)
    for kind, values in levels.items():
        rows = []
        for level in values:
            rng = np.random.default_rng(seed)
            rows.append(response([distort(img, kind, level, rng)
                                  for img in clean]) - base)
        out[kind] = np.stack(rows)
    return out


def top_channels(responses: dict, k: int = 3) -> Dict[str, List[int]]:
    """The ``k`` channels each distortion moves most (mean |Δ| over its
    levels)."""
    return {kind: [int(c) for c in np.argsort(
        -np.abs(rows).mean(axis=0))[:k]]
            for kind, rows in responses.items() if kind != 'clean'}


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            'Plotting the feature analysis needs matplotlib: pip install '
            "matplotlib (or pip install -e '.[vis]')") from error
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_correlation(before: torch.Tensor, after: torch.Tensor,
                     path: str, title: str = '') -> None:
    """Fig. 8(a)(b): the two ``|r|`` matrices side by side, saved as PNG."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 4))
    for ax, matrix, name in ((axes[0], before, 'before FDM'),
                             (axes[1], after, 'after FDM')):
        image = ax.imshow(matrix.numpy(), vmin=0, vmax=1, cmap='viridis')
        ax.set_title(f'{name}: mean |r| = {mean_off_diagonal(matrix):.3f}')
        ax.set_xlabel('channel')
        ax.set_ylabel('channel')
    fig.colorbar(image, ax=axes, shrink=0.8, label='|correlation|')
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_responses(responses: dict, path: str, title: str = '',
                   levels: Optional[Dict[str, Sequence[float]]] = None
                   ) -> None:
    """Fig. 8(c): per distortion, levels × channels of the response change,
    each panel on its own symmetric colour scale (noise moves activations
    far more than blur or JPEG), saved as PNG."""
    plt = _pyplot()
    levels = levels or DISTORTION_LEVELS
    kinds = [k for k in responses if k != 'clean']
    fig, axes = plt.subplots(len(kinds), 1,
                             figsize=(8, 1.2 + 1.7 * len(kinds)),
                             squeeze=False)
    for ax, kind in zip(axes[:, 0], kinds):
        scale = float(np.abs(responses[kind]).max()) or 1.0
        image = ax.imshow(responses[kind], aspect='auto', cmap='coolwarm',
                          vmin=-scale, vmax=scale)
        ax.set_ylabel(f'{kind}\nlevel')
        ax.set_yticks([0, len(levels[kind]) - 1])
        ax.set_yticklabels(['1', str(len(levels[kind]))])
        fig.colorbar(image, ax=ax, pad=0.01, format='%.0e')
    axes[-1, 0].set_xlabel('channel after FDM (colour: change of the mean '
                           '|activation| from the clean images)')
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=80)
    plt.close(fig)


__all__ = ['DISTORTION_LEVELS', 'FeatureProbe', 'channel_correlation',
           'channel_responses', 'correlation_analysis', 'distort',
           'mean_off_diagonal', 'plot_correlation', 'plot_responses',
           'top_channels']
