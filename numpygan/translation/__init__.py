"""Image-to-image translation: the building blocks of pix2pix, CycleGAN and StarGAN.

``ResidualBlock``          x + F(x), F = Conv 3×3 → InstanceNorm → ReLU → Conv 3×3 → InstanceNorm
``patchgan_discriminator`` a fully convolutional D whose output is a map of logits, one per image patch
``unet_generator``         pix2pix's G: two U-Net levels (``UNetLevel``) with skips, residual blocks between
``resnet_generator``       CycleGAN's G: c7s1-k → d2k → d4k → n × ResidualBlock → u2k → uk → c7s1-C → tanh
``ImagePool``              CycleGAN's history buffer of generated images D is trained on
``StarGANGenerator``       StarGAN's G(x, c): one generator for every target domain c
``StarGANDiscriminator``   StarGAN's D(x) → (real/fake logit map, domain logits)

The layers they use (``InstanceNormalization``) and the L1 loss (``MeanAbsoluteError``)
live with the other layers and losses; the trainers in ``numpygan.training``
(``pix2pix``, ``cyclegan``, ``stargan``).
"""

from .image_pool import ImagePool
from .patchgan import patchgan_discriminator
from .residual import ResidualBlock
from .resnet_generator import resnet_generator
from .stargan import StarGANDiscriminator, StarGANGenerator
from .unet import UNetLevel, unet_generator

__all__ = ["ResidualBlock", "patchgan_discriminator", "UNetLevel", "unet_generator", "resnet_generator", "ImagePool",
           "StarGANGenerator", "StarGANDiscriminator"]
