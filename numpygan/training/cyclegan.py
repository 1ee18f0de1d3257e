"""CycleGAN (Zhu et al. 2017): unpaired translation between two image domains A and B.

Two generators, G_AB: A → B and G_BA: B → A, and two discriminators, D_A (real A
images against G_BA's) and D_B (real B against G_AB's). Nothing pairs an image of
A with one of B; the cycle loss asks each translation to be undone by the other,
G_BA(G_AB(a)) ≈ a and G_AB(G_BA(b)) ≈ b, so a translation must keep what makes
its input that image and change only what makes it an A or a B.

The trainer is ``GANTrainer`` with its step written anew: both generators are one
Model (``CycleGenerators``) and both discriminators another (``CycleDiscriminators``),
so one Adam covers both G's (as the authors chain their parameters) and one both D's,
and the loop, checkpoints with bit-for-bit resume, callbacks and Ctrl-C are the
base class's. The image pools and the stream that draws B batches are saved too.

    G = CycleGenerators(resnet_generator(seed=1), resnet_generator(seed=2))
    D = CycleDiscriminators(patchgan_discriminator(seed=3), patchgan_discriminator(seed=4))
    trainer = CycleGANTrainer(G, D, images_b, TrainConfig(dataset="arrays", loss="lsgan", batch_size=16))
    trainer.fit(images_a)                         # an epoch is one pass over A; B batches drawn independently
    trainer.translate(test_a, "a_to_b")           # G_AB in inference mode
"""

import json

import numpy as np

from ..losses import MeanAbsoluteError
from ..model import Model
from ..translation.image_pool import ImagePool
from .builders import STREAMS
from .trainer import GANTrainer, _check_finite

DIRECTIONS = ("a_to_b", "b_to_a")
PART_KEYS = ("g_adversarial", "cycle", "identity")
"""Per step, besides ``HISTORY_KEYS``: G's three loss terms before weighting (saved as ``history/<key>``)."""
SETTINGS_KEY = "cyclegan/settings"


class CycleGenerators(Model):
    """G_AB and G_BA held as one Model: ``parameters()`` covers both, so one optimizer and one
    checkpoint section do. ``forward(x, direction)`` runs one of them; the trainer calls
    ``g_ab`` and ``g_ba`` directly. Both map images of one shape to images of the same shape."""

    def __init__(self, g_ab, g_ba, name="cycle_generators"):
        for arg, model in (("g_ab", g_ab), ("g_ba", g_ba)):
            if not isinstance(model, Model) or model.input_shape != model.output_shape:
                shapes = (f"{model.input_shape} → {model.output_shape}" if isinstance(model, Model)
                          else type(model).__name__)
                raise ValueError(f"CycleGenerators: argument {arg!r} expected a Model mapping images to images "
                                 f"of the same shape, received {shapes}")
        if g_ab.input_shape != g_ba.input_shape:
            raise ValueError(f"CycleGenerators: 'g_ab' and 'g_ba' expected the same image shape, received "
                             f"{g_ab.input_shape} and {g_ba.input_shape}")
        super().__init__(rng=g_ab.rng, dtype=g_ab.dtype, name=name)   # draws nothing of its own
        self.g_ab, self.g_ba = g_ab, g_ba
        self.input_shape = self.output_shape = g_ab.input_shape
        self._last = None

    def forward(self, x, direction="a_to_b", training=False):
        self._last = self.network(direction)
        return self._last.forward(x, training=training)

    def backward(self, grad_out, need_input_grad=True):
        return self._last.backward(grad_out, need_input_grad=need_input_grad)

    def network(self, direction):
        """G_AB for "a_to_b", G_BA for "b_to_a"."""
        if direction not in DIRECTIONS:
            raise ValueError(f"{self.name}: argument 'direction' expected one of {DIRECTIONS}, "
                             f"received {direction!r}")
        return self.g_ab if direction == "a_to_b" else self.g_ba


class CycleDiscriminators(Model):
    """D_A and D_B held as one Model (see ``CycleGenerators``). Each maps an image to a logit
    or a map of logits (PatchGAN); the trainer calls ``d_a`` and ``d_b`` directly."""

    def __init__(self, d_a, d_b, name="cycle_discriminators"):
        for arg, model in (("d_a", d_a), ("d_b", d_b)):
            if not isinstance(model, Model):
                raise TypeError(f"CycleDiscriminators: argument {arg!r} must be a Model, "
                                f"received {type(model).__name__}")
        super().__init__(rng=d_a.rng, dtype=d_a.dtype, name=name)   # draws nothing of its own
        self.d_a, self.d_b = d_a, d_b
        self.input_shape, self.output_shape = d_a.input_shape, d_a.output_shape

    def forward(self, x, training=False):
        raise NotImplementedError(f"{self.name}: call .d_a or .d_b")

    def backward(self, grad_out, need_input_grad=True):
        raise NotImplementedError(f"{self.name}: call .d_a or .d_b")


