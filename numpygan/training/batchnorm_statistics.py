"""BatchNorm statistics of their own for an averaged generator.

A BatchNorm layer normalises with running statistics at inference: the mean and
variance of its input over training, ``moving_mean`` and ``moving_variance``.
The moving average of G's weights θ̄ (``config.ema_decay``) has no statistics of
its own: copying the running statistics of the current weights θ pairs θ̄ with
the means and variances of another network's activations. Izmailov et al.
(2018, "Averaging weights leads to wider optima", SWA) recompute them instead,
with one pass of data through the averaged network in training mode. For a
generator the data is z, which costs nothing to draw:

    μ_l = (1/B) Σ_b mean_b(a_l),   σ²_l = (1/B) Σ_b var_b(a_l)

over B batches of z, where a_l is the input of BatchNorm layer l in θ̄ and
mean_b / var_b are the statistics of batch b (the biased variance, as in a
training step). The batches have the size G trains on, so θ̄ is normalised
with statistics like those θ saw.

README "The DCGAN" measures what it changes for the default DCGAN's samples.
"""

import numpy as np

from ..layers import BatchNormalization


def batchnorm_layers(model):
    """Every BatchNormalization layer inside ``model``, in order."""
    return [layer for _, layer in model.named_layers() if isinstance(layer, BatchNormalization)]


def has_random_layers(model):
    """True if a layer inside ``model`` draws random numbers in training mode (Dropout: its own generator)."""
    return any(isinstance(getattr(layer, "rng", None), np.random.Generator) for _, layer in model.named_layers())


def recompute_batchnorm_statistics(model, batches):
    """Set the running statistics of every BatchNorm layer in ``model`` to the average of its batch
    statistics over ``batches`` (an iterable of input tuples, each passed as ``model.forward(*inputs,
    training=True)``). Weights do not change; returns the number of batches used.

    Models with layers that draw random numbers in training (Dropout) are refused: their draws would
    both change the statistics and advance generators that a checkpoint saves.
    """
    if has_random_layers(model):
        raise ValueError(f"recompute_batchnorm_statistics: argument 'model' expected a model without random "
                         f"layers (Dropout), received {model.name!r}, which has some")
    layers = batchnorm_layers(model)
    momenta = [layer.momentum for layer in layers]
    count = 0
    try:
        for inputs in batches:
            count += 1
            for layer in layers:
                # r ← m·r + (1 − m)·batch with m = (k − 1)/k makes r the mean of the first k batches
                layer.momentum = (count - 1) / count
            model.forward(*inputs, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    if count == 0:
        raise ValueError("recompute_batchnorm_statistics: argument 'batches' expected at least one batch, "
                         "received none")
    return count
