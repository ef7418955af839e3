"""Make a paired data set from clean images with a documented degradation.

    python tools/synthesize.py --clean DIR --out DIR --kind haze|rain|blur|hybrid
        [--level mild|moderate|severe] [--patch 63] [--seed 0]

Example, FDR-Net's hybrid-distortion benchmark from DIV2K on disk:
    python tools/synthesize.py --clean DIV2K_valid_HR --out data/div2k_hybrid/moderate \
        --kind hybrid --level moderate --patch 63
"""
import argparse

from toolbox.degradations.folder_synthesis import KINDS, synthesize_folder
from toolbox.degradations.hybrid import HYBRID_LEVELS


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.
                                     RawDescriptionHelpFormatter)
    parser.add_argument('--clean', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--kind', required=True, choices=KINDS)
    parser.add_argument('--level', default='moderate',
                        choices=sorted(HYBRID_LEVELS))
    parser.add_argument('--patch', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    counts = synthesize_folder(args.clean, args.out, args.kind, args.seed,
                               args.level, args.patch)
    print(f"{counts['pairs']} pairs written to {args.out}")


if __name__ == '__main__':
    main()
