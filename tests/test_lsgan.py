"""The least-squares objective (Mao et al. 2017): coding schemes, label smoothing, errors, the whole
GAN step against finite differences, the presets and their selection from ``numpygan train``."""

import numpy as np
import pytest

from numpygan import Sequential, cli
from numpygan.gradcheck import numerical_gradient, pinned_kinks, relative_error
from numpygan.layers import Dense, Dropout, LeakyReLU, Tanh
from numpygan.optimizers import SGD
from numpygan.training import (GANTrainer, LSGANObjective, TrainConfig, build_gan, get_objective,
                               load_checkpoint, preset, select_rows)
from numpygan.training import run as run_module
from numpygan.training.gan_losses import LSGAN_SCHEMES


pytestmark = pytest.mark.usefixtures("one_blas_thread")


OUTPUT = np.array([[-1.5], [-0.2], [0.0], [0.7], [2.0]])


# -- the objective ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, a, b, c", [("lsgan", 0, 1, 1), ("lsgan-pearson", -1, 1, 0)])
def test_schemes_follow_the_paper(name, a, b, c):
    """L_D = mean (o_real − b)² + mean (o_fake − a)², L_G = mean (o_fake − c)², gradients 2 (o − t) / M."""
    objective = get_objective(name)
    assert isinstance(objective, LSGANObjective) and objective.name == name
    assert (objective.a, objective.b, objective.c) == LSGAN_SCHEMES[name] == (a, b, c)
    for part, target in (("discriminator_real", b), ("discriminator_fake", a), ("generator", c)):
        value, grad = getattr(objective, part)(OUTPUT)
        assert value == pytest.approx(np.mean((OUTPUT - target) ** 2), rel=1e-14)
        np.testing.assert_allclose(grad, 2 * (OUTPUT - target) / OUTPUT.size, rtol=1e-14)
    # D(x) is reported on the 0 (fake target) .. 1 (real target) scale
    np.testing.assert_allclose(objective.probability(np.array([[a], [b], [(a + b) / 2]])), [[0.0], [1.0], [0.5]])


@pytest.mark.parametrize("name", list(LSGAN_SCHEMES))
@pytest.mark.parametrize("part", ["discriminator_real", "discriminator_fake", "generator"])
def test_scheme_gradients_against_finite_differences(assert_gradient_error, name, part):
    objective = get_objective(name, real_label=0.9)
    output = np.random.default_rng(3).normal(0, 2, (6, 1))
    _, grad = getattr(objective, part)(output)
    numeric, _ = numerical_gradient(lambda: getattr(objective, part)(output)[0], output)
    assert_gradient_error(f"objective: {name}", relative_error(grad.reshape(-1), numeric).max())


def test_real_label_is_read_between_the_fake_and_real_targets():
    """One-sided smoothing moves only the real target, to a + real_label · (b − a): 0.9 for (0, 1, 1),
    0.8 for (−1, 1, 0); the fake target and G's target stay."""
    assert get_objective("lsgan", real_label=0.9).real_target == pytest.approx(0.9)
    pearson = get_objective("lsgan-pearson", real_label=0.9)
    assert pearson.real_target == pytest.approx(0.8) and (pearson.a, pearson.c) == (-1.0, 0.0)
    assert pearson.discriminator_real(OUTPUT)[0] == pytest.approx(np.mean((OUTPUT - 0.8) ** 2))
    assert pearson.discriminator_fake(OUTPUT)[0] == pytest.approx(np.mean((OUTPUT + 1) ** 2))
    custom = LSGANObjective(real_label=0.75, a=2.0, b=-2.0, c=0.5)  # reversed targets are allowed
    assert custom.real_target == pytest.approx(-1.0) and custom.name == "lsgan(2.0, -2.0, 0.5)"
    # a config's label smoothing reaches the trainer's objective
    G, D = small_gan()
    trainer = GANTrainer(G, D, TrainConfig(dataset="arrays", latent_dim=3, loss="lsgan-pearson",
                                           label_smoothing=0.1))
    assert trainer.objective.name == "lsgan-pearson" and trainer.objective.real_target == pytest.approx(0.8)


