"""The conditional GAN chapter: both forms' whole training step against finite differences, labels that are
refused, runs that save and resume, ``numpygan sample --label / --class-grid`` and the per-class metrics."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from numpygan import cli
from numpygan.metrics import conditional as conditional_metrics
from numpygan.metrics import classifier as classifier_module
from numpygan.metrics import evaluate as evaluate_module
from numpygan.metrics.classifier import Classifier, build_classifier
from numpygan.metrics.conditional import evaluate_conditional
from numpygan.models import (ConditionalDiscriminator, ConditionalGenerator, conditional_dcgan_discriminator,
                             conditional_dcgan_generator, conditional_mlp_discriminator)
from numpygan.gradcheck import numerical_gradient, pinned_kinks
from numpygan.optimizers import SGD
from numpygan.training import ConditionalGANTrainer, TrainConfig, build_gan, load_checkpoint, \
    load_generator, preset, train
from numpygan.training import run as run_module
from numpygan.training.checkpoint import load_trainer
from test_lsgan import step_gradients, worst_error

pytestmark = [pytest.mark.usefixtures("one_blas_thread"), pytest.mark.filterwarnings("ignore:Matrix is singular")]

CLASSES = 3


# -- the whole conditional step against central differences ---------------------------------------------------
def mlp_form():
    """The MLP form, small: G [z | E(y)] → 6 → 2×2×1 (tanh); D [x | E(y)] → 6 → 4 → 1 with Dropout."""
    G = ConditionalGenerator(latent_dim=3, n_classes=CLASSES, embed_dim=2, hidden=(6,), image_shape=(2, 2, 1),
                             dropout=0.25, seed=1, dtype=np.float64)
    D = ConditionalDiscriminator(n_classes=CLASSES, embed_dim=2, hidden=(6, 4), dropout=0.25, image_shape=(2, 2, 1),
                                 seed=2, dtype=np.float64)
    return G, D


def mlp_projection_form():
    """The MLP form with ``d_conditioning="projection"``: the same G; D's features x → 6 → 4 (Dropout) under a
    projection head, logit = ψ(h) + ⟨E[y], h⟩."""
    G, _ = mlp_form()
    D = conditional_mlp_discriminator(n_classes=CLASSES, hidden=(6, 4), dropout=0.25, image_shape=(2, 2, 1), seed=2,
                                      dtype=np.float64)
    return G, D


def dcgan_form(filters=1):
    """The DCGAN form with ``filters`` channels: G [z | E(y)] → the paper's DCGAN generator (BatchNorm);
    D the DCGAN critic's features (BatchNorm) under a projection head."""
    G = conditional_dcgan_generator(latent_dim=3, n_classes=CLASSES, embed_dim=2, seed=1, dtype=np.float64,
                                    output_activation="tanh", batchnorm=True, filters=filters)
    D = conditional_dcgan_discriminator(n_classes=CLASSES, seed=2, dtype=np.float64, batchnorm=True, dropout=0.0,
                                        filters=filters)
    return G, D


