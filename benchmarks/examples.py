"""How long a user waits for each example: its training step, per epoch and for the whole default run.

    python benchmarks/examples.py                        # every example, one BLAS thread (as they default)
    python benchmarks/examples.py --threads 1 2          # and with two
    python benchmarks/examples.py --only mlp_mnist dcgan_mnist --steps 10

What is timed: one training step of each example in its default configuration,
i.e. what the example's ``trainer.fit`` counts per step into ``train_seconds``
(the real batch gathered from the shuffled training set, then ``train_step``: k
discriminator updates and one generator update, Adam, the moving average of G).
The trainer is built as the example builds it (its own builder functions and
``numpygan.training``'s, imported, not copied), on the real training data from the
cache (``~/.cache/numpygan``; downloaded there on first use), and it trains through
``fit`` itself, so with the CPU's flush-to-zero mode on as every example trains
(``numpygan/runtime/denormals.py``), with glibc keeping freed memory as the examples
ask (``numpygan/runtime/memory.py``) and with ``--threads`` threads for OpenBLAS
and for the element-wise passes (``numpygan.runtime.blas_threads``). After
``--warmup`` untimed steps, the median of ``--steps`` steps is the step time;
``(cpu)`` is the median CPU time of the process per step (above the wall time with
two threads at work; far below it, the process waited for a core).

Per epoch: that median times the example's steps per epoch (its trainer's
``steps_per_epoch`` on its training set); the default run: times the steps of the
example's default epochs. **Training steps only**: the quick FID after each epoch
(the MNIST/Fashion presets, when the evaluation classifier is cached), the epoch's
sample grid, loss plot and checkpoint, the final test-split evaluation (pix2pix,
CycleGAN, StarGAN) and loading the data are not included, nor, for the ring, the
scoring of G every 500 steps. The models are fresh: a trained model's step costs
the same only because ``fit`` flushes subnormal floats (benchmarks/README.md).

The ring of Gaussians has no epochs over a data set: each run draws 8,000 steps of
fresh samples; its row gives the steps of one run as "per epoch" and the example's
20 runs (BCE and LSGAN, 10 seeds each; both objectives cost the same per step) as
its default run. BCE, seed 0, is timed.

Each configuration runs in a worker process of its own started after the thread
count is exported (OMP/OPENBLAS/MKL_NUM_THREADS: OpenBLAS reads it when NumPy
loads), as in ``run.py``. On a machine shared with other work the wall times grow
with the load printed after each row; two-thread timings collapse when another
process holds a core (README).
"""

import argparse
import dataclasses
import importlib.util
import multiprocessing
import os
import statistics
import sys
import time
from typing import Callable, Optional

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:  # `python benchmarks/x.py`: make `benchmarks` and `numpygan` importable
    sys.path.insert(0, _REPO_ROOT)

EXAMPLES_DIR = os.path.join(_REPO_ROOT, "examples")
RING_RUNS = 2 * 10
"""Runs of ``examples/ring_of_gaussians.py`` by default: ``--losses bce lsgan``, ``--seeds 10``."""


@dataclasses.dataclass
class Example:
    """One row of the table: ``command`` is what the user types; ``build(data_limit)`` gives its Setup."""

    name: str
    command: str
    build: Callable


@dataclasses.dataclass
class Setup:
    """An example ready to train: ``train(max_steps, callbacks)`` runs its ``fit`` from step 0."""

    train: Callable
    batch: int
    steps_per_epoch: int
    epochs: int
    max_steps: Optional[int] = None


