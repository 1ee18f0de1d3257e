"""Transposed 2-D convolution, computed as the adjoint of Conv2D (never by zero-stuffing)."""

import numpy as np

from .. import initializers
from ..parameter import Parameter
from ._conv_args import pair
from .base import Layer
from .im2col import col2im, im2col, resolve_padding


class Conv2DTranspose(Layer):
    """The adjoint (transpose) of a Conv2D, with that Conv2D's kernel.

    Shapes: x (N, H, W, C); kernel K (kh, kw, F, C) as in Keras — the kernel of the
    Conv2D that maps an F-channel (Ho, Wo) image back to (H, W, C); bias (F,);
    y (N, Ho, Wo, F) with

        Ho = (H − 1)·sh + kh − pad_top − pad_bottom + output_padding.

    'same' gives Ho = H·sh (Keras); 'valid' pads nothing; an int or (ph, pw) pads
    both sides. ``output_padding`` (< stride; not with 'same') adds rows/columns at
    the bottom/right that no window reaches, to pick among output sizes that the
    forward Conv2D maps to the same H.

    With Kt = K as (kh·kw·F, C), x as (N·H·W, C) and G = dL/dy:
        forward   y  = col2im(x Ktᵀ) + b     (input pixel i spreads x[i]·K[a] onto output pixel i·s + a)
        backward  dx = im2col(G) Kt,   dK = im2col(G)ᵀ x,   db = Σ G
    col2im and im2col with the geometry of the Conv2D that maps y's shape back to
    x's: y's pixels are that Conv2D's image, x's pixels its windows. So this
    layer's forward is that Conv2D's input gradient, and its backward that
    Conv2D's forward (tests/test_conv.py checks the adjointness).
    (``numpygan.fast.Conv2DTranspose`` computes the same function phase by phase.)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", use_bias=True, name=None):
        super().__init__(name)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{self.name}: argument 'filters' must be a positive int, received {filters!r}")
        self.filters = filters
        self.kernel_size = pair(kernel_size, "kernel_size", self.name)
        self.strides = pair(strides, "strides", self.name)
        resolve_padding(padding, (1, 1), (1, 1), (1, 1), self.name)
        self.padding = padding
        if output_padding is not None:
            if padding == "same":
                raise ValueError(f"{self.name}: argument 'output_padding' cannot be combined with padding='same'")
            op = (output_padding, output_padding) if isinstance(output_padding, int) else tuple(output_padding)
            if len(op) != 2 or any(not 0 <= o < s for o, s in zip(op, self.strides)):
                raise ValueError(
                    f"{self.name}: argument 'output_padding' must satisfy 0 <= output_padding < strides "
                    f"{self.strides}, received {output_padding!r}"
                )
            output_padding = op
        self.output_padding = output_padding
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
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        if self.padding == "same":
            ho, wo = h * sh, w * sw
            self.pads = resolve_padding("same", (ho, wo), self.kernel_size, self.strides, self.name)
        else:
            self.pads = resolve_padding(self.padding, (h, w), self.kernel_size, self.strides, self.name)
            oph, opw = self.output_padding or (0, 0)
            top, bottom, left, right = self.pads
            ho = (h - 1) * sh + kh - top - bottom + oph
            wo = (w - 1) * sw + kw - left - right + opw
        if ho < 1 or wo < 1:
            raise ValueError(
                f"{self.name}: padding {self.padding!r} removes the whole output for input {(h, w)} "
                f"and kernel_size {self.kernel_size} (output would be {(ho, wo)})"
            )
        return (ho, wo, self.filters)

    def build(self, input_shape, rng=None, dtype=np.float32):
        output_shape = self.compute_output_shape(input_shape)
        rng = rng if rng is not None else np.random.default_rng()
        kh, kw = self.kernel_size
        self.kernel = Parameter(self.kernel_initializer((kh, kw, self.filters, input_shape[2]), rng, dtype=dtype))
        self.bias = Parameter(self.bias_initializer((self.filters,), rng, dtype=dtype)) if self.use_bias else None
        super().build(input_shape, rng, dtype)
        return output_shape

    def parameters(self):
        if not self.built:
            return {}
        return {"kernel": self.kernel, "bias": self.bias} if self.use_bias else {"kernel": self.kernel}

    def forward(self, x, training=False):
        self._check_input(x)
        n, h, w, c = x.shape
        (kh, kw), f = self.kernel_size, self.filters
        ho, wo, _ = self.output_shape
        self.x = x
        Kt = self.kernel.value.reshape(-1, c)                                 # (kh·kw·F, C)
        cols = (x.reshape(-1, c) @ Kt.T).reshape(n, h, w, kh, kw, f)          # x Ktᵀ: every pixel times every tap
        y = col2im(cols, (n, ho, wo, f), self.strides, self.pads)             # col2im(x Ktᵀ)
        if self.use_bias:
            y += self.bias.value                                              #   + b
        return self._remember_output(y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        n, (h, w, c) = grad_out.shape[0], self.input_shape
        Kt = self.kernel.value.reshape(-1, c)                                 # (kh·kw·F, C)
        G_cols = im2col(grad_out, self.kernel_size, self.strides, self.pads, (h, w)).reshape(n * h * w, -1)
        if self.trainable:
            self.kernel.grad += (G_cols.T @ self.x.reshape(-1, c)).reshape(self.kernel.shape)  # dK = im2col(G)ᵀ x
            if self.use_bias:
                self.bias.grad += grad_out.sum(axis=(0, 1, 2))                # db = Σ G
        if not need_input_grad:
            return None
        return (G_cols @ Kt).reshape(n, h, w, c)                              # dx = im2col(G) Kt
