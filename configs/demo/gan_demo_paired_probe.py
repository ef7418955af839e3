# A probe, not a method: the DCD-GAN demo's generator trained *with pairs*
# (L1 to the clean version, which no unpaired method has) for the demo's
# 1,500 iterations at the demo generators' optimiser and schedule, on the
# same rain model (data/demo/unpaired/rain/probe/rainy: train/clean with
# their own rain draw). It measures how far this generator gets in the
# demo's budget when it is told the answer, so that the GAN demos' scores
# (docs/methods/dcdgan.md#demo-on-the-embedded-data-cpu) can be read
# against it: a GAN below the probe on PSNR or dRGB is limited by learning
# without pairs, a target beyond the probe by the generator and the budget.
#   python tools/make_demo_data.py
#   python tools/demo.py --method dcdgan      (trains and tests it too)
_base_ = ['../dcdgan/dcdgan_demo.py']

model = dict(
    _delete_=True,
    type='Restorer',
    generator={{_base_.model.generator}},
    losses=[dict(type='L1Loss', loss_weight=1.0)],
    data_preprocessor={{_base_.model.data_preprocessor}})
model_wrapper_cfg = None
# The demo generators' optimiser: Adam(1e-4, (0.5, 0.999)), constant for
# 750 iterations, then the linear decay (dcdgan_demo.py's param_scheduler).
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)))

train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='Flip', keys=['img', 'gt'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PairedImageDataset',
        data_root={{_base_.demo_root}},
        data_prefix=dict(img='probe/rainy', gt='train/clean'),
        pipeline=train_pipeline,
        name='demo_rain_probe_pairs'))
