"""Run every sample-quality metric on a generator, next to the same metrics on real data.

``evaluate_generator(generator_fn, dataset)`` needs only a callable
``generator_fn(n, rng) -> images`` returning float (n, 28, 28, 1) in [0, 1]
(``from_checkpoint`` adapts a trained checkpoint to it). With n = 10,000
samples it computes:

=============  ===============================================  ==========================================
metric         generator                                        real-data reference (same n)
=============  ===============================================  ==========================================
``parzen``     Parzen log-likelihood of the 10,000 test images  training rows 0..n−1 used as "samples"
               (σ chosen on training rows 50,000–50,999)
``fid``        classifier FID, samples vs test images           training rows 0..n−1 vs test (the floor)
``score``      classifier score of the samples                  of the test images
``coverage``   class histogram of the samples                   of the test images
``pr``         precision/recall, samples vs test images         training rows 0..n−1 vs test
=============  ===============================================  ==========================================

Everything is deterministic for a given ``seed``: the generator draws its
latents from ``numpy.random.default_rng(seed)``, and nothing else is random.
"""

import sys
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.special import softmax
from tqdm.auto import tqdm

from ..data import load_dataset
from ._checks import check_images, check_positive_int
from .classifier import FEATURE_DIM, canonical_dataset, load_classifier
from .classifier_score import classifier_score
from .coverage import mode_coverage
from .frechet import fid_from_features
from .parzen import PAPER_TABLE_MNIST, PARZEN_CAVEAT, parzen_evaluate
from .precision_recall import precision_recall

#: Metric names, in the order they are computed and printed.
METRICS = ("parzen", "fid", "score", "coverage", "pr")
METRIC_TITLES = {
    "parzen": "Parzen log-likelihood",
    "fid": "classifier FID",
    "score": "classifier score",
    "coverage": "mode coverage",
    "pr": "precision / recall",
}
#: Held-out validation rows of the training set for choosing σ (2014 protocol).
PARZEN_VALIDATION_ROWS = (50_000, 51_000)
#: Largest n: the reference ("real samples") rows 0..n−1 lie below the validation rows.
MAX_N = PARZEN_VALIDATION_ROWS[0]

_OWNER = "evaluate_generator"


@dataclass
class Evaluation:
    """Every number ``evaluate_generator`` measured.

    Attributes
    ----------
    dataset : str
    n : int, generated samples
    seed : int
    generator : dict, metric name -> result object (``ParzenResult``, float, ``Coverage``, ``PrecisionRecall``)
    reference : dict, the same for real data (empty if ``reference=False``)
    seconds : dict, wall seconds of each stage ('data', 'sampling', 'classifier' — all images) and
        metric (``'<metric>'`` on the samples, ``'<metric>/real'`` on real data)
    notes : list of str, caveats to print with the table
    """

    dataset: str
    n: int
    seed: int
    generator: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def rows(self):
        """Table rows (metric, generator, real data, seconds) as strings; a metric's time on its first row."""
        rows = []

        def add(label, metric, fmt):
            gen = fmt(self.generator[metric])
            ref = fmt(self.reference[metric]) if metric in self.reference else "—"
            first = not rows or rows[-1][4] != metric
            seconds = f"{self.seconds.get(metric, 0.0):.1f}"
            if f"{metric}/real" in self.seconds:
                seconds += f" + {self.seconds[f'{metric}/real']:.1f}"
            rows.append((label, gen, ref, seconds if first else "", metric))

        for metric in METRICS:
            if metric not in self.generator:
                continue
            if metric == "parzen":
                add("Parzen log-likelihood (nats) *", metric, lambda r: f"{r.mean:.1f} ± {r.stderr:.1f}")
                add("  Parzen σ", metric, lambda r: f"{r.sigma:.3f}")
            elif metric == "fid":
                add("Classifier FID (vs test)", metric, lambda v: f"{v:.3f}")
            elif metric == "score":
                add("Classifier score (of 10)", metric, lambda v: f"{v:.3f}")
            elif metric == "coverage":
                add("Classes covered (≥ 1 %)", metric, lambda c: f"{c.classes_covered}/{c.counts.size}")
                add("  KL(histogram ‖ uniform), nats", metric, lambda c: f"{c.kl_to_uniform:.4f}")
            elif metric == "pr":
                add("Precision (k = 3)", metric, lambda r: f"{r.precision:.3f}")
                add("Recall (k = 3)", metric, lambda r: f"{r.recall:.3f}")
        return [row[:4] for row in rows]

    def table(self):
        """The results as an aligned text table, with the notes below it."""
        header = ("metric", "generator", "real data", "seconds (G + real)")
        body = self.rows()
        widths = [max(len(r[i]) for r in [header] + body) for i in range(4)]
        fmt = lambda r: "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])])
        rule = "─" * len(fmt(header))
        lines = [f"{self.dataset}: {self.n:,} samples, seed {self.seed}", rule, fmt(header), rule]
        lines += [fmt(r) for r in body]
        lines.append(rule)
        stages = [f"{k} {v:.1f} s" for k, v in self.seconds.items() if k.split("/")[0] not in METRICS]
        if stages:
            lines.append("other stages: " + ", ".join(stages))
        lines += self.notes
        return "\n".join(lines)

    def as_dict(self):
        """Plain numbers, for JSON."""

        def plain(metric, result):
            if metric == "parzen":
                return {"mean": result.mean, "stderr": result.stderr, "sigma": result.sigma,
                        "validation": {f"{s:.6g}": v for s, v in result.validation.items()}}
            if metric == "coverage":
                return {"counts": result.counts.tolist(), "classes_covered": result.classes_covered,
                        "kl_to_uniform": result.kl_to_uniform}
            if metric == "pr":
                return {"precision": result.precision, "recall": result.recall, "k": result.k}
            return result

        return {
            "dataset": self.dataset, "n": self.n, "seed": self.seed,
            "generator": {m: plain(m, r) for m, r in self.generator.items()},
            "reference": {m: plain(m, r) for m, r in self.reference.items()},
            "seconds": dict(self.seconds), "notes": list(self.notes),
        }


