r"""Make a paired data set from clean images with a documented degradation.

    python tools/synthesize.py --clean DIR --out DIR --kind haze|rain|real_rain|blur|hybrid
        [--level mild|moderate|severe] [--patch 63] [--stride 96]
        [--scales 1,0.6667,0.3333] [--blur-bins rl-restore|fdrnet-text]
        [--subset START:END] [--seed 0]
    python tools/synthesize.py --side-by-side DIR --out DIR
        --kind none|hybrid|... [--input-side left|right] [--level ...]

``--side-by-side`` reads ``[degraded | clean]`` pairs stored as one image
(DID-MDN's layout), writes them as ``input/`` and ``target/`` and adds
``--kind`` to the degraded half (``none``: split only). A file of odd width
is no such pair: the tool refuses the folder before writing anything.

Every clean image gives its pairs, or is listed at the end as too small for
one --patch crop at any scale (exit status 1); when none is large enough,
nothing is written (exit status 2).

Example, FDR-Net's hybrid-distortion benchmark (RL-Restore's protocol) from
DIV2K on disk (docs/degradations.md):
    python tools/synthesize.py --clean data/DIV2K/DIV2K_train_HR --subset 0:750 \
        --out data/div2k_hybrid/train/moderate --kind hybrid --level moderate

FDR-Net's DID-HY (DID-MDN's rain + blur + noise + JPEG, docs/methods/fdrnet.md):
    python tools/synthesize.py --side-by-side data/DID-MDN/DID-MDN-training \
        --out data/DID-HY/train --kind hybrid --level moderate --seed 0
"""
import argparse
import sys

from toolbox.degradations.folder_synthesis import (INPUT_SIDES, KINDS,
                                                   synthesize_folder,
                                                   synthesize_side_by_side,
                                                   too_small_message)
from toolbox.degradations.hybrid import HYBRID_LEVELS
from toolbox.app.errors import add_debug_argument, run_tool


def parse_subset(text: str):
    """``START:END`` as two integers (argparse reports a bad one as a
    usage error naming --subset)."""
    parts = text.split(':')
    try:
        start, end = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not START:END (two integers, e.g. 0:750)') from None
    return start, end


def main():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--clean', help='clean image folder')
    source.add_argument('--side-by-side', metavar='DIR',
                        help='folder of [degraded | clean] pairs stored as '
                        'one image (DID-MDN)')
    parser.add_argument('--out', required=True,
                        help='output folder (gets input/ and target/)')
    parser.add_argument('--kind', required=True, choices=('none', ) + KINDS,
                        help='none: --side-by-side only, split the pairs')
    parser.add_argument('--input-side', default='left', choices=INPUT_SIDES,
                        help='--side-by-side: the degraded half (DID-MDN: '
                        'left)')
    parser.add_argument('--level', default='moderate',
                        choices=sorted(HYBRID_LEVELS), help='hybrid level')
    parser.add_argument('--patch', type=int, default=None,
                        help='crop size (hybrid default 63; 0 = whole '
                        'images)')
    parser.add_argument('--stride', type=int, default=None,
                        help='crop stride (hybrid default 96)')
    parser.add_argument('--scales', default=None,
                        help='hybrid: comma-separated image scales '
                        '(default 1,2/3,1/3 as RL-Restore)')
    parser.add_argument('--blur-bins', default='rl-restore',
                        choices=('rl-restore', 'fdrnet-text'),
                        help='hybrid blur σ range: 0-5 (released generator) '
                        'or 0-10 (FDR-Net text)')
    parser.add_argument('--subset', default=None, metavar='START:END',
                        type=parse_subset,
                        help='only the sorted images [START, END), e.g. '
                        '0:750 (DIV2K train) or 750:800 (test)')
    parser.add_argument('--seed', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args()
    subset = args.subset
    if args.side_by_side:
        counts = synthesize_side_by_side(
            args.side_by_side, args.out, args.kind, args.seed, args.level,
            blur_bins=args.blur_bins, input_side=args.input_side,
            subset=subset)
        print(f"{counts['pairs']} pairs written to {args.out}")
        return
    if args.kind == 'none':
        parser.error('--kind none only applies to --side-by-side')
    scales = None
    if args.scales:
        scales = [float(s) for s in args.scales.split(',')]
    small = []
    counts = synthesize_folder(args.clean, args.out, args.kind, args.seed,
                               args.level, args.patch, stride=args.stride,
                               scales=scales, blur_bins=args.blur_bins,
                               subset=subset, too_small=small)
    print(f"{counts['pairs']} pairs written to {args.out}")
    if small:
        print_too_small(small, counts['images'], args, scales)
        return 1
    return 0


def print_too_small(small, total, args, scales) -> None:
    """List the images left out as too small, as tools/infer.py lists the
    images it could not read."""
    headline = too_small_message(small, total, args.kind, args.patch, scales)
    print(f'tools/synthesize.py: {headline}', file=sys.stderr)
    for path, (h, w) in small:
        print(f'  {path}: {h}×{w}', file=sys.stderr)


if __name__ == '__main__':
    run_tool(main, 'tools/synthesize.py')
