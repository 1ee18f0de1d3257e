"""The GAN trainer: it learns, each update touches only its own network, objectives, guards, config."""

import json
import signal

import numpy as np
import pytest

from numpygan import Sequential
from numpygan.layers import BatchNormalization, Dense, Dropout, LeakyReLU, ReLU
from numpygan.optimizers import SGD
from numpygan.training import (GANTrainer, NonFiniteLossError, TrainConfig, build_gan, get_objective, load_checkpoint,
                               preset, sample_latent, train)

RING_MODES = 8
RING_RADIUS = 2.0
RING_SIGMA = 0.1


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def ring_mixture(n, rng):
    """n points from 8 equally weighted Gaussians (σ = 0.1) centred on a circle of radius 2."""
    angles = 2 * np.pi * rng.integers(0, RING_MODES, n) / RING_MODES
    centres = RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centres + RING_SIGMA * rng.standard_normal((n, 2))).astype(np.float32)


def small_gan(latent_dim=4, hidden=64, seed=0, d_layers=()):
    """A 2-D GAN: G z → 64 → 64 → 2 (ReLU), D 2 → 64 → 64 → 1 (LeakyReLU) plus optional extra D layers."""
    G = Sequential([Dense(hidden), ReLU(), Dense(hidden), ReLU(), Dense(2)], (latent_dim,), seed=seed + 1)
    D = Sequential([Dense(hidden), *d_layers, LeakyReLU(0.2), Dense(hidden), LeakyReLU(0.2), Dense(1)], (2,),
                   seed=seed + 2)
    return G, D


def snapshot(model, optimizer=None):
    state = {f"w/{k}": v.copy() for k, v in model.state_dict().items()}
    state.update({f"g/{k}": p.grad.copy() for k, p in model.parameters().items()})
    if optimizer is not None:
        state.update({f"opt/{k}": np.array(v, copy=True) for k, v in optimizer.state_dict().items()})
    return state


def assert_same(before, after):
    assert before.keys() == after.keys()
    changed = [k for k in before if not np.array_equal(before[k], after[k])]
    assert not changed, f"changed: {changed}"


# -- it learns ------------------------------------------------------------------------------------------------
def test_mlp_gan_covers_the_modes_of_a_ring_of_gaussians():
    """1500 steps (≈2 s): ≥ 6 of 8 modes hold ≥ 5 % of the samples within 3σ, and mean/spread match.

    (Seeds 0–5 all give 8/8 modes, 76–90 % of samples within 3σ, std within 5 % of the data's.)
    """
    rng = np.random.default_rng(0)
    x = ring_mixture(1500 * 64, rng)
    config = TrainConfig(dataset="arrays", batch_size=64, latent_dim=4, lr_g=2e-3, lr_d=2e-3, epochs=1,
                         progress=False)
    G, D = small_gan()
    trainer = GANTrainer(G, D, config)
    assert trainer.fit(x) == "epochs" and trainer.step == 1500
    samples = trainer.generate(trainer.sample_latent(4000)).astype(np.float64)
    angles = 2 * np.pi * np.arange(RING_MODES) / RING_MODES
    centres = RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    distance = np.linalg.norm(samples[:, None, :] - centres[None], axis=2)
    near = distance.min(axis=1) < 3 * RING_SIGMA
    per_mode = np.bincount(distance.argmin(axis=1)[near], minlength=RING_MODES) / len(samples)
    assert (per_mode >= 0.05).sum() >= 6, per_mode
    assert near.mean() >= 0.6, near.mean()
    assert np.all(np.abs(samples.mean(axis=0)) < 0.25), samples.mean(axis=0)
    data_std = x.std(axis=0)
    assert np.all(np.abs(samples.std(axis=0) / data_std - 1) < 0.1), (samples.std(axis=0), data_std)
    # D is near its equilibrium 1/2 on both real and fake at the end
    assert 0.3 < np.mean(trainer.history["d_real"][-100:]) < 0.8
    assert 0.2 < np.mean(trainer.history["d_fake"][-100:]) < 0.7


