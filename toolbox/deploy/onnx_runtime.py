"""Restore images with an exported ONNX file in ONNX Runtime (no torch).

    from toolbox.deploy.onnx_runtime import OnnxRestorer
    restorer = OnnxRestorer('model.onnx')
    restored = restorer.restore_image(rgb_uint8, tile=256)

The file's metadata (:mod:`toolbox.deploy.onnx_metadata`, written by
``tools/export.py``) gives the value range and the padding, so no config is
needed. The steps are those of the PyTorch path
(:func:`toolbox.apis.restore_image`), in NumPy:

* ``uint8`` RGB → float32 in the network's range (``x / 255`` or
  ``x / 127.5 - 1``, the data preprocessor's arithmetic);
* whole image: the graph pads H and W to its divisor (reflect, bottom and
  right) and crops back; an image with a side too small to reflect-pad
  (below ``min_side``) is padded here first, replicating, as the data
  preprocessor falls back to;
* tiles: the same windows, pixel-phase alignment and raised-cosine
  blending as :mod:`toolbox.models.utils.tiling` (the geometry is shared,
  :mod:`toolbox.tile_windows`), a float32 accumulator, ``tile_batch``
  windows per run;
* back to ``[0, 255]``, clamped and rounded to ``uint8``.

Instance-norm generators tiled here normalise each window with its own
statistics (the PyTorch path's ``tile_norm_stats='window'``; the image's
statistics need hooks inside the network, which a fixed graph does not
have): a warning says so; restore them whole.
"""
import os
import warnings
from typing import Optional, Sequence, Union

import numpy as np

from toolbox import tile_windows
from toolbox.deploy.onnx_metadata import ExportMetadata, MetadataError
from toolbox.tile_windows import (DEFAULT_TILE_BATCH, DEFAULT_TILE_BLEND,
                                  DEFAULT_TILE_OVERLAP)

#: Name of the exported graph's input and output.
INPUT_NAME, OUTPUT_NAME = 'input', 'output'


class OnnxRunError(ValueError):
    """ONNX Runtime failed on an input (e.g. an image too small for the
    network); the message names the file and the size."""


def _pad_bottom_right(batch: np.ndarray, pad_h: int, pad_w: int,
                      mode: str) -> np.ndarray:
    """NumPy's pad of an ``N×C×H×W`` batch with torch's mode names."""
    if pad_h == 0 and pad_w == 0:
        return batch
    np_mode = {'reflect': 'reflect', 'replicate': 'edge',
               'constant': 'constant'}[mode]
    return np.pad(batch, ((0, 0), (0, 0), (0, pad_h), (0, pad_w)),
                  mode=np_mode)


def pad_to_multiple(batch: np.ndarray, multiple: int) -> np.ndarray:
    """Pad (bottom/right) to multiples of ``multiple``: reflect, or
    replicate where reflect cannot (``toolbox.models.utils.tiling``'s rule)."""
    pad_h, pad_w, mode = tile_windows.pad_to_multiple_widths(
        *batch.shape[-2:], multiple)
    return _pad_bottom_right(batch, pad_h, pad_w, mode)


def providers_for_device(device: str) -> list:
    """ONNX Runtime execution providers for a ``--device``: ``'cpu'``, or
    ``'cuda'``/``'cuda:N'`` (CUDA, CPU for what CUDA lacks)."""
    if device == 'cpu':
        return ['CPUExecutionProvider']
    if device == 'cuda' or device.startswith('cuda:'):
        index = int(device.partition(':')[2] or 0)
        return [('CUDAExecutionProvider', {'device_id': index}),
                'CPUExecutionProvider']
    raise ValueError(f"--device must be 'cpu', 'cuda' or 'cuda:N', got "
                     f'{device!r}')


