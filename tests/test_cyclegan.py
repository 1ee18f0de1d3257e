"""CycleGAN: the ResNet generator, the image pool, the whole training step against finite differences,
training and bit-for-bit resume on tiny data, the metrics, the example script, and bad arguments."""

import copy
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from numpygan.gradcheck import numerical_gradient, pinned_kinks, relative_error
from numpygan.losses import MeanAbsoluteError
from numpygan.metrics import Classifier, build_classifier
from numpygan.optimizers import SGD
from numpygan.training import TrainConfig, load_checkpoint, restore_trainer, save_checkpoint
from numpygan.training.cyclegan import (PART_KEYS, CycleDiscriminators, CycleGANTrainer, CycleGenerators,
                                        class_images, translation_metrics)
from numpygan.translation import ImagePool, patchgan_discriminator, resnet_generator

pytestmark = pytest.mark.usefixtures("one_blas_thread")

SHAPE = (8, 8, 1)


def tiny_cyclegan(dtype=np.float32, pool_size=4, batch_size=3, seed=0, images_b=None, shape=SHAPE, **kwargs):
    """Generators k = 2 with one residual block, PatchGANs C2 → C4 on 8×8 images."""
    G = CycleGenerators(resnet_generator(shape, 2, 1, seed=seed + 1, dtype=dtype),
                        resnet_generator(shape, 2, 1, seed=seed + 2, dtype=dtype))
    D = CycleDiscriminators(patchgan_discriminator(shape, (2, 4), seed=seed + 3, dtype=dtype),
                            patchgan_discriminator(shape, (2, 4), seed=seed + 4, dtype=dtype))
    if images_b is None:
        images_b = np.random.default_rng(seed + 5).uniform(-1, 1, (20,) + shape).astype(dtype)
    config = TrainConfig(model="dcgan", dataset="arrays", loss="lsgan", batch_size=batch_size, epochs=2,
                         quick_fid=0, progress=False, seed=seed)
    return CycleGANTrainer(G, D, images_b, config, pool_size=pool_size, **kwargs)


# -- the generator --------------------------------------------------------------------------------------------
def test_resnet_generator_shapes_and_parts():
    G = resnet_generator((28, 28, 1), filters=4, n_blocks=2, seed=0)
    assert G.output_shape == (28, 28, 1)
    names = [name for name, _ in G.named_children()]
    assert sum("residual_block" in n for n in names) == 2 and names[-1].endswith("tanh")
    shapes = []
    x = np.zeros((1, 28, 28, 1), np.float32)
    for layer in G.layers:
        x = layer.forward(x)
        shapes.append(x.shape[1:])
    assert (7, 7, 16) in shapes and (14, 14, 8) in shapes        # d2k, d4k, then back up
    y = G.forward(np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype(np.float32))
    assert y.shape == (2, 28, 28, 1) and np.all(np.abs(y) < 1)
    assert resnet_generator((12, 8, 3), 2, 0, output_channels=1, seed=0).output_shape == (12, 8, 1)


def test_resnet_generator_gradients(check_gradients):
    G = resnet_generator(SHAPE, 2, 1, seed=3, dtype=np.float64)
    _widen(G, np.random.default_rng(0))
    x = np.random.default_rng(1).uniform(-1, 1, (2,) + SHAPE)
    check_gradients(G, x, "network: resnet_generator", max_per_tensor=12)


def test_resnet_generator_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"'input_shape' expected \(H, W, C\) with H and W multiples of 4, "
                                         r"received \(10, 8, 1\)"):
        resnet_generator((10, 8, 1))
    with pytest.raises(ValueError, match="'filters' expected an int >= 1, received 0"):
        resnet_generator(filters=0)
    with pytest.raises(ValueError, match="'n_blocks' expected an int >= 0, received 1.5"):
        resnet_generator(n_blocks=1.5)


