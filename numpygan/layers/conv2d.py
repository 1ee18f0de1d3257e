"""2-D convolution (cross-correlation, as in every deep-learning framework), channels-last."""

import numpy as np

from .. import initializers
from ..parameter import Parameter
from ._conv_args import pair
from .base import Layer
from .im2col import col2im, conv_output_size, im2col, resolve_padding


class Conv2D(Layer):
    """y[n,i,j,f] = b[f] + Σ_{a,b,c} x_pad[n, i·sh+a, j·sw+b, c] · K[a,b,c,f]

    Shapes: x (N, H, W, C); kernel K (kh, kw, C, F) as in Keras; bias (F,);
    y (N, Ho, Wo, F) with Ho = floor((H + pad_top + pad_bottom − kh) / sh) + 1.
    ``padding``: 'valid' (none), 'same' (Keras rule: Ho = ceil(H / sh), the odd
    pixel of padding after), an int, or (ph, pw).

    As one GEMM on the im2col matrix X (N·Ho·Wo, kh·kw·C) and K as (kh·kw·C, F),
    with G = dL/dy as (N·Ho·Wo, F):
        forward   Y  = X K + b
        backward  dK = Xᵀ G,   db = Σ_rows G,   dX = G Kᵀ,   dx = col2im(dX)
    X is kept from the forward for dK. (``numpygan.fast.Conv2D`` computes the
    same function with threaded copies, and per kernel tap when that is smaller.)
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

    def forward(self, x, training=False):
        self._check_input(x)
        n = x.shape[0]
        ho, wo, f = self.output_shape
        self.cols = im2col(x, self.kernel_size, self.strides, self.pads, (ho, wo))  # (N, Ho, Wo, kh, kw, C)
        X = self.cols.reshape(n * ho * wo, -1)                                      # (N·Ho·Wo, kh·kw·C)
        y = X @ self.kernel.value.reshape(-1, f)                                    # Y = X K
        if self.use_bias:
            y += self.bias.value                                                    #   + b
        return self._remember_output(y.reshape(n, ho, wo, f))

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        f = self.filters
        G = grad_out.reshape(-1, f)                                   # (N·Ho·Wo, F)
        X = self.cols.reshape(G.shape[0], -1)                         # (N·Ho·Wo, kh·kw·C)
        if self.trainable:
            self.kernel.grad += (X.T @ G).reshape(self.kernel.shape)  # dK = Xᵀ G
            if self.use_bias:
                self.bias.grad += G.sum(axis=0)                       # db = Σ_rows G
        if not need_input_grad:
            return None
        dX = G @ self.kernel.value.reshape(-1, f).T                   # dX = G Kᵀ
        return col2im(dX.reshape(self.cols.shape), (grad_out.shape[0],) + self.input_shape,
                      self.strides, self.pads)                        # dx = col2im(dX)
