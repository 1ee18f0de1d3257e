"""Checkpoints: round trip, bit-for-bit resumption, clear errors for damaged or mismatched files."""

import os

import numpy as np
import pytest

from numpygan import Sequential
from numpygan.layers import BatchNormalization, Dense, Dropout, LeakyReLU, ReLU
from numpygan.training import (CheckpointError, GANTrainer, TrainConfig, build_gan, load_checkpoint, load_generator,
                               load_trainer, preset, restore_trainer, sample_latent, save_checkpoint, train)
from numpygan.training.checkpoint import FORMAT


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def quiet(*args):
    pass


def images(n=64, seed=0, low=-1.0):
    return np.random.default_rng(seed).uniform(low, 1, (n, 28, 28, 1)).astype(np.float32)


def mlp_config(**changes):
    # the second MLP form: Dropout in G and D, so both models' random streams matter
    settings = dict(dataset="arrays", batch_size=16, epochs=2, progress=False, n_samples=4)
    return preset("mlp_fashion", **{**settings, **changes})


def run_state(result):
    # all of it, but train_seconds (wall-clock time) is allowed to differ
    return result.trainer.state_dict()


def assert_states_equal(a, b, ignore=("train_seconds",)):
    assert a.keys() == b.keys()
    different = [k for k in a if k not in ignore and not np.array_equal(a[k], b[k])]
    assert not different, f"differ: {different[:10]}"


@pytest.mark.slow  # trains for several seconds: keeps the fast suite under a minute (CI runs -m slow)
def test_two_epochs_equal_one_plus_resume_plus_one(tmp_path):
    """The reference MLP (Dropout in G and D) through the whole run path: files, checkpoint, resume."""
    straight_mlp_run = train(mlp_config(), tmp_path / "straight", images=images(), log=quiet)
    first = train(mlp_config(epochs=1), tmp_path, images=images(), log=quiet)
    assert first.epoch == 1 and first.step == 4
    resumed = train(mlp_config(epochs=2), tmp_path, images=images(), resume=True, log=quiet)
    assert resumed.epoch == 2 and resumed.step == 8
    assert_states_equal(run_state(straight_mlp_run), run_state(resumed))
    for key in ("generator", "discriminator"):
        straight = getattr(straight_mlp_run.trainer, key).state_dict()
        assert all(np.array_equal(v, getattr(resumed.trainer, key).state_dict()[k]) for k, v in straight.items())


def tiny_gan(seed):
    """2-D G and D with BatchNorm (running statistics) and Dropout (model random streams)."""
    G = Sequential([Dense(16), BatchNormalization(), ReLU(), Dropout(0.2), Dense(2)], (3,), seed=seed)
    D = Sequential([Dense(16), BatchNormalization(), LeakyReLU(0.2), Dropout(0.3), Dense(1)], (2,), seed=seed + 1)
    return G, D


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
@pytest.mark.parametrize("stop_after", [5, 8, 11])  # mid-epoch, at an epoch's end, mid-epoch later
def test_trainer_resumes_bit_for_bit_with_batchnorm_and_dropout(tmp_path, stop_after, ema_decay):
    config = TrainConfig(dataset="arrays", batch_size=10, latent_dim=3, k=2, epochs=4, progress=False, n_samples=4,
                         label_smoothing=0.1, ema_decay=ema_decay)
    x = np.random.default_rng(3).normal(size=(85, 2)).astype(np.float32)  # 4 steps per epoch, 5 rows unused
    straight = GANTrainer(*tiny_gan(0), config)
    straight.fit(x)
    first = GANTrainer(*tiny_gan(0), config)
    first.fit(x, max_steps=stop_after)
    save_checkpoint(tmp_path / "c.npz", first)
    resumed = GANTrainer(*tiny_gan(7), config)  # other initial weights and streams: all overwritten
    restore_trainer(resumed, tmp_path / "c.npz")
    resumed.fit(x)
    assert resumed.step == straight.step == 16
    assert_states_equal(straight.state_dict(), resumed.state_dict())
    assert any(k.startswith("generator_ema/") for k in resumed.state_dict()) == bool(ema_decay)


