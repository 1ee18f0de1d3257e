"""pix2pix: the edges task, SSIM, the U-Net generator, Pix2PixTrainer's two updates and its runs.

The U-Net and the whole training step (D's update, G's update through D frozen, with the
L1 term) are checked against central differences in float64, every element, ≤ 1e-6.
"""

import json

import numpy as np
import pytest

from numpygan.data.edges import EDGE_THRESHOLD, edge_pairs, sobel_edges, sobel_magnitude
from numpygan.gradcheck import numerical_gradient, pinned_kinks, relative_error
from numpygan.metrics.ssim import gaussian_window, ssim, ssim_map
from numpygan.optimizers import SGD
from numpygan.training import TrainConfig
from numpygan.training.checkpoint import load_checkpoint, restore_trainer, save_checkpoint
from numpygan.training.pix2pix import SETTINGS, Pix2PixTrainer, save_translation_grid
from numpygan.translation import UNetLevel, patchgan_discriminator, unet_generator

pytestmark = pytest.mark.usefixtures("one_blas_thread")


# -- the edges task ---------------------------------------------------------------------------------------------
def test_sobel_magnitude_of_a_square_by_hand():
    """A 2×2 square of ones at rows and columns 3–4 of an 8×8 image; the kernel sums written out."""
    image = np.zeros((1, 8, 8))
    image[0, 3:5, 3:5] = 1.0
    m = sobel_magnitude(image)[0]
    # (3, 2): G_x = Σ K_x ⋆ I = (1·0 + 0 − 1·I[2,3]) + (2·0 + 0 − 2·I[3,3]) + (1·0 + 0 − 1·I[4,3]) = −3
    #         G_y = (1·I[2,1] + 2·I[2,2] + 1·I[2,3]) − (1·I[4,1] + 2·I[4,2] + 1·I[4,3]) = 0 − 1 = −1
    assert m[3, 2] == pytest.approx(np.sqrt(10.0))
    # (3, 3): G_x = −(I[2,4] + 2 I[3,4] + I[4,4]) + (I[2,2] + 2 I[3,2] + I[4,2]) = −3, G_y = −(I[4,2] + 2 I[4,3] + I[4,4]) = −3
    assert m[3, 3] == pytest.approx(np.sqrt(18.0))
    # (2, 2): only I[3,3] is in the window, at its bottom-right: G_x = −1, G_y = −1
    assert m[2, 2] == pytest.approx(np.sqrt(2.0))
    assert m[0].max() == 0 and m[:, 0].max() == 0 and m[7].max() == 0   # flat far away
    edges = sobel_edges(image)
    assert edges.shape == (1, 8, 8, 1) and edges.dtype == np.float32
    assert edges[0, 3, 2, 0] == 1 and edges[0, 2, 2, 0] == 1 and edges[0, 0, 0, 0] == 0
    assert EDGE_THRESHOLD == 1.0 and sobel_edges(image, threshold=1.5)[0, 2, 2, 0] == 0   # √2 < 1.5


def test_sobel_edges_act_within_each_image_and_pairs_are_scaled():
    rng = np.random.default_rng(0)
    images = np.zeros((3, 28, 28, 1), np.float32)
    images[1] = rng.uniform(0, 1, (28, 28, 1))
    edges = sobel_edges(images)
    assert not edges[0].any() and not edges[2].any()    # the neighbours' pixels do not leak in
    np.testing.assert_array_equal(edges[1:2], sobel_edges(images[1:2]))
    x, y = edge_pairs(images)
    assert x.dtype == y.dtype == np.float32 and set(np.unique(x)) <= {-1.0, 1.0}
    np.testing.assert_allclose(y, 2 * images - 1)


