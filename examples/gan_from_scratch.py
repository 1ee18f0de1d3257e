"""The whole MLP GAN training loop in plain numpygan calls: no trainer, read top to bottom.

    python examples/gan_from_scratch.py                  # 5 epochs of MNIST, writes runs/gan_from_scratch.png
    python examples/gan_from_scratch.py --epochs 1 --max-steps 300 --out grid.png
"""

import argparse
import time

import numpy as np

from numpygan import Sequential
from numpygan.data import load_mnist
from numpygan.layers import Dense, Dropout, Flatten, LeakyReLU, Reshape, Tanh
from numpygan.losses import BinaryCrossentropy
from numpygan.optimizers import Adam
from numpygan.training.plots import save_image_grid


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="runs/gan_from_scratch.png")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)  # one generator: weights, dropout masks, z, the epochs' order
    x, _ = load_mnist("train", verbose=False)  # float32 (60000, 28, 28, 1) in [-1, 1], matching tanh
    G = Sequential([Dense(256), LeakyReLU(0.2), Dense(512), LeakyReLU(0.2), Dense(1024), LeakyReLU(0.2),
                    Dense(784), Tanh(), Reshape((28, 28, 1))], input_shape=(100,), rng=rng)
    D = Sequential([Flatten(), Dense(1024), LeakyReLU(0.2), Dropout(0.3), Dense(512), LeakyReLU(0.2), Dropout(0.3),
                    Dense(256), LeakyReLU(0.2), Dropout(0.3), Dense(1)], input_shape=(28, 28, 1), rng=rng)
    g_optimizer = Adam(G.parameters(), lr=2e-4, beta_1=0.5)
    d_optimizer = Adam(D.parameters(), lr=2e-4, beta_1=0.5)
    bce = BinaryCrossentropy(from_logits=True)  # D outputs a logit; σ is folded into the loss

    def noise(n):
        return rng.standard_normal((n, 100)).astype(np.float32)

    b, step, start, fixed_z = args.batch_size, 0, time.perf_counter(), noise(64)
    steps_per_epoch = len(x) // b
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x))
        for i in range(steps_per_epoch):
            if step == args.max_steps:
                break
            # D: real images labelled 0.9 (one-sided label smoothing), fakes 0; G is not trained here
            real, fake = x[order[i * b:(i + 1) * b]], G.forward(noise(b), training=True)
            d_optimizer.zero_grad()
            d_real, grad = bce(D.forward(real, training=True), 0.9)
            D.backward(grad, need_input_grad=False)          # each backward right after its forward
            d_fake, grad = bce(D.forward(fake, training=True), 0.0)
            D.backward(grad, need_input_grad=False)          # gradients of both halves add up
            d_optimizer.step()
            # G: make D call fresh fakes real; dL/d(fake) flows back through D, frozen so it keeps no gradient
            g_optimizer.zero_grad()
            fake = G.forward(noise(b), training=True)
            D.trainable = False
            g_loss, grad = bce(D.forward(fake, training=True), 1.0)
            G.backward(D.backward(grad), need_input_grad=False)  # z is data: no dL/dz
            D.trainable = True
            g_optimizer.step()
            step += 1
            if step % 100 == 0 or step == args.max_steps or i == steps_per_epoch - 1:
                print(f"epoch {epoch}/{args.epochs} step {i + 1}/{steps_per_epoch}  d_loss {d_real + d_fake:.3f}"
                      f"  g_loss {g_loss:.3f}  {time.perf_counter() - start:.0f} s", flush=True)
    save_image_grid(G.forward(fixed_z), args.out, value_range=(-1, 1), nrow=8)
    print(f"done: {step} steps in {time.perf_counter() - start:.0f} s; samples in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
