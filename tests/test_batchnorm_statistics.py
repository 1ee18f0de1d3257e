"""BatchNorm statistics of their own for G's moving average (``training/batchnorm_statistics.py``)."""

import numpy as np
import pytest

from numpygan import models
from numpygan.training import GANTrainer, build_gan, load_generator, preset, save_checkpoint
from numpygan.training.batchnorm_statistics import batchnorm_layers, recompute_batchnorm_statistics

pytestmark = pytest.mark.usefixtures("one_blas_thread")


def small_generator(seed=0):
    return models.infogan_generator(filters=8, hidden=16, seed=seed)


def test_recomputed_statistics_are_the_average_batch_statistics():
    G = small_generator()
    rng = np.random.default_rng(1)
    batches = [(rng.standard_normal((6, 100)).astype(np.float32),) for _ in range(3)]
    layers = batchnorm_layers(G)
    assert len(layers) == 3 and [l.momentum for l in layers] == [0.99] * 3
    # each layer's input per batch, from a copy of G run up to it with the statistics each batch has
    expected = {id(layer): ([], []) for layer in layers}
    for (z,) in batches:
        x = z
        for layer in G.layers:
            if layer in layers:
                axes = tuple(range(x.ndim - 1))
                expected[id(layer)][0].append(x.mean(axis=axes))
                expected[id(layer)][1].append(x.var(axis=axes))
            x = layer.forward(x, training=True)
    weights = {k: p.value.copy() for k, p in G.parameters().items()}
    assert recompute_batchnorm_statistics(G, iter(batches)) == 3
    for layer in layers:
        means, variances = expected[id(layer)]
        np.testing.assert_allclose(layer.moving_mean, np.mean(means, axis=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.moving_variance, np.mean(variances, axis=0), rtol=1e-5, atol=1e-6)
        assert layer.momentum == 0.99                                     # restored
    assert all(np.array_equal(p.value, weights[k]) for k, p in G.parameters().items())


def test_recompute_refuses_random_layers_and_no_batches():
    with pytest.raises(ValueError, match="argument 'model' expected a model without random layers"):
        recompute_batchnorm_statistics(models.mlp_generator(dropout=0.3, seed=0), [])
    G = small_generator()
    with pytest.raises(ValueError, match="argument 'batches' expected at least one batch, received none"):
        recompute_batchnorm_statistics(G, [])
    assert [l.momentum for l in batchnorm_layers(G)] == [0.99] * 3


def dcgan_trainer(**changes):
    config = preset("dcgan_mnist", dataset="arrays", g_filters=8, d_filters=4, batch_size=8, n_samples=4,
                    progress=False, **changes)
    return GANTrainer(*build_gan(config), config)


def images(n=64):
    return np.random.default_rng(0).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)


def test_sampling_uses_statistics_of_the_average_and_leaves_training_as_it_was(tmp_path):
    watched, plain = dcgan_trainer(), dcgan_trainer()
    x = images()
    for stop in (2, 5, 8):
        watched.fit(x, max_steps=stop)
        plain.fit(x, max_steps=stop)
        samples = watched.generate()
        watched.state_dict()
        # θ̄'s statistics are its own: not G's running ones, and those of a fresh recomputation
        ema_buffers, g_buffers = watched.generator_ema.buffers(), watched.generator.buffers()
        assert not any(np.allclose(ema_buffers[k], g_buffers[k]) for k in g_buffers if k.endswith("moving_mean"))
        assert np.array_equal(watched.generate(), samples)                  # once per step, then the same
    # sampling drew no training randomness and changed no weight or G's statistics
    for a, b in ((watched.generator, plain.generator), (watched.discriminator, plain.discriminator)):
        for (key, u), (_, v) in zip(a.state_dict().items(), b.state_dict().items()):
            assert np.array_equal(u, v), key
    assert watched.latent_rng.bit_generator.state == plain.latent_rng.bit_generator.state
    # a checkpoint holds θ̄ with the statistics its samples use; loading it samples the same images
    save_checkpoint(tmp_path / "c.npz", watched)
    G, _ = load_generator(tmp_path / "c.npz")
    np.testing.assert_array_equal(G.forward(watched.fixed_noise, training=False), watched.generate())


def test_without_batchnorm_the_average_is_used_as_it_is():
    config = preset("mlp_fashion", dataset="arrays", batch_size=8, n_samples=4, progress=False)   # Dropout in G
    trainer = GANTrainer(*build_gan(config), config)
    trainer.fit(images(), max_steps=2)
    assert trainer.inference_generator() is trainer.generator_ema
    assert trainer._ema_statistics_step is None
