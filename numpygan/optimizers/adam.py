"""Adam (Kingma & Ba 2015)."""

import numpy as np

from .optimizer import Optimizer


class Adam(Optimizer):
    """For each parameter θ with gradient g, at step t = 1, 2, ...:

        m ← β₁ m + (1 − β₁) g              (first moment: a moving mean of g)
        v ← β₂ v + (1 − β₂) g²             (second moment: a moving mean of g²)
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)   (bias corrections: m, v start at 0)
        θ ← θ − lr · m̂ / (√v̂ + ε)

    Defaults are the DCGAN ones (lr 2e-4, β₁ 0.5). The hyperparameters are
    Python floats, so NumPy keeps float32 arrays in float32.
    """

    slot_names = ("m", "v")

    def __init__(self, params, lr=2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8):
        super().__init__(params, lr)
        self.beta_1 = self._check_real("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = self._check_real("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        # ε > 0: a parameter whose gradient has always been 0 has v = 0, and m / (√v + 0) is 0/0 = NaN
        self.epsilon = self._check_real("epsilon", epsilon, low=0.0, low_open=True)

    def _update(self, theta, g, m, v):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        theta -= self.lr * m_hat / (np.sqrt(v_hat) + self.epsilon)
