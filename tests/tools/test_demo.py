"""tools/demo.py end to end on tiny data (2 training iterations), its
list of methods and its user errors (in process: the end-to-end run as
``__main__`` through :func:`tests.helpers.run_script`)."""
import os
import runpy
import sys

import cv2

from tests.helpers import run_script, write_paired_folder
from toolbox.apis.image_grid import grid_size
from toolbox.degradations import demo_set
from toolbox.degradations.demo_stamp import write_stamp


def _run(repo_root, cwd, args):
    # OMP_NUM_THREADS set: the demo's thread choice (select_threads) leaves
    # the one thread run_script sets, as it did in a subprocess.
    return run_script(cwd, os.path.join(repo_root, 'tools', 'demo.py'),
                      *args, env={'OMP_NUM_THREADS': '1'})


def test_default_demo_trains_tests_tables_and_grids(repo_root, tmp_path):
    # data/demo exists (tiny) with a current stamp, as a build with other
    # arguments leaves it, so the demo uses it instead of building it.
    write_paired_folder(tmp_path / 'data/demo/rain/train', count=4, size=64)
    write_paired_folder(tmp_path / 'data/demo/rain/test', count=3, size=40,
                        seed=1)
    write_stamp(str(tmp_path / 'data/demo'), 'paired',
                demo_set.DATA_VERSION, {'size': 64})
    args = ['--iters', '2', '--work-dir', 'work', '--grid-images', '2',
            '--device', 'cpu']
    done = _run(repo_root, tmp_path, args)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    out = done.stdout
    assert 'data/demo/rain is there (data version' in out
    assert 'unpaired' not in out  # the restorer reads the paired set only
    assert '| method | demo_rain PSNR ↑ | demo_rain SSIM ↑ |' in out
    assert '| degraded input |' in out
    assert '| tiny DnCNN (demo), --iters 2 |' in out
    # MMEngine's log went to the console log, not the console.
    assert 'Iter(train)' not in out
    assert 'Iter(train)' in (tmp_path / 'work/demo/restorer/console.log'
                             ).read_text()
    assert (tmp_path / 'work/tiny_restorer/iter_2.pth').is_file()
    grid = cv2.imread(str(tmp_path / 'work/demo/restorer/grid.png'))
    # 2 images of the one test set; input | DnCNN | target; 40x40 tiles.
    assert grid.shape[:2] == grid_size(2, 3, (40, 40))
    table = (tmp_path / 'work/demo/restorer/table.md').read_text()
    assert table in out


def _main(repo_root, args, monkeypatch):
    """tools/demo.py in this process (its argument handling is what these
    tests check; a subprocess would spend its time importing torch)."""
    monkeypatch.setattr(sys, 'argv', ['tools/demo.py'] + args)
    try:
        runpy.run_path(os.path.join(repo_root, 'tools', 'demo.py'),
                       run_name='__main__')
    except SystemExit as stop:
        return stop.code
    return 0


