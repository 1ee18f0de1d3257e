"""The ``numpygan`` command.

::

    numpygan train --model mlp|dcgan --dataset mnist|fashion [--epochs N --batch-size B ...] [--resume]
    numpygan train --preset mlp_mnist_lsgan [...]   (a reference run by name: numpygan.training.PRESETS)
    numpygan sample CHECKPOINT -n 64 -o grid.png [--seed S]
    numpygan sample CGAN_CHECKPOINT --label 7 | --class-grid   (conditional runs: one class; a row per class)
    numpygan data fetch mnist|fashion|all          (numpygan.data.cli)
    numpygan evaluate ...                          (numpygan.metrics.cli, when installed)

``numpygan train -h`` lists every training flag. Exit codes: 0 success, 1 failure,
2 usage error, 130 interrupted (a checkpoint was saved; rerun with ``--resume``).
"""

import argparse
import sys

# Commands whose code lives in other packages, imported only when used (or for --help):
# (command, module, registration function, what the fallback says it does)
PLUGINS = (
    ("data", "numpygan.data.cli", "add_data_subparser", "fetch and manage datasets"),
    ("evaluate", "numpygan.metrics.cli", "register", "evaluate a trained generator (numpygan.metrics)"),
)


def _add_train(subparsers):
    from .training.command_line import add_train_arguments
    from .training.config import PRESETS, preset

    parser = subparsers.add_parser(
        "train", help="train a GAN (MLP or DCGAN) on MNIST or Fashion-MNIST",
        description="Train a GAN; pictures and checkpoints go to --out (default runs/MODEL_DATASET, plus _LOSS "
                    "for other objectives than bce). Defaults come from --preset, else from the reference run "
                    "for --model and --dataset; the flags typed change them.")
    parser.add_argument("--preset", choices=tuple(PRESETS), default=None,
                        help="start from this reference run (e.g. mlp_mnist_lsgan) instead of the one for "
                             "--model and --dataset")
    add_train_arguments(parser, preset("mlp_mnist"), "runs/MODEL_DATASET", models=True)
    parser.set_defaults(func=_train, parser=parser)


def _train(args):
    from .training.command_line import run_from_args, train_command_base

    base = train_command_base(args)
    model, dataset = getattr(args, "model", base.model), getattr(args, "dataset", base.dataset)
    loss = getattr(args, "loss", base.loss)
    out = f"runs/{model}_{dataset}" + ("" if loss == "bce" else f"_{loss.replace('-', '_')}")
    return run_from_args(args, base, out, "numpygan train", args.parser)


def _add_sample(subparsers):
    parser = subparsers.add_parser("sample", help="draw a grid of images from a checkpoint's generator",
                                   description="Draw n images from the generator in CHECKPOINT; save them as a grid.")
    parser.add_argument("checkpoint", help="a checkpoint.npz written by numpygan train or an example")
    parser.add_argument("-n", type=int, default=64, help="number of images (default: 64)")
    parser.add_argument("-o", "--output", default="grid.png",
                        help="picture to write, in the format its extension names: .png, .jpg, .gif, ... "
                             "(default: grid.png)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default: 0)")
    parser.add_argument("--nrow", type=int, default=None, help="images per row (default: square-ish)")
    parser.add_argument("--last-weights", action="store_true",
                        help="use G's last weights, not their moving average (runs trained with --ema-decay)")
    # conditional runs (cgan-*): which labels G draws
    parser.add_argument("--label", type=int, default=None,
                        help="conditional runs: draw n images of this class (default: the classes in turn)")
    parser.add_argument("--class-grid", action="store_true",
                        help="conditional runs: one row per class, each column one z shared by every row (the "
                             "same 'style' across classes); --nrow columns (default 10)")
    parser.set_defaults(func=_sample)


MAX_SAMPLES = 10_000
"""Most images in one grid (a 100 × 100 grid, 6,000 px square at scale 2)."""


