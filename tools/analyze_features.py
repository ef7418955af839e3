"""FDR-Net's interpretative experiment (Sec. 4.5, Fig. 8) on a checkpoint.

    python tools/analyze_features.py CONFIG CKPT --input FOLDER
        [--clean FOLDER] [--phase 0] [--out-dir DIR] [--max-images N]

* the mean absolute channel correlation of the features entering and
  leaving the FDM of every phase, over the images of ``--input``
  (paper: 0.272 → 0.164), and the two correlation matrices of ``--phase``
  as ``correlation.png``;
* the channel responses after that phase's FDM to Gaussian blur, Gaussian
  noise and JPEG at ten levels each, added to the clean images of
  ``--clean`` (default: the ``--input`` images), as
  ``channel_responses.png``.

Everything printed is also written to ``features.json`` in ``--out-dir``
(default ``work_dirs/analyze_features/<config name>``). The plots need
matplotlib (``pip install matplotlib`` or ``pip install -e '.[vis]'``).
"""
import argparse
import json
import os
import os.path as osp
import sys

from toolbox.weights import TRUST_OPTION, set_checkpoint_trust


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint of that model')
    parser.add_argument('--input', required=True,
                        help='folder of (distorted) images for the '
                        'correlation analysis')
    parser.add_argument('--clean', default=None,
                        help='folder of clean images for the channel '
                        'responses (default: --input)')
    parser.add_argument('--phase', type=int, default=0,
                        help='phase whose matrices and responses are '
                        'plotted (0: the first)')
    parser.add_argument('--max-images', type=int, default=None,
                        help='use at most this many images of each folder')
    parser.add_argument('--out-dir', default=None,
                        help='where the PNGs and features.json go')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the added noise')
    parser.add_argument(TRUST_OPTION, action='store_true',
                        help='load the checkpoint with weights_only=False')
    return parser.parse_args()


def read_folder(folder, limit=None):
    from toolbox.datasets.paired import scan_images
    from toolbox.datasets.transforms.loading import read_image
    images = scan_images(folder)
    if not images:
        raise FileNotFoundError(f'No images found in {folder}')
    keys = sorted(images)[:limit]
    return [read_image(images[k]) for k in keys]


def main():
    args = parse_args()
    if args.trust_checkpoint:
        set_checkpoint_trust(True)
    from toolbox.apis import init_model
    from toolbox.apis.feature_analysis import (FeatureProbe,
                                               channel_responses,
                                               correlation_analysis,
                                               plot_correlation,
                                               plot_responses, top_channels)
    from toolbox.app.input_check import exit_if_inputs_missing
    exit_if_inputs_missing(args.config, 'tools/analyze_features.py',
                           stage='infer', checkpoint=args.checkpoint)
    name = osp.splitext(osp.basename(args.config))[0]
    out_dir = args.out_dir or osp.join('work_dirs', 'analyze_features', name)
    try:
        inputs = read_folder(args.input, args.max_images)
        clean = read_folder(args.clean, args.max_images) if args.clean \
            else inputs
        probe = FeatureProbe(init_model(args.config, args.checkpoint))
        corr = correlation_analysis(probe, inputs)
        phases = len(corr['before'])
        if not 0 <= args.phase < phases:
            raise ValueError(f'--phase must be in [0, {phases - 1}]')
        responses = channel_responses(probe, clean, args.phase,
                                      seed=args.seed)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'tools/analyze_features.py: error: {error}')

    mean_before = sum(corr['mean_before']) / phases
    mean_after = sum(corr['mean_after']) / phases
    print(f'{name}: mean |channel correlation| over {len(inputs)} images '
          f'of {args.input} (paper, Fig. 8: 0.272 before FDM, 0.164 after)')
    print(f'{"phase":>7}{"before FDM":>13}{"after FDM":>12}')
    for p, (b, a) in enumerate(zip(corr['mean_before'], corr['mean_after'])):
        print(f'{p:>7}{b:>13.3f}{a:>12.3f}')
    print(f'{"mean":>7}{mean_before:>13.3f}{mean_after:>12.3f}')
    top = top_channels(responses)
    print(f'channels each distortion moves most after the FDM of phase '
          f'{args.phase} ({len(clean)} clean images):')
    for kind, channels in top.items():
        print(f'  {kind:<6} {channels}')

    os.makedirs(out_dir, exist_ok=True)
    record = dict(
        config=args.config, checkpoint=args.checkpoint, input=args.input,
        clean=args.clean or args.input, images=len(inputs),
        mean_before=corr['mean_before'], mean_after=corr['mean_after'],
        mean_before_all_phases=mean_before,
        mean_after_all_phases=mean_after, phase=args.phase,
        top_channels=top,
        responses={k: v.tolist() for k, v in responses.items()})
    with open(osp.join(out_dir, 'features.json'), 'w') as f:
        json.dump(record, f, indent=2)
    try:
        plot_correlation(corr['before'][args.phase],
                         corr['after'][args.phase],
                         osp.join(out_dir, 'correlation.png'),
                         title=f'{name}, phase {args.phase}')
        plot_responses(responses, osp.join(out_dir, 'channel_responses.png'),
                       title=f'{name}, after the FDM of phase {args.phase}')
    except ImportError as error:
        sys.exit(f'tools/analyze_features.py: {error} (the numbers are in '
                 f'{osp.join(out_dir, "features.json")})')
    print(f'plots and numbers written to {out_dir}')


if __name__ == '__main__':
    main()
