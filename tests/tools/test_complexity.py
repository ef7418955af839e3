"""tools/complexity.py: parameters and FLOPs of a config's test-time
network, and its one-line errors."""
import os
import re
import subprocess
import sys

import pytest
import torch

from toolbox.apis import init_model
from toolbox.app.complexity import (config_complexity, format_complexity,
                                    network_complexity)
from toolbox.user_errors import UserError


def complexity_tool(repo_root, *args, status=0):
    result = subprocess.run(
        [sys.executable, 'tools/complexity.py', *args], cwd=repo_root,
        capture_output=True, text=True, timeout=240,
        env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert result.returncode == status, result.stdout + result.stderr
    return result.stdout, result.stderr


def reported(out, what):
    """The integer the report gives for ``parameters`` or ``FLOPs``."""
    match = re.search(rf'^  {what} +([\d,]+) ', out, re.M)
    assert match, out
    return int(match.group(1).replace(',', ''))


def test_tiny_restorer_counts_its_generator(repo_root):
    out, _ = complexity_tool(repo_root, 'configs/demo/tiny_restorer.py',
                             '--shape', '32', '48')
    generator = init_model(f'{repo_root}/configs/demo/tiny_restorer.py'
                           ).generator
    assert reported(out, 'parameters') == sum(
        p.numel() for p in generator.parameters()) == 38_755
    # DnCNN demo: 3×3 convs 3→32, four 32→32, 32→3 at every pixel; a
    # multiply-add is one FLOP, biases and ReLUs are not counted.
    assert reported(out, 'FLOPs') == 32 * 48 * 9 * (3 * 32 + 4 * 32 * 32 +
                                                    32 * 3)
    assert 'Restorer.generator (DnCNN)' in out
    assert 'input       1×3×32×48' in out


def test_fdrnet_table_5_counts(repo_root):
    out, _ = complexity_tool(repo_root, 'configs/fdrnet/fdrnet_did_hy.py',
                             '--shape', '16', '16')
    assert reported(out, 'parameters') == 1_660_571  # paper: 1.66M
    assert '(1.66 M)' in out and 'Restorer.generator (FDRNet)' in out
    # The GDN's element-wise square root is not in MMEngine's FLOP rules.
    assert re.search(r'not in the FLOPs .*sqrt ×18', out)
    counts = {name: config_complexity(
        f'{repo_root}/configs/fdrnet/fdrnet_did_hy_{name}.py',
        (16, 16)).params for name in ('no_aux', 'no_fdm')}
    assert counts == {'no_aux': 1_210_283,   # paper: 1.21M
                      'no_fdm': 1_672_787}   # paper: 1.62M (see the page)


def test_tied_igdn_through_cfg_options(repo_root):
    out, _ = complexity_tool(
        repo_root, 'configs/fdrnet/fdrnet_did_hy.py', '--shape', '16', '16',
        '--cfg-options', 'model.generator.tie_igdn=True')
    assert reported(out, 'parameters') == 1_660_571 - 19_008


def test_padding_of_the_data_preprocessor_is_reported(repo_root):
    result = config_complexity(
        f'{repo_root}/configs/uniremoval/kt_mprnet_demo.py', (30, 20))
    assert result.input_shape == (1, 3, 32, 24)
    assert result.network_name == 'generator' and result.network == 'MPRNet'
    text = format_complexity(result)
    assert 'pads 30×20 to a multiple of 8' in text and 'at 32×24' in text


def test_shared_parameters_count_once():
    shared = torch.nn.Conv2d(3, 3, 3, padding=1)
    net = torch.nn.Sequential(shared, torch.nn.ReLU(), shared)
    params, flops, _ = network_complexity(net, (1, 3, 8, 8))
    assert params == 84
    assert flops == 2 * 8 * 8 * 3 * 3 * 9


@pytest.mark.parametrize('args, message', [
    (['configs/fdrnet/nope.py'], 'config file not found: configs/fdrnet/nope'),
    (['configs/demo/tiny_restorer.py', '--shape', '0', '8'],
     '--shape takes two positive integers H W, got 0 8'),
    (['configs/demo/tiny_restorer.py', '--cfg-options',
      'model.generator.bogus=1'],
     # Caught with the overrides, before the model is built.
     "model.generator.bogus: DnCNN has no argument 'bogus'"),
    (['configs/cyclegan/cyclegan_demo.py', '--shape', '2', '2'],
     'ResnetGenerator does not run on a 1×3×4×4 input'),
])
def test_user_errors_are_one_line(repo_root, args, message):
    _, err = complexity_tool(repo_root, *args, status=2)
    first = err.splitlines()[0]
    assert first.startswith('tools/complexity.py: error: ') and \
        message in err, err
    assert 'Traceback' not in err


def test_bad_shape_in_process():
    with pytest.raises(UserError, match='two positive integers'):
        config_complexity('configs/demo/tiny_restorer.py', (8, ))
