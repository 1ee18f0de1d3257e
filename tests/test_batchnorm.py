"""BatchNormalization: batch statistics in training, running statistics at inference."""

import numpy as np
import pytest

from numpygan.layers import BatchNormalization

SHAPES = {"dense": (6,), "image": (5, 5, 3)}


def batchnorm(shape, dtype=np.float64, **kwargs):
    layer = BatchNormalization(**kwargs)
    layer.build(shape, dtype=dtype)
    return layer


def batch(shape, n=8, seed=0, dtype=np.float64):
    """Per-feature offsets and scales far from 0 and 1."""
    rng = np.random.default_rng(seed)
    features = shape[-1]
    offset, scale = rng.uniform(-5, 5, features), rng.uniform(0.5, 3, features)
    return (offset + scale * rng.standard_normal((n,) + shape)).astype(dtype)


def stat_axes(x):
    return tuple(range(x.ndim - 1))


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_training_normalises_with_batch_statistics(shape):
    """With γ = 1, β = 0: per feature mean 0 and variance σ² / (σ² + ε) (1 up to ε)."""
    layer = batchnorm(shape, epsilon=1e-3)
    x = batch(shape)
    y = layer.forward(x, training=True)
    axes = stat_axes(x)
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
    var = x.var(axis=axes)
    np.testing.assert_allclose(y.var(axis=axes), var / (var + 1e-3), rtol=1e-10)
    np.testing.assert_allclose(y.var(axis=axes), 1, atol=1e-2)


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_gamma_and_beta_set_scale_and_shift(shape):
    layer = batchnorm(shape, epsilon=1e-3)
    layer.gamma.value[...] = np.linspace(-2, 3, shape[-1]) + 0.1  # none exactly 0
    layer.beta.value[...] = np.linspace(1, 4, shape[-1])
    x = batch(shape)
    y = layer.forward(x, training=True)
    var = x.var(axis=stat_axes(x))
    np.testing.assert_allclose(y.mean(axis=stat_axes(x)), layer.beta.value, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=stat_axes(x)), np.abs(layer.gamma.value) * np.sqrt(var / (var + 1e-3)),
                               rtol=1e-10)


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_running_statistics_move_with_momentum(shape):
    """r ← momentum·r + (1 − momentum)·batch statistic, from mean 0, variance 1; the variance is the
    biased batch variance (as Keras's moments)."""
    layer = batchnorm(shape, momentum=0.9)
    x1, x2 = batch(shape, seed=1), batch(shape, seed=2)
    axes = stat_axes(x1)
    layer.forward(x1, training=True)
    np.testing.assert_allclose(layer.moving_mean, 0.1 * x1.mean(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance, 0.9 * 1 + 0.1 * x1.var(axis=axes), rtol=1e-12)
    layer.forward(x2, training=True)
    np.testing.assert_allclose(layer.moving_mean, 0.9 * 0.1 * x1.mean(axis=axes) + 0.1 * x2.mean(axis=axes),
                               rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance,
                               0.9 * (0.9 + 0.1 * x1.var(axis=axes)) + 0.1 * x2.var(axis=axes), rtol=1e-12)


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_inference_uses_running_statistics_and_leaves_them_alone(shape):
    layer = batchnorm(shape, epsilon=1e-3)
    rng = np.random.default_rng(3)
    layer.moving_mean[...] = rng.standard_normal(shape[-1])
    layer.moving_variance[...] = rng.uniform(0.5, 2, shape[-1])
    layer.gamma.value[...] = rng.standard_normal(shape[-1])
    layer.beta.value[...] = rng.standard_normal(shape[-1])
    mean, variance = layer.moving_mean.copy(), layer.moving_variance.copy()
    x = batch(shape)
    y = layer.forward(x, training=False)
    expected = layer.gamma.value * (x - mean) / np.sqrt(variance + 1e-3) + layer.beta.value
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_array_equal(layer.moving_mean, mean)
    np.testing.assert_array_equal(layer.moving_variance, variance)
    # each sample is normalised on its own: the rest of the batch does not matter
    np.testing.assert_allclose(layer.forward(x[:1], training=False), y[:1], rtol=1e-12)


def test_float32_statistics_stay_float32():
    layer = batchnorm((4, 4, 2), dtype=np.float32)
    y = layer.forward(batch((4, 4, 2), dtype=np.float32), training=True)
    assert y.dtype == np.float32
    assert layer.moving_mean.dtype == np.float32 and layer.moving_variance.dtype == np.float32


@pytest.mark.parametrize("kwargs,match", [
    ({"momentum": 1.0}, r"batchnormalization: argument 'momentum' must lie in \[0, 1\), received 1\.0"),
    ({"momentum": -0.5}, r"batchnormalization: argument 'momentum' must lie in \[0, 1\), received -0\.5"),
    ({"epsilon": 0.0}, r"batchnormalization: argument 'epsilon' must be > 0, received 0\.0"),
], ids=["momentum_one", "momentum_negative", "epsilon_zero"])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNormalization(**kwargs)
