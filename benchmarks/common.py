"""Timing helpers shared by the benchmark scripts.

Threads: NumPy's BLAS (OpenBLAS in the NumPy wheels) reads its thread count
from the environment *when NumPy is imported*, so set it before starting
Python, e.g. ``OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 python benchmarks/run.py``.
With nothing set, OpenBLAS uses every core (2 on the reference machine);
PyTorch is given the same count with ``torch.set_num_threads``.
"""

import os
import platform
import statistics
import subprocess
import time

import numpy as np

def time_calls(fn, repeats, warmup=1):
    """Call ``fn()`` ``warmup`` times untimed, then ``repeats`` times; return the seconds of each."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def median_ms(samples):
    return 1e3 * statistics.median(samples)


def blas_threads():
    """How many threads NumPy's BLAS will use, as far as the environment says."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return os.cpu_count()


def matmul_gflops(n=1024, repeats=15, warmup=2, dtype=np.float32):
    """Measured GFLOP/s of one (n×n)·(n×n) float32 product (2n³ FLOP), median over repeats.

    This is the "matmul bound" the GAN iterations are compared against: the
    rate this machine's BLAS reaches on a large, well-shaped GEMM.
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    samples = time_calls(lambda: np.matmul(a, b, out=out), repeats, warmup)
    return 2.0 * n ** 3 / statistics.median(samples) / 1e9


def load_average():
    try:
        return os.getloadavg()
    except OSError:  # not available on every platform
        return (float("nan"),) * 3


def cpu_model():
    """``lscpu``'s model name (or platform's processor string where lscpu is missing)."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in text.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown CPU"


def blas_name():
    try:
        info = np.show_config(mode="dicts")
        blas = info["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict mode
        return "unknown BLAS"


def machine_description():
    """One line: CPU, cores, Python, NumPy and its BLAS."""
    return (f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"NumPy {np.__version__} ({blas_name()})")


def load_text():
    return " ".join(f"{v:.2f}" for v in load_average())