# -- the image pool ---------------------------------------------------------------------------------------------
def test_image_pool_fills_then_swaps_half_the_time():
    pool = ImagePool(4, (2, 2, 1), seed=0)
    first = np.arange(3 * 4, dtype=np.float32).reshape(3, 2, 2, 1)
    np.testing.assert_array_equal(pool.query(first), first)      # filling: the new images come back
    assert len(pool) == 3
    second = 100 + np.arange(5 * 4, dtype=np.float32).reshape(5, 2, 2, 1)
    out = pool.query(second)
    np.testing.assert_array_equal(out[0], second[0])              # the 4th slot fills
    assert len(pool) == 4
    # afterwards each image is either the new one, or an old one (which the new one replaced in the pool)
    stored_before = set(first.reshape(3, -1)[:, 0]) | {second[0, 0, 0, 0]}
    swapped = 0
    for new, returned in zip(second[1:], out[1:]):
        if returned[0, 0, 0] != new[0, 0, 0]:
            swapped += 1
            assert returned[0, 0, 0] in stored_before | set(second[1:, 0, 0, 0])
            assert new[0, 0, 0] in pool.images[:, 0, 0, 0]
    assert swapped >= 1
    # once full, each image is swapped for a stored one with probability ½
    many = ImagePool(50, (1,), seed=1)
    many.query(-np.ones((50, 1), np.float32))
    new = np.arange(4000, dtype=np.float32)[:, None]
    assert 0.46 < np.mean(many.query(new) != new) < 0.54
    # size 0: the newest images only
    x = np.ones((3, 2), np.float32)
    assert ImagePool(0, (2,)).query(x) is x


def test_image_pool_state_round_trip_continues_the_same_draws():
    rng = np.random.default_rng(2)
    pool = ImagePool(5, (3,), seed=4)
    pool.query(rng.normal(size=(7, 3)).astype(np.float32))
    state = {key: np.copy(value) for key, value in pool.state_dict().items()}
    batch = rng.normal(size=(6, 3)).astype(np.float32)
    expected = pool.query(batch)
    other = ImagePool(5, (3,), seed=99)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.query(batch), expected)
    np.testing.assert_array_equal(other.images, pool.images)
    with pytest.raises(ValueError, match=r"ImagePool: state holds a pool of shape \(5, 3\), expected \(4, 3\)"):
        ImagePool(4, (3,)).load_state_dict(state)


def test_image_pool_refuses_bad_arguments():
    with pytest.raises(ValueError, match="ImagePool: argument 'size' expected an int >= 0, received -1"):
        ImagePool(-1)
    with pytest.raises(ValueError, match=r"ImagePool.query: argument 'images' expected shape \(N, \(28, 28, 1\)\), "
                                         r"received \(2, 28, 28\)"):
        ImagePool().query(np.zeros((2, 28, 28)))


# -- the whole step against finite differences ----------------------------------------------------------------
def _widen(model, rng, scale=0.5):
    """Redraw every parameter from N(0, scale²): the N(0, 0.02²) start would leave tiny outputs and hide terms."""
    for p in model.parameters().values():
        p.value[...] = rng.normal(0, scale, p.value.shape)


def _step_gradients(trainer, step, batch):
    """Run ``step(batch)`` with SGD(lr=1), read the gradients it left, put the weights back."""
    params = {**{f"G/{k}": p for k, p in trainer.generator.parameters().items()},
              **{f"D/{k}": p for k, p in trainer.discriminator.parameters().items()}}
    before = {k: p.value.copy() for k, p in params.items()}
    value = step(batch)
    grads = {k: p.grad.copy() for k, p in params.items()}
    for k, p in params.items():
        p.value[...] = before[k]
    return value, grads


class PassPins:
    """``pins(key, net, x)``: ``net.forward(x)``, first recording which side of its kink every unit of the pass
    ``key`` took, then (``frozen``) holding each pass to its own record.

    ``pinned_kinks`` holds a layer to its last forward, but here a generator runs three times per loss on
    different inputs (a translation, a cycle's second half, an identity), so each pass gets its own pins."""

    def __init__(self):
        self.states, self.frozen = {}, False

    def __call__(self, key, net, x):
        layers = [layer for _, layer in net.named_layers() if hasattr(layer, "kink_state")]
        if not self.frozen:
            y = net.forward(x, training=True)
            self.states[key] = [layer.kink_state().copy() for layer in layers]
            return y
        for layer, state in zip(layers, self.states[key]):
            layer.pinned_kinks = state
        try:
            return net.forward(x, training=True)
        finally:
            for layer in layers:
                layer.pinned_kinks = None


