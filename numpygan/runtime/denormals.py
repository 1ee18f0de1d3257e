"""Flush denormals: treat subnormal floats as 0, so that arithmetic which meets them stays fast.

A float32 below 1.18e-38 in magnitude is *subnormal*. The CPU computes with it
correctly but slowly: on x86 every vector multiply or add that reads or
produces one takes a microcode assist of ~100 cycles. A trained DCGAN generator
makes them: its sigmoid saturates on the background pixels, the gradients
there are ~1e-30, and a few products later they are subnormal; its training
steps then slow down by about half (figures: benchmarks/README.md, "Subnormal
floats"). A contribution below 1e-38 to a weight update changes nothing that a
float32 weight can hold, so deep-learning frameworks train this way
(TensorFlow sets the mode in its thread pools; PyTorch offers
``torch.set_flush_denormal``).

    set_flush_denormal(True)      # returns False where it is not supported
    with flush_denormals():       # on for a block, then as before
        trainer.fit(x)

``GANTrainer.fit`` does the latter by default.

How: the x86-64 control register MXCSR gets FTZ (a result that would be
subnormal is 0) and DAZ (a subnormal input is read as 0), through C's
``fegetenv``/``fesetenv``. The register belongs to one thread, and a new thread
starts with a copy of its creator's. So the mode is set on the calling thread,
and the threads that do numpygan's work on its behalf are restarted from it:
OpenBLAS's workers (``blas_thread_shutdown_``; OpenBLAS starts new ones at the
next threaded product) and ``numpygan.runtime.parallel``'s pool. Supported: Linux with
glibc on x86-64. Elsewhere ``set_flush_denormal`` changes nothing and returns
False; a BLAS other than OpenBLAS keeps its threads (their share of each
product then runs in the old mode).
"""

import contextlib
import ctypes
import ctypes.util
import platform
import sys

from . import parallel

_FTZ = 0x8000   # MXCSR bit 15: flush results to zero
_DAZ = 0x0040   # MXCSR bit 6: denormal inputs are zero
_MXCSR_OFFSET = 28
"""Where glibc's x86-64 ``fenv_t`` keeps MXCSR: after the 28-byte x87 environment."""
_FENV_BYTES = 32

_libm = None


def _math_library():
    """C's libm, if this platform has the fenv layout this module knows (glibc, x86-64); else None."""
    global _libm
    if _libm is None:
        _libm = False
        if sys.platform.startswith("linux") and platform.machine().lower() in ("x86_64", "amd64"):
            name = ctypes.util.find_library("m")
            if name:
                library = ctypes.CDLL(name)
                if hasattr(library, "fegetenv") and hasattr(library, "fesetenv"):
                    _libm = library
    return _libm or None


def _read_environment():
    """(buffer, MXCSR) of the calling thread, or None if unsupported or the layout is not the expected one."""
    libm = _math_library()
    if libm is None:
        return None
    buffer = ctypes.create_string_buffer(_FENV_BYTES)
    if libm.fegetenv(buffer) != 0:
        return None
    mxcsr = int.from_bytes(buffer.raw[_MXCSR_OFFSET:_MXCSR_OFFSET + 4], "little")
    if mxcsr >> 16:   # MXCSR's upper half is reserved and always 0: this is not the register
        return None
    return buffer, mxcsr


def get_flush_denormal():
    """True if the calling thread flushes subnormal floats to zero (FTZ and DAZ both set)."""
    state = _read_environment()
    return state is not None and state[1] & (_FTZ | _DAZ) == _FTZ | _DAZ


def set_flush_denormal(mode):
    """Flush subnormal floats to zero (``mode`` True) or compute with them (False), on the calling
    thread and the BLAS and ``numpygan.runtime.parallel`` threads working for it.

    Returns True if the mode is now ``mode``, False where this platform is not supported
    (nothing is changed then).
    """
    if not isinstance(mode, bool):
        raise TypeError(f"set_flush_denormal: argument 'mode' must be a bool, received {type(mode).__name__}")
    state = _read_environment()
    if state is None:
        return False
    buffer, mxcsr = state
    wanted = mxcsr | _FTZ | _DAZ if mode else mxcsr & ~(_FTZ | _DAZ)
    if wanted != mxcsr:
        ctypes.memmove(ctypes.addressof(buffer) + _MXCSR_OFFSET, wanted.to_bytes(4, "little"), 4)
        if _math_library().fesetenv(buffer) != 0:
            return False
        _restart_worker_threads()
    return get_flush_denormal() == mode


@contextlib.contextmanager
def flush_denormals(enabled=True):
    """``set_flush_denormal(enabled)`` for the ``with`` block, the previous mode restored after it.

    Yields whether the mode is in effect (False where unsupported).
    """
    previous = get_flush_denormal()
    in_effect = set_flush_denormal(bool(enabled))
    try:
        yield in_effect
    finally:
        if in_effect:
            set_flush_denormal(previous)


def _restart_worker_threads():
    """Let the threads that work for this one start again from it, with its floating-point mode."""
    parallel.restart_threads()
    for shutdown in _openblas_shutdowns():
        shutdown()


def _openblas_shutdowns():
    """``blas_thread_shutdown_`` of every OpenBLAS library loaded in this process (NumPy's, SciPy's)."""
    from .blas import loaded_openblas   # here, not above: blas imports parallel, as this module does

    functions = []
    for path in loaded_openblas():
        function = getattr(ctypes.CDLL(path), "blas_thread_shutdown_", None)   # loaded already: same handle
        if function is not None:
            function.restype = ctypes.c_int
            functions.append(function)
    return functions
