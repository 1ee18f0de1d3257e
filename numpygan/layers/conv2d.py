"""2-D convolution (cross-correlation, as in every deep-learning framework), channels-last."""

import numpy as np

from .. import initializers
from ..parameter import Parameter
from ._conv_args import pair
from .base import Layer
from .im2col import col2im, conv_output_size, im2col, resolve_padding, spread_taps, sum_taps


class Conv2D(Layer):
    """y[n,i,j,f] = b[f] + Σ_{a,b,c} x_pad[n, i·sh+a, j·sw+b, c] · K[a,b,c,f]

    Shapes: x (N, H, W, C); kernel K (kh, kw, C, F) as in Keras; bias (F,);
    y (N, Ho, Wo, F) with Ho = floor((H + pad_top + pad_bottom − kh) / sh) + 1.
    ``padding``: 'valid' (none), 'same' (Keras rule: Ho = ceil(H / sh), the odd
    pixel of padding after), an int, or (ph, pw).

    As one GEMM on the im2col matrix X (N·Ho·Wo, kh·kw·C) and K as (kh·kw·C, F):
        forward   Y  = X K + b
        backward  dK = Xᵀ G,   db = Σ_rows G,   dX = G Kᵀ,   dx = col2im(dX)
    where G = dL/dy as (N·Ho·Wo, F). X is kept from the forward for dK.

    With fewer filters than input channels (e.g. the DCGAN generator's last
    Conv2D(1, 7×7) on 128 channels) X is huge (N·Ho·Wo × 49·128) and mostly
    copies; the same sum is then grouped per input pixel and kernel tap instead,
    with Kt = K as (kh·kw·F, C) (Conv2DTranspose's layout) and x as (N·H·W, C):
        forward   P = Kt xᵀ,   y = sum_taps(P) + b     (P: every tap times every pixel)
        backward  dP = spread_taps(G),   dK = dP x,   dx = dPᵀ Kt
    ``method`` says which grouping the layer uses ('im2col' or 'taps'): the one
    whose intermediate matrix is smaller.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", use_bias=True, name=None):
        super().__init__(name)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{self.name}: argument 'filters' must be a positive int, received {filters!r}")
        self.filters = filters
        self.kernel_size = pair(kernel_size, "kernel_size", self.name)
        self.strides = pair(strides, "strides", self.name)
        resolve_padding(padding, (1, 1), (1, 1), (1, 1), self.name)  # validate early
        self.padding = padding
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.use_bias = use_bias

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.name}: input must be (batch, height, width, channels), "
                f"received per-sample shape {tuple(input_shape)}"
            )
        h, w, _ = input_shape
        kh, kw = self.kernel_size
        self.pads = resolve_padding(self.padding, (h, w), self.kernel_size, self.strides, self.name)
        top, bottom, left, right = self.pads
        if kh > h + top + bottom or kw > w + left + right:
            raise ValueError(
                f"{self.name}: kernel_size {self.kernel_size} is larger than the padded input "
                f"({h + top + bottom}, {w + left + right}) (input {(h, w)}, padding {self.padding!r})"
            )
        ho = conv_output_size(h, kh, self.strides[0], top, bottom)
        wo = conv_output_size(w, kw, self.strides[1], left, right)
        # intermediate sizes per sample and tap: im2col's X has C values per output
        # pixel, the per-tap parts have F values per input pixel
        by_windows = ho * wo * input_shape[2]
        by_taps = h * w * self.filters
        self.method = "taps" if by_taps < by_windows else "im2col"
        return (ho, wo, self.filters)

    def build(self, input_shape, rng=None, dtype=np.float32):
        output_shape = self.compute_output_shape(input_shape)  # validates before allocating
        rng = rng if rng is not None else np.random.default_rng()
        kh, kw = self.kernel_size
        self.kernel = Parameter(self.kernel_initializer((kh, kw, input_shape[2], self.filters), rng, dtype=dtype))
        self.bias = Parameter(self.bias_initializer((self.filters,), rng, dtype=dtype)) if self.use_bias else None
        super().build(input_shape, rng, dtype)
        return output_shape

    def parameters(self):
        if not self.built:
            return {}
        return {"kernel": self.kernel, "bias": self.bias} if self.use_bias else {"kernel": self.kernel}

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
