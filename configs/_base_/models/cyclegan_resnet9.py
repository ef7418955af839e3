# CycleGAN (Zhu et al., ICCV 2017) as released in
# pytorch-CycleGAN-and-pix2pix: ResNet-9 generators (64 channels, instance
# norm, no dropout), 70×70 PatchGAN discriminators (3 layers), LSGAN,
# λ_cycle 10, λ_identity 0.5, image pools of 50, normal(0, 0.02) init,
# networks in [-1, 1]. docs/models/cyclegan.md
generator = dict(type='ResnetGenerator', in_channels=3, out_channels=3,
                 base_channels=64, num_blocks=9, norm='instance',
                 init_type='normal', init_gain=0.02)
discriminator = dict(type='PatchGANDiscriminator', in_channels=3,
                     base_channels=64, num_layers=3, norm='instance',
                     init_type='normal', init_gain=0.02)
lambda_cycle = 10.0
lambda_identity = 0.5
model = dict(
    type='CycleGAN',
    generator=generator,
    discriminator=discriminator,
    gan_loss=dict(type='GANLoss', gan_type='lsgan'),
    losses=[
        # Eq. (2): |G_b2a(G_a2b(a)) - a|_1 + |G_a2b(G_b2a(b)) - b|_1.
        dict(type='CycleConsistencyLoss', loss_weight=lambda_cycle,
             loss_name='cycle',
             inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
        # Identity: |G_b2a(a) - a|_1 + |G_a2b(b) - b|_1, weighted
        # λ_identity · λ_cycle as in the official code.
        dict(type='IdentityLoss', loss_weight=lambda_identity * lambda_cycle,
             inputs=[('idt_a', 'real_a'), ('idt_b', 'real_b')]),
    ],
    pool_size=50,
    data_preprocessor=dict(type='RestorationDataPreprocessor',
                           value_range='[-1,1]', pad_size_divisor=4),
    # The official order: generators first, then the discriminators on
    # the same (pooled) fakes.
    train_cfg=dict(order=('generator', 'discriminator')),
    test_cfg=dict(direction='a2b'),
)

# One Adam for both generators and one for both discriminators, as
# released (Adam is per parameter, so grouping does not change the
# update; it only decides which schedulers and AMP scalers go together).
optimizer = dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generators=dict(type='OptimWrapper', optimizer=optimizer,
                    modules=('generator_a2b', 'generator_b2a')),
    discriminators=dict(type='OptimWrapper', optimizer=optimizer,
                        modules=('discriminator_a', 'discriminator_b')),
)
# DDP: one wrapper per network, so each phase's backward reduces only the
# networks it trains (tools/dist_train.sh).
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
