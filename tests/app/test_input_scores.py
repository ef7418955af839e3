"""The degraded inputs' row: scored through the config's test sets and
metrics, equal to tools/iqa.py's scores of the same folders."""
import pytest
from mmengine.config import Config

from tests.helpers import write_image_folder, write_paired_folder
from toolbox.app.input_scores import (build_test_sets, score_inputs,
                                      score_targets)
from toolbox.evaluation.folder_scoring import mean_scores, score_folder

LOAD = [dict(type='LoadImageFromFile', key='img'),
        dict(type='PackRestorationInputs')]
LOAD_PAIR = [dict(type='LoadImageFromFile', key='img'),
             dict(type='LoadImageFromFile', key='gt'),
             dict(type='PackRestorationInputs')]


def _config(paired, real, shared_metrics=False):
    loaders = [
        dict(dataset=dict(type='PairedImageDataset', data_root=str(paired),
                          data_prefix=dict(img='input', gt='target'),
                          pipeline=LOAD_PAIR, test_mode=True, name='pairs')),
        dict(dataset=dict(type='ImageFolderDataset', data_root=str(real),
                          pipeline=LOAD, test_mode=True, name='real')),
    ]
    evaluator = [[dict(type='PSNR'), dict(type='SSIM')],
                 [dict(type='BRISQUE')]]
    return Config(dict(default_scope='toolbox', test_dataloader=loaders,
                       test_evaluator=evaluator))


def test_inputs_scored_per_test_set_as_iqa_does(tmp_path):
    write_paired_folder(tmp_path / 'pairs', count=3, size=40)
    write_image_folder(tmp_path / 'real', count=2, size=48)
    cfg = _config(tmp_path / 'pairs', tmp_path / 'real')
    assert [s.name for s in build_test_sets(cfg)] == ['pairs', 'real']
    scores = score_inputs(cfg)
    assert list(scores) == ['pairs', 'real']
    assert set(scores['pairs']) == {'PSNR', 'SSIM'}
    assert set(scores['real']) == {'BRISQUE'}
    iqa = mean_scores(score_folder(str(tmp_path / 'pairs/input'),
                                   ['psnr', 'ssim'],
                                   str(tmp_path / 'pairs/target'),
                                   progress=False))
    assert scores['pairs']['PSNR'] == pytest.approx(iqa['psnr'])
    assert scores['pairs']['SSIM'] == pytest.approx(iqa['ssim'])
    real = mean_scores(score_folder(str(tmp_path / 'real'), ['brisque'],
                                    progress=False))
    assert scores['real']['BRISQUE'] == pytest.approx(real['brisque'])


def test_targets_scored_by_the_no_reference_metrics_only(tmp_path):
    """The reference row: each set's clean targets with its no-reference
    metrics, as tools/iqa.py scores the target folder; a set without
    targets, or with full-reference metrics only, gives nothing."""
    write_paired_folder(tmp_path / 'pairs', count=3, size=40)
    write_paired_folder(tmp_path / 'hidden', count=2, size=48, seed=5)
    write_image_folder(tmp_path / 'real', count=2, size=48)
    cfg = _config(tmp_path / 'pairs', tmp_path / 'real')
    hidden = dict(cfg.test_dataloader[0], dataset=dict(
        cfg.test_dataloader[0]['dataset'], data_root=str(tmp_path / 'hidden'),
        name='hidden'))
    cfg.test_dataloader.append(hidden)
    cfg.test_evaluator.append([dict(type='PSNR'), dict(type='BRISQUE'),
                               dict(type='PIQE')])
    scores = score_targets(cfg)
    assert list(scores) == ['hidden']
    assert set(scores['hidden']) == {'BRISQUE', 'PIQE'}
    iqa = mean_scores(score_folder(str(tmp_path / 'hidden/target'),
                                   ['brisque', 'piqe'], progress=False))
    assert scores['hidden']['BRISQUE'] == pytest.approx(iqa['brisque'])
    assert scores['hidden']['PIQE'] == pytest.approx(iqa['piqe'])
    inputs = mean_scores(score_folder(str(tmp_path / 'hidden/input'),
                                      ['brisque'], progress=False))
    assert scores['hidden']['BRISQUE'] != pytest.approx(inputs['brisque'])
