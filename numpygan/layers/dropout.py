"""Inverted dropout."""

import numpy as np

from ..parallel import map_rows
from .base import Layer


class Dropout(Layer):
    """Training: y = x ⊙ m / (1 − p) with m ~ Bernoulli(1 − p); inference: y = x.

    ``rate`` is p, the probability of dropping a unit. Scaling at training time
    ("inverted" dropout) keeps E[y] = x, so inference needs no rescaling.
    The mask is drawn from the ``numpy.random.Generator`` handed in (``rng``, or
    the model's generator given at build time), never from global NumPy state,
    so runs are reproducible and checkpoints can save the generator's state.

    Backward: dL/dx = dL/dy ⊙ m / (1 − p)  (identity at inference).
    """

    def __init__(self, rate, rng=None, name=None):
        super().__init__(name)
        if not 0 <= rate < 1:
            raise ValueError(f"{self.name}: argument 'rate' must lie in [0, 1), received {rate}")
        self.rate = float(rate)
        self.rng = rng
        self.scale = None
        self._uniform = None

    def build(self, input_shape, rng=None, dtype=np.float32):
        if self.rng is None:
            self.rng = rng if rng is not None else np.random.default_rng()
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False):
        self._check_input(x)
        if not training or self.rate == 0:
            self.scale = None
            return self._remember_output(x)
        u = self._uniform_buffer(x.shape)
        self.rng.random(dtype=np.float32, out=u)                   # u ~ U[0, 1), one stream: on this thread
        scale = u if x.dtype == np.float32 else np.empty(x.shape, x.dtype)
        y = np.empty_like(x)
        map_rows(self._mask, u, scale, x, y)
        self.scale = scale                                         # m / (1 − p)
        return self._remember_output(y)

    def _mask(self, u, scale, x, y):
        np.greater_equal(u, self.rate, out=scale)                  # m = 1[u ≥ p]
        scale *= 1.0 / (1.0 - self.rate)
        np.multiply(x, scale, out=y)                               # y = x ⊙ m / (1 − p)

    def _uniform_buffer(self, shape):
        """A float32 array of ``shape``, reused across calls (only the last forward's mask is kept anyway).

        Drawing the mask into a fresh array every step cost as much as drawing it.
        """
        buffer = self._uniform
        if buffer is None or buffer.shape[1:] != shape[1:] or len(buffer) < shape[0]:
            buffer = self._uniform = np.empty(shape, np.float32)
        return buffer[:shape[0]]

    def backward(self, grad_out):
        self._check_grad(grad_out)
        if self.scale is None:
            return grad_out
        grad_in = np.empty_like(grad_out)
        map_rows(np.multiply, grad_out, self.scale, grad_in)       # dL/dx = dL/dy ⊙ m / (1 − p)
        return grad_in
