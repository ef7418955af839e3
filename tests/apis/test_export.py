"""ONNX export (toolbox/apis/export.py, tools/export.py) and ONNX Runtime
inference (toolbox/deploy/onnx_runtime.py) against the PyTorch path."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')

from toolbox.apis import init_model  # noqa: E402
from toolbox.apis import export as export_api  # noqa: E402
from toolbox.apis.export import (DEFAULT_TOLERANCE,  # noqa: E402
                                 ExportMismatchError, check_image,
                                 export_model, export_onnx, torch_pixels)
from toolbox.deploy.onnx_metadata import MetadataError  # noqa: E402
from toolbox.deploy.onnx_runtime import OnnxRestorer  # noqa: E402

# Every network family the toolbox infers with, built from its configs at
# small widths (export time depends on the number of layers, not on
# their width). MPRNet: the demo deraining teacher with its trained
# weights (tests/data, see tests/apis/test_tiling_seams.py).
FAMILIES = {
    'dncnn': ('configs/fdrnet/dncnn_demo.py', None, {}),
    'fdrnet': ('configs/fdrnet/fdrnet_demo.py', None,
               {'model.generator.channels': 8}),
    'mprnet': ('configs/uniremoval/teacher_derain_demo.py',
               'tests/data/mprnet_derain_demo_fp16.pth', {}),
    'cyclegan': ('configs/cyclegan/cyclegan_demo.py', None,
                 {'model.generator.base_channels': 8,
                  'model.generator.num_blocks': 2}),
    'dcdgan': ('configs/dcdgan/dcdgan_demo.py', None,
               {'model.generator.base_channels': 8,
                'model.generator.num_blocks': 2}),
}


def _model(repo_root, family):
    config, checkpoint, options = FAMILIES[family]
    torch.manual_seed(0)
    return init_model(f'{repo_root}/{config}',
                      checkpoint and f'{repo_root}/{checkpoint}',
                      cfg_options=options)


@pytest.fixture(scope='module')
def exported(tmp_path_factory, repo_root):
    """``family -> (model, .onnx path)``, each exported once per module."""
    folder = tmp_path_factory.mktemp('onnx')
    done = {}

    def get(family):
        if family not in done:
            config, checkpoint, options = FAMILIES[family]
            out = str(folder / f'{family}.onnx')
            torch.manual_seed(0)
            export_onnx(f'{repo_root}/{config}',
                        checkpoint and f'{repo_root}/{checkpoint}', out,
                        cfg_options=options)
            torch.manual_seed(0)
            done[family] = (_model(repo_root, family), out)
        return done[family]

    return get


def _photo(height, width, top=200, left=60):
    from skimage import data
    return np.ascontiguousarray(
        data.astronaut()[top:top + height, left:left + width])


@pytest.mark.parametrize('family', list(FAMILIES))
def test_export_agrees_with_pytorch_at_other_sizes(family, exported):
    model, path = exported(family)
    restorer = OnnxRestorer(path)
    meta = restorer.metadata
    pre = model.data_preprocessor
    assert meta.value_range == pre.value_range
    assert meta.pad_size_divisor == max(pre.pad_size_divisor, 1)
    assert meta.channel_order == 'RGB' and meta.opset == 18
    assert meta.network == type(model.inference_network()).__name__
    assert meta.instance_norm == (family in ('cyclegan', 'dcdgan'))
    assert 0 <= meta.max_abs_diff <= DEFAULT_TOLERANCE
    # Another photo crop, odd sides, neither the traced (64) nor the check
    # size: the whole pipeline (range, padding in the graph, crop).
    image = _photo(45, 71)
    diff = np.abs(restorer.restore_pixels(image) - torch_pixels(model, image))
    assert diff.max() <= DEFAULT_TOLERANCE
    # Dynamic batch: three images at once, as the network sees them.
    network = export_api.ExportableNetwork(
        model.inference_network(), meta.pad_size_divisor).eval()
    batch = torch.rand(3, 3, 29, 38) * 2 - 1
    if meta.value_range == '[0,1]':
        batch = (batch + 1) / 2
    with torch.no_grad():
        expected = network(batch).numpy()
    got = restorer.run(batch.numpy())
    assert got.shape == expected.shape
    scale = 255 if meta.value_range == '[0,1]' else 127.5
    assert np.abs(got - expected).max() * scale <= DEFAULT_TOLERANCE


@pytest.mark.parametrize('family,tile,overlap', [
    ('dncnn', 24, 8), ('mprnet', 40, 16), ('cyclegan', 36, 12)])
def test_onnx_runtime_tiles_as_the_pytorch_path(family, tile, overlap,
                                                exported, monkeypatch):
    model, path = exported(family)
    restorer = OnnxRestorer(path)
    image = _photo(61, 83)
    # ONNX Runtime tiles normalise instance norms per window: compare
    # with the PyTorch path doing the same. (The model is the module's
    # shared one: monkeypatch gives its untiled test_cfg back.)
    monkeypatch.setattr(model, 'test_cfg', dict(
        model.test_cfg, tile=tile, tile_overlap=overlap, tile_batch=2,
        tile_norm_stats='window'))
    expected = torch_pixels(model, image)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        got = restorer.restore_pixels(image, tile=tile,
                                      tile_overlap=overlap, tile_batch=2)
    assert np.abs(got - expected).max() <= DEFAULT_TOLERANCE
    # Instance-norm files say that their tiles use their own statistics.
    warned = any('instance norm' in str(w.message) for w in caught)
    assert warned == restorer.metadata.instance_norm
    # Tiling did something: the untiled result differs (a local DnCNN
    # only beyond its trim; MPRNet and instance norm everywhere).
    if family != 'dncnn':
        assert np.abs(restorer.restore_pixels(image) - got).max() > 0.5
    uint8 = restorer.restore_image(image, tile=tile, tile_overlap=overlap)
    assert uint8.dtype == np.uint8 and uint8.shape == image.shape


def test_sides_too_small_to_reflect_are_replicated_first(exported):
    # MPRNet (divisor 8) runs on an 8×8 input; the ResNet generators'
    # reflect pads inside need more, in PyTorch too.
    model, path = exported('mprnet')
    restorer = OnnxRestorer(path)
    for height, width in ((3, 11), (4, 4), (1, 1)):
        image = _photo(height, width)
        diff = np.abs(restorer.restore_pixels(image) -
                      torch_pixels(model, image))
        assert diff.max() <= DEFAULT_TOLERANCE, (height, width)


def test_the_check_photo_is_neither_the_traced_size_nor_even():
    image = check_image()
    assert image.shape[0] % 2 == 1 and image.shape[1] % 2 == 1
    assert image.shape[:2] != export_api.TRACE_SHAPE[2:]
    assert image.std() > 30  # a photograph, not a flat patch


def test_a_mismatch_beyond_the_tolerance_writes_nothing(
        tmp_path, repo_root, monkeypatch):
    model = _model(repo_root, 'dncnn')
    out = tmp_path / 'dncnn.onnx'
    out.write_bytes(b'the previous file')
    real = export_api.torch_pixels
    # A PyTorch path one grey level off (as a broken export would be).
    monkeypatch.setattr(export_api, 'torch_pixels',
                        lambda m, image: real(m, image) + 1)
    with pytest.raises(ExportMismatchError,
                       match=r'dncnn\.onnx: ONNX Runtime differs from '
                       r'PyTorch by 1 grey levels.*nothing written'):
        export_model(model, str(out))
    assert out.read_bytes() == b'the previous file'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['dncnn.onnx']
    # A tolerance of 0 refuses real float differences too (or passes
    # only when there are none).
    monkeypatch.setattr(export_api, 'torch_pixels', real)
    try:
        report = export_model(model, str(tmp_path / 'zero.onnx'),
                              tolerance=0)
    except ExportMismatchError:
        assert not (tmp_path / 'zero.onnx').exists()
    else:
        assert report.metadata.max_abs_diff == 0


def test_export_refuses_bad_options_before_building(tmp_path, repo_root):
    from toolbox.user_errors import UserError
    config = f'{repo_root}/configs/fdrnet/dncnn_demo.py'
    with pytest.raises(UserError, match='must end in .onnx'):
        export_onnx(config, None, str(tmp_path / 'model.pt'))
    with pytest.raises(UserError, match='--tolerance must be >= 0'):
        export_onnx(config, None, str(tmp_path / 'm.onnx'), tolerance=-1)


def test_uniremoval_exports_its_student(repo_root, monkeypatch, tmp_path):
    model = init_model(f'{repo_root}/configs/uniremoval/kt_mprnet_demo.py')
    seen = {}

    def capture(wrapper, opset=18):
        seen['network'] = wrapper.network
        raise RuntimeError('stop here')

    monkeypatch.setattr(export_api, 'onnx_program', capture)
    with pytest.raises(RuntimeError, match='stop here'):
        export_model(model, str(tmp_path / 'student.onnx'))
    # The student (KT keeps it as `generator`), not a teacher.
    assert type(model).__name__ == 'UniRemovalKT'
    assert seen['network'] is model.generator
    assert type(seen['network']).__name__ == 'MPRNet'
    assert seen['network'].n_feat == 16


def test_a_file_without_toolbox_metadata_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper
    value = helper.make_tensor_value_info('input', TensorProto.FLOAT,
                                          [1, 3, 4, 4])
    out = helper.make_tensor_value_info('output', TensorProto.FLOAT,
                                        [1, 3, 4, 4])
    graph = helper.make_graph([helper.make_node('Identity', ['input'],
                                                ['output'])],
                              'plain', [value], [out])
    path = tmp_path / 'plain.onnx'
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid('', 18)]), str(path))
    with pytest.raises(MetadataError, match='plain.onnx has no '
                       'toolbox.value_range metadata'):
        OnnxRestorer(str(path))


def test_the_runner_imports_no_torch():
    code = ('import sys; import toolbox.deploy.onnx_runtime; '
            'print("torch" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True,
                         env={**os.environ, 'PYTHONPATH': os.pathsep.join(
                             sys.path)}).stdout.strip()
    assert out == 'False'


def _run_tool(args, monkeypatch, repo_root):
    """``tools/export.py ARGS`` in this process (so a test can patch it);
    its exit status."""
    import runpy
    monkeypatch.chdir(repo_root)
    monkeypatch.setattr(sys, 'argv', ['tools/export.py', *args])
    try:
        runpy.run_path('tools/export.py', run_name='__main__')
    except SystemExit as stop:
        return stop.code
    return 0


@pytest.fixture
def dncnn_checkpoint(tmp_path, repo_root):
    """A network-only file of the demo DnCNN (random weights)."""
    checkpoint = tmp_path / 'dncnn.pth'
    torch.save(_model(repo_root, 'dncnn').generator.state_dict(), checkpoint)
    return checkpoint


def test_tool_exports_a_checkpoint(tmp_path, repo_root, monkeypatch,
                                   capsys, dncnn_checkpoint):
    out = tmp_path / 'dncnn.onnx'
    status = _run_tool(['configs/fdrnet/dncnn_demo.py',
                        str(dncnn_checkpoint), '--out', str(out)],
                       monkeypatch, repo_root)
    assert status == 0
    assert f'{out}: DnCNN (Restorer), opset 18' in capsys.readouterr().out
    meta = OnnxRestorer(str(out)).metadata
    assert meta.checkpoint == str(dncnn_checkpoint)
    assert meta.config.endswith('configs/fdrnet/dncnn_demo.py')


def test_tool_refuses_a_mismatch_in_one_line_and_writes_nothing(
        tmp_path, repo_root, monkeypatch, capsys, dncnn_checkpoint):
    real = export_api.torch_pixels
    monkeypatch.setattr(export_api, 'torch_pixels',
                        lambda m, image: real(m, image) + 0.5)
    status = _run_tool(['configs/fdrnet/dncnn_demo.py',
                        str(dncnn_checkpoint), '--out',
                        str(tmp_path / 'x.onnx')], monkeypatch, repo_root)
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith(f'tools/export.py: error: {tmp_path}/x.onnx: '
                          'ONNX Runtime differs from PyTorch by 0.5 grey')
    assert len(err.strip().splitlines()) == 2  # the message, the --debug hint
    assert sorted(p.name for p in tmp_path.iterdir()) == ['dncnn.pth']


def test_metadata_round_trips_and_refuses_what_it_cannot_read():
    from toolbox.deploy.onnx_metadata import ExportMetadata
    meta = ExportMetadata(value_range='[-1,1]', pad_size_divisor=4,
                          instance_norm=True, max_abs_diff=3e-4,
                          tolerance=0.05, network='ResnetGenerator')
    props = meta.to_props()
    assert props['toolbox.instance_norm'] == 'true'
    assert ExportMetadata.from_props(props) == meta
    with pytest.raises(MetadataError, match=r"one of \('\[0,1\]', "):
        ExportMetadata.from_props(dict(props, **{
            'toolbox.value_range': '[0,255]'}))
    with pytest.raises(MetadataError, match='metadata format 2'):
        ExportMetadata.from_props(dict(props, **{'toolbox.format': '2'}))
