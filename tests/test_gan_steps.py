"""GANTrainer's two steps as an interface: batch dicts, subclasses that override them, a conditional GAN."""

import numpy as np
import pytest

from numpygan import Sequential
from numpygan.layers import Dense, LeakyReLU, Sigmoid
from numpygan.models import ConditionalDiscriminator, ConditionalGenerator
from numpygan.training import ConditionalGANTrainer, GANTrainer, TrainConfig, load_checkpoint, \
    save_checkpoint
from numpygan.training.checkpoint import restore_trainer

CLASSES, RADIUS, SIGMA = 4, 0.6, 0.05


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def labelled_modes(n, rng):
    """n points of 4 classes, class k a Gaussian (σ = 0.05) at angle 2πk/4 on a circle of radius 0.6."""
    labels = rng.integers(0, CLASSES, n)
    centres = RADIUS * np.stack([np.cos(2 * np.pi * labels / CLASSES), np.sin(2 * np.pi * labels / CLASSES)], 1)
    return (centres + SIGMA * rng.standard_normal((n, 2))).astype(np.float32), labels


def conditional_gan(seed=0):
    G = ConditionalGenerator(latent_dim=4, n_classes=CLASSES, embed_dim=4, hidden=(32, 32), image_shape=(2,),
                             seed=seed + 1)
    D = ConditionalDiscriminator(n_classes=CLASSES, embed_dim=4, hidden=(32, 32), dropout=0.0, image_shape=(2,),
                                 seed=seed + 2)
    return G, D


CONFIG = dict(dataset="arrays", batch_size=64, latent_dim=4, lr_g=2e-3, lr_d=2e-3, epochs=1, progress=False,
              n_samples=8)


def test_conditional_gan_draws_each_class_where_it_belongs():
    """600 steps (≈4 s): for every label, ≥ 85 % of G's samples lie within 3σ of that class's centre."""
    x, y = labelled_modes(600 * 64, np.random.default_rng(0))
    trainer = ConditionalGANTrainer(*conditional_gan(), TrainConfig(**CONFIG), n_classes=CLASSES)
    assert trainer.fit(x, y=y) == "epochs" and trainer.step == 600
    for k in range(CLASSES):
        samples = trainer.generate(trainer.sample_latent(500), labels=np.full(500, k))
        centre = RADIUS * np.array([np.cos(2 * np.pi * k / CLASSES), np.sin(2 * np.pi * k / CLASSES)])
        near = np.linalg.norm(samples - centre, axis=1) < 3 * SIGMA
        assert near.mean() >= 0.85, (k, near.mean())
    assert trainer.generate().shape == (8, 2)  # the fixed noise, labels cycling through the classes


def test_conditional_run_resumes_bit_for_bit(tmp_path):
    x, y = labelled_modes(20 * 64, np.random.default_rng(1))
    config = TrainConfig(**dict(CONFIG, ema_decay=0.9))
    whole = ConditionalGANTrainer(*conditional_gan(), config, n_classes=CLASSES)
    whole.fit(x, y=y)
    first = ConditionalGANTrainer(*conditional_gan(), config, n_classes=CLASSES)
    first.fit(x, y=y, max_steps=7)
    save_checkpoint(tmp_path / "c.npz", first)
    second = ConditionalGANTrainer(*conditional_gan(), config, n_classes=CLASSES)
    restore_trainer(second, load_checkpoint(tmp_path / "c.npz"))
    second.fit(x, y=y)
    for key, value in whole.state_dict().items():
        if key != "train_seconds":
            np.testing.assert_array_equal(second.state_dict()[key], value, err_msg=key)


def test_conditional_trainer_refuses_unconditional_models():
    G = Sequential([Dense(2)], (4,), seed=0)
    D = Sequential([Dense(1)], (2,), seed=0)
    with pytest.raises(ValueError, match=r"generator takes input shape \(4,\) .* "
                                         r"expected \[\(4,\), \(\)\] \(z and a label\)"):
        ConditionalGANTrainer(G, D, TrainConfig(**CONFIG))
    with pytest.raises(ValueError, match="argument 'y' must be an array with one label per image"):
        ConditionalGANTrainer(*conditional_gan(), TrainConfig(**CONFIG)).fit(np.zeros((64, 2), np.float32),
                                                                              y=np.zeros(3, int))


def test_a_subclass_overrides_only_the_steps_and_sees_batch_dicts():
    """The loop hands each step a batch dict; an override of the steps is all a new GAN needs."""
    seen = []

    class Recording(GANTrainer):
        def discriminator_step(self, batch):
            seen.append(("d", sorted(batch), len(batch["x"])))
            return super().discriminator_step(batch)

        def generator_step(self, batch=None):
            seen.append(("g", sorted(batch), len(batch["x"])))
            return super().generator_step(batch)

    G = Sequential([Dense(16), LeakyReLU(0.2), Dense(2)], (4,), seed=1)
    D = Sequential([Dense(16), LeakyReLU(0.2), Dense(1)], (2,), seed=2)
    trainer = Recording(G, D, TrainConfig(dataset="arrays", batch_size=8, latent_dim=4, k=2, epochs=1,
                                          progress=False))
    x, y = labelled_modes(40, np.random.default_rng(2))
    trainer.fit(x, y=y)
    assert seen[:3] == [("d", ["x", "y"], 8), ("d", ["x", "y"], 8), ("g", ["x", "y"], 8)]
    assert trainer.step == 2 and len(seen) == 6


def test_discriminator_output_kind_comes_from_the_model():
    G = Sequential([Dense(2)], (4,), seed=0)
    logits = GANTrainer(G, Sequential([Dense(1)], (2,), seed=0), TrainConfig(dataset="arrays", latent_dim=4))
    probabilities = GANTrainer(G, Sequential([Dense(1), Sigmoid()], (2,), seed=0),
                               TrainConfig(dataset="arrays", latent_dim=4))
    nested = GANTrainer(G, Sequential([Sequential([Dense(1), Sigmoid()])], (2,), seed=0),
                        TrainConfig(dataset="arrays", latent_dim=4))
    assert logits.objective.from_logits and not probabilities.objective.from_logits
    assert not nested.objective.from_logits
