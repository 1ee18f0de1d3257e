"""Train the default DCGAN on MNIST: the DCGAN paper's layers with InfoGAN's hidden layers (form "infogan").

    python examples/dcgan_mnist.py                   # writes runs/dcgan_mnist/
    python examples/dcgan_mnist.py --resume --epochs 16   # continue the same run, bit for bit
    python examples/dcgan_mnist.py --form radford    # the DCGAN paper's layers alone (the default until 2026-12-02)
    python examples/dcgan_mnist.py --form keras      # the Keras-tutorial form
    python examples/dcgan_mnist.py --form paper      # the tutorial's layers with the paper's settings

G: z (100) → Dense 1024 → BatchNorm → ReLU → Dense 64·7·7 → BatchNorm → ReLU → Reshape(7, 7, 64)
   → Conv2DTranspose(32, 4×4, s2) → BatchNorm → ReLU → Conv2DTranspose(1, 4×4, s2) → tanh;
   images in [-1, 1].
D: Conv2D(32, 4×4, s2) → LeakyReLU(0.2) → Conv2D(64, 4×4, s2) → BatchNorm → LeakyReLU
   → Flatten → Dense 1024 → BatchNorm → LeakyReLU → Dense(1) logit; BCE with logits; no Dropout.
   Weights N(0, 0.02²) (Radford et al. 2015); the hidden Dense layers are InfoGAN's (Chen et al. 2016).
Adam β₁ 0.5 with G's rate twice D's (3.2e-3 and 1.6e-3); samples from the moving average of G's
weights, with BatchNorm statistics recomputed for the average. --batch-size 128 is split as in the
Keras tutorial: each discriminator step sees 64 real and 64 generated images (each batch normalised
on its own); each generator step uses 128 z. 8 epochs (7,496 steps).

Chosen from measurements (README, "The DCGAN"): per minute of training, the hidden layers took the
quick FID after one epoch from 66 (the paper's layers alone) to under 10. A quick FID of 2,000
samples is printed, kept in the checkpoint and drawn in losses.png after every epoch once the
evaluation classifier is cached.
Variants: --form keras|paper|radford|infogan|none, --batchnorm, --no-d-batchnorm, --output-activation,
--lr-g / --lr-d, --g-filters / --d-filters.
"""

import sys

from numpygan.training.command_line import example_main


def main(argv=None):
    return example_main("dcgan_mnist", "runs/dcgan_mnist", __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
