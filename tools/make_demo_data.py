"""Build the embedded demo data set.

    python tools/make_demo_data.py [--out data/demo] [--seed 0] [--size 96]

Patches of scikit-image's bundled photographs get haze, rain, motion blur and
FDR-Net's hybrid distortion (blur + noise + JPEG)
(see toolbox/degradations/demo_set.py for the layout and the models), and
the unpaired rain set of the CycleGAN and DCD-GAN demos: photograph crops at
several scales and dead-leaves images, rainy and clean from other content,
with held-out test pairs (toolbox/degradations/demo_unpaired.py).
"""
import argparse

from toolbox.degradations.demo_set import make_demo_set
from toolbox.degradations.demo_unpaired import make_unpaired_rain
from toolbox.engine.errors import add_debug_argument, run_tool


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/demo', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', type=int, default=96, help='patch size')
    parser.add_argument('--num-train', type=int, default=24)
    parser.add_argument('--num-test', type=int, default=6)
    parser.add_argument('--num-unpaired', type=int, default=600,
                        help='images per domain of the unpaired rain set')
    parser.add_argument('--num-unpaired-test', type=int, default=60,
                        help='held-out pairs of the unpaired rain set')
    add_debug_argument(parser)
    args = parser.parse_args()
    counts = make_demo_set(args.out, args.seed, args.size, args.num_train,
                           args.num_test)
    counts.update(make_unpaired_rain(args.out, args.seed, args.size,
                                     args.num_unpaired,
                                     args.num_unpaired_test))
    for part, count in sorted(counts.items()):
        print(f'{part:<26} {count:>4} images')
    print(f'demo data written to {args.out}')


if __name__ == '__main__':
    run_tool(main, 'tools/make_demo_data.py')
