"""Loading weights into a model or a network: the one pipeline.

Every path that loads weights goes through :func:`load_weights` (a file)
or :func:`load_checkpoint_weights` (a checkpoint already read): training's
``load_from`` and ``--resume``
(:class:`~toolbox.engine.runner.ToolboxRunner`), the tools
(``tools/test.py``, ``tools/infer.py``, ``tools/export.py`` through
:func:`load_model_weights`), :func:`toolbox.apis.init_model`, MPRNet's
``Pretrained`` weights, Uni-Removal's teachers and DA student, the VGG of
the perceptual losses, and the official-GAN loaders. In order:

1. the file is found (a work dir is its newest checkpoint) and read safely
   (:mod:`toolbox.weights.files`);
2. its keys are cleaned (:func:`~toolbox.weights.keys.extract_state_dict`:
   the wrappers' ``module.``, a sub-network's prefix);
3. a foreign layout registered for the target's class is converted, once
   (:mod:`toolbox.weights.adapters`);
4. a whole-model file goes into the model, a network-only file (an
   official release) into its inference network when asked
   (``inference_network=True``), minus the instance-norm statistics old
   releases carry;
5. the state dict is loaded strictly, with one short
   :class:`CheckpointMismatchError` naming the file
   (:func:`mismatch_error`), non-strictly (what fits, and the same summary
   as a warning), or as a partial initialisation (training's
   ``load_from``: keys may be missing or extra, shapes must fit).

A model with wrapped networks inside (``tools/dist_test.sh``) is compared
and loaded in the unwrapped names, so a file written with or without DDP
loads with or without it.
"""
from collections import OrderedDict
from typing import Mapping, Optional, Sequence, Tuple

from mmengine.logging import print_log
from torch import nn

from toolbox.weights.adapters import adapt_state_dict, adapted
from toolbox.weights.files import (PathLike, find_checkpoint,
                                   load_checkpoint_file)
from toolbox.weights.keys import (WRAPPER_PREFIXES, drop_untracked_norm_stats,
                                  extract_state_dict,
                                  load_unwrapped_state_dict, unwrap_model,
                                  unwrapped_state_dict, wrapper_key_map)


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's weights do not fit the network they are loaded into."""


def _shape(value) -> str:
    return '×'.join(str(s) for s in getattr(value, 'shape', ())) or 'scalar'


def _examples(keys: Sequence[str], count: int = 3) -> str:
    more = f', … ({len(keys)} in all)' if len(keys) > count else ''
    return ', '.join(keys[:count]) + more


def describe_mismatch(network_state: Mapping,
                      file_state: Mapping,
                      allow_extra_keys: bool = False) -> Optional[str]:
    """A short account of how ``file_state`` misses ``network_state``.

    ``None`` when every key of the network is in the file with its shape
    (and, unless ``allow_extra_keys``, the file has no other key).
    """
    missing = [k for k in network_state if k not in file_state]
    extra = [] if allow_extra_keys else \
        [k for k in file_state if k not in network_state]
    shapes = [k for k in network_state
              if k in file_state and tuple(file_state[k].shape) !=
              tuple(network_state[k].shape)]
    if not (missing or extra or shapes):
        return None
    parts = []
    if shapes:
        examples = '; '.join(
            f'{k}: file {_shape(file_state[k])}, network '
            f'{_shape(network_state[k])}' for k in shapes[:3])
        more = f'; … ({len(shapes)} in all)' if len(shapes) > 3 else ''
        parts.append(
            f'size mismatch in {len(shapes)} of {len(network_state)} tensors '
            f'(e.g. {examples}{more})')
    if missing:
        parts.append(f'{len(missing)} keys missing from the file '
                     f'({_examples(missing)})')
    if extra:
        parts.append(f'{len(extra)} unexpected keys in the file '
                     f'({_examples(extra)})')
    return '; '.join(parts)


def _named(what: Optional[str]) -> str:
    return f'{what}: ' if what else ''


def load_weights(target: nn.Module,
                 checkpoint: PathLike,
                 prefix: Optional[str] = 'auto',
                 *,
                 map_location='cpu',
                 **options) -> str:
    """Load ``target``'s weights from a toolbox, official or foreign file.

    Args:
        target: the module whose ``state_dict`` keys the file's keys must
            match after cleaning (a backbone, a generator, a whole model;
            its networks may be DDP-wrapped).
        checkpoint: a checkpoint file, a work dir (its newest checkpoint)
            or a ``last_checkpoint`` file (see
            :func:`~toolbox.weights.files.find_checkpoint`).
        prefix: the sub-network to take (see
            :func:`~toolbox.weights.keys.extract_state_dict`; default: the
            ``generator.`` part of a toolbox checkpoint when present).
        map_location: as :func:`torch.load`.
        **options: how to clean the keys and load, as
            :func:`load_checkpoint_weights` takes them.

    Returns:
        The checkpoint file actually read.

    Raises:
        FileNotFoundError: the file (or the work dir's checkpoint) is
            missing; the message names it.
        UntrustedCheckpointError, NotACheckpointError: see
            :func:`~toolbox.weights.files.load_checkpoint_file`.
        CheckpointMismatchError: see :func:`load_checkpoint_weights`.
    """
    filename = find_checkpoint(checkpoint)
    loaded = load_checkpoint_file(filename, map_location=map_location)
    load_checkpoint_weights(target, loaded, filename, prefix, **options)
    return filename