def _worst_error(loss, model, prefix, grads, models, per_tensor):
    """Max relative error of ``grads`` against central differences of ``loss()`` over ``per_tensor`` elements
    of each of ``model``'s parameters (all with None), the kinks of ``models`` pinned at the unperturbed point.
    Returns (error, the parameter where it occurs)."""
    loss()
    errors, rng = {}, np.random.default_rng(0)
    with pinned_kinks(*models):
        for name, p in model.parameters().items():
            size = p.value.size
            idx = None if per_tensor is None or size <= per_tensor else rng.choice(size, per_tensor, replace=False)
            numeric, _ = numerical_gradient(loss, p.value, indices=idx)
            analytic = grads[f"{prefix}/{name}"].reshape(-1)
            errors[name] = relative_error(analytic if idx is None else analytic[idx], numeric).max()
    worst = max(errors, key=errors.get)
    return errors[worst], worst


def _assert_error(assert_gradient_error, label, error, where):
    try:
        assert_gradient_error(label, error)
    except AssertionError as err:
        raise AssertionError(f"{err} (worst at parameter {where})") from None


@pytest.mark.parametrize("per_tensor, shape", [
    (2, SHAPE),
    # every element; on 12×12 images, whose 3×3 residual maps leave no kernel element with a near-zero
    # gradient: on 8×8 (2×2 maps, InstanceNorm over 4 values) some are ~1e-4 of the rest, and the
    # round-off of their differences, ~1e-13, is then 1e-7 .. 1e-6 of them
    pytest.param(None, (12, 12, 1), marks=pytest.mark.slow),
], ids=["sampled", "every_element"])
def test_cyclegan_step_gradients_match_finite_differences(assert_gradient_error, per_tensor, shape):
    """Both updates of a CycleGAN step as the trainer computes them, in float64, against central
    differences of the total loss each minimises:

    * G's update: dL_G/dθ for both generators with L_G = ℓ_G(D_B(G_AB(a))) + ℓ_G(D_A(G_BA(b)))
      + λ_cyc (‖G_BA(G_AB(a)) − a‖₁ + ‖G_AB(G_BA(b)) − b‖₁) + λ_id (‖G_AB(b) − b‖₁ + ‖G_BA(a) − a‖₁),
      through both D's, whose gradients stay zero;
    * D's update: dL_D/dθ for both discriminators on the pooled fakes of that G update (the pool full,
      so it swaps), G's gradients zero.
    """
    trainer = tiny_cyclegan(np.float64, pool_size=2, shape=shape)
    G, D = trainer.generator, trainer.discriminator
    trainer.g_optimizer = SGD(G.parameters(), lr=1.0)
    trainer.d_optimizer = SGD(D.parameters(), lr=1.0)
    rng = np.random.default_rng(7)
    _widen(G, rng)
    _widen(D, rng)
    l1, objective = MeanAbsoluteError(), trainer.objective
    lc, li = trainer.lambda_cycle, trainer.lambda_identity
    assert (lc, li) == (10.0, 5.0)

    pins, base = PassPins(), {}

    def l1_term(key, pred, target):
        """‖pred − target‖₁; once ``pins`` is frozen, relative to the checked point with its kinks (|u| at
        u = 0) pinned like the ReLUs': mean(s · (pred − pred₀)), s = sign(pred₀ − target)."""
        if not pins.frozen:
            base[key] = (pred.copy(), np.sign(pred - target))
            return l1(pred, target)[0]
        pred0, side = base[key]
        return float(np.mean(side * (pred - pred0)))

    def adversarial_term(key, out):
        """LSGAN's ℓ_G = mean (o − c)²; once frozen, relative to the checked point: mean (o − o₀)(o + o₀ − 2c)."""
        if not pins.frozen:
            base[key] = out.copy()
            return objective.generator(out)[0]
        return float(np.mean((out - base[key]) * (out + base[key] - 2 * objective.c)))

    def g_loss():
        """L_G, or (frozen) L_G − L_G(checked point) computed term by term, so that outputs a perturbation
        does not reach cancel exactly and round-off scales with the change (as in ``gradcheck``)."""
        fake_b, fake_a = pins("fake_b", G.g_ab, a), pins("fake_a", G.g_ba, b)
        rec_a, rec_b = pins("rec_a", G.g_ba, fake_b), pins("rec_b", G.g_ab, fake_a)
        return (adversarial_term("d_b", pins("d_b", D.d_b, fake_b)) + adversarial_term("d_a", pins("d_a", D.d_a, fake_a))
                + lc * (l1_term("rec_a", rec_a, a) + l1_term("rec_b", rec_b, b))
                + li * (l1_term("idt_b", pins("idt_b", G.g_ab, b), b) + l1_term("idt_a", pins("idt_a", G.g_ba, a), a)))

    def closest_to_a_kink(a, b):
        """How near a reconstruction or identity output comes to its target (|u| has a kink at u = 0)."""
        pairs = ((a, G.g_ba.forward(G.g_ab.forward(a))), (b, G.g_ab.forward(G.g_ba.forward(b))),
                 (b, G.g_ab.forward(b)), (a, G.g_ba.forward(a)))
        return min(np.abs(x - y).min() for x, y in pairs)

    for _ in range(100):   # a checked point off the L1 kinks, where |u| has a derivative
        a, b = rng.uniform(-1, 1, (2,) + shape), rng.uniform(-1, 1, (2,) + shape)
        if closest_to_a_kink(a, b) > 3e-3:
            break
    assert closest_to_a_kink(a, b) > 3e-3
    batch = {"x": a, "b": b}
    value, grads = _step_gradients(trainer, trainer.generator_step, batch)
    assert value == pytest.approx(g_loss(), rel=1e-12)
    assert not any(v.any() for k, v in grads.items() if k.startswith("D/"))
    g_loss()            # the unperturbed point: each pass's side of every kink (ReLU, LeakyReLU, L1), held from now on
    pins.frozen = True
    error, where = _worst_error(g_loss, G, "G", grads, (), per_tensor)
    _assert_error(assert_gradient_error, "CycleGAN step: G update (both generators, through both D's)", error, where)

    # -- D update; fill the pools first so that they swap
    trainer.pool_a.query(rng.uniform(-1, 1, (2,) + shape))   # pools of 2, full
    trainer.pool_b.query(rng.uniform(-1, 1, (2,) + shape))
    pools = copy.deepcopy((trainer.pool_a, trainer.pool_b))
    fake_a, fake_b = batch["fake_a"], batch["fake_b"]
    G.zero_grad()

    def d_loss():
        pool_a, pool_b = copy.deepcopy(pools)     # the same swaps in every evaluation
        out_a = D.d_a.forward(np.concatenate([a, pool_a.query(fake_a)]), training=True)
        out_b = D.d_b.forward(np.concatenate([b, pool_b.query(fake_b)]), training=True)
        return (objective.discriminator_real(out_a[:2])[0] + objective.discriminator_fake(out_a[2:])[0]
                + objective.discriminator_real(out_b[:2])[0] + objective.discriminator_fake(out_b[2:])[0])

    seen = copy.deepcopy(pools[0]).query(fake_a)
    assert not np.array_equal(seen, fake_a)            # the pool did hand D an older image
    (value, _, _), grads = _step_gradients(trainer, trainer.discriminator_step, batch)
    assert value == pytest.approx(d_loss(), rel=1e-12)
    assert not any(v.any() for k, v in grads.items() if k.startswith("G/"))
    error, where = _worst_error(d_loss, D, "D", grads, (G, D), per_tensor)
    _assert_error(assert_gradient_error, "CycleGAN step: D update (both discriminators, pooled fakes)", error, where)


