# Demo dehazing teacher of Uni-Removal: a narrow MPRNet (16/8/8, 2 CABs
# per ORB) on data/demo/haze. 300 iterations, about 4 minutes on 2 idle CPU
# cores; PSNR on the demo test split: input 14.75 dB -> 21.50 dB
# (2026-12-07; see docs/methods/uniremoval.md).
#   python tools/make_demo_data.py
#   python tools/train.py configs/uniremoval/teacher_dehaze_demo.py
# Everything but the data is the deraining demo teacher.
_base_ = ['./teacher_derain_demo.py']
task = 'haze'
train_dataloader = dict(
    dataset=dict(data_root=f'data/demo/{task}/train', name=f'demo_{task}'))
val_dataloader = dict(
    dataset=dict(data_root=f'data/demo/{task}/test', name=f'demo_{task}'))
test_dataloader = val_dataloader
