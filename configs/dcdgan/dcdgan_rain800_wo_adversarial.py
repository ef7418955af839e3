# Table 4, "w/o L_adv": DCD-GAN on Rain800 without the generators'
# adversarial terms, Eq. (4) (weight 0: the discriminators still train,
# but nothing of theirs reaches the generators).
# docs/methods/dcdgan.md#ablations
_base_ = ['./dcdgan_rain800.py']
model = dict(gan_loss=dict(loss_weight=0.0))
