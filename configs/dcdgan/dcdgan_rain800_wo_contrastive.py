# Table 4, "w/o L_con": DCD-GAN on Rain800 without the contrastive
# guidance branches (the heads stay in the model and get no gradient).
# docs/methods/dcdgan.md#ablations
_base_ = ['./dcdgan_rain800.py']
model = dict(contrastive_loss=None)
