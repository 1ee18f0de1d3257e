"""Command-line flags for a training run, shared by ``numpygan train`` and the example scripts.

Every flag defaults to "not given", so a resumed run starts from the checkpoint's
settings and a new run from a preset; only the flags actually typed change them.
"""

import argparse
import os
import re
import shlex
import sys
from pathlib import Path

from ..models import use_reference_layers
from ..runtime import blas_threads, keep_freed_memory
from .checkpoint import CheckpointError, load_checkpoint
from .config import (D_CONDITIONINGS, FORMS, LATENT_DISTRIBUTIONS, LOSSES, MODELS, OUTPUT_ACTIVATIONS, PRESETS,
                     preset, preset_for)
from .run import CHECKPOINT_NAME, RunSetupError, train
from .run_folder import RunFolderError
from .trainer import NonFiniteLossError

# `--form none`: no named form (TrainConfig.form None), every setting free.
NO_FORM = "none"

# (config field, flag, type, help); store_true / store_false flags have type bool.
FLAGS = (
    ("epochs", "--epochs", int, "passes over the training images"),
    ("batch_size", "--batch-size", int, "images per generator step (D: as many real + fake per step)"),
    ("lr_g", "--lr-g", float, "generator learning rate (Adam)"),
    ("lr_d", "--lr-d", float, "discriminator learning rate (Adam)"),
    ("beta_1", "--beta-1", float, "Adam beta_1"),
    ("seed", "--seed", int, "seed of every random stream (weights, shuffling, z, dropout)"),
    ("loss", "--loss", LOSSES, "bce: non-saturating G loss; minimax: log(1 - D(G(z))); least squares with "
                               "targets (fake, real, G's) = lsgan: (0, 1, 1), lsgan-pearson: (-1, 1, 0)"),
    ("k", "--k", int, "discriminator steps per generator step"),
    ("ema_decay", "--ema-decay", float, "moving average of G's weights for samples and scores (0: off)"),
    ("label_smoothing", "--label-smoothing", float, "one-sided: real target is 1 - this (e.g. 0.1)"),
    ("latent_dim", "--latent-dim", int, "size of z"),
    ("latent_distribution", "--latent-distribution", LATENT_DISTRIBUTIONS, "z ~ N(0, I) or U(-1, 1)"),
    ("form", "--form", tuple(FORMS) + (NO_FORM,),
     "DCGAN form, starting from its preset: keras (tutorial: Dropout D, sigmoid G, [0,1] data), paper "
     "(the tutorial's layers with Radford et al.'s settings: BatchNorm, tanh G, [-1,1] data, N(0, 0.02^2) "
     "weights, no Dropout), radford (those settings on the paper's own layers: transposed convolutions only, "
     "ReLU in G, widths halving), infogan (the radford layers with a 1024-unit Dense layer at the start of G "
     "and before D's output, as InfoGAN's MNIST networks; the default), or none (the default DCGAN's "
     "settings on the tutorial's layers, each free to change)"),
    ("batchnorm", "--batchnorm", bool, "DCGAN: BatchNormalization in G and in D except its first layer (the paper's)"),
    ("output_activation", "--output-activation", OUTPUT_ACTIVATIONS,
     "G's last layer: tanh (data scaled to [-1, 1]) or sigmoid (data in [0, 1])"),
    ("g_filters", "--g-filters", int, "DCGAN generator channels (7x7 map and transposed convolutions; "
                                       "radford, infogan: the 7x7 map, half of it at 14x14)"),
    ("d_filters", "--d-filters", int, "DCGAN discriminator channels (both convolutions; radford, infogan: the "
                                       "last, half of it in the first)"),
    ("g_dropout", "--g-dropout", float, "dropout rate in the MLP generator"),
    ("d_dropout", "--d-dropout", float, "dropout rate in the discriminator"),
    ("holdout_validation", "--holdout-validation", bool,
     "train on MNIST rows 0-49,999 only, keeping 50,000-59,999 for validation (Parzen protocol)"),
    ("data_limit", "--data-limit", int, "train on the first N images only (quick looks, tests)"),
    ("max_steps", "--max-steps", int, "stop after this many generator steps in total"),
    ("checkpoint_every", "--checkpoint-every", int, "write checkpoint.npz every N epochs (0: only at the end)"),
    ("keep_checkpoints", "--keep-checkpoints", bool, "also keep checkpoint_epoch_NNN.npz for every epoch"),
    ("n_samples", "--n-samples", int, "images in the fixed-noise sample grid"),
    ("d_conditioning", "--d-conditioning", D_CONDITIONINGS["mlp"],
     "conditional GAN: the label enters D concatenated to the image (concat, the MLP form's default) or "
     "through a projection head on D's top features (projection; the DCGAN form's only choice)"),
    ("quick_fid", "--quick-fid", int,
     "samples of the quick classifier FID after every epoch, if the classifier is cached (0: off)"),
)


