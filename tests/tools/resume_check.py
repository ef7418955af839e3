"""Exact resume through tools/train.py: ``resume_at`` iterations, ``--resume``,
the rest, against one straight run; the two final checkpoints compared in
everything a resume restores (shared by the tests of each model)."""
import sys

import numpy as np
import torch

from tests.tools.test_train_test_tools import load_state, run_tool


def train_straight_and_resumed(repo_root, config, options, work_root,
                               last, resume_at, timeout=400, unit='iter',
                               resume_options=()):
    """Train ``config`` straight to iteration (or, with ``unit='epoch'``,
    epoch) ``last`` (``options`` must checkpoint at ``resume_at`` and
    ``last``), and again from the straight run's ``<unit>_<resume_at>.pth``
    with ``--resume`` (and ``resume_options`` after ``options``). Returns
    the straight run's checkpoints at ``resume_at`` and ``last`` and the
    resumed run's at ``last``."""
    straight, resumed = work_root / 'straight', work_root / 'resumed'
    train = [sys.executable, 'tools/train.py', config]
    run_tool(repo_root, train + ['--work-dir', str(straight),
                                 '--cfg-options'] + options, timeout=timeout)
    run_tool(repo_root, train + [
        '--work-dir', str(resumed), '--resume',
        str(straight / f'{unit}_{resume_at}.pth'), '--cfg-options'] +
        options + list(resume_options), timeout=timeout)
    return (load_state(straight / f'{unit}_{resume_at}.pth'),
            load_state(straight / f'{unit}_{last}.pth'),
            load_state(resumed / f'{unit}_{last}.pth'))


def _differences(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f'{path}: keys {sorted(a.keys() ^ b.keys())}']
        return [d for key in a for d in _differences(a[key], b[key],
                                                     f'{path}.{key}')]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f'{path}: {len(a)} against {len(b)} items']
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in _differences(x, y, f'{path}[{i}]')]
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        same = a.dtype == b.dtype and a.shape == b.shape and \
            torch.equal(a.cpu(), b.cpu())
        return [] if same else [path]
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return [] if np.array_equal(a, b) else [path]
    return [] if type(a) is type(b) and a == b else [path]


def resume_differences(straight, resumed):
    """What differs between two final checkpoints, bit for bit: every
    tensor of the state dict, every optimiser and scheduler state, the
    iteration and epoch, each rank's random states and image pools."""
    keys = ('state_dict', 'optimizer', 'param_schedulers', 'resume_state')
    found = [d for key in keys
             for d in _differences(straight.get(key), resumed.get(key), key)]
    for key in ('iter', 'epoch'):
        if straight['meta'][key] != resumed['meta'][key]:
            found.append(f'meta.{key}')
    return found


def changed_tensors(before, after):
    """State-dict keys whose tensors changed from ``before`` to ``after``
    (a last iteration that changes nothing would prove nothing)."""
    return [key for key, value in before['state_dict'].items()
            if not torch.equal(value, after['state_dict'][key])]
