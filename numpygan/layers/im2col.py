"""im2col / col2im for channels-last (N, H, W, C) images, and the padding rules.

A convolution with kernel (kh, kw), strides (sh, sw) and padding
(top, bottom, left, right) looks at Ho·Wo windows of the padded image. im2col
lays every window out as one row, so the convolution becomes one matrix product:

    cols[n, i, j, a, b, c] = x_pad[n, i·sh + a, j·sw + b, c]      (N, Ho, Wo, kh, kw, C)

col2im is its adjoint (transpose): every window's values are *added* back to the
pixels they came from. Windows overlap when k > s, so the adds must accumulate:

    x_pad[n, i·sh + a, j·sw + b, c] += cols[n, i, j, a, b, c]

It loops over the kh·kw kernel offsets only; each iteration is one strided,
vectorised add over the whole batch and all windows.

The same sum can be grouped the other way round: first every input pixel's
product with every kernel tap (a, b), parts[a, b, n, p, q, f], then for each
output pixel the one part of each tap that its window picks up:

    y[n, i, j, f] = Σ_{a,b} parts[a, b, n, i·sh + a, j·sw + b, f]       (sum_taps)

with the adjoint that hands each output gradient back to those parts
(spread_taps). Conv2D uses this grouping when it has fewer filters than input
channels: its intermediate is then smaller than the im2col matrix.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def same_padding(size, kernel, stride):
    """Keras/TensorFlow 'same': output ceil(size/stride); extra padding goes after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def resolve_padding(padding, size_hw, kernel_hw, strides, owner="conv"):
    """Return (top, bottom, left, right) for 'same', 'valid', an int or (ph, pw)."""
    if padding == "same":
        return same_padding(size_hw[0], kernel_hw[0], strides[0]) + same_padding(size_hw[1], kernel_hw[1], strides[1])
    if padding == "valid":
        return (0, 0, 0, 0)
    if isinstance(padding, (int, np.integer)) and padding >= 0:
        return (int(padding),) * 4
    if (isinstance(padding, (tuple, list)) and len(padding) == 2
            and all(isinstance(p, (int, np.integer)) and p >= 0 for p in padding)):
        return (int(padding[0]), int(padding[0]), int(padding[1]), int(padding[1]))
    raise ValueError(
        f"{owner}: argument 'padding' must be 'same', 'valid', a non-negative int or a pair of them, "
        f"received {padding!r}"
    )


def conv_output_size(size, kernel, stride, pad_before, pad_after):
    """floor((size + pads − kernel) / stride) + 1: how many windows fit."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def pad_images(x, pads):
    """Zero-pad (..., H, W, C) by pads = (top, bottom, left, right); no copy if all are 0."""
    top, bottom, left, right = pads
    if top == bottom == left == right == 0:
        return x
    *lead, h, w, c = x.shape
    xp = np.zeros((*lead, h + top + bottom, w + left + right, c), dtype=x.dtype)
    # explicit end indices: a slice like [top:-bottom] would be empty when bottom == 0
    xp[..., top:top + h, left:left + w, :] = x
    return xp


def im2col(x, kernel_hw, strides, pads, out_hw):
    """Windows of the padded image as rows: (N, H, W, C) → (N, Ho, Wo, kh, kw, C), contiguous.

    The windows are a strided view of the padded image (no copy); the single copy
    is the reshape-ready contiguous result.
    """
    kh, kw = kernel_hw
    sh, sw = strides
    ho, wo = out_hw
    xp = pad_images(x, pads)
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))      # (N, Hp-kh+1, Wp-kw+1, C, kh, kw)
    windows = windows[:, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw]
    return np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))


def col2im(cols, image_shape, strides, pads):
    """Adjoint of im2col: (N, Ho, Wo, kh, kw, C) → (N, H, W, C), overlapping windows summed."""
    n, ho, wo, kh, kw, c = cols.shape
    _, h, w, _ = image_shape
    sh, sw = strides
    top, bottom, left, right = pads
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            xp[:, a : a + (ho - 1) * sh + 1 : sh, b : b + (wo - 1) * sw + 1 : sw, :] += cols[:, :, :, a, b, :]
    if top == bottom == left == right == 0:
        return xp
    return xp[:, top:top + h, left:left + w, :]


def sum_taps(parts, strides, out_hw):
    """y[n, i, j, f] = Σ_{a,b} parts[a, b, n, i·sh + a, j·sw + b, f]:  (kh, kw, N, Hp, Wp, F) → (N, Ho, Wo, F).

    ``parts`` is indexed by kernel tap (a, b) and padded-image pixel (p, q); each
    output pixel sums, over the taps, the part its window reads at that tap.
    Tap-major, so each tap's parts are one contiguous block.
    """
    kh, kw, n, _, _, f = parts.shape
    sh, sw = strides
    ho, wo = out_hw
    y = np.zeros((n, ho, wo, f), dtype=parts.dtype)
    for a in range(kh):
        for b in range(kw):
            y += parts[a, b, :, a : a + (ho - 1) * sh + 1 : sh, b : b + (wo - 1) * sw + 1 : sw, :]
    return y


def spread_taps(grad, padded_hw, kernel_hw, strides):
    """Adjoint of sum_taps: (N, Ho, Wo, F) → (kh, kw, N, Hp, Wp, F), zero where no window reads.

    dparts[a, b, n, i·sh + a, j·sw + b, f] = grad[n, i, j, f]; each slot is written
    by one (i, j, a, b) at most, so plain assignment suffices.
    """
    n, ho, wo, f = grad.shape
    kh, kw = kernel_hw
    sh, sw = strides
    dparts = np.zeros((kh, kw, n) + tuple(padded_hw) + (f,), dtype=grad.dtype)
    for a in range(kh):
        for b in range(kw):
            dparts[a, b, :, a : a + (ho - 1) * sh + 1 : sh, b : b + (wo - 1) * sw + 1 : sw, :] = grad
    return dparts
