"""Where datasets are cached, and the one form they are cached in.

Cache directory, first that applies:

1. the ``cache_dir`` argument;
2. the ``NUMPYGAN_DATA`` environment variable;
3. ``~/.cache/numpygan``.

Each dataset is cached as a single ``<name>.npz`` holding the uint8 arrays
``x_train``, ``y_train``, ``x_test``, ``y_test``. It is written to a
temporary file in the same directory and moved into place with
``os.replace``, which is atomic, so a reader sees either the old file, the
new file or none, never a partial one. It is read with
``allow_pickle=False``, so a planted npz cannot run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Mapping, Sequence, Union

import numpy as np

from ..io import save_npz_atomic

__all__ = ["ENV_VAR", "default_cache_dir", "resolve_cache_dir", "write_npz_atomic", "read_npz"]

ENV_VAR = "NUMPYGAN_DATA"


def default_cache_dir() -> Path:
    """``~/.cache/numpygan``."""
    return Path.home() / ".cache" / "numpygan"


def resolve_cache_dir(cache_dir: Union[str, "os.PathLike[str]", None] = None) -> Path:
    """The cache directory to use: ``cache_dir``, else ``$NUMPYGAN_DATA``, else the default.

    The directory is not created here; writers create it when they need it.
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_cache_dir()


def write_npz_atomic(path: Union[str, "os.PathLike[str]"], arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` (compressed) to ``path`` so it appears complete or not at all."""
    save_npz_atomic(path, arrays, compress=True)
    return Path(path)


def read_npz(path: Union[str, "os.PathLike[str]"], keys: Sequence[str]) -> Dict[str, np.ndarray]:
    """Load only ``keys`` from an npz, refusing pickled (object) members.

    Raises ``ValueError`` naming the file if a key is missing, and whatever
    NumPy raises (``OSError``, ``ValueError``, ``zipfile.BadZipFile``) for a
    damaged file; callers treat all of these as "cache unusable".
    """
    with np.load(path, allow_pickle=False) as npz:
        missing = [k for k in keys if k not in npz.files]
        if missing:
            raise ValueError(f"{path}: missing arrays {missing}; found {sorted(npz.files)}")
        return {k: npz[k] for k in keys}
