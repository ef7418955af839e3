import pytest
import torch

from toolbox.models.losses import VGG19FeatureExtractor
from toolbox.models.losses.vgg_features import (VGG19_FILENAME,
                                                default_vgg19_path,
                                                vgg19_layer_names)

SHALLOW = ('relu1_1', 'relu2_1')


def test_layer_layout_matches_torchvision_indices():
    names = vgg19_layer_names()
    # torchvision's vgg19().features: 37 modules; MAWR's slices end at
    # relu1_1=1, relu2_1=6, relu3_1=11, relu4_1=20, relu5_1=29.
    assert len(names) == 37
    assert [names.index(n) for n in ('relu1_1', 'relu2_1', 'relu3_1',
                                     'relu4_1', 'relu5_1')] == [1, 6, 11,
                                                                20, 29]
    net = VGG19FeatureExtractor(layers=SHALLOW, pretrained=None)
    assert list(net.state_dict()) == [
        'features.0.weight', 'features.0.bias', 'features.2.weight',
        'features.2.bias', 'features.5.weight', 'features.5.bias']
    out = net(torch.rand(1, 3, 16, 16))
    assert list(out) == list(SHALLOW)
    assert out['relu2_1'].shape == (1, 128, 8, 8)
    assert all(not p.requires_grad for p in net.parameters())
    net.train()
    assert not net.training  # frozen extractors stay in eval mode


def torchvision_like_file(path, seed=0):
    """A file shaped like torchvision's vgg19 state dict (first block)."""
    torch.manual_seed(seed)
    state = {
        'features.0.weight': torch.randn(64, 3, 3, 3),
        'features.0.bias': torch.randn(64),
        'features.2.weight': torch.randn(64, 64, 3, 3),
        'features.2.bias': torch.randn(64),
        'classifier.0.weight': torch.randn(2, 2),
    }
    torch.save(state, path)
    return state


def test_loads_torchvision_file_from_path_and_hub_cache(tmp_path,
                                                        monkeypatch):
    state = torchvision_like_file(tmp_path / 'vgg.pth')
    net = VGG19FeatureExtractor(layers=('relu1_2', ),
                                pretrained=str(tmp_path / 'vgg.pth'))
    assert torch.equal(net.features[2].weight, state['features.2.weight'])
    # 'torch_hub' reads $TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'home'))
    expected = tmp_path / 'home' / 'hub' / 'checkpoints' / VGG19_FILENAME
    assert default_vgg19_path() == str(expected)
    with pytest.raises(FileNotFoundError, match=str(expected)):
        VGG19FeatureExtractor(layers=('relu1_1', ))
    expected.parent.mkdir(parents=True)
    torchvision_like_file(expected, seed=1)
    hub = VGG19FeatureExtractor(layers=('relu1_1', ))
    assert not torch.equal(hub.features[0].weight, net.features[0].weight)


def test_input_normalisation_and_range(tmp_path):
    x = torch.rand(1, 3, 8, 8)
    plain = VGG19FeatureExtractor(layers=('conv1_1', ), pretrained=None,
                                  use_input_norm=False)
    normed = VGG19FeatureExtractor(layers=('conv1_1', ), pretrained=None,
                                   use_input_norm=True)
    normed.load_state_dict(plain.state_dict())
    conv = plain.features[0]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    assert torch.allclose(normed(x)['conv1_1'], conv((x - mean) / std),
                          atol=1e-5)
    signed = VGG19FeatureExtractor(layers=('conv1_1', ), pretrained=None,
                                   use_input_norm=False, input_range='[-1,1]')
    signed.load_state_dict(plain.state_dict())
    assert torch.allclose(signed(x * 2 - 1)['conv1_1'], conv(x), atol=1e-5)


def test_bad_options_and_files(tmp_path):
    with pytest.raises(KeyError, match='relu9_9'):
        VGG19FeatureExtractor(layers=('relu9_9', ), pretrained=None)
    torch.save({'features.0.weight': torch.zeros(64, 3, 3, 3)},
               tmp_path / 'partial.pth')
    with pytest.raises(RuntimeError, match='partial.pth.*features.0.bias'):
        VGG19FeatureExtractor(layers=('relu1_1', ),
                              pretrained=str(tmp_path / 'partial.pth'))
