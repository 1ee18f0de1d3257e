"""BCE against LSGAN on the ring of 8 Gaussians: modes covered and high-quality samples over many seeds,
at the end of training and along it.

    OPENBLAS_NUM_THREADS=1 python examples/ring_of_gaussians.py          # 10 seeds each, 8,000 steps; runs/ring/
    python examples/ring_of_gaussians.py --seeds 3 --steps 2000           # a quick look
    python examples/ring_of_gaussians.py --losses bce lsgan lsgan-pearson  # the paper's other scheme too

Data (``numpygan.data.ring_of_gaussians``): 8 Gaussians, σ = 0.02, centres on a circle of
radius 2, as in the unrolled-GAN (Metz et al. 2017) and VEEGAN papers; a fresh batch of the
mixture every step.
G: z (256, N(0, I)) → Dense 128 → ReLU → Dense 128 → ReLU → Dense 2 (linear).
D: 2 → Dense 128 → ReLU → Dense 128 → ReLU → Dense 1 (raw output: a logit for BCE, the regressed
value for LSGAN).
The networks and z are those of the unrolled-GAN paper's ring experiment. Its optimiser (Adam
1e-4, β₁ 0.5, batch 512, 25,000 steps; poolio/unrolled_gan, its reference notebook, 1e-3 for G) costs about an
hour of one core for 20 runs here, and at 1e-4 for both nothing has formed after 6,000 steps of
batch 256 (probed on seeds 0 and 1: no mode covered, under 2 % of the samples within 3σ). So
Adam takes 10× larger steps, lr 1e-3 for both, β₁ 0.5, batch 256, for 8,000 steps: long enough that most
BCE runs have settled on most modes by the second half (README: 7 of 8 on average at the end). No
label smoothing, no weight averaging: each objective gets exactly the same networks, initial
weights, data and z for a given seed, and the same number of steps; only the loss differs
(``--loss`` of ``numpygan.training``). The layers are the fast twins (``numpygan.fast``: the
same functions, 4.5 against 6.1 ms per step on a quiet core).

After training, 2,500 samples of G are scored with ``numpygan.metrics.mixture_coverage``
(VEEGAN / PacGAN): a sample is high quality within 3σ of its nearest mode; a mode is covered by
≥ 20 of them here, and the table also gives the papers' own count, a mode with ≥ 1 (which a
generator spraying samples everywhere passes by chance: see ``numpygan.metrics.mixture``).
Every ``--every`` steps (500) G is scored the same way on the same z, and the second half of
those checkpoints gives a stability table (``over_training``: modes covered at a checkpoint,
modes gained or lost between checkpoints, modes visited): a run that stops at a good moment of a
generator hopping from mode to mode looks good at its last step and not along the way. The
script prints the mean ± standard deviation over seeds of each number, and writes
``OUT/ring_LOSS.png`` (one scatter panel per seed, last step) and ``OUT/ring_dynamics.png``
(the first seed of each objective at 8 checkpoints).

A run of 8,000 steps takes about 40 s on a quiet core (4.5 ms a step); the 20 runs took 1,861 s
(55–110 s each) on the 2-core machine while 4–7 other jobs shared it.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from numpygan import Sequential
from numpygan.data import ring_centres, ring_of_gaussians
from numpygan.metrics import mixture_coverage
from numpygan.models import layers_for
from numpygan.training import GANTrainer, TrainConfig, spawn_generators
from numpygan.runtime import blas_threads
from numpygan.training.config import LOSSES

MODES, RADIUS, STD = 8, 2.0, 0.02
EVAL_SAMPLES = 2500
BATCH, LR_G, LR_D, STEPS, EVERY = 256, 1e-3, 1e-3, 8000, 500


def ring_networks(seed, latent_dim=256, hidden=128, fast=True):
    """G z → 128 → 128 → 2 and D 2 → 128 → 128 → 1 (ReLU), weights from ``seed``'s streams;
    layers from the fast twins (``fast=False``: the reference layers, the same functions)."""
    nn = layers_for(fast)
    streams = spawn_generators(seed)
    G = Sequential([nn.Dense(hidden), nn.ReLU(), nn.Dense(hidden), nn.ReLU(), nn.Dense(2)], (latent_dim,),
                   rng=streams["generator"], name="ring_generator")
    D = Sequential([nn.Dense(hidden), nn.ReLU(), nn.Dense(hidden), nn.ReLU(), nn.Dense(1)], (2,),
                   rng=streams["discriminator"], name="ring_discriminator")
    return G, D


class _Trajectory:
    """Callback: every ``every`` steps, G's samples of the fixed evaluation z and their score,
    as ``(step, MixtureCoverage, samples)``."""

    def __init__(self, z, every):
        self.z, self.every, self.points = z, every, []

    def on_step_end(self, trainer, metrics):
        if trainer.step % self.every == 0:
            samples = trainer.generate(self.z).astype(np.float64)
            self.points.append((trainer.step, mixture_coverage(samples, ring_centres(MODES, RADIUS), STD), samples))


def train_ring(loss, seed, steps, batch_size=BATCH, lr_g=LR_G, lr_d=LR_D, latent_dim=256, every=None, fast=True,
               callbacks=()):
    """Train one GAN on the ring for ``steps`` generator steps; return (trainer, 2,500 samples of G).

    With ``every``, G is also scored every ``every`` steps on the same 2,500 z as the final samples:
    ``trainer.trajectory`` is the list of ``(step, MixtureCoverage, samples)`` (empty without).
    ``callbacks``: more trainer callbacks (``benchmarks/examples.py`` times the steps with one).
    """
    config = TrainConfig(dataset="arrays", loss=loss, seed=seed, batch_size=batch_size, lr_g=lr_g, lr_d=lr_d,
                         beta_1=0.5, latent_dim=latent_dim, epochs=1, max_steps=steps, progress=False)
    G, D = ring_networks(seed, latent_dim, fast=fast)
    trainer = GANTrainer(G, D, config)
    data = ring_of_gaussians(steps * batch_size, MODES, RADIUS, STD, rng=np.random.default_rng([seed, 1]))
    z = np.random.default_rng([seed, 2]).standard_normal((EVAL_SAMPLES, latent_dim)).astype(np.float32)
    trajectory = _Trajectory(z, every) if every else None
    trainer.fit(data, callbacks=([trajectory] if trajectory else []) + list(callbacks))
    trainer.trajectory = trajectory.points if trajectory else []
    return trainer, trainer.generate(z).astype(np.float64)


def over_training(trajectory, steps):
    """How steady a run is over the second half of its training, from its checkpoints after step steps/2:

    ``held``: modes covered at a checkpoint, averaged over those checkpoints;
    ``changes``: modes gained or lost from one checkpoint to the next (the size of the symmetric
    difference of the two sets of covered modes), averaged; 0 for a generator that keeps its modes,
    about 2 per checkpoint for one that moves from mode to mode;
    ``visited``: modes covered at one of those checkpoints or more.
    """
    sets = [frozenset(np.flatnonzero(q.counts >= q.min_count)) for step, q, _ in trajectory if step > steps / 2]
    if not sets:
        return None
    changes = [len(a ^ b) for a, b in zip(sets, sets[1:])]
    return {"held": float(np.mean([len(s) for s in sets])), "changes": float(np.mean(changes)) if changes else 0.0,
            "visited": len(frozenset().union(*sets)), "checkpoints": len(sets)}


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
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    for ax, (label, samples) in zip(axes, panels):
        _draw_samples(ax, samples, label)
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.6 / fig.get_figheight(), wspace=0.05,
                        hspace=0.25)
    _atomic_save(path, lambda f: fig.savefig(f, format="png"))
    return str(path)


def _draw_samples(ax, samples, title):
    """G's samples (N, 2) on the square [-3, 3]², each mode's 3σ circle in red."""
    from matplotlib.patches import Circle

    ax.scatter(samples[:, 0], samples[:, 1], s=1, alpha=0.3, color="tab:blue", linewidths=0)
    for centre in ring_centres(MODES, RADIUS):
        ax.add_patch(Circle(centre, 3 * STD, fill=False, color="tab:red", linewidth=0.8))
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)


def save_dynamics(rows, path, title):
    """One row of scatter panels per (label, trajectory): G's samples at up to 8 evenly spaced checkpoints."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from numpygan.training.plots import _atomic_save

    cols = max(min(8, len(points)) for _, points in rows)
    fig = Figure(figsize=(1.9 * cols + 0.5, 2.0 * len(rows) + 0.6), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for (label, points), row in zip(rows, axes):
        picks = np.unique(np.linspace(0, len(points) - 1, cols).round().astype(int))
        for ax in row[len(picks):]:
            ax.set_axis_off()
        for ax, i in zip(row, picks):
            step, quality, samples = points[i]
            _draw_samples(ax, samples, f"step {step}: {quality.modes_covered}/8, {quality.high_quality_fraction:.0%}")
        row[0].set_ylabel(label, fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.01, top=1 - 0.6 / fig.get_figheight(), wspace=0.05,
                        hspace=0.25)
    _atomic_save(path, lambda f: fig.savefig(f, format="png"))
    return str(path)


def run_experiment(losses, seeds, steps, out, batch_size=BATCH, lr_g=LR_G, lr_d=LR_D, latent_dim=256, every=None,
                   log=print):
    """Every loss × seed; returns ``{loss: [trainer per seed]}``, each with ``final`` (the MixtureCoverage of
    its last weights) and ``trajectory``, and writes one PNG per loss plus ``ring_dynamics.png`` (first seed)."""
    results, out = {}, Path(out)
    for loss in losses:
        results[loss], panels = [], []
        for seed in seeds:
            start = time.perf_counter()
            trainer, samples = train_ring(loss, seed, steps, batch_size, lr_g, lr_d, latent_dim, every)
            trainer.final = mixture_coverage(samples, ring_centres(MODES, RADIUS), STD)
            results[loss].append(trainer)
            panels.append((f"seed {seed}: {trainer.final.modes_covered}/8, {trainer.final.high_quality_fraction:.0%}",
                           samples))
            path = " ".join(str(q.modes_covered) for _, q, _ in trainer.trajectory)
            log(f"{loss:>13s} seed {seed:2d}: {trainer.final}  ({time.perf_counter() - start:.1f} s)"
                + (f"\n{'':>22s}modes covered every {every} steps: {path}" if path else ""))
        save_scatter(panels, out / f"ring_{loss.replace('-', '_')}.png",
                     f"{loss}, {steps} steps of batch {batch_size}\n(per seed: modes covered, high-quality share)")
    first = [(loss, runs[0].trajectory) for loss, runs in results.items()]
    if all(points for _, points in first):
        save_dynamics(first, out / "ring_dynamics.png", f"seed {seeds[0]} over training (modes covered)")
    return results


def _mean_sd(values, fmt="{:.2f}", scale=1.0):
    values = scale * np.asarray(values, dtype=np.float64)
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{fmt.format(values.mean())} ± {fmt.format(sd)}"


def table(results, steps):
    """The results as Markdown tables: per loss, mean ± sd over seeds of the final scores, then (when the
    runs were scored along the way) of ``over_training``'s measures."""
    lines = ["| objective | runs | modes covered (≥ 20 of 2,500) | modes with ≥ 1 sample | high-quality samples "
             "| all 8 modes | steps |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for loss, runs in results.items():
        finals = [r.final for r in runs]
        modes = np.array([q.modes_covered for q in finals])
        lines.append(f"| {loss} | {len(runs)} | {_mean_sd(modes)} | {_mean_sd([(q.counts > 0).sum() for q in finals])} "
                     f"| {_mean_sd([q.high_quality_fraction for q in finals], '{:.1f}', 100)} % "
                     f"| {int((modes == MODES).sum())}/{len(runs)} | {steps} |")
    stability = {loss: [over_training(r.trajectory, steps) for r in runs] for loss, runs in results.items()}
    if all(s is not None for runs in stability.values() for s in runs):
        lines += ["", f"| objective (checkpoints after step {steps // 2}) | checkpoints "
                  "| modes covered at a checkpoint | modes gained or lost per checkpoint | modes visited |",
                  "| --- | --- | --- | --- | --- |"]
        for loss, runs in stability.items():
            lines.append(f"| {loss} | {runs[0]['checkpoints']} | {_mean_sd([r['held'] for r in runs])} "
                         f"| {_mean_sd([r['changes'] for r in runs])} | {_mean_sd([r['visited'] for r in runs])} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--losses", nargs="+", choices=LOSSES, default=["bce", "lsgan"],
                        help="objectives to compare (default: bce lsgan)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 .. N-1 per objective (default: 10)")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"generator steps per run (default: {STEPS})")
    parser.add_argument("--batch-size", type=int, default=BATCH, help=f"samples per step (default: {BATCH})")
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam learning rate of G and D both (default: --lr-g and --lr-d)")
    parser.add_argument("--lr-g", type=float, default=LR_G, help=f"Adam learning rate of G (default: {LR_G:g})")
    parser.add_argument("--lr-d", type=float, default=LR_D, help=f"Adam learning rate of D (default: {LR_D:g})")
    parser.add_argument("--latent-dim", type=int, default=256, help="size of z (default: 256)")
    parser.add_argument("--every", type=int, default=EVERY,
                        help=f"score G every N steps too, for the stability table (default: {EVERY}; 0: off)")
    parser.add_argument("--out", default="runs/ring", help="folder for the scatter plots (default: runs/ring)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default: 1)")
    args = parser.parse_args(argv)
    for name in ("seeds", "steps", "batch_size", "latent_dim", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: expected an int >= 1, received {getattr(args, name)}")
    if args.every < 0:
        parser.error(f"--every: expected an int >= 0, received {args.every}")
    if args.lr is not None:
        args.lr_g = args.lr_d = args.lr
    for name in ("lr", "lr_g", "lr_d"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            parser.error(f"--{name.replace('_', '-')}: expected a number > 0, received {value}")
    start = time.perf_counter()
    with blas_threads(args.threads):
        results = run_experiment(args.losses, range(args.seeds), args.steps, args.out, args.batch_size, args.lr_g,
                                 args.lr_d, args.latent_dim, args.every or None)
    print()
    print(table(results, args.steps))
    print(f"\n{len(args.losses) * args.seeds} runs in {time.perf_counter() - start:.0f} s; scatter plots in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
