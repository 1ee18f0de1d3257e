"""The residual block of CycleGAN's and StarGAN's generators (He et al. 2016; Johnson et al. 2016)."""

import numpy as np

from ..layers import Add
from ..model import Model
from ..models import layers_for
from ..sequential import Sequential


class ResidualBlock(Model):
    """y = x + F(x),   F = Conv2D(C, 3×3, same) → InstanceNorm → ReLU → Conv2D(C, 3×3, same) → InstanceNorm

    x, y (N, H, W, C): the block keeps the shape, so blocks stack; F learns only the
    change to x, and the identity path carries the gradient past it unattenuated.

    Backward: both terms of the sum receive dL/dy, so
        dL/dx = dL/dy + F.backward(dL/dy).
    The convolutions have no bias: the InstanceNormalization after each subtracts the
    per-map mean, which cancels a bias exactly (it would get a zero gradient).

    The authors pad with reflection before each 3×3 convolution; here it is zero
    ('same') padding, which this library's convolutions provide.
    """

    def __init__(self, input_shape, rng=None, seed=None, dtype=np.float32, fast=None, name="residual_block"):
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        nn = layers_for(fast)
        channels = int(input_shape[-1])
        self.body = Sequential([
            nn.Conv2D(channels, 3, 1, "same", kernel_initializer="normal", use_bias=False),
            nn.InstanceNormalization(), nn.ReLU(),
            nn.Conv2D(channels, 3, 1, "same", kernel_initializer="normal", use_bias=False),
            nn.InstanceNormalization(),
        ], name="body")
        self.add = Add()
        self.input_shape = tuple(int(d) for d in input_shape)
        shape = self.body.build(self.input_shape, self.rng, self.dtype)
        self.output_shape = self.add.build([self.input_shape, shape], self.rng, self.dtype)

    def forward(self, x, training=False):
        return self.add([x, self.body(x, training=training)], training)

    def backward(self, grad_out, need_input_grad=True):
        g_skip, g_body = self.add.backward(grad_out)
        if not need_input_grad:
            self.body.backward(g_body, need_input_grad=False)
            return None
        return g_skip + self.body.backward(g_body)    # x feeds both the identity and F
