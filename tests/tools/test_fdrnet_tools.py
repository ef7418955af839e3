"""The FDR-Net demo through the tools: 2 iterations of tools/train.py with
--amp on CPU, tools/test.py, and tools/analyze_features.py on the
checkpoint (as ``__main__``, in process: :func:`tests.helpers.run_script`)."""
import json

import pytest
from mmengine.config import Config

from tests.helpers import run_script, run_script_ok, write_paired_folder

CONFIG = 'configs/fdrnet/fdrnet_demo.py'


@pytest.fixture(scope='module')
def trained(repo_root, tmp_path_factory):
    root = tmp_path_factory.mktemp('fdrnet_demo')
    write_paired_folder(root / 'train', count=3, size=72)
    write_paired_folder(root / 'test', count=2, size=40, seed=1)
    work_dir = root / 'work'
    log = run_script_ok(
        repo_root, 'tools/train.py', CONFIG, '--amp', '--work-dir',
        str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.data_root={root}/train',
        f'val_dataloader.dataset.data_root={root}/test',
        f'test_dataloader.dataset.data_root={root}/test',
        'train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'param_scheduler.0.T_max=2')
    return root, work_dir, log


def test_amp_training_on_cpu(trained):
    _, work_dir, log = trained
    dumped = Config.fromfile(str(work_dir / 'fdrnet_demo.py'))
    assert dumped.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    last = log.split('Iter(train) [2/2]')[-1].split('\n')[0]
    assert 'loss_svdo' in last and 'nan' not in last
    assert (work_dir / 'iter_2.pth').is_file()


def test_test_tool_and_feature_analysis(trained, repo_root, tmp_path):
    root, work_dir, _ = trained
    ckpt = str(work_dir / 'iter_2.pth')
    out = tmp_path / 'r.json'
    run_script_ok(
        repo_root, 'tools/test.py', CONFIG, ckpt, '--out', str(out),
        '--work-dir', str(tmp_path / 'test'), '--cfg-options',
        f'test_dataloader.dataset.data_root={root}/test')
    assert set(json.loads(out.read_text())['metrics']) == {'PSNR', 'SSIM'}
    args = ['tools/analyze_features.py', CONFIG, ckpt,
            '--input', f'{root}/test/input', '--clean', f'{root}/test/target',
            '--out-dir', str(tmp_path / 'an'), '--phase', '0']
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # the numbers are written, the tool says what to do
        done = run_script(repo_root, *args)
        assert done.returncode != 0 and 'pip install matplotlib' in \
            done.stderr
        assert (tmp_path / 'an' / 'features.json').is_file()
        return
    log = run_script_ok(repo_root, *args)
    assert 'before FDM' in log and 'after FDM' in log
    record = json.loads((tmp_path / 'an' / 'features.json').read_text())
    assert len(record['mean_before']) == len(record['mean_after']) == 1
    assert all(0 <= v <= 1 for v in record['mean_before'])
    assert len(record['responses']['noise']) == 10
    for name in ('correlation.png', 'channel_responses.png'):
        assert (tmp_path / 'an' / name).stat().st_size > 1000
