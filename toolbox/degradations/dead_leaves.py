"""The dead-leaves model of natural images (Matheron 1968; Lee, Mumford &
Huang, IJCV 2001): opaque discs of random colour fall on the plane, each
hiding what lies under it, with radii of density ``∝ r⁻³`` between
``r_min`` and ``r_max``. The ``r⁻³`` law makes the images scale-invariant
and gives them natural images' power spectrum, occlusion edges and
uniform-region statistics; restoration networks trained on dead leaves come
close to networks trained on photographs (Achddou, Gousseau & Ladjal,
"Synthetic images as a regularity prior for image restoration neural
networks", SSVM 2021; Baradad et al., "Learning to see by looking at
noise", NeurIPS 2021). As in Achddou et al., the colours are drawn from
natural photographs' pixels, so the colour statistics match too.
"""
import numpy as np

from toolbox.degradations.filtering import gaussian_blur


def sample_radii(rng: np.random.Generator, count: int, r_min: float,
                 r_max: float) -> np.ndarray:
    """``count`` radii of density ``∝ r⁻³`` on ``[r_min, r_max]`` (inverse
    transform: the CDF is ``(r_min⁻² − r⁻²) / (r_min⁻² − r_max⁻²)``)."""
    u = rng.random(count)
    low, high = r_min**-2.0, r_max**-2.0
    return (low - u * (low - high))**-0.5


def dead_leaves(size: int, rng: np.random.Generator, palette: np.ndarray,
                r_min: float = 1.5, r_max: float = 48.0,
                count: int = 600, blur: float = 0.6) -> np.ndarray:
    """A ``size×size`` uint8 RGB dead-leaves image.

    Discs are drawn back to front (the last one drawn is on top), so
    ``count`` discs of which the small ones are most numerous cover the
    image; the slight Gaussian ``blur`` stands in for a camera's optics
    (sharp disc edges alias).

    Args:
        size: side in pixels.
        rng: random generator.
        palette: ``N×3`` colours (uint8 RGB) to draw from, e.g. pixels of
            photographs.
        r_min, r_max: radius range in pixels.
        count: number of discs.
        blur: σ of the final Gaussian blur (0: none).
    """
    image = np.empty((size, size, 3), np.float64)
    image[:] = palette[rng.integers(len(palette))]
    radii = sample_radii(rng, count, r_min, r_max)
    # Big discs first would be hidden by the small ones anyway; drawing in
    # the sampled order is the model (every disc equally likely on top).
    centres = rng.uniform(-r_max / 2, size + r_max / 2, (count, 2))
    colours = palette[rng.integers(len(palette), size=count)]
    # A faint per-disc shading keeps the flat regions from being perfectly
    # flat, as lit surfaces are not.
    shades = rng.uniform(0.9, 1.1, count)
    rows = np.arange(size)[:, None]
    cols = np.arange(size)[None, :]
    for (cy, cx), r, colour, shade in zip(centres, radii, colours, shades):
        top, bottom = max(int(cy - r), 0), min(int(cy + r) + 1, size)
        left, right = max(int(cx - r), 0), min(int(cx + r) + 1, size)
        if top >= bottom or left >= right:
            continue
        inside = ((rows[top:bottom] - cy)**2 +
                  (cols[:, left:right] - cx)**2) <= r * r
        image[top:bottom, left:right][inside] = colour * shade
    if blur > 0:
        image = np.stack([gaussian_blur(image[..., c], blur)
                          for c in range(3)], axis=-1)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)
