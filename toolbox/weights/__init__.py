"""Weights: reading checkpoint files, cleaning their keys, converting other
toolboxes' layouts and loading them into models, in one pipeline
(:func:`load_weights`).

One floor below :mod:`toolbox.models`: it imports nothing of the toolbox
but :mod:`toolbox.registry` and :mod:`toolbox.fileio`, so that models,
engine and apis all load weights the same way. Model files register their
foreign layouts here (:mod:`toolbox.weights.adapters`).
"""
from toolbox.weights.adapters import (StateDictAdapter, adapt_state_dict,
                                      adapt_state_dict_in_place, adapted,
                                      adapters_for)
from toolbox.weights.files import (CHECKPOINT_SAFE_GLOBALS, TRUST_ENV,
                                   TRUST_OPTION, NotACheckpointError,
                                   UntrustedCheckpointError,
                                   checkpoint_trusted, find_checkpoint,
                                   load_checkpoint_file, set_checkpoint_trust)
from toolbox.weights.keys import (BASICSR_PARAM_KEYS, GENERATOR_PREFIX,
                                  WRAPPER_PREFIXES, WRAPPER_SEGMENT,
                                  drop_untracked_norm_stats,
                                  extract_state_dict,
                                  load_unwrapped_state_dict, strip_prefix,
                                  strip_wrapper_keys, unwrap_model,
                                  unwrapped_state_dict, wrapper_key_map)
from toolbox.weights.loading import (CheckpointMismatchError,
                                     describe_mismatch,
                                     load_checkpoint_weights,
                                     load_fitting_tensors, load_model_weights,
                                     load_refusable, load_state_dict_strictly,
                                     load_weights, mismatch_error,
                                     shape_mismatch)

__all__ = [
    'StateDictAdapter', 'adapt_state_dict', 'adapt_state_dict_in_place',
    'adapted', 'adapters_for', 'CHECKPOINT_SAFE_GLOBALS', 'TRUST_ENV',
    'TRUST_OPTION', 'NotACheckpointError', 'UntrustedCheckpointError',
    'checkpoint_trusted', 'find_checkpoint', 'load_checkpoint_file',
    'set_checkpoint_trust', 'BASICSR_PARAM_KEYS', 'GENERATOR_PREFIX',
    'WRAPPER_PREFIXES', 'WRAPPER_SEGMENT', 'drop_untracked_norm_stats',
    'extract_state_dict', 'load_unwrapped_state_dict', 'strip_prefix',
    'strip_wrapper_keys', 'unwrap_model', 'unwrapped_state_dict',
    'wrapper_key_map', 'CheckpointMismatchError', 'describe_mismatch',
    'load_checkpoint_weights', 'mismatch_error', 'shape_mismatch',
    'load_fitting_tensors', 'load_model_weights', 'load_refusable',
    'load_state_dict_strictly', 'load_weights'
]
