"""StarGAN: the networks, the whole training step against central differences, training, checkpoints.

The step checks follow tests/test_lsgan.py: each update as the trainer computes it (SGD with lr 1,
gradients read back, weights restored), in float64, against central differences of the total loss
that update minimises. G runs twice inside L_G (translation, then reconstruction) with different
activation patterns, so ``gradcheck.pinned_kinks`` (one pattern per layer: its last forward) does
not apply: ``PassPins`` records the side of every kink in every pass at the checked point and pins
each pass to its own pattern, so the differences see the smooth branch through that point.
"""

import numpy as np
import pytest

from numpygan.gradcheck import _layers_of, numerical_gradient, relative_error
from numpygan.losses import MeanAbsoluteError, SparseCategoricalCrossentropy
from numpygan.optimizers import SGD
from numpygan.training import TrainConfig
from numpygan.training.checkpoint import load_checkpoint, restore_trainer, save_checkpoint
from numpygan.training.stargan import PART_KEYS, StarGANTrainer, translation_metrics
from numpygan.translation import StarGANDiscriminator, StarGANGenerator
from numpygan.translation.stargan import domain_maps

from test_lsgan import step_gradients

N_DOMAINS = 3


def tiny_models(fast=False, dtype=np.float64, size=8, g_filters=1, d_filters=(2, 3), n_residual=1, seed=0):
    G = StarGANGenerator((size, size, 1), N_DOMAINS, filters=g_filters, n_residual=n_residual, seed=seed + 1,
                         dtype=dtype, fast=fast)
    D = StarGANDiscriminator((size, size, 1), N_DOMAINS, filters=d_filters, seed=seed + 2, dtype=dtype, fast=fast)
    return G, D


def tiny_config(**changes):
    return TrainConfig(**{**dict(model="dcgan", dataset="arrays", loss="lsgan", batch_size=4, lr_g=1e-3, lr_d=1e-3,
                                 d_dropout=0.0, quick_fid=0, progress=False, epochs=1), **changes})


