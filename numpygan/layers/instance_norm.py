"""Instance normalisation: each image's channels normalised on their own (Ulyanov et al. 2016)."""

import numpy as np

from ..parameter import Parameter
from .base import Layer


class InstanceNormalization(Layer):
    """y = γ · x̂ + β,   x̂ = (x − μ) / √(σ² + ε),   μ, σ² per sample and per channel

    x (N, H, W, C) channels-last (or (N, L, C)); the statistics are taken over the
    spatial axes only, so each of the N·C maps is normalised with its own mean and
    (biased) variance over its M = H·W values. Unlike BatchNormalization, a sample's
    output does not depend on the rest of its batch, and training and inference
    compute the same thing: there are no running statistics. pix2pix, CycleGAN and
    StarGAN use it in place of BatchNorm in their generators (and CycleGAN's D).

    Backward (μ and σ² depend on x), with ĝ = γ · dL/dy and means over the spatial axes:
        dx = (1 / √(σ² + ε)) · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))
        dγ = Σ_{n,h,w} dL/dy · x̂,   dβ = Σ_{n,h,w} dL/dy
    — BatchNorm's formula, with the mean taken per (n, c) instead of per c.

    ``affine=False`` drops γ and β (y = x̂), as the pix2pix/CycleGAN authors' code does.
    Shapes: gamma, beta (C,).
    """

    def __init__(self, epsilon=1e-5, affine=True, name=None):
        super().__init__(name)
        if not epsilon > 0:
            raise ValueError(f"{self.name}: argument 'epsilon' must be > 0, received {epsilon}")
        self.epsilon = float(epsilon)
        self.affine = bool(affine)

    def build(self, input_shape, rng=None, dtype=np.float32):
        if len(input_shape) < 2:
            raise ValueError(f"{self.name}: input must have spatial axes and channels, (H, W, C) or (L, C) "
                             f"per sample, received per-sample shape {tuple(input_shape)}")
        if self.affine:
            channels = input_shape[-1]
            self.gamma = Parameter(np.ones(channels, dtype=dtype))
            self.beta = Parameter(np.zeros(channels, dtype=dtype))
        return super().build(input_shape, rng, dtype)

    def parameters(self):
        if not (self.built and self.affine):
            return {}
        return {"gamma": self.gamma, "beta": self.beta}

    def forward(self, x, training=False):
        self._check_input(x)
        axes = tuple(range(1, x.ndim - 1))   # the spatial axes
        mean = x.mean(axis=axes, keepdims=True)                       # (N, 1, 1, C)
        var = x.var(axis=axes, keepdims=True)
        self.inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.epsilon))
        self.x_hat = (x - mean) * self.inv_std
        if not self.affine:
            return self._remember_output(self.x_hat.copy())
        return self._remember_output(self.gamma.value * self.x_hat + self.beta.value)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if self.affine and self.trainable:
            batch_and_space = tuple(range(grad_out.ndim - 1))
            self.gamma.grad += (grad_out * self.x_hat).sum(axis=batch_and_space)   # dγ = Σ dL/dy · x̂
            self.beta.grad += grad_out.sum(axis=batch_and_space)                   # dβ = Σ dL/dy
        if not need_input_grad:
            return None
        axes = tuple(range(1, grad_out.ndim - 1))
        g_hat = grad_out * self.gamma.value if self.affine else grad_out
        return self.inv_std * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                               - self.x_hat * (g_hat * self.x_hat).mean(axis=axes, keepdims=True))