def load_example(name):
    """The module ``examples/NAME.py`` (the examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES_DIR, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fit_setup(trainer, x, y=None):
    """The Setup of ``trainer`` fitting images ``x`` (and ``y``: labels, domains or target images)."""
    config = trainer.config

    def train(max_steps, callbacks):
        trainer.fit(x, y=y, max_steps=max_steps, callbacks=callbacks, progress=False)

    return Setup(train, config.batch_size, trainer.steps_per_epoch(len(x)), config.epochs, config.max_steps)


# -- each example, built as it builds itself ----------------------------------------------------------------
def preset_example(config_of):
    """``build`` of an example that trains a TrainConfig with ``numpygan.training.run.train`` (the preset
    examples and ``numpygan train``): its data, G and D, and trainer, as ``train`` makes them."""

    def build(data_limit=None):
        from numpygan.training import build_gan
        from numpygan.training import data as training_data
        from numpygan.training.conditional import trainer_for

        config = config_of().replace(data_limit=data_limit)
        images = training_data.load_training_images(config, verbose=False)
        labels = training_data.load_training_labels(config) if config.conditional else None
        config = config.replace(train_rows=len(images))
        trainer = trainer_for(*build_gan(config), config)
        return fit_setup(trainer, images, labels)

    return build


def _preset(name):
    def config_of():
        from numpygan.training.config import preset

        return preset(name)

    return config_of


def _dcgan_form(form):
    def config_of():  # what `--form FORM` starts from (command_line._form_base)
        from numpygan.training.config import preset_for

        return preset_for("dcgan", "mnist", form)

    return config_of


def pix2pix_example(argv):
    def build(data_limit=None):
        from numpygan.data.edges import load_fashion_edges

        module = load_example("pix2pix_fashion_edges")
        args = module.build_parser().parse_args(argv + (["--limit", str(data_limit)] if data_limit else []))
        config, l1_weight, adversarial, architecture = module.new_run_settings(args)
        edges, images, _ = load_fashion_edges("train", module.VALUE_RANGE, limit=config.data_limit, verbose=False)
        config = config.replace(train_rows=len(edges))
        return fit_setup(module.build_trainer(config, l1_weight, adversarial, architecture), edges, images)

    return build


def cyclegan_example(data_limit=None):
    module = load_example("cyclegan_fashion")
    settings, run = dict(module.DEFAULTS), dict(module.RUN_DEFAULTS, data_limit=data_limit)
    domains = module.load_domains(settings["class_a"], settings["class_b"], run["data_limit"])
    config = module.train_config(module.parse_args([]), run, len(domains["train_a"]))
    return fit_setup(module.build(settings, config, domains["train_b"]), domains["train_a"])


def stargan_example(data_limit=None):
    module = load_example("stargan_fashion")
    args = module.parse_args(["--data-limit", str(data_limit)] if data_limit else [])
    x, domains = module.load_domains("train")
    if args.data_limit is not None:
        x, domains = x[:args.data_limit], domains[:args.data_limit]
    config = module.train_config(args, len(x))
    # the per-epoch grid's inputs: never used by a step
    trainer = module.build_trainer(config, module.fixed_inputs(x, domains, 1))
    return fit_setup(trainer, x, domains)


def ring_example(data_limit=None):
    module = load_example("ring_of_gaussians")

    def train(max_steps, callbacks):
        module.train_ring("bce", 0, max_steps, callbacks=callbacks)

    return Setup(train, module.BATCH, module.STEPS, RING_RUNS)


EXAMPLES = {e.name: e for e in (
    Example("mlp_mnist", "python examples/mlp_mnist.py", preset_example(_preset("mlp_mnist"))),
    Example("mlp_fashion", "python examples/mlp_fashion.py", preset_example(_preset("mlp_fashion"))),
    Example("dcgan_mnist", "python examples/dcgan_mnist.py", preset_example(_preset("dcgan_mnist"))),
    Example("dcgan_keras", "python examples/dcgan_mnist.py --form keras", preset_example(_dcgan_form("keras"))),
    Example("cgan_mnist", "python examples/cgan_mnist.py", preset_example(_preset("cgan_mnist"))),
    Example("cgan_fashion", "numpygan train --preset cgan_fashion", preset_example(_preset("cgan_fashion"))),
    Example("pix2pix", "python examples/pix2pix_fashion_edges.py", pix2pix_example([])),
    Example("pix2pix_l1", "python examples/pix2pix_fashion_edges.py --l1-only", pix2pix_example(["--l1-only"])),
    Example("cyclegan", "python examples/cyclegan_fashion.py", cyclegan_example),
    Example("stargan", "python examples/stargan_fashion.py", stargan_example),
    Example("ring", "python examples/ring_of_gaussians.py", ring_example),
)}
"""The examples by ``--only`` name, in the table's order."""

PRESET_OF = {"mlp_mnist": "mlp_mnist", "mlp_fashion": "mlp_fashion", "dcgan_mnist": "dcgan_mnist",
             "cgan_mnist": "cgan_mnist"}
"""The preset each example script hands to ``example_main`` (checked by tests/test_benchmarks.py)."""


# -- timing ----------------------------------------------------------------------------------------------
class StepTimes:
    """``fit`` callback: each step's seconds as ``fit`` counts them (the growth of ``train_seconds``: the
    batch and ``train_step``), and the process's CPU seconds from one step's end to the next."""

    def __init__(self):
        self.wall, self.cpu = [], []
        self._last = (0.0, time.process_time())   # a fresh trainer's train_seconds is 0

    def on_step_end(self, trainer, metrics):
        now = (trainer.train_seconds, time.process_time())
        self.wall.append(now[0] - self._last[0])
        self.cpu.append(now[1] - self._last[1])
        self._last = now


