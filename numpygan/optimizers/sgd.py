"""Stochastic gradient descent with (optionally Nesterov) momentum."""

import numpy as np

from .optimizer import Optimizer


class SGD(Optimizer):
    """velocity ← μ · velocity − lr · g;   θ ← θ + velocity
    (Nesterov: θ ← θ + μ · velocity − lr · g).  μ = 0 is plain gradient descent."""

    slot_names = ("velocity",)

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False):
        super().__init__(params, lr)
        self.momentum = self._check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.nesterov = bool(nesterov)

    def _update_block(self, theta, g, velocity, scratch):
        np.multiply(g, self.lr, out=scratch)
        velocity *= self.momentum
        velocity -= scratch
        if self.nesterov:
            theta -= scratch
            np.multiply(velocity, self.momentum, out=scratch)
            theta += scratch
        else:
            theta += velocity
