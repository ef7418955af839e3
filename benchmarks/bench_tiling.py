"""Tiled inference: seam quality, speed and peak memory (CPU).

    python benchmarks/bench_tiling.py [--quick] [--threads 2]
        [--seam-config configs/uniremoval/teacher_derain_demo.py]
        [--seam-checkpoint tests/data/mprnet_derain_demo_fp16.pth]
        [--speed-config configs/uniremoval/teacher_deblur_demo.py]
        [--write docs/benchmarks.md]

Three tables, each row with its target where the issue set one:

* Seams: a trained model restores the 512×512 astronaut photo
  (``skimage.data.astronaut``) whole and in tiles; the table gives, per tile
  size, overlap and blend, the PSNR between tiled and untiled uint8 outputs,
  the share of pixels more than 8 grey levels apart and the largest
  difference. The weights are the demo deraining teacher's, shipped with
  the tests (``tests/data/mprnet_derain_demo_fp16.pth``: ``python
  tools/train.py configs/uniremoval/teacher_derain_demo.py``, 300
  iterations, stored as float16); ``--seam-checkpoint`` takes another.
  Target: ≥ 50 dB and fewer than 1 in 10,000 values more than 8 off.
* A local network: DnCNN-17's residual branch (random weights) in float,
  with overlaps whose trim covers its 17-pixel receptive field; target:
  equal to float rounding (the default overlap's trim, 8 px, is shown
  for contrast).
* Speed and memory: ``restore_image`` on an upscaled photo, each case in a
  fresh subprocess, reporting seconds, megapixels per second and the
  process's peak resident memory (``ru_maxrss``, the model and Python
  included; the baseline before restoring is given too). Weights are random
  unless ``--speed-checkpoint`` is given: timing and memory do not depend
  on them. Without ``--quick`` a 12-megapixel (4000×3000) tiled case runs
  (target: peak within 4 GB).

Other scripts can call :func:`measure_restore` (one case in a subprocess)
and :func:`seam_quality` (one tiled-vs-untiled comparison). ``--write``
replaces the text between the ``bench_tiling`` markers of a markdown file.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

import numpy as np

# benchmarks/_report.py: the script's folder is first on sys.path.
from _report import cpu_name, write_section  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def photo(height: int = 512, width: int = 512) -> np.ndarray:
    """The astronaut photo (512×512 RGB uint8), resized (bicubic) if asked."""
    import cv2
    from skimage import data
    image = data.astronaut()
    if image.shape[:2] != (height, width):
        image = cv2.resize(image, (width, height),
                           interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(image)


def compare(tiled: np.ndarray, untiled: np.ndarray, lines=None) -> dict:
    """PSNR (dB), share of values > 8 grey levels apart, largest
    difference, between two uint8 images; with ``lines`` (row and column
    indices), also the share of the > 8 values within 6 pixels of them."""
    diff = np.abs(tiled.astype(np.int16) - untiled.astype(np.int16))
    mse = float(np.mean(diff.astype(np.float64) ** 2))
    psnr = float('inf') if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
    result = dict(psnr=psnr, over_8=float(np.mean(diff > 8)),
                  max_diff=int(diff.max()))
    if lines is not None:
        near = np.zeros(diff.shape[0], bool)
        for line in lines:
            near[max(0, line - 6):line + 6] = True
        near_cols = near[:diff.shape[1]]
        at = near[:, None] | near_cols[None, :]
        big = diff > 8
        result['at_lines'] = (float(big[at].sum() / big.sum())
                              if big.any() else float('nan'))
    return result


def split_lines(size: int, tile: int, tile_overlap: int,
                divisor: int = 8) -> list:
    """Where MPRNet cuts (the middle of the padded image and of every
    window, stages 1 and 2): the lines near which its output depends on
    the cut, tiled or not."""
    from toolbox.models.utils.tiling import _window_starts
    tile = max(divisor, tile // divisor * divisor)
    stride = max(divisor, (tile - tile_overlap) // divisor * divisor)
    padded = -(-size // divisor) * divisor
    starts = _window_starts(padded, tile, stride)
    return [padded // 2] + [start + tile // 2 for start in starts]


def seam_quality(model, image: np.ndarray, tile: int, tile_overlap: int,
                 tile_blend=None, untiled=None, lines=None) -> dict:
    """Compare ``restore_image`` tiled and untiled on ``image``.

    ``tile_blend=None`` leaves the blend at its default (and runs against
    code that has no blend). Pass ``untiled`` to reuse a whole-image result;
    ``lines``: see :func:`compare`.
    """
    from toolbox.apis import restore_image
    if untiled is None:
        untiled = restore_image(model, image)
    kwargs = {} if tile_blend is None else dict(tile_blend=tile_blend)
    tiled = restore_image(model, image, tile=tile, tile_overlap=tile_overlap,
                          **kwargs)
    return compare(tiled, untiled, lines)


def measure_restore(config: str, height: int, width: int,
                    tile=None, tile_overlap=None, tile_blend=None,
                    tile_batch=None, checkpoint=None, threads: int = 2,
                    cfg_options=None) -> dict:
    """Restore a ``height×width`` photo in a fresh Python process.

    Returns ``dict(seconds, mp_per_s, peak_rss_mb, base_rss_mb)``: the time
    of ``restore_image`` alone (model built and warm), megapixels per
    second, the process's peak resident memory and its resident memory
    just before restoring. ``None`` options keep ``restore_image``'s
    defaults; ``tile=None`` restores the whole image at once.
    """
    job = dict(config=config, height=height, width=width, tile=tile,
               tile_overlap=tile_overlap, tile_blend=tile_blend,
               tile_batch=tile_batch, checkpoint=checkpoint, threads=threads,
               cfg_options=cfg_options)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads),
               PYTHONPATH=os.pathsep.join(
                   [REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    result = subprocess.run(
        [sys.executable, osp.abspath(__file__), '--child', json.dumps(job)],
        env=env, capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        raise RuntimeError(f'bench_tiling child failed ({job}):\n'
                           f'{result.stderr[-3000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def _child(job: dict) -> None:
    import torch

    from toolbox.apis import init_model, restore_image
    torch.set_num_threads(job['threads'])
    model = init_model(job['config'], job['checkpoint'],
                       cfg_options=job['cfg_options'],
                       strict=job['checkpoint'] is not None)
    image = photo(job['height'], job['width'])
    kwargs = {k: job[k] for k in ('tile', 'tile_overlap', 'tile_blend',
                                  'tile_batch') if job[k] is not None}
    restore_image(model, photo(64, 64))  # warm-up: oneDNN kernel choice
    base = _rss_mb()
    start = time.perf_counter()
    restore_image(model, image, **kwargs)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    megapixels = job['height'] * job['width'] / 1e6
    print(json.dumps(dict(seconds=seconds, mp_per_s=megapixels / seconds,
                          peak_rss_mb=peak, base_rss_mb=base)))


def seam_table(args) -> str:
    import torch

    from toolbox.apis import init_model, restore_image
    torch.set_num_threads(args.threads)
    model = init_model(args.seam_config, args.seam_checkpoint)
    image = photo()
    untiled = restore_image(model, image)
    tiles = (128, 192, 256) if args.quick else (128, 192, 256, 384)
    overlaps = (32,) if args.quick else (16, 32, 64)
    blends = [None] if args.tile_blends is None else args.tile_blends
    mprnet = 'MPRNet' in str(model.inference_network().__class__.__name__)
    lines = [
        f'`{args.seam_config}` with `{args.seam_checkpoint}`, astronaut '
        '512×512: tiled vs untiled uint8 outputs (share of the 3 × 512² '
        'values).', '',
        '| tile | overlap | blend | PSNR (dB) | values > 8 off | max diff '
        + ('| of the > 8, within 6 px of a split line ' if mprnet else '')
        + '| target: ≥ 50 dB, < 0.01 % of values > 8 off |',
        '| ---: | ---: | ---: | ---: | ---: | ---: |'
        + (' ---: |' if mprnet else '') + ' --- |']

    def row(name, overlap, blend, r, target=True):
        at = (f' {100 * r["at_lines"]:.0f} % |' if mprnet else '')
        verdict = ''
        if target:
            met = r['psnr'] >= 50 and r['over_8'] < 1e-4
            verdict = 'met' if met else '**not met**' + (
                ': MPRNet\'s split lines (see below)' if mprnet else '')
        return (f'| {name} | {overlap} | {blend} | {r["psnr"]:.2f} '
                f'| {100 * r["over_8"]:.4f} % | {r["max_diff"]} |{at} '
                f'{verdict} |')

    if mprnet:
        # MPRNet is not shift-equivariant even untiled: its output near its
        # split lines depends on where they fall. Reference: the whole
        # image shifted by 64 pixels (reflect-padded, cropped back).
        shifted = restore_image(model, np.pad(
            image, ((64, 0), (64, 0), (0, 0)), mode='reflect'))[64:, 64:]
        r = compare(shifted, untiled, [256, 256 - 32])
        lines.append(row('untiled, shifted 64 px', '-', '-', r,
                         target=False))
        print(lines[-1], file=sys.stderr, flush=True)  # progress
    for tile in tiles:
        for overlap in overlaps:
            if overlap >= tile:
                continue
            for blend in blends:
                cuts = split_lines(512, tile, overlap) if mprnet else None
                r = seam_quality(model, image, tile, overlap, blend, untiled,
                                 cuts)
                blend_s = 'default' if blend is None else f'{blend:g}'
                lines.append(row(tile, overlap, blend_s, r))
                print(lines[-1], file=sys.stderr, flush=True)  # progress
    return '\n'.join(lines)


def local_table(args) -> str:
    """DnCNN-17's residual branch (17 convolutions: purely local, receptive
    field 17 px; random weights: exactness does not depend on the values)
    tiled vs whole on the photo, in float: the largest difference relative
    to the output's range. Overlaps whose trim covers the receptive field
    must agree to float rounding."""
    import torch

    from toolbox.models.utils.tiling import blend_trim, tiled_forward
    from toolbox.models.backbones.dncnn import DnCNN
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    body = DnCNN(depth=17).eval().body
    for layer in body:  # He init keeps the signal alive through 17 layers
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')
    x = torch.from_numpy(photo()).permute(2, 0, 1)[None].float() / 255
    lines = [
        'DnCNN-17 residual branch (random weights; 17 convolutions, '
        'receptive field 17 px), astronaut 512×512 in float, tiled vs '
        'whole: largest difference relative to the output\'s range.', '',
        '| tile | overlap | blend | trim (px) | largest difference '
        '| target: float rounding (< 1e-5) once the trim covers 17 px |',
        '| ---: | ---: | ---: | ---: | ---: | --- |']
    with torch.no_grad():
        whole = body(x)
        scale = (whole.max() - whole.min()).item()
        for tile, overlap, blend in ((128, 48, 0.25), (192, 40, 0.1),
                                     (128, 32, 0.5)):
            tiled = tiled_forward(body, x, tile, overlap, tile_blend=blend)
            diff = (tiled - whole).abs().max().item() / scale
            trim = blend_trim(overlap, blend)
            target = ('met' if diff < 1e-5 else '**not met**'
                      ) if trim >= 17 else 'n/a: trim below 17 px'
            lines.append(f'| {tile} | {overlap} | {blend:g} | {trim} '
                         f'| {diff:.1e} | {target} |')
            print(lines[-1], file=sys.stderr, flush=True)  # progress
    return '\n'.join(lines)


def speed_cases(args) -> list:
    """(height, width, tile or None, tile_batch or None) of each case."""
    if args.case:
        return [(h, w, t or None, b or None) for h, w, t, b in args.case]
    cases = [(512, 512, None, None), (512, 512, 256, 1), (512, 512, 256, 4),
             (1024, 1024, None, None), (1024, 1024, 256, 1),
             (1024, 1024, 256, 4)]
    if not args.quick:
        cases.append((3000, 4000, 256, 4))
    return cases


def speed_table(args) -> str:
    cases = speed_cases(args)
    lines = [
        f'`{args.speed_config}`'
        f'{" with " + args.speed_checkpoint if args.speed_checkpoint else ""}'
        f' (random weights unless named), {args.threads} '
        f'thread{"s" if args.threads > 1 else ""} on '
        f'{cpu_name()}; upscaled astronaut photo, one run each after a '
        'warm-up, each case in a fresh process.', '',
        '| image | tiles | tile batch | seconds | MP/s | peak RSS (MB) '
        '| RSS before restoring (MB) | target: 12 MP within 4 GB |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |']
    for height, width, tile, batch in cases:
        r = measure_restore(args.speed_config, height, width, tile=tile,
                            tile_batch=batch,
                            checkpoint=args.speed_checkpoint,
                            threads=args.threads)
        mp = height * width / 1e6
        tiles = 'untiled' if tile is None else f'{tile} (default overlap)'
        target = ''
        if mp >= 12:
            target = ('met' if r['peak_rss_mb'] <= 4096 else '**not met**')
        lines.append(
            f'| {width}×{height} ({mp:.2f} MP) | {tiles} '
            f'| {batch or "-"} | {r["seconds"]:.1f} | {r["mp_per_s"]:.3f} '
            f'| {r["peak_rss_mb"]:.0f} | {r["base_rss_mb"]:.0f} '
            f'| {target} |')
        print(lines[-1], file=sys.stderr, flush=True)  # progress
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='fewer seam cases, no 12-megapixel case')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seam-config',
                        default='configs/uniremoval/teacher_derain_demo.py')
    parser.add_argument('--seam-checkpoint',
                        default='tests/data/mprnet_derain_demo_fp16.pth')
    parser.add_argument('--tile-blends', type=float, nargs='+',
                        help='blends to compare (default: the default)')
    parser.add_argument('--speed-config',
                        default='configs/uniremoval/teacher_deblur_demo.py')
    parser.add_argument('--speed-checkpoint')
    parser.add_argument('--case', type=int, nargs=4, action='append',
                        metavar=('H', 'W', 'TILE', 'BATCH'),
                        help='a speed case instead of the default list '
                        '(TILE 0: untiled; BATCH 0: the default)')
    parser.add_argument('--skip', choices=('seams', 'speed'))
    parser.add_argument('--write', metavar='MARKDOWN',
                        help='put the tables into this file (between the '
                        'bench_tiling markers)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(json.loads(args.child))
        return
    # The defaults are paths in the repository: run from anywhere. Paths
    # the user gave are taken from where the command was typed.
    for name in ('seam_config', 'seam_checkpoint', 'speed_config',
                 'speed_checkpoint', 'write'):
        value = getattr(args, name)
        if value and value != parser.get_default(name):
            setattr(args, name, osp.abspath(value))
    if args.write and not osp.isfile(args.write):
        parser.error(f'--write: no file {args.write}')
    os.chdir(REPO)
    tables = []
    if args.skip != 'seams':
        tables.append(seam_table(args))
        tables.append(local_table(args))
    if args.skip != 'speed':
        tables.append(speed_table(args))
    text = '\n\n'.join(tables)
    print(text)
    if args.write:
        write_section(args.write, 'bench_tiling', text)


if __name__ == '__main__':
    main()
