# Table 5, second row: FD- and FA-layers replaced by ResBlocks (11 per
# phase: 1,672,787 parameters, the closest to the full model's 1,660,571;
# paper: 1.62M vs 1.66M). No FDM, so no SVDO loss.
_base_ = ['./fdrnet_did_hy.py']
model = dict(
    generator=dict(lower_branch='resblocks', num_lower_blocks=11),
    train_features=None,
    losses=[dict(type='L1Loss', loss_weight=1.0, inputs=('pred', 'target'))])
