# Table 5, third row: without the auxiliary ResBlock branch (and so without
# the fusion): 1,210,283 parameters (paper: 1.21M).
_base_ = ['./fdrnet_did_hy.py']
model = dict(generator=dict(num_aux_blocks=0))
