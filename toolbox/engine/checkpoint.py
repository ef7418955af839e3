"""Checkpoints in MMEngine's Runner: safe reading, atomic writing, freezing.

The weights pipeline itself (reading files safely, cleaning keys,
converting other toolboxes' layouts, loading) is :mod:`toolbox.weights`.
This module installs it into MMEngine and holds what only training needs.

Installing into MMEngine (explicitly)
    :func:`install_safe_checkpoint_loader` registers the safe loader with
    :class:`~mmengine.runner.CheckpointLoader` for local paths (so
    ``load_from``, ``resume``, ``init_cfg=Pretrained`` and
    :func:`mmengine.runner.load_checkpoint` use it, with the wrappers'
    ``module.`` taken out of the keys: :func:`load_runner_checkpoint`) and
    :class:`AtomicLocalBackend` for local files: MMEngine writes with a
    plain ``open(path, 'wb')``, so a crash mid-save would leave a truncated
    file. Importing this module changes nothing: the entry points call the
    function (``tools/*.py``, :func:`toolbox.apis.init_model`,
    :func:`toolbox.app.runner_setup.load_config`,
    :class:`~toolbox.engine.runner.ToolboxRunner`), and so must a script
    that builds MMEngine's own ``Runner``. The pipeline's own loaders read
    files safely without it.

Frozen sub-modules
    :class:`FrozenModuleHolder` keeps networks a model uses but does not own
    (Uni-Removal's teachers, a loss's VGG) out of ``state_dict``,
    ``parameters()`` (so out of optimisers and DDP) and ``.train()``, while
    device and dtype moves still reach them; :func:`freeze` is the freezing
    they share.
"""
import os.path as osp
from collections import OrderedDict
from types import MappingProxyType
from typing import Mapping, Optional

from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from toolbox.fileio import (atomic_write_bytes, remove_orphaned_temp_files,
                            writing_output)
from toolbox.mmengine_private import clear_file_backend_cache
from toolbox.weights.files import (TRUST_OPTION, PathLike,
                                   load_checkpoint_file)
from toolbox.weights.keys import strip_wrapper_keys


def add_non_strict_argument(parser) -> None:
    """``--non-strict``: load the tensors of a checkpoint that fit
    (:func:`toolbox.weights.load_model_weights` with ``strict=False``)."""
    parser.add_argument(
        '--non-strict', action='store_true',
        help='load the tensors of the checkpoint that fit and keep the '
        'others as initialised (a warning lists what did not fit); by '
        'default a checkpoint that does not fit the model is an error')


def add_weight_loading_arguments(parser) -> None:
    """``--non-strict`` and ``--trust-checkpoint``: how a tool that loads
    one checkpoint outside a Runner (``tools/infer.py``,
    ``tools/export.py``) loads it."""
    add_non_strict_argument(parser)
    parser.add_argument(TRUST_OPTION, action='store_true',
                        help='load the checkpoint with weights_only=False '
                        '(runs code stored in the file: only for files you '
                        'trust)')

