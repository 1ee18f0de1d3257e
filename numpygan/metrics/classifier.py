"""The evaluation classifier: a small CNN built, trained and run with numpygan itself.

Architecture (channels-last, 28×28×1 pixels in [0, 1]; ≈ 4.8 MFLOP per image forward, 356k weights)::

    Conv2D(32, 3, strides=2, 'same') → BatchNorm → ReLU      14×14×32
    Conv2D(64, 3, strides=2, 'same') → BatchNorm → ReLU       7×7×64
    Conv2D(128, 3, strides=2, 'same') → BatchNorm → ReLU      4×4×128
    Flatten → Dropout(0.3) → Dense(128) → ReLU                128     ← penultimate features φ(x)
    Dropout(0.3) → Dense(10)                                   logits z(x)

(The convolutions have no bias: BatchNorm's β takes its place.) Trained with
softmax cross-entropy (``SparseCategoricalCrossentropy`` on the logits) and
Adam (β₁ = 0.9), batch 128, the learning rate decayed from 1e-3 to 0 by a
cosine over all steps, on the 60,000 training images. MNIST images are each
shifted by a random whole number of pixels in [−2, 2] along each axis (zero
fill) every time they are drawn; Fashion-MNIST images are not (its items are
centred, and shifts cost it accuracy). One classifier per dataset. The
metrics use p(y|x) = softmax(z(x)) (classifier score, mode coverage) and
φ(x) (FID, precision/recall).

Weights are cached as ``<cache>/classifier-v2-<dataset>.npz`` (cache =
``$NUMPYGAN_DATA`` or ``~/.cache/numpygan``), written atomically and read with
``allow_pickle=False``. Training is deterministic for a seed (initial weights
from the seed; each epoch's order, shifts and dropout masks from ``(seed, epoch)``)
and resumable: after every epoch the model and optimizer state go to
``classifier-v2-<dataset>.partial.npz``, and a new run continues from the last
completed epoch, reproducing the uninterrupted run. ``examples/train_classifier.py``
is the command-line front end.
"""

import math
import os
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import softmax

from ..data import load_dataset, resolve_cache_dir
from ..io import load_npz, save_npz_atomic
from ..losses import SparseCategoricalCrossentropy
from ..models import adam, layers_for
from ..sequential import Sequential
from ._checks import check_images, check_positive_int

#: Bumped whenever the architecture changes, so stale cached weights are never loaded.
VERSION = 2
NUM_CLASSES = 10
FEATURE_DIM = 128
#: Dataset names accepted here, mapped to ``numpygan.data`` names.
DATASET_NAMES = {"mnist": "mnist", "fashion": "fashion", "fashion-mnist": "fashion", "fashion_mnist": "fashion"}
#: Training settings used for the cached weights (see examples/train_classifier.py).
DEFAULT_EPOCHS = {"mnist": 12, "fashion": 10}
DEFAULT_BATCH_SIZE = 128
DEFAULT_LR = 1e-3
#: Training images are shifted by up to this many pixels (data augmentation), per dataset.
MAX_SHIFT = {"mnist": 2, "fashion": 0}


def canonical_dataset(dataset):
    """'mnist' or 'fashion' for any accepted spelling; ValueError otherwise."""
    name = DATASET_NAMES.get(str(dataset).lower())
    if name is None:
        raise ValueError(f"dataset: expected one of {', '.join(DATASET_NAMES)}, received {dataset!r}")
    return name


def build_classifier(seed=0, dtype=np.float32):
    """The untrained CNN (see the module docstring), weights drawn from ``seed``; fast twins unless
    ``numpygan.use_reference_layers()``."""
    nn = layers_for()
    layers = []
    for filters in (32, 64, 128):
        layers += [nn.Conv2D(filters, 3, strides=2, padding="same", use_bias=False), nn.BatchNormalization(),
                   nn.ReLU()]
    layers += [
        nn.Flatten(), nn.Dropout(0.3),
        nn.Dense(FEATURE_DIM), nn.ReLU(),
        nn.Dropout(0.3), nn.Dense(NUM_CLASSES),
    ]
    return Sequential(layers, input_shape=(28, 28, 1), seed=seed, dtype=dtype, name="classifier")


