"""Which images a run trains on."""

import numpy as np

HOLDOUT_ROWS = slice(50_000, 60_000)
"""MNIST training rows kept out of training by ``holdout_validation`` (the Parzen-window protocol's
validation set); the run then trains on rows 0–49,999."""


def select_rows(images, config):
    """The training rows of ``images`` for ``config``: rows 0 .. n − 1, where n is cut to
    ``HOLDOUT_ROWS.start`` by ``holdout_validation`` and then to ``data_limit``."""
    n = len(images)
    if config.holdout_validation:
        if n <= HOLDOUT_ROWS.start:
            raise ValueError(f"holdout_validation: needs more than {HOLDOUT_ROWS.start} training rows, "
                             f"the data has {n}")
        n = HOLDOUT_ROWS.start
    if config.data_limit is not None:
        n = min(n, config.data_limit)
    return images[:n]


def load_training_images(config, verbose=True):
    """float32 (N, 28, 28, 1) training images for ``config.dataset``, scaled to
    ``config.value_range`` ([-1, 1] for a tanh generator, [0, 1] for sigmoid), rows as in ``select_rows``."""
    from ..data import load_fashion_mnist, load_mnist

    loaders = {"mnist": load_mnist, "fashion": load_fashion_mnist}
    if config.dataset not in loaders:
        raise ValueError(f"load_training_images: dataset {config.dataset!r} is not loaded from disk; "
                         f"pass the images to the trainer directly")
    images, _ = loaders[config.dataset]("train", value_range=config.value_range, verbose=verbose)
    return np.ascontiguousarray(select_rows(images, config))


def load_training_labels(config, verbose=False):
    """int64 (N,) class labels of the rows ``load_training_images(config)`` returns (a conditional GAN's y)."""
    from ..data import load_dataset

    if config.dataset not in ("mnist", "fashion"):
        raise ValueError(f"load_training_labels: dataset {config.dataset!r} is not loaded from disk; "
                         f"pass the labels to the trainer directly")
    _, labels = load_dataset(config.dataset, "train", verbose=verbose)
    return np.ascontiguousarray(select_rows(labels, config), dtype=np.int64)
