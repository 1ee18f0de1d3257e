"""From a TrainConfig to the generator and discriminator it describes, with their random streams."""

import numpy as np

from .. import initializers, models

# Independent streams spawned from the run's seed, in this order.
STREAMS = ("generator", "discriminator", "data", "latent")


def spawn_generators(seed):
    """``{stream: numpy.random.Generator}`` for ``STREAMS``, all derived from one ``seed``.

    Spawning (rather than seed, seed + 1, ...) gives statistically independent streams.
    """
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}


def build_generator(config, rng=None):
    """G for ``config``: (N, latent_dim) → (N, 28, 28, 1) with ``config.output_activation``;
    a conditional model (``cgan-*``) takes (z, labels (N,)) (``conditional_generator``)."""
    rng = spawn_generators(config.seed)["generator"] if rng is None else rng
    if config.conditional:
        return conditional_generator(config, rng)
    if config.model == "mlp":
        return models.mlp_generator(config.latent_dim, config.output_activation, dropout=config.g_dropout, rng=rng)
    if config.form == "radford":
        return models.radford_generator(config.latent_dim, rng=rng, filters=config.g_filters)
    if config.form == "infogan":
        return models.infogan_generator(config.latent_dim, rng=rng, filters=config.g_filters)
    return models.dcgan_generator(config.latent_dim, config.output_activation, batchnorm=config.batchnorm, rng=rng,
                                  filters=config.g_filters, kernel_initializer=config.kernel_initializer)


def build_discriminator(config, rng=None):
    """D for ``config``: (N, 28, 28, 1) → (N, 1) logits; (images, labels) for a conditional model."""
    rng = spawn_generators(config.seed)["discriminator"] if rng is None else rng
    if config.conditional:
        return conditional_discriminator(config, rng)
    if config.model == "mlp":
        return models.mlp_discriminator(dropout=config.d_dropout, rng=rng)
    if config.form == "radford":
        return models.radford_discriminator(rng=rng, filters=config.d_filters)
    if config.form == "infogan":
        return models.infogan_discriminator(rng=rng, filters=config.d_filters)
    return models.dcgan_discriminator(batchnorm=config.discriminator_batchnorm, dropout=config.d_dropout, rng=rng,
                                      filters=config.d_filters, kernel_initializer=config.kernel_initializer)


# The conditional GAN's two forms (``cgan-mlp``, ``cgan-dcgan``):
#   MLP:   G: [z | Embedding(y)] → the MLP generator;  D: [Flatten(x) | Embedding(y)] → the MLP critic.
#   DCGAN: G: [z | Embedding(y)] → the DCGAN generator; D: a projection discriminator on the DCGAN critic's
#          features, logit = ψ(φ(x)) + ⟨E[y], φ(x)⟩. Label maps as extra input channels would make the first
#          convolution read 1 + n_classes channels instead of 1 (its cost × 11 with one-hot maps) to tell D
#          what the projection tells it with one dot product per image.
LABEL_EMBEDDING = 50   # the size of G's (and the MLP D's) label embedding


def label_embeddings(shape, rng, dtype=np.float32):
    """N(0, 1) (PyTorch's ``nn.Embedding``): the label vectors at the scale of the other inputs (z ~ N(0, I),
    pixels in [-1, 1]). Keras' U(−0.05, 0.05), the Embedding's default, makes the label 1/20 of them:
    measured, after one MNIST epoch of cgan_mnist G's samples did not depend on the label at all."""
    return initializers.normal(shape, rng, dtype, stddev=1.0)


def conditional_generator(config, rng):
    """G(z, y) of a ``cgan-*`` config (``numpygan.composed``), with the architecture's settings."""
    if config.architecture == "mlp":
        return models.ConditionalGenerator(config.latent_dim, config.n_classes, LABEL_EMBEDDING,
                                           output_activation=config.output_activation, dropout=config.g_dropout,
                                           embeddings_initializer=label_embeddings, rng=rng)
    return models.conditional_dcgan_generator(config.latent_dim, config.n_classes, LABEL_EMBEDDING, rng=rng,
                                              embeddings_initializer=label_embeddings,
                                              output_activation=config.output_activation,
                                              batchnorm=config.batchnorm, filters=config.g_filters,
                                              kernel_initializer=config.kernel_initializer)


def conditional_discriminator(config, rng):
    """D(x, y) of a ``cgan-*`` config: the MLP critic's hidden sizes with the label concatenated to the image
    or under a projection head (``config.discriminator_conditioning``), or the DCGAN critic under a projection."""
    if config.architecture == "mlp" and config.discriminator_conditioning == "projection":
        return models.conditional_mlp_discriminator(config.n_classes, rng=rng, dropout=config.d_dropout)
    if config.architecture == "mlp":
        return models.ConditionalDiscriminator(config.n_classes, LABEL_EMBEDDING, hidden=(1024, 512, 256),
                                               dropout=config.d_dropout, embeddings_initializer=label_embeddings,
                                               rng=rng)
    return models.conditional_dcgan_discriminator(config.n_classes, rng=rng,
                                                  batchnorm=config.discriminator_batchnorm,
                                                  dropout=config.d_dropout, filters=config.d_filters,
                                                  kernel_initializer=config.kernel_initializer)


def build_gan(config):
    """``(generator, discriminator)`` for ``config``, each with its own stream from ``config.seed``."""
    streams = spawn_generators(config.seed)
    return build_generator(config, streams["generator"]), build_discriminator(config, streams["discriminator"])
