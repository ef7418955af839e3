"""tools/infer.py --backend onnxruntime: an exported file restores as the
PyTorch backend does, with or without a config."""
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')

from toolbox.apis import init_model  # noqa: E402
from toolbox.apis.export import export_model  # noqa: E402

CONFIG = 'configs/fdrnet/dncnn_demo.py'


@pytest.fixture(scope='module')
def dncnn_files(tmp_path_factory, repo_root):
    """A network-only checkpoint of the demo DnCNN (random weights), its
    export, and a photo crop with odd sides."""
    from skimage import data
    folder = tmp_path_factory.mktemp('infer_onnx')
    torch.manual_seed(0)
    model = init_model(f'{repo_root}/{CONFIG}')
    checkpoint = folder / 'dncnn.pth'
    torch.save(model.generator.state_dict(), checkpoint)
    onnx_file = folder / 'dncnn.onnx'
    export_model(model, str(onnx_file))
    image = folder / 'photo.png'
    cv2.imwrite(str(image), data.astronaut()[10:87, 30:133][..., ::-1])
    return checkpoint, onnx_file, image


def _infer(args, monkeypatch, repo_root):
    """``tools/infer.py ARGS`` in this process; its exit status."""
    monkeypatch.chdir(repo_root)
    monkeypatch.setattr(sys, 'argv', ['tools/infer.py', *args])
    try:
        runpy.run_path('tools/infer.py', run_name='__main__')
    except SystemExit as stop:
        return stop.code
    return 0


@pytest.mark.parametrize('with_config', [False, True],
                         ids=['metadata only', 'config'])
def test_onnxruntime_backend_restores_as_pytorch(with_config, dncnn_files,
                                                 tmp_path, monkeypatch,
                                                 repo_root):
    checkpoint, onnx_file, image = dncnn_files
    tiles = ['--tile', '40', '--tile-overlap', '16']
    assert _infer([CONFIG, '--checkpoint', str(checkpoint), '--input',
                   str(image), '--output', str(tmp_path / 'pt.png'), *tiles],
                  monkeypatch, repo_root) == 0
    config = [CONFIG] if with_config else []
    assert _infer([*config, '--backend', 'onnxruntime', '--checkpoint',
                   str(onnx_file), '--input', str(image), '--output',
                   str(tmp_path / 'ort.png'), *tiles],
                  monkeypatch, repo_root) == 0
    pt = cv2.imread(str(tmp_path / 'pt.png')).astype(int)
    ort = cv2.imread(str(tmp_path / 'ort.png')).astype(int)
    assert pt.shape == ort.shape == (77, 103, 3)
    # Float differences below 0.05 grey levels: one level at most, where
    # a value sits at a rounding boundary.
    assert np.abs(pt - ort).max() <= 1
    assert np.mean(pt != ort) < 0.01


def test_a_config_that_does_not_fit_the_file_is_refused(
        dncnn_files, tmp_path, monkeypatch, repo_root, capsys):
    _, onnx_file, image = dncnn_files
    status = _infer(['configs/cyclegan/cyclegan_demo.py', '--backend',
                     'onnxruntime', '--checkpoint', str(onnx_file),
                     '--input', str(image), '--output',
                     str(tmp_path / 'x.png')], monkeypatch, repo_root)
    assert status == 2
    err = capsys.readouterr().err
    assert (f'{onnx_file} was not exported from configs/cyclegan/'
            'cyclegan_demo.py: the config has value range [-1,1] (the '
            'file: [0,1]); pad_size_divisor 4 (the file: 1)') in err
    assert not (tmp_path / 'x.png').exists()


def test_backend_usage_errors(dncnn_files, tmp_path, monkeypatch, repo_root,
                              capsys):
    checkpoint, onnx_file, image = dncnn_files
    common = ['--input', str(image), '--output', str(tmp_path / 'x.png')]
    assert _infer(['--checkpoint', str(checkpoint), *common], monkeypatch,
                  repo_root) == 2
    assert 'CONFIG is required with --backend pytorch' in \
        capsys.readouterr().err
    assert _infer(['--backend', 'onnxruntime', '--checkpoint',
                   str(onnx_file), '--tile-norm-stats', 'window', *common],
                  monkeypatch, repo_root) == 2
    assert '--tile-norm-stats: PyTorch backend only' in \
        capsys.readouterr().err
    # A checkpoint that is no ONNX file: one line, exit 2.
    assert _infer(['--backend', 'onnxruntime', '--checkpoint',
                   str(checkpoint), *common], monkeypatch, repo_root) == 2
    err = capsys.readouterr().err
    assert f'{checkpoint} is not an ONNX file' in err
    assert 'Traceback' not in err
