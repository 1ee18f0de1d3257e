"""How well a conditional generator G(z, y) draws the class it is asked for: label accuracy and FID per class.

``evaluate_conditional(generator_fn, dataset)`` takes ``generator_fn(labels, rng) -> images``
(float (n, 28, 28, 1) in [0, 1], one image per label; ``from_checkpoint`` adapts a
``cgan-*`` checkpoint to it), draws ``n_per_class`` images of every class c, and measures
with the evaluation classifier (``classifier.py``):

    label accuracy_c = #{samples for class c that the classifier assigns to c} / n_per_class
    FID_c            = FID(classifier features of the samples for class c,
                           features of the test images of class c)

and overall: the accuracy over all samples, and the FID of all of them against all test
images (the same measure as ``evaluate``'s FID, on class-balanced samples). The real-data
column is the same two numbers for real images: the classifier's accuracy on the test
images of class c (the ceiling of the label accuracy), and the FID of the first
``n_per_class`` training images of class c against the test images of class c (the floor).

FID needs more images than the classifier has features (128) in every class: the test sets
hold 892–1,135 images per class (MNIST) and 1,000 (Fashion-MNIST). A per-class FID is
measured on fewer images than the overall one, so it sits higher (FID's finite-sample bias);
compare it with the real-data floor next to it, not with the overall FID.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from ..data import load_dataset
from ..data.datasets import FASHION_MNIST_CLASSES
from ._checks import check_images, check_positive_int
from .classifier import FEATURE_DIM, NUM_CLASSES, canonical_dataset, load_classifier
from .frechet import fid_from_features

_OWNER = "evaluate_conditional"


def class_names(dataset):
    """Names of the ten classes: the digits, or Fashion-MNIST's garments."""
    return FASHION_MNIST_CLASSES if canonical_dataset(dataset) == "fashion" else tuple(str(c) for c in range(10))


@dataclass
class ConditionalEvaluation:
    """Every number ``evaluate_conditional`` measured; arrays have one entry per class."""

    dataset: str
    n_per_class: int
    seed: int
    accuracy: np.ndarray                  # label accuracy of the samples of each class
    fid: np.ndarray                       # FID of each class's samples vs its test images
    overall_accuracy: float
    overall_fid: float
    real_accuracy: np.ndarray = None      # the classifier on the test images of each class
    real_fid: np.ndarray = None           # training vs test images of each class
    real_overall_accuracy: float = None
    real_overall_fid: float = None
    seconds: dict = field(default_factory=dict)

    def rows(self):
        """Table rows (class, label accuracy, real, FID, real) as strings; the last row is overall."""
        names = class_names(self.dataset)
        real = self.real_accuracy is not None

        def row(name, acc, fid, real_acc, real_fid):
            return (name, f"{100 * acc:.1f} %", f"{100 * real_acc:.1f} %" if real else "—", f"{fid:.2f}",
                    f"{real_fid:.2f}" if real else "—")

        rows = [row(f"{c} {names[c]}" if names[c] != str(c) else str(c), self.accuracy[c], self.fid[c],
                    self.real_accuracy[c] if real else None, self.real_fid[c] if real else None)
                for c in range(len(self.accuracy))]
        rows.append(row("overall", self.overall_accuracy, self.overall_fid, self.real_overall_accuracy,
                        self.real_overall_fid))
        return rows

    def table(self):
        """The results as an aligned text table."""
        header = ("class", "label accuracy", "real data", "FID (vs test, class)", "real data")
        body = self.rows()
        widths = [max(len(r[i]) for r in [header] + body) for i in range(5)]
        fmt = lambda r: "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])])
        rule = "─" * len(fmt(header))
        lines = [f"{self.dataset}, conditional: {self.n_per_class:,} samples per class, seed {self.seed}", rule,
                 fmt(header), rule]
        lines += [fmt(r) for r in body[:-1]] + [rule, fmt(body[-1]), rule]
        lines.append("label accuracy: the share of the samples drawn for a class that the evaluation classifier "
                     "assigns to it (real data: the classifier on that class's test images). FID per class: the "
                     "class's samples vs its test images (real data: as many training images of the class); "
                     "overall: all samples vs all test images.")
        return "\n".join(lines)

    def as_dict(self):
        """Plain numbers, for JSON; per-class lists are indexed by label."""
        optional = lambda a: None if a is None else [float(v) for v in a]
        return {
            "dataset": self.dataset, "n_per_class": self.n_per_class, "seed": self.seed,
            "classes": list(class_names(self.dataset)),
            "label_accuracy": {"per_class": optional(self.accuracy), "overall": self.overall_accuracy},
            "fid": {"per_class": optional(self.fid), "overall": self.overall_fid},
            "reference": {"label_accuracy": {"per_class": optional(self.real_accuracy),
                                             "overall": self.real_overall_accuracy},
                          "fid": {"per_class": optional(self.real_fid), "overall": self.real_overall_fid}},
            "seconds": dict(self.seconds),
        }


