"""BCE against LSGAN on the ring of 8 Gaussians: modes covered and high-quality samples over many seeds.

    OPENBLAS_NUM_THREADS=1 python examples/ring_of_gaussians.py          # 10 seeds each (~5-7 min), writes runs/ring/
    python examples/ring_of_gaussians.py --seeds 3 --steps 500            # a quick look
    python examples/ring_of_gaussians.py --losses bce lsgan lsgan-pearson  # the paper's other scheme too

Data (``numpygan.data.ring_of_gaussians``): 8 Gaussians, σ = 0.02, centres on a circle of
radius 2, as in the unrolled-GAN and VEEGAN papers; a fresh batch of the mixture every step.
G: z (256, N(0, I)) → Dense 128 → ReLU → Dense 128 → ReLU → Dense 2 (linear).
D: 2 → Dense 128 → ReLU → Dense 128 → ReLU → Dense 1 (raw output: a logit for BCE, the regressed
value for LSGAN).
Adam (lr 1e-3 for both, β₁ 0.5), batch 256, no label smoothing, no weight averaging: each
objective gets exactly the same networks, initial weights, data and z for a given seed, and
the same number of steps; only the loss differs (``--loss`` of ``numpygan.training``).

After training, 2,500 samples of G are scored with ``numpygan.metrics.mixture_coverage``
(VEEGAN / PacGAN): a sample is high quality within 3σ of its nearest mode, and a mode is
covered by ≥ 20 of them. The script prints, per objective, the mean ± standard deviation over
seeds of both numbers, and writes ``OUT/ring_LOSS.png``: one scatter panel per seed.

A run of 2,000 steps takes 14 s on one core of the 2-core CI-class machine (7 ms per step),
17-26 s while other jobs share the cores: the 20 runs took 413 s there.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from numpygan import Sequential
from numpygan.data import ring_centres, ring_of_gaussians
from numpygan.layers import Dense, ReLU
from numpygan.metrics import mixture_coverage
from numpygan.training import GANTrainer, TrainConfig, spawn_generators
from numpygan.runtime import blas_threads
from numpygan.training.config import LOSSES

MODES, RADIUS, STD = 8, 2.0, 0.02
EVAL_SAMPLES = 2500


def ring_networks(seed, latent_dim=256, hidden=128):
    """G z → 128 → 128 → 2 and D 2 → 128 → 128 → 1 (ReLU), weights from ``seed``'s streams."""
    streams = spawn_generators(seed)
    G = Sequential([Dense(hidden), ReLU(), Dense(hidden), ReLU(), Dense(2)], (latent_dim,),
                   rng=streams["generator"], name="ring_generator")
    D = Sequential([Dense(hidden), ReLU(), Dense(hidden), ReLU(), Dense(1)], (2,),
                   rng=streams["discriminator"], name="ring_discriminator")
    return G, D


def train_ring(loss, seed, steps, batch_size=256, lr=1e-3, latent_dim=256):
    """Train one GAN on the ring for ``steps`` generator steps; return (trainer, 2,500 samples of G)."""
    config = TrainConfig(dataset="arrays", loss=loss, seed=seed, batch_size=batch_size, lr_g=lr, lr_d=lr,
                         beta_1=0.5, latent_dim=latent_dim, epochs=1, max_steps=steps, progress=False)
    G, D = ring_networks(seed, latent_dim)
    trainer = GANTrainer(G, D, config)
    data = ring_of_gaussians(steps * batch_size, MODES, RADIUS, STD, rng=np.random.default_rng([seed, 1]))
    trainer.fit(data)
    z = np.random.default_rng([seed, 2]).standard_normal((EVAL_SAMPLES, latent_dim)).astype(np.float32)
    return trainer, trainer.generate(z).astype(np.float64)


