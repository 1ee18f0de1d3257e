"""DCGAN forms (keras / paper / radford / infogan), their flags and presets, the quick FID after each epoch,
the default DCGAN learns."""

import numpy as np
import pytest

from numpygan import cli, models
from numpygan.io import CHECKSUMS_KEY
from numpygan.layers import BatchNormalization, Conv2D, Conv2DTranspose, Dense, Dropout
from numpygan.metrics import build_classifier, feature_statistics, frechet_distance
from numpygan.metrics.classifier import FEATURE_DIM, Classifier
from numpygan.metrics.from_checkpoint import to_unit_range
from numpygan.training import (GANTrainer, QuickFID, TrainConfig, build_gan, load_checkpoint,
                               load_trainer, preset, sample_latent, save_checkpoint, train)
from numpygan.training import config as config_module
from numpygan.training import quick_fid as quick_fid_module
from numpygan.training import run as run_module
from numpygan.training.command_line import example_main
from numpygan.training.checkpoint import READABLE_FORMATS
from numpygan.training.trainer import EVALUATIONS


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def quiet(*args):
    pass


def images(n=32, seed=0, value_range=(-1.0, 1.0)):
    return np.random.default_rng(seed).uniform(*value_range, (n, 28, 28, 1)).astype(np.float32)


@pytest.fixture
def stand_in_data(monkeypatch):
    """Training images: 64 random ones in the config's range; the quick FID finds no cached classifier."""
    asked = []

    def load(config, verbose=True):
        asked.append(config.dataset)
        return run_module.select_rows(images(64, value_range=config.value_range), config)

    def no_classifier(dataset):
        raise FileNotFoundError(f"no {dataset} classifier in this test")

    monkeypatch.setattr(run_module, "load_training_images", load)
    monkeypatch.setattr(quick_fid_module, "load_classifier", no_classifier)
    return asked


def stand_in_quick_fid(n=200, **kwargs):
    """A QuickFID with an untrained classifier (deterministic weights) and reference statistics of random images."""
    classifier = Classifier(build_classifier(seed=0), "mnist")
    reference = feature_statistics(classifier.features(images(300, seed=5, value_range=(0.0, 1.0))))
    return QuickFID("mnist", n, classifier=classifier, reference=reference, log=quiet, **kwargs)


# -- forms and presets ------------------------------------------------------------------------------------------
def test_the_two_forms_build_their_architectures():
    G, D = build_gan(preset("dcgan_keras"))
    assert type(G.layers[-1]).__name__ == "Sigmoid" and not any(isinstance(l, BatchNormalization) for l in G.layers)
    assert [l.rate for l in D.layers if isinstance(l, Dropout)] == [0.4, 0.4]
    G, D = build_gan(preset("dcgan_paper"))
    assert type(G.layers[-1]).__name__ == "Tanh"
    assert sum(isinstance(l, BatchNormalization) for l in G.layers) == 3
    assert sum(isinstance(l, BatchNormalization) for l in D.layers) == 1
    assert not any(isinstance(l, Dropout) for l in D.layers)
    # N(0, 0.02²) weights in the paper form (262,144 draws reach beyond 4σ), Glorot-uniform in the Keras form
    # (|w| ≤ √(6 / (fan_in + fan_out)) = √(6 / 4096), a similar std but no tails)
    kernel = next(l for l in G.layers if isinstance(l, Conv2DTranspose)).kernel.value
    assert kernel.std() == pytest.approx(0.02, rel=0.02) and np.abs(kernel).max() > 0.08
    keras_kernel = next(l for l in build_gan(preset("dcgan_keras"))[0].layers
                        if isinstance(l, Conv2DTranspose)).kernel.value
    assert np.abs(keras_kernel).max() <= np.sqrt(6 / 4096)