@pytest.mark.slow
def test_dcgan_with_batchnorm_resumes_bit_for_bit(tmp_path):
    """The full run path with convolutions, BatchNorm and half-real/half-fake D batches (≈10 s)."""
    config = preset("dcgan_mnist", dataset="arrays", batch_size=8, batchnorm=True, output_activation="tanh",
                    epochs=2, progress=False, n_samples=4)
    x = images(16, seed=1)
    straight = train(config, tmp_path / "a", images=x, log=quiet)
    train(config.replace(epochs=1), tmp_path / "b", images=x, log=quiet)
    resumed = train(config, tmp_path / "b", images=x, resume=True, log=quiet)
    assert resumed.step == straight.step == 8
    assert any("moving_mean" in k for k in run_state(resumed))
    assert_states_equal(run_state(straight), run_state(resumed))


def test_round_trip_restores_every_array(tmp_path):
    config = mlp_config(loss="minimax", label_smoothing=0.1)
    G, D = build_gan(config)
    trainer = GANTrainer(G, D, config)
    trainer.fit(images(48), epochs=1, max_steps=2)  # mid-epoch: a permutation and a position to restore
    path = save_checkpoint(tmp_path / "c.npz", trainer)
    again = load_trainer(path)
    assert again.config == config and again.step == 2 and again.position == 2
    assert_states_equal(trainer.state_dict(), again.state_dict())
    # and both continue identically
    trainer.fit(images(48), epochs=1)
    again.fit(images(48), epochs=1)
    assert_states_equal(trainer.state_dict(), again.state_dict())


def test_checkpoint_arrays_need_no_pickle_and_hold_the_documented_entries(tmp_path):
    result = train(mlp_config(epochs=1), tmp_path, images=images(), log=quiet)
    with np.load(result.checkpoint, allow_pickle=False) as data:
        keys = set(data.files)
        assert str(data["format"]) == FORMAT
        assert TrainConfig.from_json(str(data["config"])).train_rows == 64
        assert all(data[k].dtype != object for k in keys)
    for key in ("rng/data", "rng/latent", "rng/generator/model", "rng/discriminator/model", "epoch", "step",
                "fixed_noise", "history/d_loss", "history/epoch_end_steps", "g_optimizer/iterations",
                "d_optimizer/iterations", "generator/0.dense.kernel", "discriminator/1.dense.kernel"):
        assert key in keys, key
    assert any(k.startswith("d_optimizer/m/") for k in keys) and any(k.startswith("g_optimizer/v/") for k in keys)


def test_load_generator_for_the_metrics(tmp_path):
    config = preset("mlp_mnist", dataset="arrays", batch_size=16, epochs=1, progress=False, n_samples=4,
                    latent_distribution="uniform", latent_dim=20)
    result = train(config, tmp_path, images=images(), log=quiet)
    G, info = load_generator(result.checkpoint)
    for key, value in (("model", "mlp"), ("dataset", "arrays"), ("latent_dim", 20), ("latent_distribution", "uniform"),
                       ("output_activation", "tanh"), ("epoch", 1), ("step", 4), ("train_rows", 64)):
        assert info[key] == value, key
    z = sample_latent(info, 5, 0)
    out = G.forward(z)
    assert out.shape == (5, 28, 28, 1) and out.dtype == np.float32 and np.abs(out).max() <= 1
    trainer = result.trainer
    assert info["weights"] == ("average" if trainer.generator_ema is not None else "last")
    np.testing.assert_array_equal(out, (trainer.generator_ema or trainer.generator).forward(z))
    G_last, info = load_generator(result.checkpoint, average=False)
    assert info["weights"] == "last"
    np.testing.assert_array_equal(G_last.forward(z), trainer.generator.forward(z))


