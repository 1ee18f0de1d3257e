"""Every layer's backward pass against numerical derivatives, over a grid of configurations.

Each case checks dL/dx and dL/dθ for every parameter in float64 to a maximum
relative error of 1e-6 (``numpygan.gradcheck``). The fast run checks a
representative subset element by element; ``-m slow`` runs the whole grid:
batch 1 and 3; spatial sizes 5, 7, 8, 28; kernels 1, 3, 4, 5, 7; strides 1, 2,
3; 'same', 'valid', explicit padding (k > s, overlapping windows) and an
explicit 0; 1 and 3 input channels; every legal output_padding. Each layer
with a fast twin (``numpygan.fast``) is checked in both forms: the reference and
the twin (labelled ``fast …`` in the summary table).
"""

import itertools

import numpy as np
import pytest
from conv_configs import conv_grid, transpose_grid

from numpygan import fast, layers
from numpygan.layers import BatchNormalization, Flatten, Reshape, Tanh

BATCHES = (1, 3)
CHANNELS = ((1, 3), (3, 2))  # (input channels, filters): one channel in, and more channels than filters
# Tensors larger than this are checked on a random sample of elements (always the first and last).
SAMPLE_ABOVE = 600


def with_batch_and_channels(grid):
    for config, batch, (c, f) in itertools.product(grid, BATCHES, CHANNELS):
        yield config + (batch, c, f)


def case_id(size, kernel, stride, padding, *rest):
    *output_padding, batch, c, f = rest
    op = f"-op{output_padding[0]}" if output_padding else ""
    return f"N{batch}-{size}x{size}x{c}-k{kernel}-s{stride}-pad_{padding}{op}-F{f}"


# Fast subset: DCGAN-like shapes, every padding kind, k < s, k = s, k > s, both channel layouts.
FAST_CONV = [
    (5, 3, 1, "same", 3, 1, 3),
    (7, 3, 2, "same", 1, 3, 2),
    (8, 4, 2, "valid", 3, 3, 2),
    (8, 5, 3, 2, 1, 3, 2),
    (7, 7, 1, "same", 1, 3, 2),
    (5, 1, 3, 0, 3, 1, 3),
    (7, 4, 3, "same", 1, 1, 3),
    (28, 3, 2, "same", 1, 1, 3),
    (8, 1, 1, "valid", 3, 3, 2),      # more channels than filters at stride 1: Conv2D's 'taps' grouping
    (28, 4, 1, "valid", 1, 3, 2),
]
FAST_TRANSPOSE = [
    (5, 4, 2, "same", None, 3, 3, 2),
    (5, 3, 3, "valid", 2, 1, 1, 3),
    (7, 5, 2, 2, 1, 3, 3, 2),
    (8, 1, 2, 0, 1, 1, 3, 2),
    (7, 4, 1, "valid", 0, 1, 1, 3),
    (5, 7, 3, 3, 2, 1, 3, 2),
    (7, 4, 2, "same", None, 1, 1, 3),
]
CONV_PARAMS = "size,kernel,stride,padding,batch,c,f"
TRANSPOSE_PARAMS = "size,kernel,stride,padding,output_padding,batch,c,f"


def cases(grid, fast):
    """The whole grid as parameters, all but the ``fast`` subset marked slow."""
    return [pytest.param(*cfg, id=case_id(*cfg), marks=() if cfg in fast else pytest.mark.slow)
            for cfg in with_batch_and_channels(grid)]


KITS = [pytest.param(layers, id="layers"), pytest.param(fast, id="fast")]


def label(layer):
    """'Dense' for a reference layer, 'fast Dense' for a twin; the fast Conv2D also says how it groups
    its sum, 'fast Conv2D (im2col)' / 'fast Conv2D (taps)', so the table reports each way separately."""
    prefix = "fast " if type(layer).__module__.startswith("numpygan.fast") else ""
    return prefix + type(layer).__name__ + (f" ({layer.method})" if hasattr(layer, "method") else "")


def check_conv(build_float64, check_gradients, kit, size, kernel, stride, padding, batch, c, f, transpose=False,
               output_padding=None):
    if transpose:
        layer = kit.Conv2DTranspose(f, kernel, stride, padding, output_padding=output_padding)
    else:
        layer = kit.Conv2D(f, kernel, stride, padding)
    build_float64(layer, (size, size, c), seed=size * kernel + stride)
    x = np.random.default_rng(size + kernel).standard_normal((batch, size, size, c))
    sample = 30 if max(x.size, layer.kernel.size, batch * np.prod(layer.output_shape)) > SAMPLE_ABOVE else None
    check_gradients(layer, x, label(layer), max_per_tensor=sample)


def test_fast_subset_is_drawn_from_the_grid():
    assert set(FAST_CONV) <= set(with_batch_and_channels(conv_grid()))
    assert set(FAST_TRANSPOSE) <= set(with_batch_and_channels(transpose_grid()))


@pytest.mark.parametrize("kit", KITS)
@pytest.mark.parametrize(CONV_PARAMS, cases(conv_grid(), FAST_CONV))
def test_conv2d(build_float64, check_gradients, size, kernel, stride, padding, batch, c, f, kit):
    check_conv(build_float64, check_gradients, kit, size, kernel, stride, padding, batch, c, f)


