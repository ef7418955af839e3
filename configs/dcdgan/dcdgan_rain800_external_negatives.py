# Table 5, "external only": each query's negatives are the 256 external
# codes (the other CGB's keys) and the patches of the other images of the
# batch (none at batch 1). docs/methods/dcdgan.md#ablations
_base_ = ['./dcdgan_rain800.py']
model = dict(contrastive_loss=dict(negatives='external'))
