"""A quick classifier FID after every epoch, to watch sample quality while a GAN trains.

``QuickFID(n)`` is a trainer callback: after each epoch (and, with ``every_steps``,
every that many generator steps) it draws ``n`` images (default 2,000) from the
generator the run samples from (G's moving average with ``ema_decay``), each time
from the same z (``numpy.random.default_rng(seed)``), and computes

    FID_quick = d²(N(μ_G, Σ_G), N(μ_test, Σ_test))

in the evaluation classifier's penultimate features (``numpygan.metrics``:
``Classifier.features``, ``feature_statistics``, ``frechet_distance``), against
all 10,000 test images (their statistics are computed once per run). It is
recorded with ``trainer.record_evaluation("quick_fid", value)`` (kept in the
checkpoint, drawn in ``losses.png``, shown on the progress line).

It is a trend, not the score: with n = 2,000 the estimate sits above the
10,000-sample FID of ``numpygan evaluate`` (the finite-sample bias of FID falls
roughly like 1/n), and it is not comparable across sample counts.

If no trained classifier is cached for the run's dataset it is skipped, with
one line saying how to train it; on dataset ``"arrays"`` (no classifier) it is
skipped silently. Nothing is ever trained here.
"""

import time

import numpy as np

from .latent import sample_latent

NAME = "quick_fid"
DEFAULT_SAMPLES = 2000
CLASSIFIER_DATASETS = ("mnist", "fashion")


def load_classifier(dataset):
    """The cached evaluation classifier for ``dataset`` (FileNotFoundError if it is not cached)."""
    from ..metrics import load_classifier as load

    return load(dataset)


def load_test_images(dataset):
    """The dataset's 10,000 test images in [0, 1], float32 (N, 28, 28, 1)."""
    from ..data import load_dataset

    return load_dataset(dataset, "test", value_range=(0.0, 1.0), verbose=False)[0]


class QuickFID:
    """Trainer callback: a classifier FID of ``n`` samples after every epoch (see the module docstring).

    Parameters
    ----------
    dataset : 'mnist' or 'fashion' (anything else: off, silently)
    n : int, samples per measurement (more than the classifier's 128 features)
    seed : int, seed of the fixed z
    every_steps : int, optional; also measure every this many generator steps
    classifier, reference : optional; a ``Classifier`` and the (μ, Σ) of the real features,
        instead of the cached classifier and the test images (tests, other data)
    batch_size : int, images per generator and classifier pass
    log : callable, receives the one-line notes and (with progress bars) each value
    """

    def __init__(self, dataset, n=DEFAULT_SAMPLES, seed=0, every_steps=None, classifier=None, reference=None,
                 batch_size=500, log=print):
        from ..metrics.classifier import FEATURE_DIM

        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= FEATURE_DIM:
            raise ValueError(f"QuickFID: argument 'n' expected an int > {FEATURE_DIM} (the classifier's "
                             f"features), received {n!r}")
        if every_steps is not None and (isinstance(every_steps, bool) or not isinstance(every_steps, int)
                                        or every_steps < 1):
            raise ValueError(f"QuickFID: argument 'every_steps' expected None or an int >= 1, "
                             f"received {every_steps!r}")
        self.dataset, self.n, self.seed, self.every_steps = dataset, int(n), seed, every_steps
        self.classifier, self.reference, self.batch_size, self.log = classifier, reference, batch_size, log
        self.available = None   # None: not prepared yet; then True or False
        self.seconds = 0.0      # time of the last measurement

    def prepare(self):
        """Load the classifier and the real statistics once; False (with a note) if there is no classifier."""
        if self.available is not None:
            return self.available
        from ..metrics import feature_statistics, weights_path

        if self.classifier is None:
            if self.dataset not in CLASSIFIER_DATASETS:
                self.available = False
                return False
            try:
                self.classifier = load_classifier(self.dataset)
            except FileNotFoundError:
                self.log(f"quick FID: skipped, no cached {self.dataset} classifier at "
                         f"{weights_path(self.dataset)} (train it once: python examples/train_classifier.py "
                         f"--dataset {self.dataset})")
                self.available = False
                return False
        if self.reference is None:
            features = self.classifier.features(load_test_images(self.dataset), self.batch_size)
            self.reference = feature_statistics(features, "test features")
        self.available = True
        return True

    def measure(self, trainer):
        """FID_quick of ``trainer``'s generator now (float), or None without a classifier."""
        from ..metrics import feature_statistics, frechet_distance
        from ..metrics.from_checkpoint import to_unit_range

        if not self.prepare():
            return None
        start = time.perf_counter()
        z = sample_latent(trainer.config, self.n, np.random.default_rng(self.seed))
        images = np.concatenate([to_unit_range(trainer.generate(z[i:i + self.batch_size]),
                                               trainer.config.output_activation)
                                 for i in range(0, self.n, self.batch_size)])
        mu, sigma = feature_statistics(self.classifier.features(images, self.batch_size), "sample features")
        value = frechet_distance(mu, sigma, *self.reference)
        self.seconds = time.perf_counter() - start
        return value

    def record(self, trainer):
        """Measure and record at ``trainer.step`` (once per step: an epoch end may also be an ``every_steps``)."""
        recorded = trainer.evaluations.get(NAME, [])
        if recorded and recorded[-1][0] == trainer.step:
            return recorded[-1][1]
        value = self.measure(trainer)
        if value is not None:
            trainer.record_evaluation(NAME, value)
            if trainer.config.progress:  # without bars, the epoch summary line shows it
                self.log(f"step {trainer.step}: quick FID {value:.2f} ({self.n:,} samples, {self.seconds:.1f} s)")
        return value

    def on_step_end(self, trainer, metrics):
        if self.every_steps and trainer.step % self.every_steps == 0:
            self.record(trainer)

    def on_epoch_end(self, trainer):
        self.record(trainer)


def quick_fid_for(config, log=print):
    """The QuickFID callback a run of ``config`` uses, or None (``config.quick_fid == 0``)."""
    return QuickFID(config.dataset, config.quick_fid, log=log) if config.quick_fid else None
