"""Saving arrays without pickle, atomically, and reading them back only if they are intact.

A file is written to a temporary name in the same directory, flushed to disk,
then renamed over the target: a crash mid-write leaves the old file intact,
never a half-written one.

Reading checks every byte. NumPy's own ``np.load`` stops reading a member of an
.npz once it has the bytes that member's .npy header describes, so the zip
CRC-32 is never compared, and one changed digit of a shape in a header loads a
shifted array without complaint. ``load_npz`` instead reads each member whole
through ``zipfile`` (which compares the CRC-32 at the end of the member), parses
the .npy header, and requires the data that follows to be exactly
prod(shape) · itemsize bytes. Files written with ``checksums=True`` also hold
``CHECKSUMS_KEY`` (JSON, as uint8 bytes): per array its dtype, shape and SHA-256, and the list of
arrays, compared at load (a member dropped from the central directory, or an
array rewritten with a recomputed zip CRC, is caught too). Files without it
(written before, or by other tools) are still read, with the CRC and size checks.
"""

import hashlib
import io
import json
import os
import tempfile
import zipfile

import numpy as np
from numpy.lib import format as npy_format

CHECKSUMS_KEY = "__checksums__"
"""The member of an .npz written with ``checksums=True`` that lists every other array (JSON)."""


def array_checksum(array):
    """SHA-256 (hex) of an array's dtype, shape and C-order bytes."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.data if array.size else b"")
    return digest.hexdigest()


def save_npz_atomic(path, arrays, compress=False, checksums=False):
    """Write ``{name: ndarray}`` to ``path`` (.npz) atomically. Object arrays are refused.

    ``checksums=True`` adds the ``CHECKSUMS_KEY`` member that ``load_npz`` verifies.
    """
    path = os.fspath(path)
    for key, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise TypeError(f"save_npz_atomic: array {key!r} has dtype object, which would need pickle")
    if checksums:
        if CHECKSUMS_KEY in arrays:
            raise ValueError(f"save_npz_atomic: the name {CHECKSUMS_KEY!r} is reserved for the checksums")
        table = {key: [np.asarray(arr).dtype.str, list(np.shape(arr)), array_checksum(np.asarray(arr))]
                 for key, arr in arrays.items()}
        # compact separators: no whitespace whose change would leave the same JSON. First in the
        # archive: a damaged central directory can hide the members after a damaged entry, never before
        text = json.dumps(table, sort_keys=True, separators=(",", ":")).encode("ascii")
        arrays = {CHECKSUMS_KEY: np.frombuffer(text, dtype=np.uint8), **arrays}  # bytes, not 4-byte '<U' chars
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


class CorruptFileError(ValueError):
    """An .npz is truncated, damaged, or not an .npz at all."""


def load_npz(path, what="file", keep_checksums=False):
    """Read every array of an .npz into a dict, with ``allow_pickle=False``, checking every byte
    (see the module docstring); the ``CHECKSUMS_KEY`` member, if any, is verified and dropped
    (kept with ``keep_checksums``, for a format that requires it to check that it was there).

    A truncated, damaged or non-npz file raises ``CorruptFileError`` (a ValueError) naming the
    path; a missing one FileNotFoundError.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    try:
        arrays = _read_members(path)
    except CorruptFileError as err:
        raise CorruptFileError(f"{what} {path!r} is corrupt or not an .npz written by numpygan: {err}") from None
    except OSError as err:  # unreadable (permissions, a folder, an I/O error): not corruption
        raise CorruptFileError(f"{what} {path!r} cannot be read: {err}") from err
    if CHECKSUMS_KEY in arrays:
        table = arrays[CHECKSUMS_KEY]
        problem = _checksum_problem(arrays)
        if problem:
            raise CorruptFileError(f"{what} {path!r} is corrupt: {problem}")
        if keep_checksums:
            arrays[CHECKSUMS_KEY] = table
    return arrays


def _read_members(path):
    with open(path, "rb") as f:  # OSError here (a folder, no permission) is not corruption
        try:
            archive = zipfile.ZipFile(f)
        except Exception as err:  # noqa: BLE001 - BadZipFile, and OSError/ValueError/... for damaged offsets
            raise CorruptFileError(f"not a readable zip archive ({type(err).__name__}: {err})") from None
        arrays = {}
        with archive:
            for info in archive.infolist():
                name = info.filename
                if not name.endswith(".npy"):
                    raise CorruptFileError(f"member {name!r} is not an .npy array")
                key = name[:-len(".npy")]
                if key in arrays:
                    raise CorruptFileError(f"array {key!r} appears twice")
                try:
                    data = archive.read(info)  # whole, so that zipfile compares the CRC-32 at its end
                except Exception as err:  # noqa: BLE001 - BadZipFile, NotImplementedError, zlib.error, ...
                    raise CorruptFileError(f"member {name!r}: {type(err).__name__}: {err}") from None
                arrays[key] = _parse_npy(name, data)
    return arrays


def _parse_npy(name, data):
    """The array in the bytes ``data`` of one .npy member, which must hold exactly that array."""
    stream = io.BytesIO(data)
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unknown .npy version {version}")
    except Exception as err:  # noqa: BLE001 - NumPy's header parser raises many kinds for damaged text
        raise CorruptFileError(f"member {name!r} has a damaged .npy header ({type(err).__name__}: {err})") from None
    if dtype.hasobject:
        raise CorruptFileError(f"member {name!r} holds Python objects, which would need pickle")
    expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
    found = len(data) - stream.tell()
    if found != expected:
        raise CorruptFileError(f"member {name!r}: its header describes {shape} {dtype} ({expected} bytes) "
                               f"but {found} bytes follow")
    array = np.frombuffer(data, dtype=dtype, offset=stream.tell(), count=int(np.prod(shape, dtype=object)))
    if fortran_order:
        return array.reshape(shape[::-1]).transpose().copy()
    return array.reshape(shape).copy()


def _checksum_problem(arrays):
    """What is wrong with ``arrays`` against its checksum table (popped from it), or None."""
    try:
        table = json.loads(arrays.pop(CHECKSUMS_KEY).astype(np.uint8, casting="equiv").tobytes().decode("ascii"))
        if not isinstance(table, dict):
            raise ValueError("not a JSON object")
        entries = {key: (str(value[0]), tuple(int(n) for n in value[1]), str(value[2]))
                   for key, value in table.items()}
    except (ValueError, TypeError, IndexError, KeyError, UnicodeDecodeError) as err:
        return f"its checksum table is damaged ({type(err).__name__}: {err})"
    missing = sorted(set(entries) - set(arrays))
    unexpected = sorted(set(arrays) - set(entries))
    if missing or unexpected:
        return f"arrays missing: {missing}, not in the checksum table: {unexpected}"
    wrong = [key for key, (dtype, shape, digest) in entries.items()
             if arrays[key].dtype.str != dtype or arrays[key].shape != shape or array_checksum(arrays[key]) != digest]
    if wrong:
        return f"arrays {wrong[:8]}{' ...' if len(wrong) > 8 else ''} differ from the checksums recorded when saved"
    return None


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