def load_checkpoint_weights(target: nn.Module,
                            checkpoint,
                            source: str,
                            prefix: Optional[str] = 'auto',
                            *,
                            strip_prefixes: Sequence[str] = WRAPPER_PREFIXES,
                            revise_keys: Sequence[Tuple[str, str]] = (),
                            ignore_keys: Sequence[str] = (),
                            allow_extra_keys: bool = False,
                            inference_network: bool = False,
                            what: Optional[str] = None,
                            strict: bool = True,
                            partial: bool = False,
                            logger=None) -> None:
    """Steps 2 to 5 of the pipeline (module docstring) on a checkpoint
    already read (``source`` names it in messages): what
    :func:`load_weights` does after reading the file, and what the Runner
    does with the checkpoint it read for ``load_from`` or ``--resume``.

    Args:
        target: as :func:`load_weights`.
        checkpoint: the loaded file (a toolbox/MMEngine checkpoint, an
            official release, a BasicSR network file or a state dict).
        source: the file it came from.
        prefix, strip_prefixes, revise_keys, ignore_keys: key cleaning, see
            :func:`~toolbox.weights.keys.extract_state_dict`.
        allow_extra_keys: ignore file keys the network does not have (a
            file of a deeper network than the one built, e.g. all of VGG-19
            for an extractor cut after ``relu3_1``). Missing keys and shape
            mismatches are always errors.
        inference_network: when none of the file's keys is one of
            ``target``'s, load it into ``target.inference_network()`` (the
            network ``predict`` runs): an official network-only release
            into a whole model.
        what: what is being loaded, put first in messages
            (``"Teacher 'rain'"``).
        strict: ``False`` loads the tensors whose names and shapes fit, on
            purpose, and logs the mismatch summary as a warning instead of
            raising.
        partial: with ``strict=False``, a partial initialisation
            (training's ``load_from``): keys may be missing or extra (a
            warning says how many), but a tensor the file shares with the
            network in another shape (another width or variant), or a file
            that shares none, is refused.
        logger: where warnings go (MMEngine's current logger by default).

    Raises:
        CheckpointMismatchError: the file's weights do not fit; the
            message names ``source`` and summarises the mismatch (counts
            and a few examples, not one line per tensor).
    """
    network = unwrap_model(target)
    try:
        state = extract_state_dict(checkpoint, prefix, strip_prefixes,
                                   revise_keys, ignore_keys)
    except (KeyError, TypeError) as error:
        raise CheckpointMismatchError(
            f'{_named(what)}{source} does not fit '
            f'{type(network).__name__}: {error.args[0]}') from error
    state = _adapted_state(network, state, source, what)
    if inference_network and hasattr(network, 'inference_network') and \
            set(state).isdisjoint(wrapper_key_map(network)):
        network = unwrap_model(network.inference_network())
        state = drop_untracked_norm_stats(state, network)
    _load_adapted(network, state, source, what, strict=strict,
                  allow_extra_keys=allow_extra_keys, partial=partial,
                  logger=logger)


def load_model_weights(model: nn.Module, checkpoint: PathLike,
                       strict: bool = True, logger=None) -> str:
    """Load a checkpoint into a built model, strictly unless asked.

    A file of the whole model (its own keys: a toolbox checkpoint of the
    same config, or another toolbox's layout of it) loads into ``model``; a
    network-only file (an official release, CycleGAN's
    ``latest_net_G_A.pth``) into its *inference network*. This is what
    ``tools/test.py``, ``tools/infer.py``, ``tools/export.py`` and
    :func:`toolbox.apis.init_model` use for every model, GANs included,
    instead of MMEngine's non-strict ``load_from`` (which would leave random
    weights behind a warning in the log). :func:`load_weights` with
    ``prefix=None, inference_network=True``.
    """
    return load_weights(model, checkpoint, prefix=None,
                        inference_network=True, strict=strict,
                        logger=logger)


def _adapted_state(network: nn.Module, state_dict: Mapping, source: str,
                   what: Optional[str]) -> Mapping:
    """``state_dict`` in ``network``'s own keys: the one conversion of a
    load (:mod:`toolbox.weights.adapters`), logged."""
    try:
        state_dict, note = adapt_state_dict(network, state_dict)
    except ValueError as error:
        raise CheckpointMismatchError(
            f'{_named(what)}{source}: {error}') from error
    if note:
        print_log(note, logger='current')
    return state_dict


