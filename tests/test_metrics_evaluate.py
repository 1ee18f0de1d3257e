"""evaluate_generator end to end on small synthetic data; the checkpoint adapter; the CLI."""

import argparse
import json

import numpy as np
import pytest

from numpygan.metrics.classifier import Classifier, build_classifier
from numpygan.metrics.cli import main as cli_main
from numpygan.metrics.cli import register
from numpygan.metrics.evaluate import METRICS, evaluate_generator
from numpygan.metrics.from_checkpoint import checkpoint_notes, to_unit_range

N = 150  # > 128 feature dimensions, as FID needs

# The untrained classifier has dead ReLU units, so its feature covariance is singular;
# scipy says so, and the Fréchet distance is still finite and correct (tested in test_metrics.py).
pytestmark = pytest.mark.filterwarnings("ignore:Matrix is singular")


@pytest.fixture(scope="module")
def setup():
    """Real data stand-ins (rows 0..149 reference, 150..199 Parzen validation) and an untrained classifier."""
    rng = np.random.default_rng(0)
    x_train = rng.random((200, 28, 28, 1)).astype(np.float32)
    x_test = rng.random((160, 28, 28, 1)).astype(np.float32)
    return dict(data=(x_train, x_test), classifier=Classifier(build_classifier(seed=0), "mnist"),
                parzen_validation_rows=(150, 200), n=N, progress=False, batch_size=64)


def noise_generator(n, rng):
    return rng.random((n, 28, 28, 1), dtype=np.float32) ** 2


@pytest.fixture(scope="module")
def evaluated(setup):
    return evaluate_generator(noise_generator, seed=3, **setup)


def test_evaluation_is_deterministic_for_a_seed(setup, evaluated):
    a = evaluated.as_dict()
    b = evaluate_generator(noise_generator, seed=3, **setup).as_dict()
    c = evaluate_generator(noise_generator, seed=4, metrics="fid", **setup).as_dict()
    for d in (a, b, c):
        d.pop("seconds")
    assert json.dumps(a) == json.dumps(b)
    assert a["generator"]["fid"] != c["generator"]["fid"]
    assert a["reference"]["fid"] == c["reference"]["fid"]  # real data does not depend on the seed


def test_evaluation_table_has_every_metric_and_the_parzen_caveat(evaluated):
    result = evaluated
    assert set(result.generator) == set(result.reference) == set(METRICS)
    table = result.table()
    for label in ("Parzen log-likelihood", "Classifier FID", "Classifier score", "Classes covered",
                  "Precision", "Recall"):
        assert label in table
    assert "Theis et al. 2016" in table and "Adversarial nets 225 ± 2" in table
    json.dumps(result.as_dict())  # plain numbers only


def test_a_generator_of_the_reference_images_scores_like_the_reference(setup):
    """If G returns exactly the reference rows, every metric equals its real-data value."""
    x_train = setup["data"][0]

    def replay(n, rng, _pos=[0]):
        out = x_train[_pos[0]:_pos[0] + n]
        _pos[0] += n
        return out

    result = evaluate_generator(replay, metrics="parzen,fid,pr", **setup)
    assert result.generator["fid"] == pytest.approx(result.reference["fid"], rel=1e-12)
    assert result.generator["parzen"].mean == pytest.approx(result.reference["parzen"].mean, rel=1e-12)
    assert result.generator["pr"] == result.reference["pr"]


def test_a_subset_of_metrics(setup):
    result = evaluate_generator(noise_generator, metrics="score,coverage", reference=False, **setup)
    assert set(result.generator) == {"score", "coverage"} and not result.reference
    assert "Parzen" not in result.table()


@pytest.mark.parametrize("generator, match", [
    (lambda n, rng: rng.random((n, 28, 28, 1)) * 2 - 1, r"\[0, 1\]"),
    (lambda n, rng: rng.random((n, 784)), r"\(N, 28, 28, 1\)"),
    (lambda n, rng: rng.random((n + 1, 28, 28, 1)), "asked for"),
    (lambda n, rng: np.full((n, 28, 28, 1), np.nan), "NaN"),
])
def test_bad_generator_output_is_a_clear_error(setup, generator, match):
    with pytest.raises(ValueError, match=match):
        evaluate_generator(generator, **setup)


@pytest.mark.parametrize("override, error, match", [
    (dict(metrics="fid,inception"), ValueError, "metrics"),
    (dict(n=200), ValueError, "at most 150"),
    (dict(n=100), ValueError, "FID needs more samples"),
    (dict(dataset="cifar"), ValueError, "dataset"),
    (dict(dataset="fashion"), ValueError, "trained on mnist"),
    (dict(seed=1.5), TypeError, "seed"),
])
def test_bad_arguments_are_refused(setup, override, error, match):
    args = dict(setup)
    args.update(override)
    with pytest.raises(error, match=match):
        evaluate_generator(noise_generator, **args)


