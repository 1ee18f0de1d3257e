"""Image-to-image translation: the building blocks of pix2pix, CycleGAN and StarGAN.

``ResidualBlock``          x + F(x), F = Conv 3×3 → InstanceNorm → ReLU → Conv 3×3 → InstanceNorm
``patchgan_discriminator`` a fully convolutional D whose output is a map of logits, one per image patch
``StarGANGenerator``       StarGAN's G(x, c): one generator for every target domain c (stargan.py)
``StarGANDiscriminator``   StarGAN's D(x) → (real/fake logit map, domain logits)

The layers they use (``InstanceNormalization``) and the L1 loss (``MeanAbsoluteError``)
live with the other layers and losses.
"""

from .patchgan import patchgan_discriminator
from .residual import ResidualBlock

__all__ = ["ResidualBlock", "patchgan_discriminator"]

# StarGAN (Choi et al. 2018)
from .stargan import StarGANDiscriminator, StarGANGenerator  # noqa: E402

__all__ += ["StarGANGenerator", "StarGANDiscriminator"]
