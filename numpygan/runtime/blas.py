"""How many threads OpenBLAS (NumPy's matrix products) may use, set at run time.

Why a training run cares: OpenBLAS worker threads spin while they wait. When the
cores are shared (other programs, other users), a two-thread product waits for a
core that is busy elsewhere, and a step can become many times slower; on a quiet
machine more threads are faster (figures: benchmarks/README.md). ``blas_threads``
also sets the threads of the element-wise passes (``numpygan.runtime.parallel``).

``OPENBLAS_NUM_THREADS`` works only if set before NumPy is imported; this module
changes the count afterwards by calling OpenBLAS's own setter in every OpenBLAS
library loaded into the process (found in ``/proc/self/maps``). Where that is not
possible (another BLAS, another OS) it does nothing and says so.
"""

import ctypes
import os

from . import parallel

# Setter and getter names, without and with the prefixes/suffixes of the builds NumPy and SciPy ship.
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")


def loaded_openblas():
    """Paths of the OpenBLAS libraries mapped into this process (Linux only; empty elsewhere)."""
    import numpy  # noqa: F401  (loads NumPy's OpenBLAS if nothing has yet)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        return []
    return sorted(p for p in paths if os.path.exists(p))


def _function(library, names):
    for name in names:
        function = getattr(library, name, None)
        if function is not None:
            return function
    return None


def get_blas_threads():
    """``{library path: thread count}`` for every loaded OpenBLAS that reports one."""
    counts = {}
    for path in loaded_openblas():
        getter = _function(ctypes.CDLL(path), _GETTERS)
        if getter is not None:
            getter.restype = ctypes.c_int
            counts[path] = int(getter())
    return counts


def set_blas_threads(n):
    """Let every loaded OpenBLAS use ``n`` threads; return how many libraries were changed (0: none found)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_blas_threads: argument 'n' must be an int >= 1, received {n!r}")
    changed = 0
    for path in loaded_openblas():
        setter = _function(ctypes.CDLL(path), _SETTERS)
        if setter is not None:
            setter.argtypes = [ctypes.c_int]
            setter(n)
            changed += 1
    return changed


class blas_threads:
    """``with blas_threads(n):`` run the block with ``n`` OpenBLAS threads, and ``n`` threads for
    the element-wise passes (``numpygan.runtime.parallel``), then restore the previous counts.

    ``n=None`` changes nothing.
    """

    def __init__(self, n):
        self.n = n
        self._before = {}
        self._parallel_before = None

    def __enter__(self):
        if self.n is not None:
            self._before = get_blas_threads()
            self._parallel_before = parallel.get_num_threads()
            set_blas_threads(self.n)
            parallel.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        for path, count in self._before.items():
            setter = _function(ctypes.CDLL(path), _SETTERS)
            setter.argtypes = [ctypes.c_int]
            setter(count)
        if self._parallel_before is not None:
            parallel.set_num_threads(self._parallel_before)
        return False
