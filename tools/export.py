"""Export a model's inference network to ONNX, checked in ONNX Runtime.

    python tools/export.py CONFIG CHECKPOINT --out model.onnx \
        [--tolerance 0.05] [--cfg-options KEY=VALUE ...]

Exports the network ``tools/infer.py`` runs with the same config and
checkpoint (a Restorer's generator, a GAN's test-time generator, a
Uni-Removal student) with dynamic batch, height and width; the graph pads
to the network's divisor and crops back, so any size works. Input and
output: ``N×3×H×W`` float32 RGB in the network's value range, which the
file's metadata records with the padding (docs/inference.md,
*Deployment*). Opset 18.

Before the file is written, a crop of a photograph (93×127, odd sides) is
restored by PyTorch and by ONNX Runtime with the new file: if they differ
by more than ``--tolerance`` grey levels (0-255 scale), nothing is written
and the tool exits with status 2. Needs ``pip install onnx onnxruntime
onnxscript`` (``pip install -e .[deploy]``).
"""
import argparse

from toolbox.cfg_options import add_cfg_options_argument
from toolbox.engine.checkpoint import (add_weight_loading_arguments,
                                       install_safe_checkpoint_loader)
from toolbox.weights import set_checkpoint_trust
from toolbox.app.errors import add_debug_argument, run_tool
from toolbox.user_errors import UserError


def parse_args():
    from toolbox.apis.export import DEFAULT_TOLERANCE
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint',
                        help='weights: toolbox checkpoint, work dir or '
                        'official release')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument('--tolerance', type=float, default=DEFAULT_TOLERANCE,
                        help='largest difference from PyTorch accepted on '
                        'the check photo, in grey levels (default: '
                        '%(default)s)')
    add_cfg_options_argument(parser, 'model.generator.variant=deblurring')
    add_weight_loading_arguments(parser)
    add_debug_argument(parser)
    return parser.parse_args()


def _require_exporter() -> None:
    """A one-line error naming what to install when the exporter's
    packages are missing."""
    import importlib.util
    missing = [name for name in ('onnx', 'onnxscript', 'onnxruntime')
               if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(f'exporting needs {", ".join(missing)}: pip install '
                        f'{" ".join(missing)} (or pip install -e .[deploy])')


def main():
    args = parse_args()
    _require_exporter()
    install_safe_checkpoint_loader()
    if args.trust_checkpoint:
        set_checkpoint_trust(True)
    from toolbox.apis import load_model_config
    from toolbox.apis.export import export_onnx
    from toolbox.app.input_check import exit_if_inputs_missing
    config = load_model_config(args.config, args.cfg_options)
    exit_if_inputs_missing(config, 'tools/export.py', stage='infer',
                           checkpoint=args.checkpoint)
    report = export_onnx(config, args.checkpoint, args.out, args.tolerance,
                         strict=not args.non_strict)
    meta = report.metadata
    print(f'{report.path}: {meta.network} ({meta.model}), opset '
          f'{meta.opset}, {report.size_bytes / 1e6:.1f} MB; input '
          f'N×3×H×W {meta.channel_order} in {meta.value_range}, padded in '
          f'the graph to multiples of {meta.pad_size_divisor}; ONNX Runtime '
          f'vs PyTorch on the check photo: max {meta.max_abs_diff:.2g} grey '
          f'levels (tolerance {meta.tolerance:g})')
    return 0


if __name__ == '__main__':
    run_tool(main, 'tools/export.py')