def mismatch_error(source: str, network: str, problem: str,
                   what: Optional[str] = None) -> CheckpointMismatchError:
    """The one error of weights that do not fit: ``source`` (a file, 'the
    checkpoint') does not fit ``network`` (its name, e.g. ``'MPRNet'`` or
    ``'Restorer.generator (MPRNet)'``), with the :func:`describe_mismatch`
    summary ``problem``."""
    return CheckpointMismatchError(
        f'{_named(what)}{source} does not fit {network}: {problem}. Is it '
        'a checkpoint of another network or width (another config or '
        'variant)?')


def shape_mismatch(network_state: Mapping,
                   file_state: Mapping) -> Optional[str]:
    """:func:`describe_mismatch` of the keys the two share: the tensors
    the file has under the network's names but in other shapes."""
    shared = [k for k in network_state if k in file_state]
    return describe_mismatch({k: network_state[k] for k in shared},
                             {k: file_state[k] for k in shared})


def _warn(message: str, logger=None) -> None:
    if logger is not None:
        logger.warning(message)
    else:
        print_log(message, logger='current', level=30)


def _load_adapted(network: nn.Module, state_dict: Mapping, source: str,
                  what: Optional[str], strict: bool = True,
                  allow_extra_keys: bool = False, partial: bool = False,
                  logger=None) -> None:
    """The strict, the non-strict and the partial load of a state dict
    already in ``network``'s keys, with the one mismatch report."""
    name = type(network).__name__
    if not strict:
        if partial:
            own = unwrapped_state_dict(network)
            problem = shape_mismatch(own, state_dict)
            if problem or set(own).isdisjoint(state_dict):
                raise mismatch_error(
                    source, name, problem or 'no key of the file is one '
                    f'of its {len(own)} tensors', what)
        loaded, total, problem = load_fitting_tensors(
            network, state_dict, allow_extra_keys, source, what)
        if problem:
            _warn(f'{_named(what)}Non-strict loading of {source} into '
                  f'{name}: loaded {loaded} of {total} tensors; {problem}. '
                  'The others keep their initial (random) values.', logger)
        return
    own = unwrapped_state_dict(network)
    problem = describe_mismatch(own, state_dict, allow_extra_keys)
    if problem:
        raise mismatch_error(source, name, problem, what)
    if allow_extra_keys:
        state_dict = OrderedDict(
            (k, v) for k, v in state_dict.items() if k in own)
    load_refusable(network, state_dict, source, what, strict=True)


def load_fitting_tensors(network: nn.Module, state_dict: Mapping,
                         allow_extra_keys: bool = False,
                         source: str = 'the state dict',
                         what: Optional[str] = None
                         ) -> Tuple[int, int, Optional[str]]:
    """Load the tensors of ``state_dict`` (already in ``network``'s keys,
    unwrapped) whose names and shapes fit ``network``, on purpose
    (non-strict loading); the others keep their values.

    Returns ``(tensors loaded, tensors of the network, the mismatch summary
    of :func:`describe_mismatch` or None)``.
    """
    network = unwrap_model(network)
    own = unwrapped_state_dict(network)
    problem = describe_mismatch(own, state_dict, allow_extra_keys)
    fitting = OrderedDict(
        (k, v) for k, v in state_dict.items()
        if k in own and tuple(v.shape) == tuple(own[k].shape))
    load_refusable(network, fitting, source, what, strict=False)
    return len(fitting), len(own), problem


def load_state_dict_strictly(network: nn.Module,
                             state_dict: Mapping,
                             source: str = 'the state dict',
                             allow_extra_keys: bool = False,
                             what: Optional[str] = None) -> None:
    """``network.load_state_dict(state_dict, strict=True)`` for a state
    dict in memory, with the pipeline's conversion (once) and its short
    :class:`CheckpointMismatchError` naming ``source``; see
    :func:`load_weights` for ``allow_extra_keys`` and ``what``.
    ``state_dict`` is in the unwrapped names."""
    network = unwrap_model(network)
    state_dict = _adapted_state(network, state_dict, source, what)
    _load_adapted(network, state_dict, source, what, strict=True,
                  allow_extra_keys=allow_extra_keys)


def load_refusable(network: nn.Module, state_dict: Mapping,
                   source: str = 'the state dict',
                   what: Optional[str] = None, strict: bool = True):
    """:func:`~toolbox.weights.keys.load_unwrapped_state_dict` of a state
    dict already converted (:func:`~toolbox.weights.adapters.adapted`),
    where a network's own check of the values (a layer of it raising
    ``RuntimeError`` in ``_load_from_state_dict``, e.g. FDR-Net's tied
    IGDNs given untied ones) becomes a :class:`CheckpointMismatchError`
    naming ``source``."""
    try:
        with adapted():
            return load_unwrapped_state_dict(network, state_dict,
                                             strict=strict)
    except RuntimeError as error:
        message = ' '.join(str(error).split())
        raise CheckpointMismatchError(
            f'{_named(what)}{source}: {message}') from error


__all__ = [
    'CheckpointMismatchError', 'describe_mismatch', 'mismatch_error',
    'shape_mismatch', 'load_weights', 'load_checkpoint_weights',
    'load_model_weights', 'load_state_dict_strictly', 'load_refusable',
    'load_fitting_tensors'
]
