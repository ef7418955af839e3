# Table 1's DnCNN row (Zhang et al., TIP 2017) on FDR-Net's DIV2K hybrid
# data, with FDR-Net's recipe (same data, patches, batch, L1 loss and
# schedule) so the two differ by the network only. DnCNN as in its paper:
# 17 layers of 64 channels with batch norm, residual learning (558,403
# parameters).
#   python tools/train.py configs/fdrnet/dncnn_div2k_hybrid.py
_base_ = ['./fdrnet_div2k_hybrid.py']
model = dict(
    _delete_=True,
    type='Restorer',
    generator=dict(type='DnCNN', mid_channels=64, depth=17, norm='bn'),
    losses=[dict(type='L1Loss', loss_weight=1.0)],
    data_preprocessor=dict(
        type='RestorationDataPreprocessor', value_range='[0,1]'),
)
