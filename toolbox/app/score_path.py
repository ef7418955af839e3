"""Where a lower no-reference score stops meaning a better restoration.

BRISQUE, NIQE and PIQE are read "lower is better", yet a restoration can
score lower than the clean images themselves (a smooth output often
does). Where a test set's clean targets are known (the demos' held-out
real-world-like sets), :func:`score_path` scores a model's outputs blended
step by step into their targets, ``(1 − α)·output + α·target``: the first
row is the model's own score (``tools/test.py`` gives the same), the last
the targets' (``tools/test.py --targets``). A score that rises along the
path is one that the model already "beats" by moving away from the
targets, so lowering it further is no gain (``tools/analyze_score_path.py``;
docs/methods/uniremoval.md, demo of stage 2).
"""
from collections import OrderedDict
from typing import Dict, List, Sequence

import torch
from mmengine.config import Config

from toolbox.app.input_scores import score_images


def blend_steps(steps: int) -> List[float]:
    """``steps`` evenly spaced weights of the target from 0 to 1."""
    if steps < 2:
        raise ValueError(f'the path needs at least 2 steps, got {steps}')
    return [i / (steps - 1) for i in range(steps)]


def score_path(cfg: Config, model: torch.nn.Module,
               alphas: Sequence[float], stage: str = 'test'
               ) -> 'OrderedDict[float, Dict[str, Dict[str, float]]]':
    """``{α: {test set: {metric: value}}}``: the no-reference scores of
    ``(1 − α)·output + α·target`` for each test set of ``cfg`` that has
    targets and a no-reference metric, ``model``'s output clamped to
    ``[0, 255]`` as the metrics clamp it. Each output is computed once
    (``model.test_step``, as the test loop runs it)."""
    outputs = {}

    def output(name: str, index: int, item: dict) -> torch.Tensor:
        if (name, index) not in outputs:
            with torch.no_grad():
                sample, = model.test_step(dict(
                    inputs=[item['inputs']],
                    data_samples=[item['data_samples']]))
            outputs[name, index] = sample.pred_img.float().clamp(0, 255) \
                .cpu()
        return outputs[name, index]

    scores = OrderedDict()
    for alpha in alphas:
        def blended(name, index, item, alpha=alpha):
            target = item['data_samples'].gt_img.float()
            return (1 - alpha) * output(name, index, item) + alpha * target
        scores[alpha] = score_images(cfg, blended, stage,
                                     no_reference_only=True)
    return scores


def path_records(scores: 'Dict[float, Dict[str, Dict[str, float]]]'
                 ) -> List[dict]:
    """One table record per step of :func:`score_path`'s result, its
    metrics keyed ``'<test set>/<METRIC>'``, the first row named the
    model's output and the last the clean targets."""
    records = []
    alphas = list(scores)
    for alpha in alphas:
        name = ('model output (α = 0)' if alpha == alphas[0] == 0 else
                'clean targets (α = 1)' if alpha == alphas[-1] == 1 else
                f'α = {alpha:g}')
        metrics = OrderedDict(
            (f'{test_set}/{metric}', float(value))
            for test_set, values in scores[alpha].items()
            for metric, value in values.items())
        records.append(dict(name=name, metrics=metrics))
    return records


__all__ = ['blend_steps', 'score_path', 'path_records']
