"""Saving arrays without pickle, atomically.

A file is written to a temporary name in the same directory, flushed to disk,
then renamed over the target: a crash mid-write leaves the old file intact,
never a half-written one.
"""

import os
import tempfile
import zipfile

import numpy as np


def save_npz_atomic(path, arrays, compress=False):
    """Write ``{name: ndarray}`` to ``path`` (.npz) atomically. Object arrays are refused."""
    path = os.fspath(path)
    for key, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise TypeError(f"save_npz_atomic: array {key!r} has dtype object, which would need pickle")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; these are ordinary data files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_npz(path, what="file"):
    """Read every array of an .npz into a dict, with ``allow_pickle=False``.

    A missing, truncated or non-npz file raises ``ValueError`` naming the path.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise ValueError(f"{what} {path!r} is corrupt or not an .npz written by numpygan: {err}") from err
