# The CycleGAN folder layout: data_root/{trainA,trainB,testA,testB}.
# Domain A (the degraded images, `img`) is translated to domain B (the
# clean images, `ref`); each training image of A is paired with a random
# image of B, and each is resized, cropped and flipped on its own, as the
# official unaligned dataset does.
data_root = 'data/unpaired'
load_size = 286
crop_size = 256

train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='ref'),
    dict(type='Resize', size=load_size, keys=['img', 'ref'],
         interpolation='bicubic'),
    dict(type='PairedRandomCrop', crop_size=crop_size, keys=['img']),
    dict(type='PairedRandomCrop', crop_size=crop_size, keys=['ref']),
    dict(type='Flip', keys=['img'], direction='horizontal'),
    dict(type='Flip', keys=['ref'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='PackRestorationInputs'),
]

train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='UnpairedImageDataset',
        data_root=data_root,
        data_prefix=dict(img='trainA', ref='trainB'),
        # An epoch is max(|A|, |B|) samples, as the official
        # UnalignedDataset counts it (A cycles when B is larger).
        length='max',
        pipeline=train_pipeline,
        name='unpaired_train'))
# testA translated to B, scored with no-reference metrics (unpaired data
# has no targets).
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ImageFolderDataset',
        data_root=data_root,
        data_prefix=dict(img='testA'),
        pipeline=test_pipeline,
        test_mode=True,
        name='testA'))
test_evaluator = [dict(type='NIQE'), dict(type='BRISQUE')]
