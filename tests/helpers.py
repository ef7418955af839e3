"""Small helpers shared by tests: tiny image folders written on the fly,
a free port for multi-process runs."""
import socket
from pathlib import Path

import cv2
import numpy as np


def smooth_image(rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth random RGB uint8 image (upsampled noise), easy to restore."""
    small = rng.integers(0, 256, (max(size // 8, 2), max(size // 8, 2), 3))
    return cv2.resize(small.astype(np.uint8), (size, size),
                      interpolation=cv2.INTER_CUBIC)


def write_paired_folder(root, count: int = 4, size: int = 32,
                        noise: float = 20.0, seed: int = 0,
                        img_dir: str = 'input', gt_dir: str = 'target'):
    """Write ``count`` noisy/clean PNG pairs under ``root/{input,target}``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    (root / img_dir).mkdir(parents=True, exist_ok=True)
    (root / gt_dir).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        clean = smooth_image(rng, size)
        noisy = np.clip(clean + rng.normal(0, noise, clean.shape), 0, 255)
        # OpenCV writes BGR; the files hold the RGB images above.
        cv2.imwrite(str(root / gt_dir / f'{i:03d}.png'), clean[..., ::-1])
        cv2.imwrite(str(root / img_dir / f'{i:03d}.png'),
                    noisy.astype(np.uint8)[..., ::-1])
    return root


def free_port() -> int:
    """A TCP port nothing listens on now (for torchrun's rendezvous): a fixed
    or pid-derived port can collide with another job's."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_image_folder(folder, count: int = 3, size: int = 32,
                       seed: int = 0):
    """Write ``count`` smooth RGB PNGs into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        cv2.imwrite(str(folder / f'{i:03d}.png'),
                    smooth_image(rng, size)[..., ::-1])
    return folder


def write_unpaired_tree(root, count: int = 3, size: int = 32):
    """The CycleGAN layout: ``root/{trainA,trainB,testA,testB}``."""
    root = Path(root)
    for seed, name in enumerate(('trainA', 'trainB', 'testA', 'testB')):
        write_image_folder(root / name, count, size, seed=seed)
    return root