# -- damaged and mismatched files ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("good")
    train(mlp_config(epochs=1), out, images=images(), log=quiet)
    return out / "checkpoint.npz"


def test_truncated_or_garbage_checkpoint_is_a_clear_error(tmp_path, good_checkpoint):
    data = good_checkpoint.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a checkpoint at all" * 100)
    flipped = bytearray(data)
    flipped[len(data) // 3:len(data) // 3 + 64] = bytes(64)  # zeros in the middle of an array: CRC mismatch
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(bytes(flipped))
    for path in (truncated, garbage, damaged):
        with pytest.raises(CheckpointError, match=f"checkpoint '{path}' is corrupt"):
            load_checkpoint(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.npz")


def test_npz_that_is_not_a_run_checkpoint(tmp_path):
    G, _ = build_gan(mlp_config())
    G.save_weights(tmp_path / "weights.npz")
    with pytest.raises(CheckpointError, match="not a numpygan GAN checkpoint"):
        load_checkpoint(tmp_path / "weights.npz")
    np.savez(tmp_path / "other.npz", format=np.array("something/9"), config=np.array("{}"))
    with pytest.raises(CheckpointError, match="format 'something/9'"):
        load_checkpoint(tmp_path / "other.npz")
    np.savez(tmp_path / "badconfig.npz", format=np.array("numpygan-gan-checkpoint/1"),  # the format without checksums
             config=np.array('{"model": "vae"}'))
    with pytest.raises(CheckpointError, match="invalid run configuration.*model"):
        load_checkpoint(tmp_path / "badconfig.npz")


def test_resume_with_other_settings_is_refused_and_leaves_the_checkpoint_alone(tmp_path, good_checkpoint):
    out = tmp_path / "run"
    out.mkdir()
    checkpoint = out / "checkpoint.npz"
    checkpoint.write_bytes(good_checkpoint.read_bytes())
    before = checkpoint.read_bytes()
    with pytest.raises(CheckpointError, match=r"(?s)other settings.*latent_dim: checkpoint has 100, this run has 64"):
        train(mlp_config(latent_dim=64), out, images=images(), resume=True, log=quiet)
    with pytest.raises(CheckpointError, match="train_rows: checkpoint has 64, this run has 32"):
        train(mlp_config(), out, images=images(32), resume=True, log=quiet)
    # a longer run is not a different run
    assert train(mlp_config(epochs=2, max_steps=5), out, images=images(), resume=True, log=quiet).step == 5
    # a new run does not replace a checkpoint unless told to
    before = checkpoint.read_bytes()
    with pytest.raises(FileExistsError, match="--resume.*--overwrite"):
        train(mlp_config(), out, images=images(), log=quiet)
    assert checkpoint.read_bytes() == before


def test_state_from_another_architecture_is_refused_before_anything_changes(good_checkpoint):
    checkpoint = load_checkpoint(good_checkpoint)
    config = preset("dcgan_mnist", dataset="arrays", progress=False, n_samples=4)
    G, D = build_gan(config)
    trainer = GANTrainer(G, D, config)
    before = {k: np.array(v, copy=True) for k, v in trainer.state_dict().items()}
    with pytest.raises(ValueError, match=r"(?s)does not match this trainer.*missing: .*unexpected: "):
        trainer.load_state_dict(checkpoint.state, source="that checkpoint")
    assert_states_equal(before, trainer.state_dict())


def test_failed_save_leaves_the_old_checkpoint(tmp_path, good_checkpoint, monkeypatch):
    target = tmp_path / "checkpoint.npz"
    target.write_bytes(good_checkpoint.read_bytes())
    trainer = load_trainer(target)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(target, trainer)
    assert target.read_bytes() == good_checkpoint.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]  # no temporary file left behind
    assert os.path.getsize(target) > 0
