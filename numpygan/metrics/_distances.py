"""Pairwise squared Euclidean distances in row blocks, by the matmul expansion.

    ‖x_i − y_j‖² = ‖x_i‖² + ‖y_j‖² − 2 x_i·y_j

One block of B query rows against all M reference rows is a (B, M) float64
matrix, so memory stays at 8·B·M bytes whatever N is. Everything is float64:
in float32 the expansion cancels catastrophically (‖x‖² ≈ 100 for an MNIST
image, so a distance near 0 would carry an absolute error of ~1e-5·100),
and rounding can make it negative, which is clipped to 0.
"""

import numpy as np


def squared_norms(y):
    """‖y_j‖² for each row of a float64 (M, D) array, as (M,)."""
    return np.einsum("ij,ij->i", y, y)


def squared_distances(x, y, y_norms=None):
    """(B, M) float64 matrix of ‖x_i − y_j‖² for float64 x (B, D), y (M, D); never negative."""
    if y_norms is None:
        y_norms = squared_norms(y)
    d2 = x @ y.T
    d2 *= -2.0
    d2 += squared_norms(x)[:, None]
    d2 += y_norms[None, :]
    np.maximum(d2, 0.0, out=d2)
    return d2


def row_blocks(n, block):
    """Slices [0, block), [block, 2·block), ... covering range(n)."""
    for start in range(0, n, block):
        yield slice(start, min(start + block, n))


def block_rows(max_bytes, columns):
    """How many rows of a float64 (rows, columns) block fit in ``max_bytes`` (at least 1)."""
    return max(1, int(max_bytes // (8 * max(columns, 1))))