def images(n, size=8, seed=0):
    """Images in ±[0.6, 1]: far from G's outputs near 0 in the step checks, so no |x − G(G(x))| is near its kink."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], (n, size, size, 1)) * rng.uniform(0.6, 1.0, (n, size, size, 1))


# -- the networks ------------------------------------------------------------------------------------------------
def test_shapes_of_the_default_networks():
    G, D = StarGANGenerator(seed=0), StarGANDiscriminator(seed=1)
    assert G.input_shape == [(28, 28, 1), ()] and G.output_shape == (28, 28, 1)
    assert D.input_shape == (28, 28, 1) and D.output_shape == [(4, 4, 1), (3,)]
    x = np.zeros((2, 28, 28, 1), np.float32)
    y = G(x, np.array([0, 2]))
    assert y.shape == x.shape and y.dtype == np.float32 and np.abs(y).max() <= 1
    src, cls = D(y)
    assert src.shape == (2, 4, 4, 1) and cls.shape == (2, 3)
    assert len(G.blocks) == 3 and G.count_params() > 0
    # convolutions that feed InstanceNorm have no bias; the last one has
    assert [n for n in G.parameters() if n.endswith("bias")] == ["up.6.conv2d.bias"]


def test_the_label_reaches_the_generator_as_one_hot_maps():
    maps = domain_maps(np.array([2, 0]), 3, (2, 3), np.float32)
    assert maps.shape == (2, 2, 3, 3) and maps.dtype == np.float32
    np.testing.assert_array_equal(maps[0], np.broadcast_to([0, 0, 1], (2, 3, 3)))
    np.testing.assert_array_equal(maps[1], np.broadcast_to([1, 0, 0], (2, 3, 3)))
    G, _ = tiny_models(g_filters=2)
    x = images(2)
    assert not np.allclose(G(x, np.array([0, 0])), G(x, np.array([1, 1])))   # the label changes the output
    np.testing.assert_array_equal(G(x, np.array([1, 2]))[1], G(x[1:], np.array([2]))[0])  # per image


def test_bad_arguments_are_refused_in_one_line():
    G, D = tiny_models()
    x = images(2)
    with pytest.raises(ValueError, match=r"argument 'labels' expected domains in \[0, 3\), received values in \[0, 3\]"):
        G(x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"argument 'labels' expected integer domain labels of shape \(N,\)"):
        G(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"argument 'image_shape' expected \(H, W, C\) with H and W multiples of 4"):
        StarGANGenerator((30, 30, 1))
    with pytest.raises(ValueError, match="argument 'n_domains' expected an int >= 2, received 1"):
        StarGANGenerator(n_domains=1)
    with pytest.raises(ValueError, match="argument 'filters' expected one or more positive"):
        StarGANDiscriminator(filters=())
    with pytest.raises(ValueError, match=r"argument 'grad_out' expected \(g_src, g_cls\)"):
        D(x)
        D.backward((None, None))
    with pytest.raises(ValueError, match="argument 'lambda_rec' expected a finite number >= 0"):
        StarGANTrainer(G, D, tiny_config(), lambda_rec=-1.0)
    other_G, _ = tiny_models(size=12)
    with pytest.raises(ValueError, match="the discriminator must take the generator's images"):
        StarGANTrainer(other_G, D, tiny_config())
    trainer = StarGANTrainer(G, D, tiny_config())
    with pytest.raises(ValueError, match=r"argument 'y' expected the domain of each image, ints \(8,\) in \[0, 3\)"):
        trainer.fit(images(8), y=None)
    with pytest.raises(ValueError, match="no fixed images to translate"):
        trainer.generate()


# -- the whole step against central differences ------------------------------------------------------------------
class PassPins:
    """Pin the kinked layers of each forward pass inside a loss to their pattern at the checked point.

    ``loss`` calls ``run(i, layers, forward)`` for its i-th pass; ``record()`` evaluates the loss
    once, keeping each pass's ``kink_state()``; inside ``with pins:`` every pass runs pinned to it
    (as ``numpygan.gradcheck.pinned_kinks`` does for a network that runs once)."""

    def __init__(self):
        self.patterns, self.pinned = {}, False

    def run(self, i, models, forward):
        layers = [layer for model in models for layer in _layers_of(model) if hasattr(layer, "kink_state")]
        for layer, pattern in zip(layers, self.patterns.get(i, []) if self.pinned else []):
            layer.pinned_kinks = pattern
        try:
            out = forward()
        finally:
            for layer in layers:
                layer.pinned_kinks = None
        if not self.pinned:
            self.patterns[i] = [layer.kink_state().copy() for layer in layers]
        return out

    def __enter__(self):
        self.pinned = True
        return self

    def __exit__(self, *exc):
        self.pinned = False


def structural_zeros(model):
    """{parameter name: flat indices whose gradient is exactly 0 by construction}.

    G's first convolution reads the label maps, which are constant over the image. Its centre tap
    sees a label map at every output position (the 'same' padding never reaches it), so it adds
    a constant to each output map, which the InstanceNormalization right after subtracts again:
    dL/dw = 0 exactly for those weights (the label reaches G through the taps that meet the zero
    padding at the borders). A relative error between two zeros (analytic ~1e-17, numeric ~1e-13
    round-off) means nothing, so these elements are checked to be zero instead."""
    if not isinstance(model, StarGANGenerator):
        return {}
    name, kernel = "down.0.conv2d.kernel", model.parameters()["down.0.conv2d.kernel"]
    kh, kw, _, _ = kernel.shape
    mask = np.zeros(kernel.shape, bool)
    mask[kh // 2, kw // 2, model.input_shape[0][-1]:, :] = True
    return {name: np.flatnonzero(mask)}


def worst_step_error(loss, model, grads, prefix, pins, indices_per_tensor=None, seed=0):
    """Max relative error of the step's ``grads`` against central differences of ``loss()`` over
    ``model``'s parameters (every element, or ``indices_per_tensor`` random ones with the first and last);
    ``structural_zeros`` are asserted to be zero instead."""
    rng = np.random.default_rng(seed)
    zeros = structural_zeros(model)
    errors = []
    for name, p in model.parameters().items():
        analytic = grads[f"{prefix}/{name}"].reshape(-1)
        if name in zeros:
            assert np.abs(analytic[zeros[name]]).max() < 1e-14, f"{name}: a structurally zero gradient is not zero"
        indices = np.setdiff1d(np.arange(p.size), zeros.get(name, []))
        if indices_per_tensor is not None and len(indices) > indices_per_tensor:
            indices = np.unique(np.r_[indices[[0, -1]], rng.choice(indices, indices_per_tensor - 2, replace=False)])
        loss()     # the patterns of the checked point, then the differences pinned to them
        with pins:
            numeric, _ = numerical_gradient(loss, p.value, indices=indices)
        errors.append(relative_error(analytic[indices], numeric).max())
    return max(errors)


def check_stargan_step(assert_gradient_error, label, fast=False, loss="lsgan", indices_per_tensor=None, **sizes):
    G, D = tiny_models(fast=fast, **sizes)
    size = G.output_shape[0]
    n = 4
    trainer = StarGANTrainer(G, D, tiny_config(batch_size=n, loss=loss), g_optimizer=SGD(G.parameters(), lr=1.0),
                             d_optimizer=SGD(D.parameters(), lr=1.0), lambda_cls=1.0, lambda_rec=10.0)
    real, domains = images(n, size, seed=5), np.array([0, 1, 2, 1])
    batch = {"x": real, "y": domains}
    # G's weights from N(0, 1): InstanceNorm makes G invariant to the scale of the weights before it,
    # so near the N(0, 0.02²) start the loss curves on the scale of the weights themselves (~1e-2) and
    # central differences with h = 1e-3 would measure that curvature. The last convolution (no norm
    # after it) gets small weights so that tanh stays unsaturated and G(·) stays near 0. InstanceNorm's
    # scale and shift scatter around (1, 0): far from them, whole channels could sit below ReLU's kink.
    rng = np.random.default_rng(6)
    for name, p in G.parameters().items():
        scale = 0.02 if name.startswith("up.6.") else 0.3 if "instancenormalization" in name else 1.0
        p.value[...] = rng.standard_normal(p.shape) * scale + (1.0 if name.endswith("gamma") else 0.0)
    # push D's outputs off zero so that real, fake and G's targets give clearly different gradients
    D.src.layers[-1].parameters()["bias"].value[...] = 0.3
    objective, ce, l1 = trainer.objective, SparseCategoricalCrossentropy(), MeanAbsoluteError()
    pins = PassPins()

    # -- D's update: L_D = L_real + L_fake + λ_cls CE(D_cls(x), c_org)
    state = trainer.latent_rng.bit_generator.state
    G.zero_grad()
    grads = step_gradients(trainer, trainer.discriminator_step, batch)
    assert not any(v.any() for k, v in grads.items() if k.startswith("G/"))
    after = trainer.latent_rng.bit_generator.state

    def d_loss():
        trainer.latent_rng.bit_generator.state = state
        targets = trainer.sample_targets(domains)
        fake = pins.run(0, [G], lambda: G.forward(real, targets, training=True))
        src, cls = pins.run(1, [D], lambda: D.forward(np.concatenate([real, fake]), training=True))
        return (objective.discriminator_real(src[:n])[0] + objective.discriminator_fake(src[n:])[0]
                + ce(cls[:n], domains)[0])

    assert_gradient_error(f"StarGAN step: D update{label}",
                          worst_step_error(d_loss, D, grads, "D", pins, indices_per_tensor))

    # -- G's update: L_G = L_gen + λ_cls CE(D_cls(G(x, c)), c) + λ_rec |x − G(G(x, c), c_org)|, through D
    trainer.latent_rng.bit_generator.state = state = after
    D.zero_grad()
    grads = step_gradients(trainer, trainer.generator_step, batch)
    assert not any(v.any() for k, v in grads.items() if k.startswith("D/"))

    def g_loss():
        trainer.latent_rng.bit_generator.state = state
        targets = trainer.sample_targets(domains)
        fake = pins.run(0, [G], lambda: G.forward(real, targets, training=True))
        src, cls = pins.run(1, [D], lambda: D.forward(fake, training=True))
        reconstruction = pins.run(2, [G], lambda: G.forward(fake, domains, training=True))
        margins.append(np.abs(reconstruction - real).min())
        return objective.generator(src)[0] + ce(cls, targets)[0] + 10.0 * l1(reconstruction, real)[0]

    margins = []
    assert_gradient_error(f"StarGAN step: G update through D{label}",
                          worst_step_error(g_loss, G, grads, "G", pins, indices_per_tensor))
    assert min(margins) > 0.1     # no evaluation came near the kink of |x − G(G(x, c), c_org)|


def test_stargan_step_gradients_match_finite_differences(assert_gradient_error):
    """Both updates of a StarGAN step on tiny reference-layer networks: 6 elements of every parameter
    tensor (the first, the last and 4 drawn), every element in the slow suite."""
    check_stargan_step(assert_gradient_error, "", indices_per_tensor=6)


@pytest.mark.slow
def test_stargan_step_gradients_every_element(assert_gradient_error):
    check_stargan_step(assert_gradient_error, " (every element)")


@pytest.mark.slow
@pytest.mark.parametrize("fast,loss", [(True, "lsgan"), (False, "bce"), (True, "bce")])
def test_stargan_step_gradients_larger(assert_gradient_error, fast, loss):
    """Wider networks (more channels, two residual blocks, 12×12 images), fast layers and BCE too;
    40 elements per tensor."""
    check_stargan_step(assert_gradient_error, f" ({loss}{', fast' if fast else ''}, larger)", fast=fast, loss=loss,
                       indices_per_tensor=40, size=12, g_filters=3, d_filters=(4, 6), n_residual=2)


# -- training, the grid, checkpoints -----------------------------------------------------------------------------
def tiny_trainer(seed=0, **changes):
    G, D = tiny_models(fast=True, dtype=np.float32, g_filters=2, seed=seed)
    config = tiny_config(seed=seed, **changes)
    return StarGANTrainer(G, D, config, fixed_images=images(1 + N_DOMAINS).astype(np.float32))


def tiny_data(n=24):
    return images(n, seed=9).astype(np.float32), np.arange(n) % N_DOMAINS


def test_a_few_steps_train_every_network_and_keep_the_loss_parts():
    trainer = tiny_trainer()
    x, y = tiny_data()
    before = {k: p.value.copy() for k, p in {**trainer.generator.parameters(),
                                             **{f"D.{k}": p for k, p in trainer.discriminator.parameters().items()}
                                             }.items()}
    assert trainer.fit(x, y=y, max_steps=4) == "max_steps"
    after = {**trainer.generator.parameters(), **{f"D.{k}": p for k, p in trainer.discriminator.parameters().items()}}
    assert all(not np.array_equal(before[k], p.value) for k, p in after.items())
    for key in PART_KEYS:
        assert len(trainer.parts[key]) == 4 and np.isfinite(trainer.parts[key]).all()
    # L_G is the weighted sum of its parts
    g = trainer.history["g_loss"][-1]
    parts = {key: trainer.parts[key][-1] for key in PART_KEYS}
    assert g == pytest.approx(parts["g_adv"] + parts["g_cls"] + 10 * parts["g_rec"], rel=1e-5)
    grid = trainer.generate()
    assert grid.shape == (16, 8, 8, 1)
    np.testing.assert_array_equal(grid[::4], trainer.fixed_images)    # each row starts with its input
    np.testing.assert_allclose(grid[1::4][:, :, :, :], trainer.translate(trainer.fixed_images, 0), rtol=1e-6)


def test_resume_from_a_checkpoint_continues_bit_for_bit(tmp_path):
    x, y = tiny_data()
    straight = tiny_trainer()
    straight.fit(x, y=y, max_steps=5)
    first = tiny_trainer()
    first.fit(x, y=y, max_steps=2)                 # mid-epoch: the saved epoch order matters too
    path = save_checkpoint(tmp_path / "checkpoint.npz", first)
    resumed = restore_trainer(tiny_trainer(), load_checkpoint(path))
    assert resumed.step == 2 and resumed.parts == first.parts
    resumed.fit(x, y=y, max_steps=5)
    for key, value in straight.state_dict().items():
        if key != "train_seconds":
            np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)


def test_a_checkpoint_with_other_stargan_settings_is_refused(tmp_path):
    x, y = tiny_data()
    trainer = tiny_trainer()
    trainer.fit(x, y=y, max_steps=1)
    path = save_checkpoint(tmp_path / "checkpoint.npz", trainer)
    G, D = tiny_models(fast=True, dtype=np.float32, g_filters=2)
    other = StarGANTrainer(G, D, tiny_config(), lambda_rec=5.0)
    with pytest.raises(ValueError, match=r"StarGAN settings .*'lambda_rec': 10.0.*'lambda_rec': 5.0"):
        restore_trainer(other, load_checkpoint(path))


# -- the metrics and the example ---------------------------------------------------------------------------------
def test_translation_metrics_count_every_image_into_every_other_domain():
    trainer = tiny_trainer()
    x, y = images(6, seed=2).astype(np.float32), np.array([0, 1, 2, 0, 1, 2])
    classes = np.array([5, 7, 9])
    asked = []

    def predict(batch):         # calls every image a sneaker
        asked.append(len(batch))
        return np.full(len(batch), 7)

    metrics = translation_metrics(trainer, x, y, predict, classes)
    assert metrics["pairs"] == 12 and asked == [6, 6, 6]
    # everything is called a sneaker (domain 1): right for the 4 translations into domain 1 only
    assert metrics["accuracy"] == pytest.approx(4 / 12) and metrics["accuracy_to/1"] == 1.0
    assert metrics["accuracy_to/0"] == metrics["accuracy_to/2"] == 0.0
    assert metrics["kept_source"] == pytest.approx(4 / 12) and metrics["real_accuracy"] == pytest.approx(2 / 6)
    back = [trainer.translate(trainer.translate(x, (y + s) % 3), y) for s in (1, 2)]
    assert metrics["reconstruction_l1"] == pytest.approx(np.mean([np.abs(b - x).mean() for b in back]), rel=1e-6)
    same = trainer.translate(x, y)
    assert metrics["identity_l1"] == pytest.approx(np.abs(same - x).mean(), rel=1e-6)
    # the partners: images 0 ↔ 3, 1 ↔ 4, 2 ↔ 5 share a domain
    assert metrics["identity_l1_other"] == pytest.approx(np.abs(same - x[[3, 4, 5, 0, 1, 2]]).mean(), rel=1e-6)
    with pytest.raises(ValueError, match=r"argument 'classes' expected one class per domain \(3,\)"):
        translation_metrics(trainer, x, y, predict, [5, 7])


@pytest.mark.slow  # trains for several seconds: keeps the fast suite under a minute (CI runs -m slow)
def test_the_example_trains_evaluates_and_resumes(tmp_path, monkeypatch, one_blas_thread):
    from test_examples import load_example
    import numpygan.metrics

    example = load_example("stargan_fashion")
    rng = np.random.default_rng(0)

    def load_domains(split):    # stand-in data: 60 (train) or 24 (test) random images, domains in turn
        n = 60 if split == "train" else 24
        return rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32), np.arange(n) % 3

    class Classifier:
        def predict(self, images):
            assert images.min() >= 0 and images.max() <= 1      # the example maps G's [-1, 1] to [0, 1]
            return np.full(len(images), 9)

    monkeypatch.setattr(example, "load_domains", load_domains)
    monkeypatch.setattr(numpygan.metrics, "load_classifier", lambda dataset: Classifier())
    out = tmp_path / "stargan"
    args = ["--out", str(out), "--batch-size", "4", "--max-steps", "3", "--no-progress"]
    assert example.main(args) == 0
    for name in ("samples.png", "translations.png", "losses.png", "checkpoint.npz", "metrics.json"):
        assert (out / name).exists(), name
    import json
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["step"] == 3 and metrics["accuracy_to/2"] == 1.0 and metrics["accuracy"] == pytest.approx(1 / 3)
    with pytest.raises(SystemExit, match="already exists; continue that run with --resume"):
        example.main(args)
    with pytest.raises(SystemExit, match=r"(?s)cannot resume: .*other settings:.*batch_size: checkpoint has 4, this run has 8"):
        example.main(["--out", str(out), "--batch-size", "8", "--no-progress", "--resume"])
    with pytest.raises(SystemExit, match="cannot resume"):
        example.main(["--out", str(tmp_path / "empty"), "--no-progress", "--resume"])
    assert example.main(args[:-3] + ["--max-steps", "5", "--no-progress", "--resume"]) == 0
    assert json.loads((out / "metrics.json").read_text())["step"] == 5
