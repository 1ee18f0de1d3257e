"""The example scripts and the ``numpygan`` command, end to end on a few steps of stand-in data."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from numpygan import cli
from numpygan.layers import Dense
from numpygan.runtime import blas_threads, get_blas_threads, set_blas_threads
from numpygan.training import load_checkpoint, load_generator, select_rows
from numpygan.training import quick_fid as quick_fid_module
from numpygan.training import run as run_module

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_data(monkeypatch):
    """Replace the dataset loader: 200 random images in the config's value range; records what was asked."""
    asked = []

    def load(config, verbose=True):
        asked.append(config.dataset)
        low, high = config.value_range
        x = np.random.default_rng(0).uniform(low, high, (200, 28, 28, 1)).astype(np.float32)
        return select_rows(x, config)

    monkeypatch.setattr(run_module, "load_training_images", load)

    def no_classifier(dataset):  # the quick FID then skips with a note, whatever the cache holds
        raise FileNotFoundError(f"no {dataset} classifier in this test")

    monkeypatch.setattr(quick_fid_module, "load_classifier", no_classifier)
    return asked


def test_mlp_mnist_example_writes_every_output(tmp_path, fake_data, capsys):
    out = tmp_path / "mlp_mnist"
    # 32 images, batch 8: 4 steps per epoch; stop after one epoch and two steps
    rc = load_example("mlp_mnist").main(["--max-steps", "6", "--data-limit", "32", "--batch-size", "8",
                                         "--out", str(out), "--no-progress", "--n-samples", "9"])
    assert rc == 0 and fake_data == ["mnist"]
    for file in ("epoch_001.png", "samples.png", "losses.png", "progress.gif", "checkpoint.npz"):
        assert (out / file).stat().st_size > 0, file
    assert not (out / "epoch_002.png").exists()
    generator, config = load_generator(out / "checkpoint.npz")
    assert (config["model"], config["dataset"], config["output_activation"]) == ("mlp", "mnist", "tanh")
    assert (config["epoch"], config["step"], config["train_rows"]) == (1, 6, 32)
    assert "done: 1 epochs, 6 steps" in capsys.readouterr().out


@pytest.mark.parametrize("name, dataset, model, activation, g_dropout", [
    ("mlp_fashion", "fashion", "mlp", "tanh", 0.3),
    ("dcgan_mnist", "mnist", "dcgan", "tanh", 0.0),
])
def test_other_examples_run(name, dataset, model, activation, g_dropout, tmp_path, fake_data):
    rc = load_example(name).main(["--max-steps", "2", "--data-limit", "32", "--batch-size", "8",
                                  "--out", str(tmp_path), "--no-progress", "--n-samples", "4"])
    assert rc == 0 and fake_data == [dataset]
    assert (tmp_path / "samples.png").exists()
    config = load_checkpoint(tmp_path / "checkpoint.npz").config
    assert (config.model, config.dataset, config.output_activation, config.g_dropout) == (model, dataset, activation,
                                                                                          g_dropout)
    assert config.d_half_batch == (model == "dcgan")


