"""From a TrainConfig to the generator and discriminator it describes, with their random streams."""

import numpy as np

from .. import models

# Independent streams spawned from the run's seed, in this order.
STREAMS = ("generator", "discriminator", "data", "latent")


def spawn_generators(seed):
    """``{stream: numpy.random.Generator}`` for ``STREAMS``, all derived from one ``seed``.

    Spawning (rather than seed, seed + 1, ...) gives statistically independent streams.
    """
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}


def build_generator(config, rng=None):
    """G for ``config``: (N, latent_dim) → (N, 28, 28, 1) with ``config.output_activation``."""
    rng = spawn_generators(config.seed)["generator"] if rng is None else rng
    if config.model == "mlp":
        return models.mlp_generator(config.latent_dim, config.output_activation, dropout=config.g_dropout, rng=rng)
    return models.dcgan_generator(config.latent_dim, config.output_activation, batchnorm=config.batchnorm, rng=rng,
                                  filters=config.g_filters, kernel_initializer=config.kernel_initializer)


def build_discriminator(config, rng=None):
    """D for ``config``: (N, 28, 28, 1) → (N, 1) logits."""
    rng = spawn_generators(config.seed)["discriminator"] if rng is None else rng
    if config.model == "mlp":
        return models.mlp_discriminator(dropout=config.d_dropout, rng=rng)
    return models.dcgan_discriminator(batchnorm=config.discriminator_batchnorm, dropout=config.d_dropout, rng=rng,
                                      filters=config.d_filters, kernel_initializer=config.kernel_initializer)


def build_gan(config):
    """``(generator, discriminator)`` for ``config``, each with its own stream from ``config.seed``."""
    streams = spawn_generators(config.seed)
    return build_generator(config, streams["generator"]), build_discriminator(config, streams["discriminator"])
