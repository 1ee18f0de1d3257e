"""Dropout: identity at inference, inverted scaling in training, masks from the Generator handed in."""

import numpy as np
import pytest

from numpygan.layers import Dropout


def dropout(rate, seed=0, shape=(500,)):
    layer = Dropout(rate, rng=np.random.default_rng(seed))
    layer.build(shape)
    return layer


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_identity_at_inference(rate):
    layer = dropout(rate)
    x = np.random.default_rng(1).standard_normal((4, 500)).astype(np.float32)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    g = np.ones_like(x)
    np.testing.assert_array_equal(layer.backward(g), g)


def test_rate_zero_is_identity_in_training_too():
    x = np.random.default_rng(1).standard_normal((4, 500))
    np.testing.assert_array_equal(dropout(0.0).forward(x, training=True), x)


@pytest.mark.parametrize("rate", [0.3, 0.5])
def test_inverted_scaling_preserves_the_mean(rate):
    """Each unit is kept with probability 1 − p and scaled by 1 / (1 − p), so E[y] = x.

    On 10⁵ ones: the kept fraction has standard deviation √(p(1 − p) / 10⁵) < 0.0016 and
    the output mean 1/(1−p) times that; 5 standard deviations bound both.
    """
    layer = dropout(rate, shape=(1000,))
    y = layer.forward(np.ones((100, 1000)), training=True)
    n, scale = y.size, 1 / (1 - rate)
    assert set(np.unique(y)) == {0.0, scale}
    sigma = np.sqrt(rate * (1 - rate) / n)
    assert abs(np.mean(y > 0) - (1 - rate)) < 5 * sigma
    assert abs(y.mean() - 1.0) < 5 * sigma * scale


def test_backward_applies_the_forward_mask_and_scale():
    layer = dropout(0.4)
    x = np.random.default_rng(1).uniform(1, 2, (3, 500))
    y = layer.forward(x, training=True)
    g = np.random.default_rng(2).standard_normal(x.shape)
    np.testing.assert_allclose(layer.backward(g), g * (y / x), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masks_of_successive_batches_of_any_size_are_fresh_and_follow_their_forward(dtype):
    """The mask buffer is reused across calls (batch 6, then 2, then 6): each backward uses its own forward's mask,
    outputs are never overwritten by a later forward, and a smaller batch draws a new mask, not the old rows."""
    layer = dropout(0.5)
    rng = np.random.default_rng(3)
    outputs = []
    for n in (6, 2, 6):
        x = rng.uniform(1, 2, (n, 500)).astype(dtype)
        y = layer.forward(x, training=True)
        kept = y.copy()
        g = rng.standard_normal(x.shape).astype(dtype)
        np.testing.assert_allclose(layer.backward(g), g * (y / x), rtol=1e-6)
        outputs.append((y, kept, y != 0))
    for y, kept, _ in outputs:
        np.testing.assert_array_equal(y, kept)
    assert not np.array_equal(outputs[0][2][:2], outputs[1][2]) and not np.array_equal(outputs[0][2], outputs[2][2])


def test_float32_stays_float32():
    layer = dropout(0.3)
    y = layer.forward(np.ones((2, 500), dtype=np.float32), training=True)
    assert y.dtype == np.float32
    assert set(np.unique(y)) == {np.float32(0), np.float32(1 / 0.7)}


def test_same_generator_seed_gives_the_same_mask():
    x = np.ones((3, 500))
    a, b, c = dropout(0.5, seed=7), dropout(0.5, seed=7), dropout(0.5, seed=8)
    mask_a, mask_b = a.forward(x, training=True), b.forward(x, training=True)
    np.testing.assert_array_equal(mask_a, mask_b)
    assert not np.array_equal(mask_a, c.forward(x, training=True))
    assert not np.array_equal(mask_a, a.forward(x, training=True))  # the generator moves on: a new mask


def test_global_numpy_random_state_is_neither_used_nor_touched():
    x = np.ones((3, 500))
    np.random.seed(0)
    state = np.random.get_state()
    first = dropout(0.5, seed=3).forward(x, training=True)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    np.random.seed(12345)  # reseeding the global generator changes nothing
    np.testing.assert_array_equal(dropout(0.5, seed=3).forward(x, training=True), first)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_rate_must_lie_in_zero_one(rate):
    with pytest.raises(ValueError, match=rf"dropout: argument 'rate' must lie in \[0, 1\), received {rate}"):
        Dropout(rate)
