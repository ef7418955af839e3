"""Convert an official CycleGAN, CUT or DCD-GAN checkpoint folder into one
toolbox checkpoint that ``load_from`` and ``--resume`` take.

    python tools/convert_official_gan.py checkpoints/experiment_rain800 \
        --config configs/dcdgan/dcdgan_released_rain800.py --out dcd.pth \
        [--which latest|EPOCH] [--method auto|cyclegan|dcdgan|cut] \
        [--epoch E] [--iter I] [--init-missing] [--seed 0] \
        [--cfg-options KEY=VALUE ...] [--trust-checkpoint]

The folder holds the official ``<which>_net_<name>.pth`` files: G_A, G_B,
D_A, D_B (CycleGAN), and F1, F2 (DCD-GAN), or G, F, D (CUT, one direction:
G_A, F1, D_A of the toolbox's DCD-GAN). Each network is loaded strictly into
the config's model, so a file of another width or layer list is an error
naming it. The output is the checkpoint the toolbox would have saved after
``--epoch`` epochs and ``--iter`` iterations (default 0: train from the
start; ``--epoch`` defaults to ``--which`` when that is a number): the
weights, the optimisers without moments (the official code saves none),
the schedulers stepped to that point. docs/models/cyclegan.md and
docs/methods/dcdgan.md have examples.
"""
import argparse

from toolbox.engine.checkpoint import install_safe_checkpoint_loader
from toolbox.weights import TRUST_OPTION, set_checkpoint_trust
from toolbox.cfg_options import add_cfg_options_argument
from toolbox.app.errors import add_debug_argument, run_tool
from toolbox.user_errors import UserError
from toolbox.engine.official_gan import METHODS


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('folder', help='official checkpoints/<name>/ folder')
    parser.add_argument('--config', required=True,
                        help='the toolbox config of the same model')
    parser.add_argument('--out', required=True, help='checkpoint to write')
    parser.add_argument('--which', default='latest',
                        help='file prefix: latest (default) or an epoch')
    parser.add_argument('--method', default='auto',
                        choices=('auto', ) + METHODS,
                        help='the official code base (auto: from the files)')
    parser.add_argument('--epoch', type=int, default=None,
                        help='epochs done (for --resume; default: --which '
                        'when it is a number, else 0)')
    parser.add_argument('--iter', type=int, default=0,
                        help='iterations done (for --resume; default 0)')
    parser.add_argument(
        '--init-missing', action='store_true',
        help="networks without a file keep the config's initialisation "
        "(CUT's backward direction, a head saved before its MLPs existed)")
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of that initialisation (default 0)')
    add_cfg_options_argument(parser, 'model.nce_layers=[0,4,8,12,16]')
    add_debug_argument(parser)
    parser.add_argument(TRUST_OPTION, action='store_true',
                        help='load the files with weights_only=False (runs '
                        'code stored in them: only for files you trust)')
    return parser.parse_args()


def main():
    import logging
    import os.path as osp

    import torch
    from mmengine.logging import MMLogger
    from mmengine.registry import DefaultScope

    from toolbox.apis import load_model_config
    from toolbox.engine.official_gan import (convert_official_networks,
                                             write_toolbox_checkpoint)
    from toolbox.registry import MODELS
    args = parse_args()
    install_safe_checkpoint_loader()
    if args.trust_checkpoint:
        set_checkpoint_trust(True)
    epoch = args.epoch
    if epoch is None:
        epoch = int(args.which) if str(args.which).isdigit() else 0
    if epoch < 0 or args.iter < 0:
        raise UserError('--epoch and --iter must be >= 0')
    cfg = load_model_config(args.config, args.cfg_options)
    torch.manual_seed(args.seed)
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MODELS.build(cfg.model)
    # The config's initialisation, for what no file provides (without
    # MMEngine's line per tensor).
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    method, lines = convert_official_networks(
        args.folder, model, which=args.which, method=args.method,
        init_missing=args.init_missing)
    note = f'official {method} {args.folder} ({args.which}): ' + \
        '; '.join(lines)
    write_toolbox_checkpoint(
        model, cfg, args.out, epoch=epoch, iteration=args.iter,
        meta=dict(converted_from=osp.abspath(args.folder), conversion=note,
                  converted_for=osp.abspath(args.config)))
    for line in lines:
        print(line)
    print(f'written to {args.out} (epoch {epoch}, iteration {args.iter}): '
          f'load_from={args.out}, or --resume {args.out} to go on')


if __name__ == '__main__':
    run_tool(main, 'tools/convert_official_gan.py')
