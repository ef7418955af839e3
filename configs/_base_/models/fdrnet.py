# FDR-Net (Li et al., ECCV 2020) as a supervised Restorer. Every setting the
# paper leaves open is spelled out here; docs/methods/fdrnet.md explains
# each, with the paper's reading as the default.
model = dict(
    type='Restorer',
    generator=dict(
        type='FDRNet',
        channels=32,              # Table 6: 32 saturates
        num_phases=6,             # not given; gives Table 5's 1.66M with
                                  # the sizes below
        num_fd_layers=3,          # FD-layers per FDM (Table 6: 3 saturates)
        num_process_blocks=3,     # ResBlocks of each FA-layer's process module
        num_aux_blocks=3,         # auxiliary ResBlocks (0: Table 5 w/o Aux.)
        reduction=8,              # channel attention (FA-layers and fusion)
        kernel_size=3,
        lower_branch='fdm',       # 'resblocks': Table 5 "w/o FDM" baseline
        num_lower_blocks=11,      # ResBlocks of that baseline
        fd_fa_skip=True,          # FD-layer k -> FA-layer n-k+1 (Sec. 3.5)
        dual_residual=True,       # DuRN-style dual residual between phases
        global_residual=True,
        gdn_cfg=dict(beta_min=1e-6, gamma_init=0.1),
        # Eq. (7) reuses Eq. (4)'s symbols w_ji, b_i: False gives each IGDN
        # parameters of its own (the reading that gives Table 5's totals),
        # True ties it to the GDN it mirrors (19,008 parameters fewer).
        tie_igdn=False),
    # Training asks the network for its FDM outputs (one per phase); plain
    # forward (testing, inference) returns the image only.
    train_features=('fdm', ),
    losses=[
        # Eq. (8): Loss = L1 + beta * SVDO, beta = 1e-5.
        dict(type='L1Loss', loss_weight=1.0, inputs=('pred', 'target')),
        # Eq. (5) on each phase's FDM output, averaged over the phases; the
        # Gram matrix is scaled to a 63x63 crop (the paper's patches) so the
        # weight means the same at any crop size (gram_norm='none': the
        # paper's unscaled F F^T).
        dict(type='SVDOLoss', loss_weight=1e-5, loss_name='svdo',
             gram_norm='reference',
             reference_size=63, phase_reduction='mean', inputs=('fdm', )),
    ],
    # The paper does not say; [0, 1] like most restoration code.
    data_preprocessor=dict(
        type='RestorationDataPreprocessor', value_range='[0,1]'),
)
