# Demo of Uni-Removal's knowledge transfer (BKT + ICL + FCL) on the embedded
# demo data, on CPU. The three demo teachers come first
# (docs/methods/uniremoval.md):
#   python tools/make_demo_data.py --out data/demo
#   python tools/train.py configs/mprnet/mprnet_dehaze_demo.py
#   python tools/train.py configs/mprnet/mprnet_derain_demo.py
#   python tools/train.py configs/mprnet/mprnet_deblur_demo.py
#   python tools/train.py configs/uniremoval/kt_mprnet_demo.py
#   python tools/test.py configs/uniremoval/kt_mprnet_demo.py \
#       work_dirs/kt_mprnet_demo/iter_600.pth --out work_dirs/kt_demo.json
# Everything but size and data is kt_mprnet.py (the paper's settings).
_base_ = ['./kt_mprnet.py']

# The demo teachers' network (configs/mprnet/*_demo.py); the student too.
demo_temperature = 0.1
demo_net = dict(type='MPRNet', variant=None, n_feat=16, scale_unetfeats=8,
                scale_orsnetfeats=8, num_cab=2)
model = dict(
    # The student starts as the identity (MPRNet adds its `tail` output to
    # the input; a zero tail returns the input), so its PSNR starts at the
    # degraded input's instead of below it: short runs then only have to
    # improve on the input. The paper does not say how the student is
    # initialised; kt_mprnet.py keeps PyTorch's default.
    student=dict(demo_net, init_cfg=dict(type='Constant', val=0,
                                         override=dict(name='tail'))),
    teachers=dict(
        haze=dict(model=demo_net, checkpoint='work_dirs/mprnet_dehaze_demo'),
        rain=dict(model=demo_net, checkpoint='work_dirs/mprnet_derain_demo'),
        blur=dict(model=demo_net, checkpoint='work_dirs/mprnet_deblur_demo')),
    # τ: the paper's 1e-6 makes Eq. (2) a hinge with slope 1e6 that
    # swamps the pixel loss under Adam: in a 300-iteration demo the student
    # then stays below the degraded inputs (docs/methods/uniremoval.md has
    # the figures). The demo uses τ = 0.1; kt_mprnet.py keeps 1e-6.
    feature_loss=dict(temperature=demo_temperature),
    # Offline and short: VGG-19 with random weights, cut after relu3_1 (the
    # paper config reads the ImageNet file and goes to relu5_1; with the
    # file in the torch hub cache, set pretrained='torch_hub').
    image_loss=dict(
        embedding=dict(pretrained=None,
                       layers=('relu1_1', 'relu2_1', 'relu3_1')),
        layer_weights=(1 / 32, 1 / 16, 1 / 8),
        temperature=demo_temperature),
)

crop_size = 48
train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size=crop_size),
    dict(type='Flip', keys=['img', 'gt'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackRestorationInputs'),
]
demo_root = 'data/demo'
tasks = dict(haze='haze', rain='rain', blur='blur')  # label -> folder
# Two samples of each degradation per batch, so every FCL anchor has
# negatives (DegradationBalancedSampler is infinite: iteration-based loop).
train_dataloader = dict(
    batch_size=6,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(_delete_=True, type='DegradationBalancedSampler',
                 shuffle=True),
    dataset=dict(
        type='MixedDegradationDataset',
        labels=['haze', 'rain', 'blur'],
        name='demo_mixed',
        datasets=[
            dict(type='PairedImageDataset',
                 data_root=f'{demo_root}/{tasks[label]}/train',
                 data_prefix=dict(img='input', gt='target'),
                 pipeline=train_pipeline, name=f'demo_{label}_train')
            for label in ('haze', 'rain', 'blur')
        ]))
_test_loader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                    sampler=dict(type='DefaultSampler', shuffle=False))
val_dataloader = [
    dict(_test_loader, dataset=dict(
        type='PairedImageDataset',
        data_root=f'{demo_root}/{tasks[label]}/test',
        data_prefix=dict(img='input', gt='target'), pipeline=test_pipeline,
        test_mode=True, name=f'demo_{label}'))
    for label in ('haze', 'rain', 'blur')
]
test_dataloader = val_dataloader

max_iters = 600
# One pass over the 72 demo training pairs is 12 batches of 6: λ_f decays
# by 0.99 every 12 iterations, the paper's per-epoch decay.
iters_per_epoch = 12
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=20,
         end=max_iters, T_max=max_iters - 20),
]
custom_hooks = [
    dict(type='LossWeightDecayHook', decays=dict(feature_loss=0.99),
         by_epoch=False, interval=iters_per_epoch),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
