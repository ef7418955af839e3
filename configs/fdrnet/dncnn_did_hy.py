# Table 2's DnCNN row on DID-HY with FDR-Net's recipe (see
# dncnn_div2k_hybrid.py for the network).
#   python tools/train.py configs/fdrnet/dncnn_did_hy.py
_base_ = ['./fdrnet_did_hy.py']
model = dict(
    _delete_=True,
    type='Restorer',
    generator=dict(type='DnCNN', mid_channels=64, depth=17, norm='bn'),
    losses=[dict(type='L1Loss', loss_weight=1.0)],
    data_preprocessor=dict(
        type='RestorationDataPreprocessor', value_range='[0,1]'),
)
