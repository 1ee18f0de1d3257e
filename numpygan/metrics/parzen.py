"""Parzen-window (Gaussian kernel density) log-likelihood, the protocol of Goodfellow et al. 2014.

A generator is turned into a density by putting an isotropic Gaussian of
width σ on each of its M samples μ_j (d = 784 pixels in [0, 1]):

    log p(x) = logsumexp_j(−‖x − μ_j‖² / (2σ²)) − log M − d·log(σ√(2π))

Protocol (as in the authors' published ``parzen_ll.py``), run by ``parzen_evaluate``:

1. M = 10,000 generator samples;
2. σ from ``SIGMAS = logspace(−1, 0, 10)``, the one maximising the mean
   log-likelihood of 1,000 validation images the generator never trained on
   (MNIST training rows 50,000–50,999; a run meant for this comparison trains
   on rows 0–49,999 only);
3. the mean log-likelihood of the 10,000 test images, ± its standard error
   std/√N (population std, as in that code).

The paper's Table 1 (MNIST, nats): ``PAPER_TABLE_MNIST``.

Caveat, to be printed next to every number: Parzen estimates are a poor
measure of a model's likelihood in high dimensions (Theis, van den Oord &
Bethge, "A note on the evaluation of generative models", ICLR 2016) — in
784 dimensions they are dominated by the nearest sample, can rank models
wrongly, and a k-means codebook can beat the true data. The number is here
only to compare with the 2014 table.

Memory: distances are computed in blocks of test rows (``_distances``), all
in float64; one block is ``block_bytes`` (default 32 MB), and the logsumexp
temporaries a few times that, far below 1 GB for any N.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ._checks import check_matrix
from ._distances import block_rows, row_blocks, squared_distances, squared_norms

#: Kernel widths tried, as in the 2014 protocol: 10 values from 0.1 to 1, log-spaced.
SIGMAS = np.logspace(-1.0, 0.0, 10)

#: Goodfellow et al. 2014, Table 1, MNIST: (mean log-likelihood, standard error) in nats.
PAPER_TABLE_MNIST = {
    "DBN": (138.0, 2.0),
    "Stacked CAE": (121.0, 1.6),
    "Deep GSN": (214.0, 1.1),
    "Adversarial nets": (225.0, 2.0),
}

#: Printed next to every Parzen number.
PARZEN_CAVEAT = ("Parzen-window estimates are a poor likelihood measure in high dimensions "
                 "(Theis et al. 2016); shown only for comparison with Goodfellow et al. 2014, Table 1.")

_DEFAULT_BLOCK_BYTES = 32 * 2**20

_OWNER = "parzen"


def _flatten(owner, x, argument, columns=None):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{owner}: argument '{argument}' must be a numpy array, received {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{owner}: argument '{argument}' must be (N, ...) with N points, received shape {x.shape}")
    return check_matrix(owner, x.reshape(x.shape[0], -1), argument, columns=columns)


def _check_sigmas(sigmas):
    sigmas = np.atleast_1d(np.asarray(sigmas, dtype=np.float64))
    if sigmas.ndim != 1 or sigmas.size == 0 or not np.all(np.isfinite(sigmas)) or np.any(sigmas <= 0):
        raise ValueError(f"{_OWNER}: argument 'sigmas' must be positive finite numbers, received {sigmas!r}")
    return sigmas


def _log_likelihoods(points, centres, sigmas, block_bytes):
    """(len(sigmas), N) float64: log p(x_i) under the Parzen window of each σ.

    The distance block is computed once and reused for every σ, so selecting
    σ from ten candidates costs one pass over the distances, not ten.
    """
    m, d = centres.shape
    centre_norms = squared_norms(centres)
    out = np.empty((sigmas.size, points.shape[0]))
    # − log M − d·log(σ√(2π)): the normalisation of the mixture of M Gaussians
    log_norm = -np.log(m) - d * np.log(sigmas * np.sqrt(2.0 * np.pi))
    for rows in row_blocks(points.shape[0], block_rows(block_bytes, m)):
        d2 = squared_distances(points[rows], centres, centre_norms)
        for s, sigma in enumerate(sigmas):
            out[s, rows] = logsumexp(d2 * (-0.5 / sigma**2), axis=1) + log_norm[s]
    return out


def parzen_log_likelihood(points, centres, sigma, block_bytes=_DEFAULT_BLOCK_BYTES):
    """Per-point log p(x) (nats) under a Gaussian Parzen window of width ``sigma``.

    Parameters
    ----------
    points : ndarray (N, ...)
        Points to score, flattened to (N, d).
    centres : ndarray (M, ...)
        Kernel centres (the generator's samples), flattened to (M, d).
    sigma : float
        Kernel standard deviation.
    block_bytes : int
        Size of one block of the (N, M) distance matrix.

    Returns
    -------
    ndarray (N,) float64
    """
    centres = _flatten(_OWNER, centres, "centres")
    points = _flatten(_OWNER, points, "points", columns=centres.shape[1])
    sigmas = _check_sigmas(sigma)
    if sigmas.size != 1:
        raise ValueError(f"{_OWNER}: argument 'sigma' must be one number, received {sigmas.size}")
    return _log_likelihoods(points, centres, sigmas, block_bytes)[0]


@dataclass(frozen=True)
class ParzenResult:
    """Outcome of the 2014 protocol.

    Attributes
    ----------
    mean : float
        Mean test log-likelihood (nats).
    stderr : float
        Its standard error, std/√N.
    sigma : float
        Kernel width chosen on the validation set.
    validation : dict of float -> float
        Mean validation log-likelihood for each σ tried.
    n_centres, n_validation, n_test : int
    """

    mean: float
    stderr: float
    sigma: float
    validation: dict
    n_centres: int
    n_validation: int
    n_test: int

    def __str__(self):
        return f"{self.mean:.1f} ± {self.stderr:.1f} nats (σ = {self.sigma:.3f})"


def select_sigma(centres, validation, sigmas=SIGMAS, block_bytes=_DEFAULT_BLOCK_BYTES):
    """The σ in ``sigmas`` maximising the mean validation log-likelihood; returns (σ, {σ: mean})."""
    centres = _flatten(_OWNER, centres, "centres")
    validation = _flatten(_OWNER, validation, "validation", columns=centres.shape[1])
    sigmas = _check_sigmas(sigmas)
    scores = _log_likelihoods(validation, centres, sigmas, block_bytes).mean(axis=1)
    best = int(np.argmax(scores))
    return float(sigmas[best]), {float(s): float(v) for s, v in zip(sigmas, scores)}


def parzen_evaluate(samples, validation, test, sigmas=SIGMAS, block_bytes=_DEFAULT_BLOCK_BYTES):
    """Run the protocol: choose σ on ``validation``, then score ``test``.

    Parameters
    ----------
    samples : ndarray (M, ...)
        Generator samples, the kernel centres (10,000 in the protocol).
    validation : ndarray (V, ...)
        Held-out images for choosing σ (1,000 in the protocol).
    test : ndarray (N, ...)
        Test images (10,000 in the protocol).
    sigmas : sequence of float
        Candidate widths (default ``SIGMAS``).

    Returns
    -------
    ParzenResult
    """
    centres = _flatten(_OWNER, samples, "samples")
    d = centres.shape[1]
    validation = _flatten(_OWNER, validation, "validation", columns=d)
    test = _flatten(_OWNER, test, "test", columns=d)
    sigma, scores = select_sigma(centres, validation, sigmas, block_bytes)
    ll = _log_likelihoods(test, centres, np.array([sigma]), block_bytes)[0]
    return ParzenResult(
        mean=float(ll.mean()),
        stderr=float(ll.std() / np.sqrt(ll.size)),
        sigma=sigma,
        validation=scores,
        n_centres=centres.shape[0],
        n_validation=validation.shape[0],
        n_test=test.shape[0],
    )