def weights_path(dataset, cache_dir=None):
    """``<cache>/classifier-v<VERSION>-<dataset>.npz``."""
    return resolve_cache_dir(cache_dir) / f"classifier-v{VERSION}-{canonical_dataset(dataset)}.npz"


def _partial_path(dataset, cache_dir=None):
    return weights_path(dataset, cache_dir).with_suffix(".partial.npz")


class Classifier:
    """A trained classifier, for inference: logits, probabilities and penultimate features.

    Every method takes images float (N, 28, 28, 1) in [0, 1] and works in
    batches of ``batch_size``; outputs are float64.

    Attributes
    ----------
    model : Sequential
    dataset : str, 'mnist' or 'fashion'
    info : dict, what was stored with the weights (test accuracy, epochs, training seconds)
    """

    def __init__(self, model, dataset, info=None):
        self.model = model
        self.dataset = canonical_dataset(dataset)
        self.info = dict(info or {})

    def logits_and_features(self, images, batch_size=1000):
        """(logits (N, 10), features (N, 128)), float64, in one pass."""
        check_images("Classifier", images)
        batch_size = check_positive_int("Classifier", batch_size, "batch_size")
        head, last = self.model.layers[:-1], self.model.layers[-1]
        logits, features = [], []
        for start in range(0, images.shape[0], batch_size):
            h = images[start:start + batch_size].astype(self.model.dtype, copy=False)
            for layer in head:
                h = layer.forward(h, training=False)
            features.append(h.astype(np.float64))
            logits.append(last.forward(h, training=False).astype(np.float64))
        return np.concatenate(logits), np.concatenate(features)

    def logits(self, images, batch_size=1000):
        return self.logits_and_features(images, batch_size)[0]

    def features(self, images, batch_size=1000):
        """Penultimate activations φ(x) (N, 128): the input of the last Dense layer."""
        return self.logits_and_features(images, batch_size)[1]

    def probabilities(self, images, batch_size=1000):
        """p(y|x) = softmax(logits), (N, 10)."""
        return softmax(self.logits(images, batch_size), axis=1)

    def predict(self, images, batch_size=1000):
        """argmax_y p(y|x), int64 (N,)."""
        return self.logits(images, batch_size).argmax(axis=1)

    def accuracy(self, images, labels, batch_size=1000):
        labels = np.asarray(labels)
        if labels.shape != (images.shape[0],):
            raise ValueError(f"Classifier.accuracy: argument 'labels' must have shape ({images.shape[0]},), "
                             f"received {labels.shape}")
        return float(np.mean(self.predict(images, batch_size) == labels))


def _meta(arrays):
    return {key[len("meta/"):]: arrays[key] for key in arrays if key.startswith("meta/")}


def load_classifier(dataset, cache_dir=None, path=None, train_if_missing=False, log=print):
    """Load the trained classifier for ``dataset`` from ``path`` or the cache.

    With ``train_if_missing``, a missing cached classifier is trained first
    with the default settings (minutes; see ``examples/train_classifier.py``),
    reporting through ``log``.

    Raises
    ------
    FileNotFoundError
        If no weights exist (and are not to be trained), saying how to train them.
    """
    dataset = canonical_dataset(dataset)
    if path is None and train_if_missing and not weights_path(dataset, cache_dir).exists():
        log(f"no cached {dataset} classifier yet: training it once (a few minutes), then caching it in "
            f"{weights_path(dataset, cache_dir)}")
        train_classifier(dataset, cache_dir=cache_dir, log=log)
    path = Path(path) if path is not None else weights_path(dataset, cache_dir)
    if not path.exists():
        raise FileNotFoundError(
            f"no trained {dataset} classifier at {path}; train it once with "
            f"`python examples/train_classifier.py --dataset {dataset}` (it is then cached)"
        )
    arrays = load_npz(path, what="classifier weights")
    meta = _meta(arrays)
    model = build_classifier()
    model.load_state_dict({k: v for k, v in arrays.items() if not k.startswith("meta/")},
                          source=f"classifier weights {str(path)!r}")
    stored = str(meta.get("dataset", dataset))
    if stored != dataset:
        raise ValueError(f"load_classifier: {path} holds a {stored} classifier, not {dataset}")
    info = {key: value.item() if value.ndim == 0 else value for key, value in meta.items()}
    return Classifier(model, dataset, info)


