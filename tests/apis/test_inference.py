"""init_model / restore_image / restore_path."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from toolbox.apis import init_model, restore_image, restore_path
from toolbox.registry import MODELS
from toolbox.user_errors import UserError

TINY_MPRNET = dict(type='MPRNet', n_feat=8, scale_unetfeats=4,
                   scale_orsnetfeats=4, num_cab=1)


def restorer_cfg(generator):
    return Config(dict(model=dict(
        type='Restorer', generator=generator,
        losses=[dict(type='CharbonnierLoss')],
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[0,1]', pad_size_divisor=8))))


def image(h=37, w=53, seed=0):
    small = np.random.default_rng(seed).integers(0, 256, (5, 7, 3))
    return cv2.resize(small.astype(np.uint8), (w, h),
                      interpolation=cv2.INTER_CUBIC)


@torch.no_grad()
def test_official_format_checkpoint_restores_like_the_network(tmp_path):
    torch.manual_seed(0)
    net = MODELS.build(TINY_MPRNET).eval()
    state = {'module.' + k: v for k, v in net.state_dict().items()}
    path = tmp_path / 'model_deraining.pth'
    torch.save({'state_dict': state}, path)
    torch.manual_seed(1)
    model = init_model(restorer_cfg(TINY_MPRNET), str(path))
    img = image()
    out = restore_image(model, img)
    assert out.dtype == np.uint8 and out.shape == img.shape
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    expected = (net(x)[0][0].permute(1, 2, 0) * 255).clamp(0, 255).round()
    diff = np.abs(out.astype(int) - expected.byte().numpy().astype(int))
    assert diff.max() <= 1  # float rounding may flip a rounding step


def test_missing_checkpoint_names_the_file(tmp_path):
    path = str(tmp_path / 'missing_weights.pth')
    with pytest.raises(FileNotFoundError, match='missing_weights.pth'):
        init_model(restorer_cfg(TINY_MPRNET), path)


def test_checkpoint_of_another_network_is_refused(tmp_path):
    torch.manual_seed(0)
    other = MODELS.build(dict(TINY_MPRNET, n_feat=16))
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict()}, path)
    with pytest.raises(RuntimeError, match='size mismatch|do not match'):
        init_model(restorer_cfg(TINY_MPRNET), str(path))


@pytest.mark.parametrize('device', ['gpu0', 'cuda:99'] + (
    [] if torch.cuda.is_available() else ['cuda']))
def test_an_unusable_device_is_a_user_error(device):
    """``--device`` of tools/infer.py, export.py, analyze_score_path.py: a
    name PyTorch cannot use is a one-line error naming it (it was an
    AssertionError from torch.cuda on a CPU-only build)."""
    with pytest.raises(UserError, match=repr(device)):
        init_model(restorer_cfg(TINY_MPRNET), device=device)


@pytest.mark.parametrize('overlap,blend,batch', [
    (16, 0.5, 1), (12, 0.5, 4), (8, 0.0, 2)])
@torch.no_grad()
def test_tiled_dncnn_equals_untiled_within_one_grey_level(
        overlap, blend, batch):
    """DnCNN is purely local: depth 3 reaches 3 pixels; tiles keep every
    output pixel at least trim = floor(overlap * (1 - blend) / 2) >= 3
    pixels from a cut edge, so blending only mixes exact values."""
    dncnn = dict(type='DnCNN', mid_channels=8, depth=3, norm=None)
    torch.manual_seed(0)
    model = init_model(restorer_cfg(dncnn))
    img = image(70, 45)  # several 24×24 tiles in each direction
    untiled = restore_image(model, img)
    tiled = restore_image(model, img, tile=24, tile_overlap=overlap,
                          tile_blend=blend, tile_batch=batch)
    diff = np.abs(tiled.astype(int) - untiled.astype(int))
    assert diff.max() <= 1  # float rounding may flip a rounding step
    # The tile setting was for that call only.
    assert not model.test_cfg.get('tile')


def test_restore_image_checks_tile_options():
    model = init_model(restorer_cfg(
        dict(type='DnCNN', mid_channels=4, depth=2, norm=None)))
    with pytest.raises(ValueError, match='tile_overlap'):
        restore_image(model, image(), tile=16, tile_overlap=16)
    with pytest.raises(ValueError, match='tile_batch'):
        restore_image(model, image(), tile=16, tile_overlap=8, tile_batch=0)
    assert not model.test_cfg.get('tile')


def test_restore_image_rejects_non_uint8_rgb():
    model = init_model(restorer_cfg(
        dict(type='DnCNN', mid_channels=4, depth=2, norm=None)))
    with pytest.raises(ValueError, match='uint8'):
        restore_image(model, np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='uint8'):
        restore_image(model, np.zeros((8, 8), np.uint8))


def test_restore_path_file_and_folder(tmp_path):
    model = init_model(restorer_cfg(
        dict(type='DnCNN', mid_channels=4, depth=2, norm=None)))
    src = tmp_path / 'in'
    (src / 'sub').mkdir(parents=True)
    cv2.imwrite(str(src / 'a.png'), image(20, 30))
    cv2.imwrite(str(src / 'sub' / 'b.jpg'), image(17, 9, seed=1))
    assert restore_path(model, str(src), str(tmp_path / 'out'),
                        progress=False) == 2
    # Every written file holds what restore_image gives for its source
    # (RGB in, RGB out; the files are BGR): right pixels, right file.
    for source, written in (('a.png', 'a.png'), ('sub/b.jpg', 'sub/b.png')):
        rgb = cv2.imread(str(src / source))[..., ::-1]
        expected = restore_image(model, rgb)
        out = cv2.imread(str(tmp_path / 'out' / written))
        assert out is not None and out.shape == rgb.shape, written
        assert np.array_equal(out[..., ::-1], expected), written
        assert not np.array_equal(expected, rgb)  # the model did something
    single = tmp_path / 'single.png'
    assert restore_path(model, str(src / 'a.png'), str(single)) == 1
    assert single.is_file()
    with pytest.raises(FileNotFoundError, match='nowhere'):
        restore_path(model, str(tmp_path / 'nowhere'), str(tmp_path / 'o'))