class CycleGANTrainer(GANTrainer):
    """Trains ``generators`` (G_AB, G_BA) and ``discriminators`` (D_A, D_B) on unpaired images:
    ``fit(images_a)``, with ``images_b`` given here. Objective: ``config.loss`` ("lsgan", the paper's).

    One step, on a batch a of A (the epoch's order) and a batch b of B drawn independently
    (uniformly, with replacement, from the trainer's own stream), in the authors' order:

    generator update (D_A, D_B frozen), with ℓ_G the objective's generator loss (LSGAN: mean (D(·) − 1)²):
        L_G = ℓ_G(D_B(G_AB(a))) + ℓ_G(D_A(G_BA(b)))                              adversarial
            + λ_cyc (‖G_BA(G_AB(a)) − a‖₁ + ‖G_AB(G_BA(b)) − b‖₁)                cycle
            + λ_id  (‖G_AB(b) − b‖₁ + ‖G_BA(a) − a‖₁)                            identity
        with ‖·‖₁ the mean absolute error; λ_cyc = 10 and λ_id = 0.5 · λ_cyc as in the paper.
    discriminator update, on the fakes of that generator update passed through the image pools:
        L_D = ℓ_real(D_A(a)) + ℓ_fake(D_A(pool_A(G_BA(b)))) + ℓ_real(D_B(b)) + ℓ_fake(D_B(pool_B(G_AB(a))))
        (LSGAN: mean (D(x) − 1)² + mean D(fake)²). The authors halve each D's loss to slow D
        down; a constant factor only rescales the gradient, which Adam undoes, so it is left out
        (as ``gan_losses`` leaves out LSGAN's ½).

    Backward: each generator runs three times per update (a translation, a cycle's second
    half, an identity), and a layer caches one forward, so each pass is followed by its own
    backward before the generator runs again. In the A → B → A cycle:
        fake_b = G_AB(a), rec_a = G_BA(fake_b);
        g = G_BA.backward(λ_cyc · ∂‖rec_a − a‖₁/∂rec_a)                 (adds into G_BA's gradients)
          + D_B.backward(∂ℓ_G/∂D_B(fake_b))                              (D_B frozen: only dL/dx)
        G_AB.backward(g)                                                  fake_b feeds both terms
    and likewise B → A → B; then each identity pass. The gradients add up in the Parameters
    and one optimizer step per network pair follows.

    ``lambda_cycle`` (λ_cyc), ``lambda_identity`` (λ_id, default 0.5 · λ_cyc; 0 drops the
    identity passes), ``pool_size`` (``ImagePool``; 0: D sees only the newest fakes).
    ``settings``: more JSON-able facts about the run (the domains, the architecture) that a
    checkpoint must match to be resumed by this trainer, saved beside λ_cyc, λ_id and the pool size.
    ``config.k`` must be 1. ``config`` (a TrainConfig) carries the training settings (loss,
    learning rates, batch size, epochs, seed); its ``model`` field does not describe these networks.
    """

    recomputes_ema_statistics = False   # G takes images, not z: θ̄ keeps G's copied BatchNorm statistics

    def __init__(self, generators, discriminators, images_b, config=None, lambda_cycle=10.0,
                 lambda_identity=None, pool_size=50, settings=None, **kwargs):
        if not isinstance(generators, CycleGenerators):
            raise TypeError(f"CycleGANTrainer: argument 'generators' must be a CycleGenerators, "
                            f"received {type(generators).__name__}")
        if not isinstance(discriminators, CycleDiscriminators):
            raise TypeError(f"CycleGANTrainer: argument 'discriminators' must be a CycleDiscriminators, "
                            f"received {type(discriminators).__name__}")
        lambda_identity = 0.5 * lambda_cycle if lambda_identity is None else lambda_identity
        for arg, value in (("lambda_cycle", lambda_cycle), ("lambda_identity", lambda_identity)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise ValueError(f"CycleGANTrainer: argument {arg!r} expected a finite number >= 0, "
                                 f"received {value!r}")
        self.lambda_cycle, self.lambda_identity = float(lambda_cycle), float(lambda_identity)
        super().__init__(generators, discriminators, config, **kwargs)
        shape = generators.output_shape
        if (not isinstance(images_b, np.ndarray) or images_b.shape[1:] != shape or len(images_b) == 0
                or images_b.dtype != discriminators.dtype):
            received = (f"{images_b.shape} {images_b.dtype}" if isinstance(images_b, np.ndarray)
                        else type(images_b).__name__)
            raise ValueError(f"CycleGANTrainer: argument 'images_b' expected a {discriminators.dtype} array "
                             f"(N ≥ 1, {', '.join(map(str, shape))}), received {received}")
        self.images_b = images_b
        # three streams of their own, spawned after the base trainer's from the same seed
        extra = np.random.SeedSequence(self.config.seed).spawn(len(STREAMS) + 3)[len(STREAMS):]
        self.b_rng = np.random.default_rng(extra[0])
        self.pool_a = ImagePool(pool_size, shape, rng=np.random.default_rng(extra[1]), dtype=discriminators.dtype)
        self.pool_b = ImagePool(pool_size, shape, rng=np.random.default_rng(extra[2]), dtype=discriminators.dtype)
        self.settings = {"lambda_cycle": self.lambda_cycle, "lambda_identity": self.lambda_identity,
                         "pool_size": int(pool_size), **(settings or {})}
        json.dumps(self.settings)  # refuse what a checkpoint could not hold, now rather than at the first save
        self.parts = {key: [] for key in PART_KEYS}
        self.l1 = MeanAbsoluteError(allow_nan=True)   # a NaN reaches the finite-loss check, which names the step

    def check_models(self):
        G, D = self.generator, self.discriminator
        if self.config.k != 1:
            raise ValueError(f"CycleGANTrainer: config.k expected 1 (one D update per G update), "
                             f"received {self.config.k}")
        for arg, model in (("d_a", D.d_a), ("d_b", D.d_b)):
            if model.input_shape != G.output_shape:
                raise ValueError(f"CycleGANTrainer: the generators make images of shape {G.output_shape} but "
                                 f"{arg} expects {model.input_shape}")

    # -- one step -----------------------------------------------------------------------
    def sample_b(self, n):
        """n images of B, drawn uniformly with replacement from the trainer's own stream."""
        return self.images_b[self.b_rng.integers(0, len(self.images_b), n)]

    def train_step(self, real_batches):
        """One generator update, then one discriminator update on its fakes (the authors' order).

        ``real_batches``: one batch dict ``{"x": images of A}`` (or the array); b is drawn here
        unless the dict has ``"b"``. Returns ``{"d_loss", "g_loss", "d_real", "d_fake"}``; D(x) and
        D(G(z)) are means over both discriminators.
        """
        (batch,) = real_batches
        batch = dict(batch) if isinstance(batch, dict) else {"x": batch}
        if "b" not in batch:
            batch["b"] = self.sample_b(len(batch["x"]))
        g_loss = self.generator_step(batch)
        d_loss, d_real, d_fake = self.discriminator_step(batch)
        for key in PART_KEYS:
            self.parts[key].append(batch["parts"][key])
        if self.generator_ema is not None:
            self.update_generator_ema(self.step + 1)
        return {"d_loss": float(d_loss), "g_loss": float(g_loss), "d_real": d_real, "d_fake": d_fake}

    def generator_step(self, batch):
        """One update of both generators on ``batch = {"x": a, "b": b}``; returns L_G.

        Leaves the fakes in ``batch["fake_a"]``, ``batch["fake_b"]`` (for the D update) and the
        unweighted terms in ``batch["parts"]``.
        """
        G, D = self.generator, self.discriminator
        a, b = batch["x"], batch["b"]
        self.g_optimizer.zero_grad()
        with D.frozen():
            fake_b, cycle_a, adversarial_ab = self._cycle(G.g_ab, G.g_ba, D.d_b, a)
            fake_a, cycle_b, adversarial_ba = self._cycle(G.g_ba, G.g_ab, D.d_a, b)
        identity = 0.0
        if self.lambda_identity:
            for g, x in ((G.g_ab, b), (G.g_ba, a)):     # each G should leave an image of its target domain alone
                value, grad = self.l1(g.forward(x, training=True), x)
                g.backward(self.lambda_identity * grad, need_input_grad=False)
                identity += value
        adversarial, cycle = adversarial_ab + adversarial_ba, cycle_a + cycle_b
        g_loss = adversarial + self.lambda_cycle * cycle + self.lambda_identity * identity
        _check_finite("generator", g_loss, self)
        self.g_optimizer.step()
        batch.update(fake_a=fake_a, fake_b=fake_b,
                     parts={"g_adversarial": adversarial, "cycle": cycle, "identity": identity})
        return g_loss

    def _cycle(self, g, f, d, x):
        """x → g(x) → f(g(x)): forward and backward of the adversarial and cycle terms of g(x).

        Returns (g(x) (a copy: g runs again before the D update), ‖f(g(x)) − x‖₁, ℓ_G(d(g(x))))."""
        fake = g.forward(x, training=True)
        cycle, grad_rec = self.l1(f.forward(fake, training=True), x)
        grad_fake = f.backward(self.lambda_cycle * grad_rec)
        adversarial, grad_out = self.objective.generator(d.forward(fake, training=True))
        g.backward(grad_fake + d.backward(grad_out), need_input_grad=False)   # fake feeds both terms
        return fake.copy(), cycle, adversarial

    def discriminator_step(self, batch):
        """One update of both discriminators: real a, b against the pooled fakes of ``batch``
        (translated now, in training mode, if the batch has none). Returns ``(L_D, D(x), D(G(z)))``."""
        G, D = self.generator, self.discriminator
        a, b = batch["x"], batch["b"]
        fake_a = batch["fake_a"] if "fake_a" in batch else G.g_ba.forward(b, training=True)
        fake_b = batch["fake_b"] if "fake_b" in batch else G.g_ab.forward(a, training=True)
        fake_a, fake_b = self.pool_a.query(fake_a), self.pool_b.query(fake_b)
        self.d_optimizer.zero_grad()
        loss_a, real_a, out_fake_a = self._discriminator_pass(D.d_a, a, fake_a)
        loss_b, real_b, out_fake_b = self._discriminator_pass(D.d_b, b, fake_b)
        return self._apply_discriminator_update(
            loss_a + loss_b, np.concatenate([real_a.ravel(), real_b.ravel()]),
            np.concatenate([out_fake_a.ravel(), out_fake_b.ravel()]))

    def _discriminator_pass(self, d, real, fake):
        """ℓ_real(d(real)) + ℓ_fake(d(fake)), its gradient added into d's parameters; returns (loss, outputs)."""
        objective = self.objective
        if d.uses_batch_statistics:   # BatchNorm: real and fake each normalised on their own
            out_real = d.forward(real, training=True)
            loss_real, grad = objective.discriminator_real(out_real)
            d.backward(grad, need_input_grad=False)
            out_fake = d.forward(fake, training=True)
            loss_fake, grad = objective.discriminator_fake(out_fake)
            d.backward(grad, need_input_grad=False)
            return loss_real + loss_fake, out_real, out_fake
        n = len(real)   # no layer mixes samples: one pass over [real; fake] gives the same gradients
        out = d.forward(np.concatenate([real, fake]), training=True)
        loss_real, grad_real = objective.discriminator_real(out[:n])
        loss_fake, grad_fake = objective.discriminator_fake(out[n:])
        d.backward(np.concatenate([grad_real, grad_fake]), need_input_grad=False)
        return loss_real + loss_fake, out[:n], out[n:]

    # -- inference ------------------------------------------------------------------------
    def translate(self, images, direction="a_to_b", batch_size=250):
        """G_AB(images) or G_BA(images) in inference mode, ``batch_size`` at a time (the EMA weights
        with ``config.ema_decay``)."""
        generators = self.generator if self.generator_ema is None else self.generator_ema
        g = generators.network(direction)
        images = images.astype(g.dtype, copy=False)
        return np.concatenate([g.forward(images[i:i + batch_size], training=False)
                               for i in range(0, len(images), batch_size)])

    def generate(self, z=None):
        raise NotImplementedError("CycleGANTrainer: use translate(images, direction) or cycle_rows(images)")

    def cycle_rows(self, images, direction="a_to_b"):
        """[x; G(x); F(G(x))] for a grid of three rows: inputs, translations, reconstructions."""
        forward, back = DIRECTIONS if direction == "a_to_b" else DIRECTIONS[::-1]
        translated = self.translate(images, forward)
        return np.concatenate([images, translated, self.translate(translated, back)])

    # -- state ------------------------------------------------------------------------------
    def state_dict(self):
        """The base trainer's state plus the pools (``pool_a/…``, ``pool_b/…``), G's loss terms
        (``history/<PART_KEYS>``) and the settings (``cyclegan/settings``, JSON)."""
        state = super().state_dict()
        for prefix, pool in (("pool_a", self.pool_a), ("pool_b", self.pool_b)):
            state.update({f"{prefix}/{key}": value for key, value in pool.state_dict().items()})
        for key in PART_KEYS:
            state[f"history/{key}"] = np.asarray(self.parts[key], dtype=np.float64)
        state[SETTINGS_KEY] = np.array(json.dumps(self.settings, sort_keys=True))
        return state

    def load_state_dict(self, state, source="state"):
        """Restore from ``state_dict()`` output, refusing (with nothing changed) other settings, pools
        of another size, or loss terms whose count is not the step count."""
        try:
            saved = json.loads(str(state[SETTINGS_KEY]))
        except (KeyError, json.JSONDecodeError) as err:
            raise ValueError(f"{source} is not a CycleGAN checkpoint (no valid {SETTINGS_KEY!r}: {err})") from None
        own = json.loads(json.dumps(self.settings))
        if saved != own:
            differences = [f"{key}: saved {saved.get(key)!r}, this run {own.get(key)!r}"
                           for key in sorted(set(saved) | set(own)) if saved.get(key) != own.get(key)]
            raise ValueError(f"{source} was written by a CycleGAN with other settings: " + "; ".join(differences))
        step = int(state["step"])
        for key in PART_KEYS:
            values = state.get(f"history/{key}")
            if values is None or values.shape != (step,):
                raise ValueError(f"{source}: 'history/{key}' expected shape ({step},), one value per step, "
                                 f"received {None if values is None else values.shape}")
        for prefix, pool in (("pool_a", self.pool_a), ("pool_b", self.pool_b)):
            count = state.get(f"{prefix}/count")
            if count is None or not 0 <= int(count) <= pool.size:
                raise ValueError(f"{source}: '{prefix}/count' expected 0 .. {pool.size}, received {count}")
        super().load_state_dict(state, source)   # checks every array's layout first, then loads
        for prefix, pool in (("pool_a", self.pool_a), ("pool_b", self.pool_b)):
            pool.load_state_dict({key: state[f"{prefix}/{key}"] for key in ("images", "count", "rng")}, source)
        self.parts = {key: [float(v) for v in state[f"history/{key}"]] for key in PART_KEYS}

    def _generators(self):
        named = super()._generators()
        named["domain_b"] = self.b_rng
        return named


def class_images(images, labels, label):
    """The images of one class, ``images[labels == label]``: a domain of CycleGAN made from a labelled set."""
    if len(images) != len(labels):
        raise ValueError(f"class_images: arguments 'images' and 'labels' expected the same length, received "
                         f"{len(images)} and {len(labels)}")
    chosen = images[np.asarray(labels) == label]
    if len(chosen) == 0:
        raise ValueError(f"class_images: argument 'label' {label!r} names no image")
    return chosen


def translation_metrics(trainer, test_a, test_b, class_a, class_b, classifier):
    """The CycleGAN's measurements on held-out images of A (class ``class_a``) and B (``class_b``), in [−1, 1].

    For each direction (x of the source domain, the target class and the target domain's images):

    ``target_share``     share of G(x) that ``classifier`` (a ``numpygan.metrics.Classifier``) assigns to the
                         target class; ``source_share_as_target``: the same share for x itself, untranslated
    ``cycle_l1``         mean |F(G(x)) − x| on the [0, 1] pixel scale
    ``fid``              FID between the classifier features of G(x) and of the target domain's images;
                         ``fid_untranslated``: of x itself (what translating has to beat)

    Returns ``{"a_to_b": {...}, "b_to_a": {...}}`` of floats.
    """
    from ..metrics import fid_from_features

    def unit(images):   # the classifier reads pixels in [0, 1]
        return np.clip((images.astype(np.float64) + 1.0) / 2.0, 0.0, 1.0)

    results = {}
    for direction, x, target, target_class in (("a_to_b", test_a, test_b, class_b),
                                               ("b_to_a", test_b, test_a, class_a)):
        back = "b_to_a" if direction == "a_to_b" else "a_to_b"
        translated = trainer.translate(x, direction)
        reconstructed = trainer.translate(translated, back)
        logits_t, features_t = classifier.logits_and_features(unit(translated))
        logits_x, features_x = classifier.logits_and_features(unit(x))
        features_target = classifier.features(unit(target))
        results[direction] = {
            "target_share": float(np.mean(logits_t.argmax(axis=1) == target_class)),
            "source_share_as_target": float(np.mean(logits_x.argmax(axis=1) == target_class)),
            "cycle_l1": float(np.mean(np.abs(unit(reconstructed) - unit(x)))),
            "fid": float(fid_from_features(features_t, features_target)),
            "fid_untranslated": float(fid_from_features(features_x, features_target)),
            "n": int(len(x)),
        }
    return results
