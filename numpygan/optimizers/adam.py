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

    Computed as θ ← θ − α · m / (√v + ε̂) with α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) and
    ε̂ = ε·√(1 − β₂ᵗ), the same number with the bias corrections folded into two
    scalars, and the moments as m ← m + (1 − β₁)(g − m), v ← v + (1 − β₂)(g² − v):
    twelve in-place passes with one preallocated scratch array per parameter
    (``Optimizer`` runs it block by block). Defaults are the DCGAN
    ones (lr 2e-4, β₁ 0.5). The scalars are Python floats, so NumPy keeps
    float32 arrays in float32 (a NumPy float64 scalar would promote the pass).
    """

    slot_names = ("m", "v")

    def __init__(self, params, lr=2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8):
        super().__init__(params, lr)
        self.beta_1 = self._check_real("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = self._check_real("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        # ε > 0: a parameter whose gradient has always been 0 has v = 0, and m / (√v + 0) is 0/0 = NaN
        self.epsilon = self._check_real("epsilon", epsilon, low=0.0, low_open=True)

    def _update_block(self, theta, g, m, v, scratch):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        correction_2 = math.sqrt(1 - b2 ** t)
        np.subtract(g, m, out=scratch)
        scratch *= 1 - b1
        m += scratch
        np.multiply(g, g, out=scratch)
        scratch -= v
        scratch *= 1 - b2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.epsilon * correction_2
        np.divide(m, scratch, out=scratch)
        scratch *= self.lr * correction_2 / (1 - b1 ** t)
        theta -= scratch
