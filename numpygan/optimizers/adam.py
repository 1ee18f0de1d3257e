"""Adam (Kingma & Ba 2015)."""

import math

import numpy as np

from .optimizer import Optimizer


class Adam(Optimizer):
    """For each parameter θ with gradient g, at step t = 1, 2, ...:

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        θ ← θ − lr · m̂ / (√v̂ + ε)

    Everything is updated in place with one preallocated scratch array per
    parameter. Defaults are the DCGAN ones (lr 2e-4, β₁ 0.5).

    Speed: the update is a dozen element-wise passes, each bound by memory
    traffic, so large parameters are updated in blocks of ``block_size``
    elements (128 KiB per array): all passes over a block then run in the
    CPU's cache (~20% faster on 3M parameters than whole-array passes). The
    scalar factors are Python floats, so NumPy keeps float32 arrays in float32
    (a NumPy float64 scalar would promote the pass to float64).
    """

    block_size = 32768

    slot_names = ("m", "v")

    def __init__(self, params, lr=2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8):
        super().__init__(params, lr)
        for arg, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= value < 1:
                raise ValueError(f"Adam: argument '{arg}' must lie in [0, 1), received {value}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _update(self, name, param, scratch):
        arrays = (param.value, param.grad, self.slots["m"][name], self.slots["v"][name], scratch)
        if not all(a.flags.c_contiguous for a in arrays):
            # reshape(-1) would copy, and the in-place update would be lost
            self._update_block(*arrays)
            return
        flat = [a.reshape(-1) for a in arrays]
        for start in range(0, flat[0].size, self.block_size):
            block = slice(start, start + self.block_size)
            self._update_block(*(a[block] for a in flat))

    def _update_block(self, theta, g, m, v, scratch):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        m *= b1
        np.multiply(g, 1 - b1, out=scratch)
        m += scratch
        v *= b2
        np.multiply(g, g, out=scratch)
        scratch *= 1 - b2
        v += scratch
        # scratch ← lr · m̂ / (√v̂ + ε)
        np.sqrt(v, out=scratch)
        scratch *= 1 / math.sqrt(1 - b2 ** t)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= self.lr / (1 - b1 ** t)
        theta -= scratch
