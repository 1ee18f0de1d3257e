"""Fréchet distance between Gaussians fitted to two feature sets (FID, with our own classifier).

For features X₁ (N₁, D) and X₂ (N₂, D) with means μ₁, μ₂ and covariances Σ₁, Σ₂:

    d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})

(Fréchet 1957; Dowson & Landau 1982; as a GAN metric Heusel et al. 2017.)
With the MNIST/Fashion classifier's penultimate features in place of
Inception's it is the "classifier FID"; it is only meaningful next to the
floor of real training images against real test images, which ``evaluate``
always reports.

A feature with zero variance in both sets (a ReLU unit that never fires: the
MNIST classifier has about 20 of 128) has zero rows and columns in Σ₁ and Σ₂,
so it adds nothing to the trace term; the traces are taken over the other
features, which is exact and keeps sqrtm away from a singular matrix. Its
mean still counts in ‖μ₁ − μ₂‖².

Numerics, the usual ones: (Σ₁Σ₂)^{1/2} by ``scipy.linalg.sqrtm``; if that is
not finite (a nearly singular product), retry with ε·I added to both
covariances. scipy warns about any singular product, including the harmless
case of a unit that fires in one set only; instead of printing that, the
result is checked directly, ‖X² − Σ₁Σ₂‖_F ≤ 1e-6·‖Σ₁Σ₂‖_F, and a worse one is
retried with ε·I too, and refused if still bad; sqrtm of a product of two PSD matrices has a real square root,
so an imaginary part is rounding — it is dropped if negligible
(|Im diag| ≤ 1e-3) and is an error otherwise. Covariances use N − 1, and
need N > D samples to be full rank: fewer is an error.
"""

import warnings

import numpy as np
from scipy import linalg

from ._checks import check_matrix

_OWNER = "frechet_distance"


def feature_statistics(features, argument="features"):
    """Mean (D,) and covariance (D, D) of float (N, D) features, float64; requires N > D."""
    x = check_matrix("feature_statistics", features, argument, min_rows=2)
    n, d = x.shape
    if n <= d:
        raise ValueError(
            f"feature_statistics: argument '{argument}' has {n} samples of dimension {d}; a full-rank "
            f"covariance needs more samples than dimensions (N > D)"
        )
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _check_statistics(mu, sigma, which):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise ValueError(
            f"{_OWNER}: argument 'mu{which}' must be (D,) and 'sigma{which}' (D, D), received "
            f"{mu.shape} and {sigma.shape}"
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"{_OWNER}: arguments 'mu{which}'/'sigma{which}' contain NaN or infinite values")
    return mu, sigma


def _checked_sqrtm(a, tol=1e-6):
    """(X = sqrtm(a), whether X is finite with ‖X² − a‖_F ≤ tol·‖a‖_F), scipy's warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        x = linalg.sqrtm(a)
    if not np.all(np.isfinite(x)):
        return x, False
    return x, bool(np.linalg.norm(x @ x - a) <= tol * np.linalg.norm(a))


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2}) between N(μ₁, Σ₁) and N(μ₂, Σ₂).

    Parameters
    ----------
    mu1, mu2 : ndarray (D,)
    sigma1, sigma2 : ndarray (D, D), symmetric positive semi-definite
    eps : float
        Added to both diagonals if the first sqrtm is not finite.

    Returns
    -------
    float (the squared distance, as FID is conventionally reported)
    """
    mu1, sigma1 = _check_statistics(mu1, sigma1, 1)
    mu2, sigma2 = _check_statistics(mu2, sigma2, 2)
    if mu1.shape != mu2.shape:
        raise ValueError(f"{_OWNER}: the two feature dimensions differ: {mu1.size} vs {mu2.size}")
    diff = mu1 - mu2
    live = (np.diagonal(sigma1) > 0) | (np.diagonal(sigma2) > 0)
    sigma1, sigma2 = sigma1[np.ix_(live, live)], sigma2[np.ix_(live, live)]
    covmean, ok = _checked_sqrtm(sigma1 @ sigma2)
    if not ok:
        # Σ₁Σ₂ nearly singular: shift both spectra away from 0 and retry.
        offset = eps * np.eye(sigma1.shape[0])
        covmean, ok = _checked_sqrtm((sigma1 + offset) @ (sigma2 + offset))
        if not ok:
            raise ValueError(f"{_OWNER}: sqrtm(Σ₁Σ₂) is not finite or not accurate even with {eps:g}·I "
                             f"added to the covariances")
    if np.iscomplexobj(covmean):
        largest = float(np.max(np.abs(np.diagonal(covmean).imag)))
        if largest > 1e-3:
            raise ValueError(
                f"{_OWNER}: sqrtm(Σ₁Σ₂) has an imaginary component {largest:.3g} on its diagonal; "
                f"the covariances are not positive semi-definite or are ill-conditioned"
            )
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def fid_from_features(features1, features2):
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets (N > D each)."""
    mu1, sigma1 = feature_statistics(features1, "features1")
    mu2, sigma2 = feature_statistics(features2, "features2")
    return frechet_distance(mu1, sigma1, mu2, sigma2)
