# Table 6, left: 5 FD-layers per FDM (and as many FA-layers); 3 is the
# default (configs/fdrnet/fdrnet_did_hy.py).
_base_ = ['./fdrnet_did_hy.py']
model = dict(generator=dict(num_fd_layers=5))
