"""Losses: values against their definitions, gradients against numerical derivatives (float64, 1e-6)."""

import warnings

import numpy as np
import pytest

from numpygan.gradcheck import numerical_gradient, relative_error
from numpygan.losses import BinaryCrossentropy, MeanSquaredError, SparseCategoricalCrossentropy


def loss_gradient_error(loss, pred, target):
    """Max relative error between the loss's returned gradient and a numerical one."""
    _, grad = loss(pred, target)
    assert grad.shape == pred.shape and grad.dtype == pred.dtype
    numeric, _ = numerical_gradient(lambda: loss(pred, target)[0], pred)
    return relative_error(grad.reshape(-1), numeric).max()


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


RNG = np.random.default_rng(0)
TARGETS = {
    "zeros": np.zeros((6, 1)),
    "ones": np.ones((6, 1)),
    "smoothed_0.9": 0.9,                                  # one-sided label smoothing, broadcast
    "soft": RNG.uniform(0, 1, (6, 1)),
    "mixed": np.array([[0.0], [1.0], [0.9], [0.1], [1.0], [0.0]]),
}


@pytest.mark.parametrize("target", list(TARGETS.values()), ids=list(TARGETS))
def test_bce_on_probabilities(assert_gradient_error, target):
    loss = BinaryCrossentropy()
    p = np.random.default_rng(1).uniform(0.05, 0.95, (6, 1))
    y = np.broadcast_to(target, p.shape)
    value, _ = loss(p, target)
    assert value == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    assert_gradient_error("BinaryCrossentropy (probabilities)", loss_gradient_error(loss, p, target))


@pytest.mark.parametrize("target", list(TARGETS.values()), ids=list(TARGETS))
@pytest.mark.parametrize("spread", [1.0, 8.0], ids=["logits_within_1", "logits_within_8"])
def test_bce_with_logits(assert_gradient_error, target, spread):
    """Logits up to ±8 (σ′ down to 3e-4). Far beyond, a gradient element (σ(z) − y) / M falls
    below what any finite difference of an O(1) loss resolves (~1e-13); the extreme logits
    are checked exactly instead (test_bce_with_logits_is_finite_at_extreme_logits)."""
    loss = BinaryCrossentropy(from_logits=True)
    z = np.random.default_rng(2).uniform(-spread, spread, (6, 1))
    y = np.broadcast_to(target, z.shape)
    p = sigmoid(z)
    value, _ = loss(z, target)
    assert value == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-10)
    assert_gradient_error("BinaryCrossentropy (logits)", loss_gradient_error(loss, z, target))


def test_bce_with_logits_agrees_with_bce_on_sigmoid_probabilities():
    z = np.random.default_rng(3).standard_normal((5, 1))
    y = np.array([[1.0], [0.0], [0.9], [0.3], [1.0]])
    logit_value, logit_grad = BinaryCrossentropy(from_logits=True)(z, y)
    prob_value, prob_grad = BinaryCrossentropy()(sigmoid(z), y)
    assert logit_value == pytest.approx(prob_value, rel=1e-9)
    # chain rule through σ: dL/dz = dL/dp · p (1 − p)
    np.testing.assert_allclose(logit_grad, prob_grad * sigmoid(z) * (1 - sigmoid(z)), rtol=1e-8)


def test_bce_with_logits_is_finite_at_extreme_logits():
    """L = mean(max(z, 0) − z·y + log(1 + e^{−|z|})) never overflows: at z = ±1000 each term is
    exactly 0 (right side) or 1000 (wrong side), and dL/dz = (σ(z) − y) / M is exactly 0 or ±1/M."""
    loss = BinaryCrossentropy(from_logits=True)
    z = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or divide-by-zero warnings either
        value, grad = loss(z, y)
    assert value == (0 + 0 + 1000 + 1000) / 4
    np.testing.assert_array_equal(grad, [[0.0], [0.0], [0.25], [-0.25]])
    value, grad = loss(z.astype(np.float32), y)
    assert np.isfinite(value) and grad.dtype == np.float32 and np.all(np.isfinite(grad))


def test_bce_with_smoothed_target_has_its_minimum_at_the_target():
    """With y = 0.9 the loss is smallest at p = 0.9 (gradient 0), not at p = 1."""
    loss = BinaryCrossentropy()
    value_at_target, grad = loss(np.array([[0.9]]), 0.9)
    assert abs(grad[0, 0]) < 1e-12
    assert value_at_target < loss(np.array([[0.99]]), 0.9)[0]
    assert value_at_target == pytest.approx(-(0.9 * np.log(0.9) + 0.1 * np.log(0.1)), rel=1e-12)


def test_bce_on_saturated_probabilities_stays_finite():
    """p is clipped to [ε, 1 − ε]: p = 0 with y = 1 costs −log ε, and passes no gradient (outside the clip)."""
    value, grad = BinaryCrossentropy()(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]))
    assert value == pytest.approx(-np.log(1e-7) / 2, rel=1e-6)
    np.testing.assert_array_equal(grad, [[0.0], [0.0]])


@pytest.mark.parametrize("shape", [(6, 1), (3, 4, 4, 1)], ids=["scores", "images"])
def test_mean_squared_error(assert_gradient_error, shape):
    rng = np.random.default_rng(4)
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    value, _ = MeanSquaredError()(pred, target)
    assert value == pytest.approx(np.mean((pred - target) ** 2), rel=1e-12)
    assert_gradient_error("MeanSquaredError", loss_gradient_error(MeanSquaredError(), pred, target))


@pytest.mark.parametrize("spread", [1.0, 4.0], ids=["logits_within_1", "logits_within_4"])
def test_sparse_categorical_crossentropy(assert_gradient_error, spread):
    """Logits up to ±4, so every softmax probability (hence gradient element) stays above ~1e-5
    and within what a finite difference of the loss resolves; see the extreme-logit test."""
    rng = np.random.default_rng(5)
    z = rng.uniform(-spread, spread, (7, 10))
    labels = rng.integers(0, 10, 7)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    value, _ = SparseCategoricalCrossentropy()(z, labels)
    assert value == pytest.approx(-log_p[np.arange(7), labels].mean(), rel=1e-12)
    error = loss_gradient_error(SparseCategoricalCrossentropy(), z, labels)
    assert_gradient_error("SparseCategoricalCrossentropy", error)


def test_sparse_categorical_crossentropy_is_finite_at_extreme_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = SparseCategoricalCrossentropy()(z, np.array([0, 0]))
    assert value == pytest.approx(1000.0)  # right on sample 0 (0), wrong by 2000 on sample 1 (2000), mean
    np.testing.assert_allclose(grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-300)


@pytest.mark.parametrize("loss,pred,target", [
    (BinaryCrossentropy(), np.full((3, 1), 0.3, np.float32), np.ones((3, 1))),
    (BinaryCrossentropy(from_logits=True), np.full((3, 1), 0.3, np.float32), 0.9),
    (MeanSquaredError(), np.full((3, 1), 0.3, np.float32), np.zeros((3, 1))),
    (SparseCategoricalCrossentropy(), np.full((3, 4), 0.3, np.float32), np.array([0, 1, 3])),
], ids=["bce", "bce_logits", "mse", "scce"])
def test_float32_predictions_give_float32_gradients(loss, pred, target):
    _, grad = loss(pred, target)
    assert grad.dtype == np.float32
