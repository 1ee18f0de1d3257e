"""Optional PyTorch reference timings for the numpygan benchmarks.

This module is an *optional* comparison only: PyTorch is never a requirement
of numpygan, its tests, or its examples.  The module can be imported without
torch installed (torch is imported lazily inside the functions); call
:func:`torch_available` first to find out whether the comparison can run.

It builds, in PyTorch (native NCHW layout, float32), the same two reference
architectures that numpygan benchmarks, and times ONE training iteration:

* D step: one D forward/backward on the stacked real batch (label 1) and fake
  batch (label 0, generated from fresh ``z`` with G detached), BCE-with-logits
  on each half, one Adam step on D (numpygan's trainer stacks them too when D
  has no BatchNorm; the gradients equal two separate passes).
* G step: fresh ``z``, G forward, D forward, non-saturating loss
  ``BCE(D(G(z)), 1)``, backward into G only, one Adam step on G (D's
  parameters are not updated; they are temporarily set to
  ``requires_grad=False`` so autograd computes only the input gradients
  through D, not D's weight gradients).

Both optimisers are ``Adam(lr=2e-4, betas=(0.5, 0.999))``.  Inputs are random
tensors of the right shape; no dataset is needed.

Architectures
-------------
MLP GAN
    G: z(100) -> Linear 256 -> LeakyReLU(0.2) -> Linear 512 -> LeakyReLU(0.2)
       -> Linear 1024 -> LeakyReLU(0.2) -> Linear 784 -> tanh.
    D: 784 -> Linear 1024 -> LeakyReLU(0.2) -> Dropout(0.3) -> Linear 512
       -> LeakyReLU(0.2) -> Dropout(0.3) -> Linear 256 -> LeakyReLU(0.2)
       -> Dropout(0.3) -> Linear 1 (logit).
DCGAN (Keras tutorial form, 28x28x1)
    D: Conv2d(1->64, 3x3, s2, p1) 28->14 -> LeakyReLU(0.2) -> Dropout(0.4)
       -> Conv2d(64->64, 3x3, s2, p1) 14->7 -> LeakyReLU(0.2) -> Dropout(0.4)
       -> Flatten -> Linear(64*7*7 -> 1) (logit).
    G: Linear(100 -> 128*7*7) -> LeakyReLU(0.2) -> Reshape(128, 7, 7)
       -> ConvTranspose2d(128->128, 4x4, s2, p1) 7->14 -> LeakyReLU(0.2)
       -> ConvTranspose2d(128->128, 4x4, s2, p1) 14->28 -> LeakyReLU(0.2)
       -> Conv2d(128->1, 7x7, p3) -> sigmoid.

Usage
-----
As a library::

    from benchmarks.torch_reference import torch_available, time_torch_iteration
    if torch_available():
        print(time_torch_iteration("mlp", batch=128, threads=2))

From the command line (prints a small table)::

    python benchmarks/torch_reference.py [--threads N] [--repeats R]
        [--warmup W] [--dcgan-batches 128 [64 256 ...]]

To install torch for a local measurement only: ``pip install torch`` (a CPU
build); it is not listed in any of numpygan's requirements.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from typing import Any, Callable, Dict, List, Tuple

__all__ = [
    "LATENT_DIM",
    "MODELS",
    "torch_available",
    "build_models",
    "make_train_step",
    "time_torch_iteration",
    "main",
]

#: Size of the latent vector ``z`` fed to both generators.
LATENT_DIM = 100

#: Model names accepted by :func:`build_models` / :func:`time_torch_iteration`.
MODELS = ("mlp", "dcgan")

#: Adam hyper-parameters used for both G and D.
ADAM_LR = 2e-4
ADAM_BETAS = (0.5, 0.999)


def torch_available() -> bool:
    """Return ``True`` if PyTorch can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # pragma: no cover - defensive
        return False


def _require_torch():
    """Import and return the ``torch`` module, with a helpful error if absent."""
    try:
        import torch  # noqa: WPS433 (lazy import on purpose)
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise ImportError(
            "PyTorch is not installed; the torch comparison is optional. "
            "Install a CPU build locally (e.g. `pip install torch`) to run it."
        ) from exc
    return torch


def build_models(model: str) -> Tuple[Any, Any, Tuple[int, ...]]:
    """Build the PyTorch reference generator and discriminator.

    Parameters
    ----------
    model:
        ``"mlp"`` or ``"dcgan"``.

    Returns
    -------
    (generator, discriminator, sample_shape)
        ``sample_shape`` is the shape of one real/fake sample without the batch
        axis: ``(784,)`` for the MLP GAN, ``(1, 28, 28)`` for the DCGAN.
    """
    torch = _require_torch()
    nn = torch.nn

    if model == "mlp":
        generator = nn.Sequential(
            nn.Linear(LATENT_DIM, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 1024),
            nn.LeakyReLU(0.2),
            nn.Linear(1024, 784),
            nn.Tanh(),
        )
        discriminator = nn.Sequential(
            nn.Linear(784, 1024),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(1024, 512),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(256, 1),
        )
        sample_shape: Tuple[int, ...] = (784,)
    elif model == "dcgan":
        generator = nn.Sequential(
            nn.Linear(LATENT_DIM, 128 * 7 * 7),
            nn.LeakyReLU(0.2),
            nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 128, kernel_size=4, stride=2, padding=1),  # 7 -> 14
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(128, 128, kernel_size=4, stride=2, padding=1),  # 14 -> 28
            nn.LeakyReLU(0.2),
            nn.Conv2d(128, 1, kernel_size=7, padding=3),  # 28 -> 28
            nn.Sigmoid(),
        )
        discriminator = nn.Sequential(
            nn.Conv2d(1, 64, kernel_size=3, stride=2, padding=1),  # 28 -> 14
            nn.LeakyReLU(0.2),
            nn.Dropout(0.4),
            nn.Conv2d(64, 64, kernel_size=3, stride=2, padding=1),  # 14 -> 7
            nn.LeakyReLU(0.2),
            nn.Dropout(0.4),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 1),
        )
        sample_shape = (1, 28, 28)
    else:
        raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")

    generator = generator.float().train()
    discriminator = discriminator.float().train()
    return generator, discriminator, sample_shape


