# Table 4, "w/o L_cc": DCD-GAN on Rain800 without the colour
# cycle-consistency loss, Eq. (3). docs/methods/dcdgan.md#ablations
_base_ = ['./dcdgan_rain800.py']
model = dict(losses=[
    dict(type='FrequencyLoss', loss_weight=0.1, form='l1',
         loss_name='frequency',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
])