# -- training and resuming ------------------------------------------------------------------------------------------
def test_cyclegan_trains_a_few_steps_on_tiny_data():
    trainer = tiny_cyclegan()
    a = np.random.default_rng(9).uniform(-1, 1, (12,) + SHAPE).astype(np.float32)
    before = {k: p.value.copy() for k, p in trainer.generator.parameters().items()}
    assert trainer.fit(a) == "epochs"
    assert trainer.step == 8 and all(len(trainer.parts[k]) == 8 for k in PART_KEYS)
    assert all(np.isfinite(trainer.history[k]).all() for k in trainer.history)
    assert len(trainer.pool_a) == len(trainer.pool_b) == 4
    changed = [k for k, p in trainer.generator.parameters().items() if not np.array_equal(p.value, before[k])]
    assert any(k.startswith("g_ab.") for k in changed) and any(k.startswith("g_ba.") for k in changed)
    rows = trainer.cycle_rows(a[:2], "b_to_a")
    assert rows.shape == (6,) + SHAPE and np.array_equal(rows[:2], a[:2])
    # the identity terms can be switched off
    off = tiny_cyclegan(lambda_identity=0.0)
    off.fit(a, max_steps=2)
    assert off.parts["identity"] == [0.0, 0.0]


def test_cyclegan_resumes_bit_for_bit(tmp_path):
    a = np.random.default_rng(9).uniform(-1, 1, (12,) + SHAPE).astype(np.float32)
    straight = tiny_cyclegan()
    straight.fit(a, epochs=2)
    first = tiny_cyclegan()
    first.fit(a, max_steps=5)              # stop in the middle of the second epoch
    path = save_checkpoint(tmp_path / "checkpoint.npz", first)
    resumed = restore_trainer(tiny_cyclegan(), load_checkpoint(path))
    assert resumed.step == 5 and len(resumed.pool_a) == 4
    resumed.fit(a, epochs=2)
    expected, got = straight.state_dict(), resumed.state_dict()
    assert set(expected) == set(got)
    for key in expected:
        if key != "train_seconds":
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_cyclegan_checkpoint_of_other_settings_is_refused(tmp_path):
    a = np.random.default_rng(9).uniform(-1, 1, (6,) + SHAPE).astype(np.float32)
    trainer = tiny_cyclegan(settings={"class_a": 7})
    trainer.fit(a, max_steps=1)
    path = save_checkpoint(tmp_path / "c.npz", trainer)
    with pytest.raises(ValueError, match="other settings: class_a: saved 7, this run 5; lambda_cycle: saved 10.0, "
                                         "this run 3.0"):
        restore_trainer(tiny_cyclegan(settings={"class_a": 5}, lambda_cycle=3.0), load_checkpoint(path))
    with pytest.raises(ValueError, match="pool"):
        restore_trainer(tiny_cyclegan(settings={"class_a": 7}, pool_size=6), load_checkpoint(path))


