"""The convolution configuration grid shared by the convolution tests, and Keras's output-size rules.

Grid: spatial sizes 5, 7, 8, 28; kernels 1, 3, 4, 5, 7; strides 1, 2, 3;
padding 'same', 'valid', an explicit padding with overlapping windows (k > s)
and an explicit 0; every legal output_padding for transposed convolutions.
Configurations whose kernel does not fit the padded input are left out (the
layers refuse them; see test_bad_input.py).
"""

import itertools
import math

SIZES = (5, 7, 8, 28)
KERNELS = (1, 3, 4, 5, 7)
STRIDES = (1, 2, 3)


def paddings(kernel, stride):
    """'same', 'valid', explicit k // 2 where windows overlap (k > s), and explicit 0."""
    pads = ["same", "valid", 0]
    if kernel > stride and kernel // 2 > 0:
        pads.insert(2, kernel // 2)
    return pads


def explicit_pad(padding):
    return 0 if padding in ("same", "valid") else padding


def keras_conv_output(size, kernel, stride, padding):
    """Conv2D: 'same' → ceil(H / s); 'valid' → floor((H − k) / s) + 1; int p → floor((H + 2p − k) / s) + 1."""
    if padding == "same":
        return math.ceil(size / stride)
    return (size + 2 * explicit_pad(padding) - kernel) // stride + 1


def keras_transpose_output(size, kernel, stride, padding, output_padding=None):
    """Conv2DTranspose: 'same' → H·s; 'valid' → (H − 1)·s + k + op; int p → (H − 1)·s + k − 2p + op."""
    if padding == "same":
        return size * stride
    return (size - 1) * stride + kernel - 2 * explicit_pad(padding) + (output_padding or 0)


def conv_fits(size, kernel, padding):
    return padding == "same" or kernel <= size + 2 * explicit_pad(padding)


def conv_grid():
    """(size, kernel, stride, padding) for every Conv2D configuration of the grid."""
    for size, kernel, stride in itertools.product(SIZES, KERNELS, STRIDES):
        for padding in paddings(kernel, stride):
            if conv_fits(size, kernel, padding):
                yield size, kernel, stride, padding


def transpose_grid():
    """(size, kernel, stride, padding, output_padding) for every Conv2DTranspose configuration of the grid."""
    for size, kernel, stride in itertools.product(SIZES, KERNELS, STRIDES):
        for padding in paddings(kernel, stride):
            for output_padding in ([None] if padding == "same" else range(stride)):
                if keras_transpose_output(size, kernel, stride, padding, output_padding) >= 1:
                    yield size, kernel, stride, padding, output_padding


def conv_id(size, kernel, stride, padding, *rest):
    extra = "".join(f"-{r}" for r in rest)
    return f"{size}x{size}-k{kernel}-s{stride}-pad_{padding}{extra}"
