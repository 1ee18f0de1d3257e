"""Element-wise activations. Each keeps what its derivative needs and nothing more."""

import numpy as np
from scipy.special import expit

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
        self.positive = x > 0 if self.pinned_kinks is None else self.pinned_kinks   # [x > 0]
        y = np.where(self.positive, x, x * x.dtype.type(self.alpha))               # x or αx
        return self._remember_output(y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        alpha = grad_out.dtype.type(self.alpha)
        return np.where(self.positive, grad_out, grad_out * alpha)                 # dL/dx = dL/dy · (1 or α)

    def kink_state(self):
        """Which side of the kink each unit was on in the last forward (for gradcheck)."""
        return self.positive


class ReLU(LeakyReLU):
    """y = max(x, 0);   dy/dx = 1 if x > 0 else 0.   Shapes: any (N, ...), output the same."""

    def __init__(self, name=None):
        super().__init__(alpha=0.0, name=name)


class Sigmoid(Layer):
    """y = σ(x) = 1 / (1 + e^{-x});   dy/dx = y (1 − y).

    Shapes: any (N, ...), output the same. Computed by ``scipy.special.expit``,
    which never overflows: it evaluates e^{-|x|} only, so σ(±1000) is exactly 1
    or 0 with no warning.
    """

    def forward(self, x, training=False):
        self._check_input(x)
        self.y = expit(x)
        return self._remember_output(self.y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        return grad_out * self.y * (1 - self.y)                                    # dL/dx = dL/dy · y(1 − y)


class Tanh(Layer):
    """y = tanh(x);   dy/dx = 1 − y².   Shapes: any (N, ...), output the same."""

    def forward(self, x, training=False):
        self._check_input(x)
        self.y = np.tanh(x)
        return self._remember_output(self.y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        return grad_out * (1 - self.y * self.y)                                    # dL/dx = dL/dy · (1 − y²)
