"""Element-wise work on several cores.

NumPy runs every ufunc (``np.maximum``, ``np.multiply``, a strided copy) on one
thread, while its BLAS runs the matrix products on all of them; with two threads
the element-wise passes over a DCGAN step's large activation arrays then take a
large share of the step on one core (benchmarks/README.md). A ufunc releases the GIL while it loops, so
the same pass split into row blocks on a few Python threads runs on that many
cores at once.

    map_rows(function, *arrays)

calls ``function(*blocks)`` on matching blocks of rows (axis 0) of every array,
one block per thread, and returns when all are done. The blocks are disjoint,
so a function that writes its result into one of the arrays (``out=``) needs no
locking, and the result is bit-for-bit that of one call on the whole arrays.
Small arrays (under ``MIN_BLOCK`` elements per block) are not split: starting
a thread costs more than the pass.

How many threads: ``set_num_threads(n)``; until it is called, the count the
environment gives BLAS (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS``), else the number of cores. ``numpygan train --threads N``
sets both. Element-wise threads need the cores that BLAS's own threads hold
while they wait for the next product; ``numpygan/runtime/__init__.py`` therefore
shortens OpenBLAS's busy-wait (``OPENBLAS_THREAD_TIMEOUT``) when it is
imported before NumPy.
"""

import os
from concurrent.futures import ThreadPoolExecutor

MIN_BLOCK = 1 << 18
"""Fewest elements per block (1 MB of float32) worth handing to another thread."""

_ENVIRONMENT = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_threads = None
_pool = None


def get_num_threads():
    """Threads that ``map_rows`` uses (the calling thread included)."""
    global _threads
    if _threads is None:
        _threads = _threads_from_environment()
    return _threads


def set_num_threads(n):
    """Let ``map_rows`` use ``n`` threads (1: everything on the calling thread)."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: argument 'n' must be an int >= 1, received {n!r}")
    if _pool is not None and n != _threads:
        _pool.shutdown(wait=True)
        _pool = None
    _threads = n


def restart_threads():
    """Stop the pool's threads; the next ``map_rows`` starts new ones from the thread that calls it.

    A new thread copies its creator's floating-point mode (``numpygan.runtime.denormals``),
    so a changed mode reaches the pool this way. Call it between passes, not during one.
    """
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def _threads_from_environment():
    for variable in _ENVIRONMENT:
        value = os.environ.get(variable, "").strip()
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return os.cpu_count() or 1


def map_rows(function, *arrays):
    """``function(*blocks)`` on matching row blocks of ``arrays`` (all with the same length),
    the blocks on separate threads; returns None once every block is done."""
    rows = len(arrays[0])
    if any(len(a) != rows for a in arrays[1:]):
        raise ValueError(f"map_rows: the arrays must have the same number of rows, received "
                         f"{[len(a) for a in arrays]}")
    largest = max(a.size for a in arrays)
    blocks = min(get_num_threads(), rows, largest // MIN_BLOCK)
    if blocks < 2:
        function(*arrays)
        return
    bounds = [rows * i // blocks for i in range(blocks + 1)]
    pending = [_executor().submit(function, *(a[start:stop] for a in arrays))
               for start, stop in zip(bounds[1:-1], bounds[2:])]
    try:
        function(*(a[:bounds[1]] for a in arrays))   # the first block on this thread
    finally:
        for future in pending:
            future.result()                            # waits; re-raises a block's exception


def _executor():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=get_num_threads() - 1, thread_name_prefix="numpygan")
    return _pool


def _forget_pool_in_child():
    # a forked child inherits the pool object but not its threads: work handed
    # to it would never run. The child starts a pool of its own when it needs one.
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)