# ---------------------------------------------------------------------------
# Atomic writing
# ---------------------------------------------------------------------------


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic
    (:func:`toolbox.fileio.atomic_write_bytes`).

    What MMEngine writes through it (checkpoints, ``last_checkpoint``,
    results files) is the user's output: a write that the disk refuses
    (full, quota, read-only) raises
    :class:`~toolbox.fileio.OutputWriteError` naming the file, and the
    file it would have replaced stays as it was.
    """

    def put(self, obj: bytes, filepath: PathLike) -> None:
        """Write ``obj`` to ``filepath`` atomically (temp file + rename),
        after removing the temporary files an earlier run killed mid-save
        left in the folder."""
        with writing_output(filepath):
            remove_orphaned_temp_files(osp.dirname(osp.abspath(filepath)))
            atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: PathLike,
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        with writing_output(filepath):
            atomic_write_bytes(obj.encode(encoding), filepath)


# ---------------------------------------------------------------------------
# Installation into MMEngine
# ---------------------------------------------------------------------------


def install_safe_checkpoint_loader() -> None:
    """Make MMEngine load and write local checkpoints the toolbox's way.

    Registers :func:`load_runner_checkpoint` (:func:`load_checkpoint_file`,
    keys without the wrappers' ``module.``) as
    :class:`~mmengine.runner.CheckpointLoader`'s loader of local paths
    (replacing MMEngine's, which calls ``torch.load`` without an allow-list)
    and :class:`AtomicLocalBackend` as the ``local`` file backend. Call it
    once before a ``Runner`` loads or saves anything; calling it again does
    nothing new. The tools, :func:`toolbox.apis.init_model` and
    :func:`toolbox.app.runner_setup.load_config` call it.
    """
    # '' is the scheme of local paths; force=True replaces MMEngine's loader.
    CheckpointLoader.register_scheme(prefixes='',
                                     loader=load_runner_checkpoint,
                                     force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    # Backends are cached per (prefix, args); drop instances made before.
    clear_file_backend_cache()


def load_runner_checkpoint(filename: PathLike, map_location=None):
    """:func:`load_checkpoint_file`, with the keys of the file's
    ``state_dict`` as an unwrapped model has them
    (:func:`strip_wrapper_keys`): what MMEngine's Runner reads for
    ``resume`` and ``load_from`` once :func:`install_safe_checkpoint_loader`
    is in force.

    MMEngine loads into the networks *inside* their wrappers (its
    ``load_state_dict`` steps over every model wrapper), under DDP as in
    one process, but saves the keys the wrappers add
    (``generator_a2b.module.*`` for a GAN trained by
    ``tools/dist_train.sh``); without this every such key is "unexpected",
    every network "missing", and training goes on from random weights.
    """
    checkpoint = load_checkpoint_file(filename, map_location=map_location)
    if isinstance(checkpoint, dict) and isinstance(
            checkpoint.get('state_dict'), Mapping):
        checkpoint['state_dict'] = strip_wrapper_keys(checkpoint['state_dict'])
    return checkpoint


# ---------------------------------------------------------------------------
# Frozen sub-modules
# ---------------------------------------------------------------------------

def freeze(module: nn.Module) -> nn.Module:
    """Put ``module`` in eval mode and stop gradients to its parameters."""
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)
    return module


class FrozenModuleHolder:
    """Mixin for an ``nn.Module`` that uses networks it does not own.

    Uni-Removal's teachers and a contrastive loss's VGG are fixed networks:
    they must not be trained, saved with the model, or switched to training
    mode, but they must follow the model to its device and dtype. A module
    held with :meth:`hold_frozen` is frozen (:func:`freeze`) and kept
    outside the module tree, so it is absent from ``state_dict()``,
    ``parameters()`` (hence from optimisers, DDP and MMEngine's weight
    initialisation) and untouched by ``.train()``; ``_apply`` (``.to()``,
    ``.cuda()``, ``.half()``, ``channels_last``) still reaches it.

    Put the mixin before ``nn.Module`` (or a subclass) in the bases::

        class Loss(FrozenModuleHolder, nn.Module):
            def __init__(self, vgg):
                super().__init__()
                self.hold_frozen('vgg', vgg)
    """

    def hold_frozen(self, name: str,
                    module: Optional[nn.Module]) -> Optional[nn.Module]:
        """Keep ``module`` (frozen, outside the tree) under ``name``."""
        held = self.__dict__.get('_frozen_modules')
        if held is None:
            held = OrderedDict()
            object.__setattr__(self, '_frozen_modules', held)
        if module is not None:
            freeze(module)
        held[name] = module
        return module

    def frozen_module(self, name: str) -> Optional[nn.Module]:
        """The module held under ``name``, back in eval mode if someone
        called ``.train()`` on it directly."""
        module = self.held_modules[name]
        if module is not None and module.training:
            module.eval()
        return module

    @property
    def held_modules(self) -> Mapping[str, Optional[nn.Module]]:
        """Every held module by name (read-only mapping)."""
        return MappingProxyType(self.__dict__.get('_frozen_modules', {}))

    def _apply(self, fn, *args, **kwargs):
        # model.to(device)/.cuda()/.half() also move the held modules.
        super()._apply(fn, *args, **kwargs)
        for module in self.held_modules.values():
            if module is not None:
                module._apply(fn, *args, **kwargs)
        return self


__all__ = [
    'add_non_strict_argument', 'add_weight_loading_arguments',
    'AtomicLocalBackend',
    'install_safe_checkpoint_loader',
    'load_runner_checkpoint', 'freeze', 'FrozenModuleHolder'
]
