"""The evaluation classifier: its loss gradient, shapes, deterministic resumable training, cached weights."""

import numpy as np
import pytest

import numpygan as ng
from numpygan.gradcheck import numerical_gradient, relative_error
from numpygan.losses import SparseCategoricalCrossentropy
from numpygan.metrics import classifier as classifier_module
from numpygan.metrics.classifier import (
    FEATURE_DIM, Classifier, build_classifier, load_classifier, train_classifier, weights_path,
)


def test_softmax_cross_entropy_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    logits = 3.0 * rng.standard_normal((6, 10))
    labels = rng.integers(0, 10, 6)
    loss = SparseCategoricalCrossentropy()
    _, analytic = loss(logits, labels)
    numeric, _ = numerical_gradient(lambda: loss(logits, labels)[0], logits)
    # the project-wide gradcheck tolerance; entries near 1e-6 carry ~1e-8 of round-off from L/h
    assert relative_error(analytic.ravel(), numeric).max() < 1e-6


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    value, grad = SparseCategoricalCrossentropy()(logits, np.array([1, 1]))
    assert value == pytest.approx(1000.0, rel=1e-12)  # row 0: −log softmax = 2000 ; row 1: 0
    assert np.all(np.isfinite(grad))


@pytest.mark.slow
def test_classifier_network_gradcheck():
    """The CNN end to end in float64, dropout masks replayed by gradcheck (its layers are checked one by
    one in the fast suite already)."""
    model = build_classifier(seed=1, dtype=np.float64)
    x = np.random.default_rng(2).random((2, 28, 28, 1))
    ng.gradcheck(model, x, max_per_tensor=6).assert_ok(1e-6)


def test_classifier_outputs_logits_features_and_probabilities():
    clf = Classifier(build_classifier(seed=0), "mnist")
    x = np.random.default_rng(3).random((7, 28, 28, 1)).astype(np.float32)
    logits, features = clf.logits_and_features(x, batch_size=3)
    assert logits.shape == (7, 10) and features.shape == (7, FEATURE_DIM)
    assert logits.dtype == features.dtype == np.float64 and np.all(features >= 0)  # after ReLU
    np.testing.assert_allclose(clf.probabilities(x).sum(axis=1), 1.0, rtol=1e-12)
    # batching changes only float32 GEMM rounding (sums of ~3,000 products, |logits| ~ 0.1)
    np.testing.assert_allclose(logits, clf.logits(x, batch_size=7), rtol=0, atol=1e-6)


@pytest.mark.parametrize("images, error, match", [
    (np.zeros((2, 28, 28)), ValueError, r"\(N, 28, 28, 1\)"),
    (np.full((2, 28, 28, 1), np.nan), ValueError, "NaN"),
    (-np.ones((2, 28, 28, 1)), ValueError, r"\[0, 1\]"),
    (np.zeros((2, 28, 28, 1), dtype=np.uint8), TypeError, "floating"),
])
def test_classifier_rejects_bad_images(images, error, match):
    with pytest.raises(error, match=match):
        Classifier(build_classifier(seed=0), "mnist").logits(images)