def test_cyclegan_refuses_bad_arguments():
    G = CycleGenerators(resnet_generator(SHAPE, 2, 0, seed=1), resnet_generator(SHAPE, 2, 0, seed=2))
    D = CycleDiscriminators(patchgan_discriminator(SHAPE, (2,), seed=3), patchgan_discriminator(SHAPE, (2,), seed=4))
    b = np.zeros((4,) + SHAPE, np.float32)
    config = TrainConfig(model="dcgan", dataset="arrays", loss="lsgan")
    with pytest.raises(ValueError, match="'lambda_cycle' expected a finite number >= 0, received -1"):
        CycleGANTrainer(G, D, b, config, lambda_cycle=-1)
    with pytest.raises(ValueError, match=r"'images_b' expected a float32 array \(N ≥ 1, 8, 8, 1\), "
                                         r"received \(4, 8, 8\) float32"):
        CycleGANTrainer(G, D, b[..., 0], config)
    with pytest.raises(ValueError, match="config.k expected 1"):
        CycleGANTrainer(G, D, b, config.replace(k=2))
    with pytest.raises(TypeError, match="'generators' must be a CycleGenerators, received Sequential"):
        CycleGANTrainer(G.g_ab, D, b, config)
    with pytest.raises(ValueError, match="'g_ba' expected a Model mapping images to images of the same shape"):
        CycleGenerators(G.g_ab, patchgan_discriminator(SHAPE, (2,)))
    with pytest.raises(ValueError, match="the generators make images of shape"):
        CycleGANTrainer(G, CycleDiscriminators(patchgan_discriminator((4, 4, 1), (2,)), D.d_b), b, config)
    with pytest.raises(ValueError, match="argument 'direction' expected one of"):
        CycleGANTrainer(G, D, b, config).translate(b, "a_to_c")
    with pytest.raises(ValueError, match="class_images: argument 'label' 3 names no image"):
        class_images(b, np.zeros(4), 3)