def test_to_unit_range():
    x = np.array([-1.0, 0.0, 1.0, 1.0000001], dtype=np.float32)
    np.testing.assert_array_equal(to_unit_range(x, "tanh"), [0.0, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(to_unit_range(np.array([0.0, 0.25]), "sigmoid"), [0.0, 0.25])
    with pytest.raises(ValueError, match="output_activation"):
        to_unit_range(x, "relu")


def test_checkpoint_notes_warn_when_parzen_validation_rows_were_trained_on():
    base = dict(model="mlp", dataset="mnist", output_activation="tanh", epoch=3)
    assert not any("Parzen" in n for n in checkpoint_notes(dict(base, train_rows=50_000)))
    assert any("include the validation rows" in n for n in checkpoint_notes(dict(base, train_rows=60_000)))
    assert any("does not record" in n for n in checkpoint_notes(dict(base, train_rows=None)))
    assert not any("Parzen" in n for n in checkpoint_notes(dict(base, train_rows=60_000), metrics=("fid",)))


def test_generator_from_a_checkpoint_gives_unit_range_images_deterministically(tmp_path):
    training = pytest.importorskip("numpygan.training.checkpoint")
    from numpygan.training.builders import build_gan
    from numpygan.training.config import TrainConfig
    from numpygan.training.trainer import GANTrainer

    from numpygan.metrics.from_checkpoint import load_checkpoint_generator

    config = TrainConfig(model="mlp", dataset="mnist", output_activation="tanh", latent_dim=8, train_rows=50_000)
    generator, discriminator = build_gan(config)
    path = tmp_path / "ckpt.npz"
    training.save_checkpoint(path, GANTrainer(generator, discriminator, config))
    generator_fn, loaded = load_checkpoint_generator(path)
    assert loaded["output_activation"] == "tanh" and loaded["latent_dim"] == 8
    a = generator_fn(5, np.random.default_rng(0))
    b = generator_fn(5, np.random.default_rng(0))
    assert a.shape == (5, 28, 28, 1) and a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    z = np.random.default_rng(0).standard_normal((5, 8), dtype=np.float32)
    np.testing.assert_allclose(a, (generator.forward(z) + 1) / 2, rtol=1e-6, atol=1e-7)


def test_cli_registers_evaluate_with_a_handler():
    parser = argparse.ArgumentParser(prog="numpygan")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["evaluate", "ckpt.npz", "--metrics", "pr,fid", "--n", "500", "--seed", "2"])
    assert args.metrics == ("fid", "pr") and args.n == 500 and args.seed == 2 and callable(args.func)
    for bad in (["--metrics", "inception"], ["--n", "0"], ["--seed", "-1"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["evaluate", "ckpt.npz"] + bad)


def test_cli_reports_a_missing_checkpoint(tmp_path, capsys):
    pytest.importorskip("numpygan.training.checkpoint")
    assert cli_main(["evaluate", str(tmp_path / "nope.npz"), "--no-progress"]) == 1
    assert "nope.npz" in capsys.readouterr().err


@pytest.mark.slow
def test_a_generator_replaying_real_images_scores_like_real_data():
    """MNIST training rows 10,000–49,999 drawn at random must look like the real-data column (≈ 25 s)."""
    from numpygan.data import load_dataset
    from numpygan.metrics.classifier import load_classifier

    try:
        classifier = load_classifier("mnist")
    except FileNotFoundError as err:
        pytest.skip(str(err))
    pool = load_dataset("mnist", "train", value_range=(0.0, 1.0), verbose=False)[0][10_000:50_000]
    result = evaluate_generator(lambda n, rng: pool[rng.choice(pool.shape[0], n, replace=False)],
                                "mnist", classifier=classifier, progress=False)
    gen, ref = result.generator, result.reference
    # two disjoint real samples: Parzen means within 3 standard errors (235.5 vs 241.2 measured, each ± 2.1)
    assert abs(gen["parzen"].mean - ref["parzen"].mean) < 3 * np.hypot(gen["parzen"].stderr, ref["parzen"].stderr)
    assert 200 < ref["parzen"].mean < 300  # 241 measured; the paper's GAN: 225
    assert gen["fid"] < 2 * ref["fid"] and ref["fid"] < 3
    assert gen["score"] > 9.5 and ref["score"] > 9.5
    assert gen["coverage"].classes_covered == ref["coverage"].classes_covered == 10
    assert min(gen["pr"].precision, gen["pr"].recall, ref["pr"].precision, ref["pr"].recall) > 0.8
