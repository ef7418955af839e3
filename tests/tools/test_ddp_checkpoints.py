"""Issue 28, defect 2: checkpoints written under DDP load everywhere.

``tools/dist_train.sh`` wraps each network of a GAN in its own DDP wrapper
(``MMSeparateDistributedDataParallel``), and MMEngine saves the wrappers'
keys (``generator_a2b.module.*``). ``tools/test.py`` and ``tools/infer.py``
refused such a file, and a single-process ``--resume`` of it exited 0
with every network at random initialisation (the iteration counter and
optimisers restored). The checkpoints come from one genuine 2-process CPU
(gloo) training run of the CycleGAN demo config on tiny generated data;
the distributed runs and the resume run in subprocesses, as a user runs
them, the single-process test, infer and refused-resume runs as
``__main__`` in this process (:func:`tests.helpers.run_script`: the same
code without 4-5 s of start-up each).
"""
import json
import sys

import pytest
import torch

from tests.helpers import (CPU_ONLY_ENV, free_port, run_script,
                           run_script_ok)
from tests.tools.test_gan_tools import demo_options, gan_data  # noqa: F401
from tests.tools.test_train_test_tools import assert_same_weights, run_tool

CYCLEGAN = 'configs/cyclegan/cyclegan_demo.py'
NETWORKS = ('generator_a2b', 'generator_b2a', 'discriminator_a',
            'discriminator_b')


def load(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def one_more_iteration(root):
    """Options of a resume from iteration 2 to 3 at the checkpoint's
    schedule (the decay of demo_options(root) ended at 2)."""
    return [o.replace('param_scheduler.0.end=3', 'param_scheduler.0.end=2')
            for o in demo_options(root, max_iters=3, interval=3)]


@pytest.fixture(scope='module')
def ddp_checkpoints(gan_data, repo_root, tmp_path_factory):  # noqa: F811
    """A checkpoint written by a genuine 2-process ``dist_train.sh`` run
    (2 iterations) and the same checkpoint with the wrappers' ``module.``
    taken out of its keys by hand: what one process would have saved."""
    work_dir = tmp_path_factory.mktemp('ddp_gan')
    run_tool(repo_root, [
        'env', f'PORT={free_port()}', 'bash', 'tools/dist_train.sh', CYCLEGAN,
        '2', '--work-dir', str(work_dir), '--cfg-options'] +
        demo_options(gan_data), timeout=400, env=CPU_ONLY_ENV)
    wrapped = work_dir / 'iter_2.pth'
    state = load(wrapped)
    keys = list(state['state_dict'])
    # What MMSeparateDistributedDataParallel makes MMEngine save.
    assert all(k.split('.')[0] in NETWORKS and k.split('.')[1] == 'module'
               for k in keys), keys[:3]
    state['state_dict'] = type(state['state_dict'])(
        (k.replace('.module.', '.', 1), v)
        for k, v in state['state_dict'].items())
    plain = work_dir / 'plain.pth'
    torch.save(state, plain)
    return wrapped, plain


def test_test_and_infer_accept_a_ddp_gan_checkpoint(
        ddp_checkpoints, gan_data, repo_root, tmp_path):  # noqa: F811
    """tools/infer.py restores with the file dist_train.sh wrote the image
    the unwrapped file gives; tools/test.py scores it as tools/dist_test.sh
    (networks wrapped) scores the unwrapped file."""
    wrapped, plain = ddp_checkpoints
    image = (gan_data / 'demo' / 'unpaired' / 'rain' / 'test' / 'input' /
             '000.png')
    images = {}
    for checkpoint in ddp_checkpoints:
        restored = tmp_path / f'{checkpoint.stem}.png'
        run_script_ok(repo_root, 'tools/infer.py', CYCLEGAN, '--checkpoint',
                      str(checkpoint), '--input', str(image), '--output',
                      str(restored))
        images[checkpoint.stem] = restored.read_bytes()
    assert images['iter_2'] == images['plain']
    run_script_ok(repo_root, 'tools/test.py', CYCLEGAN, str(wrapped),
                  '--work-dir', str(tmp_path / 'test'), '--out',
                  str(tmp_path / 'ddp.json'), '--cfg-options',
                  *demo_options(gan_data))
    # Conversely: a file in one process's keys, tested under DDP.
    run_tool(repo_root, [
        'env', f'PORT={free_port()}', 'bash', 'tools/dist_test.sh', CYCLEGAN,
        str(plain), '2', '--work-dir', str(tmp_path / 'dist'), '--out',
        str(tmp_path / 'plain.json'), '--cfg-options'] +
        demo_options(gan_data), timeout=400, env=CPU_ONLY_ENV)
    ddp = json.loads((tmp_path / 'ddp.json').read_text())['metrics']
    single = json.loads((tmp_path / 'plain.json').read_text())['metrics']
    assert 'demo_rain_heldout/PSNR' in ddp
    assert ddp == pytest.approx(single, rel=1e-6)


def test_single_process_resume_of_a_ddp_gan_checkpoint_keeps_its_weights(
        ddp_checkpoints, gan_data, repo_root, tmp_path):  # noqa: F811
    """--resume of the dist_train.sh file in one process continues from its
    weights: one more iteration gives the weights of a resume from the
    unwrapped file (before: every network at random initialisation)."""
    after = {}
    for name, checkpoint in zip(('ddp', 'plain'), ddp_checkpoints):
        work_dir = tmp_path / name
        log = run_tool(repo_root, [
            sys.executable, 'tools/train.py', CYCLEGAN, '--work-dir',
            str(work_dir), '--resume', str(checkpoint), '--cfg-options'] +
            one_more_iteration(gan_data))
        assert 'missing keys' not in log, log[-3000:]
        after[name] = load(work_dir / 'iter_3.pth')['state_dict']
    assert_same_weights(after['ddp'], after['plain'], atol=0)
    # One Adam step (lr 2e-4) away from the resumed weights, not a new
    # random initialisation.
    before = load(ddp_checkpoints[1])['state_dict']
    assert_same_weights(after['ddp'], before, atol=1e-2)


def test_resume_from_a_checkpoint_that_fits_no_network_stops(
        ddp_checkpoints, gan_data, repo_root, tmp_path):  # noqa: F811
    """A file whose keys match no network: --resume exits 2 naming it and
    the missing keys, before anything is trained (before: exit 0 and
    training from random weights)."""
    state = load(ddp_checkpoints[1])
    state['state_dict'] = {f'net.{k}': v
                           for k, v in state['state_dict'].items()}
    foreign = tmp_path / 'foreign.pth'
    torch.save(state, foreign)
    work_dir = tmp_path / 'resumed'
    result = run_script(repo_root, 'tools/train.py', CYCLEGAN, '--work-dir',
                        str(work_dir), '--resume', str(foreign),
                        '--cfg-options', *one_more_iteration(gan_data))
    code, log = result.returncode, result.stdout + result.stderr
    assert code == 2, log[-3000:]
    keys = len(state['state_dict'])  # every key of the model, renamed
    assert (f'tools/train.py: error: --resume: {foreign} does not fit '
            f'CycleGAN: {keys} keys missing from the file '
            '(generator_a2b.model.1.weight') in log, log[-3000:]
    assert 'unexpected keys in the file (net.generator_a2b.' in log
    assert ('leave discriminator_a, discriminator_b, generator_a2b, '
            'generator_b2a at random initial weights') in log
    assert 'Traceback' not in log
    assert not list(work_dir.glob('*.pth'))
