"""Conv2D, fast twin: the same function as ``numpygan.layers.Conv2D``, computed per tap when that is smaller."""

import numpy as np

from ..layers import conv2d as reference
from .im2col import col2im, im2col, spread_taps, sum_taps
from .parameter import deferred


class Conv2D(reference.Conv2D):
    """``numpygan.layers.Conv2D`` (same arguments, weights and results), with two changes for speed.

    * im2col and col2im copy row blocks of images on several threads (``numpygan.fast.im2col``),
      and the weights' gradients are written without first zeroing them
      (``numpygan.fast.parameter``).
    * With fewer filters than input channels (e.g. the DCGAN generator's last
      Conv2D(1, 7×7) on 128 channels) the im2col matrix X is huge (N·Ho·Wo ×
      49·128) and mostly copies; the same sum is then grouped per input pixel
      and kernel tap instead, with Kt = K as (kh·kw·F, C) (Conv2DTranspose's
      layout) and x as (N·H·W, C):

          forward   P = Kt xᵀ,   y = sum_taps(P) + b     (P: every tap times every pixel)
          backward  dP = spread_taps(G),   dK = dP x,   dx = dPᵀ Kt

      Every output pixel still receives Σ over taps and channels of x · K, the
      terms only added in another order, so y, dx and dK equal the reference's
      up to rounding (tests/test_fast_twins.py).

    ``method`` says which grouping the layer uses ('im2col' or 'taps'): the one
    whose intermediate matrix is smaller.
    """

    def compute_output_shape(self, input_shape):
        output_shape = super().compute_output_shape(input_shape)
        ho, wo, _ = output_shape
        h, w, c = input_shape
        # intermediate sizes per sample and tap: im2col's X has C values per output
        # pixel, the per-tap parts have F values per input pixel
        self.method = "taps" if h * w * self.filters < ho * wo * c else "im2col"
        return output_shape

    def build(self, input_shape, rng=None, dtype=np.float32):
        output_shape = super().build(input_shape, rng, dtype)
        deferred(self, "kernel", "bias")
        return output_shape

    def _kernel_by_taps(self):
        """K (kh, kw, C, F) as Kt (kh·kw·F, C): one row of channel weights per tap and filter."""
        return self.kernel.value.transpose(0, 1, 3, 2).reshape(-1, self.input_shape[2])

    def forward(self, x, training=False):
        self._check_input(x)
        n = x.shape[0]
        ho, wo, f = self.output_shape
        if self.method == "taps":
            self.x, self.cols = x, None
            h, w, c = self.input_shape
            kh, kw = self.kernel_size
            parts = (self._kernel_by_taps() @ x.reshape(-1, c).T).reshape(kh, kw, f, n, h, w)
            # tap-major and channels-last, (kh, kw, N, H, W, F): a view when F = 1, one copy otherwise
            parts = np.ascontiguousarray(parts.transpose(0, 1, 3, 4, 5, 2))
            y = sum_taps(parts, self.strides, self.pads, (ho, wo))
        else:
            self.x = None
            self.cols = im2col(x, self.kernel_size, self.strides, self.pads, (ho, wo))  # (N, Ho, Wo, kh, kw, C)
            y = (self.cols.reshape(n * ho * wo, -1) @ self.kernel.value.reshape(-1, f)).reshape(n, ho, wo, f)
        if self.use_bias:
            y += self.bias.value
        return self._remember_output(y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if self.method == "taps":
            return self._backward_by_taps(grad_out, need_input_grad)
        f = self.filters
        g = grad_out.reshape(-1, f)                               # (N·Ho·Wo, F)
        cols = self.cols.reshape(g.shape[0], -1)                  # (N·Ho·Wo, kh·kw·C)
        if self.trainable:
            self.kernel.add_grad_matmul(cols.T, g)
            if self.use_bias:
                self.bias.add_grad(g.sum(axis=0))
        if not need_input_grad:
            return None
        dcols = (g @ self.kernel.value.reshape(-1, f).T).reshape(self.cols.shape)
        return col2im(dcols, (grad_out.shape[0],) + self.input_shape, self.strides, self.pads)

    def _backward_by_taps(self, grad_out, need_input_grad):
        n = grad_out.shape[0]
        h, w, c = self.input_shape
        (kh, kw), f = self.kernel_size, self.filters
        dparts = spread_taps(grad_out, (h, w), self.kernel_size, self.strides, self.pads)
        # as (kh·kw·F, N·H·W) to meet Kt (a view when F = 1)
        dparts = dparts.transpose(0, 1, 5, 2, 3, 4).reshape(kh * kw * f, -1)
        if self.trainable:
            dk = dparts @ self.x.reshape(-1, c)                   # (kh·kw·F, C)
            self.kernel.add_grad(dk.reshape(kh, kw, f, c).transpose(0, 1, 3, 2))
            if self.use_bias:
                self.bias.add_grad(grad_out.sum(axis=(0, 1, 2)))
        if not need_input_grad:
            return None
        return (dparts.T @ self._kernel_by_taps()).reshape(n, h, w, c)
