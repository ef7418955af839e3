"""Time the metrics on a 1-megapixel image (one thread).

    python benchmarks/bench_metrics.py [--repeats 3]
"""
import argparse
import os
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
os.environ.setdefault('MKL_NUM_THREADS', '1')

import cv2  # noqa: E402
from skimage import data  # noqa: E402

from toolbox.evaluation import functional as F  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    img = cv2.resize(data.coffee(), (1200, 840), interpolation=cv2.INTER_AREA)
    ref = cv2.GaussianBlur(img, (5, 5), 1.0)
    cases = [
        ('PSNR', lambda: F.psnr(img, ref)),
        ('SSIM', lambda: F.ssim(img, ref)),
        ('BRISQUE (LIVE)', lambda: F.brisque(img)),
        ('NIQE (LIVE)', lambda: F.niqe(img)),
        ('PIQE', lambda: F.piqe(img)),
    ]
    print(f'1200×840 RGB ({img.shape[0] * img.shape[1] / 1e6:.2f} MP), '
          'one thread, best of', args.repeats, '\n')
    print('| metric | seconds |')
    print('| --- | --- |')
    for name, fn in cases:
        fn()
        best = min(_timed(fn) for _ in range(args.repeats))
        print(f'| {name} | {best:.3f} |')


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == '__main__':
    main()
