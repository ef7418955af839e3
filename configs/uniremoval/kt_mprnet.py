# Uni-Removal, stage 1: knowledge transfer (KT) with the multi-grained
# contrastive loss, BKT + ICL + FCL (the last row of Table IV).
# Zhang et al., "Uni-Removal", 2023, III-B, III-D, IV-A;
# docs/methods/uniremoval.md
#
# 1. Train the three teachers (MPRNet at one width, the student's: "the
#    structure of each teacher network remains the same", III-B):
#      python tools/train.py configs/uniremoval/teacher_dehaze_ots.py
#      python tools/train.py configs/uniremoval/teacher_derain_rain1400.py
#      python tools/train.py configs/uniremoval/teacher_deblur_gopro.py
# 2. python tools/train.py configs/uniremoval/kt_mprnet.py
#
# VGG-19 (ICL's φ) is read from $TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth
# (torchvision's ImageNet file), downloaded there once if missing
# (TOOLBOX_OFFLINE=1 turns that off; docs/methods/uniremoval.md).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/paired_train_pipeline.py'
]

# ---------------------------------------------------------------- model
# Teachers and student share MPRNet's deraining widths (40/20/16), as the
# teacher configs configs/uniremoval/teacher_*.py do.
generator = dict(type='MPRNet', variant='deraining')
# Every teacher needs its trained weights (a missing checkpoint is an
# error). A work dir resolves to its newest checkpoint (last_checkpoint);
# name a .pth (e.g. the best_PSNR_*.pth the teacher configs keep) to pick
# another one.
teacher_checkpoints = dict(
    haze='work_dirs/teacher_dehaze_ots',
    rain='work_dirs/teacher_derain_rain1400',
    blur='work_dirs/teacher_deblur_gopro')
temperature = 1e-6  # τ of Eq. (2), IV-A2

model = dict(
    type='UniRemovalKT',
    student=generator,
    # The teachers were trained on [0,1] images; the model converts the
    # [-1,1] batch for them and their outputs back.
    teachers=dict(
        haze=dict(model=generator, checkpoint=teacher_checkpoints['haze'],
                  value_range='[0,1]'),
        rain=dict(model=generator, checkpoint=teacher_checkpoints['rain'],
                  value_range='[0,1]'),
        blur=dict(model=generator, checkpoint=teacher_checkpoints['blur'],
                  value_range='[0,1]')),
    # Eq. (1): L1 between the student's and the teacher's restored images.
    losses=[dict(type='L1Loss', loss_weight=1.0, loss_name='pixel')],
    stage_loss='final',
    # Eq. (3), λ_f = 0.5 (IV-A2; kt_mprnet_swapped_weights.py reads the
    # two weights the other way round): stage-2 decoder (3 scales) + ORSNet.
    feature_loss=dict(
        type='FeatureContrastiveLoss', loss_weight=0.5,
        temperature=temperature, reduction='flatten'),
    feature_keys=('dec2_0', 'dec2_1', 'dec2_2', 'orsnet'),
    # Eq. (4), λ_i = 0.1: φ = VGG-19 relu1_1..relu5_1 (MAWR's weights).
    image_loss=dict(
        type='ImageContrastiveLoss', loss_weight=0.1,
        temperature=temperature, reduction='flatten',
        embedding=dict(
            type='VGG19FeatureExtractor',
            layers=('relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'),
            pretrained='torch_hub',
            # torchvision's ImageNet weights expect ImageNet-normalised
            # input; MAWR feeds [0,1] images unnormalised (False).
            use_input_norm=True),
        layer_weights=(1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)),
    # IV-A1: "pixel values of the patches are normalized to [-1, 1]".
    data_preprocessor=dict(
        type='RestorationDataPreprocessor', value_range='[-1,1]',
        pad_size_divisor=8),
)

