"""Dropout, fast twin: the mask drawn into a reused buffer and applied in row blocks on several threads."""

import numpy as np

from ..layers import dropout as reference
from ..runtime.parallel import map_rows


class Dropout(reference.Dropout):
    """``numpygan.layers.Dropout`` (the same numbers from the same generator, the same y and dL/dx).

    Two changes for speed: the uniform numbers u are drawn into a float32 buffer
    kept between calls (allocating a fresh array every step cost about as much
    as drawing it), and the mask, the scaled mask m / (1 − p) and y are made in
    one pass over row blocks on several threads (``numpygan.runtime.parallel``).
    In float32 the scaled mask is written over u, which is then not needed.
    """

    def __init__(self, rate, rng=None, name=None):
        super().__init__(rate, rng, name)
        self._uniform = None

    def forward(self, x, training=False):
        self._check_input(x)
        if not training or self.rate == 0:
            self.scale = None
            return self._remember_output(x)
        u = self._uniform_buffer(x.shape)
        self.rng.random(dtype=np.float32, out=u)                   # one stream: on this thread
        scale = u if x.dtype == np.float32 else np.empty(x.shape, x.dtype)
        y = np.empty_like(x)
        map_rows(self._mask, u, scale, x, y)
        self.scale = scale                                         # m / (1 − p)
        return self._remember_output(y)

    def _mask(self, u, scale, x, y):
        np.greater_equal(u, self.rate, out=scale)                  # m = [u ≥ p]
        scale *= x.dtype.type(1 / (1 - self.rate))
        np.multiply(x, scale, out=y)

    def _uniform_buffer(self, shape):
        """A float32 array of ``shape``, reused across calls (only the last forward's mask is kept anyway)."""
        buffer = self._uniform
        if buffer is None or buffer.shape[1:] != shape[1:] or len(buffer) < shape[0]:
            buffer = self._uniform = np.empty(shape, np.float32)
        return buffer[:shape[0]]

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if self.scale is None:
            return grad_out
        grad_in = np.empty_like(grad_out)
        map_rows(np.multiply, grad_out, self.scale, grad_in)
        return grad_in
