"""Reader and writer for the IDX format that MNIST and Fashion-MNIST ship in.

An IDX file is big-endian throughout::

    bytes 0-1   zero
    byte  2     element type code (0x08 = unsigned byte, see ``TYPE_CODES``)
    byte  3     number of dimensions d
    4*d bytes   the dimensions, each an unsigned 32-bit integer
    the rest    the elements in C (row-major) order

Read as one big-endian integer, the first four bytes are the *magic number*:
2051 (``0x00000803``) for a 3-D unsigned-byte image file, 2049
(``0x00000801``) for a 1-D unsigned-byte label file.

The reader refuses anything it cannot account for exactly: a wrong magic
number, unexpected dimensions, a payload shorter (truncated download) or
longer (wrong file) than the header declares. Every error is a ``ValueError``
that names the file and says what was expected and what was found.
Gzip-compressed files are recognised by their content, not their name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import zlib
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

__all__ = [
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "TYPE_CODES",
    "parse_idx",
    "read_idx",
    "read_idx_bytes",
    "decompress_if_gzip",
    "encode_idx",
    "idx_sha256",
    "write_idx",
]

IMAGES_MAGIC = 0x00000803  # 2051: unsigned bytes, 3 dimensions (N, rows, cols)
LABELS_MAGIC = 0x00000801  # 2049: unsigned bytes, 1 dimension (N,)

#: IDX element type code -> big-endian NumPy dtype.
TYPE_CODES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dt.kind, dt.itemsize): code for code, dt in TYPE_CODES.items()}

_GZIP_MAGIC = b"\x1f\x8b"
PathLike = Union[str, "os.PathLike[str]"]


def _describe_magic(magic: int) -> str:
    code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    dtype = TYPE_CODES.get(code)
    kind = f"{dtype.name} elements" if dtype is not None else f"unknown type code 0x{code:02X}"
    return f"{magic} (0x{magic:08X}: {kind}, {ndim}-D)"


def parse_idx(
    data: bytes,
    *,
    name: str = "<bytes>",
    expected_magic: Optional[int] = None,
    expected_shape: Optional[Sequence[Optional[int]]] = None,
) -> np.ndarray:
    """Decode the (already decompressed) bytes of an IDX file.

    Parameters
    ----------
    data : bytes-like
        The whole uncompressed file.
    name : str
        What to call the data in error messages (usually the file path).
    expected_magic : int, optional
        Required magic number, e.g. ``IMAGES_MAGIC`` (2051).
    expected_shape : sequence of int or None, optional
        Required dimensions; ``None`` entries match any size.

    Returns
    -------
    numpy.ndarray
        A fresh, writable, native-endian array with the shape the header
        declares, e.g. uint8 (N, 28, 28) for an image file.

    Raises
    ------
    ValueError
        If the header is malformed or does not match the expectations, or
        the payload is shorter or longer than the header declares.
    """
    view = memoryview(data).cast("B")
    if len(view) < 4:
        raise ValueError(
            f"{name}: {len(view)} bytes is too short for an IDX file; "
            "expected at least the 4-byte magic number"
        )
    (magic,) = struct.unpack(">I", view[:4])
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(
            f"{name}: bad IDX magic number {_describe_magic(magic)}; "
            f"expected {_describe_magic(expected_magic)}"
        )
    if magic >> 16 != 0:
        raise ValueError(
            f"{name}: not an IDX file: the first two bytes must be zero, "
            f"received magic number 0x{magic:08X}"
        )
    code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    if code not in TYPE_CODES:
        known = ", ".join(f"0x{c:02X}" for c in TYPE_CODES)
        raise ValueError(f"{name}: unknown IDX type code 0x{code:02X}; expected one of {known}")
    header_len = 4 + 4 * ndim
    if len(view) < header_len:
        raise ValueError(
            f"{name}: truncated IDX header: {ndim} dimensions need {header_len} header "
            f"bytes, received {len(view)} bytes in total"
        )
    shape = struct.unpack(f">{ndim}I", view[4:header_len])
    if expected_shape is not None:
        expected_shape = tuple(expected_shape)
        matches = len(shape) == len(expected_shape) and all(
            want is None or want == got for want, got in zip(expected_shape, shape)
        )
        if not matches:
            shown = "(" + ", ".join("any" if d is None else str(d) for d in expected_shape) + ")"
            raise ValueError(f"{name}: IDX dimensions {shape}, expected {shown}")
    dtype = TYPE_CODES[code]
    count = int(np.prod(shape, dtype=np.int64))
    want_bytes = count * dtype.itemsize
    have_bytes = len(view) - header_len
    if have_bytes < want_bytes:
        raise ValueError(
            f"{name}: truncated IDX payload: the header declares shape {shape} = "
            f"{want_bytes} bytes of {dtype.name}, received {have_bytes} bytes "
            f"({want_bytes - have_bytes} missing)"
        )
    if have_bytes > want_bytes:
        raise ValueError(
            f"{name}: IDX payload too long: the header declares shape {shape} = "
            f"{want_bytes} bytes of {dtype.name}, received {have_bytes} bytes "
            f"({have_bytes - want_bytes} extra)"
        )
    flat = np.frombuffer(view, dtype=dtype, count=count, offset=header_len)
    # astype copies, so the result neither aliases ``data`` nor is read-only.
    return flat.astype(dtype.newbyteorder("=")).reshape(shape)


def decompress_if_gzip(data: bytes, *, name: str = "<bytes>", max_bytes: Optional[int] = None) -> bytes:
    """Return ``data`` gunzipped if it starts with the gzip magic, else unchanged.

    ``max_bytes`` bounds the decompressed size, so a hostile or wrong file
    cannot exhaust memory; exceeding it is a ``ValueError``. A damaged or
    truncated gzip stream is a ``ValueError`` naming ``name``.
    """
    if bytes(data[:2]) != _GZIP_MAGIC:
        if max_bytes is not None and len(data) > max_bytes:
            raise ValueError(f"{name}: {len(data)} bytes, expected at most {max_bytes}")
        return bytes(data)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{name}: damaged or truncated gzip data ({exc})") from exc
    if max_bytes is not None and len(out) > max_bytes:
        raise ValueError(
            f"{name}: decompresses to more than {max_bytes} bytes, expected at most {max_bytes}"
        )
    return out


def read_idx_bytes(path: PathLike, *, max_bytes: Optional[int] = None) -> bytes:
    """Read a file and return its uncompressed IDX bytes (gunzipping if needed)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(2)
        if head != _GZIP_MAGIC and max_bytes is not None:
            # Plain file: refuse oversize input before reading all of it.
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise ValueError(f"{path}: {size} bytes, expected at most {max_bytes}")
        f.seek(0)
        data = f.read()
    return decompress_if_gzip(data, name=str(path), max_bytes=max_bytes)


