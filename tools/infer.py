"""Restore an image or a folder with a trained model.

    python tools/infer.py CONFIG --checkpoint FILE --input PATH_OR_DIR \
        --output PATH_OR_DIR [--tile 256 --tile-overlap 32] [--device cpu]

The checkpoint may be a toolbox checkpoint or an official release state dict
(e.g. MPRNet's ``model_deraining.pth``).
"""
import argparse

from toolbox.apis import init_model, restore_path
from toolbox.engine.checkpoint import set_checkpoint_trust


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config')
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--input', required=True, help='image or folder')
    parser.add_argument('--output', required=True, help='image or folder')
    parser.add_argument('--tile', type=int, default=None,
                        help='restore in tiles of this size (saves memory)')
    parser.add_argument('--tile-overlap', type=int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='load the checkpoint with weights_only=False')
    args = parser.parse_args()
    if args.trust_checkpoint:
        set_checkpoint_trust(True)
    model = init_model(args.config, args.checkpoint, args.device)
    count = restore_path(model, args.input, args.output, args.tile,
                         args.tile_overlap)
    print(f'{count} image(s) written to {args.output}')


if __name__ == '__main__':
    main()
