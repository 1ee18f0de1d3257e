"""Element-wise activations. Each keeps what its derivative needs and nothing more."""

import numpy as np
from scipy.special import expit

from ..parallel import map_rows
from .base import Layer


class LeakyReLU(Layer):
    """y = x if x > 0 else αx;   dy/dx = 1 if x > 0 else α.

    Shapes: any (N, ...), output the same. At x = 0 the derivative is taken as α.

    ``pinned_kinks``: normally None. A gradient check may set it to a boolean
    array (a previous ``kink_state()``) to hold every unit on that side of the
    kink, so finite differences see the smooth branch the checked point lies on
    (see ``numpygan.gradcheck.pinned_kinks``).
    """

    def __init__(self, alpha=0.2, name=None):
        super().__init__(name)
        if not 0 <= alpha < 1:
            raise ValueError(f"{self.name}: argument 'alpha' must lie in [0, 1), received {alpha}")
        self.alpha = float(alpha)
        self.pinned_kinks = None
        self.positive = None

    def forward(self, x, training=False):
        self._check_input(x)
        if self.pinned_kinks is None:
            # y and the kink mask [x > 0] in one sweep of row blocks (numpygan.parallel)
            y = np.empty_like(x)
            self.positive = np.empty(x.shape, bool)
            map_rows(self._leaky, x, y, self.positive)
        else:
            self.positive = self.pinned_kinks
            y = np.where(self.positive, x, x * x.dtype.type(self.alpha))
        return self._remember_output(y)

    def _leaky(self, x, y, positive):
        np.greater(x, 0, out=positive)
        # max(x, αx) equals the piecewise definition because 0 <= α < 1; unlike
        # np.where on a mask it is branch-free, ~4x faster on random signs
        np.multiply(x, x.dtype.type(self.alpha), out=y)
        np.maximum(y, x, out=y)

    def backward(self, grad_out):
        self._check_grad(grad_out)
        grad_in = np.empty_like(grad_out)
        map_rows(self._chain, self.positive, grad_out, grad_in)
        return grad_in

    def _chain(self, positive, grad_out, grad_in):
        # dL/dx = dL/dy · (α + (1 − α)·[x > 0]), as arithmetic on the mask rather than np.where
        np.multiply(positive, grad_out.dtype.type(1 - self.alpha), out=grad_in)
        grad_in += grad_out.dtype.type(self.alpha)
        grad_in *= grad_out

    def kink_state(self):
        """Which side of the kink each unit was on in the last forward (for gradcheck)."""
        return self.positive


class ReLU(LeakyReLU):
    """y = max(x, 0);   dy/dx = 1 if x > 0 else 0."""

    def __init__(self, name=None):
        super().__init__(alpha=0.0, name=name)


class Sigmoid(Layer):
    """y = σ(x) = 1 / (1 + e^{-x});   dy/dx = y (1 − y).

    Computed by ``scipy.special.expit``, which never overflows: it evaluates
    e^{-|x|} only, so σ(±1000) is exactly 1 or 0 with no warning.

    Values of y and of dL/dx below the smallest normal float (1.2e-38 in
    float32: σ(x) for x < −87) are set to 0. A saturated sigmoid makes them, and
    every later product that reads a subnormal number runs through a slow
    microcode path: a trained DCGAN generator's step took 644 instead of 434 ms
    until they were flushed (506 ms with it).
    """

    def forward(self, x, training=False):
        self._check_input(x)
        self.y = flush_subnormals(expit(x))
        return self._remember_output(self.y)

    def backward(self, grad_out):
        self._check_grad(grad_out)
        return flush_subnormals(grad_out * self.y * (1 - self.y))


def flush_subnormals(a):
    """Set the entries of float array ``a`` with 0 < |a| < finfo.tiny to 0, in place; returns ``a``."""
    np.copyto(a, 0, where=np.abs(a) < np.finfo(a.dtype).tiny)
    return a


class Tanh(Layer):
    """y = tanh(x);   dy/dx = 1 − y²."""

    def forward(self, x, training=False):
        self._check_input(x)
        self.y = np.tanh(x)
        return self._remember_output(self.y)

    def backward(self, grad_out):
        self._check_grad(grad_out)
        return grad_out * (1 - self.y * self.y)