def test_edges_refuse_bad_input():
    with pytest.raises(ValueError, match=r"argument 'images' expected pixels in \[0, 1\]"):
        sobel_edges(np.full((1, 4, 4), 2.0))
    with pytest.raises(ValueError, match="argument 'images' expected shape"):
        sobel_edges(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="argument 'images' must be a floating"):
        sobel_edges(np.zeros((1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="argument 'threshold' expected a positive number, received 0"):
        sobel_edges(np.zeros((1, 4, 4)), threshold=0)


# -- SSIM -------------------------------------------------------------------------------------------------------
def ssim_by_windows(x, y):
    """SSIM of two (28, 28) images written straight from Wang et al. 2004: every valid 11×11 window."""
    w = gaussian_window()
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    values = []
    for i in range(28 - 10):
        for j in range(28 - 10):
            a, b = x[i:i + 11, j:j + 11], y[i:i + 11, j:j + 11]
            mu_a, mu_b = (w * a).sum(), (w * b).sum()
            var_a, var_b = (w * (a - mu_a) ** 2).sum(), (w * (b - mu_b) ** 2).sum()
            cov = (w * (a - mu_a) * (b - mu_b)).sum()
            values.append((2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
    return np.mean(values)


def test_ssim_equals_the_formula_window_by_window():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (2, 28, 28, 1))
    y = np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1)
    got = ssim(x, y)
    assert got.shape == (2,)
    for k in range(2):
        assert got[k] == pytest.approx(ssim_by_windows(x[k, ..., 0], y[k, ..., 0]), rel=1e-10)
    assert ssim_map(x, y).shape == (2, 18, 18)


def test_ssim_known_values():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (3, 28, 28, 1))
    y = rng.uniform(0, 1, (3, 28, 28, 1))
    np.testing.assert_allclose(ssim(x, x), 1.0, rtol=1e-12)
    np.testing.assert_allclose(ssim(x, y), ssim(y, x), rtol=1e-12)
    assert np.all(ssim(x, y) < 0.2) and np.all(ssim(x, y) > -0.2)          # unrelated noise: near 0
    assert np.all(ssim(x, 1 - x) < -0.9)                                     # inverted structure: near −1
    # two constant images a and b: σ = 0, so SSIM = (2ab + C₁) / (a² + b² + C₁) at every position
    a, b, c1 = 0.2, 0.6, 0.01 ** 2
    value = ssim(np.full((1, 28, 28, 1), a), np.full((1, 28, 28, 1), b))[0]
    assert value == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), rel=1e-12)   # 0.6002... by hand


def test_ssim_refuses_bad_input():
    x = np.zeros((2, 28, 28, 1))
    with pytest.raises(ValueError, match=r"argument 'images2' must hold pixels in \[0, 1\]"):
        ssim(x, x - 1)
    with pytest.raises(ValueError, match="must have the same shape"):
        ssim(x, x[:1])
    with pytest.raises(ValueError, match=r"argument 'images1' must have shape \(N, 28, 28, 1\)"):
        ssim(np.zeros((2, 14, 14, 1)), np.zeros((2, 14, 14, 1)))


# -- the U-Net ----------------------------------------------------------------------------------------------------
def randomised(model, seed=0, scale=0.5):
    """``model`` in float64 with every parameter drawn from N(0, scale²), so no gradient term hides behind
    a zero bias or a unit scale."""
    model.astype(np.float64)
    rng = np.random.default_rng(seed)
    for p in model.parameters().values():
        p.value[...] = scale * rng.standard_normal(p.shape)
    return model


def test_unet_shapes_and_parts():
    G = unet_generator(filters=4, seed=0)
    assert G.input_shape == (28, 28, 1) and G.output_shape == (28, 28, 1)
    level1 = G.layers[2]
    assert isinstance(level1, UNetLevel) and level1.output_shape == (28, 28, 8)
    assert level1.inner.output_shape == (14, 14, 16) and level1.inner.inner.output_shape == (7, 7, 16)
    y = G.forward(np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype(np.float32))
    assert y.shape == (2, 28, 28, 1) and y.dtype == np.float32 and np.abs(y).max() < 1
    assert unet_generator((8, 8, 2), 3, filters=2, residual_blocks=0, seed=0).output_shape == (8, 8, 3)


@pytest.mark.parametrize("fast", [True, pytest.param(False, marks=pytest.mark.slow)], ids=["fast", "reference"])
def test_unet_gradients(check_gradients, fast):
    """Every tensor of the U-Net (8 elements each; every element in the slow test below)."""
    G = randomised(unet_generator((8, 8, 1), 1, filters=2, residual_blocks=1, seed=1, fast=fast))
    x = np.random.default_rng(2).standard_normal((2, 8, 8, 1))
    check_gradients(G, x, f"unet_generator (instance{', fast' if fast else ''})", max_per_tensor=8)


@pytest.mark.slow
def test_unet_gradients_every_element(check_gradients):
    G = randomised(unet_generator((8, 8, 1), 1, filters=2, residual_blocks=1, seed=1))
    x = np.random.default_rng(2).standard_normal((2, 8, 8, 1))
    check_gradients(G, x, "unet_generator (instance, fast)")


