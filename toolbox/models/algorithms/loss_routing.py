"""Losses applied to a model's named outputs.

A model computes a dict of named tensors (``pred``, ``stages``,
``target``, ``rec_a``, ``real_a``, an auxiliary branch's output ...) and
every loss of its config says which of them it takes::

    losses=[
        dict(type='CharbonnierLoss', loss_weight=1.0,
             inputs=('stages', 'target')),          # every stage vs target
        dict(type='L1Loss', loss_weight=0.5, loss_name='aux',
             inputs=('aux', 'target')),             # an auxiliary output
        dict(type='L1Loss', loss_weight=10.0, loss_name='cycle',
             inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),  # summed
    ]

``inputs`` is a tuple of names, passed positionally, or a list of such
tuples whose results are summed. A name whose value is a list of tensors
(``stages``) applies the loss to each element, the other arguments
repeated, and sums, unless the loss class sets ``takes_sequences = True``
(e.g. :class:`~toolbox.models.losses.SVDOLoss`, which averages over FDR-Net's
phases): such a loss receives the list whole and reduces it itself.
Without ``inputs`` a loss takes the model's default route. So a network
with several outputs needs no special case in generic code: the config
routes each loss.
"""
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from toolbox.registry import MODELS

Route = Tuple[str, ...]
Value = Union[torch.Tensor, Sequence[torch.Tensor]]


def loss_log_name(type_name: str) -> str:
    """``CharbonnierLoss`` → ``loss_charbonnier`` (the logged key)."""
    name = re.sub(r'Loss$', '', type_name)
    return 'loss_' + re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()


def _parse_routes(inputs, key: str) -> Optional[List[Route]]:
    if inputs is None:
        return None
    if isinstance(inputs, str):
        inputs = (inputs, )
    if isinstance(inputs, (tuple, list)) and all(
            isinstance(name, str) for name in inputs):
        return [tuple(inputs)]
    if isinstance(inputs, list) and all(
            isinstance(route, (tuple, list)) and route and all(
                isinstance(name, str) for name in route)
            for route in inputs):
        return [tuple(route) for route in inputs]
    raise TypeError(
        f'{key}: `inputs` must be a tuple of output names or a list of such '
        f'tuples, got {inputs!r}')


class RoutedLosses(nn.ModuleDict):
    """Registered losses keyed by their logged name, each with a route.

    Args:
        loss_cfgs: loss configs, each with ``type`` and optionally
            ``loss_name`` (logged as ``loss_<loss_name>``; default from the
            class name, ``CharbonnierLoss`` → ``loss_charbonnier``) and
            ``inputs`` (see the module docstring).
        default_inputs: the route of losses without ``inputs``.
    """

    def __init__(self, loss_cfgs: Optional[Sequence[dict]] = None,
                 default_inputs: Sequence[str] = ('pred', 'target')):
        super().__init__()
        self.routes: Dict[str, Optional[List[Route]]] = {}
        self.default_routes = [tuple(default_inputs)]
        for cfg in loss_cfgs or []:
            cfg = dict(cfg)
            if 'type' not in cfg:
                raise KeyError(f'Each entry of `losses` needs a `type`: {cfg}')
            loss_type = cfg['type']
            type_name = loss_type if isinstance(loss_type, str) else \
                loss_type.__name__
            name = cfg.pop('loss_name', None)
            key = loss_log_name(type_name) if name is None else (
                name if name.startswith('loss_') else f'loss_{name}')
            if key in self:
                raise ValueError(
                    f'Two losses would both be logged as {key!r}; give one a '
                    'distinct `loss_name`.')
            self.routes[key] = _parse_routes(cfg.pop('inputs', None), key)
            if self.routes[key] is None and not default_inputs:
                raise KeyError(
                    f'{key} needs `inputs`: this model has no default '
                    'route, so each loss names the outputs it takes.')
            self[key] = MODELS.build(cfg)

    def route_of(self, key: str) -> List[Route]:
        """The routes of loss ``key`` (its own or the default)."""
        return self.routes.get(key) or self.default_routes

    def forward(self, outputs: Mapping[str, Value],
                **kwargs) -> Dict[str, torch.Tensor]:
        """Every loss on the outputs it names; ``{log name: value}``."""
        results = {}
        for key, loss in self.items():
            total = 0
            for route in self.route_of(key):
                total = total + apply_route(loss, outputs, route, key,
                                            **kwargs)
            results[key] = total
        return results


def apply_route(loss: nn.Module, outputs: Mapping[str, Value],
                route: Route, key: str = 'loss', **kwargs) -> torch.Tensor:
    """``loss(*[outputs[name] for name in route])``; lists are summed over
    unless ``loss.takes_sequences`` (then they are passed whole)."""
    missing = [name for name in route if name not in outputs]
    if missing:
        raise KeyError(
            f'{key} takes {missing} from the model outputs, which hold '
            f'{sorted(outputs)}; fix its `inputs` in the config.')
    args = [outputs[name] for name in route]
    lengths = {len(a) for a in args if isinstance(a, (list, tuple))}
    if not lengths or getattr(loss, 'takes_sequences', False):
        return loss(*args, **kwargs)
    if len(lengths) > 1:
        raise ValueError(f'{key}: list outputs of different lengths in '
                         f'{route}: {sorted(lengths)}')
    total = 0
    for i in range(lengths.pop()):
        total = total + loss(*[a[i] if isinstance(a, (list, tuple)) else a
                               for a in args], **kwargs)
    return total
