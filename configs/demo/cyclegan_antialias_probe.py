# A probe, not a method: the CycleGAN demo (configs/cyclegan/cyclegan_demo.py:
# CycleGAN's objective, discriminator and initialisation) with DCD-GAN's
# anti-aliased generator sampling (blur-pooled downsampling, blurred
# upsampling: docs/models/resnet_generator.md). DCD-GAN's release (CUT's
# networks), and so the paper's comparison, gives DCD-GAN the anti-aliased
# ResNet and CycleGAN its strided one; this run has the one and CycleGAN's
# losses, so that the demo table separates what DCD-GAN's losses do from
# what its generator does (docs/methods/dcdgan.md#the-generators-sampling).
#   python tools/make_demo_data.py
#   python tools/demo.py --method dcdgan      (trains and tests it too)
_base_ = ['../cyclegan/cyclegan_demo.py']

model = dict(generator=dict(antialias=True))
