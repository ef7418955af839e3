"""Resume exactly: random states and image pools in every checkpoint.

MMEngine's checkpoint holds the weights, every optimiser, every scheduler,
the iteration and the message hub; ``--resume`` restores those and re-seeds
the generators from ``randomness.seed``. What a run draws at random after
the resume then starts afresh: DCD-GAN's patch positions, the image pools'
swaps, and the pools themselves (empty again), so a resumed run drifts from
the straight one (issue 28: 96 of DCD-GAN's 130 tensors differed after one
iteration). :class:`ExactResumeHook`, one of the default hooks
(``configs/_base_/default_runtime.py``, ``default_hooks.exact_resume``):

- saves, in every checkpoint, each rank's generator states
  (:mod:`toolbox.engine.random_states`: Python, NumPy, PyTorch CPU and
  CUDA) and each rank's *resumable objects*: the attributes of the model's
  modules that keep training state outside parameters and buffers and say
  so with ``resume_state_dict()`` / ``load_resume_state_dict(state)``
  (:class:`~toolbox.models.utils.ImagePool`), under
  ``checkpoint['resume_state']``;
- on ``--resume``, puts the objects back at once and the generator states
  back where the straight run stood: after MMEngine's
  ``IterBasedTrainLoop`` has replayed the data of the iterations already
  trained (it skips them by loading them again, which draws from the
  generators with ``num_workers=0``), just before the first new batch is
  loaded;
- keeps validation off the training's random streams: the states are
  taken before every validation and put back after it (a validation
  creates DataLoader iterators, which draw from PyTorch's generator), so
  the straight run, which validates between a checkpoint and the next
  iteration, draws what the resumed one does (and training no longer
  depends on how often it validates).

Under DDP only rank 0 writes the file (MMEngine's ``save_checkpoint`` and
so ``before_save_checkpoint`` run on rank 0 alone): on every rank, just
before ``CheckpointHook`` (priority ``LOW`` against its ``VERY_LOW``), the
hook gathers all ranks' states whenever that hook is about to save (its
interval, the last iteration or epoch, every validation with
``save_best``), and rank 0 writes them all.

The data order needs nothing of this: the samplers are seeded and the loop
replays them. A checkpoint of another number of processes, or one written
before this hook existed, resumes as before, with a warning.
"""
from typing import Callable, Dict, Optional

from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop

from toolbox.engine.random_states import (capture_random_states,
                                          restore_random_states)
from toolbox.mmengine_private import runner_resumes
from toolbox.registry import HOOKS

#: The checkpoint key of what this hook saves.
CHECKPOINT_KEY = 'resume_state'


def resumable_objects(model) -> Dict[str, object]:
    """``{'<module>.<attribute>': object}`` for every attribute of the
    model's modules that has ``resume_state_dict`` and
    ``load_resume_state_dict`` (CycleGAN: ``pool_a``, ``pool_b``)."""
    if is_model_wrapper(model):
        model = model.module
    found = {}
    for prefix, module in model.named_modules():
        for attribute, value in vars(module).items():
            if callable(getattr(value, 'resume_state_dict', None)) and \
                    callable(getattr(value, 'load_resume_state_dict', None)):
                found[f'{prefix}.{attribute}' if prefix else attribute] = \
                    value
    return found


class _RestoreAfterSkip:
    """Stands in for ``IterBasedTrainLoop.dataloader_iterator`` while the
    loop skips the ``skip`` batches trained before the checkpoint; at the
    next batch it calls ``restore`` and puts the loop's iterator back."""

    def __init__(self, loop, skip: int, restore: Callable[[], None]):
        self._loop, self._skip, self._restore = loop, skip, restore
        self._inner = loop.dataloader_iterator

    def __iter__(self):
        return self

    def __next__(self):
        if self._skip > 0:
            self._skip -= 1
        else:
            self._restore()
            self._loop.dataloader_iterator = self._inner
        return next(self._inner)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _checkpoint_hook(runner) -> Optional[CheckpointHook]:
    return next((hook for hook in runner.hooks
                 if isinstance(hook, CheckpointHook)), None)


def _saves_after_iter(hook: CheckpointHook, runner) -> bool:
    """Whether ``hook.after_train_iter`` saves now (its own test)."""
    return not hook.by_epoch and (
        hook.every_n_train_iters(runner, hook.interval, hook.save_begin)
        or (hook.save_last and hook.is_last_train_iter(runner)))


