# Table 5, "internal only": each query's negatives are the 255 other
# patches of its own image (CUT's choice), no external codes.
# docs/methods/dcdgan.md#ablations
_base_ = ['./dcdgan_rain800.py']
model = dict(contrastive_loss=dict(negatives='internal'))
