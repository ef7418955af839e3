"""Parameters and FLOPs of a config's network at a stated input size.

    python tools/complexity.py CONFIG [--shape H W] [--cfg-options K=V ...]

Counts the network the model runs at test time (a Restorer's generator, a
GAN's test-time generator, a distillation model's student) with MMEngine's
``get_model_complexity_info``: parameters (shared ones once) and FLOPs of
one forward pass on a 1×3×H×W input (default 256×256), one multiply-add
counted as one FLOP; element-wise operations have no FLOP rule and are
listed as not counted. No data and no checkpoint are needed; a model that
reads files when it is built (teachers, VGG weights) needs those files, or
``--cfg-options`` that switch them off.
"""
import argparse

from toolbox.cfg_options import add_cfg_options_argument
from toolbox.app.errors import add_debug_argument, run_tool


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument('--shape', nargs=2, type=int, default=[256, 256],
                        metavar=('H', 'W'),
                        help='input height and width (default: 256 256)')
    add_cfg_options_argument(parser, 'model.generator.num_phases=4')
    add_debug_argument(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    from toolbox.app.complexity import config_complexity, format_complexity
    result = config_complexity(args.config, args.shape, args.cfg_options)
    print(format_complexity(result), flush=True)


if __name__ == '__main__':
    run_tool(main, 'tools/complexity.py')
