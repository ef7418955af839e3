# Table V, "KT + BDA", on the embedded demo data: da_mprnet_demo.py with
# the adversarial and identity losses only (no EX-MGCL), as
# da_mprnet_bda.py is to da_mprnet.py.
_base_ = ['./da_mprnet_demo.py']
model = dict(feature_loss=None, image_loss=None)
custom_hooks = []  # the decay hook scales EFCL, which this row drops
