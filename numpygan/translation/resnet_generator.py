"""CycleGAN's generator (Zhu et al. 2017, appendix 7.2; Johnson et al. 2016), scaled to 28×28 images."""

import numpy as np

from ..models import layers_for
from ..sequential import Sequential
from .residual import ResidualBlock


def resnet_generator(input_shape=(28, 28, 1), filters=16, n_blocks=3, output_channels=None, rng=None, seed=None,
                     dtype=np.float32, fast=None):
    """An image (N, H, W, C) → an image of the same size (N, H, W, output_channels) in (−1, 1).

    In the paper's notation, with k = ``filters`` and n = ``n_blocks``:

        c7s1-k    Conv2D(k, 7×7, s1, same) → InstanceNorm → ReLU          (H, W, k)
        d2k       Conv2D(2k, 3×3, s2, same) → InstanceNorm → ReLU         (H/2, W/2, 2k)
        d4k       Conv2D(4k, 3×3, s2, same) → InstanceNorm → ReLU         (H/4, W/4, 4k)
        n × R4k   ResidualBlock: x + Conv3×3 → IN → ReLU → Conv3×3 → IN  (H/4, W/4, 4k)
        u2k       Conv2DTranspose(2k, 3×3, s2, same) → InstanceNorm → ReLU (H/2, W/2, 2k)
        uk        Conv2DTranspose(k, 3×3, s2, same) → InstanceNorm → ReLU  (H, W, k)
        c7s1-C    Conv2D(C, 7×7, s1, same) → Tanh                          (H, W, C)

    The paper uses k = 64 and n = 6 (128×128) or 9 (256×256); on 28×28 images the
    residual blocks work on a 7×7 map, which a few blocks already cover (two 3×3
    convolutions per block: the receptive field grows by 4 map pixels, 16 image pixels,
    per block). The defaults, k = 16 and n = 3 (270 k parameters), are chosen so that
    the two generators of a CycleGAN train in minutes per epoch on one CPU core.

    The convolutions followed by InstanceNorm have no bias: IN subtracts each map's mean,
    which cancels a bias exactly. Padding is zero ('same') where the authors reflect.
    Weights from N(0, 0.02²) as in the paper. H and W must be multiples of 4.
    """
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or shape[0] % 4 or shape[1] % 4 or min(shape) < 1:
        raise ValueError(f"resnet_generator: argument 'input_shape' expected (H, W, C) with H and W multiples of 4, "
                         f"received {tuple(input_shape)}")
    for arg, value, low in (("filters", filters, 1), ("n_blocks", n_blocks, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"resnet_generator: argument {arg!r} expected an int >= {low}, received {value!r}")
    channels = shape[2] if output_channels is None else int(output_channels)
    k = int(filters)
    rng = rng if rng is not None else np.random.default_rng(seed)
    nn = layers_for(fast)

    def conv_in_relu(layer):
        return [layer, nn.InstanceNormalization(), nn.ReLU()]

    layers = (conv_in_relu(nn.Conv2D(k, 7, 1, "same", kernel_initializer="normal", use_bias=False))
              + conv_in_relu(nn.Conv2D(2 * k, 3, 2, "same", kernel_initializer="normal", use_bias=False))
              + conv_in_relu(nn.Conv2D(4 * k, 3, 2, "same", kernel_initializer="normal", use_bias=False)))
    inner = (shape[0] // 4, shape[1] // 4, 4 * k)
    layers += [ResidualBlock(inner, rng=rng, dtype=dtype, fast=fast, name=f"residual_block_{i}")
               for i in range(int(n_blocks))]
    layers += (conv_in_relu(nn.Conv2DTranspose(2 * k, 3, 2, "same", kernel_initializer="normal", use_bias=False))
               + conv_in_relu(nn.Conv2DTranspose(k, 3, 2, "same", kernel_initializer="normal", use_bias=False))
               + [nn.Conv2D(channels, 7, 1, "same", kernel_initializer="normal"), nn.Tanh()])
    return Sequential(layers, shape, rng=rng, dtype=dtype, name="resnet_generator")
