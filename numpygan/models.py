"""Builders for the reference GAN architectures.

Every generator maps z (N, latent_dim) to images (N, 28, 28, 1); every
discriminator maps images (N, 28, 28, 1) to one logit per image (N, 1) by
default — train it with ``BinaryCrossentropy(from_logits=True)``, which is the
sigmoid output of the tutorials folded into a loss that cannot overflow. Pass
``output="sigmoid"`` for the literal tutorial form (probabilities).

Generators end in ``tanh`` for data in [-1, 1] or ``sigmoid`` for [0, 1].

Every builder makes its layers from the fast twins (``numpygan.fast``) by
default and from the reference layers (``numpygan.layers``, the plain math)
with ``fast=False``, or for every builder at once under
``use_reference_layers()``; ``adam`` does the same for the optimizer, and
``layers_for(fast)`` hands out the module itself, for models of your own. The two
compute the same functions (tests/test_fast_twins.py), so either trains the same
model; the references are slower and easier to read.
"""

import numpy as np

from . import fast as fast_twins
from . import layers as reference_layers
from . import optimizers as reference_optimizers
from .sequential import Sequential

IMAGE_SHAPE = (28, 28, 1)

_fast_by_default = True


class use_reference_layers:
    """Build models (and ``adam``) from the reference layers and optimizers instead of the fast twins.

        numpygan.use_reference_layers()             # from now on
        numpygan.use_reference_layers(False)        # back to the fast twins
        with numpygan.use_reference_layers():       # for a block, then as before
            G = models.dcgan_generator()

    A builder's explicit ``fast=True`` / ``fast=False`` overrides it. The command
    line's ``--reference-layers`` flag turns it on for a training run.
    """

    def __init__(self, enabled=True):
        global _fast_by_default
        if not isinstance(enabled, bool):
            raise TypeError(f"use_reference_layers: argument 'enabled' must be a bool, "
                            f"received {type(enabled).__name__}")
        self._before = _fast_by_default
        _fast_by_default = not enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _fast_by_default
        _fast_by_default = self._before
        return False


def uses_reference_layers():
    """True while ``use_reference_layers()`` is in effect."""
    return not _fast_by_default


def layers_for(fast=None):
    """The module to take layers from: ``numpygan.fast`` (the twins, and the references that have none)
    or ``numpygan.layers``; ``fast=None``: the current default (fast unless ``use_reference_layers()``)."""
    if fast is None:
        fast = _fast_by_default
    return fast_twins if fast else reference_layers


def adam(params, fast=None, **hyperparameters):
    """``Adam(params, **hyperparameters)``: ``numpygan.fast.Adam`` by default, ``numpygan.optimizers.Adam``
    with ``fast=False`` or under ``use_reference_layers()``."""
    if fast is None:
        fast = _fast_by_default
    return (fast_twins.Adam if fast else reference_optimizers.Adam)(params, **hyperparameters)


def _activation(nn, name, arg="output_activation"):
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    raise ValueError(f"{arg}: expected 'tanh' or 'sigmoid', received {name!r}")


def _d_output(nn, output):
    if output == "logit":
        return []
    if output == "sigmoid":
        return [nn.Sigmoid()]
    raise ValueError(f"output: expected 'logit' or 'sigmoid', received {output!r}")


