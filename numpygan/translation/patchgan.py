"""The PatchGAN discriminator (Isola et al. 2017): real or fake, judged patch by patch."""

import numpy as np

from ..models import layers_for
from ..sequential import Sequential

NORMALIZATIONS = ("instance", "batch", "none")


def patchgan_discriminator(input_shape=(28, 28, 1), filters=(64, 128), norm="instance", rng=None, seed=None,
                           dtype=np.float32, fast=None):
    """x (N, H, W, C) → a map of logits (N, H / 2^k, W / 2^k, 1), k = len(filters).

        Conv2D(filters[0], 4×4, s2, same) → LeakyReLU(0.2)                       no norm on the first layer
        Conv2D(filters[i], 4×4, s2, same) → Norm → LeakyReLU(0.2)   for i ≥ 1
        Conv2D(1, 4×4, s1, same)                                                 one logit per position

    Each output logit sees one patch of the input (22×22 pixels for the default two
    stride-2 layers: 4 + 3·2 + 3·4), so D classifies every patch as real or fake and
    the loss is the mean over the map: the objectives' losses are means over all
    elements, so a map of logits needs nothing special. pix2pix's D takes the input
    and the image concatenated on the channels (C = C_in + C_out); CycleGAN's takes an image.

    The default is the 70×70 PatchGAN of the authors (C64-C128-C256-C512, stride 2, 2, 2, 1)
    scaled to 28×28 images: two stride-2 layers give a 7×7 map on 28×28.
    ``norm``: 'instance' (CycleGAN), 'batch' (pix2pix) or 'none'. Weights from N(0, 0.02²) as in the papers.
    """
    if norm not in NORMALIZATIONS:
        raise ValueError(f"patchgan_discriminator: argument 'norm' expected one of {NORMALIZATIONS}, "
                         f"received {norm!r}")
    filters = tuple(int(f) for f in filters)
    if not filters or min(filters) < 1:
        raise ValueError(f"patchgan_discriminator: argument 'filters' expected one or more positive "
                         f"channel counts, received {filters}")
    nn = layers_for(fast)
    layers = []
    for i, f in enumerate(filters):
        normalised = i > 0 and norm != "none"
        layers.append(nn.Conv2D(f, 4, 2, "same", kernel_initializer="normal", use_bias=not normalised))
        if normalised:
            layers.append(nn.InstanceNormalization() if norm == "instance" else nn.BatchNormalization())
        layers.append(nn.LeakyReLU(0.2))
    layers.append(nn.Conv2D(1, 4, 1, "same", kernel_initializer="normal"))
    return Sequential(layers, tuple(input_shape), rng=rng, seed=seed, dtype=dtype, name="patchgan_discriminator")
