# Demo deraining teacher of Uni-Removal: a narrow MPRNet (16/8/8, 2 CABs
# per ORB; the demo student has the same structure) on data/demo/rain.
# 300 iterations, about 4 minutes on 2 CPU cores; PSNR on the demo test
# split: input 22.5 dB -> 27.9 dB (2026-12-07; docs/methods/uniremoval.md).
#   python tools/make_demo_data.py
#   python tools/train.py configs/uniremoval/teacher_derain_demo.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/mprnet.py',
    '../_base_/datasets/demo_paired.py'
]
task = 'rain'
model = dict(
    generator=dict(variant=None, n_feat=16, scale_unetfeats=8,
                   scale_orsnetfeats=8, num_cab=2))
train_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=f'data/demo/{task}/train', name=f'demo_{task}'))
val_dataloader = dict(
    dataset=dict(data_root=f'data/demo/{task}/test', name=f'demo_{task}'))
test_dataloader = val_dataloader

max_iters = 300
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=3e-3, betas=(0.9, 0.999), eps=1e-8))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=20,
         end=max_iters, T_max=max_iters - 20),
]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_iters))