# -- each update changes only its own network --------------------------------------------------------------
def test_generator_step_leaves_discriminator_and_its_optimizer_untouched():
    G, D = small_gan(d_layers=[BatchNormalization(), Dropout(0.3)])
    trainer = GANTrainer(G, D, TrainConfig(dataset="arrays", batch_size=16, latent_dim=4))
    trainer.discriminator_step(ring_mixture(16, np.random.default_rng(1)))  # non-zero moments and grads
    D.layers[-1].trainable = False  # a layer the user froze stays frozen afterwards
    d_before, g_before = snapshot(D, trainer.d_optimizer), snapshot(G, trainer.g_optimizer)
    trainer.generator_step(16)
    assert_same(d_before, snapshot(D, trainer.d_optimizer))   # weights, BN statistics, grads, Adam moments
    assert [layer.trainable for layer in D.layers] == [True] * (len(D.layers) - 1) + [False]
    g_after = snapshot(G, trainer.g_optimizer)
    assert all(not np.array_equal(g_before[k], g_after[k]) for k in g_before if k.startswith("w/"))
    assert trainer.g_optimizer.iterations == 1 and trainer.d_optimizer.iterations == 1


def test_discriminator_step_leaves_generator_untouched_and_sums_real_and_fake_gradients():
    """With SGD(lr=1), D's change is −(∇L_real + ∇L_fake), computed here by hand, one forward/backward each."""
    G, D = small_gan()
    config = TrainConfig(dataset="arrays", batch_size=8, latent_dim=4, label_smoothing=0.1)
    trainer = GANTrainer(G, D, config, d_optimizer=SGD(D.parameters(), lr=1.0))
    real = ring_mixture(8, np.random.default_rng(2))
    g_before = snapshot(G, trainer.g_optimizer)
    d_weights = {k: p.value.copy() for k, p in D.parameters().items()}
    trainer.latent_rng = np.random.default_rng(0)
    z = sample_latent(config, 8, np.random.default_rng(0))  # the z the step will draw
    d_loss, d_real, d_fake = trainer.discriminator_step(real)
    assert_same(g_before, snapshot(G, trainer.g_optimizer))

    # the same gradient by hand on a copy of D's old weights
    _, D_ref = small_gan()
    for k, p in D_ref.parameters().items():
        p.value[...] = d_weights[k]
    bce = get_objective("bce", real_label=0.9)
    fake = G.forward(z, training=True)
    loss_real, grad = bce.discriminator_real(D_ref.forward(real, training=True))
    D_ref.backward(grad)
    out_fake = D_ref.forward(fake, training=True)
    loss_fake, grad = bce.discriminator_fake(out_fake)
    D_ref.backward(grad)
    assert d_loss == pytest.approx(loss_real + loss_fake, rel=1e-6)
    assert d_fake == pytest.approx(float(np.mean(1 / (1 + np.exp(-out_fake)))), rel=1e-5)
    for k, p in D.parameters().items():
        np.testing.assert_allclose(p.value, d_weights[k] - D_ref.parameters()[k].grad, rtol=1e-5, atol=1e-6)


def test_k_discriminator_steps_per_generator_step():
    G, D = small_gan()
    trainer = GANTrainer(G, D, TrainConfig(dataset="arrays", batch_size=8, latent_dim=4, k=3, epochs=1,
                                          progress=False))
    x = ring_mixture(100, np.random.default_rng(3))
    assert trainer.steps_per_epoch(len(x)) == 4  # 100 // (3 · 8)
    trainer.fit(x)
    assert trainer.step == 4 and trainer.g_optimizer.iterations == 4 and trainer.d_optimizer.iterations == 12


def test_half_batch_discriminator_sees_half_real_half_fake():
    config = TrainConfig(dataset="arrays", batch_size=16, latent_dim=4, d_half_batch=True, epochs=1,
                         progress=False)
    G, D = small_gan()
    seen = []
    forward = D.forward
    D.forward = lambda x, training=False: seen.append(x.copy()) or forward(x, training)
    G_forward, made = G.forward, []
    G.forward = lambda z, training=False: made.append(G_forward(z, training)) or made[-1]
    trainer = GANTrainer(G, D, config)
    data = ring_mixture(40, np.random.default_rng(4))
    trainer.fit(data)
    assert trainer.step == 5 and [len(x) for x in seen[:2]] == [16, 16]  # [8 real; 8 fake] (D step), fake (G step)
    np.testing.assert_array_equal(seen[0][8:], made[0])           # the D step's second half is G's batch
    assert all(np.any(np.all(row == data, axis=1)) for row in seen[0][:8])  # the first half are training points