@pytest.mark.parametrize("kit", KITS)
@pytest.mark.parametrize(TRANSPOSE_PARAMS, cases(transpose_grid(), FAST_TRANSPOSE))
def test_conv2d_transpose(build_float64, check_gradients, size, kernel, stride, padding, output_padding, batch, c, f,
                          kit):
    check_conv(build_float64, check_gradients, kit, size, kernel, stride, padding, batch, c, f,
               transpose=True, output_padding=output_padding)


@pytest.mark.parametrize("kit", KITS)
@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("kernel,stride,padding", [(3, 2, "same"), (4, 3, 1)], ids=["k3-s2-same", "k4-s3-pad1"])
@pytest.mark.parametrize("layer_type", ["Conv2D", "Conv2DTranspose"])
def test_conv_with_and_without_bias(build_float64, check_gradients, layer_type, kernel, stride, padding, use_bias,
                                    kit):
    layer = build_float64(getattr(kit, layer_type)(2, kernel, stride, padding, use_bias=use_bias), (7, 7, 3))
    assert ("bias" in layer.parameters()) == use_bias
    x = np.random.default_rng(0).standard_normal((2, 7, 7, 3))
    check_gradients(layer, x, label(layer))


@pytest.mark.parametrize("kit", KITS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("units_in,units_out", [(1, 1), (5, 4), (64, 3)], ids=["1-1", "5-4", "64-3"])
@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "no_bias"])
def test_dense(build_float64, check_gradients, batch, units_in, units_out, use_bias, kit):
    layer = build_float64(kit.Dense(units_out, use_bias=use_bias), (units_in,))
    x = np.random.default_rng(units_in).standard_normal((batch, units_in))
    check_gradients(layer, x, label(layer))


ACTIVATIONS = {
    "leaky_relu_0.2": lambda kit: kit.LeakyReLU(0.2),
    "leaky_relu_0.01": lambda kit: kit.LeakyReLU(0.01),
    "relu": lambda kit: kit.ReLU(),
    "sigmoid": lambda kit: kit.Sigmoid(),
    "tanh": lambda kit: Tanh(),        # no twin
}


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("shape", [(7,), (5, 5, 3)], ids=["dense", "image"])
@pytest.mark.parametrize("spread", [1.0, 5.0], ids=["within_1", "within_5"])
@pytest.mark.parametrize("kit,name", [pytest.param(kit, name, id=f"{kit.__name__.split('.')[-1]}-{name}")
                                      for kit in (layers, fast) for name in ACTIVATIONS
                                      if not (kit is fast and name == "tanh")])     # Tanh has no twin
def test_activation(build_float64, check_gradients, kit, name, batch, shape, spread):
    """Inputs in [−spread, spread]. Not wider: where tanh′ or σ′ falls below ~1e-7 (|x| ≳ 8) the
    output sits within 1e-7 of ±1, and no finite difference of a float64 near 1 resolves such a
    slope to 1e-6 relative (the derivatives themselves are right there, only unmeasurable)."""
    layer = build_float64(ACTIVATIONS[name](kit), shape)
    x = np.random.default_rng(batch).uniform(-spread, spread, (batch,) + shape)
    check_gradients(layer, x, label(layer))


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("rate", [0.0, 0.3, 0.5])
@pytest.mark.parametrize("shape", [(12,), (4, 4, 3)], ids=["dense", "image"])
@pytest.mark.parametrize("kit", KITS)
def test_dropout(build_float64, check_gradients, rate, training, shape, kit):
    layer = build_float64(kit.Dropout(rate, rng=np.random.default_rng(5)), shape)
    x = np.random.default_rng(1).standard_normal((3,) + shape)
    check_gradients(layer, x, label(layer), training=training)


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("shape", [(6,), (5, 5, 3), (8, 8, 1)], ids=["dense", "image5x5x3", "image8x8x1"])
@pytest.mark.parametrize("momentum,epsilon", [(0.99, 1e-3), (0.8, 1e-5)], ids=["keras", "torch_like"])
def test_batchnorm(build_float64, check_gradients, shape, batch, training, momentum, epsilon):
    layer = build_float64(BatchNormalization(momentum=momentum, epsilon=epsilon), shape)
    rng = np.random.default_rng(3)
    # running statistics away from (0, 1), so inference mode differs from the identity
    layer.moving_mean[...] = rng.standard_normal(shape[-1])
    layer.moving_variance[...] = rng.uniform(0.5, 2.0, shape[-1])
    x = 2.0 + 3.0 * rng.standard_normal((batch,) + shape)
    check_gradients(layer, x, f"BatchNormalization ({'training' if training else 'inference'})", training=training)


@pytest.mark.parametrize("layer_factory,shape", [
    (lambda: Reshape((3, 4, 1)), (12,)),
    (lambda: Reshape((6, 2)), (3, 4, 1)),
    (Flatten, (4, 4, 3)),
], ids=["reshape_to_image", "reshape_image", "flatten"])
def test_reshape(build_float64, check_gradients, layer_factory, shape):
    layer = build_float64(layer_factory(), shape)
    x = np.random.default_rng(0).standard_normal((3,) + shape)
    check_gradients(layer, x, type(layer).__name__)
