"""im2col / col2im on several threads, and the per-tap grouping of a convolution's sum.

``im2col`` and ``col2im`` here give the same arrays as ``numpygan.layers.im2col``'s
(they call them), on row blocks of images in parallel (``numpygan.runtime.parallel``):
NumPy copies on one thread, and these copies are among the largest passes of a
DCGAN step.

The sum of a convolution can also be grouped the other way round: first every
input pixel's product with every kernel tap (a, b), parts[a, b, n, p, q, f],
then for each output pixel the one part of each tap that its window picks up:

    y[n, i, j, f] = Σ_{a,b} parts[a, b, n, i·sh + a − top, j·sw + b − left, f]       (sum_taps)

with the adjoint that hands each output gradient back to those parts
(``spread_taps``). Neither builds the padded image: a tap that falls on padding
for some outputs simply skips them (``tap_range``). The fast Conv2D uses this
grouping when it has fewer filters than input channels: its intermediate is then
smaller than the im2col matrix.
"""

import numpy as np

from ..layers import im2col as reference
from ..layers.im2col import tap_slices
from ..runtime.parallel import map_rows


def im2col(x, kernel_hw, strides, pads, out_hw, out=None):
    """``numpygan.layers.im2col.im2col``, images in row blocks on several threads."""
    kh, kw = kernel_hw
    if out is None:
        out = np.empty((x.shape[0], *out_hw, kh, kw, x.shape[3]), dtype=x.dtype)
    map_rows(lambda x, out: reference.im2col(x, kernel_hw, strides, pads, out_hw, out=out), x, out)
    return out


def col2im(cols, image_shape, strides, pads):
    """``numpygan.layers.im2col.col2im``, images in row blocks on several threads."""
    x = np.empty(image_shape, dtype=cols.dtype)
    map_rows(lambda cols, x: reference.col2im(cols, x.shape, strides, pads, out=x), cols, x)
    return x


def sum_taps(parts, strides, pads, out_hw):
    """y[n, i, j, f] = Σ_{a,b} parts[a, b, n, i·sh + a − top, j·sw + b − left, f]:  (kh, kw, N, H, W, F) → (N, Ho, Wo, F).

    ``parts`` is indexed by kernel tap (a, b) and image pixel (p, q); each output
    pixel sums, over the taps, the part its window reads at that tap. A window
    reading the zero padding adds nothing, so each tap adds only to the outputs
    whose window finds image pixels there (``tap_slices``): the padded image is
    never built. Tap-major, so each tap's parts are one contiguous block.
    """
    kh, kw, n, h, w, f = parts.shape
    taps = tap_slices((h, w), out_hw, (kh, kw), strides, pads)

    def add_taps(parts, y):         # one block of images; parts batch-first here
        y[...] = 0
        for a, b, rows_out, cols_out, rows_in, cols_in in taps:
            y[:, rows_out, cols_out] += parts[:, a, b, rows_in, cols_in]

    y = np.empty((n, *out_hw, f), dtype=parts.dtype)
    map_rows(add_taps, parts.transpose(2, 0, 1, 3, 4, 5), y)
    return y


def spread_taps(grad, image_hw, kernel_hw, strides, pads):
    """Adjoint of sum_taps: (N, Ho, Wo, F) → (kh, kw, N, H, W, F), zero where no window reads.

    dparts[a, b, n, i·sh + a − top, j·sw + b − left, f] = grad[n, i, j, f]; for a
    fixed tap distinct outputs i read distinct pixels, so each slot is written by
    one (i, j) at most and plain assignment suffices.
    """
    n, ho, wo, f = grad.shape
    taps = tap_slices(image_hw, (ho, wo), kernel_hw, strides, pads)

    def copy_taps(dparts, grad):    # one block of images; dparts batch-first here
        dparts[...] = 0
        for a, b, rows_out, cols_out, rows_in, cols_in in taps:
            dparts[:, a, b, rows_in, cols_in] = grad[:, rows_out, cols_out]

    dparts = np.empty((*kernel_hw, n, *image_hw, f), dtype=grad.dtype)
    map_rows(copy_taps, dparts.transpose(2, 0, 1, 3, 4, 5), grad)
    return dparts
