# DCD-GAN's data, per data set (configs/dcdgan/dcdgan_<set>.py set the
# roots): the unpaired layout data_root/{trainA (rainy), trainB (clean),
# testA, testB}, testA/testB paired by file name for PSNR/SSIM, and a
# folder of real rainy photographs for NIQE/BRISQUE. How to build each
# set from its release: docs/methods/dcdgan.md#data.
# Training as released: each image resized to 512×512 (bicubic), a random
# 256×256 crop and a horizontal flip, rainy and clean images each on
# their own, batch 1.
load_size = 512
crop_size = 256
real_rain_root = 'data/dcdgan/real_rain'

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
# Whole images at test time (the preprocessor pads to a multiple of 4).
paired_test_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackRestorationInputs'),
]
real_test_pipeline = [
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
        data_prefix=dict(img='trainA', ref='trainB'),
        pipeline=train_pipeline))
real_rain_set = dict(type='ImageFolderDataset', data_root=real_rain_root,
                     pipeline=real_test_pipeline, test_mode=True,
                     name='real_rain')

# The paper does not say how PSNR/SSIM are computed; its Table 1 compares
# with deraining papers that use the Y channel of MATLAB's rgb2ycbcr.
paired_metrics = [dict(type='PSNR', convert_to='y', round_y=True),
                  dict(type='SSIM', convert_to='y', round_y=True)]
# Sec. 4.2: NIQE and BRISQUE on real rainy images (LIVE's releases).
real_metrics = [dict(type='NIQE'), dict(type='BRISQUE')]
val_evaluator = paired_metrics
test_evaluator = [paired_metrics, real_metrics]