def check_conditional_step(G, D, assert_gradient_error, label, n=4, max_per_tensor=None):
    """Both updates of ConditionalGANTrainer's step, in float64, against central differences of the loss each
    minimises, every element of every parameter:

    * D's update: L_D = L_real(D(x, y)) + L_fake(D(G(z, y), y)), fakes drawn for the real batch's labels
      (one stacked pass, or two with BatchNorm); G's gradients untouched;
    * G's update: L_G = L_gen(D(G(z, y'), y')), y' drawn by the trainer, through D (frozen: its gradients
      stay zero), down to G's label embedding.

    z, the labels and the Dropout masks are replayed in every evaluation; kinks are pinned.
    ``max_per_tensor``: check that many elements of each tensor (``worst_error_of_passes``)."""
    config = TrainConfig(dataset="arrays", batch_size=n, latent_dim=3, label_smoothing=0.1)
    trainer = ConditionalGANTrainer(G, D, config, n_classes=CLASSES, g_optimizer=SGD(G.parameters(), lr=1.0),
                                    d_optimizer=SGD(D.parameters(), lr=1.0))
    objective = trainer.objective
    rng = np.random.default_rng(4)
    real = np.tanh(rng.standard_normal((n,) + G.output_shape))
    labels = np.array([0, 2, 1, 2])[:n]

    def rng_states():
        return tuple(r.bit_generator.state for r in (trainer.latent_rng, G.rng, D.rng))

    def replay(states):
        trainer.latent_rng.bit_generator.state, G.rng.bit_generator.state, D.rng.bit_generator.state = states

    # -- discriminator update
    states = rng_states()
    grads = step_gradients(trainer, trainer.discriminator_step, {"x": real, "y": labels})
    assert not any(v.any() for k, v in grads.items() if k.startswith("G/"))
    assert grads["D/embedding.embeddings"].any()
    after = rng_states()

    def d_loss():
        replay(states)
        fake = G.forward(trainer.sample_latent(n), labels, training=True)
        out = D.forward(np.concatenate([real, fake]), np.concatenate([labels, labels]), training=True)
        return objective.discriminator_real(out[:n])[0] + objective.discriminator_fake(out[n:])[0]

    def d_loss_real():   # with BatchNorm, D runs on each batch apart: L_D is the sum of two passes
        return objective.discriminator_real(D.forward(real, labels, training=True))[0]

    def d_loss_fake():
        replay(states)
        fake = G.forward(trainer.sample_latent(n), labels, training=True)
        return objective.discriminator_fake(D.forward(fake, labels, training=True))[0]

    passes = (d_loss_real, d_loss_fake) if D.uses_batch_statistics else (d_loss,)
    assert_gradient_error(f"cGAN step: {label} D update", worst_error_of_passes(passes, D, "D", grads, (G, D),
                                                                                     max_per_tensor))

    # -- generator update, from where the D update left the streams
    replay(after)
    states = rng_states()
    D.zero_grad()
    grads = step_gradients(trainer, trainer.generator_step)
    assert not any(v.any() for k, v in grads.items() if k.startswith("D/"))
    assert grads["G/embedding.embeddings"].any()   # the gradient reaches G's label embedding

    def g_loss():
        replay(states)
        drawn = trainer.latent_rng.integers(0, CLASSES, n)
        return objective.generator(D.forward(G.forward(trainer.sample_latent(n), drawn, training=True), drawn,
                                             training=True))[0]

    assert_gradient_error(f"cGAN step: {label} G update through D",
                          worst_error_of_passes((g_loss,), G, "G", grads, (G, D), max_per_tensor))


def worst_error_of_passes(passes, model, prefix, grads, models, max_per_tensor=None):
    """``worst_error`` (test_lsgan) for a loss that may be a sum of separate forward passes through the same
    layers (D on the real batch, then on the fake one): each pass's central differences n_i with the kinks of
    *that* pass pinned (a layer pins the kinks of its last forward), summed, against the step's gradient a.

    The error is |a − Σ n_i| / max(|a| + Σ |n_i|, 1e-12): gradcheck's metric, |a − n| / (|a| + |n|), when the
    passes' terms add up, and relative to the terms themselves when they cancel — a sum can only be known to
    the round-off of its terms (measured: one embedding element of the 2-channel D got −1.9e-4 from the real
    pass and +1.9e-4 from the fake one, summing to −7.5e-9, where the loss's round-off at h = 1e-3 is ~1e-13).
    ``max_per_tensor``: check the first, the last and that many − 2 random elements of each tensor."""
    if len(passes) == 1 and max_per_tensor is None:
        return worst_error(passes[0], model, prefix, grads, models)
    chooser = np.random.default_rng(0)
    picks = {}
    for name, p in model.parameters().items():
        picks[name] = np.arange(p.value.size)
        if max_per_tensor is not None and p.value.size > max_per_tensor:
            inner = chooser.choice(np.arange(1, p.value.size - 1), size=max_per_tensor - 2, replace=False)
            picks[name] = np.concatenate([[0], np.sort(inner), [p.value.size - 1]])
    numeric = {name: [] for name in picks}
    for loss in passes:
        loss()
        with pinned_kinks(*models):
            for name, p in model.parameters().items():
                numeric[name].append(numerical_gradient(loss, p.value, indices=picks[name])[0])
    errors = []
    for name, terms in numeric.items():
        analytic = grads[f"{prefix}/{name}"].reshape(-1)[picks[name]]
        scale = np.abs(analytic) + np.sum(np.abs(terms), axis=0)
        errors.append((np.abs(analytic - np.sum(terms, axis=0)) / np.maximum(scale, 1e-12)).max())
    return max(errors)


