"""Toy 2-D data for GAN experiments: the ring of Gaussians.

The standard mode-collapse test (Metz et al. 2017, "Unrolled GANs"; Srivastava
et al. 2017, "VEEGAN"): K equally weighted isotropic Gaussians with standard
deviation σ, centred on a circle of radius r,

    μ_k = r (cos 2πk/K, sin 2πk/K),  k = 0 … K−1;   x = μ_k + σ ε,  k ~ U{0 … K−1}, ε ~ N(0, I₂)

with K = 8, r = 2, σ = 0.02 in those papers. Modes this narrow and this far
apart make a generator that collapses onto a few of them, or smears mass
between them, easy to see and to count (``numpygan.metrics.mixture_coverage``).
"""

import numpy as np


def ring_centres(modes=8, radius=2.0):
    """The K mode centres μ_k = r (cos 2πk/K, sin 2πk/K), float64 (K, 2)."""
    if isinstance(modes, bool) or not isinstance(modes, (int, np.integer)) or modes < 1:
        raise ValueError(f"ring_centres: argument 'modes' must be an int >= 1, received {modes!r}")
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError(f"ring_centres: argument 'radius' must be a finite number > 0, received {radius!r}")
    angles = 2 * np.pi * np.arange(modes) / modes
    return float(radius) * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring_of_gaussians(n, modes=8, radius=2.0, std=0.02, rng=None, dtype=np.float32, return_labels=False):
    """n points from the ring of ``modes`` Gaussians (module docstring), as ``dtype`` (n, 2).

    ``rng``: a numpy Generator or a seed. With ``return_labels``, also the mode k of each
    point, int64 (n,).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"ring_of_gaussians: argument 'n' must be an int >= 1, received {n!r}")
    if not np.isfinite(std) or std < 0:
        raise ValueError(f"ring_of_gaussians: argument 'std' must be a finite number >= 0, received {std!r}")
    centres = ring_centres(modes, radius)
    rng = np.random.default_rng(rng)
    labels = rng.integers(0, modes, n)
    x = (centres[labels] + std * rng.standard_normal((n, 2))).astype(dtype)
    return (x, labels) if return_labels else x
