"""Adapter: a trained GAN checkpoint → the ``generator_fn`` that ``evaluate_generator`` takes.

Uses the trainer's contract: ``numpygan.training.checkpoint.load_generator(path)
-> (generator: Sequential, config: dict)`` and
``numpygan.training.latent.sample_latent(config, n, rng)``. A ``'tanh'``
generator's images in [-1, 1] are mapped to [0, 1] by (x + 1) / 2; a
``'sigmoid'`` one's are already in [0, 1].
"""

import numpy as np

from .classifier import DATASET_NAMES
from .evaluate import METRICS, PARZEN_VALIDATION_ROWS, check_metrics, evaluate_generator

OUTPUT_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def to_unit_range(images, output_activation):
    """Map generator outputs to [0, 1]: (x + 1) / 2 for 'tanh', unchanged for 'sigmoid'.

    Rounding can put a float32 tanh output a hair outside [-1, 1]; the result is
    clipped to [0, 1] so that it passes the metrics' range check.
    """
    if output_activation not in OUTPUT_RANGES:
        raise ValueError(f"output_activation: expected one of {tuple(OUTPUT_RANGES)}, received {output_activation!r}")
    if output_activation == "tanh":
        images = (images + 1.0) * 0.5
    return np.clip(images, 0.0, 1.0)


def generator_fn_from_model(generator, config):
    """``generator_fn(n, rng)`` drawing z by ``sample_latent(config, n, rng)``, images in [0, 1]."""
    from ..training.latent import sample_latent

    activation = config.get("output_activation")
    if activation not in OUTPUT_RANGES:
        raise ValueError(f"config['output_activation']: expected one of {tuple(OUTPUT_RANGES)}, "
                         f"received {activation!r}")

    if str(config.get("model", "")).startswith("cgan-"):
        # a conditional G: the classes in turn (0, 1, ..., 9, 0, ...), so every class is drawn equally often
        labelled = labelled_generator_fn(generator, config)
        return lambda n, rng: labelled(np.arange(n) % config["n_classes"], rng)

    def generator_fn(n, rng):
        z = sample_latent(config, n, rng)
        return to_unit_range(generator.forward(z, training=False), activation)

    return generator_fn


def labelled_generator_fn(generator, config):
    """For a conditional (``cgan-*``) checkpoint: ``generator_fn(labels, rng)``, one image in [0, 1] per
    label with z drawn by ``sample_latent(config, len(labels), rng)`` (``conditional.evaluate_conditional``)."""
    from ..training.latent import sample_latent

    activation = config["output_activation"]

    def generator_fn(labels, rng):
        z = sample_latent(config, len(labels), rng)
        return to_unit_range(generator.forward(z, np.asarray(labels), training=False), activation)

    return generator_fn


def checkpoint_notes(config, metrics=("parzen",)):
    """What the report should say about the checkpoint, and Parzen caveats from how it was trained."""
    notes = []
    model = config.get("model", "?")
    notes.append(f"checkpoint: model {model}, dataset {config.get('dataset')}, epoch {config.get('epoch', '?')}, "
                 f"output {config.get('output_activation')}, trained on rows 0–{_rows_text(config)}"
                 + (", G's moving-average weights" if config.get("weights") == "average" else ""))
    if "parzen" not in metrics:
        return notes
    rows = config.get("train_rows")
    validation_start = PARZEN_VALIDATION_ROWS[0]
    if rows is None:
        notes.append("Parzen: the checkpoint does not record its training rows; the validation rows "
                     f"{validation_start:,}+ may have been seen in training.")
    elif rows > validation_start:
        notes.append(f"Parzen: this run trained on rows up to {rows - 1:,}, which include the validation rows "
                     f"({validation_start:,}–{PARZEN_VALIDATION_ROWS[1] - 1:,}); for the 2014 comparison train "
                     f"on the first 50,000 rows only (holdout_validation).")
    return notes


def _rows_text(config):
    rows = config.get("train_rows")
    return "?" if rows is None else f"{rows - 1:,}"


def load_checkpoint_generator(path, average=True, labelled=False):
    """``(generator_fn, config)`` for a GAN checkpoint written by ``numpygan.training``
    (G's moving-average weights if the run kept them, unless ``average=False``).
    ``labelled``: also return, third, the ``labelled_generator_fn`` of a conditional checkpoint (else None)."""
    from ..training.checkpoint import load_generator

    generator, config = load_generator(path, average=average)
    if not labelled:
        return generator_fn_from_model(generator, config), config
    conditional = str(config.get("model", "")).startswith("cgan-")
    return (generator_fn_from_model(generator, config), config,
            labelled_generator_fn(generator, config) if conditional else None)


def checkpoint_dataset(config, dataset=None):
    """The dataset to evaluate against: ``dataset`` if given, else the run's; it must have a classifier."""
    dataset = dataset or config.get("dataset")
    if str(dataset).lower() not in DATASET_NAMES:
        raise ValueError(f"dataset: the run's dataset {dataset!r} has no classifier; choose 'mnist' or 'fashion'")
    return dataset


def evaluate_checkpoint(path, dataset=None, **kwargs):
    """``evaluate_generator`` on a checkpoint's generator; ``dataset`` defaults to the run's."""
    generator_fn, config = load_checkpoint_generator(path)
    metrics = check_metrics(kwargs.pop("metrics", METRICS))
    notes = list(kwargs.pop("notes", ())) + checkpoint_notes(config, metrics)
    return evaluate_generator(generator_fn, dataset=checkpoint_dataset(config, dataset), metrics=metrics,
                              notes=notes, **kwargs)