def test_example_resume_and_its_guards(tmp_path, fake_data, capsys):
    example = load_example("mlp_mnist")
    common = ["--data-limit", "64", "--batch-size", "16", "--out", str(tmp_path), "--no-progress"]
    assert example.main(common + ["--max-steps", "2", "--label-smoothing", "0.2"]) == 0
    before = (tmp_path / "checkpoint.npz").read_bytes()
    # a new run into the same folder is refused, and the checkpoint kept
    assert example.main(common + ["--max-steps", "2"]) == 1
    assert "--resume" in capsys.readouterr().err and (tmp_path / "checkpoint.npz").read_bytes() == before
    # resuming with a different setting is refused with the difference named
    assert example.main(common + ["--resume", "--latent-dim", "50"]) == 1
    assert "latent_dim: checkpoint has 100, this run has 50" in capsys.readouterr().err
    # resuming keeps the checkpoint's settings (label smoothing) and extends the run
    assert example.main(["--out", str(tmp_path), "--resume", "--max-steps", "5", "--no-progress"]) == 0
    checkpoint = load_checkpoint(tmp_path / "checkpoint.npz")
    assert checkpoint.step == 5 and checkpoint.config.label_smoothing == 0.2 and checkpoint.config.max_steps == 5
    # usage errors exit with 2 before any work
    with pytest.raises(SystemExit) as exc:
        example.main(["--label-smoothing", "0.7", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2 and "label_smoothing" in capsys.readouterr().err


def test_cli_train_and_sample(tmp_path, fake_data, capsys):
    out = tmp_path / "run"
    rc = cli.main(["train", "--model", "mlp", "--dataset", "fashion", "--max-steps", "2", "--data-limit", "32",
                   "--batch-size", "8", "--out", str(out), "--no-progress", "--lr", "1e-3", "--k", "2"])
    assert rc == 0 and fake_data == ["fashion"]
    config = load_checkpoint(out / "checkpoint.npz").config
    assert (config.g_dropout, config.lr_g, config.lr_d, config.k) == (0.3, 1e-3, 1e-3, 2)  # fashion: 2nd MLP form
    grid = tmp_path / "grid.png"
    assert cli.main(["sample", str(out / "checkpoint.npz"), "-n", "9", "-o", str(grid), "--nrow", "3"]) == 0
    with Image.open(grid) as image:
        assert image.size == (2 * (3 * 30 + 2), 2 * (3 * 30 + 2))  # 3×3 tiles of 28 px, 2 px padding, ×2
    assert "9 samples from" in capsys.readouterr().out
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 truncated")
    assert cli.main(["sample", str(tmp_path / "broken.npz")]) == 1
    assert "is corrupt" in capsys.readouterr().err


def test_cli_trains_with_the_reference_layers_on_request(tmp_path, fake_data, monkeypatch):
    """--reference-layers: the run's models and Adam are the references, and the default comes back after."""
    from numpygan import fast, models, optimizers
    from numpygan.training import trainer as trainer_module

    seen = []
    original_init = trainer_module.GANTrainer.__init__

    def spy(self, generator, discriminator, config, *args, **kwargs):
        original_init(self, generator, discriminator, config, *args, **kwargs)
        seen.append((type(generator.layers[0]), type(self.g_optimizer)))

    monkeypatch.setattr(trainer_module.GANTrainer, "__init__", spy)
    for flags, expected in (([], (fast.Dense, fast.Adam)), (["--reference-layers"], (Dense, optimizers.Adam))):
        rc = cli.main(["train", "--model", "mlp", "--max-steps", "1", "--data-limit", "16", "--batch-size", "8",
                       "--out", str(tmp_path / "run"), "--no-progress", "--overwrite", *flags])
        assert rc == 0 and seen[-1] == expected
        assert not models.uses_reference_layers()


def test_cli_usage_and_plugins(monkeypatch, capsys):
    assert cli.main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert cli.main(["train", "--model", "dcgan", "--batch-size", "1"]) == 2  # D's half batch would be empty
    assert "batch_size" in capsys.readouterr().err
    assert cli.main(["train", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err
    assert cli.main(["data", "path"]) == 0
    assert capsys.readouterr().out.strip()
    # without the metrics package, `evaluate` explains instead of crashing
    monkeypatch.setitem(sys.modules, "numpygan.metrics.cli", None)
    assert cli.main(["evaluate", "some.npz"]) == 1
    assert "numpygan.metrics.cli is not available" in capsys.readouterr().err


@pytest.mark.slow  # trains for several seconds: keeps the fast suite under a minute (CI runs -m slow)
def test_mlp_mnist_script_on_real_mnist(tmp_path):
    """The script as a user runs it, for two steps, if MNIST is in the cache (``numpygan data fetch mnist``)."""
    from numpygan.data import resolve_cache_dir

    if not (resolve_cache_dir() / "mnist.npz").exists():
        pytest.skip("MNIST is not cached; run `numpygan data fetch mnist`")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(EXAMPLES / "mlp_mnist.py"), "--max-steps", "2", "--data-limit", "512",
                           "--out", str(tmp_path), "--no-progress"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "done: 0 epochs, 2 steps" in done.stdout
    assert load_checkpoint(tmp_path / "checkpoint.npz").config.train_rows == 512
    assert (tmp_path / "samples.png").exists()


def test_blas_thread_count_can_be_changed_at_run_time():
    before = get_blas_threads()
    if not before:
        pytest.skip("no OpenBLAS found in this process (another BLAS or OS): --threads does nothing here")
    try:
        assert set_blas_threads(1) == len(before)
        assert set(get_blas_threads().values()) == {1}
    finally:
        for count in set(before.values()):
            set_blas_threads(count)
    with pytest.raises(ValueError, match="'n'"):
        set_blas_threads(0)


def test_gan_from_scratch_runs_a_few_steps(tmp_path, monkeypatch, capsys):
    """The plain training loop, five steps on stand-in images: it trains and writes its grid."""
    example = load_example("gan_from_scratch")
    images = np.random.default_rng(0).uniform(-1, 1, (160, 28, 28, 1)).astype(np.float32)
    monkeypatch.setattr(example, "load_mnist", lambda split, verbose=True: (images, np.zeros(160, np.int64)))
    out = tmp_path / "grid.png"
    assert example.main(["--epochs", "2", "--max-steps", "5", "--batch-size", "16", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "epoch 1/2 step 5/10  d_loss" in text and "done: 5 steps" in text
    with Image.open(out) as image:
        assert image.size == (2 * (8 * 30 + 2), 2 * (8 * 30 + 2))  # 8×8 tiles of 28 px, 2 px padding, ×2


def test_cgan_example_and_the_conditional_train_command(tmp_path, fake_data, monkeypatch, capsys):
    """examples/cgan_mnist.py and `numpygan train --model cgan-dcgan`: images with labels, the run's checkpoint
    says it is conditional, and `numpygan sample --class-grid` draws from it."""
    monkeypatch.setattr(run_module, "load_training_labels",
                        lambda config, verbose=False: select_rows(np.arange(200) % 10, config))
    out = tmp_path / "cgan"
    assert load_example("cgan_mnist").main(["--max-steps", "2", "--data-limit", "32", "--batch-size", "8",
                                            "--out", str(out), "--no-progress"]) == 0
    config = load_checkpoint(out / "checkpoint.npz").config
    assert (config.model, config.dataset, config.n_classes, config.n_samples) == ("cgan-mlp", "mnist", 10, 100)
    assert config.discriminator_conditioning == "projection"
    assert cli.main(["sample", str(out / "checkpoint.npz"), "--class-grid", "-o", str(tmp_path / "g.png")]) == 0
    assert "100 class grid" in capsys.readouterr().out
    assert cli.main(["train", "--model", "cgan-dcgan", "--dataset", "fashion", "--max-steps", "1", "--data-limit",
                     "16", "--batch-size", "8", "--g-filters", "4", "--d-filters", "4", "--out",
                     str(tmp_path / "dc"), "--no-progress"]) == 0
    config = load_checkpoint(tmp_path / "dc" / "checkpoint.npz").config
    assert (config.model, config.dataset, config.form, config.batchnorm) == ("cgan-dcgan", "fashion", "paper", True)
    assert fake_data == ["mnist", "fashion"]