def test_mlp_form_step_gradients(assert_gradient_error):
    check_conditional_step(*mlp_form(), assert_gradient_error, "MLP form")


def test_mlp_form_with_a_projection_discriminator_step_gradients(assert_gradient_error):
    check_conditional_step(*mlp_projection_form(), assert_gradient_error, "MLP form, projection D")


def test_dcgan_form_step_gradients(assert_gradient_error):
    """One channel, 10 elements of each tensor (the first, the last, 8 at random); every element: slow."""
    check_conditional_step(*dcgan_form(), assert_gradient_error, "DCGAN form", max_per_tensor=10)


@pytest.mark.slow
def test_dcgan_form_step_gradients_every_element(assert_gradient_error):
    check_conditional_step(*dcgan_form(filters=2), assert_gradient_error, "DCGAN form, 2 channels")


def test_the_builders_make_both_forms():
    for name, changes, g_kind, d_kind in (
            ("cgan_mnist", dict(d_conditioning="concat"), "ConditionalGenerator", "ConditionalDiscriminator"),
            ("cgan_mnist", dict(d_conditioning="projection"), "ConditionalGenerator", "ProjectionDiscriminator"),
            ("cgan_dcgan_mnist", {}, "ConditionalGenerator", "ProjectionDiscriminator")):
        config = preset(name, **changes)
        G, D = build_gan(config)
        assert (type(G).__name__, type(D).__name__) == (g_kind, d_kind)
        assert config.conditional and G.input_shape == [(100,), ()] and D.input_shape == [(28, 28, 1), ()]
        z, y = np.zeros((2, 100), np.float32), np.array([3, 7])
        assert D(G(z, y), y).shape == (2, 1)
    assert type(build_gan(preset("cgan_dcgan_mnist"))[0].body).__name__ == "Sequential"
    with pytest.raises(ValueError, match="TrainConfig.n_classes: only the conditional models"):
        TrainConfig(model="mlp", n_classes=5)
    with pytest.raises(ValueError, match="TrainConfig.model"):
        TrainConfig(model="cgan")
    with pytest.raises(ValueError, match=r"TrainConfig.d_conditioning: only the conditional models .* expected "
                                         r"None with model 'mlp', received 'projection'"):
        TrainConfig(model="mlp", d_conditioning="projection")
    with pytest.raises(ValueError, match=r"TrainConfig.d_conditioning: expected one of \('projection',\) or None "
                                         r"with model 'cgan-dcgan', received 'concat'"):
        TrainConfig(model="cgan-dcgan", d_conditioning="concat")
    with pytest.raises(ValueError, match=r"expected one of \('concat', 'projection'\) or None .* received 'dot'"):
        TrainConfig(model="cgan-mlp", d_conditioning="dot")
    assert TrainConfig(model="cgan-mlp").discriminator_conditioning == "concat"
    assert TrainConfig(model="cgan-dcgan").discriminator_conditioning == "projection"
    assert TrainConfig(model="mlp").discriminator_conditioning is None


# -- labels that are refused ----------------------------------------------------------------------------------
def small_trainer():
    G = ConditionalGenerator(latent_dim=3, n_classes=CLASSES, embed_dim=2, hidden=(6,), image_shape=(2,), seed=1)
    D = ConditionalDiscriminator(n_classes=CLASSES, embed_dim=2, hidden=(6,), image_shape=(2,), seed=2)
    return ConditionalGANTrainer(G, D, TrainConfig(dataset="arrays", batch_size=4, latent_dim=3, progress=False),
                                 n_classes=CLASSES)


@pytest.mark.parametrize("labels, error, match", [
    (np.array([0.0, 1.0] * 4), TypeError, r"argument 'y': expected an int array of shape \(N,\), class labels, "
                                          r"received float64 shape \(8,\)"),
    ([0, 1] * 4, TypeError, "argument 'y': expected an int array .* received list"),
    (np.array([0, 1, 2, 3] * 2), ValueError, r"argument 'y': expected class labels in \[0, 3\), received values "
                                             r"in \[0, 3\]"),
    (np.array([0, -1] * 4), ValueError, r"in \[0, 3\), received values in \[-1, 0\]"),
    (None, TypeError, "argument 'y' .* is required"),
])
def test_bad_labels_are_a_clear_error_before_training(labels, error, match):
    trainer = small_trainer()
    with pytest.raises(error, match=match):
        trainer.fit(np.zeros((8, 2), np.float32), y=labels)
    assert trainer.step == 0