def make_train_step(model: str, batch: int, seed: int = 0) -> Callable[[], Tuple[float, float]]:
    """Build models, optimisers and inputs; return a zero-argument train step.

    Each call of the returned function performs one full GAN iteration (one D
    step on a real and a fake batch, then one G step) and returns
    ``(d_loss, g_loss)`` as Python floats.
    """
    if batch <= 0:
        raise ValueError("batch must be positive")
    torch = _require_torch()
    torch.manual_seed(seed)

    generator, discriminator, sample_shape = build_models(model)
    opt_g = torch.optim.Adam(generator.parameters(), lr=ADAM_LR, betas=ADAM_BETAS)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=ADAM_LR, betas=ADAM_BETAS)
    bce = torch.nn.BCEWithLogitsLoss()

    # Random "real" data in the generator's output range; no dataset needed.
    real = torch.rand((batch,) + sample_shape, dtype=torch.float32)
    if model == "mlp":
        real = real * 2.0 - 1.0  # tanh range
    ones = torch.ones(batch, 1, dtype=torch.float32)
    zeros = torch.zeros(batch, 1, dtype=torch.float32)

    def step() -> Tuple[float, float]:
        # ---- D step: real (label 1) + fake (label 0), Adam on D only.
        opt_d.zero_grad(set_to_none=True)
        z = torch.randn(batch, LATENT_DIM, dtype=torch.float32)
        with torch.no_grad():
            fake = generator(z)
        # One pass over [real; fake], as numpygan's trainer does for a D without
        # BatchNorm (the reference models have none): the same gradients as two passes.
        out = discriminator(torch.cat([real, fake]))
        loss_real = bce(out[:batch], ones)
        loss_fake = bce(out[batch:], zeros)
        (loss_real + loss_fake).backward()
        opt_d.step()

        # ---- G step: fresh z, non-saturating loss, gradients into G only.
        opt_g.zero_grad(set_to_none=True)
        for p in discriminator.parameters():
            p.requires_grad_(False)
        z = torch.randn(batch, LATENT_DIM, dtype=torch.float32)
        loss_g = bce(discriminator(generator(z)), ones)
        loss_g.backward()
        opt_g.step()
        for p in discriminator.parameters():
            p.requires_grad_(True)

        return float(loss_real.detach() + loss_fake.detach()), float(loss_g.detach())

    return step


def time_torch_iteration(
    model: str,
    batch: int,
    threads: int = 2,
    repeats: int = 5,
    warmup: int = 2,
) -> Dict[str, Any]:
    """Time one PyTorch GAN training iteration on the CPU.

    Parameters
    ----------
    model:
        ``"mlp"`` or ``"dcgan"``.
    batch:
        Batch size (used for the real batch, the fake batch and the G batch).
    threads:
        Passed to ``torch.set_num_threads`` (intra-op threads).
    repeats:
        Number of timed iterations; the median and minimum are reported.
    warmup:
        Number of untimed iterations run first.

    Returns
    -------
    dict
        ``{"median_ms", "min_ms", "samples_per_s", "torch_version"}`` plus the
        echo fields ``model``, ``batch``, ``threads``, ``repeats``.
        ``samples_per_s`` is ``batch / median`` (real samples per second).
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    if warmup < 0:
        raise ValueError("warmup must be >= 0")
    torch = _require_torch()

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        step = make_train_step(model, batch)
        for _ in range(warmup):
            step()
        times: List[float] = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(previous_threads)

    median_s = statistics.median(times)
    return {
        "model": model,
        "batch": int(batch),
        "threads": int(threads),
        "repeats": int(repeats),
        "median_ms": median_s * 1e3,
        "min_ms": min(times) * 1e3,
        "samples_per_s": batch / median_s,
        "torch_version": torch.__version__,
    }


def main(argv: List[str] | None = None) -> int:
    """Command-line entry point: print a small timing table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--mlp-batches", type=int, nargs="*", default=[64, 128, 256])
    parser.add_argument("--dcgan-batches", type=int, nargs="*", default=[128])
    args = parser.parse_args(argv)

    if not torch_available():
        print("PyTorch is not installed; the optional torch comparison is skipped.")
        return 0

    runs = [("mlp", b) for b in args.mlp_batches] + [("dcgan", b) for b in args.dcgan_batches]
    header = f"{'model':<6} {'batch':>5} {'median ms':>10} {'min ms':>10} {'samples/s':>10}"
    version = None
    lines = []
    for model, batch in runs:
        r = time_torch_iteration(
            model, batch, threads=args.threads, repeats=args.repeats, warmup=args.warmup
        )
        version = r["torch_version"]
        lines.append(
            f"{model:<6} {batch:>5} {r['median_ms']:>10.1f} {r['min_ms']:>10.1f} "
            f"{r['samples_per_s']:>10.0f}"
        )
        if len(lines) == 1:
            print(f"PyTorch {version}, {args.threads} threads, float32, "
                  f"median of {args.repeats} after {args.warmup} warm-up")
            print(header)
        print(lines[-1], flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
