# Table 6, "w/o backward cycle": the clean images serve only as D_A's real
# examples: no y -> G_B -> G_A cycle, no G_B adversarial term, no backward
# CGB and so no external negatives (docs/methods/dcdgan.md#ablations).
_base_ = ['./dcdgan_rain800.py']
model = dict(
    backward_cycle=False,
    losses=[
        dict(type='ColorCycleLoss', loss_weight=1.0, form='paper',
             loss_name='color_cycle', inputs=[('rec_a', 'real_a')]),
        dict(type='FrequencyLoss', loss_weight=0.1, form='l1',
             loss_name='frequency', inputs=[('rec_a', 'real_a')]),
    ])
