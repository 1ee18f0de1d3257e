"""Whole reference networks, end to end, against numerical derivatives (float64, 1e-6).

The MLP and DCGAN generators and discriminators from ``numpygan.models``, with
and without BatchNorm, the DCGAN paper's layer pattern (``radford_*``) and InfoGAN's (``infogan_*``), are checked against the input and every parameter
tensor (a random sample of elements of each: the tensors are large). Then one
full generator step of a GAN: L = BCE-with-logits(D(G(z)), 1) differentiated
into G's weights through a frozen D, against finite differences of L itself.
"""

import numpy as np
import pytest

from numpygan import models
from numpygan.gradcheck import numerical_gradient, pinned_kinks, relative_error
from numpygan.losses import BinaryCrossentropy

LATENT = 100
NETWORKS = {
    "mlp_generator": lambda: models.mlp_generator(seed=1),
    "mlp_generator_dropout": lambda: models.mlp_generator(dropout=0.3, seed=1),
    "mlp_discriminator": lambda: models.mlp_discriminator(seed=1),
    "dcgan_discriminator": lambda: models.dcgan_discriminator(seed=1),
    "dcgan_discriminator_batchnorm": lambda: models.dcgan_discriminator(batchnorm=True, seed=1),
    "dcgan_generator": lambda: models.dcgan_generator(seed=1),
    "dcgan_generator_batchnorm": lambda: models.dcgan_generator(batchnorm=True, output_activation="tanh", seed=1),
    "radford_generator": lambda: models.radford_generator(filters=16, seed=1),
    "radford_discriminator": lambda: models.radford_discriminator(filters=16, seed=1),
    "infogan_generator": lambda: models.infogan_generator(filters=16, hidden=24, seed=1),
    "infogan_discriminator": lambda: models.infogan_discriminator(filters=16, hidden=24, seed=1),
}
SLOW = {"dcgan_generator", "dcgan_generator_batchnorm"}


def network_input(model, batch, seed=0):
    rng = np.random.default_rng(seed)
    if model.input_shape == (LATENT,):
        return rng.standard_normal((batch, LATENT))
    return rng.random((batch,) + model.input_shape)  # images in [0, 1]


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in NETWORKS])
def test_network_gradients(check_gradients, name):
    model = NETWORKS[name]().astype(np.float64)
    x = network_input(model, batch=3)
    check_gradients(model, x, f"network: {name}", max_per_tensor=8)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(NETWORKS))
def test_network_gradients_thorough(check_gradients, name):
    """More elements per tensor, batch 2 (BatchNorm's hardest case short of 1), inference mode too."""
    for training in (True, False):
        model = NETWORKS[name]().astype(np.float64)
        check_gradients(model, network_input(model, batch=2, seed=1), f"network: {name}",
                        max_per_tensor=24, training=training, seed=1)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_network_float32_stays_float32(name):
    model = NETWORKS[name]()
    x = network_input(model, batch=2).astype(np.float32)
    y = model.forward(x, training=True)
    dx = model.backward(np.ones_like(y))
    assert y.dtype == np.float32 and dx.dtype == np.float32
    assert all(p.value.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters().values())
    assert all(b.dtype == np.float32 for b in model.buffers().values())


GAN_PAIRS = {
    "mlp": (lambda: models.mlp_generator(seed=2), lambda: models.mlp_discriminator(seed=3), 5),
    "dcgan": (lambda: models.dcgan_generator(seed=2), lambda: models.dcgan_discriminator(seed=3), 10),
    "dcgan_batchnorm": (lambda: models.dcgan_generator(batchnorm=True, output_activation="tanh", seed=2),
                        lambda: models.dcgan_discriminator(batchnorm=True, seed=3), 10),
    "radford": (lambda: models.radford_generator(filters=16, seed=2),
                lambda: models.radford_discriminator(filters=16, seed=3), 10),
    "infogan": (lambda: models.infogan_generator(filters=16, hidden=24, seed=2),
                lambda: models.infogan_discriminator(filters=16, hidden=24, seed=3), 10),
}


@pytest.mark.parametrize("pair", [p if p in ("mlp", "radford", "infogan") else pytest.param(p, marks=pytest.mark.slow) for p in GAN_PAIRS])
def test_generator_step_through_frozen_discriminator(assert_gradient_error, pair):
    """dL/dθ_G of L = BCE-with-logits(D(G(z)), 1): backprop through D with D.trainable = False
    against central differences of L; D's gradients stay exactly zero."""
    make_g, make_d, per_tensor = GAN_PAIRS[pair]
    generator, discriminator = make_g().astype(np.float64), make_d().astype(np.float64)
    loss = BinaryCrossentropy(from_logits=True)
    z = np.random.default_rng(4).standard_normal((3, LATENT))
    # both models draw dropout masks; every evaluation of L replays the same draws
    rng_states = [m.rng.bit_generator.state for m in (generator, discriminator)]

    def forward():
        for m, state in zip((generator, discriminator), rng_states):
            m.rng.bit_generator.state = state
        return discriminator.forward(generator.forward(z, training=True), training=True)

    def objective():
        return loss(forward(), 1.0)[0]

    discriminator.trainable = False
    generator.zero_grad()
    discriminator.zero_grad()
    _, dlogits = loss(forward(), 1.0)
    dz = generator.backward(discriminator.backward(dlogits))
    assert not any(p.grad.any() for p in discriminator.parameters().values())

    chooser = np.random.default_rng(5)
    errors = []
    with pinned_kinks(generator, discriminator):
        for array, analytic in [(p.value, p.grad) for p in generator.parameters().values()] + [(z, dz)]:
            picks = chooser.choice(array.size, size=min(per_tensor, array.size), replace=False)
            numeric, _ = numerical_gradient(objective, array, picks)
            errors.append(relative_error(analytic.reshape(-1)[picks], numeric).max())
    assert not any(p.grad.any() for p in discriminator.parameters().values())
    assert_gradient_error(f"GAN step: {pair} G through frozen D", max(errors))