def random_shift(images, max_shift, rng):
    """Each image moved by its own (dy, dx) ∈ [−max_shift, max_shift]², zero-filled; same shape.

    The padded batch's 28×28 windows are a strided view; one fancy index picks
    every image's window at once.
    """
    n, h, w, c = images.shape
    s = max_shift
    padded = np.pad(images, ((0, 0), (s, s), (s, s), (0, 0)))
    windows = sliding_window_view(padded, (h, w), axis=(1, 2))   # (N, 2s+1, 2s+1, C, H, W)
    dy = rng.integers(0, 2 * s + 1, n)
    dx = rng.integers(0, 2 * s + 1, n)
    return np.ascontiguousarray(windows[np.arange(n), dy, dx].transpose(0, 2, 3, 1))


def _lr_at(step, total_steps, lr):
    """Cosine decay from ``lr`` at step 0 to 0 at ``total_steps``."""
    return lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))


def _epoch_rngs(seed, epoch):
    """Independent generators for one epoch: (order and shifts, dropout masks)."""
    data, dropout = np.random.SeedSequence([seed, epoch]).spawn(2)
    return np.random.default_rng(data), np.random.default_rng(dropout)


def _train_one_epoch(model, optimizer, loss_fn, x, y, epoch, epochs, batch_size, lr, seed, max_shift,
                     max_steps=None):
    """One pass over (x, y) in a shuffled order; returns the mean training loss."""
    n = x.shape[0]
    steps = math.ceil(n / batch_size)
    rng, dropout_rng = _epoch_rngs(seed, epoch)
    order = rng.permutation(n)
    # Dropout draws from the model's generator: reseed it per epoch so a resumed
    # run replays exactly the masks of an uninterrupted one.
    model.rng.bit_generator.state = dropout_rng.bit_generator.state
    total = 0.0
    done = 0
    for step in range(steps if max_steps is None else min(steps, max_steps)):
        optimizer.lr = _lr_at(epoch * steps + step, epochs * steps, lr)
        idx = order[step * batch_size:(step + 1) * batch_size]
        images = random_shift(x[idx], max_shift, rng) if max_shift else x[idx]
        optimizer.zero_grad()
        value, grad = loss_fn(model.forward(images, training=True), y[idx])
        model.backward(grad)
        optimizer.step()
        total += value
        done += 1
    return total / max(done, 1)


def _load_data(dataset):
    x, y = load_dataset(dataset, "train", value_range=(0.0, 1.0), verbose=False)
    xt, yt = load_dataset(dataset, "test", value_range=(0.0, 1.0), verbose=False)
    return x, y, xt, yt


