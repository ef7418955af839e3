"""``--resume`` restores every network's weights and optimiser, or stops.

MMEngine's ``Runner.resume`` loads the checkpoint's weights non-strictly:
a file whose keys match no network (another model, a layout it does not
know) is logged as "missing keys" and the run goes on from random weights,
with the iteration counter, optimisers and schedules restored as if
nothing were wrong. :class:`ResumeWeightsHook` (added by
:func:`~toolbox.app.runs.train_from_config` to every run that
resumes) checks, when the file is read, that it holds every parameter and
buffer of the model with its shape, in the names the unwrapped model uses
(the wrappers' ``module.`` is already gone:
:func:`~toolbox.engine.checkpoint.load_runner_checkpoint`), after another
toolbox's layout is converted
(:mod:`~toolbox.weights.adapters`). Otherwise it stops with
:class:`~toolbox.weights.CheckpointMismatchError` (a user error:
one message, exit status 2) naming the file, the networks concerned and the
keys missing, before anything is trained. Keys the model lacks only earn a
warning: they leave nothing at random. ``load_from`` without resuming is a
partial initialisation on purpose
(:class:`~toolbox.engine.runner.ToolboxRunner`).

The file's optimiser state is checked against the config's optimisers too
(:func:`~toolbox.engine.resume_optimizers.optimizer_mismatch`): one written
under another ``optim_wrapper`` stops with the same kind of message instead
of PyTorch's or MMEngine's traceback when it is loaded.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from toolbox.mmengine_private import runner_load_from, runner_resumes
from toolbox.weights import (CheckpointMismatchError, describe_mismatch,
                             strip_wrapper_keys, unwrapped_state_dict)
from toolbox.weights import adapt_state_dict
from toolbox.engine.resume_optimizers import optimizer_mismatch
from toolbox.registry import HOOKS

#: Buffers MMEngine's loader does not miss (batch norm's counter is made
#: up when absent).
_NOT_REQUIRED = ('num_batches_tracked', )


def resumed_file(runner) -> str:
    """The checkpoint a resuming runner reads: ``load_from``, else the
    newest one of its work dir (as ``Runner.load_or_resume`` picks it)."""
    return runner_load_from(runner) or \
        find_latest_checkpoint(runner.work_dir) or 'the checkpoint'


def resume_mismatch(model, state_dict):
    """What resuming ``model`` from ``state_dict`` would not restore.

    Returns ``(summary, networks, unexpected)``: the summary of
    :func:`~toolbox.weights.describe_mismatch` (missing,
    mis-shaped and unexpected keys) when some tensor of the model is
    missing or mis-shaped in the file, else ``None``; the networks (the
    model's top-level modules) those tensors belong to; and the file's keys
    the model does not have. Names are the unwrapped model's.
    """
    state, _ = adapt_state_dict(model, strip_wrapper_keys(state_dict))
    own = {k: v for k, v in unwrapped_state_dict(model).items()
           if k.rsplit('.', 1)[-1] not in _NOT_REQUIRED}
    unrestored = [k for k in own if k not in state or tuple(
        state[k].shape) != tuple(own[k].shape)]
    unexpected = [k for k in state if k not in own and
                  k.rsplit('.', 1)[-1] not in _NOT_REQUIRED]
    summary = describe_mismatch(own, state) if unrestored else None
    networks = sorted({k.split('.', 1)[0] for k in unrestored})
    return summary, networks, unexpected


@HOOKS.register_module()
class ResumeWeightsHook(Hook):
    """Refuse a resume that would leave any network's weights at their
    initial values (module docstring)."""

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Check the file before MMEngine loads its weights."""
        if not runner_resumes(runner):
            return  # load_from: a partial initialisation on purpose
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        state = checkpoint.get('state_dict', checkpoint)
        problem, networks, unexpected = resume_mismatch(model, state)
        filename = resumed_file(runner)
        if problem:
            raise CheckpointMismatchError(
                f'--resume: {filename} does not fit {type(model).__name__}: '
                f'{problem}; resuming would restore the iteration count and '
                'optimisers but leave '
                f'{", ".join(networks)} at random initial weights. Resume '
                'from a checkpoint this config wrote (tools/test.py CONFIG '
                'CKPT tells whether one fits), or start a new run from '
                'weights with --cfg-options load_from=CKPT, without '
                '--resume.')
        self._check_optimizers(runner, checkpoint, filename)
        if unexpected:
            runner.logger.warning(
                f'--resume: {filename} holds {len(unexpected)} keys this '
                f'model does not have (e.g. {", ".join(unexpected[:3])}); '
                'every network of the model was restored, these are '
                'ignored.')

    @staticmethod
    def _check_optimizers(runner, checkpoint: dict, filename: str) -> None:
        saved = checkpoint.get('optimizer')
        built = runner.optim_wrapper
        # A dict: the Runner has not built the optimisers (no training).
        if saved is None or isinstance(built, dict):
            return
        problem = optimizer_mismatch(built, saved)
        if problem:
            raise CheckpointMismatchError(
                f'--resume: the optimiser state in {filename} does not fit '
                f"this config's optimisers: {problem}. The checkpoint was "
                'written under another optim_wrapper (another config, '
                'paramwise_cfg or optimiser type). Resume with the config '
                'that wrote it, or start a new run from its weights with '
                '--cfg-options load_from=CKPT, without --resume.')


def ensure_resume_weights_hook(cfg) -> None:
    """Add :class:`ResumeWeightsHook` to ``cfg.custom_hooks`` once."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == 'ResumeWeightsHook' for h in hooks):
        hooks.append(dict(type='ResumeWeightsHook'))
    cfg.custom_hooks = hooks


__all__ = ['ResumeWeightsHook', 'ensure_resume_weights_hook',
           'resume_mismatch', 'resumed_file']
