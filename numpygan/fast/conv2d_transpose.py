"""Conv2DTranspose, fast twin: the same function as ``numpygan.layers.Conv2DTranspose``, computed phase by phase."""

import math

import numpy as np

from ..layers import conv2d_transpose as reference
from ..layers.im2col import tap_slices
from ..runtime.parallel import map_rows
from .im2col import col2im, im2col
from .parameter import deferred


class Conv2DTranspose(reference.Conv2DTranspose):
    """``numpygan.layers.Conv2DTranspose`` (same arguments, weights and results), computed phase by phase.

    The reference forms x Ktᵀ, an (N·H·W, kh·kw·F) matrix, and col2im adds its
    overlapping windows into y. This twin needs neither: write an output row
    (before the padding is cropped) as p = q·s + r with phase r < s; the taps
    that reach it are a = r + s·t, from input row i = q − t. So

        y[q·s + r] = Σ_t x[q − t] · K[r + s·t]        t = 0 … T−1,  T = ⌈k / s⌉

    — for each of the sh·sw phases an ordinary stride-1 correlation of x with
    every s-th tap. All phases read the same T×T blocks of x, so one im2col of
    the blocks and one GEMM with the phase kernel (``_phase_kernel``) give every
    output pixel exactly once (block (q, q') → its sh·sw pixels), with a
    K = T·T·C inner dimension that BLAS runs near its peak. The bias is folded
    into the same GEMM as a column of ones in the blocks (and a row b of the
    phase kernel). It is the same function: each output pixel receives the same
    products x[i]·K[a], only summed inside one GEMM instead of by col2im.

    The backward runs the same three steps in reverse (``backward``), so it never
    builds im2col(dL/dy), which is sh·sw times larger than the blocks. The copies
    run in row blocks on several threads (``numpygan.runtime.parallel``).
    """

    def compute_output_shape(self, input_shape):
        output_shape = super().compute_output_shape(input_shape)
        ho, wo, _ = output_shape
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        top, bottom, left, right = self.pads
        # T×T taps per phase, Qh×Qw blocks cover the uncropped output
        self.taps_per_phase = (math.ceil(kh / sh), math.ceil(kw / sw))
        self.blocks_hw = (math.ceil((ho + top + bottom) / sh), math.ceil((wo + left + right) / sw))
        return output_shape

    def build(self, input_shape, rng=None, dtype=np.float32):
        output_shape = super().build(input_shape, rng, dtype)
        deferred(self, "kernel", "bias")          # gradients written without zeroing first (fast/parameter.py)
        return output_shape

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
