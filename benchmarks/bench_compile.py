"""What ``torch.compile`` (``tools/train.py --compile``) costs and gains.

For a small-width MPRNet and the CycleGAN/DCD-GAN ResNet-9 generator: the
eager training step (forward, L1 loss, backward, Adam), the first compiled
step (compilation included) and the compiled step after warm-up, in
float32 and with bfloat16 autocast. Eager and compiled steps run in turn.

Run through ``benchmarks/run_all.py`` (``--only compile``).
"""
import time

import torch
import torch.nn.functional as F

from toolbox.models.backbones.mprnet import MPRNet
from toolbox.models.backbones.resnet_generator import ResnetGenerator

from _timing import (autocast, fmt_ratio, interleaved_medians, markdown_table,
                     synchronize)


class Step:

    def __init__(self, build, x, amp, device, compiled):
        torch.manual_seed(0)
        self.model = build().to(device)
        self.net = torch.compile(self.model) if compiled else self.model
        self.x, self.amp, self.device = x, amp, device
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-4)

    def __call__(self):
        with autocast(self.device, self.amp):
            out = self.net(self.x)
            out = out[0] if isinstance(out, (list, tuple)) else out
            loss = F.l1_loss(out.float(), self.x)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()


def run(args) -> str:
    import torch._dynamo
    device = args.device
    quick = args.quick and device == 'cpu'
    size, batch = (64, 1) if quick else ((256, 4) if device == 'cuda'
                                         else (128, 1))
    nets = {
        'MPRNet (n_feat 16, 2 CABs)': lambda: MPRNet(
            variant=None, n_feat=16, scale_unetfeats=8, scale_orsnetfeats=8,
            num_cab=2),
        'ResNet-9 generator (ngf 64)': lambda: ResnetGenerator(
            base_channels=64, num_blocks=9, norm='instance'),
    }
    if quick:
        # MPRNet's graph alone takes about 6 minutes to compile on 2 CPU
        # cores: --quick keeps the 10-minute budget with the generator
        # only; the full run measures both.
        nets.pop('MPRNet (n_feat 16, 2 CABs)')
    amp_dtype = torch.float16 if device == 'cuda' else torch.bfloat16
    rows = []
    for name, build in nets.items():
        # --quick on CPU: float32 only (each compilation takes minutes on a
        # loaded 2-core machine).
        for amp in (None, ) if quick else (None, amp_dtype):
            x = torch.rand(batch, 3, size, size, device=device)
            eager = Step(build, x, amp, device, compiled=False)
            compiled = Step(build, x, amp, device, compiled=True)
            torch._dynamo.reset()
            synchronize(device)
            start = time.perf_counter()
            compiled()  # compiles forward and backward
            synchronize(device)
            first = time.perf_counter() - start
            times = interleaved_medians({'eager': eager,
                                         'compiled': compiled},
                                        device, args.warmup, args.steps)
            gain = times['eager'] / times['compiled']
            pays = (first - times['compiled']) / max(
                times['eager'] - times['compiled'], 1e-9)
            rows.append([
                name if amp is None else '',
                'float32' if amp is None else str(amp).split('.')[-1],
                f'{batch}×{size}²', f'{first:.1f}', f'{times["eager"]:.3f}',
                f'{times["compiled"]:.3f}', fmt_ratio(gain),
                f'{pays:.0f} steps' if gain > 1 else 'never'])
            del eager, compiled
    return markdown_table(
        ['network', 'precision', 'batch × crop', 'compile + 1st step (s)',
         'eager step (s)', 'compiled step (s)', 'gain',
         'compile time paid back after'], rows,
        ['---', '---', '---', '---:', '---:', '---:', '---:', '---:'])
