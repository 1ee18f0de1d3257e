"""Let the C allocator keep large freed arrays for reuse instead of handing them back to the kernel.

Why a training run cares: glibc's malloc serves every request above its mmap
threshold (which it raises by itself, but never past 32 MB) straight from the
kernel, and unmaps it on free. A DCGAN step allocates and frees dozens of arrays
of 50–200 MB (activations of shape (128, 28, 28, 128), im2col matrices), so every
one of them is page-faulted and zeroed by the kernel again. With the threshold raised, such arrays come from
malloc's heap, and a freed block is reused by the next array of that size. The
price is a higher peak memory, since freed memory stays with the process until
it exits (figures: benchmarks/README.md).
"""

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(limit=1 << 30):
    """Serve allocations up to ``limit`` bytes from the heap and keep freed heap memory (glibc only).

    Process-wide, like the BLAS thread count; the training command line calls it.
    Returns True if the allocator accepted both settings, False where there is no
    glibc ``mallopt`` (other C libraries, other operating systems).
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"keep_freed_memory: argument 'limit' must be a positive int (bytes), received {limit!r}")
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    limit = min(limit, 2 ** 31 - 1)
    return bool(mallopt(_M_MMAP_THRESHOLD, limit)) and bool(mallopt(_M_TRIM_THRESHOLD, limit))