def test_generator_weight_average_follows_its_recursion_and_is_what_generate_uses():
    """θ̄_t = d_t·θ̄_{t−1} + (1 − d_t)·θ_t with d_t = min(decay, (1 + t)/(10 + t)); θ̄_0 = the initial weights."""
    config = TrainConfig(dataset="arrays", batch_size=16, latent_dim=4, epochs=1, progress=False, ema_decay=0.8)
    G, D = small_gan()
    trainer = GANTrainer(G, D, config)
    expected = {k: p.value.astype(np.float64) for k, p in G.parameters().items()}

    class Follow:
        def on_step_end(self, trainer, metrics):
            d = min(0.8, (1 + trainer.step) / (10 + trainer.step))
            for k, p in trainer.generator.parameters().items():
                expected[k] = d * expected[k] + (1 - d) * p.value

    trainer.fit(ring_mixture(160, np.random.default_rng(8)), callbacks=[Follow()])
    assert trainer.step == 10
    for k, p in trainer.generator_ema.parameters().items():
        np.testing.assert_allclose(p.value, expected[k], rtol=1e-5, atol=1e-6, err_msg=k)
        assert not np.array_equal(p.value, G.parameters()[k].value)  # an average, not a copy
    z = np.random.default_rng(9).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_array_equal(trainer.generate(z), trainer.generator_ema.forward(z))
    assert not trainer.generator_ema.parameters()["0.dense.kernel"].grad.any()  # inference only


@pytest.mark.parametrize("loss", ["bce", "lsgan"])
def test_one_pass_discriminator_step_equals_two_passes(loss):
    """Without BatchNorm, D runs once on [x; G(z)]; the update must be the two-pass one (real, then fake)."""
    config = TrainConfig(dataset="arrays", batch_size=16, latent_dim=4, epochs=1, progress=False, loss=loss,
                         label_smoothing=0.1)
    real = ring_mixture(16, np.random.default_rng(7))
    after = {}
    for merged in (True, False):
        G, D = small_gan()
        if not merged:
            D.layers[0].uses_batch_statistics = True  # forces the two-pass branch
        assert D.uses_batch_statistics is not merged
        trainer = GANTrainer(G, D, config)
        stats = trainer.discriminator_step(real)
        after[merged] = (stats, snapshot(D, trainer.d_optimizer))
    assert after[True][0] == pytest.approx(after[False][0], rel=1e-6)
    for key, value in after[False][1].items():
        np.testing.assert_allclose(after[True][1][key], value, rtol=2e-5, atol=1e-7, err_msg=key)


# -- objectives -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["bce", "minimax", "lsgan"])
@pytest.mark.parametrize("part", ["discriminator_real", "discriminator_fake", "generator"])
def test_objective_gradients_match_finite_differences(name, part):
    objective = get_objective(name, real_label=0.9)
    logits = np.random.default_rng(5).normal(0, 2, (6, 1))
    value, grad = getattr(objective, part)(logits)
    h = 1e-6
    for i in range(len(logits)):
        up, down = logits.copy(), logits.copy()
        up[i] += h
        down[i] -= h
        numerical = (getattr(objective, part)(up)[0] - getattr(objective, part)(down)[0]) / (2 * h)
        assert grad[i, 0] == pytest.approx(numerical, rel=1e-5, abs=1e-9)


def test_objective_values_follow_their_formulas():
    logits = np.array([[-3.0], [0.0], [2.0]])
    p = 1 / (1 + np.exp(-logits))
    bce, minimax, lsgan = (get_objective(n) for n in ("bce", "minimax", "lsgan"))
    assert bce.generator(logits)[0] == pytest.approx(-np.mean(np.log(p)))
    assert minimax.generator(logits)[0] == pytest.approx(np.mean(np.log(1 - p)))
    assert bce.discriminator_fake(logits)[0] == pytest.approx(-np.mean(np.log(1 - p)))
    smoothed = get_objective("bce", real_label=0.9)
    assert smoothed.discriminator_real(logits)[0] == pytest.approx(-np.mean(0.9 * np.log(p) + 0.1 * np.log(1 - p)))
    assert lsgan.discriminator_real(logits)[0] == pytest.approx(np.mean((logits - 1) ** 2))
    assert lsgan.generator(logits)[0] == pytest.approx(np.mean((logits - 1) ** 2))
    assert lsgan.discriminator_fake(logits)[0] == pytest.approx(np.mean(logits ** 2))
    np.testing.assert_allclose(bce.probability(logits), p)
    with pytest.raises(ValueError, match="name"):
        get_objective("wgan")