# What a flag left unset means, where the preset holds None for it.
_UNSET_DEFAULTS = {
    "form": f"{PRESETS['dcgan_mnist']['form']} with --model dcgan; the MLP takes none",
    "d_conditioning": "projection with the conditional presets; the unconditional models take none",
    "data_limit": "all the images",
    "max_steps": "no limit",
}


def add_train_arguments(parser, base, default_out, models=False):
    """Add the training flags to ``parser``; ``base`` (a TrainConfig) supplies the defaults shown in help."""
    if models:
        parser.add_argument("--model", choices=MODELS, default=argparse.SUPPRESS,
                            help=f"mlp (Dense G and D) or dcgan (convolutional) (default: {base.model})")
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default=argparse.SUPPRESS,
                        help=f"training images (default: {base.dataset})")
    for field, flag, kind, text in FLAGS:
        default = getattr(base, field)
        if default is None:   # unset in this preset: say what applies instead of "None"
            default = _UNSET_DEFAULTS.get(field, "none")
        if kind is bool:
            parser.add_argument(flag, dest=field, action="store_true", default=argparse.SUPPRESS, help=text)
        elif isinstance(kind, tuple):
            parser.add_argument(flag, dest=field, choices=kind, default=argparse.SUPPRESS,
                                help=f"{text} (default: {default})")
        else:
            parser.add_argument(flag, dest=field, type=kind, default=argparse.SUPPRESS,
                                metavar=flag[2:].upper().replace("-", "_"),
                                help=f"{text} (default: {default})")
    parser.add_argument("--no-d-batchnorm", dest="d_batchnorm", action="store_false", default=argparse.SUPPRESS,
                        help="DCGAN: BatchNorm in G only, not in D (with --batchnorm and --form none)")
    parser.add_argument("--lr", type=float, default=argparse.SUPPRESS,
                        help="set both learning rates (--lr-g / --lr-d take precedence)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=argparse.SUPPRESS,
                        help="no progress bars; print one line per epoch instead")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="threads for the matrix products (OpenBLAS) and the element-wise passes "
                             "(default: $OPENBLAS_NUM_THREADS if set, "
                             "else 1, which is much faster when other programs share the cores; try 2+ on an "
                             "idle machine)")
    parser.add_argument("--reference-layers", action="store_true",
                        help="train with the reference layers and Adam (numpygan.layers, the plain math) instead "
                             "of their fast twins (numpygan.fast): the same functions, slower")
    parser.add_argument("--out", default=None, help=f"output folder (default: {default_out})")
    parser.add_argument("--resume", nargs="?", const=True, default=None, metavar="CHECKPOINT",
                        help=f"continue a run: from CHECKPOINT, or from OUT/{CHECKPOINT_NAME} if none is given")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a new run even if the output folder holds a checkpoint (it is replaced)")
    return parser


def explicit_overrides(args):
    """The config fields the user typed on the command line."""
    fields = [field for field, *_ in FLAGS] + ["model", "dataset", "progress", "d_batchnorm"]
    changes = {field: getattr(args, field) for field in fields if hasattr(args, field)}
    if changes.get("form") == NO_FORM:
        changes["form"] = None
    if hasattr(args, "lr"):
        changes.setdefault("lr_g", args.lr)
        changes.setdefault("lr_d", args.lr)
    return changes


