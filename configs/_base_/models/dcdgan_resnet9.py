# DCD-GAN (Chen et al., CVPR 2022) as in the paper, with the released
# code's networks and optimisers (cschenxiang/DCD-GAN):
# anti-aliased ResNet-9 generators and PatchGAN discriminators (CUT's
# layout, instance norm, xavier(0.02) init), two projection heads
# (two-layer MLP, 256 units, L2-normalised) on generator layers 4, 8, 12,
# 16, 256 patches per layer, τ = 0.07, hinge GAN loss with the released
# generator form, no image pool. docs/methods/dcdgan.md
generator = dict(type='ResnetGenerator', in_channels=3, out_channels=3,
                 base_channels=64, num_blocks=9, norm='instance',
                 antialias=True, init_type='xavier', init_gain=0.02)
discriminator = dict(type='PatchGANDiscriminator', in_channels=3,
                     base_channels=64, num_layers=3, norm='instance',
                     antialias=True, init_type='xavier', init_gain=0.02)
# Eq. (6): λ = 2 (contrastive), 1 (colour cycle), 1 (adversarial), 0.1
# (frequency) -- our pairing of the paper's four weights with its terms
# (docs/methods/dcdgan.md). The two directions of the contrastive and
# adversarial terms are averaged, as the released code does
# (½·λ_NCE·(NCE1 + NCE2) with λ_NCE = 2, ½·(GAN_A + GAN_B)): each CGB and
# each generator's GAN term gets λ/2. Eq. (3) already sums both cycles.
lambda_contrastive = 2.0
lambda_color_cycle = 1.0
lambda_adversarial = 1.0
lambda_frequency = 0.1
model = dict(
    type='DCDGAN',
    generator=generator,
    discriminator=discriminator,
    head=dict(type='PatchSampleMLP', num_patches=256, mlp_channels=256,
              init_type='xavier', init_gain=0.02),
    nce_layers=(4, 8, 12, 16),
    # Eq. (2); 'both': 255 internal + 256 external negatives per query
    # (Sec. 4.1), the external ones being the other CGB's key codes.
    contrastive_loss=dict(type='PatchNCELoss',
                          loss_weight=lambda_contrastive / 2,
                          temperature=0.07, negatives='both'),
    external_source='other_key',
    # Eq. (4): hinge, as released (gan_type='lsgan' or 'vanilla' also work).
    gan_loss=dict(type='GANLoss', gan_type='hinge', hinge_generator='dcdgan',
                  loss_weight=lambda_adversarial / 2),
    losses=[
        # Eq. (3): Σ_c |G_B(G_A(x))^c - x^c|_1 + |G_A(G_B(y))^c - y^c|_1.
        dict(type='ColorCycleLoss', loss_weight=lambda_color_cycle,
             form='paper', loss_name='color_cycle',
             inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
        # Eq. (5): L1 between one-sided Fourier transforms, on the same
        # pairs (our reading: the symbols of Eq. 5 are lost in the text).
        dict(type='FrequencyLoss', loss_weight=lambda_frequency, form='l1',
             loss_name='frequency',
             inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
    ],
    backward_cycle=True,
    pool_size=0,
    data_preprocessor=dict(type='RestorationDataPreprocessor',
                           value_range='[-1,1]', pad_size_divisor=4),
    # train_cfg: DCDGAN's default, as released (the discriminators step
    # first, then the generators and the heads on one loss:
    # toolbox/models/algorithms/dcdgan.py DEFAULT_TRAIN_CFG).
    # G_A (rainy -> clean) is what predict, tools/test.py and
    # tools/infer.py run.
    test_cfg=dict(direction='a2b'),
)

# Sec. 4.1 and the released options: Adam(0.5, 0.999), lr 1e-4 for the
# generators and the discriminators; the heads have their own Adam with
# PyTorch's defaults (lr 1e-3, betas (0.9, 0.999)), as released.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generators=dict(type='OptimWrapper',
                    optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)),
                    modules=('generator_a2b', 'generator_b2a')),
    discriminators=dict(type='OptimWrapper',
                        optimizer=dict(type='Adam', lr=1e-4,
                                       betas=(0.5, 0.999)),
                        modules=('discriminator_a', 'discriminator_b')),
    heads=dict(type='OptimWrapper',
               optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999)),
               modules=('head_a2b', 'head_b2a')),
)
# DDP: one wrapper per network (heads included), so each phase's backward
# reduces only the networks it trains (tools/dist_train.sh).
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