def read_idx(
    path: PathLike,
    *,
    expected_magic: Optional[int] = None,
    expected_shape: Optional[Sequence[Optional[int]]] = None,
) -> np.ndarray:
    """Read an IDX file, plain or gzip-compressed.

    Returns the array with the declared shape (uint8 (N, 28, 28) for MNIST
    images, uint8 (N,) for labels). See ``parse_idx`` for the checks and the
    ``ValueError`` raised on malformed input.
    """
    data = read_idx_bytes(path)
    return parse_idx(data, name=str(path), expected_magic=expected_magic, expected_shape=expected_shape)


def _header(array: np.ndarray) -> bytes:
    dtype = np.dtype(array.dtype)
    code = _CODE_OF_KIND.get((dtype.kind, dtype.itemsize))
    if code is None:
        raise ValueError(
            f"array: dtype {dtype} has no IDX type code; expected one of "
            + ", ".join(dt.name for dt in TYPE_CODES.values())
        )
    if array.ndim > 255:
        raise ValueError(f"array: {array.ndim} dimensions, expected at most 255")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"array: shape {array.shape} has a dimension >= 2**32")
    return struct.pack(f">I{array.ndim}I", (code << 8) | array.ndim, *array.shape)


def encode_idx(array: np.ndarray) -> bytes:
    """Serialise ``array`` as the bytes of an uncompressed IDX file.

    This is the canonical form whose SHA-256 identifies a dataset file: the
    same pixels always encode to the same bytes, whatever container (gzip,
    npz, pickle) they travelled in.
    """
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">"), copy=False)
    return _header(array) + np.ascontiguousarray(big).tobytes()


def idx_sha256(array: np.ndarray) -> str:
    """SHA-256 hex digest of ``encode_idx(array)``, computed without the copy."""
    array = np.asarray(array)
    digest = hashlib.sha256(_header(array))
    big = np.ascontiguousarray(array.astype(array.dtype.newbyteorder(">"), copy=False))
    digest.update(memoryview(big).cast("B"))
    return digest.hexdigest()


def write_idx(path: PathLike, array: np.ndarray, *, compress: Optional[bool] = None) -> Path:
    """Write ``array`` as an IDX file; gzip it if ``compress`` (default: name ends in .gz).

    Returns the path written. Used by tests and to export data for other tools.
    """
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    data = encode_idx(array)
    if compress:
        # mtime=0 keeps the output byte-identical from run to run.
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path
