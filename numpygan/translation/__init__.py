"""Image-to-image translation: the building blocks of pix2pix, CycleGAN and StarGAN.

``ResidualBlock``          x + F(x), F = Conv 3×3 → InstanceNorm → ReLU → Conv 3×3 → InstanceNorm
``patchgan_discriminator`` a fully convolutional D whose output is a map of logits, one per image patch
``unet_generator``         pix2pix's G: two U-Net levels (``UNetLevel``) with skips, residual blocks between

The layers they use (``InstanceNormalization``) and the L1 loss (``MeanAbsoluteError``)
live with the other layers and losses.
"""

from .patchgan import patchgan_discriminator
from .residual import ResidualBlock

# pix2pix
from .unet import UNetLevel, unet_generator

__all__ = ["ResidualBlock", "patchgan_discriminator"]
__all__ += ["UNetLevel", "unet_generator"]  # pix2pix
