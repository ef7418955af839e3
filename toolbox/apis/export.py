"""Export a model's inference network to ONNX, checked in ONNX Runtime.

    report = export_onnx('configs/mprnet/mprnet_derain_rain13k.py',
                         'model_deraining.pth', 'mprnet_derain.onnx')

What is exported is the network :func:`~toolbox.apis.init_model`'s model
runs at test time (``model.inference_network()``: a Restorer's generator,
a GAN's generator of ``test_cfg.direction``, a distillation model's
student), wrapped so that the file takes *any* size:

* input ``input``: ``N×3×H×W`` float32 RGB in the network's value range;
  batch, height and width are dynamic;
* the graph pads H and W (bottom, right) to the data preprocessor's
  ``pad_size_divisor`` with its ``pad_mode`` (reflect), runs the network,
  keeps its final image (MPRNet's stage 3) and crops it back to ``H×W``:
  output ``output``, ``N×3×H×W`` in the same range;
* the file's ``metadata_props`` say all that (value range, channel order,
  padding, ...; :mod:`toolbox.deploy.onnx_metadata`), so ONNX Runtime
  needs no config (:mod:`toolbox.deploy.onnx_runtime`).

Opset :data:`ONNX_OPSET` (18) is the one torch's exporter writes natively
(its ONNX functions are written for 18; another would need a version
conversion); ONNX Runtime has run it since 1.14.

The exporter traces with ``torch.export`` on a ``2×3×64×64`` input
(batch 2: a traced batch of 1 is specialised to 1). The file is then
checked before it is written: a :data:`CHECK_SIZE` crop of a real
photograph (``skimage.data.astronaut``, odd sides, not the traced size),
restored by the PyTorch path and by ONNX Runtime with the file, must agree
to ``tolerance`` grey levels of the 8-bit output (default
:data:`DEFAULT_TOLERANCE`: the uint8 results then differ by at most one
level, and only where a value lies that close to a rounding boundary).
Otherwise nothing is written and :class:`ExportMismatchError` says by how
much they differ.
"""
import logging
import os
import os.path as osp
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

from mmengine.registry import DefaultScope

from toolbox.apis.inference import init_model
from toolbox.datasets.transforms.formatting import image_to_tensor
from toolbox.deploy.onnx_metadata import ExportMetadata
from toolbox.deploy.onnx_runtime import INPUT_NAME, OUTPUT_NAME, OnnxRestorer
from toolbox.fileio import atomic_write_bytes
from toolbox.models.algorithms.base import as_stage_list
from toolbox.models.data_preprocessor import build_data_preprocessor
from toolbox.models.utils.instance_norm_stats import self_normalising_layers
from toolbox.structures import RestorationSample
from toolbox.user_errors import UserError

ONNX_OPSET = 18
#: Largest |ONNX Runtime - PyTorch| accepted, in grey levels (0-255).
DEFAULT_TOLERANCE = 0.05
#: The check image: a crop of the astronaut photo, ``(H, W)``.
CHECK_SIZE = (93, 127)
TRACE_SHAPE = (2, 3, 64, 64)


class ExportMismatchError(UserError):
    """ONNX Runtime's output differs from PyTorch's beyond the tolerance
    (nothing was written)."""


@dataclass
class ExportReport:
    """What :func:`export_onnx` wrote and measured.

    Attributes:
        path: the ``.onnx`` file.
        metadata: its metadata (value range, padding, the measured
            difference ``max_abs_diff`` in grey levels, ...).
        size_bytes: the file's size.
    """
    path: str
    metadata: ExportMetadata
    size_bytes: int


