# Table V, "KT + BDA": domain adaptation with the adversarial and identity
# losses only (no EX-MGCL).
_base_ = ['./da_mprnet.py']
model = dict(feature_loss=None, image_loss=None)
custom_hooks = []