def test_radford_form_builds_the_papers_layer_pattern():
    G, D = build_gan(preset("dcgan_radford", g_filters=32, d_filters=16))
    assert [type(l).__name__ for l in G.layers] == ["Dense", "BatchNormalization", "ReLU", "Reshape",
                                                    "Conv2DTranspose", "BatchNormalization", "ReLU",
                                                    "Conv2DTranspose", "Tanh"]
    assert next(l for l in G.layers if isinstance(l, Dense)).units == 32 * 7 * 7
    assert [l.filters for l in G.layers if isinstance(l, Conv2DTranspose)] == [16, 1]
    assert [(l.filters, l.kernel_size) for l in D.layers if isinstance(l, Conv2D)] == [(8, (4, 4)), (16, (4, 4))]
    assert sum(isinstance(l, BatchNormalization) for l in D.layers) == 1
    assert not any(isinstance(l, Dropout) for l in D.layers)
    assert G.forward(np.zeros((2, 100), np.float32)).shape == (2, 28, 28, 1)
    assert D.forward(images(2)).shape == (2, 1)
    for model in (G, D):  # the layers BatchNorm follows have no bias; weights N(0, 0.02²)
        for layer in model.layers:
            if isinstance(layer, (Dense, Conv2D, Conv2DTranspose)) and layer.kernel.value.size > 1000:
                assert layer.kernel.value.std() == pytest.approx(0.02, rel=0.1)
    assert [l.use_bias for l in G.layers if isinstance(l, (Dense, Conv2DTranspose))] == [False, False, True]


def test_infogan_form_puts_a_hidden_dense_layer_in_front_of_g_and_behind_d():
    G, D = build_gan(preset("dcgan_mnist", g_filters=32, d_filters=16))
    assert preset("dcgan_mnist").form == "infogan"
    assert [type(l).__name__ for l in G.layers] == ["Dense", "BatchNormalization", "ReLU", "Dense",
                                                    "BatchNormalization", "ReLU", "Reshape", "Conv2DTranspose",
                                                    "BatchNormalization", "ReLU", "Conv2DTranspose", "Tanh"]
    assert [l.units for l in G.layers if isinstance(l, Dense)] == [1024, 32 * 7 * 7]
    assert [l.filters for l in G.layers if isinstance(l, Conv2DTranspose)] == [16, 1]
    assert [type(l).__name__ for l in D.layers] == ["Conv2D", "LeakyReLU", "Conv2D", "BatchNormalization",
                                                    "LeakyReLU", "Flatten", "Dense", "BatchNormalization",
                                                    "LeakyReLU", "Dense"]
    assert [(l.filters, l.kernel_size) for l in D.layers if isinstance(l, Conv2D)] == [(8, (4, 4)), (16, (4, 4))]
    assert [l.units for l in D.layers if isinstance(l, Dense)] == [1024, 1]
    assert G.forward(np.zeros((2, 100), np.float32)).shape == (2, 28, 28, 1)
    assert D.forward(images(2)).shape == (2, 1)
    # the layers BatchNorm follows have no bias
    assert [l.use_bias for l in G.layers if isinstance(l, (Dense, Conv2DTranspose))] == [False, False, False, True]
    assert [l.use_bias for l in D.layers if isinstance(l, (Dense, Conv2D))] == [True, False, False, True]
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="infogan_generator: argument 'hidden' expected an integer >= 1"):
            models.infogan_generator(hidden=bad)
        with pytest.raises(ValueError, match="infogan_discriminator: argument 'hidden' expected an integer >= 1"):
            models.infogan_discriminator(hidden=bad)


def test_batchnorm_in_g_only():
    G, D = build_gan(preset("dcgan_paper", form=None, d_batchnorm=False))
    assert sum(isinstance(l, BatchNormalization) for l in G.layers) == 3
    assert not any(isinstance(l, BatchNormalization) for l in D.layers) and not D.uses_batch_statistics
    assert preset("dcgan_paper").discriminator_batchnorm and not preset("dcgan_keras").discriminator_batchnorm


def test_channel_widths():
    G, D = build_gan(preset("dcgan_paper", g_filters=32, d_filters=16))
    assert [l.filters for l in G.layers if isinstance(l, Conv2DTranspose)] == [32, 32]
    assert next(l for l in G.layers if isinstance(l, Dense)).units == 32 * 7 * 7
    assert [l.filters for l in D.layers if isinstance(l, Conv2D)] == [16, 16]


def test_default_dcgan_presets_and_form_presets():
    assert preset("dcgan_fashion").dataset == "fashion"
    assert preset("dcgan_fashion").replace(dataset="mnist") == preset("dcgan_mnist")
    assert config_module.preset_for("dcgan", "fashion") == preset("dcgan_fashion")
    assert config_module.preset_for("dcgan", "fashion", "keras") == preset("dcgan_keras", dataset="fashion")
    for form, name in config_module.FORM_PRESETS.items():
        assert preset(name).form == form
    with pytest.raises(ValueError, match="argument 'form'"):
        config_module.preset_for("mlp", "mnist", "paper")


