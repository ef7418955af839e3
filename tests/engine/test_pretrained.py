"""Pretrained files fetched once into torch's hub cache
(toolbox/engine/pretrained.py), from local file:// addresses: no network."""
import hashlib
import os

import pytest
import torch

from toolbox.engine import pretrained
from toolbox.app.input_check import missing_inputs
from toolbox.engine.pretrained import (PRETRAINED_FILES,
                                       PretrainedDownloadError, PretrainedFile,
                                       cached_path, fetch_pretrained)
from toolbox.models.losses import VGG19FeatureExtractor
from toolbox.models.losses.vgg_features import VGG19_URL


def vgg_like_state():
    torch.manual_seed(0)
    return {'features.0.weight': torch.randn(64, 3, 3, 3),
            'features.0.bias': torch.randn(64)}


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty hub cache, downloads on, and a published VGG-19 file at a
    file:// address whose SHA-256 prefix the table knows."""
    monkeypatch.delenv('TOOLBOX_OFFLINE', raising=False)
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    published = tmp_path / 'server' / 'vgg19-xxxxxxxx.pth'
    published.parent.mkdir()
    state = vgg_like_state()
    torch.save(state, published)
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    entry = PRETRAINED_FILES['vgg19']
    monkeypatch.setitem(
        PRETRAINED_FILES, 'vgg19',
        entry._replace(url=published.as_uri(), sha256_prefix=digest[:8]))
    return tmp_path, published, state


def test_official_names_carry_their_sha256_prefix():
    # torch.hub's convention (load_state_dict_from_url's check_hash): the
    # name is <name>-<first hex digits of the SHA-256>.<ext>.
    for entry in PRETRAINED_FILES.values():
        assert torch.hub.HASH_REGEX.search(entry.filename).group(1) == \
            entry.sha256_prefix
        assert entry.url.startswith('https://')
        assert entry.url.endswith('/' + entry.filename)
    assert PRETRAINED_FILES['vgg19'].url == VGG19_URL == \
        'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth'


def test_missing_file_is_downloaded_once_and_checked(hub, monkeypatch):
    tmp_path, published, state = hub
    net = VGG19FeatureExtractor(layers=('relu1_1', ))
    path = cached_path('vgg19')
    assert path == str(tmp_path / 'hub' / 'checkpoints' / 'vgg19-dcbb9e9d.pth')
    assert os.listdir(tmp_path / 'hub' / 'checkpoints') == [
        'vgg19-dcbb9e9d.pth']
    assert torch.equal(net.features[0].weight, state['features.0.weight'])
    # Once there, it is read, not fetched again (the address is gone).
    published.unlink()
    assert fetch_pretrained('vgg19') == path
    VGG19FeatureExtractor(layers=('relu1_1', ))


def test_corrupted_download_is_rejected_and_not_kept(hub, monkeypatch):
    tmp_path, published, _ = hub
    entry = PRETRAINED_FILES['vgg19']
    monkeypatch.setitem(PRETRAINED_FILES, 'vgg19',
                        entry._replace(sha256_prefix='00000000'))
    with pytest.raises(PretrainedDownloadError, match='not kept'):
        VGG19FeatureExtractor(layers=('relu1_1', ))
    folder = tmp_path / 'hub' / 'checkpoints'
    assert os.listdir(folder) == []  # no file, no .partial left


def test_unreachable_address_names_url_and_path(hub, monkeypatch):
    tmp_path, published, _ = hub
    published.unlink()
    with pytest.raises(PretrainedDownloadError) as error:
        fetch_pretrained('vgg19')
    assert published.as_uri() in str(error.value)
    assert cached_path('vgg19') in str(error.value)
    assert os.listdir(tmp_path / 'hub' / 'checkpoints') == []


def test_offline_switches(hub, monkeypatch):
    tmp_path, _, _ = hub
    expected = str(tmp_path / 'hub' / 'checkpoints' / 'vgg19-dcbb9e9d.pth')
    with pytest.raises(FileNotFoundError) as error:
        VGG19FeatureExtractor(layers=('relu1_1', ), download=False)
    assert expected in str(error.value) and VGG19_URL in str(error.value)
    assert 'download=False' in str(error.value)
    monkeypatch.setenv('TOOLBOX_OFFLINE', '1')
    with pytest.raises(FileNotFoundError, match='TOOLBOX_OFFLINE=1'):
        VGG19FeatureExtractor(layers=('relu1_1', ))
    assert not (tmp_path / 'hub' / 'checkpoints').exists()


def test_input_check_reports_the_file_only_when_it_cannot_be_fetched(
        hub, monkeypatch):
    from mmengine.config import Config
    cfg = Config(dict(model=dict(
        type='ContrastiveLoss',
        embedding=dict(type='VGG19FeatureExtractor', layers=['relu1_1']))))
    vgg = cached_path('vgg19')
    assert vgg not in [m.path for m in missing_inputs(cfg)]
    cfg.model.embedding.download = False
    assert vgg in [m.path for m in missing_inputs(cfg)]
    cfg.model.embedding.download = True
    monkeypatch.setenv('TOOLBOX_OFFLINE', 'yes')
    reported = [m for m in missing_inputs(cfg) if m.path == vgg]
    assert reported and 'TOOLBOX_OFFLINE' in reported[0].hints[0]


def test_table_entries_are_plain_data():
    assert isinstance(PRETRAINED_FILES['vgg19'], PretrainedFile)
    assert pretrained.offline() in (True, False)
    with pytest.raises(KeyError, match='vgg19'):
        fetch_pretrained('resnet-unknown')


def test_under_ddp_rank0_downloads_and_errors_do_not_hang(hub, monkeypatch):
    tmp_path, published, _ = hub
    waits = []
    monkeypatch.setattr(pretrained, 'barrier', lambda: waits.append(1))
    # Rank 1 waits for rank 0, then finds the file rank 0 stored (here:
    # nothing, so it fetches it itself, as on a machine of its own).
    monkeypatch.setattr(pretrained, 'get_dist_info', lambda: (1, 2))
    assert os.path.isfile(fetch_pretrained('vgg19')) and waits == [1]
    os.remove(cached_path('vgg19'))
    # Rank 0's failure reaches the barrier first (the others do not wait
    # forever), then stops rank 0 with its message.
    monkeypatch.setattr(pretrained, 'get_dist_info', lambda: (0, 2))
    published.unlink()
    with pytest.raises(PretrainedDownloadError):
        fetch_pretrained('vgg19')
    assert waits == [1, 1]
