"""The degraded inputs scored as a model would be: a table's input row
(and the clean targets scored by the no-reference metrics: its reference
row).

:func:`score_inputs` reads every test set of a config through its own
test pipeline and scores it with its own metrics, with the input image in
place of the prediction, so the row is measured exactly as
``tools/test.py`` measures a model (same crops, colour conversion,
rounding and test-set names; ``tools/iqa.py`` scores folders instead).
:func:`build_test_sets` gives the test sets themselves (the demo's image
grid reads its images from them); :func:`score_images` scores any image
made from each item (:mod:`toolbox.app.score_path`: a model's outputs
blended towards their targets).
"""
from collections import OrderedDict
from typing import Callable, Dict, List, NamedTuple

from mmengine.config import Config

from toolbox.engine.loops import _as_list, _split_evaluators, test_set_name
from toolbox.registry import DATASETS, METRICS


class TestSet(NamedTuple):
    """A built test set of a config, named as the test loop names it."""
    name: str
    dataset: object
    evaluator: object  # the metric config(s) of this set


def build_test_sets(cfg: Config, stage: str = 'test') -> List[TestSet]:
    """The datasets of ``cfg.<stage>_dataloader`` (one or a list), each
    with its name (:func:`~toolbox.engine.loops.test_set_name`) and its
    evaluator config (shared, or one per set as the loops allow)."""
    from types import SimpleNamespace

    from mmengine.registry import DefaultScope

    loaders = _as_list(cfg.get(f'{stage}_dataloader'))
    evaluators = _split_evaluators(cfg.get(f'{stage}_evaluator'),
                                   len(loaders))
    sets = []
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'toolbox')):
        for index, (loader, evaluator) in enumerate(zip(loaders,
                                                        evaluators)):
            dataset = DATASETS.build(loader['dataset'])
            name = test_set_name(SimpleNamespace(dataset=dataset), index)
            sets.append(TestSet(name, dataset, evaluator))
    return sets


def score_inputs(cfg: Config, stage: str = 'test'
                 ) -> 'OrderedDict[str, Dict[str, float]]':
    """``{test set: {metric: value}}`` of the degraded inputs.

    A full-reference metric compares each input with its target; a
    no-reference metric scores the input itself.
    """
    return score_images(cfg, lambda name, index, item: item['inputs'], stage)


def score_targets(cfg: Config, stage: str = 'test'
                  ) -> 'OrderedDict[str, Dict[str, float]]':
    """``{test set: {metric: value}}`` of the clean targets, with each test
    set's no-reference metrics (BRISQUE, NIQE, PIQE): what a perfect
    restoration scores, a table's reference row where the targets are known
    (the demos' held-out sets). Sets without targets or without a
    no-reference metric are left out; full-reference metrics would compare
    a target with itself and are left out too."""
    return score_images(
        cfg, lambda name, index, item: item['data_samples'].gt_img, stage,
        no_reference_only=True)


def _no_reference_only(metrics: list) -> list:
    """The metric configs whose class scores a prediction alone (a class
    that does not say so is taken to need a reference)."""
    def scores_alone(metric: dict) -> bool:
        cls = metric['type']
        cls = METRICS.get(cls) if isinstance(cls, str) else cls
        return getattr(cls, 'needs_reference', True) is False
    return [metric for metric in metrics if scores_alone(metric)]


def score_images(cfg: Config, image_of: Callable[[str, int, dict], object],
                 stage: str = 'test', no_reference_only: bool = False
                 ) -> 'OrderedDict[str, Dict[str, float]]':
    """``{test set: {metric: value}}`` with ``image_of(test set name,
    index, item)`` (a ``[0, 255]`` CHW tensor, ``item`` as the dataset
    gives it) scored in place of each prediction, by the set's own metrics
    through its own pipeline, as ``tools/test.py`` scores a model.

    ``no_reference_only``: only the no-reference metrics (BRISQUE, NIQE,
    PIQE), and only the sets that have targets (what the callers score is
    made from them); the other sets are left out.
    """
    from mmengine.evaluator import Evaluator
    from mmengine.registry import DefaultScope
    scope = cfg.get('default_scope', 'toolbox')
    scores = OrderedDict()
    for test_set in build_test_sets(cfg, stage):
        metrics = test_set.evaluator
        if isinstance(metrics, dict):
            metrics = [metrics]
        metrics = list(metrics)
        if no_reference_only:
            with DefaultScope.overwrite_default_scope(scope):
                metrics = _no_reference_only(metrics)
            if not metrics or not len(test_set.dataset) or 'gt_img' not in \
                    test_set.dataset[0]['data_samples']:
                continue
        with DefaultScope.overwrite_default_scope(scope):
            evaluator = Evaluator(metrics)
        evaluator.dataset_meta = getattr(test_set.dataset, 'metainfo', None)
        for index in range(len(test_set.dataset)):
            item = test_set.dataset[index]
            sample = item['data_samples']
            sample.pred_img = image_of(test_set.name, index, item).float()
            evaluator.process(
                data_samples=[sample],
                data_batch=dict(inputs=[item['inputs']],
                                data_samples=[sample]))
        scores[test_set.name] = evaluator.evaluate(len(test_set.dataset))
    return scores


def metric_conventions(cfg: Config, stage: str = 'test') -> Dict[str, str]:
    """``{metric key: convention}`` of a config's test metrics, keyed as
    the test loop keys the metrics (``'<set>/<METRIC>'``; one set: no set
    name), e.g. ``{'rain1400/SSIM': 'SSIM matlab-gaussian11 RGB crop0'}``.
    Metrics without a ``convention`` are left out."""
    from mmengine.registry import DefaultScope

    loaders = _as_list(cfg.get(f'{stage}_dataloader'))
    evaluators = _split_evaluators(cfg.get(f'{stage}_evaluator'),
                                   len(loaders))
    names = [t.name for t in build_test_sets(cfg, stage)] \
        if len(loaders) > 1 else ['']
    conventions = OrderedDict()
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'toolbox')):
        for name, metrics in zip(names, evaluators):
            for metric_cfg in (metrics if isinstance(metrics, (list, tuple))
                               else [metrics]):
                metric = METRICS.build(metric_cfg)
                convention = getattr(metric, 'convention', None)
                if convention:
                    key = metric.metric_name
                    conventions[f'{name}/{key}' if name else key] = \
                        convention
    return conventions


__all__ = ['TestSet', 'build_test_sets', 'score_images', 'score_inputs',
           'score_targets', 'metric_conventions']
