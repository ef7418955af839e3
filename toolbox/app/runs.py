"""Train and test a loaded config with the toolbox's Runner
(:class:`~toolbox.engine.runner.ToolboxRunner`: MMEngine's, loading
``load_from`` and ``--resume`` through :mod:`toolbox.weights`): the code
path of ``tools/train.py`` and ``tools/test.py``, shared with
``tools/demo.py``.

The tools parse their arguments and prepare the config
(:func:`~toolbox.app.runner_setup.load_config`, ``--resume``, ``--amp``);
everything from the input check on is here, so every entry point trains
and tests the same way.
"""
import contextlib
import os
from typing import Dict, Iterator, Optional, Sequence

from mmengine.config import Config
from mmengine.hooks import Hook

from toolbox.app.input_check import (drop_initial_weights,
                                     exit_if_inputs_missing)
from toolbox.app.runner_setup import compile_networks, take_compile_options
from toolbox.engine.distributed import finish_distributed
from toolbox.engine.resume_weights import ensure_resume_weights_hook
from toolbox.engine.runner import ToolboxRunner
from toolbox.engine.work_dir_lock import work_dir_lock
from toolbox.fileio import OutputWriteError, check_output_folder
from toolbox.weights import load_model_weights


@contextlib.contextmanager
def run_scope() -> Iterator[None]:
    """Forget the logger, visualizer, message hub and default scope a run
    creates once it ends, however it ends.

    MMEngine keeps them by experiment name (``<config>_<timestamp>``, one
    per second) for the life of the process. A second run of the same
    config within that second (the demo's steps, a notebook, the tests)
    would otherwise be handed the first run's logger, still writing to the
    first run's log file and streams.
    """
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.visualization import Visualizer
    managed = (MMLogger, Visualizer, MessageHub, DefaultScope)
    before = {cls: set(cls._instance_dict) for cls in managed}
    try:
        yield
    finally:
        for cls in managed:
            for name in set(cls._instance_dict) - before[cls]:
                if name == 'mmengine':  # MMEngine's own root instances
                    continue
                instance = cls._instance_dict.pop(name)
                if isinstance(instance, MMLogger):
                    for handler in list(instance.handlers):
                        handler.close()
                        instance.removeHandler(handler)


def _checkpoint_write_failed(error: OutputWriteError,
                             work_dir: str) -> OutputWriteError:
    """``error`` (a save into ``work_dir`` the disk refused) with the way
    on: ``--work-dir`` to choose another place, and the last checkpoint
    that was saved whole (an atomic save leaves it as it was)."""
    from mmengine.runner import find_latest_checkpoint
    root = os.path.realpath(work_dir)
    if not os.path.realpath(error.filename).startswith(root + os.sep):
        return error  # not a save into the work dir
    last = find_latest_checkpoint(work_dir)
    if last and os.path.isfile(last):
        note = (f'the last complete checkpoint, {last}, is intact: --resume '
                'continues from it')
    elif last:
        # MMEngine's CheckpointHook removes the oldest of max_keep_ckpts
        # before it saves the next: with 1, nothing is left.
        note = (f'the checkpoint before it, {last}, was removed before this '
                'save (default_hooks.checkpoint.max_keep_ckpts=1 keeps no '
                'other); keep 2 or more to always have one')
    else:
        note = 'no checkpoint was saved before it'
    return error.with_context('--work-dir', note)


def train_from_config(cfg: Config, tool: str = 'tools/train.py',
                      hooks: Sequence[Hook] = ()) -> None:
    """Check the config's inputs, build the Runner (networks compiled in
    place when ``cfg.compile`` asks) and train.

    ``load_from`` is a partial initialisation through the weights pipeline
    (:class:`~toolbox.engine.runner.ToolboxRunner`): missing or extra keys
    are allowed with one warning, a network-only file goes into the
    inference network, a file of another width is refused.

    Every missing input (data, teacher checkpoints, ``load_from``) is
    listed on stderr and the process exits with status 2, naming ``tool``
    (:func:`~toolbox.app.input_check.exit_if_inputs_missing`). A run that
    resumes gets :class:`~toolbox.engine.resume_weights.ResumeWeightsHook`:
    a checkpoint that would leave a network at random weights stops it; the
    files that only initialise weights it restores are neither required
    nor read (:func:`~toolbox.app.input_check.drop_initial_weights`).
    ``hooks`` are registered on the Runner besides the config's own. The
    run holds the work dir's lock (:func:`~toolbox.engine.work_dir_lock.
    work_dir_lock`): a second training into the same work dir at the same
    time raises :class:`~toolbox.locking.LockHeldError`. A work dir that
    cannot be written (a file in the way, a read-only disk) is refused
    before anything runs, and a checkpoint save the disk refuses (full,
    quota) stops the run with :class:`~toolbox.fileio.OutputWriteError`
    naming the file and the last complete checkpoint.
    """
    exit_if_inputs_missing(cfg, tool, stage='train')
    check_output_folder(cfg.work_dir, '--work-dir')
    if cfg.get('resume'):
        ensure_resume_weights_hook(cfg)
        drop_initial_weights(cfg)
    compile_options = take_compile_options(cfg)
    # Held from before the Runner writes anything into the work dir until
    # its last checkpoint is saved.
    try:
        with work_dir_lock(cfg), run_scope():
            runner = ToolboxRunner.from_cfg(cfg)
            compile_networks(runner.model, compile_options, runner.logger)
            for hook in hooks:
                runner.register_hook(hook)
            runner.train()
            del runner  # frees the DDP wrapper before the process group
    except OutputWriteError as error:
        raise _checkpoint_write_failed(error, cfg.work_dir) from error
    finish_distributed()


def evaluate_checkpoint(cfg: Config, checkpoint: str,
                        tool: str = 'tools/test.py', strict: bool = True,
                        hooks: Sequence[Hook] = ()) -> Optional[Dict]:
    """Evaluate ``checkpoint`` on the config's test sets.

    The weights are loaded strictly (``strict=False``: what fits, with a
    warning), not through MMEngine's non-strict ``load_from``: a checkpoint
    of another model would otherwise be scored with random weights.

    Returns:
        The metrics (``'<test set>/<METRIC>'`` keys when the config has
        several test sets) on rank 0, ``None`` on the other ranks.
    """
    from mmengine.model import is_model_wrapper

    exit_if_inputs_missing(cfg, tool, stage='test', checkpoint=checkpoint)
    cfg.load_from = None
    cfg.resume = False
    compile_options = take_compile_options(cfg)
    with run_scope():
        runner = ToolboxRunner.from_cfg(cfg)
        for hook in hooks:
            runner.register_hook(hook)
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        load_model_weights(model, checkpoint, strict=strict,
                           logger=runner.logger)
        compile_networks(model, compile_options, runner.logger)
        metrics = runner.test()
        rank = runner.rank
        del runner, model  # frees the DDP wrapper before the process group
    finish_distributed()
    return metrics if rank == 0 else None


__all__ = ['train_from_config', 'evaluate_checkpoint', 'run_scope']
