# MPRNet's schedule: Adam(0.9, 0.999, eps 1e-8), lr 2e-4, linear warm-up for
# 3 epochs, then cosine annealing to 1e-6 (epoch-based, stepped per iteration).
max_epochs = 250
warmup_epochs = 3

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=10)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.999), eps=1e-8))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, T_max=max_epochs - warmup_epochs,
         convert_to_iter_based=True),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3,
                    save_best='auto'))
log_processor = dict(by_epoch=True)
