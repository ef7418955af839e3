# Table 4, "w L_cyc": DCD-GAN on Rain800 with the ordinary L1
# cycle-consistency loss in place of the colour cycle loss (same weight,
# 1; the colour loss, a sum of three per-channel mean errors, is exactly 3×
# this one: docs/methods/dcdgan.md#ablations).
_base_ = ['./dcdgan_rain800.py']
model = dict(losses=[
    dict(type='CycleConsistencyLoss', loss_weight=1.0, loss_name='cycle',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
    dict(type='FrequencyLoss', loss_weight=0.1, form='l1',
         loss_name='frequency',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
])