def test_generate_checks_its_labels():
    trainer = small_trainer()
    assert trainer.generate(np.zeros((7, 3), np.float32)).shape == (7, 2)   # the classes in turn
    with pytest.raises(ValueError, match=r"generate: argument 'labels': expected class labels in \[0, 3\)"):
        trainer.generate(np.zeros((2, 3), np.float32), labels=np.array([0, 3]))
    with pytest.raises(ValueError, match="contradicts the config's n_classes"):
        ConditionalGANTrainer(*build_gan(preset("cgan_mnist")), preset("cgan_mnist"), n_classes=3)


# -- runs: save, resume, sample, evaluate ---------------------------------------------------------------------
def tiny_config(**changes):
    """The DCGAN form's preset with 4 channels (small and quick), batch 8 (D sees 4 real + 4 fake per step)."""
    return preset("cgan_dcgan_mnist", dataset="arrays", batch_size=8, g_filters=4, d_filters=4, progress=False,
                  quick_fid=0, n_samples=10, **changes)


def stand_in_data(n=40):
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32), np.arange(n) % 10


def test_a_run_saves_what_it_is_and_resumes_bit_for_bit(tmp_path):
    x, y = stand_in_data(16)   # 4 steps per epoch
    whole = train(tiny_config(epochs=2), tmp_path / "whole", images=x, labels=y, log=lambda *a: None)
    train(tiny_config(epochs=1), tmp_path / "part", images=x, labels=y, log=lambda *a: None)
    resumed = train(tiny_config(epochs=2), tmp_path / "part", images=x, labels=y, resume=True, log=lambda *a: None)
    assert isinstance(resumed.trainer, ConditionalGANTrainer) and resumed.step == whole.step == 8
    a, b = (load_checkpoint(tmp_path / name / "checkpoint.npz") for name in ("whole", "part"))
    assert (b.config.model, b.config.n_classes, b.config.conditional) == ("cgan-dcgan", 10, True)
    for key, value in a.state.items():
        if key != "train_seconds":
            np.testing.assert_array_equal(b.state[key], value, err_msg=key)
    assert isinstance(load_trainer(tmp_path / "part" / "checkpoint.npz"), ConditionalGANTrainer)
    G, config = load_generator(tmp_path / "part" / "checkpoint.npz")
    assert isinstance(G, ConditionalGenerator) and (config["model"], config["n_classes"]) == ("cgan-dcgan", 10)
    with pytest.raises(run_module.RunSetupError, match="give both 'images' and 'labels'"):
        train(tiny_config(), tmp_path / "x", images=x)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cgan")
    x, y = stand_in_data()
    train(tiny_config(max_steps=3), out, images=x, labels=y, log=lambda *a: None)
    return out / "checkpoint.npz"


def test_sample_a_class_grid_and_one_class(checkpoint, tmp_path, capsys):
    grid = tmp_path / "grid.png"
    assert cli.main(["sample", str(checkpoint), "--class-grid", "--nrow", "4", "-o", str(grid)]) == 0
    with Image.open(grid) as image:
        assert image.size == (2 * (4 * 30 + 2), 2 * (10 * 30 + 2))   # 10 rows (classes) × 4 columns (z)
    assert "40 class grid from" in capsys.readouterr().out
    # each column shares its z: the rows differ by the label only (G with z tiled, labels repeated)
    G, config = load_generator(checkpoint)
    from numpygan.cli import _sample_inputs

    class Args:
        class_grid, nrow, seed, label, n = True, 4, 0, None, 64
    z, labels, nrow = _sample_inputs(Args, config)
    assert nrow == 4 and np.array_equal(labels, np.repeat(np.arange(10), 4))
    assert all(np.array_equal(z[c * 4:(c + 1) * 4], z[:4]) for c in range(10))
    assert cli.main(["sample", str(checkpoint), "--label", "7", "-n", "6", "-o", str(tmp_path / "seven.png")]) == 0
    assert "6 samples of class 7" in capsys.readouterr().out


