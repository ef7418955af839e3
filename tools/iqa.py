"""Score a folder of images.

    python tools/iqa.py DIR [--ref DIR] --metrics psnr ssim brisque niqe piqe
        [fid kid]
        [--crop-border N] [--convert-to y|gray] [--out scores.json]
        [--name ROW] [--test-set NAME]

Prints per-image values and the mean; ``--out`` writes both as JSON, in a
form ``tools/make_table.py`` also reads as one row (``--name``, default the
folder; the means under ``METRIC`` or ``<--test-set>/METRIC``), e.g. the
degraded inputs' row of a results table.
``--ref`` images are paired by file name (the extension may differ); a
missing partner stops the run with an error naming it. Images that do
not decode are skipped, listed at the end, and make the exit status 1.
``--crop-border`` and ``--convert-to`` apply to every metric
(docs/metrics.md). ``fid`` and ``kid`` compare the whole folder with the
whole ``--ref`` folder (no pairing; printed after the per-image table).
"""
import argparse
import json
import sys

from toolbox.evaluation.folder_scoring import (FULL_REFERENCE, NO_REFERENCE,
                                               format_scores, mean_scores,
                                               score_folder)
from toolbox.evaluation.fid import SET_METRICS, folder_distances
from toolbox.engine.errors import add_debug_argument, run_tool
from toolbox.fileio import atomic_write_bytes


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('folder')
    parser.add_argument('--ref', help='reference folder (PSNR/SSIM)')
    parser.add_argument('--metrics', nargs='+', required=True,
                        choices=FULL_REFERENCE + NO_REFERENCE + SET_METRICS)
    parser.add_argument('--crop-border', type=int, default=0)
    parser.add_argument('--convert-to', choices=['y', 'gray'], default=None)
    parser.add_argument('--out', help='write the scores as JSON')
    parser.add_argument('--name', help='row name in make_table.py tables '
                        '(default: the folder)')
    parser.add_argument('--test-set', default='',
                        help='test-set name of the row\'s columns in '
                        'make_table.py (as tools/test.py prefixes metrics '
                        'of several test sets)')
    add_debug_argument(parser)
    args = parser.parse_args()
    bad = []
    per_image = [m for m in args.metrics if m not in SET_METRICS]
    try:
        scores = score_folder(args.folder, per_image, args.ref,
                              args.crop_border, args.convert_to,
                              bad_files=bad) if per_image else {}
        distances = folder_distances(
            args.folder, args.ref,
            [m for m in args.metrics if m in SET_METRICS]) \
            if len(per_image) < len(args.metrics) else {}
    except (FileNotFoundError, ValueError) as error:
        parser.exit(2, f'iqa.py: error: {error}\n')
    for metric, value in distances.items():
        print(f'{metric.upper()} (whole folder against --ref): {value:.6g}')
    if scores or distances:
        if scores:
            print(format_scores(scores))
        if args.out:
            mean = dict(mean_scores(scores) if scores else {}, **distances)
            prefix = f'{args.test_set}/' if args.test_set else ''
            record = dict(name=args.name or args.folder, folder=args.folder,
                          ref=args.ref,
                          metrics={f'{prefix}{m.upper()}': v
                                   for m, v in mean.items()},
                          mean=mean, images=scores,
                          bad_files=[path for path, _ in bad])
            atomic_write_bytes(json.dumps(record, indent=2).encode(),
                               args.out)
    if bad:
        print(f'tools/iqa.py: {len(bad)} of {len(bad) + len(scores)} images '
              'could not be read (not scored):', file=sys.stderr)
        for path, why in bad:
            print(f'  {path}: {why}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    run_tool(main, 'tools/iqa.py')
