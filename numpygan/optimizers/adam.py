"""Adam (Kingma & Ba 2015)."""

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
    """

    slot_names = ("m", "v")

    def __init__(self, params, lr=2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8):
        super().__init__(params, lr)
        for arg, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= value < 1:
                raise ValueError(f"Adam: argument '{arg}' must lie in [0, 1), received {value}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _update(self, name, param, scratch):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        g, m, v = param.grad, self.slots["m"][name], self.slots["v"][name]
        m *= b1
        np.multiply(g, 1 - b1, out=scratch)
        m += scratch
        v *= b2
        np.multiply(g, g, out=scratch)
        scratch *= 1 - b2
        v += scratch
        # scratch ← lr · m̂ / (√v̂ + ε)
        np.sqrt(v, out=scratch)
        scratch *= 1 / np.sqrt(1 - b2 ** t)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= self.lr / (1 - b1 ** t)
        param.value -= scratch