@pytest.mark.parametrize("norm", ["batch", "none"])
def test_unet_level_is_unet_block_with_normalised_units(check_gradients, norm):
    level = randomised(UNetLevel((4, 4, 2), 3, norm=norm, seed=0))
    middle = {"batch": ["BatchNormalization"], "none": []}[norm]
    assert [type(layer).__name__ for layer in level.down.layers] == ["Conv2D", *middle, "LeakyReLU"]
    assert [type(layer).__name__ for layer in level.up.layers] == ["Conv2DTranspose", *middle, "ReLU"]
    assert level.down.layers[0].use_bias == (norm == "none")    # a normalisation would cancel the bias
    check_gradients(level, np.random.default_rng(1).standard_normal((3, 4, 4, 2)), f"UNetLevel ({norm})")


def test_unet_refuses_bad_arguments():
    with pytest.raises(ValueError, match="argument 'norm' expected one of"):
        unet_generator(norm="layer")
    with pytest.raises(ValueError, match=r"divisible by 4.*received \(30, 30, 1\)"):
        unet_generator((30, 30, 1))
    with pytest.raises(ValueError, match="argument 'filters' expected an int >= 1, received 0"):
        unet_generator(filters=0)


# -- the trainer ----------------------------------------------------------------------------------------------------
def tiny_models(dtype=np.float32, seed=0):
    G = unet_generator((8, 8, 1), 1, filters=2, residual_blocks=1, seed=seed + 1, dtype=dtype)
    D = patchgan_discriminator((8, 8, 2), filters=(3, 4), seed=seed + 2, dtype=dtype)
    return G, D