def measure(name, steps=20, warmup=3, data_limit=None):
    """Build example ``name`` and time ``warmup`` + ``steps`` steps of its ``fit``; return its row:
    ``{"name", "command", "batch", "ms", "cpu_ms", "steps_per_epoch", "s_per_epoch", "epochs",
    "run_steps", "run_minutes"}`` (``data_limit``: train on the first rows only, for tests)."""
    from benchmarks.common import median_ms

    if name not in EXAMPLES:
        raise ValueError(f"measure: argument 'name' expected one of {tuple(EXAMPLES)}, received {name!r}")
    if steps < 1 or warmup < 0:
        raise ValueError(f"measure: expected steps >= 1 and warmup >= 0, received steps={steps}, warmup={warmup}")
    example = EXAMPLES[name]
    setup = example.build(data_limit)
    times = StepTimes()
    setup.train(warmup + steps, [times])
    if len(times.wall) != warmup + steps:
        raise RuntimeError(f"{name}: fit stopped after {len(times.wall)} steps, {warmup + steps} were asked "
                           f"(an epoch has {setup.steps_per_epoch})")
    ms = median_ms(times.wall[warmup:])
    run_steps = setup.epochs * setup.steps_per_epoch
    if setup.max_steps is not None:
        run_steps = min(run_steps, setup.max_steps)
    return {"name": name, "command": example.command, "batch": setup.batch, "ms": ms,
            "cpu_ms": median_ms(times.cpu[warmup:]), "steps_per_epoch": setup.steps_per_epoch,
            "s_per_epoch": ms * setup.steps_per_epoch / 1e3, "epochs": setup.epochs, "run_steps": run_steps,
            "run_minutes": ms * run_steps / 6e4}


def _worker(conn, name, steps, warmup, threads):
    """In a child process (the thread count already in its environment): one example's row, or the error."""
    try:
        from numpygan.runtime import blas_threads, keep_freed_memory

        keep_freed_memory()   # as the examples and `numpygan train` do
        with blas_threads(threads):
            row = measure(name, steps, warmup)
        conn.send(dict(row, threads=threads))
    except Exception as err:  # report to the parent instead of dying silently
        conn.send(("error", f"{type(err).__name__}: {err}"))


# -- report --------------------------------------------------------------------------------------------------
COMMAND_WIDTH = max(len(e.command) for e in EXAMPLES.values())


def format_header():
    return (f"{'example':<{COMMAND_WIDTH}}{'threads':>8}{'batch':>6}{'ms/step':>9}{'(cpu)':>7}{'steps/epoch':>12}"
            f"{'s/epoch':>9}{'epochs':>7}{'default run':>13}")


def format_row(row):
    return (f"{row['command']:<{COMMAND_WIDTH}}{row['threads']:>8}{row['batch']:>6}{row['ms']:>9.1f}"
            f"{row['cpu_ms']:>7.0f}{row['steps_per_epoch']:>12,}{row['s_per_epoch']:>9.1f}{row['epochs']:>7}"
            f"{row['run_minutes']:>9.1f} min")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time per training step, per epoch and per default run of each "
                                                 "example, in its default configuration on the real data.")
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="BLAS and element-wise thread counts to run, each in fresh workers (default: 1, "
                             "the examples' default)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per example (default: 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before them (default: 3)")
    parser.add_argument("--only", nargs="+", choices=tuple(EXAMPLES), default=None, metavar="NAME",
                        help=f"these examples only: {', '.join(EXAMPLES)}")
    args = parser.parse_args(argv)
    if any(t < 1 for t in args.threads):
        parser.error(f"argument --threads: every count must be >= 1, received {args.threads}")
    if args.steps < 1:
        parser.error(f"argument --steps: expected an int >= 1, received {args.steps}")
    if args.warmup < 0:
        parser.error(f"argument --warmup: expected an int >= 0, received {args.warmup}")

    from benchmarks.common import blas_report, load_text, machine_description
    from benchmarks.run import run_in_worker, set_threads

    context = multiprocessing.get_context("spawn")
    print(machine_description())
    print("\n".join(blas_report()))
    print(f"load average at start: {load_text()}")
    print(f"Training steps of fresh models on the real data, median of {args.steps} after {args.warmup} "
          f"untimed; per epoch and default run: that median times the steps (no evaluation, pictures or "
          f"checkpoints)\n")
    print(format_header(), flush=True)
    failed = 0
    for threads in args.threads:
        set_threads(threads)
        for name in args.only or EXAMPLES:
            try:
                row = run_in_worker(context, _worker, name, args.steps, args.warmup, threads)
            except (RuntimeError, EOFError) as err:  # the error the worker reported, or its death
                failed += 1
                print(f"{EXAMPLES[name].command:<{COMMAND_WIDTH}}{threads:>8}  failed: {err}", flush=True)
                continue
            print(f"{format_row(row)}   (load {load_text()})", flush=True)
    if "ring" in (args.only or EXAMPLES):
        print(f"\nring: steps/epoch = one run's steps, epochs = the {RING_RUNS} runs of the default experiment")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
