"""Inverted dropout."""

import numpy as np

from .base import Layer


class Dropout(Layer):
    """Training: y = x ⊙ m / (1 − p) with m ~ Bernoulli(1 − p); inference: y = x.

    ``rate`` is p, the probability of dropping a unit. Scaling at training time
    ("inverted" dropout) keeps E[y] = x, so inference needs no rescaling.
    The mask is drawn afresh in every training forward, as m = [u ≥ p] with
    u ~ U[0, 1) in float32, from the ``numpy.random.Generator`` handed in
    (``rng``, or the model's generator given at build time), never from global
    NumPy state, so runs are reproducible and checkpoints can save the
    generator's state.

    Shapes: any (N, ...), output the same.
    Backward: dL/dx = dL/dy ⊙ m / (1 − p)  (identity at inference).
    """

    def __init__(self, rate, rng=None, name=None):
        super().__init__(name)
        if not 0 <= rate < 1:
            raise ValueError(f"{self.name}: argument 'rate' must lie in [0, 1), received {rate}")
        self.rate = float(rate)
        self.rng = rng
        self.scale = None

    def build(self, input_shape, rng=None, dtype=np.float32):
        if self.rng is None:
            self.rng = rng if rng is not None else np.random.default_rng()
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False):
        self._check_input(x)
        if not training or self.rate == 0:
            self.scale = None
            return self._remember_output(x)
        u = self.rng.random(x.shape, dtype=np.float32)                     # u ~ U[0, 1)
        self.scale = (u >= self.rate) * x.dtype.type(1 / (1 - self.rate))  # m / (1 − p),  m = [u ≥ p]
        return self._remember_output(x * self.scale)                       # y = x ⊙ m / (1 − p)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if self.scale is None:
            return grad_out
        return grad_out * self.scale                                       # dL/dx = dL/dy ⊙ m / (1 − p)