def mlp_generator(latent_dim=100, output_activation="tanh", dropout=0.0, hidden=(256, 512, 1024),
                  image_shape=IMAGE_SHAPE, rng=None, seed=None, dtype=np.float32, fast=None):
    """z (N, latent_dim) → Dense 256 → 512 → 1024 → 784 → (N, 28, 28, 1), LeakyReLU(0.2).

    ``dropout=0`` is the tutorial form; the second form uses Dropout in G as well
    (e.g. 0.3 after every hidden layer) with a tanh output.
    """
    nn = layers_for(fast)
    layers = []
    for units in hidden:
        layers += [nn.Dense(units), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers += [nn.Dense(int(np.prod(image_shape))), _activation(nn, output_activation), nn.Reshape(image_shape)]
    return Sequential(layers, (latent_dim,), rng=rng, seed=seed, dtype=dtype, name="mlp_generator")


def mlp_discriminator(dropout=0.3, hidden=(1024, 512, 256), output="logit", image_shape=IMAGE_SHAPE,
                      rng=None, seed=None, dtype=np.float32, fast=None):
    """(N, 28, 28, 1) → Flatten → Dense 1024 → 512 → 256 → 1, LeakyReLU(0.2), Dropout(0.3) after each.

    ``output="features"`` ends at the last hidden layer, (N, hidden[-1]), for a head of one's own
    (``composed.ProjectionDiscriminator``)."""
    nn = layers_for(fast)
    layers = [nn.Flatten()]
    for units in hidden:
        layers += [nn.Dense(units), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
    if output != "features":
        layers += [nn.Dense(1)] + _d_output(nn, output)
    return Sequential(layers, image_shape, rng=rng, seed=seed, dtype=dtype, name="mlp_discriminator")


def dcgan_discriminator(output="logit", batchnorm=False, rng=None, seed=None, dtype=np.float32, dropout=0.4,
                        filters=64, kernel_initializer=None, fast=None):
    """The Keras-tutorial DCGAN critic on 28×28×1:

    Conv2D(64, 3×3, s2, same) → LeakyReLU(0.2) → Dropout(0.4) → Conv2D(64, 3×3, s2, same)
    → LeakyReLU(0.2) → Dropout(0.4) → Flatten → Dense(1).
    ``batchnorm=True`` inserts BatchNormalization after the second convolution
    (the DCGAN paper leaves the first layer of D un-normalised) and drops that
    convolution's bias: BatchNorm subtracts the batch mean, so a bias before it
    cancels exactly, gets a zero gradient and never trains. ``dropout`` sets
    both dropout rates (0 removes the layers). ``filters``: channels of both
    convolutions (64 in the tutorial). ``kernel_initializer``: default N(0, 0.02²)
    (``"normal"``, the paper's) with ``batchnorm``, else Glorot-uniform (Keras').
    ``output="features"`` ends at the Flatten, (N, 7·7·filters), for a head of one's own
    (``composed.ProjectionDiscriminator``).
    """
    nn = layers_for(fast)
    init = kernel_initializer or ("normal" if batchnorm else "glorot_uniform")

    def drop():  # a fresh layer each time: a layer instance caches one forward pass
        return [nn.Dropout(dropout)] if dropout else []

    layers = [nn.Conv2D(filters, 3, 2, "same", kernel_initializer=init), nn.LeakyReLU(0.2)] + drop()
    layers.append(nn.Conv2D(filters, 3, 2, "same", kernel_initializer=init, use_bias=not batchnorm))
    if batchnorm:
        layers.append(nn.BatchNormalization())
    layers += [nn.LeakyReLU(0.2)] + drop() + [nn.Flatten()]
    if output != "features":  # "features": stop at the Flatten, for a head of one's own (a projection D)
        layers += [nn.Dense(1)] + _d_output(nn, output)
    return Sequential(layers, IMAGE_SHAPE, rng=rng, seed=seed, dtype=dtype, name="dcgan_discriminator")


def dcgan_generator(latent_dim=100, output_activation="sigmoid", batchnorm=False, rng=None, seed=None,
                    dtype=np.float32, filters=128, kernel_initializer=None, fast=None):
    """The Keras-tutorial DCGAN generator:

    Dense(128·7·7) → LeakyReLU(0.2) → Reshape(7, 7, 128) → Conv2DTranspose(128, 4×4, s2, same)
    → LeakyReLU(0.2) → Conv2DTranspose(128, 4×4, s2, same) → LeakyReLU(0.2)
    → Conv2D(1, 7×7, same) → sigmoid.
    ``batchnorm=True`` (use with ``output_activation="tanh"``) adds BatchNormalization
    before each hidden LeakyReLU and draws weights from N(0, 0.02²), as in the DCGAN paper;
    the layers it normalises then have no bias (BatchNorm's mean subtraction cancels it).
    ``filters``: channels of the 7×7 map and of both transposed convolutions (128 in
    the tutorial; fewer make a lighter G, cost ∝ filters²). ``kernel_initializer``
    overrides the default (``"normal"`` with ``batchnorm``, else ``"glorot_uniform"``).
    """
    nn = layers_for(fast)
    init = kernel_initializer or ("normal" if batchnorm else "glorot_uniform")
    f = filters

    def block(layer):
        return [layer] + ([nn.BatchNormalization()] if batchnorm else []) + [nn.LeakyReLU(0.2)]

    bias = not batchnorm
    layers = (block(nn.Dense(f * 7 * 7, kernel_initializer=init, use_bias=bias)) + [nn.Reshape((7, 7, f))]
              + block(nn.Conv2DTranspose(f, 4, 2, "same", kernel_initializer=init, use_bias=bias))
              + block(nn.Conv2DTranspose(f, 4, 2, "same", kernel_initializer=init, use_bias=bias))
              + [nn.Conv2D(1, 7, 1, "same", kernel_initializer=init), _activation(nn, output_activation)])
    return Sequential(layers, (latent_dim,), rng=rng, seed=seed, dtype=dtype, name="dcgan_generator")



def _halvable(filters, builder):
    if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 2:
        raise ValueError(f"{builder}: argument 'filters' expected an integer >= 2 (the next layer has half), "
                         f"received {filters!r}")
    return int(filters)


def radford_generator(latent_dim=100, rng=None, seed=None, dtype=np.float32, filters=64, fast=None):
    """The DCGAN paper's generator pattern (Radford et al. 2015, Fig. 1), scaled to 28×28:

    Dense(f·7·7) → BatchNorm → ReLU → Reshape(7, 7, f)
    → Conv2DTranspose(f/2, 4×4, s2, same) → BatchNorm → ReLU          (N, 14, 14, f/2)
    → Conv2DTranspose(1, 4×4, s2, same) → tanh                        (N, 28, 28, 1)

    Only transposed convolutions upsample, the channels halve as the map doubles, ReLU
    inside and tanh out, weights from N(0, 0.02²); the layers BatchNorm follows have no
    bias (its mean subtraction cancels one). Unlike ``dcgan_generator`` (the Keras
    tutorial's layers) there is no 7×7 convolution at 28×28 and no second transposed
    convolution at full width, which is most of that generator's cost. ``filters``: f.
    """
    layers = _radford_generator_layers(layers_for(fast), _halvable(filters, "radford_generator"))
    return Sequential(layers, (latent_dim,), rng=rng, seed=seed, dtype=dtype, name="radford_generator")


def _radford_generator_layers(nn, f):
    return [nn.Dense(f * 7 * 7, kernel_initializer="normal", use_bias=False), nn.BatchNormalization(), nn.ReLU(),
            nn.Reshape((7, 7, f)),
            nn.Conv2DTranspose(f // 2, 4, 2, "same", kernel_initializer="normal", use_bias=False),
            nn.BatchNormalization(), nn.ReLU(),
            nn.Conv2DTranspose(1, 4, 2, "same", kernel_initializer="normal"), nn.Tanh()]


def radford_discriminator(output="logit", rng=None, seed=None, dtype=np.float32, filters=64, fast=None):
    """The DCGAN paper's discriminator pattern, the mirror of ``radford_generator``:

    Conv2D(f/2, 4×4, s2, same) → LeakyReLU(0.2)                        (N, 14, 14, f/2)
    → Conv2D(f, 4×4, s2, same) → BatchNorm → LeakyReLU(0.2)            (N, 7, 7, f)
    → Flatten → Dense(1)                                               (N, 1) logits

    Strided convolutions downsample, the channels double as the map halves, no BatchNorm
    on the first layer (the paper's choice: it normalises the images themselves), no Dropout,
    weights from N(0, 0.02²). ``filters``: f. ``output="features"`` ends at the Flatten.
    """
    nn = layers_for(fast)
    layers = _radford_discriminator_layers(nn, _halvable(filters, "radford_discriminator"))
    if output != "features":
        layers += [nn.Dense(1)] + _d_output(nn, output)
    return Sequential(layers, IMAGE_SHAPE, rng=rng, seed=seed, dtype=dtype, name="radford_discriminator")


def _radford_discriminator_layers(nn, f):
    return [nn.Conv2D(f // 2, 4, 2, "same", kernel_initializer="normal"), nn.LeakyReLU(0.2),
            nn.Conv2D(f, 4, 2, "same", kernel_initializer="normal", use_bias=False), nn.BatchNormalization(),
            nn.LeakyReLU(0.2), nn.Flatten()]


def infogan_generator(latent_dim=100, rng=None, seed=None, dtype=np.float32, filters=64, hidden=1024, fast=None):
    """The MNIST generator of InfoGAN (Chen et al. 2016, Appendix C.1): ``radford_generator`` behind
    a fully connected hidden layer.

    Dense(hidden) → BatchNorm → ReLU                                   (N, hidden)
    → Dense(f·7·7) → BatchNorm → ReLU → Reshape(7, 7, f)               (N, 7, 7, f)
    → Conv2DTranspose(f/2, 4×4, s2, same) → BatchNorm → ReLU          (N, 14, 14, f/2)
    → Conv2DTranspose(1, 4×4, s2, same) → tanh                        (N, 28, 28, 1)

    The hidden layer gives z a nonlinear map into the 7×7 features before any
    convolution; it is a plain matrix product, so it adds parameters (about 3.3 M
    at 1024 and f = 64) for little time. InfoGAN uses f = 128 and hidden = 1024;
    the weights are N(0, 0.02²) and the layers BatchNorm follows have no bias.
    """
    nn = layers_for(fast)
    f = _halvable(filters, "infogan_generator")
    hidden = _units(hidden, "infogan_generator")
    layers = [nn.Dense(hidden, kernel_initializer="normal", use_bias=False), nn.BatchNormalization(), nn.ReLU()]
    layers += _radford_generator_layers(nn, f)
    return Sequential(layers, (latent_dim,), rng=rng, seed=seed, dtype=dtype, name="infogan_generator")


def infogan_discriminator(output="logit", rng=None, seed=None, dtype=np.float32, filters=64, hidden=1024,
                          fast=None):
    """The MNIST discriminator of InfoGAN (Chen et al. 2016, Appendix C.1): ``radford_discriminator``'s
    convolutions with a fully connected hidden layer before the logit.

    Conv2D(f/2, 4×4, s2, same) → LeakyReLU(0.2)                        (N, 14, 14, f/2)
    → Conv2D(f, 4×4, s2, same) → BatchNorm → LeakyReLU(0.2) → Flatten  (N, 7·7·f)
    → Dense(hidden) → BatchNorm → LeakyReLU(0.2)                       (N, hidden)
    → Dense(1)                                                          (N, 1) logits

    ``output="features"`` ends at the hidden layer's LeakyReLU, (N, hidden).
    """
    nn = layers_for(fast)
    f = _halvable(filters, "infogan_discriminator")
    hidden = _units(hidden, "infogan_discriminator")
    layers = _radford_discriminator_layers(nn, f)
    layers += [nn.Dense(hidden, kernel_initializer="normal", use_bias=False), nn.BatchNormalization(),
               nn.LeakyReLU(0.2)]
    if output != "features":
        layers += [nn.Dense(1)] + _d_output(nn, output)
    return Sequential(layers, IMAGE_SHAPE, rng=rng, seed=seed, dtype=dtype, name="infogan_discriminator")


def _units(units, builder):
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError(f"{builder}: argument 'hidden' expected an integer >= 1, received {units!r}")
    return int(units)


# Hand-written models with several inputs or skip connections (numpygan.model.Model), for the
# conditional GAN and pix2pix chapters; at the end, since they reuse the builders above.
from .composed import (ConditionalDiscriminator, ConditionalGenerator, ProjectionDiscriminator,  # noqa: E402
                       UNetBlock, conditional_dcgan_discriminator, conditional_dcgan_generator,
                       conditional_mlp_discriminator)
