"""Fully connected layer."""

import numpy as np

from .. import initializers
from ..parameter import Parameter
from .base import Layer


class Dense(Layer):
    """y = x W + b.

    Shapes: x (N, D_in), W ``kernel`` (D_in, D_out), b ``bias`` (D_out,), y (N, D_out).

    Backward, with G = dL/dy (N, D_out):
        dL/dW = xᵀ G        (D_in, D_out)
        dL/db = Σ_n G[n]     (D_out,)
        dL/dx = G Wᵀ        (N, D_in)
    """

    def __init__(self, units, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 use_bias=True, name=None):
        super().__init__(name)
        # int(2.5) would silently build 2 units: only whole numbers are accepted
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"{self.name}: argument 'units' must be a positive int, received {units!r}")
        self.units = int(units)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.use_bias = use_bias

    def build(self, input_shape, rng=None, dtype=np.float32):
        if len(input_shape) != 1:
            raise ValueError(
                f"{self.name}: input must be (batch, features), received per-sample shape {tuple(input_shape)}; "
                f"add a Flatten layer before Dense"
            )
        rng = rng if rng is not None else np.random.default_rng()
        self.kernel = Parameter(self.kernel_initializer((input_shape[0], self.units), rng, dtype=dtype))
        self.bias = Parameter(self.bias_initializer((self.units,), rng, dtype=dtype)) if self.use_bias else None
        return super().build(input_shape, rng, dtype)

    def compute_output_shape(self, input_shape):
        return (self.units,)

    def parameters(self):
        if not self.built:
            return {}
        return {"kernel": self.kernel, "bias": self.bias} if self.use_bias else {"kernel": self.kernel}

    def forward(self, x, training=False):
        self._check_input(x)
        self.x = x
        y = x @ self.kernel.value
        if self.use_bias:
            y += self.bias.value
        return self._remember_output(y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if self.trainable:
            self.kernel.grad += self.x.T @ grad_out              # dL/dW += xᵀ G
            if self.use_bias:
                self.bias.grad += grad_out.sum(axis=0)             # dL/db += Σ_n G[n]
        if not need_input_grad:
            return None
        return grad_out @ self.kernel.value.T                   # dL/dx = G Wᵀ
