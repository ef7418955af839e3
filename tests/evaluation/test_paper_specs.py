"""The paper specs of FDR-Net and DCD-GAN (configs/fdrnet/tables.py,
configs/dcdgan/tables.py): every table loads in the paper's order of rows
with the paper's values, every run names a config, the checkpoint its
training writes and the test sets its columns read; a few transcribed
values (checked by hand against the papers); one table of each rendered
by tools/make_table.py --spec from hand-made results files."""
import functools
import json
import os.path as osp
from pathlib import Path

import pytest
from mmengine.config import Config

from tests.helpers import run_script
from toolbox.evaluation.table_spec import (fill_rows, load_spec, plan_run,
                                           render_spec_table)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FDRNET = osp.join(ROOT, 'configs', 'fdrnet', 'tables.py')
DCDGAN = osp.join(ROOT, 'configs', 'dcdgan', 'tables.py')
#: The tables of each spec and their rows, in the paper's order.
ROWS = {
    FDRNET: {
        '1': ['DnCNN', 'RL-Restore', 'OP-Attention', 'Ours'],
        '2': ['Dncnn', 'OP-Attention', 'ours'],
        '3': ['DeepDeblur', 'DeblurGan', 'SRN', 'Inception_ResNet', 'ours'],
        '4': ['DID-MDN', 'RESCAN', 'SPANET', 'ours'],
        '5': ['FDM ✓ Aux. ✓', 'FDM × Aux. ✓', 'FDM ✓ Aux. ×'],
        '6': [f'DFlayers {n}' for n in range(1, 6)] +
             [f'Channels {c}' for c in (16, 32, 48, 64)],
        '1-demo': ['degraded input', 'DnCNN (2,100 it.)',
                   'FDR-Net (700 it.)'],
    },
    DCDGAN: {
        '1': ['DSC', 'GMM', 'DDN', 'DID-MDN', 'RESCAN', 'SPANet', 'SIRR',
              'Syn2Real', 'CycleGAN', 'RR-GAN', 'DerainCycleGAN', 'Ours'],
        '3': ['RESCAN', 'SPANet', 'SSIR', 'Syn2Real', 'CycleGAN', 'Ours'],
        '4': ['w/o L_con', 'w/o L_cc', 'w L_cyc', 'w/o L_adv', 'w/o L_fre',
              'Ours'],
        '5': ['internal only', 'external only', 'Ours (internal+external)'],
        '6': ['w/o backward cycle', 'Ours (forward+backward cycle)'],
        'demo': ['degraded input', 'CycleGAN (demo)', 'DCD-GAN (demo)',
                 "probe: DCD-GAN's generator trained with pairs (L1)",
                 "probe: CycleGAN with DCD-GAN's anti-aliased generator",
                 'clean targets (no-reference scores)'],
    },
}
SPECS = list(ROWS)


def _is_demo(name):
    return 'demo' in name


def _write(path, metrics):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(name='x', metrics=metrics)))


@functools.lru_cache(maxsize=None)
def _config(path):
    """(test-set names, final checkpoint) of a config, as its test loop
    names the sets (a dataset's name, or its level) and its training
    names the last checkpoint."""
    cfg = Config.fromfile(osp.join(ROOT, path))
    loaders = cfg.test_dataloader
    if not isinstance(loaders, (list, tuple)):
        loaders = [loaders]
    names = tuple(loader['dataset'].get('name') or
                  loader['dataset'].get('level') for loader in loaders)
    train = cfg.train_cfg
    final = (f'iter_{train["max_iters"]}.pth' if 'max_iters' in train else
             f'epoch_{train["max_epochs"]}.pth')
    return names, final


@pytest.mark.parametrize('spec', SPECS, ids=osp.basename)
def test_every_table_has_the_papers_rows_and_values(spec):
    tables = load_spec(spec)
    assert list(tables) == list(ROWS[spec])
    for name, table in tables.items():
        assert [row['label'] for row in table['rows']] == ROWS[spec][name]
        for row in table['rows']:
            if _is_demo(name):  # no paper values for the demo data
                assert row.get('paper') is None, row['label']
            else:
                assert len(row['paper']) == len(table['columns']), \
                    (name, row['label'])
                assert any(v is not None for v in row['paper'])
            if not row['runs']:
                assert 'not in the toolbox' in row['note'] or \
                    'no config' in row['note']


