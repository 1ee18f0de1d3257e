"""Sequential.backward(grad, need_input_grad=False): same parameter gradients, no dL/dx."""

import numpy as np
import pytest

from numpygan import models
from numpygan.layers import BatchNormalization, Conv2D, Conv2DTranspose, Dense, Flatten, LeakyReLU
from numpygan.sequential import Sequential


def _gradients(model, x, grad, need_input_grad):
    model.zero_grad()
    model.forward(x, training=False)
    dx = model.backward(grad, need_input_grad=need_input_grad)
    return dx, {name: p.grad.copy() for name, p in model.parameters().items()}


NETWORKS = {
    "mlp_discriminator": lambda: models.mlp_discriminator(dropout=0.0, seed=0, dtype=np.float64),
    "mlp_generator": lambda: models.mlp_generator(hidden=(8, 16), seed=0, dtype=np.float64),
    "dcgan_discriminator": lambda: models.dcgan_discriminator(dropout=0.0, seed=0, dtype=np.float64),
    "conv_transpose_first": lambda: Sequential(
        [Conv2DTranspose(3, 3, 2, "same"), LeakyReLU(0.2), Conv2D(2, 3, 1, "same")], (4, 4, 2),
        seed=0, dtype=np.float64),
    "batchnorm_first": lambda: Sequential([Flatten(), BatchNormalization(), Dense(3)], (2, 3, 1),
                                          seed=0, dtype=np.float64),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_parameter_gradients_do_not_depend_on_need_input_grad(name):
    model = NETWORKS[name]()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3,) + model.input_shape)
    grad = rng.standard_normal((3,) + model.output_shape)
    dx, full = _gradients(model, x, grad, need_input_grad=True)
    assert dx.shape == x.shape
    skipped, partial = _gradients(model, x, grad, need_input_grad=False)
    assert skipped is None
    assert full.keys() == partial.keys()
    for key in full:
        np.testing.assert_array_equal(partial[key], full[key], err_msg=key)


def test_frozen_first_layer_is_skipped_and_the_next_trainable_layer_still_learns():
    model = Sequential([Flatten(), Dense(4), LeakyReLU(0.2), Dense(2)], (3, 2), seed=0, dtype=np.float64)
    model.layers[1].trainable = False
    rng = np.random.default_rng(1)
    x, grad = rng.standard_normal((5, 3, 2)), rng.standard_normal((5, 2))
    _, full = _gradients(model, x, grad, need_input_grad=True)
    _, partial = _gradients(model, x, grad, need_input_grad=False)
    assert not partial["1.dense.kernel"].any()
    np.testing.assert_array_equal(partial["3.dense.kernel"], full["3.dense.kernel"])


def test_fully_frozen_network_does_no_backward():
    model = Sequential([Dense(4)], (3,), seed=0, dtype=np.float64)
    model.trainable = False
    model.forward(np.ones((2, 3)))
    assert model.backward(np.ones((2, 4)), need_input_grad=False) is None
    assert model.backward(np.ones((2, 4))).shape == (2, 3)
