"""Image-to-image translation: the building blocks of pix2pix, CycleGAN and StarGAN.

``ResidualBlock``          x + F(x), F = Conv 3×3 → InstanceNorm → ReLU → Conv 3×3 → InstanceNorm
``patchgan_discriminator`` a fully convolutional D whose output is a map of logits, one per image patch

The layers they use (``InstanceNormalization``) and the L1 loss (``MeanAbsoluteError``)
live with the other layers and losses.

CycleGAN (``numpygan.training.cyclegan``):

``resnet_generator``       c7s1-k → d2k → d4k → n × ResidualBlock → u2k → uk → c7s1-C → tanh
``ImagePool``              the history buffer of generated images D is trained on
"""

from .patchgan import patchgan_discriminator
from .residual import ResidualBlock

# -- CycleGAN
from .image_pool import ImagePool
from .resnet_generator import resnet_generator

__all__ = ["ResidualBlock", "patchgan_discriminator"]
__all__ += ["ImagePool", "resnet_generator"]   # CycleGAN