# ----------------------------------------------------------------- data
# Pipelines: configs/_base_/datasets/paired_train_pipeline.py, 256² random
# crops and flips. The paper leaves the patch size blank ("patches of size
# ."); 256 is the teachers' (MPRNet's) crop.
train_pipeline = {{_base_.train_pipeline}}
test_pipeline = {{_base_.test_pipeline}}

# IV-A1: a mixture of OTS, Rain1400 and GoPro, each sample labelled with its
# degradation (the label picks the teacher). FCL's negatives are "a batch of
# intermediate features from the student with different degradation types"
# (III-B), so every batch must hold several types. A shuffled mixture does
# not give that: OTS is many times larger than Rain1400 (12,600 pairs) and
# GoPro (2,103), so with the full OTS about half of all batches of 16 are
# haze only (FCL is zero for them) and a batch holds 0.1 blurred images on
# average. DegradationBalancedSampler takes the types in turn (a batch of 16
# holds 5 or 6 of each). infinite=False: an epoch is as many samples as one
# pass over the mixture (len(OTS) + len(Rain1400) + len(GoPro)), so 400
# epochs are as many iterations, and as many λ_f decays, as the paper's 400
# epochs; within an epoch OTS is sub-sampled and Rain1400/GoPro revisited.
# docs/methods/uniremoval.md discusses the readings; for the shuffled
# mixture, inherit this config with
#   train_dataloader = dict(sampler=dict(_delete_=True,
#                                        type='DefaultSampler', shuffle=True))
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DegradationBalancedSampler', shuffle=True,
                 infinite=False),
    dataset=dict(
        type='MixedDegradationDataset',
        labels=['haze', 'rain', 'blur'],
        name='ots_rain1400_gopro',
        datasets=[
            dict(type='RESIDEDataset', data_root='data/RESIDE/OTS',
                 pipeline=train_pipeline, name='ots'),
            dict(type='Rain1400Dataset', data_root='data/Rain1400/train',
                 pipeline=train_pipeline, name='rain1400_train'),
            dict(type='GoProDataset', data_root='data/GoPro/train',
                 pipeline=train_pipeline, name='gopro_train'),
        ]))

# Table IV: PSNR/SSIM on SOTS, Rain1400 and GoPro, one prefix per set.
_test_loader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
val_dataloader = [
    dict(_test_loader, dataset=dict(
        type='RESIDEDataset', data_root='data/RESIDE/SOTS/outdoor',
        data_prefix=dict(img='hazy', gt='gt'), pipeline=test_pipeline,
        test_mode=True, name='sots')),
    dict(_test_loader, dataset=dict(
        type='Rain1400Dataset', data_root='data/Rain1400/test',
        pipeline=test_pipeline, test_mode=True, name='rain1400')),
    dict(_test_loader, dataset=dict(
        type='GoProDataset', data_root='data/GoPro/test',
        pipeline=test_pipeline, test_mode=True, name='gopro')),
]
test_dataloader = val_dataloader

# ------------------------------------------------------------- schedule
# IV-A2: Adam(β1 0.9, β2 0.999), batch 16, 400 epochs. The learning rate is
# blank in the paper; 2e-4 is MPRNet's and MAWR's.
max_epochs = 400
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=10)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.999), eps=1e-8))

# "There is a decay of 0.99 on every epoch" (IV-A2). III-B says what
# decays: "we assign a small trade-off weight to the feature-grained
# contrastive loss and gradually reduce it during training" -- so λ_f is
# multiplied by 0.99 per epoch (0.5 -> 0.009 after 400 epochs) and the
# learning rate stays constant. Reading the sentence as a learning-rate
# decay instead: --cfg-options param_scheduler.0.gamma=0.99 (ExponentialLR,
# per epoch); decaying λ_i too: add image_loss=0.99 to `decays`.
custom_hooks = [
    dict(type='LossWeightDecayHook', decays=dict(feature_loss=0.99),
         by_epoch=True, interval=1),
]
param_scheduler = [dict(type='ExponentialLR', gamma=1.0, by_epoch=True)]

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