def test_bad_coding_schemes_are_refused():
    with pytest.raises(ValueError, match="'a'.*'b'.*must differ"):
        LSGANObjective(a=1.0, b=1.0)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="'c' must be a finite number"):
            LSGANObjective(c=bad)
    for bad in ("1", True, None):
        with pytest.raises(TypeError, match="'b' must be a real number"):
            LSGANObjective(b=bad)
    assert LSGANObjective(a=np.float32(-1), b=np.int64(1), c=0).name == "lsgan-pearson"
    with pytest.raises(ValueError, match="real_label"):
        LSGANObjective(real_label=0.4)
    # a Sigmoid D cannot reach −1: the Pearson scheme needs a raw output
    with pytest.raises(ValueError, match="Sigmoid.*\\[0, 1\\]"):
        get_objective("lsgan-pearson", from_logits=False)
    assert get_objective("lsgan", from_logits=False).probability(np.array([0.3])) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="lsgan-pearson"):
        get_objective("lsgan-chi2")
    with pytest.raises(ValueError, match="TrainConfig.loss"):
        TrainConfig(loss="lsgan-11")


# -- the whole step against finite differences --------------------------------------------------------------------
def small_gan(latent_dim=3, seed=0, dtype=np.float32):
    """G z → 12 → 2 (LeakyReLU, Dropout, tanh); D 2 → 12 → 8 → 1 (LeakyReLU, Dropout): every kind of layer
    of the reference MLPs, small enough to check every element."""
    G = Sequential([Dense(12), LeakyReLU(0.2), Dropout(0.25), Dense(2), Tanh()], (latent_dim,), seed=seed + 1,
                   dtype=dtype)
    D = Sequential([Dense(12), LeakyReLU(0.2), Dropout(0.25), Dense(8), LeakyReLU(0.2), Dense(1)], (2,),
                   seed=seed + 2, dtype=dtype)
    return G, D


def step_gradients(trainer, step, *args):
    """Run ``step`` with SGD(lr=1), read the gradients it left, and put the weights back."""
    params = {**{f"G/{k}": p for k, p in trainer.generator.parameters().items()},
              **{f"D/{k}": p for k, p in trainer.discriminator.parameters().items()}}
    before = {k: p.value.copy() for k, p in params.items()}
    step(*args)
    grads = {k: p.grad.copy() for k, p in params.items()}
    for k, p in params.items():
        p.value[...] = before[k]
    return grads


def worst_error(loss, model, prefix, grads, models):
    """Max relative error of ``grads[prefix/name]`` against central differences of ``loss()`` over every
    element of ``model``'s parameters, with the kinks of ``models`` pinned at the unperturbed point."""
    loss()
    errors = []
    with pinned_kinks(*models):
        for name, p in model.parameters().items():
            numeric, _ = numerical_gradient(loss, p.value)
            errors.append(relative_error(grads[f"{prefix}/{name}"].reshape(-1), numeric).max())
    return max(errors)


