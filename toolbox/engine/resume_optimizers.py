"""Whether a checkpoint's optimiser state fits the config's optimisers.

``Runner.resume`` hands the file's ``optimizer`` entry to the built
optimisers after the weights: a file written under another
``optim_wrapper`` (other ``paramwise_cfg`` groups, another optimiser type,
other wrapper names of a GAN) fails there with PyTorch's "loaded state dict
has a different number of parameter groups", MMEngine's bare assertion
"cannot found heads in OptimWrapperDict", or, for another optimiser type,
a ``KeyError`` at the first step. :func:`optimizer_mismatch` compares the
two structures when the file is read, so that
:class:`~toolbox.engine.resume_weights.ResumeWeightsHook` can stop with one
message before anything is loaded or trained.
"""
from typing import List, Optional

from mmengine.optim import OptimWrapperDict

#: Keys of a saved optimiser group that are not hyper-parameters.
_NOT_HYPER_PARAMETERS = ('params', 'initial_lr')


def _groups(count: int) -> str:
    return f'{count} parameter group' + ('' if count == 1 else 's')


def _group_problems(name: str, optimizer, saved: dict) -> List[str]:
    """What keeps one optimiser from loading ``saved`` (its state dict)."""
    where = f'{name}: ' if name else ''
    groups, saved_groups = optimizer.param_groups, saved.get(
        'param_groups', [])
    if len(groups) != len(saved_groups):
        return [f'{where}{_groups(len(saved_groups))} in the file, '
                f'{len(groups)} in the config']
    problems = []
    for index, (group, old) in enumerate(zip(groups, saved_groups)):
        if len(group['params']) != len(old['params']):
            problems.append(
                f'{where}parameter group {index} holds '
                f'{len(old["params"])} tensors in the file, '
                f'{len(group["params"])} in the config')
        ours = set(group) - set(_NOT_HYPER_PARAMETERS)
        theirs = set(old) - set(_NOT_HYPER_PARAMETERS)
        # Adam has `betas`, SGD `momentum`: another optimiser type has
        # settings of its own on both sides. Settings on one side only are
        # another PyTorch release (Adam gained `decoupled_weight_decay`),
        # which PyTorch's loader fills in with defaults.
        if ours - theirs and theirs - ours:
            sides = [f'{side}: {sorted(keys)}' for side, keys in (
                ('settings only in the config', ours - theirs),
                ('only in the file', theirs - ours)) if keys]
            problems.append(
                f'{where}another optimiser type ({type(optimizer).__name__} '
                f'in the config; {"; ".join(sides)})')
    return problems


def optimizer_mismatch(optim_wrapper, saved: dict) -> Optional[str]:
    """Why ``saved`` (a checkpoint's ``optimizer`` entry) cannot be loaded
    into ``optim_wrapper`` (an ``OptimWrapper`` or ``OptimWrapperDict``),
    or ``None`` when it can.

    Compared: the wrapper names of an ``OptimWrapperDict`` (every name on
    both sides), each optimiser's number of parameter groups, the number
    of tensors per group and the groups' settings (which tell the optimiser
    type). Shapes are not compared here: the weights check does that.
    """
    if isinstance(optim_wrapper, OptimWrapperDict):
        ours, theirs = set(optim_wrapper.keys()), set(saved)
        problems = []
        if ours != theirs:
            problems.append(
                f'optimisers {sorted(theirs)} in the file, {sorted(ours)} in '
                'the config')
        for name in sorted(ours & theirs):
            problems += _group_problems(name, optim_wrapper[name].optimizer,
                                        saved[name])
    else:
        problems = _group_problems('', optim_wrapper.optimizer, saved)
    return '; '.join(problems) or None


__all__ = ['optimizer_mismatch']