class ExportableNetwork(nn.Module):
    """The inference network as exported: pads to ``pad_size_divisor``,
    runs, keeps the final image, crops back (any input size).

    Args:
        network: the model's inference network.
        pad_size_divisor: the data preprocessor's.
        pad_mode: the data preprocessor's ``F.pad`` mode.
    """

    def __init__(self, network: nn.Module, pad_size_divisor: int = 1,
                 pad_mode: str = 'reflect'):
        super().__init__()
        self.network = network
        self.pad_size_divisor = max(int(pad_size_divisor), 1)
        self.pad_mode = pad_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        divisor = self.pad_size_divisor
        if divisor > 1:
            # Symbolic sizes: the pads are computed in the graph. Written
            # as d * ceil(size / d) - size, not (-size) % d: the padded
            # size is then a multiple of d that torch.export can see
            # (MPRNet's own padding check folds away, and the halving
            # of every level simplifies), a third faster to export.
            x = F.pad(x, (0, (width + divisor - 1) // divisor * divisor -
                          width, 0, (height + divisor - 1) // divisor *
                          divisor - height), mode=self.pad_mode)
        return as_stage_list(self.network(x))[0][..., :height, :width]


def check_image(size: Tuple[int, int] = CHECK_SIZE) -> np.ndarray:
    """The check photograph: a ``size`` crop of skimage's astronaut (face,
    suit and background; uint8 RGB)."""
    from skimage import data
    photo = data.astronaut()
    height, width = size
    if not (0 < height <= photo.shape[0] - 40
            and 0 < width <= photo.shape[1] - 120):
        raise UserError(f'check size {height}×{width} does not fit the '
                        f'{photo.shape[0]}×{photo.shape[1]} photo')
    return np.ascontiguousarray(photo[40:40 + height, 120:120 + width])


@torch.no_grad()
def torch_pixels(model: nn.Module, image: np.ndarray) -> np.ndarray:
    """The PyTorch path's restored ``image`` (uint8 RGB) before rounding:
    float32 RGB in ``[0, 255]`` (``tools/infer.py`` rounds this)."""
    sample = RestorationSample(metainfo=dict(ori_shape=image.shape[:2]))
    data = model.data_preprocessor(
        dict(inputs=[image_to_tensor(image)], data_samples=[sample]),
        training=False)
    pred = model.predict(data['inputs'], data['data_samples'])[0].pred_img
    return pred.clamp(0, 255).permute(1, 2, 0).cpu().numpy()


