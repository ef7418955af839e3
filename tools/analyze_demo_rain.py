"""How the demo's held-out rain pairs' colour cast splits into veil and
streaks, and what a correction that is the same for every image leaves.

    python tools/analyze_demo_rain.py [--seed 0] [--size 96] [--num-test 60]
        [--data-root data/demo]

Replays the draws of tools/make_demo_data.py's unpaired rain set
(data/demo/unpaired/rain/test) and prints, per part of the rain, its cast
(mean over the image of rainy − clean, per channel, in grey levels), the
cast's spread across images, the part's dRGB (docs/metrics.md) and the dRGB
left after removing the best fixed offset per channel. A generator whose
every normalisation removes its input's channel means cannot see an
image's veil, so the veil row's last column bounds it (docs/methods/
dcdgan.md, demo). With the data folder present, checks that it holds the
replayed inputs (same seed and sizes).
"""
import argparse

from toolbox.app.errors import add_debug_argument, run_tool


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--seed', type=int, default=0,
                        help="make_demo_data.py's --seed (default: 0)")
    parser.add_argument('--size', type=int, default=96,
                        help="make_demo_data.py's --size (default: 96)")
    parser.add_argument('--num-test', type=int, default=60,
                        help="make_demo_data.py's --num-unpaired-test "
                        '(default: 60)')
    parser.add_argument('--data-root', default='data/demo',
                        help='where make_demo_data.py wrote the demo data, '
                        'to check it against the replay (default: '
                        'data/demo)')
    add_debug_argument(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    from toolbox.app.rain_cast import print_cast_report
    print_cast_report(args.seed, args.size, args.num_test, args.data_root)


if __name__ == '__main__':
    run_tool(main, 'tools/analyze_demo_rain.py')
