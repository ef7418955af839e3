"""``BaseGAN``: adversarial training with one optimiser wrapper per network.

A GAN algorithm subclasses :class:`BaseGAN` and writes four small methods:

* :meth:`~BaseGAN.prepare_batch`: the named image batches of one step
  (e.g. ``real_a``, ``real_b``) from the preprocessed data;
* :meth:`~BaseGAN.generate`: the generators' outputs, by name;
* :meth:`~BaseGAN.generator_losses` and
  :meth:`~BaseGAN.discriminator_losses`: ``{log name: loss}`` dicts.

:meth:`~BaseGAN.train_step` does the rest, the same way for every GAN: it
takes the Runner's :class:`~mmengine.optim.OptimWrapperDict` (built by
:class:`~toolbox.engine.optim_constructor.MultiOptimWrapperConstructor`),
runs the generator and discriminator phases in the configured order, each
inside its own wrappers' ``optim_context`` (so AMP, gradient accumulation
and clipping are per network), and while one phase updates its networks
the parameters of every other wrapper have ``requires_grad`` off, as the
official CycleGAN code does, so no gradient is computed for them.
"""
from contextlib import ExitStack
from typing import Dict, Mapping, Sequence, Tuple

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

from toolbox.mmengine_private import (accumulative_counts, clip_gradients,
                                      count_backward, scale_update_param)
from toolbox.models.algorithms.base import RestorationModel

PHASES = ('generator', 'discriminator')


def update_wrappers_together(wrappers: Sequence[OptimWrapper],
                             loss: torch.Tensor) -> None:
    """One backward pass of ``loss``, then a step of every wrapper.

    The generator phase of a model with separately optimised heads (DCD-GAN:
    generators and projection heads) trains several wrappers on one loss.
    With one wrapper this is ``update_params``. With several, gradient
    accumulation follows the first wrapper, and when the first wrapper has
    a loss scaler (float16 on GPUs) the phase uses that one scaler for
    every optimiser, as PyTorch's AMP recipe for several optimisers does:
    scale once, unscale and step each optimiser, update the scale once.
    """
    lead, others = wrappers[0], wrappers[1:]
    if not others:
        lead.update_params(loss)
        return
    lead.backward(lead.scale_loss(loss))
    for wrapper in others:
        # backward() counted for the lead only; keep every count in step.
        count_backward(wrapper)
    if not lead.should_update():
        return
    scaler = getattr(lead, 'loss_scaler', None)
    if scaler is None:
        for wrapper in wrappers:
            wrapper.step()
    else:
        for wrapper in wrappers:
            if wrapper.clip_grad_kwargs:
                scaler.unscale_(wrapper.optimizer)
                clip_gradients(wrapper)
            scaler.step(wrapper.optimizer)
        scaler.update(scale_update_param(lead))
    for wrapper in wrappers:
        wrapper.zero_grad()


def detach_outputs(outputs: Mapping) -> dict:
    """Detach every tensor (and list of tensors) of a named-output dict."""

    def detach(value):
        if isinstance(value, torch.Tensor):
            return value.detach()
        if isinstance(value, (list, tuple)):
            return type(value)(detach(v) for v in value)
        return value

    return {name: detach(value) for name, value in outputs.items()}


