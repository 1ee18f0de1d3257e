"""Input validation shared by the metrics: done before any arithmetic."""

import numpy as np

IMAGE_SHAPE = (28, 28, 1)


def check_images(owner, images, argument="images"):
    """Return ``images`` if it is a float array (N, 28, 28, 1) with finite values in [0, 1].

    The range check catches the commonest mistake, passing tanh outputs in
    [-1, 1]: every metric here expects pixels in [0, 1].
    """
    if not isinstance(images, np.ndarray) or not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            f"{owner}: argument '{argument}' must be a floating numpy array, received "
            f"{getattr(images, 'dtype', type(images).__name__)}"
        )
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE or images.shape[0] == 0:
        raise ValueError(
            f"{owner}: argument '{argument}' must have shape (N, 28, 28, 1) with N >= 1, "
            f"received {images.shape}"
        )
    if not np.all(np.isfinite(images)):
        raise ValueError(f"{owner}: argument '{argument}' contains NaN or infinite values")
    low, high = float(images.min()), float(images.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{owner}: argument '{argument}' must hold pixels in [0, 1], received values in "
            f"[{low:.4g}, {high:.4g}] (map tanh outputs with (x + 1) / 2)"
        )
    return images


def check_matrix(owner, x, argument, min_rows=1, columns=None):
    """Return ``x`` as float64 (N, D) if it is a finite 2-D real array with N >= min_rows."""
    if not isinstance(x, np.ndarray) or not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(
            f"{owner}: argument '{argument}' must be a real numpy array, received "
            f"{getattr(x, 'dtype', type(x).__name__)}"
        )
    if x.ndim != 2:
        raise ValueError(f"{owner}: argument '{argument}' must be 2-D (N, D), received shape {x.shape}")
    if x.shape[0] < min_rows or x.shape[1] == 0:
        raise ValueError(
            f"{owner}: argument '{argument}' needs at least {min_rows} rows and 1 column, received shape {x.shape}"
        )
    if columns is not None and x.shape[1] != columns:
        raise ValueError(
            f"{owner}: argument '{argument}' must have {columns} columns to match the other argument, "
            f"received shape {x.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{owner}: argument '{argument}' contains NaN or infinite values")
    return x.astype(np.float64, copy=False)


def check_positive_int(owner, value, argument, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: argument '{argument}' must be an int >= {minimum}, received {value!r}")
    return int(value)