def train_classifier(dataset, epochs=None, batch_size=DEFAULT_BATCH_SIZE, lr=DEFAULT_LR, seed=0,
                     cache_dir=None, resume=True, data=None, max_steps_per_epoch=None, log=print):
    """Train the classifier for ``dataset``, cache its weights, and return it.

    Parameters
    ----------
    dataset : {'mnist', 'fashion'}
    epochs : int, optional
        Default ``DEFAULT_EPOCHS[dataset]``.
    batch_size, lr, seed
        Adam (β₁ = 0.9) with cosine decay from ``lr``; ``seed`` fixes
        initial weights, shuffles and dropout masks.
    cache_dir : path, optional
        Where the weights (and the per-epoch partial checkpoint) go.
    resume : bool
        Continue from ``classifier-v2-<dataset>.partial.npz`` if it exists and
        was made with the same settings.
    data : tuple (x_train, y_train, x_test, y_test), optional
        Arrays to use instead of the dataset (images (N, 28, 28, 1) in [0, 1]).
    max_steps_per_epoch : int, optional
        Cut every epoch short, to time a short run; such a run is neither
        resumed nor cached.
    log : callable or None
        Receives one line per epoch: loss, test accuracy, seconds.

    Returns
    -------
    Classifier, with ``info['test_accuracy']`` and ``info['history']`` (per-epoch test accuracy).
    """
    dataset = canonical_dataset(dataset)
    epochs = check_positive_int("train_classifier", DEFAULT_EPOCHS[dataset] if epochs is None else epochs, "epochs")
    batch_size = check_positive_int("train_classifier", batch_size, "batch_size")
    if not lr > 0:
        raise ValueError(f"train_classifier: argument 'lr' must be > 0, received {lr!r}")
    x, y, xt, yt = _load_data(dataset) if data is None else data
    for name, images in (("x_train", x), ("x_test", xt)):
        check_images("train_classifier", images, name)
    log = log or (lambda line: None)

    settings = {"epochs": epochs, "batch_size": batch_size, "lr": float(lr), "seed": seed, "n_train": x.shape[0]}
    model = build_classifier(seed=seed)
    optimizer = adam(model.parameters(), lr=lr, beta_1=0.9, beta_2=0.999)
    loss_fn = SparseCategoricalCrossentropy()
    history, seconds, start_epoch = [], 0.0, 0

    cached = max_steps_per_epoch is None
    partial = _partial_path(dataset, cache_dir)
    if cached and resume and partial.exists():
        state = load_npz(partial, what="partial classifier checkpoint")
        meta = _meta(state)
        saved = {key: meta[key].item() for key in settings}
        if saved != settings:
            raise ValueError(
                f"train_classifier: {partial} was made with {saved}, not {settings}; "
                f"delete it or train with resume=False (--no-resume)"
            )
        model.load_state_dict({k: v for k, v in state.items() if not k.startswith(("meta/", "optimizer/"))},
                              source=f"partial checkpoint {str(partial)!r}")
        optimizer.load_state_dict({k[len("optimizer/"):]: v for k, v in state.items() if k.startswith("optimizer/")})
        start_epoch = int(meta["epoch"])
        history = [float(a) for a in meta["history"]]
        seconds = float(meta["seconds"])
        log(f"resuming {dataset} classifier from {partial} after epoch {start_epoch}/{epochs}")

    classifier = Classifier(model, dataset)
    for epoch in range(start_epoch, epochs):
        tic = time.perf_counter()
        loss = _train_one_epoch(model, optimizer, loss_fn, x, y, epoch, epochs, batch_size, lr, seed,
                                MAX_SHIFT[dataset], max_steps_per_epoch)
        train_seconds = time.perf_counter() - tic
        accuracy = classifier.accuracy(xt, yt)
        seconds += time.perf_counter() - tic
        history.append(accuracy)
        log(f"{dataset} epoch {epoch + 1}/{epochs}: loss {loss:.4f}, test accuracy {accuracy:.2%}, "
            f"{train_seconds:.0f} s training + {time.perf_counter() - tic - train_seconds:.0f} s testing")
        if not cached:
            continue
        state = dict(model.state_dict())
        state.update({f"optimizer/{k}": v for k, v in optimizer.state_dict().items()})
        state.update({f"meta/{k}": np.array(v) for k, v in settings.items()})
        state.update({"meta/epoch": np.array(epoch + 1), "meta/history": np.array(history),
                      "meta/seconds": np.array(seconds)})
        save_npz_atomic(partial, state)

    info = {"dataset": dataset, "version": VERSION, "test_accuracy": history[-1], "history": np.array(history),
            "epochs": epochs, "train_seconds": seconds, "seed": seed}
    classifier.info = info
    if not cached:
        return classifier
    final = dict(model.state_dict())
    final.update({f"meta/{k}": np.array(v) for k, v in info.items()})
    path = weights_path(dataset, cache_dir)
    save_npz_atomic(path, final)
    os.unlink(partial)
    log(f"saved {path} (test accuracy {history[-1]:.2%}, {seconds / 60:.1f} min in all)")
    return classifier
