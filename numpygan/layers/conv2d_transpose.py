"""Transposed 2-D convolution, computed as the adjoint of Conv2D (never by zero-stuffing)."""

import math

import numpy as np

from .. import initializers
from ..parallel import map_rows
from ..parameter import Parameter
from ._conv_args import pair
from .base import Layer
from .im2col import col2im, im2col, resolve_padding, tap_slices


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

    With Kt = K as (kh·kw·F, C) and x as (N·H·W, C):
        forward   Y = col2im(x Ktᵀ) + b     (every input pixel i spreads x[i]·K[a] to output pixel i·s + a)
        backward  G_cols = im2col(dL/dy),   dx = G_cols Kt,   dK = G_colsᵀ x,   db = Σ dL/dy

    The forward is computed phase by phase, which needs neither the
    (N·H·W, kh·kw·F) matrix nor col2im's overlapping adds. Write an output row
    (before the padding is cropped) as p = q·s + r with phase r < s; the taps
    that reach it are a = r + s·t, from input row i = q − t. So

        y[q·s + r] = Σ_t x[q − t] · K[r + s·t]        t = 0 … T−1,  T = ⌈k / s⌉

    — for each of the sh·sw phases an ordinary stride-1 correlation of x with
    every s-th tap. All phases read the same T×T blocks of x, so one im2col of
    the blocks and one GEMM with the phase kernel (``_phase_kernel``) give every
    output pixel exactly once (``phases`` in forward: block (q, q') → its sh·sw
    pixels), with a K = T·T·C inner dimension that BLAS runs near its peak.
    The backward runs the same three steps in reverse (``backward``), so it
    never builds im2col(dL/dy), which is sh·sw times larger than the blocks.
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
        # phase form (class docstring): T×T taps per phase, Qh×Qw blocks cover the uncropped output
        top, bottom, left, right = self.pads
        self.taps_per_phase = (math.ceil(kh / sh), math.ceil(kw / sw))
        self.blocks_hw = (math.ceil((ho + top + bottom) / sh), math.ceil((wo + left + right) / sw))
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

    def _phase_kernel(self):
        """K (kh, kw, F, C) as (T·T·C, sh·sw·F): row (u, v, c), column (rh, rw, f) holds
        K[rh + sh·(Th−1−u), rw + sw·(Tw−1−v), f, c], and 0 where that tap is beyond the kernel;
        with a bias, one more row holding b[f] in every phase (it meets the blocks' column of ones)."""
        (kh, kw), (sh, sw), (th, tw) = self.kernel_size, self.strides, self.taps_per_phase
        c, f = self.input_shape[2], self.filters
        kernel = self.kernel.value
        phased = np.zeros((th * tw * c + self.use_bias, sh, sw, f), dtype=kernel.dtype)
        taps = phased[:th * tw * c].reshape(th, tw, c, sh, sw, f)
        for a in range(kh):
            for b in range(kw):
                # tap a = r + s·t serves phase r; block offset u = T−1−t runs the taps in reverse
                taps[th - 1 - a // sh, tw - 1 - b // sw, :, a % sh, b % sw, :] = kernel[a, b].T
        if self.use_bias:
            phased[-1] = self.bias.value
        return phased.reshape(-1, sh * sw * f)

    def forward(self, x, training=False):
        self._check_input(x)
        n, h, w, c = x.shape
        (sh, sw), (th, tw), (qh, qw) = self.strides, self.taps_per_phase, self.blocks_hw
        ho, wo, f = self.output_shape
        # block (q, q') holds x[q − t, q' − t'] for t < Th, t' < Tw: x padded by T − 1 zeros before;
        # with a bias, a last column of ones adds b inside the GEMM (and gives db in backward)
        k = th * tw * c
        blocks = np.empty((n, qh, qw, k + self.use_bias), dtype=x.dtype)
        im2col(x, (th, tw), (1, 1), self._block_pads(h, w), (qh, qw),
               out=blocks[..., :k].reshape(n, qh, qw, th, tw, c))                # (N, Qh, Qw, Th, Tw, C)
        if self.use_bias:
            blocks[..., k] = 1
        self.blocks = blocks.reshape(n * qh * qw, -1)                            # kept for dK
        out = self.blocks @ self._phase_kernel()                                 # (N·Qh·Qw, sh·sw·F)
        y = np.empty((n, ho, wo, f), dtype=x.dtype)
        map_rows(self._scatter_phases, out.reshape(n, qh, qw, sh, sw, f), y)
        return self._remember_output(y)

    def _phase_slices(self):
        """For each phase (rh, rw): ``(rh, rw, blocks_h, blocks_w, rows, cols)``, the blocks whose
        pixel of that phase survives the crop and where those pixels land in y. Uncropped pixel
        (q·sh + rh, q'·sw + rw) is y's (q·sh + rh − top, q'·sw + rw − left): Conv2D's tap
        geometry with the phase as the tap, the block as the output and y as the image."""
        ho, wo, _ = self.output_shape
        return tap_slices((ho, wo), self.blocks_hw, self.strides, self.strides, self.pads)

    def _scatter_phases(self, out, y):
        """y[n, q·sh + rh − top, q'·sw + rw − left] = out[n, q, q', rh, rw], for one block of images."""
        for rh, rw, blocks_h, blocks_w, rows, cols in self._phase_slices():
            y[:, rows, cols] = out[:, blocks_h, blocks_w, rh, rw]

    def _block_pads(self, h, w):
        """(top, bottom, left, right) zeros around x so that the T×T blocks cover every output block."""
        (th, tw), (qh, qw) = self.taps_per_phase, self.blocks_hw
        return (th - 1, qh - h, tw - 1, qw - w)

    def backward(self, grad_out, need_input_grad=True):
        """The forward's three steps backwards, with G = dL/dy:

            dOut    = G laid out as phases of blocks, zero where cropped   (N·Qh·Qw, sh·sw·F)
            dP      = blocksᵀ dOut,  dK = dP read back tap by tap          (the phase kernel's adjoint)
            dblocks = dOut Pᵀ,       dx = col2im(dblocks)                 (im2col's adjoint)
            db      = Σ G          (dP's row for the blocks' column of ones, summed over the phases)
        """
        self._check_grad(grad_out)
        n, (h, w, c) = grad_out.shape[0], self.input_shape
        (sh, sw), (qh, qw), f = self.strides, self.blocks_hw, self.filters
        d_out = np.empty((n, qh, qw, sh, sw, f), dtype=grad_out.dtype)
        map_rows(self._gather_phases, d_out, grad_out)
        d_out = d_out.reshape(n * qh * qw, sh * sw * f)
        k = self.taps_per_phase[0] * self.taps_per_phase[1] * c
        if self.trainable:
            d_phased = self.blocks.T @ d_out                      # (T·T·C [+1], sh·sw·F)
            self.kernel.add_grad(self._kernel_from_phases(d_phased[:k]))
            if self.use_bias:
                # the ones column's row: Σ over blocks of dOut, per phase; db sums the phases
                self.bias.add_grad(d_phased[k].reshape(sh * sw, f).sum(axis=0))
        if not need_input_grad:
            return None
        d_blocks = (d_out @ self._phase_kernel()[:k].T).reshape(n, qh, qw, *self.taps_per_phase, c)
        return col2im(d_blocks, (n, h, w, c), (1, 1), self._block_pads(h, w))

    def _gather_phases(self, d_out, grad_out):
        """Adjoint of ``_scatter_phases``: d_out[n, q, q', rh, rw] = G[n, q·sh + rh − top, q'·sw + rw − left],
        0 where that pixel was cropped; for one block of images."""
        for rh, rw, blocks_h, blocks_w, rows, cols in self._phase_slices():
            phase = d_out[:, :, :, rh, rw]
            phase[:, blocks_h, blocks_w] = grad_out[:, rows, cols]
            # the cropped pixels (block rows and columns outside the slices) get no gradient
            phase[:, :blocks_h.start] = 0
            phase[:, blocks_h.stop:] = 0
            phase[:, blocks_h, :blocks_w.start] = 0
            phase[:, blocks_h, blocks_w.stop:] = 0

    def _kernel_from_phases(self, d_phased):
        """Adjoint of ``_phase_kernel``: (T·T·C, sh·sw·F) → (kh, kw, F, C), entries beyond the kernel dropped."""
        (kh, kw), (sh, sw), (th, tw) = self.kernel_size, self.strides, self.taps_per_phase
        c, f = self.input_shape[2], self.filters
        d_phased = d_phased.reshape(th, tw, c, sh, sw, f)
        d_kernel = np.empty((kh, kw, f, c), dtype=d_phased.dtype)
        for a in range(kh):
            for b in range(kw):
                d_kernel[a, b] = d_phased[th - 1 - a // sh, tw - 1 - b // sw, :, a % sh, b % sw, :].T
        return d_kernel
