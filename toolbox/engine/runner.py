"""The Runner of the toolbox's training and test runs.

:class:`ToolboxRunner` is MMEngine's :class:`~mmengine.runner.Runner` with
one change: the checkpoint it reads for ``load_from`` and ``--resume`` goes
into the model through the weights pipeline
(:func:`toolbox.weights.load_checkpoint_weights`), like every other load,
instead of MMEngine's non-strict ``load_state_dict``, which logs each
missing or mis-shaped tensor and trains on from random weights:

* ``load_from`` (fine-tuning, a new run from weights) is a *partial*
  initialisation: keys the file lacks or the model lacks are allowed (one
  warning says how many), a network-only file (an official release, a
  BasicSR ``params`` file) goes into the model's inference network, and a
  tensor in another shape (a file of another width or variant) or a file
  that shares no key with the model is refused with one short message;
* ``--resume`` is checked first by
  :class:`~toolbox.engine.resume_weights.ResumeWeightsHook` (every network
  restored, optimisers of the same kind), then loaded the same way.

Its config formats its text once per content
(:class:`~toolbox.engine.config_text.TextOnceConfig`), not at each of the
five or more reads of a run.

Everything else (the hooks' ``after_load_checkpoint``, the iteration
count, optimisers and schedules a resume restores) is MMEngine's.
"""
from typing import Callable, Union

from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from toolbox.engine.checkpoint import install_safe_checkpoint_loader
from toolbox.engine.config_text import TextOnceConfig
from toolbox.mmengine_private import mark_runner_loaded, runner_resumes
from toolbox.weights import load_checkpoint_weights


class ToolboxRunner(Runner):
    """MMEngine's Runner, loading ``load_from``/``resume`` through
    :mod:`toolbox.weights` (module docstring). Building one installs the
    safe checkpoint loader and atomic writes
    (:func:`~toolbox.engine.checkpoint.install_safe_checkpoint_loader`)."""

    def __init__(self, *args, **kwargs):
        install_safe_checkpoint_loader()
        cfg = kwargs.get('cfg')
        if isinstance(cfg, Config):
            kwargs['cfg'] = TextOnceConfig.of(cfg)
        elif isinstance(cfg, dict):
            kwargs['cfg'] = TextOnceConfig(cfg)
        super().__init__(*args, **kwargs)

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module\.', '')]):
        """Read ``filename``, let the hooks see it, load its weights
        through the pipeline; return the checkpoint (``Runner.resume``
        takes the iteration count, optimisers and schedules from it).

        ``strict=True`` demands every key of the model and no other;
        otherwise ``load_from`` is a partial initialisation and a resume
        loads what :class:`~toolbox.engine.resume_weights.ResumeWeightsHook`
        checked (module docstring).
        """
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        resuming = runner_resumes(self)
        load_checkpoint_weights(
            self.model, checkpoint, str(filename), prefix=None,
            revise_keys=revise_keys,
            # A resume restores the whole model; its extra keys were
            # reported by ResumeWeightsHook.
            inference_network=not resuming, allow_extra_keys=resuming,
            strict=strict, partial=not strict,
            what='--resume' if resuming else 'load_from',
            logger=self.logger)
        mark_runner_loaded(self)
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


__all__ = ['ToolboxRunner']
