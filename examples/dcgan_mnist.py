"""Train the Keras-tutorial DCGAN on MNIST.

    python examples/dcgan_mnist.py                   # writes runs/dcgan_mnist/
    python examples/dcgan_mnist.py --resume

G: z (100) → Dense 128·7·7 → LeakyReLU(0.2) → Reshape(7, 7, 128) → Conv2DTranspose(128, 4×4, s2)
   → LeakyReLU → Conv2DTranspose(128, 4×4, s2) → LeakyReLU → Conv2D(1, 7×7) → sigmoid;
   images in [0, 1].
D: Conv2D(64, 3×3, s2) → LeakyReLU(0.2) → Dropout(0.4) → Conv2D(64, 3×3, s2) → LeakyReLU
   → Dropout(0.4) → Flatten → Dense(1) logit; BCE with logits.
Adam(lr 2e-4, β₁ 0.5). --batch-size 128 is split as in the tutorial: each discriminator
step sees 64 real and 64 generated images; each generator step uses 128 z.

This runs on the CPU in pure NumPy: an epoch (937 steps) takes 6-7 minutes with
--threads 2 on an idle 2-core machine, ~12-13 with one thread. FID after 5 epochs (the
default) 99, after 13 epochs 69, after 25 epochs (the Keras tutorial's schedule) 53 with
roughly 35-40 of 64 digits readable (README, Sample quality).
"""

import sys

from numpygan.training.command_line import example_main


def main(argv=None):
    return example_main("dcgan_mnist", "runs/dcgan_mnist", __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
