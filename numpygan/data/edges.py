"""Fashion-MNIST edges → item: the paired task of pix2pix (edges2shoes in miniature).

Each image I (28×28, pixels in [0, 1]) is paired with its edge map E from a fixed detector,
the thresholded magnitude of the Sobel gradient (``scipy.ndimage.correlate``):

    K_x = [[1, 0, −1], [2, 0, −2], [1, 0, −1]],   K_y = K_xᵀ
    G_x = K_x ⋆ I,  G_y = K_y ⋆ I    (correlation, zero outside the image: the background is 0)
    E   = 1 where √(G_x² + G_y²) > EDGE_THRESHOLD, else 0

The largest possible magnitude on [0, 1] images is 4√2 ≈ 5.7 (a step from 0 to 1); the
threshold, 1.0, is a quarter of a full step's response: it keeps the item's outline and its
strong inner boundaries (collars, soles, straps) and drops the fabric's fine texture, so
the generator has to invent shading and texture, as in edges2shoes. On the test split 27 %
of the pixels are edges. The detector has no parameter fitted to data, so it is the same
for every split and every run.

    from numpygan.data.edges import load_fashion_edges
    edges, images, labels = load_fashion_edges("train")   # float32 (60000, 28, 28, 1) each, in [-1, 1]
"""

import numpy as np
from scipy import ndimage

EDGE_THRESHOLD = 1.0
"""The Sobel magnitude above which a pixel is an edge (images in [0, 1])."""
SOBEL_X = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
"""The horizontal Sobel kernel (responds to vertical edges); the vertical one is its transpose."""


def _as_batch(images, owner):
    """float64 (N, H, W) from images (N, H, W) or (N, H, W, 1) with pixels in [0, 1], checked first."""
    if not isinstance(images, np.ndarray) or images.dtype.kind != "f":
        raise TypeError(f"{owner}: argument 'images' must be a floating numpy array, received "
                        f"{getattr(images, 'dtype', type(images).__name__)}")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"{owner}: argument 'images' expected shape (N, H, W) or (N, H, W, 1), "
                         f"received {images.shape}")
    if images.size and (images.min() < 0.0 or images.max() > 1.0):
        raise ValueError(f"{owner}: argument 'images' expected pixels in [0, 1], received values in "
                         f"[{images.min():.4g}, {images.max():.4g}]")
    return images.astype(np.float64)


def sobel_magnitude(images):
    """√(G_x² + G_y²) for each image, float64 (N, H, W); images (N, H, W[, 1]) in [0, 1].

    The 3×3 kernels act within each image only (a (1, 3, 3) kernel over the batch):
    ``scipy.ndimage.sobel`` on the stacked batch would also smooth across neighbouring images.
    """
    x = _as_batch(images, "sobel_magnitude")
    gx = ndimage.correlate(x, SOBEL_X[None], mode="constant", cval=0.0)
    gy = ndimage.correlate(x, SOBEL_X.T[None], mode="constant", cval=0.0)
    return np.hypot(gx, gy)


def sobel_edges(images, threshold=EDGE_THRESHOLD):
    """Edge maps float32 (N, H, W, 1): 1 where the Sobel magnitude exceeds ``threshold``, else 0."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 0:
        raise ValueError(f"sobel_edges: argument 'threshold' expected a positive number, received {threshold!r}")
    return (sobel_magnitude(images) > threshold).astype(np.float32)[..., None]


def edge_pairs(images, value_range=(-1.0, 1.0), threshold=EDGE_THRESHOLD):
    """``(edges, images)`` for images (N, 28, 28, 1) in [0, 1]: both float32 scaled to ``value_range``
    (edges: 0 → low, 1 → high), ready for a tanh generator with the default."""
    low, high = value_range
    if not high > low:
        raise ValueError(f"edge_pairs: argument 'value_range' expected low < high, received {value_range}")
    edges = sobel_edges(images, threshold)
    scale = np.float32(high - low)
    images = np.asarray(images, dtype=np.float32)
    return low + scale * edges, low + scale * images


def load_fashion_edges(split="train", value_range=(-1.0, 1.0), limit=None, threshold=EDGE_THRESHOLD,
                       verbose=True):
    """``(edges, images, labels)`` of a Fashion-MNIST split: float32 (N, 28, 28, 1) edge maps and
    images in ``value_range``, int64 (N,) classes; ``limit`` keeps the first rows only."""
    from .datasets import load_fashion_mnist

    images, labels = load_fashion_mnist(split, value_range=(0, 1), verbose=verbose)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"load_fashion_edges: argument 'limit' expected a positive int or None, "
                             f"received {limit!r}")
        images, labels = images[:limit], labels[:limit]
    edges, images = edge_pairs(images, value_range, threshold)
    return np.ascontiguousarray(edges), np.ascontiguousarray(images), labels
