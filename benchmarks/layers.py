"""Forward and backward time and achieved GFLOP/s of every layer of the reference GANs.

    python benchmarks/layers.py [--batch 128] [--repeats 15] [--models dcgan_g dcgan_d mlp_g mlp_d]

Each layer is fed the activations its own model produces (a real forward of
the layers before it, in training mode) and a random upstream gradient of its
output's shape; forward and backward are timed as a pair (backward needs its
own forward's cache), medians over ``repeats`` after one warm-up. GFLOP/s is
given for the layers that do a matrix product (Dense, Conv2D, Conv2DTranspose),
with the FLOPs counted from the shapes: a product of (m×k)(k×n) is 2mkn FLOP;
backward is two such products (dW and dx) of the forward's size. Element-wise
layers get their time only. The last line is this machine's float32 matmul
rate, the bound each layer's GFLOP/s is to be read against.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:  # `python benchmarks/x.py`: make `benchmarks` and `numpygan` importable
    sys.path.insert(0, _REPO_ROOT)

from benchmarks.common import blas_threads, load_text, machine_description, matmul_gflops  # noqa: E402
from numpygan import models  # noqa: E402
from numpygan.layers import Conv2D, Conv2DTranspose, Dense  # noqa: E402

MODEL_BUILDERS = {
    "dcgan_g": lambda: models.dcgan_generator(seed=0),
    "dcgan_d": lambda: models.dcgan_discriminator(seed=0),
    "mlp_g": lambda: models.mlp_generator(seed=0),
    "mlp_d": lambda: models.mlp_discriminator(seed=0),
}


def gemm_flops(layer, batch):
    """FLOPs of the layer's forward matrix product for ``batch`` samples, or 0 for element-wise layers.

    Dense:            2·N·D_in·D_out
    Conv2D:           2·N·Ho·Wo · (kh·kw·C) · F        (output pixels × window size × filters)
    Conv2DTranspose:  2·N·H·W · C · (kh·kw·F)          (input pixels × channels × window size)
    Backward costs twice the forward (dW and dx), fewer where dW or dx is skipped.
    """
    if isinstance(layer, Dense):
        return 2 * batch * layer.input_shape[0] * layer.units
    if isinstance(layer, Conv2D):
        ho, wo, f = layer.output_shape
        kh, kw = layer.kernel_size
        return 2 * batch * ho * wo * kh * kw * layer.input_shape[2] * f
    if isinstance(layer, Conv2DTranspose):
        h, w, c = layer.input_shape
        kh, kw = layer.kernel_size
        return 2 * batch * h * w * c * kh * kw * layer.filters
    return 0


def time_layers(model, batch, repeats=15, rng=None):
    """Rows ``(name, output shape, forward ms, backward ms, forward FLOP, backward FLOP)`` per layer."""
    rng = rng if rng is not None else np.random.default_rng(0)
    x = rng.standard_normal((batch,) + model.input_shape).astype(model.dtype)
    rows = []
    for index, layer in enumerate(model.layers):
        grad = rng.standard_normal((batch,) + layer.output_shape).astype(model.dtype)
        forward_s, backward_s = [], []
        for rep in range(repeats + 1):  # the first pair is the warm-up
            start = time.perf_counter()
            y = layer.forward(x, training=True)
            middle = time.perf_counter()
            layer.backward(grad)
            end = time.perf_counter()
            if rep:
                forward_s.append(middle - start)
                backward_s.append(end - middle)
        layer.zero_grad()
        flops = gemm_flops(layer, batch)
        rows.append((f"{index}.{layer.name}", str((batch,) + layer.output_shape),
                     1e3 * statistics.median(forward_s), 1e3 * statistics.median(backward_s),
                     flops, 2 * flops))
        x = y
    return rows


def format_layer_rows(title, rows):
    lines = [title,
             f"  {'layer':<22}{'output':<22}{'fwd ms':>9}{'bwd ms':>9}{'fwd GFLOP/s':>13}{'bwd GFLOP/s':>13}"]
    for name, shape, fwd_ms, bwd_ms, fwd_flop, bwd_flop in rows:
        fwd_rate = f"{fwd_flop / fwd_ms / 1e6:.1f}" if fwd_flop else "-"
        bwd_rate = f"{bwd_flop / bwd_ms / 1e6:.1f}" if bwd_flop else "-"
        lines.append(f"  {name:<22}{shape:<22}{fwd_ms:>9.2f}{bwd_ms:>9.2f}{fwd_rate:>13}{bwd_rate:>13}")
    fwd_total = sum(r[2] for r in rows)
    bwd_total = sum(r[3] for r in rows)
    flop_total = sum(r[4] + r[5] for r in rows)
    lines.append(f"  {'total':<44}{fwd_total:>9.2f}{bwd_total:>9.2f}"
                 f"{'':>13}{flop_total / (fwd_total + bwd_total) / 1e6:>13.1f}  (fwd+bwd)")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Per-layer forward/backward ms and GFLOP/s of the reference GANs.")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--models", nargs="+", choices=sorted(MODEL_BUILDERS), default=list(MODEL_BUILDERS))
    args = parser.parse_args(argv)
    print(machine_description())
    print(f"batch {args.batch}, float32, training mode, {blas_threads()} BLAS thread(s) (OPENBLAS_NUM_THREADS), "
          f"median of {args.repeats} after 1 warm-up; load average {load_text()}\n")
    for name in args.models:
        model = MODEL_BUILDERS[name]()
        print(format_layer_rows(f"{name} ({model.name})", time_layers(model, args.batch, args.repeats)))
        print()
    print(f"float32 matmul (1024×1024)² on this machine: {matmul_gflops():.1f} GFLOP/s; load average {load_text()}")


if __name__ == "__main__":
    main()
