# Table V, "KT + BDA + EICL": domain adaptation without the extended
# feature-grained contrastive loss.
_base_ = ['./da_mprnet.py']
model = dict(feature_loss=None)
custom_hooks = []
