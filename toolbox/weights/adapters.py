"""Foreign state-dict layouts, converted to a model's own keys.

A model class accepts another toolbox's layout (MMagic's CycleGAN, a
BasicSR network file) by registering a :class:`StateDictAdapter` subclass
in :data:`~toolbox.registry.STATE_DICT_ADAPTERS`, in the model's own file::

    @STATE_DICT_ADAPTERS.register_module()
    class MMagicCycleGANLayout(StateDictAdapter):
        applies_to = CycleGAN
        layout = 'MMagic CycleGAN'

        @staticmethod
        def detect(state): ...

        @staticmethod
        def convert(state): ...   # -> (state dict, what was done)

:func:`adapt_state_dict` finds the adapter of a model (its class or a base)
that recognises a state dict and converts it. The loading pipeline
(:func:`toolbox.weights.loading.load_model_weights` and
:func:`~toolbox.weights.loading.load_state_dict_strictly`) converts once
per load and then loads with :func:`adapted` in force; a plain
``model.load_state_dict`` (MMEngine's ``load_from``, a user's script)
converts in :meth:`RestorationModel._load_from_state_dict
<toolbox.models.algorithms.base.RestorationModel._load_from_state_dict>`
(:func:`adapt_state_dict_in_place`). Generic loading code knows no format.
"""
import contextvars
from collections import OrderedDict
from contextlib import contextmanager
from typing import List, Mapping, MutableMapping, Optional, Tuple

import torch

from toolbox.registry import STATE_DICT_ADAPTERS
from toolbox.weights.keys import BASICSR_PARAM_KEYS

Converted = Tuple['OrderedDict[str, torch.Tensor]', str]


class StateDictAdapter:
    """A foreign state-dict layout that models of class ``applies_to``
    (subclasses included) accept.

    Subclasses set ``applies_to`` and ``layout`` (the layout's name, for
    messages) and define ``detect(state) -> bool`` (keys as the model would
    see them, without the model's own prefix) and ``convert(state) ->
    (state dict in the model's keys, a sentence saying what was done)``,
    as static methods.
    """
    applies_to: Optional[type] = None
    layout: str = ''

    def __init_subclass__(cls, **kwargs):
        # A subclass without a model class would apply to no model, or
        # (with ``object``) to every one: refuse it where it is written.
        super().__init_subclass__(**kwargs)
        missing = [name for name in ('detect', 'convert')
                   if getattr(cls, name) is getattr(StateDictAdapter, name)]
        if not isinstance(cls.applies_to, type) or not cls.layout or \
                missing:
            raise TypeError(
                f'{cls.__name__}: a StateDictAdapter sets applies_to (the '
                'model class it converts files for) and layout (its name), '
                'and defines detect and convert'
                + (f'; missing: {", ".join(missing)}' if missing else ''))

    @staticmethod
    def detect(state: Mapping) -> bool:
        """Whether ``state`` is in this layout (subclasses define it)."""
        raise NotImplementedError

    @staticmethod
    def convert(state: Mapping) -> Converted:
        """``state`` in the model's keys, and what was done (subclasses
        define it)."""
        raise NotImplementedError


def adapters_for(model) -> List[type]:
    """The registered adapters of ``model``'s class and its bases, in the
    order they were registered."""
    return [adapter for adapter in STATE_DICT_ADAPTERS.module_dict.values()
            if isinstance(model, adapter.applies_to)]


def adapt_state_dict(model, state_dict: Mapping
                     ) -> Tuple[Mapping, Optional[str]]:
    """``(state_dict in model's keys, what was done)``; unchanged with
    ``None`` when no adapter of ``model`` recognises it."""
    for adapter in adapters_for(model):
        if adapter.detect(state_dict):
            return adapter.convert(state_dict)
    return state_dict, None


_ADAPTED = contextvars.ContextVar('toolbox_state_dict_adapted',
                                  default=False)


@contextmanager
def adapted():
    """Within: state dicts being loaded are already in the models' own keys
    (the pipeline converted them), so :func:`adapt_state_dict_in_place`
    leaves them alone: one conversion per load."""
    token = _ADAPTED.set(True)
    try:
        yield
    finally:
        _ADAPTED.reset(token)


def adapt_state_dict_in_place(model, state_dict: MutableMapping,
                              prefix: str = '') -> Optional[str]:
    """:func:`adapt_state_dict` on the keys under ``prefix`` (where
    ``model`` sits in the module tree being loaded), replacing them in
    ``state_dict``; for ``_load_from_state_dict``. Logs and returns what
    was done (``None``: nothing, or :func:`adapted` in force)."""
    if _ADAPTED.get():
        return None
    own = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                      if k.startswith(prefix))
    if not own or not adapters_for(model):
        return None
    converted, note = adapt_state_dict(model, own)
    if note is None:
        return None
    for key in [k for k in state_dict if k.startswith(prefix)]:
        del state_dict[key]
    for key, value in converted.items():
        state_dict[prefix + key] = value
    from mmengine.logging import print_log
    print_log(note, logger='current')
    return note


def is_basicsr_network_file(state: Mapping) -> bool:
    """Whether ``state`` is a BasicSR network file (``net_g_*.pth``:
    ``{'params': sd, 'params_ema': sd}``)."""
    return any(isinstance(state.get(k), Mapping) for k in BASICSR_PARAM_KEYS)


def unwrap_basicsr_network_file(state: Mapping) -> Converted:
    """The ``params`` of a BasicSR network file (BasicSR's default
    ``param_key_g``), or ``params_ema`` when it is the only one."""
    for key in BASICSR_PARAM_KEYS:
        if isinstance(state.get(key), Mapping):
            return OrderedDict(state[key]), (
                f"Loading the '{key}' weights of a BasicSR network file")
    raise ValueError('not a BasicSR network file (no params/params_ema)')


__all__ = [
    'StateDictAdapter', 'adapters_for', 'adapt_state_dict', 'adapted',
    'adapt_state_dict_in_place', 'is_basicsr_network_file',
    'unwrap_basicsr_network_file'
]
