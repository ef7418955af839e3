"""Tiled inference of instance-norm generators: window vs image statistics.

    python benchmarks/bench_instance_norm_tiling.py \
        [--config configs/cyclegan/cyclegan_demo.py] [--checkpoint FILE] \
        [--tiles 128 192 256] [--overlap 32] [--threads 1] \
        [--write docs/inference.md]

The astronaut photo (512×512, ``skimage.data``) restored whole and in
tiles by ``restore_image``, per tile size: PSNR between the tiled and
untiled uint8 outputs and the share of values more than 8 grey levels
apart, with each window normalised by its own statistics (``window``, the
old behaviour), by the whole image's (``image``, the default) and by those
of the image downscaled to a quarter of its pixels (``image, 1/4``: what an
image above ``tile_stats_max_pixels`` gets); and the seconds of each. The
weights are random (PyTorch's default initialisation, as the built model
has them) unless ``--checkpoint`` names a file (the demo CycleGAN:
``work_dirs/cyclegan_demo/iter_1500.pth``).
"""
import argparse
import time

import torch

# benchmarks/: the script's folder is first on sys.path.
from _report import cpu_name, write_section  # noqa: E402
from bench_tiling import compare, photo  # noqa: E402


def run(args) -> str:
    """The markdown table (and a line saying what ran where)."""
    from toolbox.apis import init_model, restore_image
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = init_model(args.config, args.checkpoint)
    image = photo()
    start = time.perf_counter()
    untiled = restore_image(model, image)
    untiled_s = time.perf_counter() - start
    quarter = image.shape[0] * image.shape[1] // 4
    cases = [('window', dict(tile_norm_stats='window')),
             ('image', dict(tile_norm_stats='image')),
             ('image, 1/4', dict(tile_norm_stats='image',
                                 tile_stats_max_pixels=quarter))]
    rows = []
    test_cfg = dict(model.test_cfg)  # a GAN's direction
    for tile in args.tiles:
        cells = []
        for _, cfg in cases:
            model.test_cfg = dict(test_cfg, **cfg)
            start = time.perf_counter()
            tiled = restore_image(model, image, tile=tile,
                                  tile_overlap=args.overlap)
            seconds = time.perf_counter() - start
            result = compare(tiled, untiled)
            cells.append(f'{result["psnr"]:.2f} / '
                         f'{100 * result["over_8"]:.4f} % / {seconds:.2f} s')
        rows.append(f'| {tile} | ' + ' | '.join(cells) + ' |')
    weights = args.checkpoint or 'random weights'
    head = (f'`{args.config}` ({weights}), {args.threads} thread(s) on '
            f'{cpu_name()}; 512×512 astronaut photo, overlap {args.overlap},'
            f' default blend; untiled: {untiled_s:.2f} s.\n\n'
            '| tile | ' + ' | '.join(
                f'{name}: PSNR (dB) / values > 8 off / time'
                for name, _ in cases) + ' |\n'
            '| ---: |' + ' ---: |' * len(cases))
    return head + '\n' + '\n'.join(rows)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--config',
                        default='configs/cyclegan/cyclegan_demo.py')
    parser.add_argument('--checkpoint')
    parser.add_argument('--tiles', type=int, nargs='+',
                        default=[128, 192, 256])
    parser.add_argument('--overlap', type=int, default=32)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--write', metavar='MARKDOWN',
                        help='put the table between the '
                        'bench_instance_norm_tiling markers '
                        '(docs/inference.md)')
    args = parser.parse_args()
    table = run(args)
    print(table)
    if args.write:
        write_section(args.write, 'bench_instance_norm_tiling', table)


if __name__ == '__main__':
    main()
