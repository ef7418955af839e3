"""Restore an image or a folder of images with a trained model.

    python tools/infer.py CONFIG --checkpoint FILE --input PATH_OR_DIR \
        --output PATH_OR_DIR [--tile 256 --tile-overlap 32 --tile-blend 0.5
        --tile-batch 4 --tile-norm-stats image] [--device cpu] \
        [--cfg-options KEY=VALUE ...]
    python tools/infer.py [CONFIG] --backend onnxruntime \
        --checkpoint model.onnx --input ... --output ... [--tile ...]

``--backend onnxruntime`` runs a file of ``tools/export.py`` in ONNX
Runtime (no PyTorch network): its metadata gives the value range and the
padding, so the config is optional (given, it must agree with the file).

The checkpoint may be a toolbox checkpoint, a work dir (its newest
checkpoint) or an official release state dict (e.g. MPRNet's
``model_deblurring.pth`` with ``configs/mprnet/mprnet_deblur_gopro.py``).
Folders are restored recursively into PNG files with the same relative
paths; images that do not decode or are too small for the network are
skipped, listed at the end, and make the exit status 1 (a single such
file: an error, exit status 2). An animated GIF is restored as its first
frame, with a warning. The output is checked before restoring (its folder
must be creatable and writable); a write the disk refuses (full,
read-only) stops with one message naming the file and, for a folder, the
images written before it (exit status 2).
"""
import argparse
import sys

from toolbox.apis import init_model, load_model_config, restore_path
from toolbox.models.utils.instance_norm_stats import TILE_NORM_STATS
from toolbox.models.utils.tiling import (DEFAULT_TILE_BATCH,
                                         DEFAULT_TILE_BLEND,
                                         DEFAULT_TILE_OVERLAP)
from toolbox.engine.checkpoint import (add_weight_loading_arguments,
                                       install_safe_checkpoint_loader)
from toolbox.weights import TRUST_OPTION, set_checkpoint_trust
from toolbox.cfg_options import add_cfg_options_argument
from toolbox.app.errors import (USER_ERROR_STATUS, add_debug_argument,
                                debug_requested, format_user_error, run_tool)
from toolbox.user_errors import UserError
from toolbox.app.input_check import exit_if_inputs_missing

BACKENDS = ('pytorch', 'onnxruntime')


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', nargs='?',
                        help='model config file (optional with --backend '
                        'onnxruntime)')
    parser.add_argument('--checkpoint', required=True,
                        help='weights: toolbox checkpoint or official '
                        'release; with --backend onnxruntime the .onnx file')
    parser.add_argument('--backend', choices=BACKENDS, default='pytorch',
                        help='pytorch (default) or onnxruntime (a file of '
                        'tools/export.py)')
    parser.add_argument('--input', required=True, help='image or folder')
    parser.add_argument('--output', required=True,
                        help='output image, or folder for a folder input')
    parser.add_argument('--into-input', action='store_true',
                        help='allow --output to be the input folder (or a '
                        'folder inside it) or the input file')
    parser.add_argument('--tile', type=int, default=None,
                        help='restore in overlapping tiles of this size '
                        '(bounds memory on large images)')
    parser.add_argument('--tile-overlap', type=int,
                        default=DEFAULT_TILE_OVERLAP,
                        help='overlap of neighbouring tiles in pixels '
                        '(default: %(default)s)')
    parser.add_argument('--tile-blend', type=float,
                        default=DEFAULT_TILE_BLEND,
                        help='share of the overlap across which neighbouring '
                        'tiles cross-fade (raised cosine); 0 = hard seam in '
                        'the middle of the overlap (default: %(default)s)')
    parser.add_argument('--tile-batch', type=int, default=DEFAULT_TILE_BATCH,
                        help='tiles restored together (speed vs memory; '
                        'default: %(default)s)')
    parser.add_argument('--tile-norm-stats', choices=TILE_NORM_STATS,
                        default=None,
                        help='instance norms of tiles (CycleGAN, DCD-GAN): '
                        "'image' (default) normalises every tile with the "
                        "whole image's statistics, 'window' each with its "
                        'own; PyTorch backend only')
    parser.add_argument('--device', default='cpu',
                        help="'cpu', 'cuda' or 'cuda:N'")
    add_cfg_options_argument(parser, 'model.generator.variant=deblurring')
    add_weight_loading_arguments(parser)
    add_debug_argument(parser)
    args = parser.parse_args()
    if args.backend == 'pytorch' and args.config is None:
        parser.error('CONFIG is required with --backend pytorch (only an '
                     'exported .onnx file, with --backend onnxruntime, '
                     'carries what the config says)')
    if args.backend == 'onnxruntime':
        given = [option for option, value in (
            ('--non-strict', args.non_strict),
            (TRUST_OPTION, args.trust_checkpoint),
            ('--tile-norm-stats', args.tile_norm_stats)) if value]
        if given:
            parser.error(f'{", ".join(given)}: PyTorch backend only (an '
                         '.onnx file is loaded as it is; its tiles use their '
                         'own instance-norm statistics)')
    return args


def onnx_restorer(args):
    """The exported file of ``--checkpoint`` in ONNX Runtime, checked
    against the config when one is given."""
    from toolbox.deploy.onnx_runtime import (OnnxRestorer,
                                             providers_for_device)
    restorer = OnnxRestorer(args.checkpoint,
                            providers_for_device(args.device))
    if args.config is not None:
        from toolbox.apis.export import config_disagreements
        config = load_model_config(args.config, args.cfg_options)
        found = config_disagreements(config, restorer.metadata)
        if found:
            raise UserError(f'{args.checkpoint} was not exported from '
                            f'{args.config}: the config has '
                            f'{"; ".join(found)}')
    return restorer


def main():
    args = parse_args()
    install_safe_checkpoint_loader()
    if args.trust_checkpoint:
        set_checkpoint_trust(True)
    try:
        if args.backend == 'onnxruntime':
            model = onnx_restorer(args)
        else:
            config = load_model_config(args.config, args.cfg_options)
            exit_if_inputs_missing(config, 'tools/infer.py', stage='infer',
                                   checkpoint=args.checkpoint)
            model = init_model(config, args.checkpoint, args.device,
                               strict=not args.non_strict)
        bad = []
        count = restore_path(model, args.input, args.output, args.tile,
                             args.tile_overlap, bad_files=bad,
                             tile_blend=args.tile_blend,
                             tile_batch=args.tile_batch,
                             into_input=args.into_input,
                             tile_norm_stats=args.tile_norm_stats)
    except ValueError as error:  # a bad value of the user's (--tile ...)
        if debug_requested():
            raise
        print(format_user_error(error, 'tools/infer.py'), file=sys.stderr)
        return USER_ERROR_STATUS
    print(f'{count} image(s) written to {args.output}')
    if bad:
        # Each line says why: undecodable, or too small for the network.
        print(f'tools/infer.py: {len(bad)} of {len(bad) + count} images were '
              'not restored:', file=sys.stderr)
        for path, why in bad:
            print(f'  {path}: {why}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    run_tool(main, 'tools/infer.py')
