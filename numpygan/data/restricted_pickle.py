"""An unpickler that can rebuild NumPy arrays and nothing else.

Unpickling runs whatever callable the pickle names, so a pickle from
outside is code, not data. ``RestrictedUnpickler`` lets a pickle name only
the three globals that a pickled ``ndarray`` needs:

* ``numpy.core.multiarray._reconstruct`` (the NumPy 1.x path, which
  Python-2-era pickles such as the classic ``mnist.pkl.gz`` use) or its
  NumPy 2 home ``numpy._core.multiarray._reconstruct``;
* ``numpy.ndarray``;
* ``numpy.dtype``.

Any other global (``os.system``, ``builtins.eval``, ...) raises
``pickle.UnpicklingError`` before it is looked up, let alone called.
Persistent ids are refused as well (the base class already does so).

The result may still contain object arrays, whose elements come from the
pickle stream; ``restricted_load`` therefore also rejects object dtypes so the
caller gets plain numeric arrays only.
"""

from __future__ import annotations

import io
import pickle
from typing import IO, Any, Callable, Dict, Tuple

import numpy as np

__all__ = ["ALLOWED_GLOBALS", "RestrictedUnpickler", "restricted_loads", "restricted_load"]


def _reconstruct() -> Callable[..., Any]:
    # Imported from NumPy 2's private home first: touching ``numpy.core``
    # under NumPy 2 emits a DeprecationWarning.
    try:
        from numpy._core.multiarray import _reconstruct as fn
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct as fn
    return fn


#: (module, name) -> zero-argument resolver of the object to hand back.
ALLOWED_GLOBALS: Dict[Tuple[str, str], Callable[[], Any]] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` admits only NumPy array rebuilding.

    Use ``encoding="latin1"`` for Python 2 pickles of NumPy arrays: their
    raw array bytes were pickled as ``str``, which latin-1 maps 1:1 to bytes.
    """

    def find_class(self, module: str, name: str) -> Any:
        resolver = ALLOWED_GLOBALS.get((module, name))
        if resolver is None:
            allowed = ", ".join(f"{m}.{n}" for m, n in ALLOWED_GLOBALS)
            raise pickle.UnpicklingError(
                f"restricted unpickler: global {module}.{name} is not allowed; "
                f"only {allowed} may be named"
            )
        return resolver()


def _check_no_objects(value: Any, where: str = "pickle") -> None:
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise pickle.UnpicklingError(f"restricted unpickler: {where} is an object array")
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            _check_no_objects(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_no_objects(item, f"{where}[{key!r}]")


def restricted_load(file: IO[bytes], *, encoding: str = "latin1") -> Any:
    """Unpickle from a binary file object with ``RestrictedUnpickler``.

    Returns the unpickled object (typically nested tuples of ndarrays).
    Raises ``pickle.UnpicklingError`` if the pickle names a forbidden global
    or yields an object-dtype array.
    """
    value = RestrictedUnpickler(file, encoding=encoding).load()
    _check_no_objects(value)
    return value


def restricted_loads(data: bytes, *, encoding: str = "latin1") -> Any:
    """``restricted_load`` for a bytes object."""
    return restricted_load(io.BytesIO(data), encoding=encoding)
