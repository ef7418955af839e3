# DCD-GAN on SPA-Data (Wang et al., CVPR 2019; Table 2: 28,500 real
# training pairs used unpaired, Test1000 for PSNR/SSIM), the recipe of
# dcdgan_rain800.py. docs/methods/dcdgan.md#data
#   python tools/train.py configs/dcdgan/dcdgan_spadata.py
_base_ = ['./dcdgan_rain800.py']

data_root = 'data/dcdgan/SPA-Data'
test_set = dict(type='PairedImageDataset', data_root=data_root,
                data_prefix=dict(img='testA', gt='testB'),
                pipeline={{_base_.paired_test_pipeline}}, test_mode=True,
                name='test1000')
train_dataloader = dict(dataset=dict(data_root=data_root, name='spa_unpaired'))
val_dataloader = dict(dataset=dict(_delete_=True, **test_set))
test_dataloader = [
    dict(batch_size=1, num_workers=2, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=test_set),
    dict(batch_size=1, num_workers=2, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset={{_base_.real_rain_set}}),
]
# 28,500 training images per epoch: validate and keep a checkpoint every
# 5 epochs.
train_cfg = dict(val_interval=5)
default_hooks = dict(checkpoint=dict(interval=5))