@contextmanager
def _quiet_exporter():
    # torch's exporter logs a warning per torchvision operator it cannot
    # register when torchvision is absent, and its own code trips
    # deprecation warnings of torch's: noise to a user of this tool.
    logger = logging.getLogger('torch.onnx')
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)
            warnings.simplefilter('ignore', DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


def onnx_program(wrapper: ExportableNetwork, opset: int = ONNX_OPSET):
    """``torch.onnx.export`` of ``wrapper`` (in eval mode) with dynamic
    batch, height and width (an ``onnxscript`` ONNXProgram)."""
    if wrapper.training:
        raise ValueError('export the network in eval mode (batch norms '
                         'would export with batch statistics)')
    dynamic = torch.export.Dim.DYNAMIC
    example = torch.rand(TRACE_SHAPE)
    with _quiet_exporter():
        return torch.onnx.export(
            wrapper, (example, ), dynamo=True, opset_version=opset,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_shapes=({0: dynamic, 2: dynamic, 3: dynamic}, ),
            verbose=False)


def _serialise(program, metadata: ExportMetadata) -> bytes:
    import onnx_ir
    program.model.metadata_props.update(metadata.to_props())
    return onnx_ir.serde.serialize_model(program.model).SerializeToString()


def export_model(model: nn.Module, out: str,
                 tolerance: float = DEFAULT_TOLERANCE,
                 check_size: Tuple[int, int] = CHECK_SIZE,
                 config: str = '', checkpoint: str = '') -> ExportReport:
    """Export a built model's inference network to ``out``, checked.

    Args:
        model: a toolbox model (``inference_network()``, a data
            preprocessor), e.g. from :func:`~toolbox.apis.init_model`.
        out: the ``.onnx`` file to write (atomically, and only if the check
            passes).
        tolerance: the largest |ONNX Runtime - PyTorch| accepted on the
            check photo, in grey levels.
        check_size: ``(H, W)`` of the check crop.
        config, checkpoint: recorded in the metadata.

    Raises:
        ExportMismatchError: the outputs differ by more than ``tolerance``
            (nothing written).
    """
    model = model.cpu().float().eval()
    network = model.inference_network()
    pre = model.data_preprocessor
    divisor = max(int(getattr(pre, 'pad_size_divisor', 1) or 1), 1)
    pad_mode = getattr(pre, 'pad_mode', 'reflect')
    image = check_image(check_size)
    metadata = ExportMetadata(
        value_range=pre.value_range, pad_size_divisor=divisor,
        pad_mode=pad_mode,
        min_side=divisor if pad_mode == 'reflect' else 1,
        instance_norm=bool(self_normalising_layers(network)),
        model=type(model).__name__, network=type(network).__name__,
        config=config, checkpoint=checkpoint, opset=ONNX_OPSET,
        tolerance=tolerance, check=f'skimage.data.astronaut() '
        f'{image.shape[0]}x{image.shape[1]} crop')
    # eval: batch norms (DnCNN) must export with their running statistics.
    program = onnx_program(
        ExportableNetwork(network, divisor, pad_mode).eval())
    restorer = OnnxRestorer(_serialise(program, metadata), threads=1)
    diff = float(np.abs(restorer.restore_pixels(image) -
                        torch_pixels(model, image)).max())
    if not diff <= tolerance:  # NaN fails too
        raise ExportMismatchError(
            f'{out}: ONNX Runtime differs from PyTorch by {diff:.3g} grey '
            f'levels on a {image.shape[0]}×{image.shape[1]} crop of the '
            f'astronaut photo (tolerance {tolerance:g}); nothing written')
    metadata.max_abs_diff = diff
    data = _serialise(program, metadata)
    atomic_write_bytes(data, out)
    return ExportReport(path=out, metadata=metadata, size_bytes=len(data))


def export_onnx(config: Union[str, Config], checkpoint: Optional[str],
                out: str, tolerance: float = DEFAULT_TOLERANCE,
                cfg_options: Optional[dict] = None, strict: bool = True,
                check_size: Tuple[int, int] = CHECK_SIZE) -> ExportReport:
    """Build ``config``'s model with ``checkpoint`` as
    :func:`~toolbox.apis.init_model` does and export its inference network
    (:func:`export_model`).

    Raises:
        UserError: ``out`` does not end in ``.onnx``, a negative
            ``tolerance``, or (:class:`ExportMismatchError`) ONNX Runtime
            disagrees with PyTorch.
    """
    if not out.lower().endswith('.onnx'):
        raise UserError(f'--out {out}: the file name must end in .onnx')
    if osp.isdir(out):
        raise UserError(f'--out {out} is a folder; name the .onnx file')
    if not tolerance >= 0:
        raise UserError(f'--tolerance must be >= 0, got {tolerance}')
    model = init_model(config, checkpoint, 'cpu', cfg_options, strict)
    return export_model(
        model, out, tolerance, check_size,
        config=config if isinstance(config, str) else
        (getattr(config, 'filename', None) or '<config>'),
        checkpoint=os.fspath(checkpoint) if checkpoint else '')


def config_disagreements(config: Config,
                         metadata: ExportMetadata) -> List[str]:
    """What ``config``'s data preprocessor says otherwise than an exported
    file's metadata (value range, padding divisor), one line each; empty
    when they agree (``tools/infer.py --backend onnxruntime`` with a
    config)."""
    with DefaultScope.overwrite_default_scope('toolbox'):
        pre = build_data_preprocessor(
            config.get('model', {}).get('data_preprocessor'))
    found = []
    if pre.value_range != metadata.value_range:
        found.append(f'value range {pre.value_range} (the file: '
                     f'{metadata.value_range})')
    divisor = max(pre.pad_size_divisor, 1)
    if divisor != metadata.pad_size_divisor:
        found.append(f'pad_size_divisor {divisor} (the file: '
                     f'{metadata.pad_size_divisor})')
    return found


__all__ = ['config_disagreements', 'ONNX_OPSET', 'DEFAULT_TOLERANCE',
           'CHECK_SIZE', 'TRACE_SHAPE',
           'ExportMismatchError', 'ExportReport', 'ExportableNetwork',
           'check_image', 'torch_pixels', 'onnx_program', 'export_model',
           'export_onnx']
