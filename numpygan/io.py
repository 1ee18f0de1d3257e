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


def _same_shape(key, own, received):
    return own.shape == received.shape


def _shape(array):
    return str(array.shape)


def check_state_matches(own, received, header, same_layout=_same_shape, describe=_shape,
                        mismatch_label="shape mismatch", limit=None):
    """Raise ValueError unless ``received`` has exactly the keys of ``own`` (both ``{name: ndarray}``),
    each with the same layout (``same_layout(key, own_array, received_array)``; default: shape).

    The message starts with ``header`` and lists every missing, unexpected and mismatched
    entry (``describe(array)`` for both sides of a mismatch; at most ``limit`` of each
    list, then a count), so one error shows everything that differs.
    """
    missing = sorted(set(own) - set(received))
    unexpected = sorted(set(received) - set(own))
    wrong = [f"{key}: expected {describe(own[key])}, received {describe(received[key])}"
             for key in own if key in received and not same_layout(key, own[key], received[key])]
    if not (missing or unexpected or wrong):
        return
    lines = [header]
    for label, items, sep in (("missing", missing, ", "), ("unexpected", unexpected, ", "),
                              (mismatch_label, wrong, "; ")):
        if items:
            shown = items if limit is None else items[:limit]
            more = len(items) - len(shown)
            lines.append(f"  {label}: " + sep.join(shown) + (f"{sep}... ({more} more)" if more else ""))
    raise ValueError("\n".join(lines))
