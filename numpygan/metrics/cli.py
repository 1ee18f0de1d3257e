"""``numpygan evaluate CHECKPOINT``: every sample-quality metric of a trained generator, as a table.

::

    numpygan evaluate runs/mlp_mnist/checkpoint.npz                       # all metrics, n = 10,000, seed 0
    numpygan evaluate ckpt.npz --metrics fid,score --n 5000 --seed 1 --json results.json
    numpygan evaluate runs/cgan_mnist/checkpoint.npz   # conditional: also label accuracy and FID per class

For the top-level command: ``register(subparsers)`` adds ``evaluate`` with
``set_defaults(func=handler)``; ``handler(args)`` returns the exit code
(0 success, 1 evaluation failed, e.g. missing classifier weights). ``main(argv)``
runs the same thing standalone (``python -m numpygan.metrics.cli evaluate ...``).
"""

import argparse
import json
import os
import sys

from .evaluate import MAX_N, METRICS, METRIC_TITLES, check_metrics


def _metrics_arg(text):
    try:
        return check_metrics(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _int_at_least(minimum):
    """An argparse type: an integer >= minimum."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, received {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, received {value}")
        return value

    return parse


def configure(parser):
    """Add the ``evaluate`` arguments to ``parser`` and set its handler."""
    parser.add_argument("checkpoint", help="a GAN checkpoint (.npz) written by numpygan training")
    parser.add_argument("--metrics", type=_metrics_arg, default=METRICS, metavar="LIST",
                        help="comma-separated subset of: " + ", ".join(f"{m} ({METRIC_TITLES[m]})" for m in METRICS)
                             + " (default: all)")
    parser.add_argument("--n", type=_int_at_least(1), default=10_000,
                        help=f"generated samples (default 10000, the protocol; at most {MAX_N})")
    parser.add_argument("--seed", type=_int_at_least(0), default=0, help="seed of the latent draws (default 0)")
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default=None,
                        help="classifier and real data to compare with (default: the checkpoint's dataset)")
    parser.add_argument("--batch-size", type=_int_at_least(1), default=500, help="images per generator/classifier call")
    parser.add_argument("--classifier", default=None, metavar="PATH",
                        help="classifier weights (default: the cached ones for the dataset, trained on first use)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the real-data column (about halves the time)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the numbers to this JSON file")
    parser.add_argument("--last-weights", action="store_true",
                        help="score G's last weights, not their moving average (runs trained with --ema-decay)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=handler)
    return parser


def register(subparsers):
    """Add the ``evaluate`` command to an ``argparse`` sub-parser set; return its parser."""
    parser = subparsers.add_parser(
        "evaluate", help="measure a trained generator's sample quality",
        description="Parzen log-likelihood (Goodfellow et al. 2014 protocol), classifier FID, classifier score, "
                    "mode coverage and precision/recall of a checkpoint's generator, next to the same "
                    "metrics on real data. Deterministic for a given --seed.")
    return configure(parser)


def handler(args):
    """Run the evaluation described by parsed ``args``; print the table; return the exit code."""
    from .classifier import load_classifier
    from .evaluate import evaluate_generator
    from .from_checkpoint import checkpoint_dataset, checkpoint_notes, load_checkpoint_generator

    try:
        generator_fn, config, labelled_fn = load_checkpoint_generator(args.checkpoint, average=not args.last_weights,
                                                                      labelled=True)
        dataset = checkpoint_dataset(config, args.dataset)
        needs_classifier = any(m != "parzen" for m in args.metrics)
        classifier = None
        if needs_classifier:
            classifier = load_classifier(dataset, path=args.classifier, train_if_missing=True,
                                         log=lambda line: print(line, file=sys.stderr, flush=True))
        result = evaluate_generator(generator_fn, dataset=dataset, metrics=args.metrics, n=args.n, seed=args.seed,
                                    classifier=classifier, batch_size=args.batch_size,
                                    reference=not args.no_reference, progress=not args.no_progress,
                                    notes=checkpoint_notes(config, args.metrics))
        per_class = None
        if labelled_fn is not None:  # a conditional G: does it draw the class it is asked for?
            per_class = _evaluate_classes(labelled_fn, config, dataset, classifier, args)
    except (OSError, ValueError, TypeError) as err:
        print(f"numpygan evaluate: error: {err}", file=sys.stderr)
        return 1
    print(result.table())
    numbers = result.as_dict()
    if per_class is not None:
        print()
        print(per_class.table())
        numbers["conditional"] = per_class.as_dict()
    if args.json:
        _write_text_atomic(args.json, json.dumps(numbers, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _evaluate_classes(labelled_fn, config, dataset, classifier, args):
    """Label accuracy and FID per class (``conditional.evaluate_conditional``), n // 10 samples per class."""
    from .classifier import NUM_CLASSES, load_classifier
    from .conditional import evaluate_conditional

    if config["n_classes"] != NUM_CLASSES:
        raise ValueError(f"checkpoint: the run has {config['n_classes']} classes; the evaluation classifier "
                         f"knows {NUM_CLASSES}")
    if classifier is None:
        classifier = load_classifier(dataset, path=args.classifier, train_if_missing=True,
                                     log=lambda line: print(line, file=sys.stderr, flush=True))
    return evaluate_conditional(labelled_fn, dataset, n_per_class=args.n // NUM_CLASSES, seed=args.seed,
                                classifier=classifier, batch_size=args.batch_size, reference=not args.no_reference)


def _write_text_atomic(path, text):
    tmp = f"{path}.part"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    """``python -m numpygan.metrics.cli evaluate CHECKPOINT ...``."""
    parser = argparse.ArgumentParser(prog="numpygan")
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