@pytest.mark.parametrize("args, match", [
    (["--label", "10"], r"--label: expected an int in \[0, 10\) \(the run's classes\), received 10"),
    (["--label", "-1"], r"--label: expected an int in \[0, 10\)"),
    (["--label", "2.5"], "argument --label: invalid int value: '2.5'"),
    (["--label", "1", "--class-grid"], "either --label or --class-grid"),
])
def test_sample_refuses_bad_labels(checkpoint, tmp_path, capsys, args, match):
    assert cli.main(["sample", str(checkpoint), "-o", str(tmp_path / "g.png"), *args]) == 2
    assert re.search(match, capsys.readouterr().err.strip().splitlines()[-1])


def test_sample_refuses_labels_for_an_unconditional_run(tmp_path, capsys):
    x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)
    train(preset("mlp_mnist", dataset="arrays", batch_size=8, max_steps=1, progress=False, quick_fid=0,
                 n_samples=4), tmp_path, images=x, log=lambda *a: None)
    assert cli.main(["sample", str(tmp_path / "checkpoint.npz"), "--class-grid", "-o", str(tmp_path / "g.png")]) == 2
    assert "--class-grid: expected a conditional (cgan-*) checkpoint, received model 'mlp'" in capsys.readouterr().err


def labelled_stand_ins(n_per_class, seed):
    """Ten 'classes' of random images, class c brighter in row c: images (10·n, 28, 28, 1) and labels."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n_per_class)
    x = 0.3 * rng.random((len(labels), 28, 28, 1), dtype=np.float32)
    x[np.arange(len(labels)), 2 * labels + 4] += 0.7
    return x, labels


@pytest.fixture(scope="module")
def stand_ins():
    return labelled_stand_ins(140, 0), labelled_stand_ins(130, 1), Classifier(build_classifier(seed=0), "mnist")


def test_evaluate_conditional_counts_each_class(stand_ins):
    train_data, test_data, classifier = stand_ins
    predicted = classifier.logits(test_data[0], 500).argmax(axis=1)

    def generator_fn(labels, rng):   # draws the test images of the class asked for, in turn
        rows = [np.flatnonzero(test_data[1] == c)[rng.integers(0, 130)] for c in labels]
        return test_data[0][rows]

    result = evaluate_conditional(generator_fn, "mnist", n_per_class=130, classifier=classifier, batch_size=200,
                                  data=(train_data, test_data))
    # the label accuracy is the classifier's on the samples for each class
    assert result.accuracy.shape == (10,) and result.overall_accuracy == pytest.approx(result.accuracy.mean())
    assert np.allclose(result.real_accuracy, [np.mean(predicted[test_data[1] == c] == c) for c in range(10)])
    assert np.all(result.fid >= 0) and np.isfinite(result.overall_fid)
    table = result.table()
    assert "label accuracy" in table and "overall" in table and len(table.splitlines()) == 10 + 8
    numbers = json.loads(json.dumps(result.as_dict()))
    assert len(numbers["label_accuracy"]["per_class"]) == 10 and numbers["classes"][3] == "3"
    with pytest.raises(ValueError, match="'n_per_class' must exceed the classifier's 128 features"):
        evaluate_conditional(generator_fn, "mnist", n_per_class=100, classifier=classifier, data=(train_data,
                                                                                                 test_data))


@pytest.mark.slow
def test_numpygan_evaluate_adds_the_per_class_table(checkpoint, stand_ins, monkeypatch, tmp_path, capsys):
    train_data, test_data, classifier = stand_ins
    monkeypatch.setattr(classifier_module, "load_classifier", lambda *a, **k: classifier)
    monkeypatch.setattr(evaluate_module, "load_dataset",
                        lambda name, split, **k: train_data if split == "train" else test_data)
    monkeypatch.setattr(conditional_metrics, "load_dataset",
                        lambda name, split, **k: train_data if split == "train" else test_data)
    out = tmp_path / "numbers.json"
    assert cli.main(["evaluate", str(checkpoint), "--metrics", "fid,coverage", "--n", "1300", "--no-progress",
                     "--json", str(out), "--batch-size", "650", "--dataset", "mnist"]) == 0
    text = capsys.readouterr().out
    assert "Classifier FID" in text and "conditional: 130 samples per class" in text
    numbers = json.loads(out.read_text())
    assert len(numbers["conditional"]["fid"]["per_class"]) == 10
    assert numbers["generator"]["coverage"]["counts"] is not None
