"""The out-of-tree plugin path of docs/plugins.md, run in a temporary folder."""
import os
import subprocess
import sys
import textwrap

import pytest
from mmengine.config import Config

from tests.helpers import write_paired_folder

PLUGIN = textwrap.dedent('''
    import torch
    from torch import nn

    from toolbox.registry import BACKBONES, LOSSES


    @BACKBONES.register_module()
    class TinyUNet(nn.Module):
        def __init__(self, channels=16):
            super().__init__()
            self.down = nn.Conv2d(3, channels, 3, stride=2, padding=1)
            self.up = nn.ConvTranspose2d(channels, 3, 4, stride=2, padding=1)

        def forward(self, x):
            return x + self.up(torch.relu(self.down(x)))


    @LOSSES.register_module()
    class LogCoshLoss(nn.Module):
        calls = 0

        def __init__(self, loss_weight=1.0):
            super().__init__()
            self.loss_weight = loss_weight

        def forward(self, pred, target, **kwargs):
            type(self).calls += 1
            error = torch.log(torch.cosh(pred - target))
            return self.loss_weight * error.mean()
    ''')


@pytest.fixture
def plugin_project(tmp_path, repo_root):
    project = tmp_path / 'my_project'
    (project / 'my_plugins').mkdir(parents=True)
    (project / 'my_plugins' / '__init__.py').write_text('')
    (project / 'my_plugins' / 'tiny_unet.py').write_text(PLUGIN)
    (project / 'configs').mkdir()
    data = tmp_path / 'data'
    write_paired_folder(data / 'train', count=4, size=64)
    write_paired_folder(data / 'test', count=2, size=48)
    (project / 'configs' / 'tiny_unet_demo.py').write_text(textwrap.dedent(f'''
        _base_ = ['{repo_root}/configs/demo/tiny_restorer.py']
        custom_imports = dict(imports=['my_plugins.tiny_unet'],
                              allow_failed_imports=False)
        model = dict(
            generator=dict(_delete_=True, type='TinyUNet', channels=8),
            losses=[dict(type='LogCoshLoss', loss_weight=1.0)],
            data_preprocessor=dict(pad_size_divisor=2))
        train_dataloader = dict(batch_size=2,
                                dataset=dict(data_root='{data}/train'))
        val_dataloader = dict(dataset=dict(data_root='{data}/test'))
        test_dataloader = val_dataloader
        train_cfg = dict(max_iters=2, val_interval=2)
        default_hooks = dict(checkpoint=dict(interval=2))
        '''))
    return project


def test_config_outside_repo_inherits_and_uses_plugins(plugin_project,
                                                       repo_root, tmp_path):
    cfg_path = plugin_project / 'configs' / 'tiny_unet_demo.py'
    cfg = Config.fromfile(str(cfg_path), import_custom_modules=False)
    assert cfg.model.type == 'Restorer'  # inherited from the toolbox
    assert cfg.model.generator == dict(type='TinyUNet', channels=8)
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [sys.executable, f'{repo_root}/tools/train.py', str(cfg_path),
         '--work-dir', str(work_dir)],
        cwd=plugin_project,
        # The plugin project first; then whatever the suite runs with (a
        # worktree's PYTHONPATH puts its own toolbox before the installed).
        env={**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [
            str(plugin_project), os.environ.get('PYTHONPATH')]))},
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'loss_log_cosh' in log  # the plugin loss was trained with
    assert (work_dir / 'iter_2.pth').is_file()


def test_failed_plugin_import_is_reported(tmp_path, repo_root):
    cfg_path = tmp_path / 'broken.py'
    cfg_path.write_text(
        f"_base_ = ['{repo_root}/configs/demo/tiny_restorer.py']\n"
        "custom_imports = dict(imports=['no_such_plugin_module'], "
        "allow_failed_imports=False)\n")
    with pytest.raises(ImportError, match='no_such_plugin_module'):
        Config.fromfile(str(cfg_path))