@pytest.mark.parametrize('spec', SPECS, ids=osp.basename)
def test_runs_name_configs_final_checkpoints_and_the_columns_sets(spec):
    for name, table in load_spec(spec).items():
        column_sets = {key.split('/')[0] for key, _ in table['columns']}
        made = set()
        for row in table['rows']:
            for run in row['runs']:
                where = f'{name}, {row["label"]}: {run}'
                assert osp.isfile(osp.join(ROOT, run['config'])), where
                sets, final = _config(run['config'])
                # A one-set config leaves the set out of its keys: the run
                # names it, as the config's dataset is named.
                if len(sets) == 1:
                    assert run.get('test_set') == sets[0], where
                    made.add(run['test_set'])
                else:
                    assert 'test_set' not in run, where
                    made.update(sets)
                if 'checkpoint' in run:
                    config_name = osp.splitext(
                        osp.basename(run['config']))[0]
                    assert run['checkpoint'] == f'{config_name}/{final}', \
                        where
                else:
                    assert run.get('inputs') or run.get('targets'), where
        assert column_sets <= made, (name, column_sets - made)


def test_fdrnet_values_checked_by_hand():
    tables = load_spec(FDRNET)

    def paper(table, label):
        return next(r['paper'] for r in tables[table]['rows']
                    if r['label'] == label)

    assert [key for key, _ in tables['1']['columns']] == [
        'mild/PSNR', 'mild/SSIM', 'moderate/PSNR', 'moderate/SSIM',
        'severe/PSNR', 'severe/SSIM']
    assert paper('1', 'Ours') == [28.66, 0.7568, 27.24, 0.6846, 26.05,
                                  0.6218]
    assert paper('1', 'RL-Restore')[3] == 0.6557
    assert paper('2', 'Dncnn') == [22.1315, 0.5953]
    assert tables['2']['digits'] == 4  # the paper prints 4 decimals there
    assert paper('3', 'SRN') == [30.10, 0.932]
    assert paper('4', 'SPANET') == [30.05, 0.934]
    # Table 5 without its Params column (not a metric).
    assert [key for key, _ in tables['5']['columns']] == ['did_hy/PSNR',
                                                          'did_hy/SSIM']
    assert paper('5', 'FDM × Aux. ✓') == [23.91, 0.646]
    assert paper('6', 'DFlayers 1') == [24.63, 0.666]
    assert paper('6', 'Channels 64') == [25.00, 0.683]
    # The full model: one value in Tables 5 and 6, Table 2's rounded.
    assert paper('5', 'FDM ✓ Aux. ✓') == paper('6', 'DFlayers 3') == \
        paper('6', 'Channels 32') == [24.97, 0.680]


def test_dcdgan_values_checked_by_hand():
    tables = load_spec(DCDGAN)

    def paper(table, label):
        return next(r['paper'] for r in tables[table]['rows']
                    if r['label'] == label)

    assert paper('1', 'Ours') == [25.61, 0.813, 32.46, 0.937, 31.65, 0.918,
                                  35.30, 0.943]
    assert paper('1', 'SIRR')[:3] == [None, None, 30.57]  # "/" in the paper
    assert paper('1', 'DerainCycleGAN') == [24.30, 0.854, None, None, None,
                                            None, 35.20, 0.950]
    assert paper('1', 'DID-MDN')[4:6] == [26.38, 0.835]
    assert paper('3', 'Syn2Real') == [4.354, 15.920]
    assert paper('3', 'Ours') == [4.032, 13.311]
    assert paper('4', 'w/o L_adv') == [22.84, 0.731]
    assert paper('4', 'w L_cyc') == [25.32, 0.795]
    assert paper('5', 'internal only') == [25.47, 0.815]
    assert paper('6', 'w/o backward cycle') == [24.15, 0.776]
    # The full model on Test100: one value in Tables 1, 4, 5 and 6.
    full = [paper('4', 'Ours'), paper('5', 'Ours (internal+external)'),
            paper('6', 'Ours (forward+backward cycle)')]
    assert full == [paper('1', 'Ours')[:2]] * 3