class OnnxRestorer:
    """An exported restoration network in an ONNX Runtime session.

    Args:
        model: the ``.onnx`` file, or its bytes.
        providers: ONNX Runtime execution providers (default: CPU).
        threads: intra-op threads (default: ONNX Runtime's, every core).

    Raises:
        FileNotFoundError: no such file.
        MetadataError: not an ONNX file, or one without the toolbox's
            metadata (not written by ``tools/export.py``).
        ValueError: a provider this onnxruntime lacks (CUDA).
    """

    def __init__(self, model: Union[str, bytes],
                 providers: Optional[Sequence[str]] = None,
                 threads: Optional[int] = None):
        import onnxruntime as ort  # optional dependency (setup.py deploy)
        providers = list(providers or ['CPUExecutionProvider'])
        names = [p[0] if isinstance(p, tuple) else p for p in providers]
        missing = set(names) - set(ort.get_available_providers())
        if missing:
            raise ValueError(
                f'this onnxruntime has no {", ".join(sorted(missing))} '
                f'(it has {", ".join(ort.get_available_providers())}); '
                'install onnxruntime-gpu for CUDA, or use --device cpu')
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.source = model if isinstance(model, str) else '<ONNX bytes>'
        if isinstance(model, str) and not os.path.isfile(model):
            raise FileNotFoundError(f'ONNX file not found: {model}')
        try:
            self.session = ort.InferenceSession(model, options,
                                                providers=providers)
        except Exception as error:  # noqa: BLE001 - ONNX Runtime's types
            first = str(error).strip().splitlines()[0]
            raise MetadataError(f'{self.source} is not an ONNX file ONNX '
                                f'Runtime can load: {first}') from error
        self.metadata = ExportMetadata.from_props(
            self.session.get_modelmeta().custom_metadata_map, self.source)
        self._warned_instance_norm = False

    # The network's range, as the data preprocessor computes it.
    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """``[0, 255]`` pixels → the network's range (float32)."""
        scale, offset = self.metadata.scale_offset
        return pixels.astype(np.float32) / np.float32(scale) + np.float32(
            offset)

    def denormalize(self, x: np.ndarray) -> np.ndarray:
        """The network's range → ``[0, 255]`` (float32, not clamped)."""
        scale, offset = self.metadata.scale_offset
        return (x - np.float32(offset)) * np.float32(scale)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """The network on an ``N×3×H×W`` float32 batch in its range, any
        size: the graph pads and crops; a side too small to reflect-pad
        (not larger than its pad) is padded here first, replicating, and
        cropped back."""
        height, width = batch.shape[-2:]
        divisor = self.metadata.pad_size_divisor
        pad_h, pad_w = (-height) % divisor, (-width) % divisor
        mode = self.metadata.pad_mode
        if tile_windows.pad_mode_for(height, width, pad_h, pad_w,
                                     mode) != mode:
            # Reflect cannot pad this far: replicate both axes here (the
            # graph then pads nothing), as the data preprocessor does.
            batch = _pad_bottom_right(batch, pad_h, pad_w, 'replicate')
        try:
            out = self.session.run([OUTPUT_NAME], {
                INPUT_NAME: np.ascontiguousarray(batch, dtype=np.float32)})[0]
        except Exception as error:  # noqa: BLE001 - ONNX Runtime's own types
            # Mostly an input the network cannot take (too small for its
            # reflection pads after downsampling): the user's to fix.
            message = str(error).strip().splitlines()[0]
            raise OnnxRunError(
                f'{self.source}: ONNX Runtime cannot run it on a '
                f'{height}×{width} input: {message}') from error
        return out[..., :height, :width]

    def _warn_instance_norm(self) -> None:
        if self.metadata.instance_norm and not self._warned_instance_norm:
            self._warned_instance_norm = True
            warnings.warn(
                f'{self.source}: this network normalises by its input\'s '
                'statistics (instance norm); in ONNX Runtime each tile uses '
                "its own (the PyTorch path's tile_norm_stats='window'), "
                'which changes the output (18-20 dB from the whole image '
                'with the demo CycleGAN): restore it whole, or tile it with '
                'the PyTorch backend', stacklevel=3)

    def tiled_run(self, batch: np.ndarray, tile_size: int,
                  tile_overlap: int = DEFAULT_TILE_OVERLAP,
                  tile_blend: float = DEFAULT_TILE_BLEND,
                  tile_batch: int = DEFAULT_TILE_BATCH) -> np.ndarray:
        """:meth:`run` window by window, blended as
        :func:`toolbox.models.utils.tiling.tiled_forward` blends (float32)."""
        tile_windows.check_tile_args(tile_size, tile_overlap, tile_blend,
                                     tile_batch)
        height, width = batch.shape[-2:]
        if height <= tile_size and width <= tile_size:
            return self.run(batch)
        self._warn_instance_norm()
        tile, stride = tile_windows.aligned_tile_and_stride(
            tile_size, tile_overlap, self.metadata.pad_size_divisor)
        padded = pad_to_multiple(batch, self.metadata.pad_size_divisor)
        output = self._blend_windows(padded, tile, stride, tile - stride,
                                     tile_blend, tile_batch)
        return output[..., :height, :width]

    def _blend_windows(self, inputs: np.ndarray, tile: int, stride: int,
                       overlap: int, blend: float,
                       tile_batch: int) -> np.ndarray:
        height, width = inputs.shape[-2:]
        tops = tile_windows.window_starts(height, tile, stride)
        lefts = tile_windows.window_starts(width, tile, stride)
        row_w = tile_windows.axis_weights(height, tile, tops, overlap, blend)
        col_w = tile_windows.axis_weights(width, tile, lefts, overlap, blend)
        windows = [(n, i, j) for n in range(inputs.shape[0])
                   for i in range(len(tops)) for j in range(len(lefts))]
        output = None
        for first in range(0, len(windows), tile_batch):
            batch = windows[first:first + tile_batch]
            restored = self.run(np.concatenate([
                inputs[n:n + 1, :, tops[i]:tops[i] + tile,
                       lefts[j]:lefts[j] + tile] for n, i, j in batch]))
            if output is None:
                output = np.zeros(
                    (inputs.shape[0], restored.shape[1], height, width),
                    dtype=np.float32)
            for k, (n, i, j) in enumerate(batch):
                weight = (row_w[i][:, None] * col_w[j][None, :]).astype(
                    np.float32)
                h, w = weight.shape
                output[n, :, tops[i]:tops[i] + h,
                       lefts[j]:lefts[j] + w] += restored[k, :, :h, :w] * \
                    weight
        # The separable sum of weights, a row band at a time.
        row_sum = tile_windows.blend_normaliser(height, tops, row_w).astype(
            np.float32)
        col_sum = tile_windows.blend_normaliser(width, lefts, col_w).astype(
            np.float32)
        band = max(1, 2**22 // max(width, 1))
        for top in range(0, height, band):
            output[..., top:top + band, :] /= (row_sum[top:top + band, None]
                                               * col_sum[None, :])
        return output

    def restore_pixels(self, image: np.ndarray, tile: Optional[int] = None,
                       tile_overlap: int = DEFAULT_TILE_OVERLAP,
                       tile_blend: float = DEFAULT_TILE_BLEND,
                       tile_batch: int = DEFAULT_TILE_BATCH) -> np.ndarray:
        """Restore an ``H×W×3`` uint8 RGB image; returns float32 RGB in
        ``[0, 255]`` (clamped, not rounded)."""
        _check_image(image)
        height, width = image.shape[:2]
        batch = self.normalize(image.transpose(2, 0, 1)[None])
        divisor = self.metadata.pad_size_divisor
        if tile:
            # Padded as the data preprocessor pads a whole image first.
            out = self.tiled_run(pad_to_multiple(batch, divisor), tile,
                                 tile_overlap, tile_blend, tile_batch)
        else:
            out = self.run(batch)
        pixels = self.denormalize(out[0, :, :height, :width])
        return np.clip(pixels, 0, 255).transpose(1, 2, 0)

    def restore_image(self, image: np.ndarray, tile: Optional[int] = None,
                      tile_overlap: int = DEFAULT_TILE_OVERLAP,
                      tile_blend: float = DEFAULT_TILE_BLEND,
                      tile_batch: int = DEFAULT_TILE_BATCH) -> np.ndarray:
        """Restore an ``H×W×3`` uint8 RGB image; returns uint8 RGB (as
        :func:`toolbox.apis.restore_image`)."""
        pixels = self.restore_pixels(image, tile, tile_overlap, tile_blend,
                                     tile_batch)
        return np.round(pixels).astype(np.uint8)


def _check_image(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('expected an H×W×3 uint8 RGB array, got '
                         f'{image.dtype} {image.shape}')


__all__ = ['OnnxRestorer', 'OnnxRunError', 'MetadataError',
           'providers_for_device',
           'pad_to_multiple', 'INPUT_NAME', 'OUTPUT_NAME']