def test_random_shift_moves_each_image_by_its_own_offset():
    rng = np.random.default_rng(4)
    x = rng.random((20, 28, 28, 1)).astype(np.float32)
    shifted = classifier_module.random_shift(x, 2, np.random.default_rng(5))
    draws = np.random.default_rng(5)
    starts = [draws.integers(0, 5, 20), draws.integers(0, 5, 20)]  # window corners it draws, 0..4
    for i in range(20):
        # the window starting at 2 + o shows pixel r + o at r: the content moves by −o
        dy, dx = 2 - starts[0][i], 2 - starts[1][i]
        expected = np.zeros_like(x[i])
        src = x[i, max(0, -dy):28 - max(0, dy), max(0, -dx):28 - max(0, dx)]
        expected[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
        np.testing.assert_array_equal(shifted[i], expected)
    np.testing.assert_array_equal(classifier_module.random_shift(x, 0, rng), x)


def tiny_data(seed=0):
    """Two easy classes: bright top half vs bright bottom half, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 96)
    x = 0.3 * rng.random((96, 28, 28, 1)).astype(np.float32)
    x[y == 0, :14] += 0.7
    x[y == 1, 14:] += 0.7
    return x[:64], y[:64], x[64:], y[64:]


def test_training_learns_and_caches_weights(tmp_path):
    lines = []
    clf = train_classifier("mnist", epochs=3, batch_size=16, lr=3e-3, cache_dir=tmp_path, data=tiny_data(),
                           log=lines.append)
    assert clf.info["test_accuracy"] == 1.0
    assert len(lines) == 4 and "epoch 3/3" in lines[2]
    assert not weights_path("mnist", tmp_path).with_suffix(".partial.npz").exists()
    loaded = load_classifier("mnist", cache_dir=tmp_path)
    assert loaded.info["test_accuracy"] == 1.0 and loaded.info["epochs"] == 3
    x = tiny_data()[2]
    np.testing.assert_array_equal(loaded.logits(x), clf.logits(x))


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, monkeypatch):
    settings = dict(epochs=3, batch_size=16, lr=3e-3, seed=5, data=tiny_data(1), log=None)
    straight = train_classifier("fashion", cache_dir=tmp_path / "a", **settings)

    real_epoch = classifier_module._train_one_epoch

    def crash_in_epoch_2(*args, **kwargs):
        if args[5] == 1:  # the epoch index
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(classifier_module, "_train_one_epoch", crash_in_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        train_classifier("fashion", cache_dir=tmp_path / "b", **settings)
    assert weights_path("fashion", tmp_path / "b").with_suffix(".partial.npz").exists()
    monkeypatch.setattr(classifier_module, "_train_one_epoch", real_epoch)
    resumed = train_classifier("fashion", cache_dir=tmp_path / "b", **settings)

    for key, value in straight.model.state_dict().items():
        np.testing.assert_array_equal(resumed.model.state_dict()[key], value, err_msg=key)
    np.testing.assert_array_equal(resumed.info["history"], straight.info["history"])


def test_resuming_with_other_settings_is_refused(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    real_epoch = classifier_module._train_one_epoch
    calls = []

    def one_epoch_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(classifier_module, "_train_one_epoch", one_epoch_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train_classifier("mnist", epochs=2, batch_size=16, cache_dir=tmp_path, data=tiny_data(), log=None)
    monkeypatch.setattr(classifier_module, "_train_one_epoch", real_epoch)
    with pytest.raises(ValueError, match="--no-resume"):
        train_classifier("mnist", epochs=2, batch_size=32, cache_dir=tmp_path, data=tiny_data(), log=None)


def test_missing_weights_say_how_to_train_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="examples/train_classifier.py --dataset fashion"):
        load_classifier("fashion", cache_dir=tmp_path)


def test_missing_weights_are_trained_on_request(tmp_path, monkeypatch):
    real_train = classifier_module.train_classifier
    monkeypatch.setattr(classifier_module, "train_classifier",
                        lambda dataset, **kw: real_train(dataset, epochs=1, batch_size=32, data=tiny_data(), **kw))
    lines = []
    clf = load_classifier("mnist", cache_dir=tmp_path, train_if_missing=True, log=lines.append)
    assert "training it once" in lines[0] and weights_path("mnist", tmp_path).exists()
    assert clf.info["epochs"] == 1


def test_weights_of_another_dataset_are_refused(tmp_path):
    train_classifier("mnist", epochs=1, batch_size=32, cache_dir=tmp_path, data=tiny_data(), log=None)
    with pytest.raises(ValueError, match="holds a mnist classifier"):
        load_classifier("fashion", path=weights_path("mnist", tmp_path))


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="dataset"):
        weights_path("cifar10")


# -- the real classifiers (cached weights; train them with examples/train_classifier.py) -------------

@pytest.mark.slow
@pytest.mark.parametrize("dataset, target", [("mnist", 0.99), ("fashion", 0.90)])
def test_cached_classifier_reaches_its_accuracy(dataset, target):
    from numpygan.data import load_dataset

    try:
        clf = load_classifier(dataset)
    except FileNotFoundError as err:
        pytest.skip(str(err))
    x, y = load_dataset(dataset, "test", value_range=(0.0, 1.0), verbose=False)
    assert clf.accuracy(x, y) >= target
