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
(spread_taps). Neither builds the padded image: a tap that falls on padding
for some outputs simply skips them (tap_range). Conv2D uses this grouping when
it has fewer filters than input channels: its intermediate is then smaller than
the im2col matrix.

The large copies (padding, the im2col matrix) run in row blocks on several
threads (``numpygan.parallel``).
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..parallel import map_rows


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
    xp = np.empty((*lead, h + top + bottom, w + left + right, c), dtype=x.dtype)
    # zeros in the border strips only, the image copied into the middle;
    # explicit end indices: a slice like [top:-bottom] would be empty when bottom == 0
    xp[..., :top, :, :] = 0
    xp[..., top + h:, :, :] = 0
    xp[..., top:top + h, :left, :] = 0
    xp[..., top:top + h, left + w:, :] = 0
    map_rows(np.copyto, xp[..., top:top + h, left:left + w, :], x)
    return xp


def im2col(x, kernel_hw, strides, pads, out_hw, out=None):
    """Windows of the padded image as rows: (N, H, W, C) → (N, Ho, Wo, kh, kw, C), contiguous.

    The windows are a strided view of the padded image (no copy); the single copy
    is the reshape-ready contiguous result, or ``out`` if given (an array of that
    shape, e.g. a view into the columns of a larger matrix).
    """
    kh, kw = kernel_hw
    sh, sw = strides
    ho, wo = out_hw
    xp = pad_images(x, pads)
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))      # (N, Hp-kh+1, Wp-kw+1, C, kh, kw)
    windows = windows[:, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw].transpose(0, 1, 2, 4, 5, 3)
    if out is None:
        out = np.empty(windows.shape, dtype=x.dtype)
    elif out.shape != windows.shape:
        raise ValueError(f"im2col: argument 'out' expected shape {windows.shape}, received {out.shape}")
    map_rows(np.copyto, out, windows)
    return out


def col2im(cols, image_shape, strides, pads):
    """Adjoint of im2col: (N, Ho, Wo, kh, kw, C) → (N, H, W, C), overlapping windows summed.

    Window values that fell on the zero padding have nowhere to go and are
    dropped (``tap_slices``), so the padded image is never built.
    """
    n, ho, wo, kh, kw, c = cols.shape
    _, h, w, _ = image_shape
    taps = tap_slices((h, w), (ho, wo), (kh, kw), strides, pads)

    def add_windows(cols, x):       # one block of images
        x[...] = 0
        for a, b, rows_out, cols_out, rows_in, cols_in in taps:
            x[:, rows_in, cols_in] += cols[:, rows_out, cols_out, a, b]

    x = np.empty((n, h, w, c), dtype=cols.dtype)
    map_rows(add_windows, cols, x)
    return x


def tap_range(size, out_size, tap, stride, pad_before):
    """Which outputs a kernel tap reaches inside the image, along one axis.

    Output i reads padded pixel i·s + tap, i.e. image pixel p = i·s + tap − pad_before;
    only 0 <= p < size holds data (the padding is zeros). Returns ``(out_slice,
    image_slice)``, the outputs i that read data and the pixels p they read, both
    in the same order (empty slices if the tap only ever reads padding).
    """
    first = max(0, -((tap - pad_before) // stride))                 # ceil((pad − tap) / s), at least 0
    last = min(out_size, (size - 1 + pad_before - tap) // stride + 1)  # one past the last i with p < size
    if last <= first:
        return slice(0, 0), slice(0, 0)
    p0 = first * stride + tap - pad_before
    return slice(first, last), slice(p0, p0 + (last - first - 1) * stride + 1, stride)


def tap_slices(image_hw, out_hw, kernel_hw, strides, pads):
    """For each kernel tap (a, b): ``(a, b, rows_out, cols_out, rows_in, cols_in)``, the outputs
    whose window reads an image pixel through that tap and those pixels (``tap_range`` per axis)."""
    (h, w), (ho, wo), (kh, kw), (sh, sw) = image_hw, out_hw, kernel_hw, strides
    top, _, left, _ = pads
    slices = []
    for a in range(kh):
        rows_out, rows_in = tap_range(h, ho, a, sh, top)
        for b in range(kw):
            cols_out, cols_in = tap_range(w, wo, b, sw, left)
            slices.append((a, b, rows_out, cols_out, rows_in, cols_in))
    return slices


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
