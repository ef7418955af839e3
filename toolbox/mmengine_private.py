"""Every use of MMEngine's private state, in one place.

MMEngine has no public API for these; each was checked against MMEngine
:data:`CHECKED_AGAINST`, and ``tests/test_mmengine_private.py`` fails,
naming the attribute, when an MMEngine release moves one. The accessors
read and write the attributes directly (no ``getattr`` default), so that a
moved attribute is an ``AttributeError`` at its first use, not a silent
fallback.

What each is for:

* optimiser wrappers: ``_accumulative_counts`` (gradient accumulation, which
  the GAN generator turns count as MMagic does), ``_inner_count`` (a
  phase's extra wrappers counted with its lead), ``_clip_grad`` and
  ``_scale_update_param`` (one loss scaler for several optimisers);
* the file-backend cache (``mmengine.fileio.io.backend_instances``);
* ``Runner._load_from`` and ``Runner._resume`` (the file a resume reads)
  and ``Runner._has_loaded`` (what ``Runner.load_checkpoint`` sets, so
  that ``load_or_resume`` does not load a second time);
* parameter schedulers' ``_global_step`` (a resumed schedule's position);
* ``Config._cfg_dict`` (walking a config's nested keys).
"""
from mmengine.fileio import io as mmengine_io

#: The MMEngine release these accessors were checked against.
CHECKED_AGAINST = '0.10.7'


def accumulative_counts(wrapper) -> int:
    """The iterations an optimiser wrapper accumulates gradients over."""
    return int(wrapper._accumulative_counts)


def count_backward(wrapper) -> None:
    """Count one backward pass in ``wrapper`` that another wrapper ran (a
    phase that steps several wrappers on one loss)."""
    wrapper._inner_count += 1


def clip_gradients(wrapper) -> None:
    """``wrapper``'s gradient clipping (its ``clip_grad`` option)."""
    wrapper._clip_grad()


def scale_update_param(wrapper):
    """The argument of ``GradScaler.update`` an AMP wrapper passes."""
    return wrapper._scale_update_param


def set_scale_update_param(wrapper, value) -> None:
    """Set it (a CPU AMP wrapper has no scaler, hence ``None``)."""
    wrapper._scale_update_param = value


def clear_file_backend_cache() -> None:
    """Forget MMEngine's cached file backends (made before a new backend
    was registered for the same prefix)."""
    mmengine_io.backend_instances.clear()


def runner_load_from(runner):
    """The checkpoint a Runner was told to load or resume from."""
    return runner._load_from


def runner_resumes(runner) -> bool:
    """Whether a Runner resumes (``resume=True``)."""
    return bool(runner._resume)


def mark_runner_loaded(runner) -> None:
    """Record that a Runner has loaded its checkpoint (as MMEngine's
    ``Runner.load_checkpoint`` does)."""
    runner._has_loaded = True


def scheduler_global_step(scheduler) -> int:
    """A parameter scheduler's count of steps taken."""
    return int(scheduler._global_step)


def config_dict(cfg):
    """The plain ``ConfigDict`` a ``Config`` wraps."""
    return cfg._cfg_dict


__all__ = [
    'CHECKED_AGAINST', 'accumulative_counts', 'count_backward',
    'clip_gradients', 'scale_update_param', 'set_scale_update_param',
    'clear_file_backend_cache',
    'runner_load_from', 'runner_resumes', 'mark_runner_loaded',
    'scheduler_global_step',
    'config_dict'
]
