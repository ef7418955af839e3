# DCD-GAN on Rain800 as the released code (cschenxiang/DCD-GAN) trains it,
# where that differs from the paper (docs/methods/dcdgan.md#released):
# * the generator loss is adversarial + contrastive + identity only: the
#   colour, cycle and frequency terms the code computes are never added;
# * no external negatives: every other sampled patch of the batch is a
#   negative ('released'; 255 of the same image at batch 1);
# * an identity loss ½·λ_IDT·(|G_A(y) - y|_1 + |G_B(x) - x|_1), λ_IDT = 1;
# * the data as CUT's code (data/unaligned_dataset.py) serves it: from the
#   first epoch of the decay (0-based epoch n_epochs = 300) the images are
#   resized to the crop size (load_size = crop_size), so the 256 crop keeps
#   the whole image; and an epoch is max(|trainA|, |trainB|) samples.
# Networks, heads, hinge loss, optimisers and schedule are shared with
# dcdgan_rain800.py (they follow the released code there too).
#   python tools/train.py configs/dcdgan/dcdgan_released_rain800.py
_base_ = ['./dcdgan_rain800.py']
model = dict(
    # ½·λ_NCE·(NCE1 + NCE2) with λ_NCE = 2: weight 1 per CGB.
    contrastive_loss=dict(loss_weight=1.0, negatives='released'),
    losses=[
        dict(type='IdentityLoss', loss_weight=0.5, loss_name='identity',
             inputs=[('idt_b', 'real_b'), ('idt_a', 'real_a')]),
    ])
# The terms the released code computes but never optimises (mostly on the
# unpaired pairs G_A(x) vs y and G_B(y) vs x), in the released forms and
# weights: not used here; a config that wants them adds these entries to
# model.losses (tests/models/algorithms/test_dcdgan.py checks them).
released_unused_terms = [
    # "L1": Σ_c |fake_c - real_c|_1 + |fake - real|_1 on unpaired images,
    dict(type='ColorCycleLoss', loss_weight=1.0, form='released',
         loss_name='released_color',
         inputs=[('fake_b', 'real_b'), ('fake_a', 'real_a')]),
    # + the plain L1 cycle terms (cyc_L1 = 1),
    dict(type='CycleConsistencyLoss', loss_weight=1.0, loss_name='cycle',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
    # + L1 identity terms of weight 1 (G_B(x) vs x, G_A(y) vs y),
    dict(type='IdentityLoss', loss_weight=1.0,
         loss_name='released_identity',
         inputs=[('idt_a', 'real_a'), ('idt_b', 'real_b')]),
    # "Frequency": squared L2 of the rfft difference (lambda_feat = 1).
    dict(type='FrequencyLoss', loss_weight=1.0, form='released',
         loss_name='released_frequency',
         inputs=[('fake_b', 'real_b'), ('fake_a', 'real_a')]),
]

# The released data behaviours (docs/methods/dcdgan.md#released, rows 9, 10).
train_pipeline = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='ref'),
    dict(type='Resize', size={{_base_.load_size}}, keys=['img', 'ref'],
         interpolation='bicubic', late_size={{_base_.crop_size}},
         late_from_epoch={{_base_.n_epochs}}),
    dict(type='PairedRandomCrop', crop_size={{_base_.crop_size}},
         keys=['img']),
    dict(type='PairedRandomCrop', crop_size={{_base_.crop_size}},
         keys=['ref']),
    dict(type='Flip', keys=['img'], direction='horizontal'),
    dict(type='Flip', keys=['ref'], direction='horizontal'),
    dict(type='PackRestorationInputs'),
]
train_dataloader = dict(dataset=dict(length='max', pipeline=train_pipeline))
# Tells the dataset (and so the Resize above, in every worker) the epoch.
custom_hooks = [dict(type='DatasetEpochHook')]
