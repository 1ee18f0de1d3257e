"""A trainable tensor and the gradient that backward accumulates into it."""

import numpy as np


class Parameter:
    """A trainable array ``value`` and its gradient ``grad`` (same shape and dtype).

    Layers accumulate into ``grad`` with ``+=`` during backward, so gradients of
    several backward passes (e.g. D on a real batch, then on a fake batch) add up
    until ``zero_grad()`` is called. Optimizers update ``value`` in place, so every
    reference to the array (checkpoints, other views) sees the new weights.
    """

    __slots__ = ("value", "grad")

    def __init__(self, value):
        self.value = np.ascontiguousarray(value)
        self.grad = np.zeros_like(self.value)

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
        self.grad[...] = 0

    def astype(self, dtype):
        """Cast value and grad to ``dtype`` (new arrays; optimizer state must be rebuilt)."""
        self.value = self.value.astype(dtype)
        self.grad = np.zeros_like(self.value)

    def __repr__(self):
        return f"Parameter(shape={self.value.shape}, dtype={self.value.dtype})"
