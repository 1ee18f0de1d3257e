"""SGD, fast twin: the update as in-place passes over cache-sized blocks."""

import numpy as np

from ..optimizers import sgd as reference
from .optimizer import BlockedUpdates


class SGD(BlockedUpdates, reference.SGD):
    """``numpygan.optimizers.SGD`` (same arguments, state and results), as in-place passes
    with one scratch array (lr·g), block by block (``BlockedUpdates``)."""

    def _update_block(self, theta, g, velocity, scratch):
        np.multiply(g, self.lr, out=scratch)                     # lr · g
        velocity *= self.momentum
        velocity -= scratch                                      # velocity ← μ velocity − lr g
        if self.nesterov:
            theta -= scratch
            np.multiply(velocity, self.momentum, out=scratch)
            theta += scratch                                     # θ ← θ + μ velocity − lr g
        else:
            theta += velocity                                    # θ ← θ + velocity