def test_fdrnet_table_6_one_full_model_under_both_halves(repo_root,
                                                         tmp_path):
    """Table 6's two transposed halves as rows: the full model's one
    results file fills "DFlayers 3" and "Channels 32"."""
    table = load_spec(FDRNET)['6']
    work = tmp_path / 'w'
    rows = {row['label']: row for row in table['rows']}
    for label, psnr in (('DFlayers 3', 24.90), ('DFlayers 1', 24.50)):
        planned = plan_run(rows[label]['runs'][0], label, str(work))
        _write(Path(planned.pattern), {'did_hy/PSNR': psnr,
                                       'did_hy/SSIM': 0.67})
    done = run_script(repo_root, 'tools/make_table.py', '--spec', FDRNET,
                      '--table', '6', '--work-dir', str(work), '--compare')
    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    assert '| method | PSNR ↑ | SSIM ↑ |' in out
    assert '| DFlayers 3 | 24.90 | 0.6700 |' in out
    assert '| Channels 32 | 24.90 | 0.6700 |' in out
    assert '| DFlayers 1 (paper) | 24.63 | 0.6660 |' in out
    assert '| DFlayers 1 (ours − paper) | -0.13 | 0.0040 |' in out
    assert '| DFlayers 2 | — | — |' in out
    assert ('DFlayers 2: python tools/test.py '
            'configs/fdrnet/fdrnet_did_hy_fd2.py '
            f'{work}/fdrnet_did_hy_fd2/iter_270000.pth --name "DFlayers 2" '
            '--test-set did_hy --out '
            f'{work}/fdrnet_did_hy_fd2/results_fdrnet_did_hy_fd2_did_hy.json'
            ) in out


def test_dcdgan_table_1_ours_is_one_model_per_data_set(repo_root, tmp_path):
    """Table 1's "Ours": four configs, each under its own test set's
    columns (their real_rain scores are not Table 1's); the competitors
    show the paper's values, "/" as "–"."""
    table = load_spec(DCDGAN)['1']
    work = tmp_path / 'w'
    ours = table['rows'][-1]
    for run, (test_set, psnr) in zip(ours['runs'], (
            ('test100', 25.0), ('test1200', 32.0), ('test1400', 31.0),
            ('test1000', 35.0))):
        planned = plan_run(run, 'Ours', str(work))
        _write(Path(planned.pattern), {
            f'{test_set}/PSNR': psnr, f'{test_set}/SSIM': 0.9,
            'real_rain/NIQE': 4.0, 'real_rain/BRISQUE': 20.0})
    done = run_script(repo_root, 'tools/make_table.py', '--spec', DCDGAN,
                      '--table', '1', '--work-dir', str(work), '--compare')
    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    assert ('| method | Test100 PSNR ↑ | Test100 SSIM ↑ | Test1200 PSNR ↑ | '
            'Test1200 SSIM ↑ | Test1400 PSNR ↑ | Test1400 SSIM ↑ | '
            'Test1000 PSNR ↑ | Test1000 SSIM ↑ |') in out
    assert ('| Ours | 25.00 | 0.9000 | 32.00 | 0.9000 | 31.00 | 0.9000 | '
            '35.00 | 0.9000 |') in out
    assert '| Ours (ours − paper) | -0.61 | 0.0870 | -0.46 |' in out
    assert ('| SIRR (paper) | – | – | 30.57 | 0.9100 | 30.01 | 0.9070 | '
            '34.85 | 0.9360 |') in out
    assert '| CycleGAN | — |' in out
    assert 'CycleGAN: CycleGAN is in the toolbox (configs/cyclegan/) but ' \
        'no config trains it on these data sets' in out
    assert 'DSC: not in the toolbox' in out


def test_fdrnet_demo_inputs_row_names_the_one_set(tmp_path):
    """The demo configs test one set: the inputs row, like the models',
    is scored with --test-set so its keys land in the columns."""
    table = load_spec(FDRNET)['1-demo']
    work = tmp_path / 'w'
    for row, psnr in zip(table['rows'], (22.79, 26.26, 26.36)):
        planned = plan_run(row['runs'][0], row['label'], str(work))
        assert '--test-set demo_hybrid' in planned.command
        _write(Path(planned.pattern), {'demo_hybrid/PSNR': psnr,
                                       'demo_hybrid/SSIM': 0.5})
    assert planned.pattern.endswith(
        'fdrnet_demo/results_fdrnet_demo_demo_hybrid.json')
    lines = render_spec_table(table, fill_rows(table, str(work))).splitlines()
    assert lines[2:] == ['| degraded input | 22.79 | 0.5000 |',
                         '| DnCNN (2,100 it.) | 26.26 | 0.5000 |',
                         '| FDR-Net (700 it.) | 26.36 | 0.5000 |']