@pytest.mark.parametrize("changes, match", [
    ({"batchnorm": True}, r"TrainConfig.batchnorm: form 'keras' requires False, received True \(use form 'paper'"),
    ({"output_activation": "tanh"}, "TrainConfig.output_activation: form 'keras' requires 'sigmoid'"),
    ({"form": "paper"}, "TrainConfig.batchnorm: form 'paper' requires True"),
    ({"form": "paper", "batchnorm": True, "output_activation": "tanh"}, r"d_dropout\)?: form 'paper' requires 0.0"),
    ({"form": "dropout"}, r"TrainConfig.form: expected one of \('keras', 'paper', 'radford', 'infogan'\)"),
    ({"form": "radford", "batchnorm": True, "output_activation": "tanh", "d_dropout": 0.0, "g_filters": 1},
     "TrainConfig.g_filters: form 'radford' halves the width; expected at least 2, received 1"),
    ({"model": "cgan-dcgan", "form": "radford", "batchnorm": True, "output_activation": "tanh", "d_dropout": 0.0},
     r"TrainConfig.form: the conditional DCGAN is built on the Keras tutorial's layers; expected one of "
     r"\('keras', 'paper'\) or None with model 'cgan-dcgan', received 'radford'"),
    ({"form": "infogan", "batchnorm": True, "output_activation": "tanh", "d_dropout": 0.0, "d_filters": 1},
     "TrainConfig.d_filters: form 'infogan' halves the width; expected at least 2, received 1"),
    ({"g_filters": 0}, "g_filters: expected an int >= 1"),
    ({"d_batchnorm": True}, "d_batchnorm: form 'keras' requires None"),
    ({"d_batchnorm": 1}, "d_batchnorm: expected None or a bool"),
    ({"quick_fid": 100}, "quick_fid: expected 0 .* 128 features, received 100"),
])
def test_contradicting_settings_are_refused(changes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        preset("dcgan_keras", **changes)


def test_mlp_refuses_dcgan_settings_and_old_configs_still_load():
    for changes, match in (({"form": "paper"}, "form: the forms are DCGAN forms"),
                           ({"d_filters": 32}, "d_filters: only the DCGAN"), ({"batchnorm": True}, "batchnorm"),
                           ({"d_batchnorm": True}, "d_batchnorm: only the DCGAN")):
        with pytest.raises(ValueError, match=match):
            preset("mlp_mnist", **changes)
    assert config_module.QUICK_FID_MIN_SAMPLES == FEATURE_DIM
    # a config saved before forms, widths and the quick FID existed
    new_fields = ("form", "g_filters", "d_filters", "quick_fid", "d_batchnorm")
    config = TrainConfig.from_dict({k: v for k, v in preset("dcgan_keras").to_dict().items() if k not in new_fields})
    assert (config.form, config.g_filters, config.d_filters, config.kernel_initializer) == (None, 128, 64, None)
    assert config.d_batchnorm is None
    assert "quick_fid" in config_module.RUN_LENGTH_FIELDS  # changing it on --resume is allowed


# -- the command line ---------------------------------------------------------------------------------------------
COMMON = ["--max-steps", "1", "--data-limit", "32", "--batch-size", "8", "--no-progress", "--n-samples", "4"]


def test_cli_selects_forms_and_variants(tmp_path, stand_in_data, capsys):
    out = tmp_path / "keras"
    assert cli.main(["train", "--model", "dcgan", "--form", "keras", "--out", str(out), *COMMON]) == 0
    config = load_checkpoint(out / "checkpoint.npz").config
    assert (config.form, config.output_activation, config.d_dropout, config.batchnorm) == ("keras", "sigmoid", 0.4,
                                                                                            False)
    out = tmp_path / "variant"
    assert cli.main(["train", "--model", "dcgan", "--dataset", "fashion", "--lr-d", "4e-4", "--lr-g", "1e-4",
                     "--g-filters", "16", "--d-filters", "8", "--quick-fid", "0", "--out", str(out), *COMMON]) == 0
    config = load_checkpoint(out / "checkpoint.npz").config
    assert config == preset("dcgan_fashion", lr_d=4e-4, lr_g=1e-4, g_filters=16, d_filters=8, quick_fid=0,
                            max_steps=1, data_limit=32, batch_size=8, progress=False, n_samples=4, train_rows=32)
    out = tmp_path / "custom"  # no form: BatchNorm, the output and Dropout chosen freely
    assert cli.main(["train", "--model", "dcgan", "--form", "none", "--output-activation", "sigmoid",
                     "--d-dropout", "0.2", "--no-d-batchnorm", "--out", str(out), *COMMON]) == 0
    config = load_checkpoint(out / "checkpoint.npz").config
    assert (config.form, config.batchnorm, config.output_activation, config.d_dropout) == (None, True, "sigmoid", 0.2)
    assert config.d_batchnorm is False
    out = tmp_path / "radford"
    assert cli.main(["train", "--model", "dcgan", "--form", "radford", "--g-filters", "8", "--d-filters", "4",
                     "--out", str(out), *COMMON]) == 0
    config = load_checkpoint(out / "checkpoint.npz").config
    assert (config.form, config.g_filters, config.d_filters) == ("radford", 8, 4)
    assert config == preset("dcgan_radford", g_filters=8, d_filters=4, max_steps=1, data_limit=32, batch_size=8,
                            progress=False, n_samples=4, train_rows=32)
    assert stand_in_data == ["mnist", "fashion", "mnist", "mnist"]
    assert "quick FID: skipped, no cached mnist classifier" in capsys.readouterr().out


@pytest.mark.parametrize("argv, match", [
    (["--model", "dcgan", "--form", "keras", "--batchnorm"], r"batchnorm\)?: form 'keras' requires False"),
    (["--model", "dcgan", "--form", "paper", "--output-activation", "sigmoid"], "form 'paper' requires 'tanh'"),
    (["--model", "dcgan", "--d-dropout", "0.3"], r"d_dropout\)?: form 'infogan' requires 0.0"),
    (["--model", "mlp", "--form", "paper"], "--form: .*names a DCGAN form"),
    (["--model", "mlp", "--form", "none", "--batchnorm"], r"batchnorm\)?: only the DCGAN builders"),
    (["--model", "mlp", "--g-filters", "64"], r"\(g_filters\): only the DCGAN"),
    (["--model", "dcgan", "--form", "wide"], "argument --form: invalid choice"),
    (["--model", "dcgan", "--form", "radford", "--g-filters", "1"], r"\(g_filters\): form 'radford' halves"),
    (["--model", "cgan-dcgan", "--form", "radford"], r"--form: .*the conditional DCGAN is built on the Keras"),
    (["--model", "cgan-dcgan", "--form", "infogan"], r"--form: .*the conditional DCGAN is built on the Keras"),
    (["--model", "dcgan", "--form", "paper", "--no-d-batchnorm"], r"\(d_batchnorm\): form 'paper' requires None"),
    (["--model", "dcgan", "--output-activation", "relu"], "argument --output-activation: invalid choice"),
    (["--model", "mlp", "--d-conditioning", "projection"], r"\(d_conditioning\): only the conditional models"),
    (["--model", "cgan-dcgan", "--d-conditioning", "concat"], r"\(d_conditioning\): expected one of \('projection',\)"),
])
def test_cli_refuses_unknown_combinations(argv, match, tmp_path, stand_in_data, capsys):
    assert cli.main(["train", *argv, "--out", str(tmp_path)]) == 2
    assert __import__("re").search(match, capsys.readouterr().err)
    assert stand_in_data == [] and not (tmp_path / "checkpoint.npz").exists()


def test_example_form_flag_starts_from_that_form(tmp_path, stand_in_data):
    assert example_main("dcgan_mnist", str(tmp_path), "test", ["--form", "keras", "--out", str(tmp_path),
                                                               *COMMON]) == 0
    assert load_checkpoint(tmp_path / "checkpoint.npz").config.form == "keras"
    with pytest.raises(SystemExit) as exc:
        example_main("mlp_mnist", str(tmp_path / "x"), "test", ["--form", "keras"])
    assert exc.value.code == 2


# -- the quick FID ----------------------------------------------------------------------------------------------
def small_trainer(**changes):
    config = preset("mlp_mnist", dataset="arrays", batch_size=8, progress=False, n_samples=4, **changes)
    G, D = build_gan(config)
    return GANTrainer(G, D, config)


def test_quick_fid_is_the_metrics_fid_of_fixed_samples():
    quick = stand_in_quick_fid(n=200, seed=3)
    trainer = small_trainer()
    value = quick.measure(trainer)
    z = sample_latent(trainer.config, 200, np.random.default_rng(3))
    features = quick.classifier.features(to_unit_range(trainer.generate(z), "tanh"))
    assert value == pytest.approx(frechet_distance(*feature_statistics(features), *quick.reference), rel=1e-9)
    assert quick.measure(trainer) == value  # the same z every time
    for bad in (FEATURE_DIM, 10.5, True):
        with pytest.raises(ValueError, match="argument 'n'"):
            QuickFID("mnist", bad)
    with pytest.raises(ValueError, match="argument 'every_steps'"):
        QuickFID("mnist", every_steps=0)


def test_quick_fid_is_recorded_each_epoch_saved_plotted_and_restored(tmp_path, capsys):
    config = preset("mlp_mnist", dataset="arrays", batch_size=8, epochs=2, progress=False, n_samples=4)
    quick = stand_in_quick_fid(n=150, every_steps=3)
    monkey = pytest.MonkeyPatch()
    monkey.setattr(run_module, "quick_fid_for", lambda config, log: quick)
    try:
        result = train(config, tmp_path, images=images(32), log=print)
    finally:
        monkey.undo()
    points = result.trainer.evaluations["quick_fid"]
    # 4 steps per epoch: every 3 steps and at each epoch end, step 3 and 6 and the ends 4 and 8, once each
    assert [step for step, _ in points] == [3, 4, 6, 8] and all(v > 0 for _, v in points)
    lines = capsys.readouterr().out
    assert f"epoch 2/2: " in lines and f"quick FID {points[-1][1]:.2f}" in lines
    assert "quick_fid" in result.trainer._running_means()
    trainer = load_trainer(tmp_path / "checkpoint.npz")
    assert trainer.evaluations == {"quick_fid": points}
    assert (tmp_path / "losses.png").stat().st_size > 0


def test_checkpoints_without_evaluations_still_load(tmp_path):
    trainer = small_trainer()
    trainer.record_evaluation("quick_fid", 12.5)
    path = save_checkpoint(tmp_path / "new.npz", trainer)
    with np.load(path) as arrays:
        assert arrays[f"{EVALUATIONS}/quick_fid/step"].tolist() == [0]
        # a checkpoint from before the quick FID: no evaluations, and no checksum table naming them
        old = {k: arrays[k] for k in arrays.files if not k.startswith(EVALUATIONS) and k != CHECKSUMS_KEY}
    old["format"] = np.array(READABLE_FORMATS[-1])  # the format written before checksums
    np.savez(tmp_path / "old.npz", **old)
    assert load_trainer(tmp_path / "old.npz").evaluations == {}
    assert load_trainer(path).evaluations == {"quick_fid": [(0, 12.5)]}
    with pytest.raises(ValueError, match="argument 'name'"):
        trainer.record_evaluation("a/b", 1.0)


def test_quick_fid_skips_without_a_classifier(monkeypatch):
    notes = []

    def no_classifier(dataset):
        raise FileNotFoundError(dataset)

    monkeypatch.setattr(quick_fid_module, "load_classifier", no_classifier)
    trainer = small_trainer()
    quick = QuickFID("fashion", log=notes.append)
    quick.on_epoch_end(trainer)
    quick.on_epoch_end(trainer)
    assert len(notes) == 1 and "no cached fashion classifier" in notes[0] and "train_classifier.py" in notes[0]
    assert trainer.evaluations == {}
    silent = QuickFID("arrays", log=notes.append)  # no classifier exists for stand-in data: no note
    silent.on_epoch_end(trainer)
    assert len(notes) == 1 and silent.available is False


# -- the default DCGAN learns ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_default_dcgan_moves_d_on_fakes_and_changes_g():
    """300 steps of the default DCGAN (batch 16) on 2,400 MNIST digits: D's output on the untrained G's fakes
    moves away from its starting value (≈ 0.5: D learns what a fake looks like) and every kernel of G changes."""
    from numpygan.data import load_mnist

    try:
        x, _ = load_mnist("train", value_range=preset("dcgan_mnist").value_range)
    except Exception as err:  # no cached data and no network
        pytest.skip(f"MNIST unavailable: {err}")
    config = preset("dcgan_mnist", dataset="arrays", batch_size=16, epochs=1, progress=False, quick_fid=0)
    G, D = build_gan(config)
    trainer = GANTrainer(G, D, config)
    first_fakes = G.forward(trainer.fixed_noise[:32], training=False)
    g_before = {k: v.copy() for k, v in G.state_dict().items()}

    def d_on_first_fakes():
        return float(np.mean(trainer.objective.probability(D.forward(first_fakes, training=False))))

    start = d_on_first_fakes()
    trainer.fit(x[:2400])   # 2400 / 8 = 300 steps
    assert trainer.step == 300
    assert abs(d_on_first_fakes() - start) > 0.1, (start, d_on_first_fakes())
    changed = [np.linalg.norm(G.state_dict()[k] - v) / np.linalg.norm(v)
               for k, v in g_before.items() if k.endswith("kernel")]
    assert min(changed) > 0.01, changed