# -- metrics and the example ------------------------------------------------------------------------------------
def _domains(n=40):
    rng = np.random.default_rng(11)
    return {name: rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
            for name in ("train_a", "train_b", "test_a", "test_b")}


def test_translation_metrics_on_a_stand_in_classifier():
    domains = _domains(140)   # FID needs more images than the classifier has features (128)
    G = CycleGenerators(resnet_generator(filters=2, n_blocks=0, seed=1), resnet_generator(filters=2, n_blocks=0,
                                                                                          seed=2))
    D = CycleDiscriminators(patchgan_discriminator(filters=(2,), seed=3), patchgan_discriminator(filters=(2,), seed=4))
    trainer = CycleGANTrainer(G, D, domains["train_b"], TrainConfig(model="dcgan", dataset="arrays", loss="lsgan"))
    classifier = Classifier(build_classifier(seed=0), "fashion")
    metrics = translation_metrics(trainer, domains["test_a"], domains["test_b"], 7, 9, classifier)
    for direction, target_class in (("a_to_b", 9), ("b_to_a", 7)):
        m = metrics[direction]
        source = domains["test_a" if direction == "a_to_b" else "test_b"]
        translated = trainer.translate(source, direction)
        expected = np.mean(classifier.predict((translated.astype(np.float64) + 1) / 2) == target_class)
        assert m["target_share"] == pytest.approx(expected) and m["n"] == 140
        assert 0 <= m["cycle_l1"] <= 1 and m["fid"] > 0 and m["fid_untranslated"] >= 0


def _load_example():
    path = Path(__file__).resolve().parents[1] / "examples" / "cyclegan_fashion.py"
    spec = importlib.util.spec_from_file_location("example_cyclegan_fashion", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # trains for several seconds: keeps the fast suite under a minute (CI runs -m slow)
def test_cyclegan_example_trains_resumes_and_evaluates(tmp_path, capsys):
    example = _load_example()
    domains = _domains(140)
    classifier = Classifier(build_classifier(seed=0), "fashion")
    out = tmp_path / "run"
    lines = []
    common = ["--out", str(out), "--batch-size", "64", "--filters", "2", "--n-blocks", "1", "--no-progress"]
    assert example.main(common + ["--max-steps", "1"], domains=domains, classifier=classifier,
                        log=lines.append) == 0
    assert {"checkpoint.npz", "translations.png", "metrics.json"} <= {p.name for p in out.iterdir()}
    assert example.main(common + ["--max-steps", "1"], domains=domains, log=lines.append) == 1   # no --resume
    # resume for a full epoch (2 steps of 64); the architecture and the batch size come from the checkpoint
    assert example.main(["--out", str(out), "--epochs", "1", "--resume", "--no-progress"],
                        domains=domains, classifier=classifier, log=lines.append) == 0
    assert (out / "epoch_001.png").exists()
    # another batch size is another run: refused, with the difference named
    assert example.main(["--out", str(out), "--epochs", "2", "--resume", "--batch-size", "32", "--no-progress"],
                        domains=domains, log=lines.append) == 1
    assert "batch_size: checkpoint has 64, this run has 32" in capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["step"] == 2 and set(metrics) == {"a_to_b", "b_to_a", "step"}
    assert any("resuming at epoch 0 step 1" in line for line in lines)
