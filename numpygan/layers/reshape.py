"""Reshape and Flatten: no arithmetic, the gradient is reshaped back."""

import numpy as np

from .base import Layer


class Reshape(Layer):
    """(N, *input_shape) → (N, *target_shape), e.g. (N, 6272) → (N, 7, 7, 128)."""

    def __init__(self, target_shape, name=None):
        super().__init__(name)
        self.target_shape = tuple(int(d) for d in target_shape)

    def compute_output_shape(self, input_shape):
        if int(np.prod(input_shape)) != int(np.prod(self.target_shape)):
            raise ValueError(
                f"{self.name}: cannot reshape per-sample shape {tuple(input_shape)} "
                f"({int(np.prod(input_shape))} values) to target_shape {self.target_shape} "
                f"({int(np.prod(self.target_shape))} values)"
            )
        return self.target_shape

    def forward(self, x, training=False):
        self._check_input(x)
        return self._remember_output(x.reshape((x.shape[0],) + self.output_shape))

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        return grad_out.reshape((grad_out.shape[0],) + self.input_shape)


class Flatten(Reshape):
    """(N, d1, d2, ...) → (N, d1·d2·...)."""

    def __init__(self, name=None):
        Layer.__init__(self, name)

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)