def check_metrics(metrics):
    """Tuple of metric names in canonical order; ValueError naming any unknown one."""
    if isinstance(metrics, str):
        metrics = [m for m in metrics.split(",") if m]
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"metrics: expected a non-empty subset of {', '.join(METRICS)}, received {metrics}")
    return tuple(m for m in METRICS if m in metrics)


def generate_samples(generator_fn, n, rng, batch_size, progress=None):
    """Call ``generator_fn(b, rng)`` for batches summing to n; return float32 (n, 28, 28, 1) in [0, 1]."""
    out = np.empty((n, 28, 28, 1), dtype=np.float32)
    for start in range(0, n, batch_size):
        b = min(batch_size, n - start)
        images = generator_fn(b, rng)
        check_images("generator_fn", images, f"output for a batch of {b}")
        if images.shape[0] != b:
            raise ValueError(f"generator_fn: asked for {b} images, received {images.shape[0]}")
        out[start:start + b] = images
        if progress is not None:
            progress.update(1)
    return out


def evaluate_generator(generator_fn, dataset="mnist", metrics=METRICS, n=10_000, seed=0, classifier=None,
                       batch_size=500, reference=True, progress=True, notes=(), data=None,
                       parzen_validation_rows=PARZEN_VALIDATION_ROWS):
    """Evaluate the images of ``generator_fn`` with the chosen metrics.

    Parameters
    ----------
    generator_fn : callable (n, rng) -> ndarray
        Returns n images float (n, 28, 28, 1) with pixels in [0, 1], drawing
        any randomness from ``rng`` (a ``numpy.random.Generator``).
    dataset : {'mnist', 'fashion'}
    metrics : sequence of str or comma-separated str
        Subset of ``METRICS``.
    n : int
        Samples to generate (10,000 in every protocol here; at most 50,000).
    seed : int
        Seeds the generator's ``rng``.
    classifier : Classifier, optional
        Default: the cached classifier for ``dataset``, trained first if missing.
    batch_size : int
        Images per ``generator_fn`` call and per classifier pass.
    reference : bool
        Also compute each metric on real data (see the module docstring).
    progress : bool
        Show a tqdm progress bar on stderr.
    notes : sequence of str
        Extra lines for the report (e.g. from the checkpoint adapter).
    data : (x_train, x_test), optional
        Real images float (N, 28, 28, 1) in [0, 1] to use instead of the
        dataset's training and test splits (tests, other data).
    parzen_validation_rows : (start, stop)
        Training rows that choose σ; the reference "samples" are rows 0..n−1,
        so n must not exceed ``start``.

    Returns
    -------
    Evaluation
    """
    if not callable(generator_fn):
        raise TypeError(f"{_OWNER}: argument 'generator_fn' must be callable, received {type(generator_fn).__name__}")
    dataset = canonical_dataset(dataset)
    metrics = check_metrics(metrics)
    n = check_positive_int(_OWNER, n, "n")
    lo, hi = (int(r) for r in parzen_validation_rows)
    if not 0 <= lo < hi:
        raise ValueError(f"{_OWNER}: argument 'parzen_validation_rows' must be (start, stop) with "
                         f"0 <= start < stop, received {parzen_validation_rows!r}")
    if n > lo:
        raise ValueError(f"{_OWNER}: argument 'n' must be at most {lo:,} (the real reference rows 0..n−1 lie "
                         f"below the Parzen validation rows), received {n:,}")
    if data is not None:
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise TypeError(f"{_OWNER}: argument 'data' must be a pair (x_train, x_test), received "
                            f"{type(data).__name__}")
        check_images(_OWNER, data[0], "data[0] (x_train)")
        check_images(_OWNER, data[1], "data[1] (x_test)")
        if data[0].shape[0] < max(hi, n):
            raise ValueError(f"{_OWNER}: argument 'data[0]' (x_train) needs at least {max(hi, n):,} rows, "
                             f"received {data[0].shape[0]:,}")
    if "fid" in metrics and n <= FEATURE_DIM:
        raise ValueError(f"{_OWNER}: FID needs more samples than feature dimensions ({FEATURE_DIM}), received n = {n}")
    if "pr" in metrics and n <= 3:
        raise ValueError(f"{_OWNER}: precision/recall needs more than k = 3 samples, received n = {n}")
    batch_size = check_positive_int(_OWNER, batch_size, "batch_size")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"{_OWNER}: argument 'seed' must be an int, received {seed!r}")

    result = Evaluation(dataset=dataset, n=n, seed=int(seed), notes=list(notes))
    needs_classifier = any(m in metrics for m in ("fid", "score", "coverage", "pr"))
    if needs_classifier and classifier is None:
        classifier = load_classifier(dataset, train_if_missing=True, log=_stderr)
    if needs_classifier and classifier.dataset != dataset:
        raise ValueError(f"{_OWNER}: the classifier was trained on {classifier.dataset}, not {dataset}")

    n_batches = -(-n // batch_size)
    units = n_batches + len(metrics) + (1 if needs_classifier else 0)
    bar = tqdm(total=units, desc=f"evaluate {dataset}", unit="step", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)

    def timed(name, fn):
        bar.set_postfix_str(name)
        tic = time.perf_counter()
        value = fn()
        result.seconds[name] = result.seconds.get(name, 0.0) + time.perf_counter() - tic
        return value

    try:
        if data is None:
            x_test, _ = timed("data", lambda: load_dataset(dataset, "test", value_range=(0.0, 1.0), verbose=False))
            x_train, _ = timed("data", lambda: load_dataset(dataset, "train", value_range=(0.0, 1.0), verbose=False))
        else:
            x_train, x_test = data
        x_real = x_train[:n]
        bar.set_postfix_str("sampling")
        tic = time.perf_counter()
        samples = generate_samples(generator_fn, n, np.random.default_rng(seed), batch_size, bar)
        result.seconds["sampling"] = time.perf_counter() - tic

        if needs_classifier:
            def classify():
                out = {"fake": classifier.logits_and_features(samples, batch_size),
                       "test": classifier.logits_and_features(x_test, batch_size)}
                if reference:
                    out["real"] = classifier.logits_and_features(x_real, batch_size)
                return out

            heads = timed("classifier", classify)
            bar.update(1)
            logits = {k: v[0] for k, v in heads.items()}
            features = {k: v[1] for k, v in heads.items()}

        def run(metric, on_fake, on_real):
            result.generator[metric] = timed(metric, on_fake)
            if reference:
                result.reference[metric] = timed(f"{metric}/real", on_real)
            bar.update(1)

        for metric in metrics:
            if metric == "parzen":
                validation = x_train[lo:hi]
                run(metric, lambda: parzen_evaluate(samples, validation, x_test),
                    lambda: parzen_evaluate(x_real, validation, x_test))
            elif metric == "fid":
                run(metric, lambda: fid_from_features(features["fake"], features["test"]),
                    lambda: fid_from_features(features["real"], features["test"]))
            elif metric == "score":
                run(metric, lambda: classifier_score(softmax(logits["fake"], axis=1)),
                    lambda: classifier_score(softmax(logits["test"], axis=1)))
            elif metric == "coverage":
                run(metric, lambda: mode_coverage(logits["fake"].argmax(axis=1)),
                    lambda: mode_coverage(logits["test"].argmax(axis=1)))
            elif metric == "pr":
                run(metric, lambda: precision_recall(features["test"], features["fake"]),
                    lambda: precision_recall(features["test"], features["real"]))
    finally:
        bar.close()

    result.notes += _reference_notes(result, reference, n)
    return result


def _stderr(line):
    print(line, file=sys.stderr, flush=True)


def _reference_notes(result, reference, n):
    notes = []
    if "parzen" in result.generator:
        paper = ", ".join(f"{name} {m:g} ± {s:g}" for name, (m, s) in PAPER_TABLE_MNIST.items())
        notes.append(f"* {PARZEN_CAVEAT} Paper (MNIST): {paper}.")
    if reference:
        notes.append(f"Real data: training rows 0–{n - 1:,} as the 'samples' (Parzen, FID floor, precision/"
                     f"recall) and the test images (score, coverage); all comparisons are against the test set.")
    return notes
