"""Build the embedded demo data set.

    python tools/make_demo_data.py [--out data/demo] [--seed 0] [--size 96]

Patches of scikit-image's bundled photographs get haze, rain, motion blur and
FDR-Net's hybrid distortion (blur + noise + JPEG)
(see toolbox/degradations/demo_set.py for the layout and the models).
"""
import argparse

from toolbox.degradations.demo_set import make_demo_set
from toolbox.engine.errors import add_debug_argument, run_tool


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/demo', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', type=int, default=96, help='patch size')
    parser.add_argument('--num-train', type=int, default=24)
    parser.add_argument('--num-test', type=int, default=6)
    add_debug_argument(parser)
    args = parser.parse_args()
    counts = make_demo_set(args.out, args.seed, args.size, args.num_train,
                           args.num_test)
    for part, count in sorted(counts.items()):
        print(f'{part:<12} {count:>4} images')
    print(f'demo data written to {args.out}')


if __name__ == '__main__':
    run_tool(main, 'tools/make_demo_data.py')
