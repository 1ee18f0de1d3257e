"""A trainable tensor and the gradient that backward accumulates into it."""

import numpy as np


class Parameter:
    """A trainable array ``value`` and its gradient ``grad`` (same shape and dtype, C-contiguous).

    Layers accumulate into ``grad`` during backward (``grad += term``), so the
    gradients of several backward passes add up until ``zero_grad()`` sets it to
    0. Optimizers update ``value`` in place, so every reference to the array
    (checkpoints, other views) sees the new weights.

    Assigning ``value`` or ``grad`` a new array is checked: it must have the
    parameter's shape and dtype (``astype`` is the way to change the dtype) and
    be C-contiguous (optimizers and the fast layers work on flat views of both).
    """

    __slots__ = ("_value", "_grad")

    def __init__(self, value):
        self._value = np.ascontiguousarray(value)
        self._grad = np.zeros_like(self._value)

    @property
    def value(self):
        """The weights."""
        return self._value

    @value.setter
    def value(self, array):
        self._value = self._checked("value", array)

    @property
    def grad(self):
        """dL/d(value), summed over the backward passes since ``zero_grad()``."""
        return self._grad

    @grad.setter
    def grad(self, array):
        self._grad = self._checked("grad", array)

    def _checked(self, name, array):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"Parameter.{name}: expected a numpy.ndarray, received {type(array).__name__}")
        if array.shape != self._value.shape or array.dtype != self._value.dtype:
            raise ValueError(f"Parameter.{name}: expected shape {self._value.shape} dtype {self._value.dtype}, "
                             f"received shape {array.shape} dtype {array.dtype}")
        if not array.flags.c_contiguous:
            raise ValueError(f"Parameter.{name}: expected a C-contiguous array, received a strided view; "
                             f"pass np.ascontiguousarray(array)")
        return array

    def add_grad(self, term):
        """grad += term (``term`` broadcastable to grad's shape)."""
        self._grad += term

    def zero_grad(self):
        """grad = 0, in place (the array stays the same object)."""
        self._grad[...] = 0

    @property
    def shape(self):
        return self._value.shape

    @property
    def size(self):
        return self._value.size

    @property
    def dtype(self):
        return self._value.dtype

    def astype(self, dtype):
        """Cast value and grad to ``dtype`` (new arrays; optimizer state must be rebuilt)."""
        self._value = self._value.astype(dtype)
        self._grad = np.zeros_like(self._value)

    def __repr__(self):
        return f"Parameter(shape={self._value.shape}, dtype={self._value.dtype})"
