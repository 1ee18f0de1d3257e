"""Batch normalisation over the last (feature/channel) axis."""

import numpy as np

from ..parameter import Parameter
from .base import Layer


class BatchNormalization(Layer):
    """y = γ · x̂ + β,   x̂ = (x − μ) / √(σ² + ε)

    Statistics are taken per feature over every other axis: over N for dense
    inputs (N, F), over N, H, W for channels-last images (N, H, W, C). With
    M values per feature:

    training   μ, σ² are the batch mean and (biased) variance; the running
               statistics move towards them:  r ← momentum·r + (1 − momentum)·batch
    inference  μ, σ² are the running statistics (``moving_mean``, ``moving_variance``)

    Backward in training mode (μ and σ² depend on x), with ĝ = γ · dL/dy:
        dx = (1 / √(σ² + ε)) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))
        dγ = Σ dL/dy · x̂,   dβ = Σ dL/dy
    In inference mode the statistics are constants: dx = ĝ / √(σ² + ε).

    Shapes: gamma, beta, moving_mean, moving_variance are (F,) or (C,).
    ``momentum`` follows Keras (0.99 keeps 99 % of the old running value).
    """

    uses_batch_statistics = True

    def __init__(self, momentum=0.99, epsilon=1e-3, name=None):
        super().__init__(name)
        if not 0 <= momentum < 1:
            raise ValueError(f"{self.name}: argument 'momentum' must lie in [0, 1), received {momentum}")
        if not epsilon > 0:
            raise ValueError(f"{self.name}: argument 'epsilon' must be > 0, received {epsilon}")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def build(self, input_shape, rng=None, dtype=np.float32):
        features = input_shape[-1]
        self.gamma = Parameter(np.ones(features, dtype=dtype))
        self.beta = Parameter(np.zeros(features, dtype=dtype))
        self.moving_mean = np.zeros(features, dtype=dtype)
        self.moving_variance = np.ones(features, dtype=dtype)
        return super().build(input_shape, rng, dtype)

    def parameters(self):
        if not self.built:
            return {}
        return {"gamma": self.gamma, "beta": self.beta}

    def buffers(self):
        if not self.built:
            return {}
        return {"moving_mean": self.moving_mean, "moving_variance": self.moving_variance}

    def forward(self, x, training=False):
        self._check_input(x)
        axes = tuple(range(x.ndim - 1))
        self.training = training
        if training:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            # in place: checkpoints and other holders of these arrays see the update
            self.moving_mean *= self.momentum
            self.moving_mean += (1 - self.momentum) * mean
            self.moving_variance *= self.momentum
            self.moving_variance += (1 - self.momentum) * var
        else:
            mean, var = self.moving_mean, self.moving_variance
        self.inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.epsilon))
        self.x_hat = (x - mean) * self.inv_std
        return self._remember_output(self.gamma.value * self.x_hat + self.beta.value)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        axes = tuple(range(grad_out.ndim - 1))
        if self.trainable:
            self.gamma.grad += (grad_out * self.x_hat).sum(axis=axes)    # dγ = Σ dL/dy · x̂
            self.beta.grad += grad_out.sum(axis=axes)                    # dβ = Σ dL/dy
        if not need_input_grad:
            return None
        g_hat = grad_out * self.gamma.value
        if not self.training:
            return g_hat * self.inv_std
        return self.inv_std * (g_hat - g_hat.mean(axis=axes) - self.x_hat * (g_hat * self.x_hat).mean(axis=axes))
