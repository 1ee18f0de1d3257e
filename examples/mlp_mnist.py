"""Train the MLP GAN on MNIST (the main example).

    python examples/mlp_mnist.py                     # defaults: see `--help`; writes runs/mlp_mnist/
    python examples/mlp_mnist.py --epochs 30         # longer
    python examples/mlp_mnist.py --resume            # continue runs/mlp_mnist/checkpoint.npz
    python examples/mlp_mnist.py --dataset fashion --out runs/mlp_fashion_tutorial

G: z (100, N(0, I)) → Dense 256 → 512 → 1024 → 784, LeakyReLU(0.2), tanh; images in [-1, 1].
D: 784 → Dense 1024 → 512 → 256 → 1 logit, LeakyReLU(0.2), Dropout(0.3); real label 0.9.
Adam(β₁ 0.5) for both, non-saturating BCE-with-logits loss; the sample grids come from the moving
average of G's weights (--ema-decay 0.999). Batch 128 with lr 4e-4, 25 epochs: the tutorial's lr 2e-4
at batch 64 scaled with the batch, which reaches a given FID in about half the time (README);
`numpygan train --preset mlp_mnist_tutorial` trains with the tutorial's (batch 64, lr 2e-4, 15 epochs).

Output folder: epoch_NNN.png (fixed-noise grid after each epoch), samples.png,
losses.png, progress.gif, checkpoint.npz. Ctrl-C saves a checkpoint and tells
how to resume. Everything here is argument parsing; the work is in numpygan.training.
"""

import sys

from numpygan.training.command_line import example_main


def main(argv=None):
    return example_main("mlp_mnist", "runs/mlp_mnist", __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