@pytest.mark.parametrize("loss", ["minimax", "lsgan"])
def test_other_objectives_train(loss):
    G, D = small_gan()
    trainer = GANTrainer(G, D, TrainConfig(dataset="arrays", batch_size=32, latent_dim=4, loss=loss, epochs=1,
                                          progress=False, latent_distribution="uniform"))
    trainer.fit(ring_mixture(32 * 20, np.random.default_rng(6)))
    assert trainer.step == 20 and all(np.isfinite(trainer.history[k]).all() for k in trainer.history)


# -- guards ---------------------------------------------------------------------------------------------------
def test_nan_loss_stops_before_the_update():
    G, D = small_gan()
    trainer = GANTrainer(G, D, TrainConfig(dataset="arrays", batch_size=8, latent_dim=4, epochs=1, progress=False))
    x = np.full((32, 2), np.nan, dtype=np.float32)
    before = snapshot(D)
    with pytest.raises(NonFiniteLossError, match="discriminator loss became nan at step 1 .*not applied"):
        trainer.fit(x)
    after = {k: v for k, v in snapshot(D).items() if k.startswith("w/")}
    assert_same({k: v for k, v in before.items() if k.startswith("w/")}, after)
    assert trainer.d_optimizer.iterations == 0


class AtStep:
    """Trainer callback: ``action(trainer)`` once the trainer has completed generator step ``step``."""

    def __init__(self, step, action):
        self.step, self.action = step, action

    def on_step_end(self, trainer, metrics):
        if trainer.step == self.step:
            self.action(trainer)


def tiny_run(out, *callbacks, messages=None, **kwargs):
    """The MLP GAN on 64 random images, batch 16 (4 steps per epoch), 3 epochs, with ``callbacks``."""
    x = np.random.default_rng(9).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
    config = TrainConfig(dataset="arrays", batch_size=16, epochs=3, progress=False, n_samples=4)
    log = (lambda *a: None) if messages is None else messages.append
    return train(config, out, images=x, log=log, callbacks=callbacks, **kwargs)


def test_nan_mid_run_keeps_the_last_good_checkpoint(tmp_path):
    def poison(trainer):  # during epoch 2: G now outputs NaN
        trainer.generator.layers[0].kernel.value[...] = np.nan

    with pytest.raises(NonFiniteLossError, match=r"(?s)step 7 \(epoch 2\).*last good checkpoint.*untouched"):
        tiny_run(tmp_path, AtStep(6, poison))
    checkpoint = load_checkpoint(tmp_path / "checkpoint.npz")
    assert checkpoint.epoch == 1 and checkpoint.step == 4
    assert all(np.isfinite(v).all() for k, v in checkpoint.state.items() if v.dtype.kind == "f")


def test_ctrl_c_finishes_the_step_then_saves(tmp_path):
    messages = []
    handler = signal.getsignal(signal.SIGINT)
    # as if the user pressed Ctrl-C during step 3
    result = tiny_run(tmp_path, AtStep(3, lambda trainer: signal.raise_signal(signal.SIGINT)), messages=messages,
                      resume_hint="RESUME-CMD")
    assert result.stopped == "interrupted" and result.step == 3 and result.epoch == 0
    assert "Resume with: RESUME-CMD" in messages[-1]
    assert signal.getsignal(signal.SIGINT) is handler  # the usual Ctrl-C is back
    assert load_checkpoint(tmp_path / "checkpoint.npz").step == 3


def test_second_ctrl_c_aborts_without_saving_a_half_updated_state(tmp_path):
    def second_ctrl_c(trainer):  # what the second Ctrl-C raises, wherever the step is
        raise KeyboardInterrupt

    messages = []
    with pytest.raises(KeyboardInterrupt):
        tiny_run(tmp_path, AtStep(5, second_ctrl_c), messages=messages)
    assert "nothing saved" in messages[-1] and "is intact" in messages[-1]
    assert load_checkpoint(tmp_path / "checkpoint.npz").step == 4  # the end of epoch 1


