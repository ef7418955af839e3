"""One optimiser wrapper per named part of a model (GANs, heads).

MMEngine's Runner trains with several optimisers when ``optim_wrapper``
builds an :class:`~mmengine.optim.OptimWrapperDict`; it leaves building that
dict to a constructor, and ships none that does it from a config.
:class:`MultiOptimWrapperConstructor` does::

    optim_wrapper = dict(
        constructor='MultiOptimWrapperConstructor',
        generators=dict(
            modules=('generator_a2b', 'generator_b2a'),
            optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
        discriminators=dict(
            modules=('discriminator_a', 'discriminator_b'),
            optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999)),
            clip_grad=dict(max_norm=10)))

Each entry is an ordinary single-wrapper config (``type``, ``optimizer``,
``clip_grad``, ``accumulative_counts``, ``paramwise_cfg``, ``dtype`` ...),
built by MMEngine's :class:`~mmengine.optim.DefaultOptimWrapperConstructor`
over the sub-modules it names (``modules``: attribute names of the model;
default: the entry's own name). Parameter schedulers follow the Runner's
rules: one list for every wrapper, or ``param_scheduler=dict(<name>=[...])``
per wrapper. ``--amp`` switches every entry to mixed precision, each with its
own loss scaler.
"""
from typing import Dict, Optional, Sequence, Union

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch import nn

from toolbox.registry import OPTIM_WRAPPER_CONSTRUCTORS


def named_submodule(model: nn.Module, path: str) -> nn.Module:
    """``model.<path>`` (dotted), with an error listing what exists."""
    module = model
    for part in path.split('.'):
        if not hasattr(module, part) or not isinstance(
                getattr(module, part), nn.Module):
            children = sorted(name for name, _ in model.named_children())
            raise KeyError(
                f'optim_wrapper names the sub-module {path!r}, which '
                f'{type(model).__name__} does not have; its sub-modules '
                f'are: {children}')
        module = getattr(module, part)
    return module


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an :class:`OptimWrapperDict` with one wrapper per config entry.

    Args:
        optim_wrapper_cfg: ``{wrapper name: wrapper config}``; a wrapper
            config may carry ``modules`` (a name or a sequence of names of
            the model's sub-modules) and ``paramwise_cfg``.
        paramwise_cfg: not used at this level (give it per entry); accepted
            because MMEngine's builder always passes it.
    """

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None):
        if paramwise_cfg:
            raise ValueError(
                'MultiOptimWrapperConstructor takes paramwise_cfg per '
                'wrapper (optim_wrapper.<name>.paramwise_cfg), not at the '
                'top level.')
        if not optim_wrapper_cfg:
            raise ValueError('optim_wrapper names no wrapper to build.')
        self.optim_wrapper_cfg = {}
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise TypeError(
                    f'optim_wrapper.{name} must be a wrapper config with an '
                    f"'optimizer' (got {cfg!r}).")
            self.optim_wrapper_cfg[name] = dict(cfg)

    @staticmethod
    def _modules(name: str, names: Union[str, Sequence[str], None]):
        if names is None:
            return (name, )
        return (names, ) if isinstance(names, str) else tuple(names)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        wrappers: Dict = {}
        owner_of: Dict[int, str] = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            cfg = dict(cfg)
            names = self._modules(name, cfg.pop('modules', None))
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            # A container only groups the parts for the default
            # constructor; the parameters are the model's own.
            parts = nn.ModuleDict({
                path.replace('.', '_'): named_submodule(model, path)
                for path in names
            })
            for param in parts.parameters():
                if id(param) in owner_of:
                    raise ValueError(
                        f'optim_wrapper.{name} and '
                        f'optim_wrapper.{owner_of[id(param)]} would both '
                        'update the same parameters; give each sub-module '
                        'to one wrapper only.')
                owner_of[id(param)] = name
            constructor = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)
            wrappers[name] = constructor(parts)
        return OptimWrapperDict(**wrappers)