def flag_for(field, args=None):
    """The command-line flag that sets config ``field`` (``--lr`` if the user set both rates with it)."""
    if field in ("lr_g", "lr_d") and args is not None and hasattr(args, "lr") and not hasattr(args, field):
        return "--lr"
    flags = {name: flag for name, flag, *_ in FLAGS}
    return flags.get(field, "--" + field.replace("_", "-"))


def _flag_message(err, args):
    """A TrainConfig validation error, worded with the flag the user typed: 'argument --lr (lr_g): ...'."""
    message = str(err)
    found = re.match(r"TrainConfig\.(\w+):\s*", message)
    if not found:
        return message
    field = found.group(1)
    return f"argument {flag_for(field, args)} ({field}): {message[found.end():]}"


def resume_command(prog, out):
    """The command that continues the run in ``out``, quoted so that it can be pasted into a shell."""
    return f"{prog} --out {shlex.quote(str(out))} --resume"


def run_from_args(args, base, default_out, prog, parser=None):
    """Build the config from ``base`` (or the checkpoint being resumed) plus the typed flags, train,
    and return an exit code: 0 done, 1 failed (bad checkpoint, divergence, no data), 130 interrupted."""
    from ..data import DatasetUnavailableError

    changes = explicit_overrides(args)
    threads = args.threads
    if threads is None and not os.environ.get("OPENBLAS_NUM_THREADS"):
        threads = 1
    if threads is not None and threads < 1:
        _usage_error(parser, f"--threads: expected an int >= 1, received {threads}")
    out = args.out
    if out is not None and not out.strip():
        _usage_error(parser, f"--out: expected a folder, received {out!r}")
    try:
        if args.resume:
            resume_path = Path(args.resume) if args.resume is not True else Path(out or default_out) / CHECKPOINT_NAME
            out = out or str(resume_path.parent)
            base = load_checkpoint(resume_path).config
        out = out or default_out
        try:
            config = base.replace(**changes)
        except (ValueError, TypeError) as err:
            _usage_error(parser, _flag_message(err, args))
        keep_freed_memory()  # large activations reused, not page-faulted anew each step (runtime/memory.py)
        with blas_threads(threads), use_reference_layers(getattr(args, "reference_layers", False)):
            result = train(config, out, resume=args.resume, overwrite=args.overwrite,
                           resume_hint=resume_command(prog, out))
    except (CheckpointError, FileExistsError, FileNotFoundError, NonFiniteLossError, DatasetUnavailableError,
            RunFolderError, RunSetupError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before training started, or a second Ctrl-C (train() said what was kept)
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 130 if result.stopped == "interrupted" else 0


def _usage_error(parser, message):
    if parser is None:
        raise ValueError(str(message))
    parser.error(str(message))  # exits with status 2


def example_main(preset_name, default_out, description, argv=None):
    """``main()`` of an example script: parse ``argv``, train from preset ``preset_name``, return the exit code."""
    prog = f"python {Path(sys.argv[0]).as_posix()}"
    base = preset(preset_name)
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_train_arguments(parser, base, default_out)
    args = parser.parse_args(argv)
    if getattr(args, "form", None) is not None:  # --form starts from that form's preset, on this dataset
        base = _form_base(parser, base.model, getattr(args, "dataset", base.dataset), args.form)
    return run_from_args(args, base, default_out, prog, parser)


def train_command_base(args):
    """The preset ``numpygan train`` starts from: ``--preset`` if given, else the one for ``--model``,
    ``--dataset`` and ``--form``."""
    if getattr(args, "preset", None):
        return preset(args.preset)
    return _form_base(args.parser if hasattr(args, "parser") else None, getattr(args, "model", "mlp"),
                      getattr(args, "dataset", "mnist"), getattr(args, "form", None))


def _form_base(parser, model, dataset, form):
    try:
        if form == NO_FORM:
            return preset_for(model, dataset).replace(form=None)
        return preset_for(model, dataset, form)
    except ValueError as err:
        _usage_error(parser, f"--form: {err}")
