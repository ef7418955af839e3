# DCD-GAN on DDN-Data (Rain1400, Fu et al., CVPR 2017; Table 2: 12,600
# rainy training images and their 900 clean scenes used unpaired, Test1400
# for PSNR/SSIM: testA holds the 1,400 rainy images 901_1 ... 1000_14,
# testB the 100 clean ones 901 ... 1000, paired by Rain1400Dataset's rule),
# the recipe of dcdgan_rain800.py. docs/methods/dcdgan.md#data
#   python tools/train.py configs/dcdgan/dcdgan_ddndata.py
_base_ = ['./dcdgan_rain800.py']

data_root = 'data/dcdgan/DDN-Data'
test_set = dict(type='Rain1400Dataset', data_root=data_root,
                data_prefix=dict(img='testA', gt='testB'),
                pipeline={{_base_.paired_test_pipeline}}, test_mode=True,
                name='test1400')
train_dataloader = dict(dataset=dict(data_root=data_root, name='ddn_unpaired'))
val_dataloader = dict(dataset=dict(_delete_=True, **test_set))
test_dataloader = [
    dict(batch_size=1, num_workers=2, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset=test_set),
    dict(batch_size=1, num_workers=2, persistent_workers=False,
         sampler=dict(type='DefaultSampler', shuffle=False),
         dataset={{_base_.real_rain_set}}),
]
# 12,600 training images per epoch: validate and keep a checkpoint every
# 5 epochs.
train_cfg = dict(val_interval=5)
default_hooks = dict(checkpoint=dict(interval=5))