def _sample(args):
    import os

    import numpy as np

    from .training import CheckpointError, load_generator, save_image_grid
    from .training.plots import image_format

    problem = _sample_argument_problem(args)
    if problem is None and os.path.isdir(args.output):
        problem = f"-o: {args.output!r} is a folder; expected a picture's file name, e.g. grid.png"
    if problem is None:
        try:
            image_format(args.output)
        except ValueError as err:
            problem = f"-o: {str(err).split(': ', 1)[1]}"
    if problem:
        print(f"numpygan sample: error: {problem}", file=sys.stderr)
        return 2
    folder = os.path.dirname(os.path.abspath(args.output))  # created if missing, as the run folders are
    if os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK):
        print(f"numpygan sample: error: cannot write -o {args.output!r}: {folder!r} is not a writable folder",
              file=sys.stderr)
        return 1
    try:
        generator, config = load_generator(args.checkpoint, average=not args.last_weights)
    except (CheckpointError, FileNotFoundError) as err:
        print(f"numpygan sample: error: {err}", file=sys.stderr)
        return 1
    problem = _label_problem(args, config)
    if problem:
        print(f"numpygan sample: error: {problem}", file=sys.stderr)
        return 2
    z, labels, nrow = _sample_inputs(args, config)
    inputs = (z,) if labels is None else (z, labels)
    images = [generator.forward(*(a[i:i + 1000] for a in inputs), training=False) for i in range(0, len(z), 1000)]
    value_range = (-1.0, 1.0) if config["output_activation"] == "tanh" else (0.0, 1.0)
    try:
        save_image_grid(images[0] if len(images) == 1 else np.concatenate(images), args.output,
                        value_range=value_range, nrow=nrow)
    except OSError as err:
        print(f"numpygan sample: error: cannot write -o {args.output!r}: {err.strerror or err}", file=sys.stderr)
        return 1
    what = ("class grid" if args.class_grid else f"samples of class {args.label}" if args.label is not None
            else "samples")
    print(f"{len(z)} {what} from {args.checkpoint} ({config['model']}, {config['dataset']}, epoch "
          f"{config['epoch']}{', moving-average weights' if config['weights'] == 'average' else ''}) -> {args.output}")
    return 0


def _label_problem(args, config):
    """What is wrong with ``--label`` / ``--class-grid`` for this checkpoint, or None."""
    conditional = config["model"].startswith("cgan-")
    flag = "--label" if args.label is not None else "--class-grid" if args.class_grid else None
    if flag and not conditional:
        return f"{flag}: expected a conditional (cgan-*) checkpoint, received model {config['model']!r}"
    if args.label is not None and args.class_grid:
        return "--label: expected either --label or --class-grid, received both"
    if args.label is not None and not 0 <= args.label < config["n_classes"]:
        return f"--label: expected an int in [0, {config['n_classes']}) (the run's classes), received {args.label}"
    return None


def _sample_inputs(args, config):
    """``(z, labels, nrow)``: G's inputs (labels None for an unconditional G) and the grid's images per row.

    A class grid has n_classes rows of ``--nrow`` columns (default 10): row c is class c, and column j
    is the same z_j in every row.
    """
    import numpy as np

    from .training import sample_latent

    if not config["model"].startswith("cgan-"):
        return sample_latent(config, args.n, args.seed), None, args.nrow
    classes = config["n_classes"]
    if args.class_grid:
        columns = args.nrow or 10
        z = sample_latent(config, columns, args.seed)
        return np.tile(z, (classes, 1)), np.repeat(np.arange(classes), columns), columns
    labels = np.full(args.n, args.label) if args.label is not None else np.arange(args.n) % classes
    return sample_latent(config, args.n, args.seed), labels, args.nrow


def _sample_argument_problem(args):
    """What is wrong with ``numpygan sample``'s numbers, or None."""
    if not 1 <= args.n <= MAX_SAMPLES:
        return f"-n: expected an int in [1, {MAX_SAMPLES}], received {args.n}"
    if args.seed < 0:
        return f"--seed: expected an int >= 0, received {args.seed}"
    if args.nrow is not None and args.nrow < 1:
        return f"--nrow: expected an int >= 1, received {args.nrow}"
    return None


def _add_plugin(subparsers, command, module_name, function, help_text, load):
    """Register ``command`` from ``module_name`` if ``load``; otherwise (or if it is absent) a stand-in
    that explains why the command cannot run."""
    problem = None
    if load:
        import importlib

        try:
            register = getattr(importlib.import_module(module_name), function)
        except ModuleNotFoundError as err:
            if err.name is None or not module_name.startswith(err.name):
                raise  # the module is there but one of its own imports is missing: show the real error
            problem = f"{module_name} is not available in this installation ({err})"
        except AttributeError:
            problem = f"{module_name} does not define {function}(subparsers)"
        else:
            register(subparsers)
            return
    parser = subparsers.add_parser(command, help=help_text + ("" if problem is None else " [unavailable]"),
                                   add_help=False)
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.set_defaults(func=lambda args: _unavailable(command, problem))


def _unavailable(command, problem):
    print(f"numpygan {command}: error: {problem or 'not loaded'}", file=sys.stderr)
    return 1


def build_parser(argv=()):
    """The ``numpygan`` parser. Plugin commands are imported only if ``argv`` asks for them or for help."""
    parser = argparse.ArgumentParser(prog="numpygan", description="GANs from scratch in pure NumPy.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    _add_train(subparsers)
    _add_sample(subparsers)
    wants_help = not argv or argv[0] in ("-h", "--help")
    for command, module_name, function, help_text in PLUGINS:
        _add_plugin(subparsers, command, module_name, function, help_text,
                    load=wants_help or (len(argv) > 0 and argv[0] == command))
    return parser


def main(argv=None):
    """Run ``numpygan ARGS``; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error (already printed)
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except SystemExit as exc:  # a usage error found after parsing (e.g. an invalid combination of flags)
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("\nnumpygan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
