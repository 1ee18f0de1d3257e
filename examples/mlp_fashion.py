"""Train the second MLP GAN form on Fashion-MNIST.

    python examples/mlp_fashion.py                   # writes runs/mlp_fashion/
    python examples/mlp_fashion.py --resume

The form with Dropout in both networks:
G: z (100, N(0, I)) → Dense 256 → 512 → 1024 → 784, LeakyReLU(0.2) and Dropout(0.3) after
   each hidden layer, tanh output; images in [-1, 1]. Samples are drawn with dropout off.
D: 784 → Dense 1024 → 512 → 256 → 1 logit, LeakyReLU(0.2), Dropout(0.3); BCE with logits.
Adam(lr 2e-4, β₁ 0.5), real label 0.9; the sample grids come from the moving average of G's
weights (--ema-decay 0.999). Fashion-MNIST needs more epochs than MNIST for crisp items.
"""

import sys

from numpygan.training.command_line import example_main


def main(argv=None):
    return example_main("mlp_fashion", "runs/mlp_fashion", __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
