# A tiny DnCNN restorer on the embedded demo data (deraining split).
# Trains, validates and checkpoints in about 30 s on 2 CPU cores (PSNR on
# the demo test split: input 22.5 dB -> 28.3 dB, measured 2026-12-07):
#   python tools/make_demo_data.py
#   python tools/train.py configs/demo/tiny_restorer.py --work-dir work_dirs/tiny
# Train from LMDB instead of folders with configs/demo/tiny_restorer_lmdb.py.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/demo_paired.py'
]

model = dict(
    type='Restorer',
    generator=dict(type='DnCNN', mid_channels=32, depth=6, norm=None),
    losses=[dict(type='L1Loss', loss_weight=1.0)],
    data_preprocessor=dict(
        type='RestorationDataPreprocessor', value_range='[0,1]'),
)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=400, val_interval=200)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999)))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=400, eta_min=1e-5, by_epoch=False)
]

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=200, save_best='PSNR', rule='greater'))
