"""Convert an MMagic, MMGeneration or MMEditing 0.x CycleGAN checkpoint
into a toolbox CycleGAN checkpoint.

    python tools/convert_mmagic_cyclegan.py IN.pth OUT.pth \
        [--layout auto|mmagic|mmedit0] [--domain-a NAME] \
        [--channel-order bgr|rgb] [--trust-checkpoint]

MMagic's files load without conversion (init_model, tools/test.py,
tools/infer.py, load_from), taking the file's first domain as A and its
networks as BGR; convert when that is not what you want, or for MMEditing
0.x files (domains 'a'/'b'). See docs/models/cyclegan.md.
"""
import argparse
import sys

from toolbox.weights import (CheckpointMismatchError, TRUST_OPTION,
                             UntrustedCheckpointError, set_checkpoint_trust)
from toolbox.weights.mmagic import MMAGIC_LAYOUTS, convert_mmagic_cyclegan_file


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('src', help='MMagic/MMGeneration/MMEditing checkpoint')
    parser.add_argument('dst', help='toolbox checkpoint to write')
    parser.add_argument(
        '--layout', default='auto', choices=('auto', ) + MMAGIC_LAYOUTS,
        help="mmagic: generators.<d> makes domain d (MMagic 1.x, "
        "MMGeneration); mmedit0: generators.a translates A to B "
        "(MMEditing 0.x); auto: mmagic unless the domains are 'a'/'b'")
    parser.add_argument('--domain-a', default=None,
                        help="the MMagic domain that becomes the toolbox's "
                        'domain A (default: the first in the file)')
    parser.add_argument('--channel-order', choices=('bgr', 'rgb'),
                        default=None,
                        help='colours the networks were trained on (default: '
                        'bgr for mmagic, rgb for mmedit0)')
    parser.add_argument(TRUST_OPTION, action='store_true',
                        help='load the file with weights_only=False (runs '
                        'code stored in it: only for files you trust)')
    args = parser.parse_args()
    if args.trust_checkpoint:
        set_checkpoint_trust(True)
    try:
        note = convert_mmagic_cyclegan_file(
            args.src, args.dst, layout=args.layout, domain_a=args.domain_a,
            channel_order=args.channel_order)
    except (FileNotFoundError, ValueError, CheckpointMismatchError,
            UntrustedCheckpointError) as error:
        sys.exit(f'tools/convert_mmagic_cyclegan.py: error: {error}')
    print(note)
    print(f'written to {args.dst}')


if __name__ == '__main__':
    main()
