"""Pack an image folder into an LMDB (BasicSR/MMagic format).

    python tools/create_lmdb.py --input DIR --output X.lmdb \
        [--compress-level 1] [--workers 4] [--overwrite]

Rerun the same command after an interruption: it resumes from the partial
database. X.lmdb appears only once complete. meta_info.txt follows BasicSR
(``<key>.png (h,w,c) level``); a key with a dot is read by the toolbox but
not by BasicSR or MMEditing (they cut at the first dot): the tool warns.
"""
import argparse
import sys
import warnings

from toolbox.datasets.lmdb_utils import create_lmdb


def _print_warning(message, category, *args, **kwargs):
    print(f'WARNING: {message}', file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--input', required=True, help='image folder')
    parser.add_argument('--output', required=True, help='X.lmdb folder')
    parser.add_argument('--compress-level', type=int, default=1,
                        help='PNG compression level 0-9 (default 1)')
    parser.add_argument('--workers', type=int, default=1,
                        help='processes encoding images')
    parser.add_argument('--commit-every', type=int, default=500)
    parser.add_argument('--overwrite', action='store_true')
    args = parser.parse_args()
    warnings.showwarning = _print_warning
    count = create_lmdb(args.input, args.output, args.compress_level,
                        args.workers, args.commit_every, args.overwrite)
    print(f'{count} images in {args.output}')


if __name__ == '__main__':
    main()