def tiny_pairs(n=12, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    y = np.tanh(rng.standard_normal((n, 8, 8, 1))).astype(dtype)
    x = np.where(np.abs(y) > 0.5, 1.0, -1.0).astype(dtype)     # an "edge map" of y
    return x, y


def tiny_trainer(adversarial=True, **config):
    G, D = tiny_models()
    config = TrainConfig(**{"dataset": "arrays", "batch_size": 4, "quick_fid": 0, "progress": False, **config})
    return Pix2PixTrainer(G, D, config, adversarial=adversarial, architecture={"filters": 2})


def step_gradients(trainer, step, batch):
    """Run ``step`` with SGD(lr=1), read the gradients it left, and put the weights back."""
    params = {**{f"G/{k}": p for k, p in trainer.generator.parameters().items()},
              **{f"D/{k}": p for k, p in trainer.discriminator.parameters().items()}}
    before = {k: p.value.copy() for k, p in params.items()}
    for p in params.values():
        p.grad[...] = 0
    step(batch)
    grads = {k: p.grad.copy() for k, p in params.items()}
    for k, p in params.items():
        p.value[...] = before[k]
    return grads


def worst_error(loss, model, prefix, grads, models, per_tensor=None):
    """Max relative error of ``grads[prefix/name]`` against central differences of ``loss()``, over every
    element of ``model``'s parameters (or ``per_tensor`` of each: the first, the last and random ones),
    with the kinks of ``models`` pinned at the unperturbed point."""
    loss()
    errors = []
    rng = np.random.default_rng(0)
    with pinned_kinks(*models):
        for name, p in model.parameters().items():
            indices = np.arange(p.size)
            if per_tensor is not None and p.size > per_tensor:
                indices = np.unique(np.r_[0, p.size - 1, rng.choice(p.size, per_tensor - 2, replace=False)])
            numeric, _ = numerical_gradient(loss, p.value, indices=indices)
            errors.append(relative_error(grads[f"{prefix}/{name}"].reshape(-1)[indices], numeric).max())
    return max(errors)


@pytest.mark.parametrize("per_tensor", [6, pytest.param(None, marks=pytest.mark.slow)], ids=["sampled", "every"])
@pytest.mark.parametrize("adversarial", [True, False], ids=["pix2pix", "l1_only"])
def test_pix2pix_step_gradients_match_finite_differences(assert_gradient_error, adversarial, per_tensor):
    """Both updates of a pix2pix step as the trainer computes them, in float64, against central
    differences of the loss each minimises, for every parameter tensor (6 elements of each in the
    fast suite, every element in the slow one):

    * D: L_D = BCE(D([x | y]), 1) + BCE(D([x | G(x)]), 0), means over the 2×2 logit maps; G untouched;
    * G: L_G = BCE(D([x | G(x)]), 1) + λ · mean |G(x) − y|, through D (whose gradients stay zero);
      the L1-only baseline: λ · mean |G(x) − y| alone, D not run.
    """
    # The point is chosen (seeds 7, 8) so that no derivative is below ~1e-8: there central differences
    # agree with the analytic value only to round-off (~3e-14 absolute), which exceeds 1e-6 relative;
    # with seeds 3, 4 one kernel element of G's tiny 2×2 bottleneck had dL/dθ = 5e-9 (max 0.015).
    G, D = (randomised(m, seed) for m, seed in zip(tiny_models(), (7, 8)))
    config = TrainConfig(dataset="arrays", batch_size=3, quick_fid=0)
    trainer = Pix2PixTrainer(G, D, config, l1_weight=7.0, adversarial=adversarial,
                             g_optimizer=SGD(G.parameters(), lr=1.0), d_optimizer=SGD(D.parameters(), lr=1.0))
    objective = trainer.objective
    x = tiny_pairs(3, seed=5)[0].astype(np.float64)
    # targets 0.5 above or below G's outputs: both signs of G(x) − y, and no element near |·|'s kink
    y = G.forward(x, training=True) + 0.5 * np.random.default_rng(6).choice([-1.0, 1.0], (3, 8, 8, 1))
    batch = {"x": x, "y": y}

    if adversarial:
        grads = step_gradients(trainer, trainer.discriminator_step, batch)
        assert not any(v.any() for k, v in grads.items() if k.startswith("G/"))

        def d_loss():   # one pass over [real pairs; fake pairs]: the kinks are pinned per forward pass
            fake = G.forward(x, training=True)
            out = D.forward(np.concatenate([np.concatenate([x, y], axis=-1), np.concatenate([x, fake], axis=-1)]),
                            training=True)
            return objective.discriminator_real(out[:3])[0] + objective.discriminator_fake(out[3:])[0]

        assert_gradient_error("pix2pix step: D update", worst_error(d_loss, D, "D", grads, (G, D), per_tensor))
    else:
        assert trainer.discriminator_step(batch) == (0.0, 0.0, 0.0)

    grads = step_gradients(trainer, trainer.generator_step, batch)
    assert not any(v.any() for k, v in grads.items() if k.startswith("D/"))

    # L1 relative to the unperturbed point, element by element (as ``gradcheck`` does): the constant
    # part cancels exactly, so round-off scales with what a perturbation changed, not with |G(x) − y|
    # ≈ 0.5. Without it one kernel element of the bottleneck (dL/dθ = 1.3e-7) was off by 1.3e-6
    # relative under OpenBLAS's Haswell kernel (4e-13 absolute, round-off of the 3.5 loss).
    fake0 = G.forward(x, training=True).copy()

    def g_loss():
        fake = G.forward(x, training=True)
        loss = 7.0 * np.mean(np.abs(fake - y) - np.abs(fake0 - y))
        if adversarial:
            loss += objective.generator(D.forward(np.concatenate([x, fake], axis=-1), training=True))[0]
        return loss

    label = "pix2pix step: G update through D, + λ·L1" if adversarial else "pix2pix step: G update, λ·L1 only"
    pinned = (G, D) if adversarial else (G,)     # the baseline never runs D
    assert_gradient_error(label, worst_error(g_loss, G, "G", grads, pinned, per_tensor))


def test_pix2pix_learns_the_pairs_and_resumes_bit_for_bit(tmp_path):
    x, y = tiny_pairs(12)
    trainer = tiny_trainer()
    start = np.abs(trainer.translate(x) - y).mean()
    trainer.fit(x, y=y, epochs=4)
    assert trainer.step == 12 and np.abs(trainer.translate(x) - y).mean() < start
    # interrupted after 5 steps, saved, restored into a new trainer, continued: the same weights
    first = tiny_trainer()
    first.fit(x, y=y, epochs=4, max_steps=5)
    path = save_checkpoint(tmp_path / "checkpoint.npz", first)
    assert json.loads(str(load_checkpoint(path).state[SETTINGS]))["l1_weight"] == 100.0
    second = restore_trainer(tiny_trainer(), load_checkpoint(path))
    second.fit(x, y=y, epochs=4)
    for key, value in trainer.state_dict().items():
        if key != "train_seconds":
            np.testing.assert_array_equal(second.state_dict()[key], value, err_msg=key)


def test_a_checkpoint_of_other_settings_is_refused(tmp_path):
    x, y = tiny_pairs(8)
    trainer = tiny_trainer()
    trainer.fit(x, y=y, epochs=1)
    path = save_checkpoint(tmp_path / "checkpoint.npz", trainer)
    with pytest.raises(ValueError, match="adversarial: saved True, this run False"):
        restore_trainer(tiny_trainer(adversarial=False), load_checkpoint(path))


def test_the_gan_loaders_refuse_a_translation_checkpoint_naming_its_example(tmp_path, capsys):
    from numpygan.cli import main as cli
    from numpygan.training import load_generator, load_trainer

    x, y = tiny_pairs(8)
    trainer = tiny_trainer()
    trainer.fit(x, y=y, epochs=1)
    path = save_checkpoint(tmp_path / "checkpoint.npz", trainer)
    for load in (load_trainer, load_generator):
        with pytest.raises(ValueError, match=r"is a pix2pix run, .*examples/pix2pix_fashion_edges.py --resume"):
            load(path)
    assert cli(["sample", str(path), "-o", str(tmp_path / "grid.png")]) != 0
    assert "is a pix2pix run" in capsys.readouterr().err


def test_l1_only_leaves_d_alone():
    x, y = tiny_pairs(8)
    trainer = tiny_trainer(adversarial=False)
    before = {k: v.copy() for k, v in trainer.discriminator.state_dict().items()}
    trainer.fit(x, y=y, epochs=1)
    for key, value in trainer.discriminator.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert trainer.history["d_loss"] == [0.0, 0.0] and trainer.history["g_loss"][0] > 0


def test_trainer_refuses_mismatched_models_and_batches():
    G, D = tiny_models()
    config = TrainConfig(dataset="arrays", batch_size=4, quick_fid=0)
    with pytest.raises(ValueError, match=r"input and the image concatenated, expected input shape \(8, 8, 2\)"):
        Pix2PixTrainer(G, patchgan_discriminator((8, 8, 1), filters=(3,), seed=0), config)
    with pytest.raises(ValueError, match="argument 'l1_weight' expected a number >= 0"):
        Pix2PixTrainer(G, D, config, l1_weight=-1)
    with pytest.raises(ValueError, match="with adversarial=False argument 'l1_weight' must be > 0"):
        Pix2PixTrainer(G, D, config, l1_weight=0, adversarial=False)
    trainer = Pix2PixTrainer(G, D, config)
    x, y = tiny_pairs(8)
    with pytest.raises(ValueError, match=r"a batch must be a dict \{'x': inputs, 'y': targets\}"):
        trainer.fit(x, epochs=1)
    with pytest.raises(ValueError, match=r"argument 'x' expected float32 inputs \(N, 8, 8, 1\)"):
        trainer.fit(x[..., :0], y=y, epochs=1)
    with pytest.raises(ValueError, match="no fixed_inputs set"):
        trainer.generate()


def test_translation_grid(tmp_path):
    from PIL import Image

    columns = [np.full((5, 8, 8, 1), v, np.float32) for v in (-1.0, 0.0, 1.0)]
    path = save_translation_grid(tmp_path / "grid.png", columns, per_row=2, scale=1)
    picture = np.asarray(Image.open(path))
    assert picture.shape == (3 * 10 + 2, 6 * 10 + 2)
    assert picture[2, 2] == 0 and picture[2, 12] == 128 and picture[2, 22] == 255 and picture[2, 32] == 0
    with pytest.raises(ValueError, match="equally long columns"):
        save_translation_grid(tmp_path / "bad.png", [columns[0], columns[1][:2]])


@pytest.mark.slow
def test_example_trains_resumes_and_evaluates(tmp_path, capsys):
    """The example end to end on 64 training and 200 test pairs (the cached data and classifier)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "pix2pix_fashion_edges.py"
    spec = importlib.util.spec_from_file_location("pix2pix_fashion_edges", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "run"
    common = ["--out", str(out), "--test-limit", "200", "--no-progress", "--threads", "1"]
    assert example.main(["--limit", "64", "--filters", "4", "--batch-size", "16", "--max-steps", "2", *common]) == 0
    assert example.main(["--resume", "--max-steps", "4", *common]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["step"] == 4 and metrics["adversarial"] and 0 < metrics["l1"] < 1 and -1 < metrics["ssim"] < 1
    assert {"classifier_accuracy", "fid"} <= set(metrics) or "no classifier" in capsys.readouterr().out
    assert (out / "samples.png").exists() and (out / "epoch_001.png").exists()
    assert example.main(["--l1-only", "--out", str(tmp_path / "l1"), "--limit", "64", "--filters", "4",
                         "--batch-size", "16", "--max-steps", "1", "--test-limit", "200", "--no-progress",
                         "--compare", str(out)]) == 0
    assert (tmp_path / "l1" / "comparison.png").exists()
    assert example.main(common + ["--limit", "64"]) == 1     # a run is already there: refused
