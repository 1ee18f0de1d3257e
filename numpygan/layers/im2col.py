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

The fast twins (``numpygan.fast``) run these copies in row blocks on several
threads and add a second grouping of the same sum (per kernel tap).
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
    return np.pad(x, [(0, 0)] * (x.ndim - 3) + [(top, bottom), (left, right), (0, 0)])


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
    np.copyto(out, windows)
    return out


def col2im(cols, image_shape, strides, pads, out=None):
    """Adjoint of im2col: (N, Ho, Wo, kh, kw, C) → (N, H, W, C), overlapping windows summed.

    Window values that fell on the zero padding have nowhere to go and are
    dropped (``tap_slices``), so the padded image is never built. ``out``: an
    array of ``image_shape`` to write into (its contents are overwritten).
    """
    n, ho, wo, kh, kw, c = cols.shape
    _, h, w, _ = image_shape
    x = np.empty((n, h, w, c), dtype=cols.dtype) if out is None else out
    x[...] = 0
    for a, b, rows_out, cols_out, rows_in, cols_in in tap_slices((h, w), (ho, wo), (kh, kw), strides, pads):
        x[:, rows_in, cols_in] += cols[:, rows_out, cols_out, a, b]
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
