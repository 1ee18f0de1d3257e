"""Adam, fast twin: the paper's update as in-place passes over cache-sized blocks."""

import math

import numpy as np

from ..optimizers import adam as reference
from .optimizer import BlockedUpdates


class Adam(BlockedUpdates, reference.Adam):
    """``numpygan.optimizers.Adam`` (same arguments, state and results), computed as

        m ← m + (1 − β₁)(g − m),   v ← v + (1 − β₂)(g² − v),   θ ← θ − α · m / (√v + ε̂)

    with α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) and ε̂ = ε·√(1 − β₂ᵗ): the bias corrections
    folded into two scalars (multiply m̂ / (√v̂ + ε) above and below by
    √(1 − β₂ᵗ)), and each moment update written as one pass into the moment.
    Twelve in-place passes with one scratch array, block by block (``BlockedUpdates``).
    """

    def _update_block(self, theta, g, m, v, scratch):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        correction_2 = math.sqrt(1 - b2 ** t)
        np.subtract(g, m, out=scratch)
        scratch *= 1 - b1
        m += scratch                                             # m ← m + (1 − β₁)(g − m)
        np.multiply(g, g, out=scratch)
        scratch -= v
        scratch *= 1 - b2
        v += scratch                                             # v ← v + (1 − β₂)(g² − v)
        np.sqrt(v, out=scratch)
        scratch += self.epsilon * correction_2
        np.divide(m, scratch, out=scratch)
        scratch *= self.lr * correction_2 / (1 - b1 ** t)
        theta -= scratch                                         # θ ← θ − α m / (√v + ε̂)
