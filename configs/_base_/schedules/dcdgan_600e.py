# DCD-GAN's schedule (Sec. 4.1, released options): 300 epochs at the
# initial rate, then 300 with a linear decay to zero, for every optimiser
# (generators, discriminators and heads). The official rule,
# factor(e) = 1 - max(0, e + 1 - n_epochs) / (n_epochs_decay + 1) for the
# 0-based epoch e, is this LinearLR exactly.
n_epochs, n_epochs_decay = 300, 300
train_cfg = dict(type='EpochBasedTrainLoop',
                 max_epochs=n_epochs + n_epochs_decay, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0,
         begin=n_epochs - 1, end=n_epochs + n_epochs_decay, by_epoch=True),
]
