"""Stochastic gradient descent with (optionally Nesterov) momentum."""

from .optimizer import Optimizer


class SGD(Optimizer):
    """velocity ← μ · velocity − lr · g;   θ ← θ + velocity
    (Nesterov: θ ← θ + μ · velocity − lr · g).  μ = 0 is plain gradient descent."""

    slot_names = ("velocity",)

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False):
        super().__init__(params, lr)
        self.momentum = self._check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.nesterov = bool(nesterov)

    def _update(self, theta, g, velocity):
        velocity[...] = self.momentum * velocity - self.lr * g
        if self.nesterov:
            theta += self.momentum * velocity - self.lr * g
        else:
            theta += velocity
