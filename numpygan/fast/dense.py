"""Dense, fast twin: the weight gradient's product written straight into its memory."""

import numpy as np

from ..layers import dense as reference
from .parameter import deferred


class Dense(reference.Dense):
    """``numpygan.layers.Dense`` (same arguments, weights and results), whose weights are
    ``numpygan.fast.parameter.Parameter``: after ``zero_grad()`` dW = xᵀ G is computed into
    the gradient's memory instead of into a temporary that is then added to zeros."""

    def build(self, input_shape, rng=None, dtype=np.float32):
        output_shape = super().build(input_shape, rng, dtype)
        deferred(self, "kernel", "bias")
        return output_shape

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if self.trainable:
            self.kernel.add_grad_matmul(self.x.T, grad_out)
            if self.use_bias:
                self.bias.add_grad(grad_out.sum(axis=0))
        if not need_input_grad:
            return None
        return grad_out @ self.kernel.value.T
