"""Build the embedded demo data set.

    python tools/make_demo_data.py [--out data/demo] [--seed 0] [--size 96]

Patches of scikit-image's bundled photographs get haze, rain, motion blur and
FDR-Net's hybrid distortion (blur + noise + JPEG)
(see toolbox/degradations/demo_set.py for the layout and the models), and
the unpaired rain set of the CycleGAN and DCD-GAN demos: photograph crops at
several scales and dead-leaves images, rainy and clean from other content,
with held-out test pairs (toolbox/degradations/demo_unpaired.py), and
the real-world-like sets of Uni-Removal's domain adaptation: unpaired
adaptation sets and disjoint test sets with hidden targets
(toolbox/degradations/demo_real_like.py).
"""
import argparse

from toolbox.degradations.demo_real_like import make_real_like
from toolbox.degradations.demo_set import make_demo_set
from toolbox.degradations.demo_unpaired import make_unpaired_rain
from toolbox.app.errors import add_debug_argument, run_tool


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
    parser.add_argument('--num-adapt', type=int, default=300,
                        help='degraded images per degradation of the '
                        'real-world-like adaptation sets')
    parser.add_argument('--num-clear', type=int, default=600,
                        help='clear images of the adaptation sets')
    parser.add_argument('--num-adapt-test', type=int, default=30,
                        help='held-out pairs per degradation of the '
                        'real-world-like test sets')
    add_debug_argument(parser)
    args = parser.parse_args()
    counts = make_demo_set(args.out, args.seed, args.size, args.num_train,
                           args.num_test)
    counts.update(make_unpaired_rain(args.out, args.seed, args.size,
                                     args.num_unpaired,
                                     args.num_unpaired_test))
    counts.update(make_real_like(args.out, args.seed, args.size,
                                 args.num_adapt, args.num_clear,
                                 args.num_adapt_test))
    for part, count in sorted(counts.items()):
        print(f'{part:<30} {count:>4} images')
    print(f'demo data written to {args.out}')


if __name__ == '__main__':
    run_tool(main, 'tools/make_demo_data.py')