def test_unknown_method_is_a_user_error(repo_root, tmp_path, monkeypatch,
                                        capsys):
    monkeypatch.chdir(tmp_path)
    assert _main(repo_root, ['--method', 'unet'], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "tools/demo.py: error: unknown demo method 'unet'" in err
    assert 'restorer' in err and 'Traceback' not in err
    assert not (tmp_path / 'data').exists()  # stopped before any work


def test_list_names_every_method_with_its_time(repo_root, monkeypatch,
                                               capsys):
    from toolbox.app.demo_chains import CHAINS
    assert _main(repo_root, ['--list'], monkeypatch) == 0
    out = capsys.readouterr().out
    for name, chain in CHAINS.items():
        assert f'  {name:<12} {chain.duration}' in out


def test_unknown_device_is_a_user_error(repo_root, tmp_path, monkeypatch,
                                        capsys):
    monkeypatch.chdir(tmp_path)
    assert _main(repo_root, ['--device', 'tpu'], monkeypatch) == 2
    assert "--device tpu: use 'auto', 'cpu', 'cuda'" in capsys.readouterr(
    ).err
    assert not (tmp_path / 'data').exists()


def test_jobs_below_one_is_a_user_error(repo_root, tmp_path, monkeypatch,
                                        capsys):
    monkeypatch.chdir(tmp_path)
    assert _main(repo_root, ['--jobs', '0'], monkeypatch) == 2
    assert '--jobs must be at least 1' in capsys.readouterr().err
    assert not (tmp_path / 'data').exists()


def _seeded_chain(tmp_path, monkeypatch):
    """Tiny demo data in tmp_path (the working folder) and a chain
    'seeded': the tiny restorer trained with seeds 0 and 1, then tested."""
    from toolbox.app import demo_chains
    write_paired_folder(tmp_path / 'data/demo/rain/train', count=4, size=64)
    write_paired_folder(tmp_path / 'data/demo/rain/test', count=2, size=40,
                        seed=1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(demo_chains.CHAINS, 'seeded', demo_chains.Chain(
        'seeded', '1 min', 'docs', (
            demo_chains.Train('demo/tiny_restorer.py', seeds=(0, 1)),
            demo_chains.Evaluate('demo/tiny_restorer.py', 'tiny', 'tiny'))))


def test_a_seeded_training_gives_one_row_with_its_spread(repo_root, tmp_path,
                                                         monkeypatch):
    """Train(seeds=...) trains once per seed in <config>_seed<k>; the row
    of its tests is the mean ± spread of the seeds, one results file per
    seed (make_table.py merges them alike)."""
    import torch

    from toolbox.app import demo
    _seeded_chain(tmp_path, monkeypatch)
    settings = demo.DemoSettings(
        config_root=os.path.join(repo_root, 'configs'), work_root='work',
        iters=2)
    result = demo.run_chain('seeded', settings)
    weights = [torch.load(f'work/tiny_restorer_seed{k}/iter_2.pth',
                          map_location='cpu', weights_only=False)
               ['state_dict'] for k in (0, 1)]
    key = next(k for k in weights[0] if k.endswith('weight'))
    assert not torch.equal(weights[0][key], weights[1][key])  # two seeds
    assert [r['name'] for r in result['records']] == [
        'degraded input', 'tiny, --iters 2', 'tiny, --iters 2']
    psnr = [r['metrics']['demo_rain/PSNR'] for r in result['records'][1:]]
    assert psnr[0] != psnr[1]
    mean, spread = (psnr[0] + psnr[1]) / 2, abs(psnr[0] - psnr[1]) / 2**.5
    row = next(line for line in result['table'].splitlines()
               if line.startswith('| tiny'))
    assert row.startswith(f'| tiny, --iters 2 (2 runs) | {mean:.2f} ± '
                          f'{spread:.2f} |')
    assert len(os.listdir('work/demo/seeded/results')) == 3


def test_side_by_side_trainings_equal_one_after_the_other(
        repo_root, tmp_path, monkeypatch):
    """--jobs 2 trains the two seeds in two child processes of one thread
    each: the weights are those of training them here one after the other
    with one thread, each child's MMEngine log goes to its own file."""
    import torch

    from toolbox.app import demo
    _seeded_chain(tmp_path, monkeypatch)
    threads = torch.get_num_threads()
    results = {}
    try:
        for jobs, root in ((2, 'side'), (1, 'here')):
            if jobs == 1:
                torch.set_num_threads(1)
            results[jobs] = demo.run_chain('seeded', demo.DemoSettings(
                config_root=os.path.join(repo_root, 'configs'),
                work_root=root, iters=3, jobs=jobs))
    finally:
        torch.set_num_threads(threads)
    for seed in (0, 1):
        side, here = (torch.load(f'{root}/tiny_restorer_seed{seed}/iter_3.pth',
                                 map_location='cpu', weights_only=False)
                      ['state_dict'] for root in ('side', 'here'))
        assert side.keys() == here.keys()
        assert all(torch.equal(side[k], here[k]) for k in side)
        log = f'side/demo/seeded/logs/tiny_restorer_seed{seed}.log'
        assert 'Saving checkpoint at 3 iterations' in open(log).read()
    assert results[1]['table'].replace('here/', 'side/') == \
        results[2]['table']


def test_hidden_targets_give_a_reference_row(repo_root, tmp_path,
                                             monkeypatch):
    """Test sets with targets and a no-reference metric: the table ends
    with the clean targets' no-reference scores (as tools/iqa.py scores
    the target folder); the full-reference columns stay empty there."""
    import pytest

    from toolbox.app import demo, demo_chains
    from toolbox.evaluation.folder_scoring import mean_scores, score_folder
    write_paired_folder(tmp_path / 'data/demo/rain/train', count=4, size=64)
    write_paired_folder(tmp_path / 'data/demo/rain/test', count=2, size=40,
                        seed=1)
    configs = tmp_path / 'configs' / 'demo'
    configs.mkdir(parents=True)
    (configs / 'tiny_piqe.py').write_text(
        f"_base_ = ['{repo_root}/configs/demo/tiny_restorer.py']\n"
        "test_evaluator = [dict(type='PSNR'), dict(type='PIQE')]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(demo_chains.CHAINS, 'reference', demo_chains.Chain(
        'reference', '1 min', 'docs', (
            demo_chains.Train('demo/tiny_piqe.py'),
            demo_chains.Evaluate('demo/tiny_piqe.py', 'tiny', 'tiny'))))
    settings = demo.DemoSettings(config_root=str(tmp_path / 'configs'),
                                 work_root='work', iters=2)
    result = demo.run_chain('reference', settings)
    names = [r['name'] for r in result['records']]
    assert names == ['degraded input', 'tiny, --iters 2', demo.TARGETS_ROW]
    reference = result['records'][-1]['metrics']
    assert set(reference) == {'demo_rain/PIQE'}
    piqe = mean_scores(score_folder('data/demo/rain/test/target', ['piqe'],
                                    progress=False))['piqe']
    assert reference['demo_rain/PIQE'] == pytest.approx(piqe)
    cells = [c.strip() for c in result['table'].splitlines()[-1].split('|')]
    assert cells[1] == demo.TARGETS_ROW
    assert cells[2] == '–'  # no PSNR of a target against itself
    assert cells[3] == f'{piqe:.2f}'
