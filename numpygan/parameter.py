"""A trainable tensor and the gradient that backward accumulates into it."""

import numpy as np


class Parameter:
    """A trainable array ``value`` and its gradient ``grad`` (same shape and dtype).

    Layers accumulate into ``grad`` (``add_grad``, ``add_grad_matmul``: grad += term)
    during backward, so gradients of several backward passes add up until
    ``zero_grad()`` is called. Optimizers update ``value`` in place, so every
    reference to the array (checkpoints, other views) sees the new weights.

    ``zero_grad()`` is deferred: it marks the gradient as zero, and the next
    ``add_grad``/``add_grad_matmul`` *writes* its term instead of adding it (a
    matrix product goes straight into the gradient's memory). That saves a pass
    over the array to zero it and, for a product, a temporary and a pass to add
    it. Reading ``grad`` in between gives zeros, as if zeroed at once.
    """

    __slots__ = ("value", "_grad", "_grad_is_zero")

    def __init__(self, value):
        self.value = np.ascontiguousarray(value)
        self._grad = np.zeros_like(self.value)
        self._grad_is_zero = False  # True: _grad holds stale numbers that stand for 0

    @property
    def grad(self):
        """dL/d(value), summed over the backward passes since ``zero_grad()``."""
        if self._grad_is_zero:
            self._grad[...] = 0
            self._grad_is_zero = False
        return self._grad

    @grad.setter
    def grad(self, array):
        if array.shape != self.value.shape or array.dtype != self.value.dtype:
            raise ValueError(f"Parameter.grad: expected shape {self.value.shape} dtype {self.value.dtype}, "
                             f"received shape {array.shape} dtype {array.dtype}")
        if not array.flags.c_contiguous:
            # add_grad_matmul writes through a reshaped view, which a strided array would not give
            raise ValueError("Parameter.grad: expected a C-contiguous array, received a strided view; "
                             "pass np.ascontiguousarray(array)")
        self._grad = array
        self._grad_is_zero = False

    def add_grad(self, term):
        """grad += term (``term`` broadcastable to grad's shape)."""
        if self._grad_is_zero:
            np.copyto(self._grad, term)
            self._grad_is_zero = False
        else:
            self._grad += term

    def add_grad_matmul(self, a, b):
        """grad += a @ b, the product (rows of a × columns of b) read as grad's shape.

        After ``zero_grad()`` the product is computed straight into grad's memory.
        """
        target = self._grad.reshape(a.shape[0], b.shape[1])
        if self._grad_is_zero:
            np.matmul(a, b, out=target)
            self._grad_is_zero = False
        else:
            target += a @ b

    @property
    def shape(self):
        return self.value.shape

    @property
    def size(self):
        return self.value.size

    @property
    def dtype(self):
        return self.value.dtype

    def zero_grad(self):
        self._grad_is_zero = True

    def astype(self, dtype):
        """Cast value and grad to ``dtype`` (new arrays; optimizer state must be rebuilt)."""
        self.value = self.value.astype(dtype)
        self._grad = np.zeros_like(self.value)
        self._grad_is_zero = False

    def __repr__(self):
        return f"Parameter(shape={self.value.shape}, dtype={self.value.dtype})"