def evaluate_conditional(generator_fn, dataset="mnist", n_per_class=1000, seed=0, classifier=None, batch_size=500,
                         reference=True, data=None):
    """Label accuracy and FID of ``generator_fn``'s images, per class and overall (module docstring).

    Parameters
    ----------
    generator_fn : callable (labels, rng) -> ndarray
        Returns one image per label, float (n, 28, 28, 1) in [0, 1], drawing any randomness from
        ``rng`` (a ``numpy.random.Generator``, seeded by ``seed``).
    dataset : {'mnist', 'fashion'}
    n_per_class : int
        Samples per class, more than the classifier's 128 features (default 1,000: 10,000 in all).
    classifier : Classifier, optional; default the cached one for ``dataset``.
    batch_size : int, images per ``generator_fn`` call and classifier pass.
    reference : bool, also measure the real data (see the module docstring).
    data : ((x_train, y_train), (x_test, y_test)), optional
        Real images in [0, 1] and int labels, instead of the dataset's splits (tests).

    Returns
    -------
    ConditionalEvaluation
    """
    if not callable(generator_fn):
        raise TypeError(f"{_OWNER}: argument 'generator_fn' must be callable, received {type(generator_fn).__name__}")
    dataset = canonical_dataset(dataset)
    n_per_class = check_positive_int(_OWNER, n_per_class, "n_per_class")
    if n_per_class <= FEATURE_DIM:
        raise ValueError(f"{_OWNER}: argument 'n_per_class' must exceed the classifier's {FEATURE_DIM} features "
                         f"(FID per class), received {n_per_class}")
    batch_size = check_positive_int(_OWNER, batch_size, "batch_size")
    if classifier is None:
        classifier = load_classifier(dataset)
    if classifier.dataset != dataset:
        raise ValueError(f"{_OWNER}: the classifier was trained on {classifier.dataset}, not {dataset}")
    seconds = {}
    tic = time.perf_counter()
    if data is None:
        data = (load_dataset(dataset, "train", value_range=(0.0, 1.0), verbose=False),
                load_dataset(dataset, "test", value_range=(0.0, 1.0), verbose=False))
    (x_train, y_train), (x_test, y_test) = ((x, np.asarray(y)) for x, y in data)
    for c in range(NUM_CLASSES):
        if np.sum(y_test == c) <= FEATURE_DIM or (reference and np.sum(y_train == c) < n_per_class):
            raise ValueError(f"{_OWNER}: class {c} has {np.sum(y_test == c)} test images (FID needs more than "
                             f"{FEATURE_DIM}) and {np.sum(y_train == c)} training images (the reference needs "
                             f"{n_per_class})")
    seconds["data"] = time.perf_counter() - tic

    tic = time.perf_counter()
    labels = np.repeat(np.arange(NUM_CLASSES), n_per_class)
    rng = np.random.default_rng(seed)
    samples = np.empty((len(labels), 28, 28, 1), dtype=np.float32)
    for start in range(0, len(labels), batch_size):
        batch = labels[start:start + batch_size]
        images = generator_fn(batch, rng)
        check_images("generator_fn", images, f"output for {len(batch)} labels")
        if images.shape[0] != len(batch):
            raise ValueError(f"generator_fn: asked for {len(batch)} images, received {images.shape[0]}")
        samples[start:start + len(batch)] = images
    seconds["sampling"] = time.perf_counter() - tic

    tic = time.perf_counter()
    logits, features = classifier.logits_and_features(samples, batch_size)
    test_logits, test_features = classifier.logits_and_features(x_test, batch_size)
    correct = logits.argmax(axis=1) == labels
    accuracy = np.array([correct[labels == c].mean() for c in range(NUM_CLASSES)])
    fid = np.array([fid_from_features(features[labels == c], test_features[y_test == c])
                    for c in range(NUM_CLASSES)])
    result = ConditionalEvaluation(dataset, n_per_class, int(seed), accuracy, fid, float(correct.mean()),
                                   float(fid_from_features(features, test_features)), seconds=seconds)
    if reference:
        test_correct = test_logits.argmax(axis=1) == y_test
        rows = np.concatenate([np.flatnonzero(y_train == c)[:n_per_class] for c in range(NUM_CLASSES)])
        train_features = classifier.features(x_train[rows], batch_size)
        result.real_accuracy = np.array([test_correct[y_test == c].mean() for c in range(NUM_CLASSES)])
        result.real_fid = np.array([fid_from_features(train_features[y_train[rows] == c], test_features[y_test == c])
                                    for c in range(NUM_CLASSES)])
        result.real_overall_accuracy = float(test_correct.mean())
        result.real_overall_fid = float(fid_from_features(train_features, test_features))
    seconds["classifier and FID"] = time.perf_counter() - tic
    return result
