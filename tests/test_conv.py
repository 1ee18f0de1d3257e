"""Conv2D and Conv2DTranspose forward passes: values, adjointness, output sizes.

* Conv2D equals an independent reference built on ``scipy.signal.correlate``.
* Conv2DTranspose equals a reference that scatters every input pixel's
  contribution with explicit loops, and is the adjoint of Conv2D with the same
  kernel array: ⟨conv(x), y⟩ = ⟨x, convT(y)⟩.
* Output sizes follow Keras for every configuration of the grid.
"""

import itertools

import numpy as np
import pytest
from conv_configs import (conv_grid, conv_id, explicit_pad, keras_conv_output, keras_transpose_output,
                          transpose_grid)
from scipy.signal import correlate

from numpygan.layers import Conv2D, Conv2DTranspose

CHANNELS = ((1, 3), (3, 2))  # (input channels, filters)


def cases(grid):
    """Every configuration with both channel layouts; the fast run takes one layout per
    configuration (alternating) and leaves the other, and all of 28×28, to ``-m slow``."""
    params = []
    for i, (config, channels) in enumerate(itertools.product(grid, CHANNELS)):
        fast = config[0] != 28 and (i // len(CHANNELS) + i) % 2 == 0
        params.append(pytest.param(*config, *channels, id=conv_id(*config, *channels),
                                   marks=() if fast else pytest.mark.slow))
    return params


CONV_CASES = cases(conv_grid())
TRANSPOSE_CASES = cases(transpose_grid())


def keras_pads(size, kernel, stride, padding, transpose=False):
    """(before, after) padding by Keras's rule; for 'same' the odd pixel goes after.

    'same' pads Conv2D so that its output is ceil(H / s); a transposed 'same'
    convolution is the adjoint of the 'same' Conv2D on its H·s output.
    """
    if padding != "same":
        return explicit_pad(padding), explicit_pad(padding)
    full = size * stride if transpose else size
    total = max((-(-full // stride) - 1) * stride + kernel - full, 0)
    return total // 2, total - total // 2


def reference_conv2d(x, kernel, bias, stride, pads):
    """y[n, i, j, f] = b[f] + Σ_{a,b,c} x_pad[n, i·s + a, j·s + b, c] K[a, b, c, f], one image and filter at a time."""
    before, after = pads
    xp = np.pad(x, ((0, 0), (before, after), (before, after), (0, 0)))
    y = np.array([[correlate(image, kernel[..., f], mode="valid")[::stride, ::stride, 0]
                   for f in range(kernel.shape[3])] for image in xp])      # (N, F, Ho, Wo)
    return y.transpose(0, 2, 3, 1) + bias


def reference_conv2d_transpose(x, kernel, bias, stride, pads, out_size):
    """Every input pixel (i, j) adds x[n, i, j, :] · K[a, b, f, :] at padded output (i·s + a, j·s + b)."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = kernel.shape
    before, _ = pads
    span = max(before + out_size, (h - 1) * stride + kh)
    yp = np.zeros((n, span, span, f))
    for i in range(h):
        for j in range(w):
            yp[:, i * stride:i * stride + kh, j * stride:j * stride + kw] += np.einsum("nc,abfc->nabf", x[:, i, j],
                                                                                        kernel)
    return yp[:, before:before + out_size, before:before + out_size] + bias


def built(layer, input_shape, seed=0):
    rng = np.random.default_rng(seed)
    layer.build(input_shape, rng=rng, dtype=np.float64)
    for p in layer.parameters().values():
        p.value[...] = rng.standard_normal(p.shape)
    return layer


@pytest.mark.parametrize("size,kernel,stride,padding,c,f", CONV_CASES)
def test_conv2d_forward_matches_reference(size, kernel, stride, padding, c, f):
    layer = built(Conv2D(f, kernel, stride, padding), (size, size, c))
    x = np.random.default_rng(1).standard_normal((2, size, size, c))
    expected = reference_conv2d(x, layer.kernel.value, layer.bias.value, stride,
                                keras_pads(size, kernel, stride, padding))
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size,kernel,stride,padding,output_padding,c,f", TRANSPOSE_CASES)
def test_conv2d_transpose_forward_matches_reference(size, kernel, stride, padding, output_padding, c, f):
    layer = built(Conv2DTranspose(f, kernel, stride, padding, output_padding=output_padding), (size, size, c))
    x = np.random.default_rng(1).standard_normal((2, size, size, c))
    out_size = keras_transpose_output(size, kernel, stride, padding, output_padding)
    expected = reference_conv2d_transpose(x, layer.kernel.value, layer.bias.value, stride,
                                          keras_pads(size, kernel, stride, padding, transpose=True), out_size)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


def adjoint_transpose_args(size, kernel, stride, padding):
    """Conv2DTranspose (padding, output_padding) mapping Conv2D's output size back to ``size``, or None.

    'valid' / explicit p: (Ho − 1)·s + k − 2p + op = H picks op = H + 2p − k − (Ho − 1)·s,
    always in [0, s). 'same': the transposed output is Ho·s, which is H only when s divides H.
    """
    out = keras_conv_output(size, kernel, stride, padding)
    if padding == "same":
        return ("same", None) if size % stride == 0 else None
    return padding, size + 2 * explicit_pad(padding) - kernel - (out - 1) * stride


ADJOINT_CASES = [case for case in CONV_CASES if adjoint_transpose_args(*case.values[:4]) is not None]


@pytest.mark.parametrize("size,kernel,stride,padding,c,f", ADJOINT_CASES)
def test_transpose_is_adjoint_of_conv(size, kernel, stride, padding, c, f):
    """⟨conv(x), y⟩ = ⟨x, convT(y)⟩ with one kernel array: Conv2D's (kh, kw, C, F) is the
    Conv2DTranspose (kh, kw, filters=C, in=F) of its adjoint."""
    conv = built(Conv2D(f, kernel, stride, padding, use_bias=False), (size, size, c))
    t_padding, output_padding = adjoint_transpose_args(size, kernel, stride, padding)
    convt = Conv2DTranspose(c, kernel, stride, t_padding, output_padding=output_padding, use_bias=False)
    convt.build(conv.output_shape, rng=np.random.default_rng(0), dtype=np.float64)
    assert convt.output_shape == (size, size, c)
    convt.kernel.value[...] = conv.kernel.value

    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, size, size, c))
    y = rng.standard_normal((2,) + conv.output_shape)
    lhs = np.vdot(conv.forward(x), y)
    rhs = np.vdot(x, convt.forward(y))
    assert abs(lhs - rhs) <= 1e-10 * abs(lhs), (lhs, rhs)


def test_conv2d_output_size_follows_keras():
    wrong = []
    for size, kernel, stride, padding in conv_grid():
        layer = Conv2D(2, kernel, stride, padding)
        out = keras_conv_output(size, kernel, stride, padding)
        got = layer.build((size, size, 3), rng=np.random.default_rng(0))
        got_forward = layer.forward(np.zeros((1, size, size, 3), dtype=np.float32)).shape[1:]
        if got != (out, out, 2) or got_forward != got:
            wrong.append(f"{conv_id(size, kernel, stride, padding)}: expected {out}, "
                         f"built {got}, forward {got_forward}")
    assert not wrong, "\n".join(wrong)


def test_conv2d_transpose_output_size_follows_keras():
    wrong = []
    for size, kernel, stride, padding, output_padding in transpose_grid():
        layer = Conv2DTranspose(2, kernel, stride, padding, output_padding=output_padding)
        out = keras_transpose_output(size, kernel, stride, padding, output_padding)
        got = layer.build((size, size, 3), rng=np.random.default_rng(0))
        got_forward = layer.forward(np.zeros((1, size, size, 3), dtype=np.float32)).shape[1:]
        if got != (out, out, 2) or got_forward != got:
            wrong.append(f"{conv_id(size, kernel, stride, padding, output_padding)}: expected {out}, "
                         f"built {got}, forward {got_forward}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("layer,input_shape,output_shape", [
    (Conv2D(64, 3, 2, "same"), (28, 28, 1), (14, 14, 64)),
    (Conv2D(64, 3, 2, "same"), (14, 14, 64), (7, 7, 64)),
    (Conv2DTranspose(128, 4, 2, "same"), (7, 7, 128), (14, 14, 128)),
    (Conv2DTranspose(128, 4, 2, "same"), (14, 14, 128), (28, 28, 128)),
    (Conv2D(1, 7, 1, "same"), (28, 28, 128), (28, 28, 1)),
], ids=["conv3x3_s2_28to14", "conv3x3_s2_14to7", "convT4x4_s2_7to14", "convT4x4_s2_14to28", "conv7x7_same_keeps_28"])
def test_dcgan_shapes_match_keras(layer, input_shape, output_shape):
    assert layer.build(input_shape, rng=np.random.default_rng(0)) == output_shape


def test_same_padding_puts_the_odd_pixel_after():
    """Keras/TensorFlow 'same' with an odd total padding pads one more row at the bottom/right.

    A 4×4 kernel of ones with stride 1 on an 8×8 image of ones needs 3 rows of
    padding: 1 before, 2 after. The top-left output then sees a 3×3 patch of
    ones (9), the bottom-right a 2×2 patch (4).
    """
    layer = Conv2D(1, 4, 1, "same", kernel_initializer="ones", use_bias=False)
    y = layer.forward(np.ones((1, 8, 8, 1)))
    assert y[0, 0, 0, 0] == 9 and y[0, -1, -1, 0] == 4
