"""Generalised divisive normalisation (GDN) and its inverse (IGDN).

Ballé, Laparra and Simoncelli ("Density modeling of images using a
generalized normalization transformation", ICLR 2016) turned the
gain-control model of Schwartz and Simoncelli into a layer; FDR-Net (Li et
al., ECCV 2020) uses it to disentangle features across channels, Eq. (4)::

    D_i = S_i / sqrt(Σ_j w_ji S_j² + b_i)

and its inverse to aggregate them again in the feature aggregation layers,
Eq. (7)::

    F_c,i = F_p,i · sqrt(Σ_j w_ji F_p,j² + b_i)

(IGDN is not the inverse function of GDN: its normaliser is computed from
its own input. It is the transform of the same form that "undoes" a gain
control, as in learned image compression.)

``w`` and ``b`` must stay non-negative (a negative normaliser has no square
root) and ``b`` positive (division by zero). Like the reference
implementations (tensorflow_compression, CompressAI) the layer stores
unconstrained parameters ``p`` and uses ``v = max(p, √(m + ε²))² − ε²``:

* ``v ≥ m`` whatever an optimiser does to ``p`` (``m`` = ``beta_min`` for
  ``b``, 0 for ``w``);
* the square root makes steps on small values finer (the parameter lives
  on the ``√v`` scale);
* the bound is a :func:`lower_bound` whose gradient is not cut where ``p``
  sits below the bound if the gradient points back up (descent would
  raise ``p``): a parameter pushed onto the bound can leave it again,
  where ``torch.clamp`` would freeze it for good.

``ε = 2⁻¹⁸`` (the pedestal ``ε²`` keeps the square root away from 0 at
``v = 0``). Initialisation as the references: ``b = 1``, ``w = 0.1·I``.

The normaliser is computed in float32 with autocast off: ``x²`` summed over
channels overflows float16 for activations above ~180 and loses most of its
mantissa in bfloat16; the output is cast back to the input's dtype.
"""
import torch
import torch.nn.functional as F
from torch import nn

#: ε of ``v = max(p, √(m + ε²))² − ε²``, as tensorflow_compression/CompressAI.
REPARAM_OFFSET = 2.0**-18


class _LowerBound(torch.autograd.Function):
    """``max(x, bound)`` whose gradient also flows below the bound when it
    would move ``x`` up (towards the feasible side)."""

    @staticmethod
    def forward(ctx, x, bound: float):
        ctx.save_for_backward(x)
        ctx.bound = bound
        return x.clamp_min(bound)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        # grad < 0: gradient descent increases x, back above the bound.
        open_ = (x >= ctx.bound) | (grad < 0)
        return grad * open_.to(grad.dtype), None


def lower_bound(x: torch.Tensor, bound: float) -> torch.Tensor:
    """``max(x, bound)`` with a gradient that lets ``x`` leave the bound
    (see the module docstring)."""
    return _LowerBound.apply(x, float(bound))


def nonnegative_init(value: torch.Tensor, minimum: float = 0.0,
                     offset: float = REPARAM_OFFSET) -> torch.Tensor:
    """The stored parameter ``p`` that represents ``value`` (≥ ``minimum``)
    under :func:`nonnegative`."""
    pedestal = offset * offset
    value = torch.clamp_min(value, minimum)
    return torch.sqrt(value + pedestal)


def nonnegative(param: torch.Tensor, minimum: float = 0.0,
                offset: float = REPARAM_OFFSET) -> torch.Tensor:
    """``max(p, √(minimum + ε²))² − ε²``: a value ≥ ``minimum`` for any
    ``p``."""
    pedestal = offset * offset
    bound = (minimum + pedestal)**0.5
    return lower_bound(param, bound).pow(2) - pedestal


class GDN(nn.Module):
    """GDN (``inverse=False``, FDR-Net Eq. 4) or IGDN (``inverse=True``,
    Eq. 7) over the channels of an ``N×C×H×W`` tensor.

    Args:
        channels: C.
        inverse: multiply by the normaliser (IGDN) instead of dividing.
        beta_min: lower bound of ``b`` (keeps the division finite).
        gamma_init: ``w`` starts as ``gamma_init · I`` (each channel
            normalised by itself only).
        reparam_offset: ε of the reparametrisation.

    Parameters: ``raw_weight`` (C×C) and ``raw_bias`` (C), the unconstrained
    ``p``; the properties :attr:`weight` (``weight[i, j] = w_ji``, the
    contribution of channel ``j`` to the normaliser of channel ``i``) and
    :attr:`bias` (``b``) are the values Eq. (4) uses. ``C² + C``
    parameters (1,056 for C = 32).
    """

    def __init__(self, channels: int, inverse: bool = False,
                 beta_min: float = 1e-6, gamma_init: float = 0.1,
                 reparam_offset: float = REPARAM_OFFSET):
        super().__init__()
        if beta_min <= 0:
            raise ValueError(f'GDN: beta_min must be > 0 (b is a divisor '
                             f'floor), got {beta_min}')
        self.channels = channels
        self.inverse = bool(inverse)
        self.beta_min = float(beta_min)
        self.reparam_offset = float(reparam_offset)
        self.raw_weight = nn.Parameter(nonnegative_init(
            gamma_init * torch.eye(channels), 0.0, self.reparam_offset))
        self.raw_bias = nn.Parameter(nonnegative_init(
            torch.ones(channels), self.beta_min, self.reparam_offset))

    @property
    def weight(self) -> torch.Tensor:
        """``w`` (C×C, ``[i, j] = w_ji``), every entry ≥ 0."""
        return nonnegative(self.raw_weight, 0.0, self.reparam_offset)

    @property
    def bias(self) -> torch.Tensor:
        """``b`` (C), every entry ≥ ``beta_min``."""
        return nonnegative(self.raw_bias, self.beta_min, self.reparam_offset)

    def normaliser(self, x: torch.Tensor) -> torch.Tensor:
        """``Σ_j w_ji x_j² + b_i`` in float32 (autocast off)."""
        with torch.autocast(device_type=x.device.type, enabled=False):
            x = x.float()
            weight = self.weight.float()[:, :, None, None]
            return F.conv2d(x * x, weight, self.bias.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'{type(self).__name__}({self.channels}) takes '
                             f'N×{self.channels}×H×W, got {tuple(x.shape)}')
        norm = self.normaliser(x)
        with torch.autocast(device_type=x.device.type, enabled=False):
            scale = norm.sqrt() if self.inverse else norm.rsqrt()
            out = x.float() * scale
        return out.to(x.dtype)

    def extra_repr(self) -> str:
        return (f'{self.channels}, inverse={self.inverse}, '
                f'beta_min={self.beta_min}')


class IGDN(GDN):
    """Inverse GDN (FDR-Net Eq. 7): ``x_i · sqrt(Σ_j w_ji x_j² + b_i)``.

    Same arguments as :class:`GDN` except ``inverse`` (always true)."""

    def __init__(self, channels: int, beta_min: float = 1e-6,
                 gamma_init: float = 0.1,
                 reparam_offset: float = REPARAM_OFFSET):
        super().__init__(channels, inverse=True, beta_min=beta_min,
                         gamma_init=gamma_init, reparam_offset=reparam_offset)


__all__ = ['GDN', 'IGDN', 'lower_bound', 'nonnegative', 'nonnegative_init',
           'REPARAM_OFFSET']
