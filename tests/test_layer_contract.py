"""The rules every layer keeps (numpygan/layers/base.py), checked for every layer type and every fast twin:

* parameter gradients accumulate across backward passes; ``zero_grad`` resets them;
* neither the input nor the upstream gradient is ever written to (both passed read-only);
* float32 stays float32 through forward and backward (no silent upcast), and float64 stays float64.
"""

import numpy as np
import pytest

from numpygan import fast
from numpygan.layers import (BatchNormalization, Conv2D, Conv2DTranspose, Dense, Dropout, Flatten, LeakyReLU,
                             ReLU, Reshape, Sigmoid, Tanh)

LAYERS = {
    "dense": (lambda: Dense(4), (5,)),
    "dense_no_bias": (lambda: Dense(4, use_bias=False), (5,)),
    "leaky_relu": (lambda: LeakyReLU(0.2), (6,)),
    "relu": (ReLU, (2, 3, 2)),
    "sigmoid": (Sigmoid, (6,)),
    "tanh": (Tanh, (6,)),
    "dropout": (lambda: Dropout(0.5, rng=np.random.default_rng(0)), (6,)),
    "reshape": (lambda: Reshape((3, 2, 1)), (6,)),
    "flatten": (Flatten, (3, 2, 1)),
    "conv2d": (lambda: Conv2D(4, 3, 2, "same"), (7, 7, 2)),
    "conv2d_more_channels_than_filters": (lambda: Conv2D(1, 3, 1, "same"), (6, 6, 4)),
    "conv2d_explicit_padding": (lambda: Conv2D(2, 4, 3, 1), (8, 8, 3)),
    "conv2d_transpose": (lambda: Conv2DTranspose(2, 4, 2, "same"), (4, 4, 3)),
    "conv2d_transpose_output_padding": (lambda: Conv2DTranspose(3, 3, 2, "valid", output_padding=1), (4, 4, 2)),
    "batchnorm_dense": (BatchNormalization, (5,)),
    "batchnorm_image": (BatchNormalization, (4, 4, 3)),
    "fast_dense": (lambda: fast.Dense(4), (5,)),
    "fast_leaky_relu": (lambda: fast.LeakyReLU(0.2), (6,)),
    "fast_relu": (fast.ReLU, (2, 3, 2)),
    "fast_sigmoid": (fast.Sigmoid, (6,)),
    "fast_dropout": (lambda: fast.Dropout(0.5, rng=np.random.default_rng(0)), (6,)),
    "fast_conv2d": (lambda: fast.Conv2D(4, 3, 2, "same"), (7, 7, 2)),
    "fast_conv2d_more_channels_than_filters": (lambda: fast.Conv2D(1, 3, 1, "same"), (6, 6, 4)),
    "fast_conv2d_transpose": (lambda: fast.Conv2DTranspose(2, 4, 2, "same"), (4, 4, 3)),
    "fast_conv2d_transpose_output_padding": (lambda: fast.Conv2DTranspose(3, 3, 2, "valid", output_padding=1),
                                             (4, 4, 2)),
}
WITHOUT_PARAMETERS = {"leaky_relu", "relu", "sigmoid", "tanh", "dropout", "reshape", "flatten"}
WITH_PARAMETERS = [name for name in LAYERS if name.removeprefix("fast_") not in WITHOUT_PARAMETERS]


def make(name, dtype=np.float64, seed=0):
    factory, shape = LAYERS[name]
    layer = factory()
    rng = np.random.default_rng(seed)
    layer.build(shape, rng=rng, dtype=dtype)
    for p in layer.parameters().values():
        p.value[...] = rng.standard_normal(p.shape)
    return layer, shape


def random_pair(layer, shape, seed, dtype=np.float64):
    """An input batch and an upstream gradient of the matching output shape."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3,) + shape).astype(dtype)
    g = rng.standard_normal((3,) + layer.output_shape).astype(dtype)
    return x, g


def grads(layer):
    return {k: p.grad.copy() for k, p in layer.parameters().items()}


@pytest.mark.parametrize("name", WITH_PARAMETERS)
def test_gradients_of_two_backward_passes_add_up(name):
    layer, shape = make(name)
    (x1, g1), (x2, g2) = random_pair(layer, shape, 1), random_pair(layer, shape, 2)
    layer.forward(x1, training=True)
    layer.backward(g1)
    first = grads(layer)
    layer.zero_grad()
    layer.forward(x2, training=True)
    layer.backward(g2)
    second = grads(layer)

    layer.zero_grad()
    for x, g in ((x1, g1), (x2, g2)):
        layer.forward(x, training=True)
        layer.backward(g)
    for key, total in grads(layer).items():
        np.testing.assert_allclose(total, first[key] + second[key], rtol=1e-12, atol=1e-12, err_msg=key)

    layer.zero_grad()
    assert not any(p.grad.any() for p in layer.parameters().values())


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_input_and_upstream_gradient_are_never_written(name, training):
    layer, shape = make(name)
    x, g = random_pair(layer, shape, 3)
    x_copy, g_copy = x.copy(), g.copy()
    x.flags.writeable = False
    g.flags.writeable = False  # any in-place write raises
    layer.forward(x, training=training)
    layer.backward(g)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(g, g_copy)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(LAYERS))
def test_dtype_is_kept_through_forward_and_backward(name, dtype):
    layer, shape = make(name, dtype=dtype)
    x, g = random_pair(layer, shape, 4, dtype=dtype)
    y = layer.forward(x, training=True)
    dx = layer.backward(g)
    assert y.dtype == dtype and dx.dtype == dtype
    assert all(p.value.dtype == dtype and p.grad.dtype == dtype for p in layer.parameters().values())
    assert all(b.dtype == dtype for b in layer.buffers().values())
    assert dx.shape == x.shape


@pytest.mark.parametrize("name", list(LAYERS))
def test_astype_casts_parameters_and_buffers(name):
    layer, shape = make(name, dtype=np.float32)
    layer.astype(np.float64)
    assert all(p.value.dtype == np.float64 and p.grad.dtype == np.float64 for p in layer.parameters().values())
    assert all(b.dtype == np.float64 for b in layer.buffers().values())
    x, g = random_pair(layer, shape, 5)
    assert layer.forward(x, training=True).dtype == np.float64
