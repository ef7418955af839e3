"""History of generated images for the discriminator (CycleGAN Sec. 4,
after Shrivastava et al., CVPR 2017).

To reduce oscillation, CycleGAN updates its discriminators with a history
of generated images rather than only the latest generator's: a buffer of the
50 most recently stored fakes. :class:`ImagePool` has the official
``ImagePool.query`` semantics, with its own seedable random numbers.
"""
from typing import List, Optional

import torch


class ImagePool:
    """A buffer of up to ``pool_size`` generated images.

    :meth:`query` takes a batch and returns a batch of the same shape, image
    by image: while the pool is not full, the image is stored and returned;
    once it is full, with probability ½ a uniformly chosen stored image is
    returned and the new one takes its place, otherwise the new image is
    returned. ``pool_size=0`` disables the pool (CUT and DCD-GAN).

    The returned batch is always **detached** (it is meant for the
    discriminator's update), also with ``pool_size=0``, where it is the
    input itself, detached, not a copy.

    Random numbers: with ``seed`` the pool draws from its own
    ``torch.Generator`` (reproducible, independent of everything else);
    without, from PyTorch's global generator (reproducible under the
    Runner's ``randomness=dict(seed=...)``). Per image, one uniform number
    decides (``> 0.5``: swap) and, on a swap, one integer picks the slot,
    as in the official code.

    Saved in every training checkpoint (the official code saves none): the
    default hook :class:`~toolbox.engine.exact_resume.ExactResumeHook`
    finds the pools of a model through :meth:`resume_state_dict` and
    :meth:`load_resume_state_dict`, so a resumed run queries the pool the
    straight run would have. Under distributed training each process keeps
    its own pool of the fakes it generated (each saved); give each rank a
    different ``seed`` (e.g. ``seed + rank``) if their swap decisions
    should differ.

    Args:
        pool_size: number of images kept (CycleGAN: 50); 0 disables.
        seed: seed of the pool's own generator, or ``None``.
    """

    def __init__(self, pool_size: int = 50, seed: Optional[int] = None):
        if pool_size < 0:
            raise ValueError(f'pool_size must be >= 0, got {pool_size}')
        self.pool_size = pool_size
        self.images: List[torch.Tensor] = []
        self.generator = None
        if seed is not None:
            self.generator = torch.Generator()
            self.generator.manual_seed(seed)

    def __len__(self) -> int:
        """Number of images stored."""
        return len(self.images)

    def _swap_slot(self) -> Optional[int]:
        """The slot to swap with, or ``None`` to return the new image."""
        if torch.rand((), generator=self.generator).item() <= 0.5:
            return None
        return int(torch.randint(self.pool_size, (),
                                 generator=self.generator))

    def resume_state_dict(self) -> dict:
        """The stored images (on the CPU) and the own generator's state
        (``None`` without ``seed``), for a checkpoint."""
        return dict(
            images=[image.cpu() for image in self.images],
            generator=None if self.generator is None else
            self.generator.get_state())

    def load_resume_state_dict(self, state: dict) -> None:
        """Take back what :meth:`resume_state_dict` returned (at most
        ``pool_size`` images of it, should the size have changed since)."""
        self.images = [image.clone()
                       for image in state['images'][:self.pool_size]]
        if self.generator is not None and state['generator'] is not None:
            self.generator.set_state(state['generator'].cpu())

    @torch.no_grad()
    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Return a batch of images for the discriminator (``N×C×H×W`` in,
        ``N×C×H×W`` out, detached), updating the pool."""
        images = images.detach()
        if self.pool_size == 0:
            return images
        returned = []
        for image in images:
            if len(self.images) < self.pool_size:
                self.images.append(image.clone())
                returned.append(image)
                continue
            slot = self._swap_slot()
            if slot is None:
                returned.append(image)
            else:
                # A resumed pool's images come back on the CPU (or wherever
                # the checkpoint was loaded); hand them out on the fakes'.
                returned.append(self.images[slot].to(image.device))
                self.images[slot] = image.clone()
        return torch.stack(returned)
