import torch

from toolbox.models.layers.attention import (ChannelAttention,
                                             ChannelAttentionBlock)


def test_channel_attention_against_the_formula():
    torch.manual_seed(0)
    ca = ChannelAttention(8, reduction=4, bias=True)
    x = torch.randn(2, 8, 5, 6)
    w1, b1 = ca.conv_du[0].weight[:, :, 0, 0], ca.conv_du[0].bias
    w2, b2 = ca.conv_du[2].weight[:, :, 0, 0], ca.conv_du[2].bias
    squeeze = x.mean(dim=(2, 3))                       # N×C
    gate = torch.sigmoid(torch.relu(squeeze @ w1.t() + b1) @ w2.t() + b2)
    assert torch.allclose(ca(x), x * gate[:, :, None, None], atol=1e-6)


def test_block_is_residual_and_keeps_official_names():
    block = ChannelAttentionBlock(4, kernel_size=3, reduction=2)
    names = set(block.state_dict())
    assert {'body.0.weight', 'body.2.weight', 'CA.conv_du.0.weight',
            'CA.conv_du.2.weight'} == names
    for p in block.body[2].parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(1, 4, 6, 6)
    assert torch.allclose(block(x), x)  # zero body: the identity
