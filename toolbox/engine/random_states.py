"""The states of the random number generators a training process draws from.

A training step draws from four generators: Python's ``random`` (the data
transforms' crops and flips, an unpaired set's choice of domain-B image),
NumPy's global generator (third-party transforms), PyTorch's CPU generator
(DCD-GAN's patch positions, the image pools' swaps, dropout, the
DataLoader's worker seeds) and, on a GPU, PyTorch's CUDA generator of the
process's device. :func:`capture_random_states` takes a copy of all four,
:func:`restore_random_states` puts one back. The copy holds only what the
toolbox's safe checkpoint loader accepts (tensors, NumPy arrays, tuples,
numbers, strings).
"""
import random
from typing import Any, Dict

import numpy as np
import torch


def capture_random_states() -> Dict[str, Any]:
    """Copies of this process's generator states: ``python``, ``numpy``,
    ``torch`` and, where CUDA is available, ``cuda`` (the current device's
    generator: one device per process, as MMEngine's DDP sets it)."""
    states = dict(python=random.getstate(), numpy=np.random.get_state(),
                  torch=torch.get_rng_state())
    if torch.cuda.is_available():
        states['cuda'] = torch.cuda.get_rng_state()
    return states


def restore_random_states(states: Dict[str, Any]) -> None:
    """Put back states taken by :func:`capture_random_states`.

    A CUDA state is restored only where CUDA is available (a GPU run resumed
    on CPU continues without it); the tensors may come back on any device
    (MMEngine loads a resumed checkpoint onto the training device).
    """
    random.setstate(states['python'])
    np.random.set_state(states['numpy'])
    torch.set_rng_state(states['torch'].cpu())
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state(states['cuda'].cpu())
