"""Mode coverage: how the samples spread over the K classes, as judged by the classifier.

For N predicted labels with class histogram h (fractions, Σ h_k = 1):

* ``classes_covered``: the number of classes with h_k ≥ ``threshold`` (1 %);
  10 of 10 for a generator that produces every digit, fewer under mode collapse;
* ``kl_to_uniform``: KL(h ‖ u) = Σ_k h_k log(K h_k) in nats, 0 for a perfectly
  balanced histogram and log K (2.303 for K = 10) when every sample is one class.

Note the real MNIST test set is not exactly balanced (KL ≈ 0.001).
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import rel_entr


@dataclass(frozen=True)
class Coverage:
    """Class histogram of N samples and its summaries.

    Attributes
    ----------
    counts : ndarray (K,) int64
    fractions : ndarray (K,) float64, counts / N
    classes_covered : int, classes with fraction >= threshold
    kl_to_uniform : float, KL(fractions ‖ uniform) in nats
    threshold : float
    """

    counts: np.ndarray
    fractions: np.ndarray
    classes_covered: int
    kl_to_uniform: float
    threshold: float

    def __str__(self):
        return (f"{self.classes_covered}/{self.counts.size} classes >= {self.threshold:.0%}, "
                f"KL(hist ‖ uniform) = {self.kl_to_uniform:.4f} nats")


def mode_coverage(labels, num_classes=10, threshold=0.01):
    """Coverage of integer class predictions ``labels`` (N,) in [0, num_classes)."""
    owner = "mode_coverage"
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"{owner}: argument 'num_classes' must be a positive int, received {num_classes!r}")
    if not 0 < threshold <= 1:
        raise ValueError(f"{owner}: argument 'threshold' must lie in (0, 1], received {threshold!r}")
    if not isinstance(labels, np.ndarray) or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            f"{owner}: argument 'labels' must be an integer numpy array, received "
            f"{getattr(labels, 'dtype', type(labels).__name__)}"
        )
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"{owner}: argument 'labels' must be 1-D (N,) with N >= 1, received shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"{owner}: argument 'labels' must lie in [0, {num_classes}), received values in "
            f"[{labels.min()}, {labels.max()}]"
        )
    counts = np.bincount(labels, minlength=num_classes).astype(np.int64)
    fractions = counts / labels.size
    return Coverage(
        counts=counts,
        fractions=fractions,
        classes_covered=int(np.sum(fractions >= threshold)),
        kl_to_uniform=float(rel_entr(fractions, 1.0 / num_classes).sum()),
        threshold=float(threshold),
    )
