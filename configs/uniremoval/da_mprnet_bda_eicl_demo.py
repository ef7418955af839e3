# Table V, "KT + BDA + EICL", on the embedded demo data: da_mprnet_demo.py
# without the extended feature-grained contrastive loss, as
# da_mprnet_bda_eicl.py is to da_mprnet.py.
_base_ = ['./da_mprnet_demo.py']
model = dict(feature_loss=None)
custom_hooks = []  # the decay hook scales EFCL, which this row drops
