"""Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019) in a feature space.

Each set approximates its distribution's support by a union of balls: around
every feature vector φ, a ball reaching its k-th nearest neighbour in the
same set (k = 3), radius r_k(φ). Then, for real features Φ_r and generated Φ_g,

    precision = (1/|Φ_g|) Σ_{g ∈ Φ_g} [ ∃ r ∈ Φ_r : ‖g − r‖ ≤ r_k(r) ]   (samples that look real)
    recall    = (1/|Φ_r|) Σ_{r ∈ Φ_r} [ ∃ g ∈ Φ_g : ‖r − g‖ ≤ r_k(g) ]   (real data the generator covers)

Both lie in [0, 1]. Distances come in blocks of rows (``_distances``), float64,
so memory is bounded by ``block_bytes`` (default 32 MB) times a small factor.
"""

from dataclasses import dataclass

import numpy as np

from ._checks import check_matrix, check_positive_int
from ._distances import block_rows, row_blocks, squared_distances, squared_norms

_DEFAULT_BLOCK_BYTES = 32 * 2**20


def kth_neighbour_radii(features, k=3, block_bytes=_DEFAULT_BLOCK_BYTES):
    """Squared distance from each row of float (N, D) ``features`` to its k-th nearest other row, (N,)."""
    x = check_matrix("kth_neighbour_radii", features, "features")
    k = check_positive_int("kth_neighbour_radii", k, "k")
    n = x.shape[0]
    if n <= k:
        raise ValueError(f"kth_neighbour_radii: {n} points have no {k}-th nearest neighbour; need more than k")
    norms = squared_norms(x)
    radii = np.empty(n)
    for rows in row_blocks(n, block_rows(block_bytes, n)):
        d2 = squared_distances(x[rows], x, norms)
        # Mark the point itself −1 so it sorts first even among exact duplicates
        # (which count as neighbours); the k-th other point is then at position k.
        d2[np.arange(rows.stop - rows.start), np.arange(rows.start, rows.stop)] = -1.0
        radii[rows] = np.partition(d2, k, axis=1)[:, k]
    return radii


def inside_any_ball(queries, centres, radii, block_bytes=_DEFAULT_BLOCK_BYTES):
    """For each query row, whether ‖q − c_j‖² ≤ radii_j for some centre j; bool (Nq,)."""
    centres = np.asarray(centres, dtype=np.float64)
    norms = squared_norms(centres)
    inside = np.empty(queries.shape[0], dtype=bool)
    for rows in row_blocks(queries.shape[0], block_rows(block_bytes, centres.shape[0])):
        inside[rows] = np.any(squared_distances(queries[rows], centres, norms) <= radii[None, :], axis=1)
    return inside


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float
    k: int

    def __str__(self):
        return f"precision {self.precision:.3f}, recall {self.recall:.3f} (k = {self.k})"


def precision_recall(real_features, fake_features, k=3, block_bytes=_DEFAULT_BLOCK_BYTES):
    """Improved precision and recall of ``fake_features`` (Ng, D) against ``real_features`` (Nr, D).

    Returns
    -------
    PrecisionRecall
    """
    owner = "precision_recall"
    real = check_matrix(owner, real_features, "real_features")
    fake = check_matrix(owner, fake_features, "fake_features", columns=real.shape[1])
    k = check_positive_int(owner, k, "k")
    for name, x in (("real_features", real), ("fake_features", fake)):
        if x.shape[0] <= k:
            raise ValueError(f"{owner}: argument '{name}' needs more than k = {k} rows, received {x.shape[0]}")
    real_radii = kth_neighbour_radii(real, k, block_bytes)
    fake_radii = kth_neighbour_radii(fake, k, block_bytes)
    precision = inside_any_ball(fake, real, real_radii, block_bytes).mean()
    recall = inside_any_ball(real, fake, fake_radii, block_bytes).mean()
    return PrecisionRecall(precision=float(precision), recall=float(recall), k=k)