def save_scatter(panels, path, title):
    """One scatter panel per (label, samples (N, 2)), data centres and 3σ circles marked, as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from numpygan.training.plots import _atomic_save

    cols = min(5, len(panels))
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(2.4 * cols, 2.5 * rows + 0.6), dpi=100)
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    centres = ring_centres(MODES, RADIUS)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    for ax, (label, samples) in zip(axes, panels):
        ax.scatter(samples[:, 0], samples[:, 1], s=1, alpha=0.3, color="tab:blue", linewidths=0)
        for cx, cy in centres:
            ax.add_patch(_circle((cx, cy), 3 * STD))
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(label, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.6 / fig.get_figheight(), wspace=0.05,
                        hspace=0.25)
    _atomic_save(path, lambda f: fig.savefig(f, format="png"))
    return str(path)


def _circle(centre, radius):
    from matplotlib.patches import Circle

    return Circle(centre, radius, fill=False, color="tab:red", linewidth=0.8)


def run_experiment(losses, seeds, steps, out, batch_size=256, lr=1e-3, latent_dim=256, log=print):
    """Every loss × seed; returns ``{loss: [MixtureCoverage per seed]}`` and writes one PNG per loss."""
    results = {}
    for loss in losses:
        results[loss], panels = [], []
        for seed in seeds:
            start = time.perf_counter()
            _, samples = train_ring(loss, seed, steps, batch_size, lr, latent_dim)
            quality = mixture_coverage(samples, ring_centres(MODES, RADIUS), STD)
            results[loss].append(quality)
            panels.append((f"seed {seed}: {quality.modes_covered}/8, {quality.high_quality_fraction:.0%}", samples))
            log(f"{loss:>13s} seed {seed:2d}: {quality}  ({time.perf_counter() - start:.1f} s)")
        save_scatter(panels, Path(out) / f"ring_{loss.replace('-', '_')}.png",
                     f"{loss}, {steps} steps of batch {batch_size}\n(per seed: modes covered, high-quality share)")
    return results


def table(results, steps):
    """The results as a Markdown table: per loss, mean ± std over seeds of both metrics."""
    lines = [f"| objective | runs | modes covered (of 8) | high-quality samples | all 8 modes | steps |",
             "| --- | --- | --- | --- | --- | --- |"]
    for loss, runs in results.items():
        modes = np.array([r.modes_covered for r in runs], dtype=np.float64)
        good = np.array([r.high_quality_fraction for r in runs])
        lines.append(f"| {loss} | {len(runs)} | {modes.mean():.2f} ± {modes.std(ddof=1) if len(runs) > 1 else 0:.2f} "
                     f"| {100 * good.mean():.1f} % ± {100 * (good.std(ddof=1) if len(runs) > 1 else 0):.1f} "
                     f"| {int((modes == MODES).sum())}/{len(runs)} | {steps} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--losses", nargs="+", choices=LOSSES, default=["bce", "lsgan"],
                        help="objectives to compare (default: bce lsgan)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 .. N-1 per objective (default: 10)")
    parser.add_argument("--steps", type=int, default=2000, help="generator steps per run (default: 2000)")
    parser.add_argument("--batch-size", type=int, default=256, help="samples per step (default: 256)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of G and D (default: 1e-3)")
    parser.add_argument("--latent-dim", type=int, default=256, help="size of z (default: 256)")
    parser.add_argument("--out", default="runs/ring", help="folder for the scatter plots (default: runs/ring)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default: 1)")
    args = parser.parse_args(argv)
    for name in ("seeds", "steps", "batch_size", "latent_dim", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: expected an int >= 1, received {getattr(args, name)}")
    if not args.lr > 0:
        parser.error(f"--lr: expected a number > 0, received {args.lr}")
    start = time.perf_counter()
    with blas_threads(args.threads):
        results = run_experiment(args.losses, range(args.seeds), args.steps, args.out, args.batch_size, args.lr,
                                 args.latent_dim)
    print()
    print(table(results, args.steps))
    print(f"\n{len(args.losses) * args.seeds} runs in {time.perf_counter() - start:.0f} s; scatter plots in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
