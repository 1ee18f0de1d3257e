"""Optimizer and loss arguments that would give NaN, a wrong number or a late crash are refused up front,
and the stable BCE is exact at infinite logits."""

import warnings

import numpy as np
import pytest

from numpygan import Parameter
from numpygan.losses import BinaryCrossentropy, MeanSquaredError
from numpygan.optimizers import SGD, Adam


def params():
    return {"w": Parameter(np.ones(3))}


@pytest.mark.parametrize("make,error,match", [
    (lambda: Adam(params(), lr=float("inf")), ValueError, r"Adam: argument 'lr' must be finite, received inf"),
    (lambda: Adam(params(), lr=float("nan")), ValueError, r"Adam: argument 'lr' must be finite, received nan"),
    (lambda: Adam(params(), lr="0.1"), TypeError, r"Adam: argument 'lr' must be a real number, received str '0\.1'"),
    (lambda: Adam(params(), lr=True), TypeError, r"Adam: argument 'lr' must be a real number, received bool"),
    (lambda: Adam(params(), epsilon=0), ValueError, r"Adam: argument 'epsilon' must be > 0, received 0\.0"),
    (lambda: Adam(params(), epsilon=-1e-8), ValueError, r"Adam: argument 'epsilon' must be > 0, received -1e-08"),
    (lambda: Adam(params(), beta_1="0.5"), TypeError, r"Adam: argument 'beta_1' must be a real number"),
    (lambda: SGD(params(), lr=float("inf")), ValueError, r"SGD: argument 'lr' must be finite"),
], ids=["adam_lr_inf", "adam_lr_nan", "adam_lr_str", "adam_lr_bool", "adam_epsilon_zero", "adam_epsilon_negative",
        "adam_beta_1_str", "sgd_lr_inf"])
def test_optimizer_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_adam_with_a_gradient_that_is_always_zero_stays_finite():
    opt = Adam(params(), lr=0.1)
    opt.step()  # grad 0: m = v = 0, and m / (√v + ε) must be 0, not 0/0
    assert np.all(opt.params["w"].value == 1.0)


@pytest.mark.parametrize("epsilon", [0.7, 0.5, 0.0, -1e-7])
def test_bce_epsilon_outside_zero_half(epsilon):
    with pytest.raises(ValueError, match=rf"BinaryCrossentropy: argument 'epsilon' must lie in \(0, 0\.5\), "
                                         rf"received {epsilon}"):
        BinaryCrossentropy(epsilon=epsilon)


@pytest.mark.parametrize("loss", [BinaryCrossentropy(), BinaryCrossentropy(from_logits=True), MeanSquaredError()],
                         ids=["bce", "bce_logits", "mse"])
def test_nan_predictions_are_refused_like_nan_targets(loss):
    with pytest.raises(ValueError, match=rf"{type(loss).__name__}: argument 'pred' holds 1 NaN of 2 values"):
        loss(np.array([[0.5], [np.nan]]), 1.0)


@pytest.mark.parametrize("loss", [BinaryCrossentropy(), BinaryCrossentropy(from_logits=True), MeanSquaredError()],
                         ids=["bce", "bce_logits", "mse"])
def test_an_empty_batch_is_refused(loss):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"{type(loss).__name__}: argument 'pred' is empty \(shape \(0, 1\)\)"):
            loss(np.zeros((0, 1)), 1.0)


def test_the_gan_objectives_let_nan_through_to_the_trainer_s_loss_check():
    value, _ = BinaryCrossentropy(from_logits=True, allow_nan=True)(np.array([[np.nan]]), 1.0)
    assert np.isnan(value)


@pytest.mark.parametrize("z,y", [(np.inf, 1.0), (-np.inf, 0.0), (1e30, 1.0), (-1e30, 0.0)])
def test_bce_on_logits_is_exact_at_infinite_logits(z, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = BinaryCrossentropy(from_logits=True)(np.array([[z]]), y)
    assert value == 0.0 and grad[0, 0] == 0.0


def test_bce_on_logits_unchanged_for_finite_logits():
    z = np.linspace(-30, 30, 61).reshape(-1, 1)
    for y in (0.0, 0.1, 0.9, 1.0):
        value, _ = BinaryCrossentropy(from_logits=True)(z, y)
        reference = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        assert value == pytest.approx(reference, rel=1e-14)
    value, _ = BinaryCrossentropy(from_logits=True)(np.array([[np.inf]]), 0.9)
    assert value == np.inf  # a confident wrong answer under label smoothing: infinitely bad, not NaN
