# MPRNet (Zamir et al., CVPR 2021) trained as released: Charbonnier +
# 0.05 x edge loss, each summed over the three stage outputs, on [0,1] images.
model = dict(
    type='Restorer',
    generator=dict(type='MPRNet', variant='deraining'),
    losses=[
        dict(type='CharbonnierLoss', eps=1e-3, loss_weight=1.0),
        dict(type='EdgeLoss', eps=1e-3, loss_weight=0.05),
    ],
    stage_loss='sum',
    data_preprocessor=dict(
        type='RestorationDataPreprocessor',
        value_range='[0,1]',
        pad_size_divisor=8),
)
