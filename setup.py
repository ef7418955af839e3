"""Installation script of the ``toolbox`` package.

Dependencies are declared here without importing them (no ``import torch``), so
``pip install -e .`` on a fresh machine installs everything the toolbox needs,
PyTorch included. PyTorch is declared with a range: pip takes the newest
release in it that it finds, or keeps an installed one that fits, so a user
who wants a particular build (CPU-only, or CUDA 12.1, ...) installs it first
from PyTorch's index and ``pip install -e .`` leaves it alone (README.md,
docs/get_started.md).
"""
from pathlib import Path

from setuptools import find_packages, setup


def read_version():
    namespace = {}
    exec(Path('toolbox/version.py').read_text(), namespace)
    return namespace['__version__']


#: ONNX export and ONNX Runtime inference (docs/inference.md, Deployment).
DEPLOY = [
    # onnxruntime runs the exported files (toolbox/deploy/onnx_runtime.py,
    # no torch needed); 1.14 is the first to run opset 18, the opset the
    # export writes. Capped at the next major release, whose API may move.
    'onnxruntime>=1.14,<2',
    # onnxscript is torch.onnx's exporter backend (torch.export graphs to
    # ONNX, with its optimiser); the toolbox relies on its ONNXProgram and
    # onnx_ir metadata API as of 0.7 (tested with 0.7.2): 0.x releases
    # change their API, so the cap is the next minor release.
    'onnxscript>=0.7,<0.8',
    # onnx: the protobuf format the exporter writes and the tests read
    # (tested with 1.23).
    'onnx>=1.16,<2',
]

setup(
    name='toolbox',
    version=read_version(),
    description='An OpenMMLab-style image-restoration toolbox on MMEngine '
    '(Uni-Removal, FDR-Net, DCD-GAN).',
    long_description=Path('README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(include=['toolbox', 'toolbox.*']),
    include_package_data=True,
    package_data={'toolbox': ['evaluation/data/*']},
    install_requires=[
        # 2.13 is the newest release the toolbox is tested with; the toolbox
        # patches MMEngine 0.10.7 for torch >= 2.6 (weights_only loading,
        # toolbox/weights/files.py). Raise the cap after testing a newer
        # release.
        'torch>=2.1,<2.14',
        'mmengine>=0.10.0,<0.11',
        # mmcv-lite is the mmcv package without compiled ops; the toolbox only
        # uses mmcv.transforms and mmcv.image.
        'mmcv-lite>=2.0.0',
        # OpenCV comes with mmengine (opencv-python) and is not bounded: the
        # synthesis filters are the toolbox's own (float64 NumPy,
        # toolbox/degradations/filtering.py) since OpenCV 5 changed its
        # rounding; what still goes through OpenCV (image I/O, the JPEG
        # codec) gives the pinned checksums on 4.12, 5.0 and 5.1.
        # .ci/run_newest catches a release that moves them.
        # NumPy: seeded synthesis draws from numpy.random.Generator, whose
        # streams NumPy does not promise across major releases; 1.x and 2.x
        # give the pinned checksums.
        'numpy>=1.22,<3',
        'lmdb',
        # The demo data's photographs come from skimage.data; 1.0 is
        # announced as a breaking release.
        'scikit-image>=0.19,<1',
        'addict',
        'tqdm',
    ],
    extras_require={
        # pytest-xdist: the suite runs its files on every core (-n auto);
        # matplotlib: the suite runs tools/analyze_features.py's plots;
        # the deploy packages: the suite exports every network family and
        # runs the files (tests/apis/test_export.py).
        'tests': ['pytest', 'pytest-timeout', 'pytest-xdist', 'matplotlib',
                  *DEPLOY],
        # tools/export.py and tools/infer.py --backend onnxruntime.
        'deploy': DEPLOY,
        # Plots of tools/analyze_features.py and tools/analyze_logs.py
        # (imported only there); TensorBoard, which the default runtime's
        # optional backend uses as soon as it is installed.
        'vis': ['matplotlib', 'tensorboard'],
        # The FID Inception network of the FID and KID metrics
        # (toolbox/evaluation/fid.py; its weights are fetched once).
        'fid': ['pytorch-fid'],
    },
    license='Apache-2.0',
)
