"""The U-Net generator of pix2pix (Isola et al. 2017; Ronneberger et al. 2015), for 28×28 images."""

import numpy as np

from ..composed import UNetBlock
from ..model import Model
from ..models import layers_for
from ..sequential import Sequential
from .residual import ResidualBlock

NORMALIZATIONS = ("instance", "batch", "none")


class UNetLevel(UNetBlock):
    """One U-Net level with the pix2pix encoder and decoder units: y = [x | up(inner(down(x)))].

    x (N, H, W, C), H and W even:
        down   Conv2D(filters, 4×4, s2, same) → Norm → LeakyReLU(0.2)       (N, H/2, W/2, filters)
        inner  the next level, or the bottleneck
        up     Conv2DTranspose(C, 4×4, s2, same) → Norm → ReLU              (N, H, W, C)
        y      Concatenate([x, up]) on the channels                         (N, H, W, 2C)

    ``UNetBlock`` (``numpygan.composed``) with a normalisation after each convolution
    (``norm``: 'instance', 'batch' or 'none'; the convolutions then have no bias, which
    the normalisation would cancel) and the layers of ``layers_for(fast)``; forward and
    backward are UNetBlock's, only the parts differ.
    """

    def __init__(self, input_shape, filters, inner=None, norm="instance", rng=None, seed=None, dtype=np.float32,
                 fast=None, name="unet_level"):
        Model.__init__(self, rng=rng, seed=seed, dtype=dtype, name=name)
        nn = layers_for(fast)
        channels = int(input_shape[-1])
        self.down = Sequential(_unit(nn, nn.Conv2D(filters, 4, 2, "same", kernel_initializer="normal",
                                                   use_bias=norm == "none"), norm, nn.LeakyReLU(0.2)), name="down")
        self.inner = inner
        self.up = Sequential(_unit(nn, nn.Conv2DTranspose(channels, 4, 2, "same", kernel_initializer="normal",
                                                          use_bias=norm == "none"), norm, nn.ReLU()), name="up")
        self.concat = nn.Concatenate(axis=-1)
        self.input_shape = tuple(int(d) for d in input_shape)
        shape = self.down.build(self.input_shape, self.rng, self.dtype)
        if inner is not None:
            shape = inner.build(shape, self.rng, self.dtype)
        shape = self.up.build(shape, self.rng, self.dtype)
        self.output_shape = self.concat.build([self.input_shape, shape], self.rng, self.dtype)


def _unit(nn, conv, norm, activation):
    """[conv, Norm, activation], the normalisation left out with norm 'none'."""
    normalization = {"instance": nn.InstanceNormalization, "batch": nn.BatchNormalization}.get(norm)
    return [conv] + ([normalization()] if normalization else []) + [activation]


def unet_generator(input_shape=(28, 28, 1), output_channels=1, filters=32, residual_blocks=1, norm="instance",
                   rng=None, seed=None, dtype=np.float32, fast=None):
    """G: an image (N, 28, 28, C_in) → an image (N, 28, 28, output_channels) in (−1, 1).

    f = ``filters``; for the default f = 32 on 28×28:

        stem    Conv2D(f, 3×3, s1) → LeakyReLU(0.2)                                  28×28×f
        level 1 down Conv 4×4 s2 → Norm → LReLU                                      14×14×2f
          level 2 down Conv 4×4 s2 → Norm → LReLU                                     7×7×4f
            bottleneck: ``residual_blocks`` ResidualBlock(4f) (Conv 3×3 → IN → ReLU → Conv 3×3 → IN, + x)
          level 2 up ConvT 4×4 s2 → Norm → ReLU, concatenated with level 2's input    14×14×(2f + 2f)
        level 1 up ConvT 4×4 s2 → Norm → ReLU, concatenated with level 1's input      28×28×(f + f)
        head    Conv2D(output_channels, 3×3, s1) → tanh                               28×28×C_out

    Two stride-2 levels, then a bottleneck: 28 → 14 → 7, and a third level would need 7 → 4
    (an odd size, which the transposed convolution cannot map back to 7 exactly) or padding
    every image to 32×32. The authors' U-Net halves 256×256 eight times down to 1×1; here the
    bottleneck's residual blocks at 7×7 widen the receptive field instead: a bottleneck
    position sees 12×12 input pixels after the two levels (3 + 3 + 3·2), and each residual
    block's two 3×3 convolutions (4 pixels apart at 7×7) add 16, so after one block every
    position sees the whole 28×28 image.
    The skips carry the edge map's fine detail past the bottleneck, so the decoder only has
    to add what the edges do not say (shading, texture, fill).

    Differences from the paper, for 28×28 data: a stem convolution (the paper's first level
    convolves the input straight down), instance normalisation by default (the paper's
    BatchNorm at batch size 1 is exactly instance normalisation), no Dropout in the decoder
    (the authors found it adds little stochasticity; without it G is a deterministic map).
    ``norm``: 'instance', 'batch' or 'none'. Weights from N(0, 0.02²).
    """
    if norm not in NORMALIZATIONS:
        raise ValueError(f"unet_generator: argument 'norm' expected one of {NORMALIZATIONS}, received {norm!r}")
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4:
        raise ValueError(f"unet_generator: argument 'input_shape' expected (H, W, C) with H and W divisible by 4 "
                         f"(two stride-2 levels), received {input_shape}")
    for arg, value, low in (("output_channels", output_channels, 1), ("filters", filters, 1),
                            ("residual_blocks", residual_blocks, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"unet_generator: argument '{arg}' expected an int >= {low}, received {value!r}")
    nn = layers_for(fast)
    rng = rng if rng is not None else np.random.default_rng(seed)
    h, w, _ = input_shape
    f = int(filters)
    inner_shape = (h // 4, w // 4, 4 * f)
    blocks = [ResidualBlock(inner_shape, rng=rng, dtype=dtype, fast=fast, name=f"residual_{i}")
              for i in range(residual_blocks)]
    bottleneck = Sequential(blocks, name="bottleneck") if blocks else None
    level2 = UNetLevel((h // 2, w // 2, 2 * f), 4 * f, inner=bottleneck, norm=norm, rng=rng, dtype=dtype, fast=fast,
                       name="level_2")
    level1 = UNetLevel((h, w, f), 2 * f, inner=level2, norm=norm, rng=rng, dtype=dtype, fast=fast, name="level_1")
    return Sequential([
        nn.Conv2D(f, 3, 1, "same", kernel_initializer="normal"), nn.LeakyReLU(0.2),
        level1,
        nn.Conv2D(int(output_channels), 3, 1, "same", kernel_initializer="normal"), nn.Tanh(),
    ], input_shape, rng=rng, dtype=dtype, name="unet_generator")
