# Uni-Removal, stage 2: domain adaptation (DA) with the adversarial,
# identity and EX-MGCL losses (KT + BDA + EICL + EFCL, the last row of
# Table V). Zhang et al., "Uni-Removal", 2023, III-C, III-D (Eqs. 7-13),
# IV-A; docs/methods/uniremoval.md
#
# 1. Teachers, then knowledge transfer (configs/uniremoval/kt_mprnet.py).
# 2. python tools/train.py configs/uniremoval/da_mprnet.py
#    (another KT checkpoint: --cfg-options model.student_checkpoint=PATH)
# 3. python tools/test.py configs/uniremoval/da_mprnet.py \
#        work_dirs/da_mprnet/epoch_40.pth
#    BRISQUE/PIQE on RTTS, SPA, RealBlur-J (Tables I-III, V) and PSNR/SSIM
#    on SOTS, Rain1400, GoPro (configs/_base_/datasets/uniremoval_test.py).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/uniremoval_test.py'
]

# ---------------------------------------------------------------- model
generator = dict(type='MPRNet', variant='deraining')  # the KT student's
temperature = 1e-6  # τ, "for both stages" (IV-A2)
# IV-A2 lists four weights, 0.5 / 0.1 / 0.1 / 0.01, whose symbols the text
# lost. The toolbox reads them in the order the stage-1 weights are given
# (feature-grained first) and then Eq. (13)'s other terms: λ_ef = 0.5,
# λ_ei = 0.1, λ_idt = 0.1, λ_adv = 0.01 (docs/methods/uniremoval.md says
# why, and gives the other readings as one-line overrides).
model = dict(
    type='UniRemovalDA',
    generator=generator,
    # "We train a discriminator in an adversarial setting" (III-C): the
    # paper names none; the 70×70 PatchGAN of the CycleGAN family.
    discriminator=dict(type='PatchGANDiscriminator', base_channels=64,
                       num_layers=3, norm='instance'),
    # The KT stage's work dir (its newest checkpoint) or a .pth file.
    student_checkpoint='work_dirs/kt_mprnet',
    # Eq. (7), λ_adv = 0.01. The paper writes the vanilla (log) form;
    # LSGAN and hinge: gan_type='lsgan' | 'hinge'.
    gan_loss=dict(type='GANLoss', gan_type='vanilla', loss_weight=0.01),
    # Eq. (8), λ_idt = 0.1: real clear images pass unchanged. (Its
    # sentence in III-D says "between the input real-world degraded images
    # and output restored images"; that reading: inputs=('restored',
    # 'real_degraded').)
    losses=[dict(type='IdentityLoss', loss_weight=0.1,
                 inputs=('restored_clear', 'real_clear'))],
    # Eq. (10), λ_ef = 0.5, decayed by 0.99 per epoch (custom_hooks).
    feature_loss=dict(type='ExtendedFeatureContrastiveLoss', loss_weight=0.5,
                      temperature=temperature, reduction='flatten'),
    feature_keys=('dec2_0', 'dec2_1', 'dec2_2', 'orsnet'),
    # Eq. (11), λ_ei = 0.1, φ = VGG-19 as in stage 1.
    image_loss=dict(
        type='ExtendedImageContrastiveLoss', loss_weight=0.1,
        temperature=temperature, reduction='flatten',
        embedding=dict(
            type='VGG19FeatureExtractor',
            layers=('relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'),
            pretrained='torch_hub', use_input_norm=True),
        layer_weights=(1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)),
    pool_size=0,
    data_preprocessor=dict(type='RestorationDataPreprocessor',
                           value_range='[-1,1]', pad_size_divisor=8),
)

# ----------------------------------------------------------------- data
# IV-A1: "when fine-tuning Uni-Removal, we used a mixture of URHI, SPA and
# BLUR-J". Each real degraded image (with its label) meets a random real
# clear image; the layout (docs/datasets.md, "Uni-Removal's real-world
# data"): data/uniremoval_real/{haze,rain,blur}/ and .../clear/.
real_root = 'data/uniremoval_real'
crop_size = 256
real_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='ref'),
    dict(type='PairedRandomCrop', crop_size=crop_size, keys=['img']),
    dict(type='PairedRandomCrop', crop_size=crop_size, keys=['ref']),
    dict(type='Flip', keys=['img'], direction='horizontal'),
    dict(type='Flip', keys=['ref'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
labels = ['haze', 'rain', 'blur']
# Every batch carries every degradation (EFCL's negatives are the other
# types), as in stage 1: the degradation-balanced sampler, one epoch = one
# pass over the mixture.
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DegradationBalancedSampler', shuffle=True,
                 infinite=False),
    dataset=dict(
        type='MixedDegradationDataset',
        labels=labels,
        name='urhi_spa_realblurj',
        datasets=[
            dict(type='UnpairedImageDataset', data_root=real_root,
                 data_prefix=dict(img=label, ref='clear'),
                 pipeline=real_pipeline, name=f'real_{label}')
            for label in labels
        ]))

test_dataloader = {{_base_.uniremoval_test_dataloader}}
test_evaluator = {{_base_.uniremoval_test_evaluator}}

# ------------------------------------------------------------- schedule
# IV-A2: 40 epochs, Adam β (0.5, 0.999); the rate is blank in the paper:
# 2e-4 as in stage 1. The same rate and betas for the discriminator.
max_epochs = 40
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optimizer = dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generators=dict(type='OptimWrapper', optimizer=optimizer,
                    modules='generator'),
    discriminators=dict(type='OptimWrapper', optimizer=optimizer,
                        modules='discriminator'))
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel',
                         broadcast_buffers=False,
                         find_unused_parameters=False)
# "There is also a decay of 0.99 on every epoch" (IV-A2): λ_ef, as λ_f in
# stage 1 (III-C: "we assign a small trade-off weight to the
# feature-grained contrastive loss and gradually decrease it").
custom_hooks = [
    dict(type='LossWeightDecayHook', decays=dict(feature_loss=0.99),
         by_epoch=True, interval=1),
]
param_scheduler = [dict(type='ExponentialLR', gamma=1.0, by_epoch=True)]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=5, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
