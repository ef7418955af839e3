"""Pack an image folder into an LMDB (BasicSR/MMagic format), or check one.

    python tools/create_lmdb.py --input DIR --output X.lmdb \
        [--compress-level 1] [--workers 4] [--overwrite] [--skip-bad]
    python tools/create_lmdb.py --verify X.lmdb

Every image is fully decoded and checked (the folder loader's rule) before
it is packed; files that do not decode are listed at the end and X.lmdb is
not finalised, unless --skip-bad is given (then they are listed in
X.lmdb.bad_files.txt next to it). Rerun the same command after an
interruption: it resumes from the partial database, re-packing the images
changed since; a partial database of another folder is refused (discarded
with --overwrite). X.lmdb appears only once complete. A build holds
X.lmdb.lock: a second build of the same output meanwhile is refused.
--verify checks every key of a database against its meta_info.txt and
lists the bad ones (exit 1 if any). meta_info.txt follows
BasicSR (``<key>.png (h,w,c) level``); a key with a dot is read by the
toolbox but not by BasicSR or MMEditing (they cut at the first dot): the
tool warns. Refused before anything is written: an --output not ending
with .lmdb, file names that cannot be keys (non-ASCII, or with a space),
two files of one key (a.png and a.jpg).
"""
import argparse
import sys
import warnings

from toolbox.datasets.lmdb_utils import create_lmdb, verify_lmdb
from toolbox.app.errors import add_debug_argument, run_tool


def _print_warning(message, category, *args, **kwargs):
    print(f'WARNING: {message}', file=sys.stderr, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--input', help='image folder')
    parser.add_argument('--output', help='X.lmdb folder')
    parser.add_argument('--verify', metavar='DB',
                        help='check the database DB instead of creating one')
    parser.add_argument('--compress-level', type=int, default=1,
                        help='PNG compression level 0-9 (default 1)')
    parser.add_argument('--workers', type=int, default=1,
                        help='processes encoding images')
    parser.add_argument('--commit-every', type=int, default=500)
    parser.add_argument(
        '--overwrite', action='store_true',
        help='replace an existing X.lmdb (once the new one is complete), and '
        'discard an X.lmdb.partial left by a build of another folder')
    parser.add_argument(
        '--skip-bad', action='store_true',
        help='leave images that do not decode out of the database (listed '
        'in X.lmdb.bad_files.txt) instead of stopping')
    add_debug_argument(parser)
    args = parser.parse_args()
    if args.verify is None and (args.input is None or args.output is None):
        parser.error('--input and --output are required (or --verify DB)')
    return args


def main():
    args = parse_args()
    warnings.showwarning = _print_warning
    if args.verify:
        problems = verify_lmdb(args.verify, progress=True)
        for key, why in problems:
            print(f'  {key}: {why}')
        if problems:
            print(f'{args.verify}: {len(problems)} bad keys', file=sys.stderr)
            return 1
        print(f'{args.verify}: every key decodes as meta_info.txt lists it')
        return 0
    count = create_lmdb(args.input, args.output, args.compress_level,
                        args.workers, args.commit_every, args.overwrite,
                        skip_bad=args.skip_bad)
    print(f'{count} images in {args.output}')
    return 0


if __name__ == '__main__':
    run_tool(main, 'tools/create_lmdb.py')