# -- models, config, latent --------------------------------------------------------------------------------
def test_trainer_refuses_mismatched_models():
    G, D = small_gan(latent_dim=4)
    with pytest.raises(ValueError, match="latent_dim"):
        GANTrainer(G, D, TrainConfig(latent_dim=5))
    G2 = Sequential([Dense(3)], (4,), seed=0)
    with pytest.raises(ValueError, match="discriminator expects"):
        GANTrainer(G2, D, TrainConfig(latent_dim=4))
    G, D = small_gan()
    with pytest.raises(ValueError, match="fewer than one step"):
        GANTrainer(G, D, TrainConfig(latent_dim=4, batch_size=64)).fit(ring_mixture(10, np.random.default_rng(0)))
    with pytest.raises(TypeError, match="dtype float32"):
        GANTrainer(G, D, TrainConfig(latent_dim=4)).fit(ring_mixture(100, np.random.default_rng(0)).astype(np.float64))


def test_config_json_round_trip_and_validation():
    config = preset("dcgan_keras", seed=3, label_smoothing=0.1, max_steps=7)
    again = TrainConfig.from_json(config.to_json())
    assert again == config and json.loads(config.to_json())["model"] == "dcgan"
    assert config.real_label == pytest.approx(0.9) and config.d_batch_size == 64 and config.value_range == (0.0, 1.0)
    with pytest.raises(ValueError, match="unknown fields.*'lr'"):
        TrainConfig.from_dict({"lr": 1e-3})
    for bad, match in (({"loss": "hinge"}, "loss"), ({"batch_size": 0}, "batch_size"), ({"lr_g": -1.0}, "lr_g"),
                       ({"label_smoothing": 0.5}, "label_smoothing"), ({"epochs": 1.5}, "epochs"),
                       ({"holdout_validation": True, "dataset": "fashion"}, "holdout_validation"),
                       ({"model": "mlp", "batchnorm": True}, "batchnorm")):
        with pytest.raises((ValueError, TypeError), match=match):
            TrainConfig(**bad)
    assert config.differences(config.replace(epochs=99)) == {}
    assert config.differences(config.replace(lr_g=1e-3)) == {"lr_g": (2e-4, 1e-3)}


def test_presets_build_the_reference_models():
    G, D = build_gan(preset("mlp_mnist"))
    assert [l.units for l in G.layers if isinstance(l, Dense)] == [256, 512, 1024, 784]
    assert [l.units for l in D.layers if isinstance(l, Dense)] == [1024, 512, 256, 1]
    assert [l.rate for l in D.layers if isinstance(l, Dropout)] == [0.3] * 3
    assert not any(isinstance(l, Dropout) for l in G.layers)
    G, D = build_gan(preset("mlp_fashion"))
    assert [l.rate for l in G.layers if isinstance(l, Dropout)] == [0.3] * 3
    G, D = build_gan(preset("dcgan_keras"))
    assert type(G.layers[-1]).__name__ == "Sigmoid"
    assert [layer.rate for layer in D.layers if isinstance(layer, Dropout)] == [0.4] * 2
    # the same seed gives the same weights
    G2, _ = build_gan(preset("dcgan_keras"))
    assert all(np.array_equal(a, b) for a, b in zip(G.state_dict().values(), G2.state_dict().values()))


def test_sample_latent():
    z = sample_latent(7, 5, 0)
    assert z.shape == (5, 7) and z.dtype == np.float32
    np.testing.assert_array_equal(z, sample_latent({"latent_dim": 7}, 5, np.random.default_rng(0)))
    u = sample_latent(TrainConfig(latent_dim=3, latent_distribution="uniform"), 10000, 1)
    assert u.min() >= -1 and u.max() <= 1 and abs(u.mean()) < 0.05
    assert u.std() == pytest.approx(1 / np.sqrt(3), rel=0.05)
    with pytest.raises(ValueError, match="latent_distribution"):
        sample_latent({"latent_dim": 3, "latent_distribution": "cauchy"}, 2)
    with pytest.raises(TypeError, match="config_or_dim"):
        sample_latent("100", 2)
    with pytest.raises(ValueError, match="'n'"):
        sample_latent(3, -1)


def test_keep_freed_memory_accepts_a_limit_and_refuses_nonsense():
    from numpygan.runtime import keep_freed_memory

    assert keep_freed_memory(1 << 30) in (True, False)  # False only without glibc
    with pytest.raises(ValueError, match="argument 'limit' must be a positive int"):
        keep_freed_memory(0)