def _saves_after_epoch(hook: CheckpointHook, runner) -> bool:
    """Whether ``hook.after_train_epoch`` saves now (its own test)."""
    return hook.by_epoch and (
        hook.every_n_epochs(runner, hook.interval, hook.save_begin)
        or (hook.save_last and hook.is_last_train_epoch(runner)))


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Save and restore what MMEngine's resume leaves out (module
    docstring): per-rank random states and resumable objects."""

    # Before CheckpointHook (VERY_LOW): the states are gathered for its save.
    priority = 'LOW'

    def __init__(self):
        self._pending: Optional[dict] = None
        self._before_val: Optional[dict] = None
        self._gathered: Optional[tuple] = None  # (moment, ranks)

    def _local_state(self, runner) -> dict:
        # During validation (a best checkpoint) the training's states are
        # those taken before it.
        return dict(
            random=self._before_val or capture_random_states(),
            objects={name: obj.resume_state_dict() for name, obj in
                     resumable_objects(runner.model).items()})

    def _moment(self, runner) -> tuple:
        return runner.iter, runner.epoch, self._before_val is not None

    def _gather(self, runner) -> None:
        """Every rank's state, gathered on every rank (a collective)."""
        if get_dist_info()[1] > 1:
            self._gathered = (self._moment(runner),
                              all_gather_object(self._local_state(runner)))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        hook = _checkpoint_hook(runner)
        if hook is not None and _saves_after_iter(hook, runner):
            self._gather(runner)

    def after_train_epoch(self, runner) -> None:
        hook = _checkpoint_hook(runner)
        if hook is not None and _saves_after_epoch(hook, runner):
            self._gather(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        hook = _checkpoint_hook(runner)
        if hook is not None and hook.save_best and metrics:
            self._gather(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        world_size = get_dist_info()[1]
        # Kept for further saves at the same moment: a new best checkpoint
        # is followed by the periodic one saved again.
        gathered = self._gathered
        if world_size == 1:
            ranks = [self._local_state(runner)]
        elif gathered is not None and gathered[0] == self._moment(runner):
            ranks = gathered[1]
        else:  # saved by something other than CheckpointHook
            runner.logger.warning(
                'ExactResumeHook: a checkpoint saved outside CheckpointHook '
                "holds rank 0's random states and image pools only; the "
                'other ranks would start theirs afresh on a resume.')
            ranks = [self._local_state(runner)] + [None] * (world_size - 1)
        checkpoint[CHECKPOINT_KEY] = dict(world_size=world_size, ranks=ranks)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # load_from (fine-tuning from weights) starts afresh; only a resume
        # continues the random streams.
        if not runner_resumes(runner):
            return
        saved = checkpoint.get(CHECKPOINT_KEY)
        rank, world_size = get_dist_info()
        if saved is None:
            runner.logger.warning(
                'The checkpoint holds no random states or image pools (a '
                'toolbox older than ExactResumeHook wrote it): the weights, '
                'optimisers and schedulers resume, the random draws start '
                'afresh from the seed.')
            return
        if saved['world_size'] != world_size:
            processes = 'process' if saved['world_size'] == 1 else \
                'processes'
            runner.logger.warning(
                f'The checkpoint holds the random states of '
                f'{saved["world_size"]} {processes}, this run has '
                f'{world_size}: the weights, optimisers and schedulers '
                'resume, the random states and image pools start afresh.')
            return
        state = saved['ranks'][rank]
        if state is None:
            runner.logger.warning(
                f'The checkpoint holds no random states or image pools of '
                f'rank {rank} (saved outside CheckpointHook): they start '
                'afresh on this rank.')
            return
        objects = resumable_objects(runner.model)
        for name, obj_state in state['objects'].items():
            if name in objects:
                objects[name].load_resume_state_dict(obj_state)
        unmatched = sorted(set(objects) ^ set(state['objects']))
        if unmatched:
            runner.logger.warning(
                'Resumable objects of the model and the checkpoint differ '
                f'({", ".join(unmatched)}): those start afresh.')
        self._pending = state['random']

    def before_train(self, runner) -> None:
        if self._pending is None:
            return
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop) and loop.iter > 0:
            loop.dataloader_iterator = _RestoreAfterSkip(
                loop, loop.iter, self._restore_pending)
        else:  # EpochBasedTrainLoop starts a new epoch without a replay.
            self._restore_pending()

    def _restore_pending(self) -> None:
        restore_random_states(self._pending)
        self._pending = None

    def before_val(self, runner) -> None:
        self._before_val = capture_random_states()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_random_states(self._before_val)
            self._before_val = None
