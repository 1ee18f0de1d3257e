"""Train the conditional GAN on MNIST: G(z, y) draws the digit y, D(x, y) judges image and label together.

    python examples/cgan_mnist.py                     # defaults: see `--help`; writes runs/cgan_mnist/
    python examples/cgan_mnist.py --resume            # continue runs/cgan_mnist/checkpoint.npz
    python examples/cgan_mnist.py --dataset fashion --out runs/cgan_fashion
    numpygan sample runs/cgan_mnist/checkpoint.npz --class-grid -o classes.png   # one row per class
    numpygan evaluate runs/cgan_mnist/checkpoint.npz  # + label accuracy and FID per class

The MLP GAN at the tutorial's settings (batch 64, `numpygan train --preset mlp_mnist_tutorial`) with a
label (Mirza & Osindero 2014):
G: [z (100, N(0, I)) | Embedding(10, 50)(y)] → Dense 256 → 512 → 1024 → 784, LeakyReLU(0.2), tanh.
D: h = Flatten(x) → Dense 1024 → 512 → 256, LeakyReLU(0.2), Dropout(0.3) after each; logit = ψ(h) + ⟨E[y], h⟩,
a projection head (Miyato & Koyama 2018; `--d-conditioning concat` puts [Flatten(x) | Embedding(10, 50)(y)]
into D instead). Real label 0.9. Adam(lr 2e-4, β₁ 0.5), non-saturating BCE; D sees each real batch with
its labels and as many fakes drawn for the same labels; G trains on labels drawn uniformly. 30 epochs
(28,110 steps). The grids (100 samples, each row the ten classes) come from the moving average of G's weights.

Output folder: epoch_NNN.png, samples.png, losses.png, progress.gif, checkpoint.npz (as the other
examples; `numpygan train --model cgan-mlp` runs the same). The work is in numpygan.training.
"""

import sys

from numpygan.training.command_line import example_main


def main(argv=None):
    return example_main("cgan_mnist", "runs/cgan_mnist", __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
