# Table 4, "w/o L_fre": DCD-GAN on Rain800 without the frequency loss,
# Eq. (5). docs/methods/dcdgan.md#ablations
_base_ = ['./dcdgan_rain800.py']
model = dict(losses=[
    dict(type='ColorCycleLoss', loss_weight=1.0, form='paper',
         loss_name='color_cycle',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
])
