"""Timing helpers shared by the benchmark scripts.

Threads: NumPy's BLAS (OpenBLAS in the NumPy wheels) reads its thread count
from the environment *when NumPy is imported*, so set it before starting
Python, e.g. ``OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 python benchmarks/run.py``.
With nothing set, OpenBLAS uses every core (2 on the reference machine);
PyTorch is given the same count with ``torch.set_num_threads``.
"""

import os
import platform
import sys
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


FORCING_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Set on some machines because older OpenBLAS builds fail on their CPUs; they force a kernel
(e.g. Haswell's AVX2 on an AVX-512 CPU) slower than the one a user's machine picks."""


def blas_kernels():
    """One line per BLAS library loaded in this process: name, version and kernel (architecture),
    read with threadpoolctl; None when threadpoolctl is not installed. (The workers load the same
    library under the same environment; their thread counts are set per table.)"""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [f"{lib.get('internal_api', '?')} {lib.get('version') or '?'}, kernel {lib.get('architecture') or '?'}"
            for lib in threadpool_info() if lib.get("user_api") == "blas"]


def blas_report():
    """Lines that say which BLAS kernel the timings below ran on, and whether the environment forces it."""
    kernels = blas_kernels()
    if kernels is None:
        lines = ["BLAS kernel: unknown (pip install threadpoolctl to see it)"]
    else:
        lines = [f"BLAS kernel: {k}" for k in kernels] or ["BLAS kernel: no BLAS library found loaded"]
    forced = [f"{v}={os.environ[v]}" for v in FORCING_VARIABLES if os.environ.get(v)]
    if forced:
        lines.append(f"note: {' '.join(forced)} is set and forces that kernel, which a user's machine may not use; "
                     f"to measure what a user gets: env -u {' -u '.join(FORCING_VARIABLES)} python "
                     f"{os.path.relpath(os.path.abspath(sys.argv[0]))}")
    return lines


def machine_description():
    """One line: CPU, cores, Python, NumPy and its BLAS."""
    return (f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"NumPy {np.__version__} ({blas_name()})")


def load_text():
    return " ".join(f"{v:.2f}" for v in load_average())
