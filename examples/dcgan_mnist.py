"""Train the default DCGAN on MNIST: the DCGAN paper's own layers (form "radford").

    python examples/dcgan_mnist.py                   # writes runs/dcgan_mnist/
    python examples/dcgan_mnist.py --resume
    python examples/dcgan_mnist.py --form keras      # the Keras-tutorial form
    python examples/dcgan_mnist.py --form paper      # the tutorial's layers with the paper's settings

G: z (100) → Dense 64·7·7 → BatchNorm → ReLU → Reshape(7, 7, 64)
   → Conv2DTranspose(32, 4×4, s2) → BatchNorm → ReLU → Conv2DTranspose(1, 4×4, s2) → tanh;
   images in [-1, 1].
D: Conv2D(32, 4×4, s2) → LeakyReLU(0.2) → Conv2D(64, 4×4, s2) → BatchNorm → LeakyReLU
   → Flatten → Dense(1) logit; BCE with logits; no Dropout. Weights N(0, 0.02²) (Radford et al. 2015).
Adam(lr 1.6e-3, β₁ 0.5); samples from the moving average of G's weights. --batch-size 128 is
split as in the Keras tutorial: each discriminator step sees 64 real and 64 generated images
(each batch normalised on its own); each generator step uses 128 z. 8 epochs (7,496 steps).

Chosen from measurements (README, "The DCGAN"): per minute of training this form and rate
reached a given quick FID several times sooner than the tutorial's layers (the default before
2026-12-01: G 64 / D 128 channels at Adam 4e-4, with a 7×7 convolution at 28×28). A quick FID of
2,000 samples is printed, kept in the checkpoint and drawn in losses.png after every epoch once
the evaluation classifier is cached.
Variants: --form keras|paper|radford|none, --batchnorm, --no-d-batchnorm, --output-activation,
--lr-g / --lr-d, --g-filters / --d-filters.
"""

import sys

from numpygan.training.command_line import example_main


def main(argv=None):
    return example_main("dcgan_mnist", "runs/dcgan_mnist", __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