class BaseGAN(RestorationModel):
    """Generator(s) against discriminator(s), one optimiser wrapper each.

    Args:
        data_preprocessor: see :class:`RestorationModel` (GANs with a tanh
            output work in ``'[-1,1]'``).
        train_cfg: options of the training step:

            * ``discriminator_steps`` (default 1): discriminator updates
              per generator update. The discriminator is updated every
              iteration and the generator every ``discriminator_steps``-th
              (each iteration draws a new batch).
            * ``generator_steps`` (default 1): generator updates, on the
              same batch, each time it is the generator's turn.
            * ``order`` (default ``('generator', 'discriminator')``, the
              official CycleGAN order, which lets the discriminator reuse
              the generator phase's fakes; ``('discriminator',
              'generator')`` updates D first, as MMagic and DCD-GAN do).
            * ``generator_wrappers`` / ``discriminator_wrappers``: the
              ``optim_wrapper`` entries each phase steps (defaults
              ``('generators',)`` and ``('discriminators',)``; DCD-GAN adds
              its projection heads to the generator phase).
        test_cfg: see :class:`RestorationModel`.
        init_cfg: MMEngine weight initialisation config.
    """

    def __init__(self, data_preprocessor=None, train_cfg=None,
                 test_cfg=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor,
                         test_cfg=test_cfg, init_cfg=init_cfg)
        cfg = dict(train_cfg or {})
        self.discriminator_steps = int(cfg.pop('discriminator_steps', 1))
        self.generator_steps = int(cfg.pop('generator_steps', 1))
        self.order = tuple(cfg.pop('order', PHASES))
        self.phase_wrappers = dict(
            generator=tuple(cfg.pop('generator_wrappers', ('generators', ))),
            discriminator=tuple(
                cfg.pop('discriminator_wrappers', ('discriminators', ))))
        if cfg:
            raise KeyError(f'Unknown train_cfg options of '
                           f'{type(self).__name__}: {sorted(cfg)}')
        if sorted(self.order) != sorted(PHASES):
            raise ValueError(f'train_cfg.order must order {PHASES}, got '
                             f'{self.order}')
        if self.discriminator_steps < 1 or self.generator_steps < 1:
            raise ValueError('discriminator_steps and generator_steps must be '
                             '>= 1')
        self.train_cfg = dict(train_cfg or {})
        self._local_iter = 0

    # ------------------------------------------------ what subclasses write
    def prepare_batch(self, inputs: torch.Tensor,
                      data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """The named image batches of one training step."""
        raise NotImplementedError

    def generate(self, batch: Dict[str, torch.Tensor]) -> dict:
        """The generators' outputs on ``batch``, by name."""
        raise NotImplementedError

    def generator_losses(self, batch: dict,
                         outputs: dict) -> Dict[str, torch.Tensor]:
        """Generator-phase losses (gradients reach the generators)."""
        raise NotImplementedError

    def discriminator_losses(self, batch: dict,
                             outputs: dict) -> Dict[str, torch.Tensor]:
        """Discriminator-phase losses; ``outputs`` are detached."""
        raise NotImplementedError

    # ------------------------------------------------------ the train step
    def current_iter(self) -> int:
        """The Runner's iteration (from the message hub), or a local count
        when the model is driven outside a Runner."""
        hub = MessageHub.get_current_instance()
        iteration = hub.get_info('iter')
        return self._local_iter if iteration is None else int(iteration)

    def _wrappers(self, optim_wrapper, phase: str) -> Tuple[OptimWrapper]:
        names = self.phase_wrappers[phase]
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError(
                f'{type(self).__name__} trains with one optimiser wrapper per '
                f'network; set optim_wrapper.constructor='
                f"'MultiOptimWrapperConstructor' with entries {names}.")
        missing = [n for n in names if n not in optim_wrapper]
        if missing:
            raise KeyError(
                f'The {phase} phase steps optim_wrapper entries {missing}, '
                f'which the config does not define (it has '
                f'{sorted(optim_wrapper.keys())}).')
        return tuple(optim_wrapper[n] for n in names)

    def _set_trainable(self, optim_wrapper: OptimWrapperDict,
                       trainable: Sequence[str]) -> None:
        """``requires_grad`` on for the parameters of the wrappers in
        ``trainable``, off for every other wrapper's. Parameters that were
        frozen when training started stay frozen."""
        if not hasattr(self, '_frozen_at_start'):
            self._frozen_at_start = {
                id(p)
                for wrapper in optim_wrapper.values()
                for group in wrapper.optimizer.param_groups
                for p in group['params'] if not p.requires_grad
            }
        for name, wrapper in optim_wrapper.items():
            flag = name in trainable
            for group in wrapper.optimizer.param_groups:
                for param in group['params']:
                    param.requires_grad_(
                        flag and id(param) not in self._frozen_at_start)

    def _run_phase(self, phase: str, batch: dict, cache: dict,
                   optim_wrapper: OptimWrapperDict) -> dict:
        wrappers = self._wrappers(optim_wrapper, phase)
        self._set_trainable(optim_wrapper, self.phase_wrappers[phase])
        with ExitStack() as stack:
            for wrapper in wrappers:
                stack.enter_context(wrapper.optim_context(self))
            if phase == 'generator':
                outputs = self.generate(batch)
                losses = self.generator_losses(batch, outputs)
                cache['outputs'] = detach_outputs(outputs)
            else:
                if 'outputs' not in cache:
                    with torch.no_grad():
                        cache['outputs'] = detach_outputs(
                            self.generate(batch))
                losses = self.discriminator_losses(batch, cache['outputs'])
        loss, log_vars = self.parse_losses(losses)
        update_wrappers_together(wrappers, loss)
        # Each phase's total under its own name; 'loss' is set per step.
        log_vars[f'loss_{phase}'] = log_vars.pop('loss')
        return log_vars

    def train_step(self, data, optim_wrapper: OptimWrapperDict) -> dict:
        """One iteration: the phases in ``train_cfg.order``.

        The generator phase runs only every ``discriminator_steps``-th
        iteration, ``generator_steps`` times; with gradient accumulation
        (``accumulative_counts`` of the discriminators' wrapper ``k_d``, of
        the generators' ``k_g``) every ``discriminator_steps × k_d``-th
        iteration, ``generator_steps × k_g`` times, as MMagic. Returns the
        logged losses of both phases, each phase's total
        (``loss_generator``, ``loss_discriminator``) and their sum as
        ``loss``.
        """
        # A misconfigured optim_wrapper fails first.
        discriminators = self._wrappers(optim_wrapper, 'discriminator')
        generators = self._wrappers(optim_wrapper, 'generator')
        data = self.data_preprocessor(data, True)
        batch = self.prepare_batch(data['inputs'], data['data_samples'])
        # With gradient accumulation (an optim_wrapper's
        # accumulative_counts) one discriminator update spans that many
        # iterations, and one generator update that many passes on the
        # generator's turn, as MMagic counts them.
        generator_turn = (self.current_iter() + 1) % (
            self.discriminator_steps *
            accumulative_counts(discriminators[0])) == 0
        generator_accumulation = accumulative_counts(generators[0])
        generator_passes = self.generator_steps * generator_accumulation
        log_vars, cache = {}, {}
        try:
            for phase in self.order:
                if phase == 'discriminator':
                    log_vars.update(self._run_phase(phase, batch, cache,
                                                    optim_wrapper))
                elif generator_turn:
                    if generator_accumulation > 1:
                        # This turn's passes are the generators' whole
                        # count (without accumulation every pass steps).
                        for wrapper in generators:
                            wrapper.initialize_count_status(
                                self, 0, generator_passes)
                    for _ in range(generator_passes):
                        # Each generator step makes its own fakes.
                        cache.pop('outputs', None)
                        log_vars.update(self._run_phase(
                            phase, batch, cache, optim_wrapper))
        finally:
            # Every network trainable again between iterations.
            self._set_trainable(optim_wrapper, tuple(optim_wrapper.keys()))
        self._local_iter += 1
        log_vars['loss'] = sum(value for key, value in log_vars.items()
                               if key in ('loss_generator',
                                          'loss_discriminator'))
        return log_vars
