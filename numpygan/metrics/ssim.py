"""Structural similarity, SSIM (Wang, Bovik, Sheikh & Simoncelli 2004), between pairs of images.

For two images x, y and a Gaussian window w (σ = 1.5, 11×11: the paper's), at each position

    μ_x = w ⋆ x,   σ_x² = w ⋆ x² − μ_x²,   σ_xy = w ⋆ (x y) − μ_x μ_y    (likewise μ_y, σ_y²)

    SSIM = (2 μ_x μ_y + C₁)(2 σ_xy + C₂) / ((μ_x² + μ_y² + C₁)(σ_x² + σ_y² + C₂)),
    C₁ = (K₁ L)², C₂ = (K₂ L)², K₁ = 0.01, K₂ = 0.03, L = 1 (the pixel range, [0, 1])

and an image's SSIM is the mean of that map over the positions where the whole window lies
inside the image (Wang et al.'s ``filter2(..., 'valid')``): 18×18 of them on 28×28 images.
It is 1 for identical images, at most 1, symmetric in x and y, and near 0 for unrelated
images; it compares local means (luminance), spreads (contrast) and correlation (structure),
so it rewards a sharp, correctly placed edge that L1 alone might trade for a blur.

The window is the 11×11 grid of exp(−(i² + j²) / (2σ²)), i, j ∈ −5..5, normalised to sum
1, as in the authors' MATLAB code (``fspecial('gaussian', 11, 1.5)``); the statistics are
population ones (divided by the window's weight, not by N − 1). tests/test_pix2pix.py checks
this against a loop over windows written from the formula, and against cases worked by hand.
"""

import numpy as np
from scipy import ndimage

from ._checks import check_images

SIGMA = 1.5
RADIUS = 5          # an 11×11 window: 3.5 σ, rounded (scipy's truncate = RADIUS / SIGMA)
K1, K2 = 0.01, 0.03


def gaussian_window(sigma=SIGMA, radius=RADIUS):
    """The (2·radius + 1)² window w(i, j) ∝ exp(−(i² + j²) / (2σ²)), summing to 1, float64."""
    i = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-(i[:, None] ** 2 + i[None, :] ** 2) / (2.0 * sigma ** 2))
    return w / w.sum()


def _local_mean(images):
    """w ⋆ images over each (H, W) image of (N, H, W), kept where the window fits: (N, H − 10, W − 10)."""
    blurred = ndimage.correlate(images, gaussian_window()[None], mode="constant")
    return blurred[:, RADIUS:-RADIUS, RADIUS:-RADIUS]


def ssim_map(images1, images2):
    """The SSIM map of each pair, float64 (N, 18, 18), for images (N, 28, 28, 1) with pixels in [0, 1]."""
    x = check_images("ssim", images1, "images1")[..., 0].astype(np.float64)
    y = check_images("ssim", images2, "images2")[..., 0].astype(np.float64)
    if x.shape != y.shape:
        raise ValueError(f"ssim: arguments 'images1' and 'images2' must have the same shape, received "
                         f"{images1.shape} and {images2.shape}")
    c1, c2 = K1 ** 2, K2 ** 2
    mu_x, mu_y = _local_mean(x), _local_mean(y)
    var_x = _local_mean(x * x) - mu_x ** 2
    var_y = _local_mean(y * y) - mu_y ** 2
    cov = _local_mean(x * y) - mu_x * mu_y
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))


def ssim(images1, images2):
    """Each pair's SSIM, float64 (N,): the mean of its ``ssim_map``. Average it for a data set's SSIM."""
    return ssim_map(images1, images2).mean(axis=(1, 2))
