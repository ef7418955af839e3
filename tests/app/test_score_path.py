"""tools/analyze_score_path.py: a model's outputs blended into their
targets, scored by the test sets' no-reference metrics; the ends of the
path are the model's own scores (tools/test.py) and the targets'
(tools/test.py --targets)."""
import os

import pytest
import torch
from mmengine.config import Config

from tests.helpers import run_script, write_paired_folder
from toolbox.apis import init_model
from toolbox.app.input_scores import score_targets
from toolbox.app.runs import evaluate_checkpoint
from toolbox.app.score_path import blend_steps, path_records, score_path

TEST_METRICS = [dict(type='PSNR'), dict(type='PIQE'), dict(type='BRISQUE')]


def _config(repo_root, tmp_path):
    write_paired_folder(tmp_path / 'data/demo/rain/train', count=2, size=48)
    write_paired_folder(tmp_path / 'data/demo/rain/test', count=3, size=64,
                        seed=1)
    cfg = Config.fromfile(os.path.join(repo_root,
                                       'configs/demo/tiny_restorer.py'))
    cfg.test_evaluator = TEST_METRICS
    cfg.work_dir = str(tmp_path / 'work')
    cfg.launcher = 'none'
    return cfg


def test_the_path_runs_from_the_models_scores_to_the_targets(
        repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = _config(repo_root, tmp_path)
    torch.manual_seed(0)
    model = init_model(cfg)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)

    scores = score_path(cfg, model, blend_steps(3))
    assert list(scores) == [0.0, 0.5, 1.0]
    # One test set (the config's), no-reference metrics only.
    (name, first), = scores[0.0].items()
    assert set(first) == {'PIQE', 'BRISQUE'}
    tested = evaluate_checkpoint(cfg.copy(), checkpoint)
    for metric in first:
        assert first[metric] == pytest.approx(tested[metric], abs=1e-9)
        assert scores[1.0][name][metric] == pytest.approx(
            score_targets(cfg)[name][metric], abs=1e-9)
    # The middle of the path is scored on blends, neither end.
    middle = scores[0.5][name]
    assert all(middle[m] != first[m] and middle[m] != scores[1.0][name][m]
               for m in first)
    rows = path_records(scores)
    assert [r['name'] for r in rows] == [
        'model output (α = 0)', 'α = 0.5', 'clean targets (α = 1)']
    assert rows[1]['metrics'][f'{name}/PIQE'] == middle['PIQE']


def _tool(repo_root, cwd, *args):
    """tools/analyze_score_path.py run in ``cwd`` (in this process)."""
    return run_script(cwd, os.path.join(repo_root, 'tools',
                                        'analyze_score_path.py'), *args)


def test_tool_prints_and_writes_the_table(repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = _config(repo_root, tmp_path)
    cfg.dump(str(tmp_path / 'piqe.py'))
    model = init_model(cfg)
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'model.pth')
    result = _tool(repo_root, tmp_path, 'piqe.py', 'model.pth', '--steps',
                   '2', '--out', 'path.md')
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    table = (tmp_path / 'path.md').read_text()
    assert table in out
    assert 'model output (α = 0)' in table
    assert 'clean targets (α = 1)' in table and 'PIQE' in table
    assert 'PSNR' not in table  # full-reference metrics are not scored


@pytest.mark.parametrize('args,message', [
    (['--steps', '1'], '--steps 1: the path needs at least 2'),
    ([], 'missing.pth  (checkpoint file or work dir; not found)'),
])
def test_user_errors_are_one_line(repo_root, tmp_path, monkeypatch, args,
                                  message):
    monkeypatch.chdir(tmp_path)
    cfg = _config(repo_root, tmp_path)
    cfg.dump(str(tmp_path / 'piqe.py'))
    result = _tool(repo_root, tmp_path, 'piqe.py', 'missing.pth', *args)
    assert result.returncode == 2
    err = result.stderr
    assert message in err and 'Traceback' not in err
