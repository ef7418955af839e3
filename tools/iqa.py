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
``--out`` is checked before scoring (its folder must be creatable and
writable); a write that fails at the end (a full disk) is one message
naming the file and the reason, exit status 2.
"""
import argparse
import json
import sys

from toolbox.evaluation.folder_scoring import (FULL_REFERENCE, NO_REFERENCE,
                                               format_scores, mean_scores,
                                               score_folder)
from toolbox.evaluation.fid import SET_METRICS, folder_distances
from toolbox.app.errors import add_debug_argument, run_tool
from toolbox.fileio import (atomic_write_bytes, check_output_file,
                            writing_output)


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
    if args.out:  # a read-only or mistyped --out stops before the scoring
        check_output_file(args.out, '--out')
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
    if scores:
        print(format_scores(scores))
    if bad:
        print(f'tools/iqa.py: {len(bad)} of {len(bad) + len(scores)} images '
              'could not be read (not scored):', file=sys.stderr)
        for path, why in bad:
            print(f'  {path}: {why}', file=sys.stderr)
    # Last: a failed write still shows the above.
    if (scores or distances) and args.out:
        write_record(args, scores, distances, bad)
    return 1 if bad else 0


def write_record(args, scores, distances, bad) -> None:
    """Write the scores (per-image means and the whole-folder
    ``distances``) as ``--out`` JSON (atomically); a full disk or a
    read-only one is an :class:`~toolbox.fileio.OutputWriteError`."""
    mean = dict(mean_scores(scores) if scores else {}, **distances)
    prefix = f'{args.test_set}/' if args.test_set else ''
    record = dict(name=args.name or args.folder, folder=args.folder,
                  ref=args.ref,
                  metrics={f'{prefix}{m.upper()}': v
                           for m, v in mean.items()},
                  mean=mean, images=scores,
                  bad_files=[path for path, _ in bad])
    with writing_output(args.out, '--out'):
        atomic_write_bytes(json.dumps(record, indent=2).encode(), args.out)


if __name__ == '__main__':
    run_tool(main, 'tools/iqa.py')