@pytest.mark.parametrize("loss", ["lsgan", "lsgan-pearson", "bce"])
def test_gan_step_gradients_match_finite_differences(assert_gradient_error, loss):
    """Both updates of a GAN step as the trainer computes them, in float64, against central differences
    of the loss each minimises, every element checked:

    * D's update: dL_D/dθ_D with L_D = L_real(D(x)) + L_fake(D(G(z))) (one pass over [x; G(z)], real
      target smoothed to 0.9), G's gradients left untouched;
    * G's update: dL_G/dθ_G with L_G = L_gen(D(G(z))), through D, whose gradients stay zero.

    Dropout masks and z are replayed in every evaluation; kinks are pinned (``numpygan.gradcheck``)."""
    G, D = small_gan(dtype=np.float64)
    config = TrainConfig(dataset="arrays", batch_size=5, latent_dim=3, loss=loss, label_smoothing=0.1)
    trainer = GANTrainer(G, D, config, g_optimizer=SGD(G.parameters(), lr=1.0),
                         d_optimizer=SGD(D.parameters(), lr=1.0))
    objective = trainer.objective
    real = np.random.default_rng(4).standard_normal((5, 2))
    # push D's output away from 0 so the three targets give clearly different gradients
    D.layers[-1].parameters()["bias"].value[...] = 0.3

    def replay(states):
        trainer.latent_rng.bit_generator.state, G.rng.bit_generator.state, D.rng.bit_generator.state = states

    def rng_states():
        return tuple(r.bit_generator.state for r in (trainer.latent_rng, G.rng, D.rng))

    # -- discriminator update
    states = rng_states()
    G.zero_grad()
    grads = step_gradients(trainer, trainer.discriminator_step, real)
    assert not any(v.any() for k, v in grads.items() if k.startswith("G/"))
    after = rng_states()

    def d_loss():
        replay(states)
        fake = G.forward(trainer.sample_latent(5), training=True)
        out = D.forward(np.concatenate([real, fake]), training=True)
        return objective.discriminator_real(out[:5])[0] + objective.discriminator_fake(out[5:])[0]

    assert_gradient_error(f"GAN step: {loss} D update", worst_error(d_loss, D, "D", grads, (G, D)))

    # -- generator update, from where the D update left the streams
    replay(after)
    states = rng_states()
    D.zero_grad()
    grads = step_gradients(trainer, trainer.generator_step, 5)
    assert not any(v.any() for k, v in grads.items() if k.startswith("D/"))

    def g_loss():
        replay(states)
        return objective.generator(D.forward(G.forward(trainer.sample_latent(5), training=True), training=True))[0]

    assert_gradient_error(f"GAN step: {loss} G update through D", worst_error(g_loss, G, "G", grads, (G, D)))


# -- presets and the command line ------------------------------------------------------------------------------
def test_lsgan_presets_differ_from_their_bce_runs_in_the_loss_only():
    # the MLP's LSGAN preset is its tutorial settings' (where README's comparison was made)
    for name, bce in (("mlp_mnist", "mlp_mnist_tutorial"), ("dcgan_mnist", "dcgan_mnist")):
        lsgan = preset(f"{name}_lsgan")
        assert lsgan.loss == "lsgan" and lsgan.replace(loss="bce") == preset(bce)
        G, D = build_gan(lsgan)
        trainer = GANTrainer(G, D, lsgan)
        assert trainer.objective.name == "lsgan"
        assert trainer.objective.real_target == pytest.approx(lsgan.real_label)


@pytest.mark.slow  # trains for several seconds: keeps the fast suite under a minute (CI runs -m slow)
def test_cli_trains_from_an_lsgan_preset(tmp_path, monkeypatch):
    def load(config, verbose=True):
        low, high = config.value_range
        return select_rows(np.random.default_rng(0).uniform(low, high, (64, 28, 28, 1)).astype(np.float32), config)

    monkeypatch.setattr(run_module, "load_training_images", load)
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["train", "--preset", "mlp_mnist_lsgan", "--max-steps", "2", "--batch-size", "8",
                   "--no-progress", "--n-samples", "4"])
    assert rc == 0
    config = load_checkpoint(tmp_path / "runs" / "mlp_mnist_lsgan" / "checkpoint.npz").config
    assert config.loss == "lsgan" and config.label_smoothing == pytest.approx(0.1) and config.max_steps == 2
    rc = cli.main(["train", "--loss", "lsgan-pearson", "--max-steps", "1", "--batch-size", "8", "--no-progress",
                   "--n-samples", "4"])
    assert rc == 0
    assert load_checkpoint(tmp_path / "runs" / "mlp_mnist_lsgan_pearson" / "checkpoint.npz").config.loss == \
        "lsgan-pearson"
    assert cli.main(["train", "--preset", "nope"]) == 2
