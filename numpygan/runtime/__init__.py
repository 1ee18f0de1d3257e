"""How numpygan uses the machine: threads, floating-point mode, memory. None of it is math.

The layers, losses and optimizers in ``numpygan.layers``, ``numpygan.losses`` and
``numpygan.optimizers`` never import this package; only the fast twins
(``numpygan.fast``) and the training code do.

* ``parallel``: ``map_rows``, element-wise passes in row blocks on several threads; ``set_num_threads``
* ``blas``: the OpenBLAS thread count at run time (``blas_threads``, ``set_blas_threads``)
* ``denormals``: subnormal floats computed as 0 (``set_flush_denormal``, ``flush_denormals``)
* ``memory``: let glibc keep large freed arrays for reuse (``keep_freed_memory``)
"""

import os

# OpenBLAS's idle threads busy-wait ~2^28 cycles (~0.1 s) for the next matrix product,
# holding the cores that the element-wise threads (parallel.py) need; 2^20 cycles
# (~0.3 ms) still bridge the gaps between the products of one step. OpenBLAS reads
# this when NumPy is first imported, so ``numpygan/__init__.py`` imports this package first.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")

from . import blas, denormals, memory, parallel  # noqa: E402
from .blas import blas_threads, get_blas_threads, set_blas_threads  # noqa: E402
from .denormals import flush_denormals, get_flush_denormal, set_flush_denormal  # noqa: E402
from .memory import keep_freed_memory  # noqa: E402
from .parallel import get_num_threads, map_rows, set_num_threads  # noqa: E402

__all__ = ["parallel", "blas", "denormals", "memory", "map_rows", "get_num_threads", "set_num_threads",
           "blas_threads", "get_blas_threads", "set_blas_threads", "flush_denormals", "get_flush_denormal",
           "set_flush_denormal", "keep_freed_memory"]
