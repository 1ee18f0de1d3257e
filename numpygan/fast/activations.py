"""Fast twins of the element-wise activations: threaded, branch-free passes; Sigmoid without subnormals."""

import numpy as np

from ..layers import activations as reference
from ..runtime.parallel import map_rows


class LeakyReLU(reference.LeakyReLU):
    """``numpygan.layers.LeakyReLU``, with branch-free passes in row blocks on several threads.

    Forward: y = max(x, αx), which equals the piecewise definition because
    0 ≤ α < 1; unlike ``np.where`` on a mask it has no data-dependent branch, and
    it writes y and the mask [x > 0] in one sweep. Backward: dL/dx = dL/dy ·
    (α + (1 − α)·[x > 0]), arithmetic on the mask instead of ``np.where``: the
    factor is 1 (to rounding: (1 − α) + α) where x > 0 and α elsewhere.
    A gradient check that pins the kinks (``pinned_kinks``) gets the reference forward.
    """

    def forward(self, x, training=False):
        if self.pinned_kinks is not None:
            return super().forward(x, training)
        self._check_input(x)
        y = np.empty_like(x)
        self.positive = np.empty(x.shape, bool)
        map_rows(self._leaky, x, y, self.positive)
        return self._remember_output(y)

    def _leaky(self, x, y, positive):
        np.greater(x, 0, out=positive)
        np.multiply(x, x.dtype.type(self.alpha), out=y)
        np.maximum(y, x, out=y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        grad_in = np.empty_like(grad_out)
        map_rows(self._chain, self.positive, grad_out, grad_in)
        return grad_in

    def _chain(self, positive, grad_out, grad_in):
        np.multiply(positive, grad_out.dtype.type(1 - self.alpha), out=grad_in)
        grad_in += grad_out.dtype.type(self.alpha)
        grad_in *= grad_out


class ReLU(reference.ReLU, LeakyReLU):
    """``numpygan.layers.ReLU`` computed by the fast LeakyReLU with α = 0."""


class Sigmoid(reference.Sigmoid):
    """``numpygan.layers.Sigmoid``, with y and dL/dx below the smallest normal float set to 0.

    A saturated sigmoid (a trained DCGAN generator's background pixels: σ(x) for
    x < −87 in float32) makes subnormal numbers, and every later product that
    reads one runs through the CPU's slow microcode path. The values differ from
    the reference's only where |value| < finfo.tiny (1.2e-38 in float32), where
    they become 0. ``numpygan.runtime.flush_denormals`` does the same for every
    operation, in the CPU; this twin does it for the sigmoid also when that mode is off.
    """

    def forward(self, x, training=False):
        y = super().forward(x, training)
        flush_subnormals(y)                  # in place: self.y is y
        return y

    def backward(self, grad_out, need_input_grad=True):
        return flush_subnormals(super().backward(grad_out, need_input_grad))


def flush_subnormals(a):
    """Set the entries of float array ``a`` with 0 < |a| < finfo.tiny to 0, in place; returns ``a``."""
    np.copyto(a, 0, where=np.abs(a) < np.finfo(a.dtype).tiny)
    return a
