"""StarGAN (Choi et al. 2018): GANTrainer with its two steps overridden for many-domain translation.

One generator G(x, c) translates an image x into any target domain c; the
discriminator D(x) = (D_src, D_cls) judges real/fake patch by patch and also
classifies the domain. A batch is ``{"x": images, "y": their domains}``
(``fit(x, y=domains)``); each step draws target domains by shuffling the
batch's own labels (as the authors' code does). Everything else — the loop,
checkpoints and bit-for-bit resume, callbacks, Ctrl-C — is ``GANTrainer``'s.

    G = StarGANGenerator(n_domains=3, seed=1)
    D = StarGANDiscriminator(n_domains=3, seed=2)
    trainer = StarGANTrainer(G, D, TrainConfig(dataset="fashion", loss="lsgan", ...), fixed_images=x[:4])
    trainer.fit(x, y=domains)
    trainer.translate(x, np.full(len(x), 2))           # every image into domain 2

The adversarial loss. The paper trains with WGAN-GP; its gradient penalty is a
norm of dD/dx, whose parameter gradient needs the derivative of a backward pass
(double backprop), which this library does not have. The objective is therefore
a plain one from ``gan_losses`` (``config.loss``; the example uses LSGAN, as
CycleGAN does), averaged over D_src's map of patch logits.

Checkpoints are ``GANTrainer``'s (``save_checkpoint`` / ``restore_trainer``) plus
``stargan/settings`` (n_domains, λ_cls, λ_rec, refused on resume if they differ)
and the loss parts ``history/d_cls|g_adv|g_cls|g_rec``. The TrainConfig saved with
them holds the optimisation and run settings; its ``model`` field knows no StarGAN
(the example writes 'dcgan'), so ``numpygan sample`` / ``evaluate`` cannot rebuild
one from such a checkpoint: the example (``--resume``) and this trainer do.
"""

import json

import numpy as np

from ..losses import MeanAbsoluteError, SparseCategoricalCrossentropy
from ..model import Model
from .trainer import GANTrainer, _check_finite

PART_KEYS = ("d_cls", "g_adv", "g_cls", "g_rec")
"""Per generator step, the parts of the losses (saved as ``history/<key>``): D's domain loss on real
images L_cls^r, and G's adversarial, domain (L_cls^f) and reconstruction (L_rec) terms, unweighted."""
SETTINGS_KEY = "stargan/settings"
"""State-dict key of the trainer's own settings (JSON): n_domains, lambda_cls, lambda_rec."""


class StarGANTrainer(GANTrainer):
    """Trains StarGAN's G(x, c) and D(x) → (D_src, D_cls) on images with domain labels: ``fit(x, y=domains)``.

    discriminator update, on ``batch = {"x": x, "y": c_org}`` with targets c_trg (the labels shuffled):
        L_D = L_real(D_src(x)) + L_fake(D_src(G(x, c_trg))) + λ_cls · CE(D_cls(x), c_org)
        one pass of D over [x; G(x, c_trg)] (D has no batch statistics); the domain loss is on real
        images only, so D learns the domains from the data, never from G.
    generator update, on the same real batch with fresh targets c_trg:
        L_G = L_gen(D_src(G(x, c_trg))) + λ_cls · CE(D_cls(G(x, c_trg)), c_trg)
              + λ_rec · mean |x − G(G(x, c_trg), c_org)|
        through D frozen. G runs twice on the way (translation, then back to c_org for the
        reconstruction), and a layer caches only its latest forward, so the backward goes:
        (1) D's gradient at the translation y = G(x, c_trg); (2) backward through the second
        pass, G(y, c_org), giving G's parameter gradients of that pass and dL_rec/dy;
        (3) the first pass again (G is deterministic: no Dropout, InstanceNorm uses each
        image's own statistics) and backward with the sum of (1) and (2).
        Three forward passes of G and two backward, instead of two and two.

    CE is softmax cross-entropy (one domain per image, as the paper's RaFD experiments);
    λ_cls = 1 and λ_rec = 10 as in the paper. ``fixed_images`` are the inputs of the per-epoch
    grid (``generate``); they are data, not state, and are not saved in checkpoints.
    """

    recomputes_ema_statistics = False   # G takes images, not z: θ̄ keeps G's copied BatchNorm statistics

    def __init__(self, generator, discriminator, config=None, lambda_cls=1.0, lambda_rec=10.0, fixed_images=None,
                 **kwargs):
        for arg, value in (("lambda_cls", lambda_cls), ("lambda_rec", lambda_rec)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise ValueError(f"StarGANTrainer: argument {arg!r} expected a finite number >= 0, "
                                 f"received {value!r}")
        self.lambda_cls, self.lambda_rec = float(lambda_cls), float(lambda_rec)
        super().__init__(generator, discriminator, config, **kwargs)
        self.n_domains = generator.n_domains
        self.classification = SparseCategoricalCrossentropy()
        self.l1 = MeanAbsoluteError(allow_nan=True)  # a NaN reaches the loss check, which names the step
        self.parts = {key: [] for key in PART_KEYS}
        self._step_parts = {}   # this step's loss parts, filled by the two updates
        self.fixed_images = None
        if fixed_images is not None:
            self.set_fixed_images(fixed_images)

    @property
    def settings(self):
        return {"n_domains": self.generator.n_domains, "lambda_cls": self.lambda_cls, "lambda_rec": self.lambda_rec}

    def check_models(self):
        """G takes (x, c) and returns an image like x; D takes that image and returns (a map, n_domains logits)."""
        G, D = self.generator, self.discriminator
        for role, model in (("generator", G), ("discriminator", D)):
            if not isinstance(model, Model):
                raise TypeError(f"StarGANTrainer: the {role} must be a Model, received {type(model).__name__}")
        n = getattr(G, "n_domains", None)
        if not isinstance(G.input_shape, list) or len(G.input_shape) != 2 or tuple(G.input_shape[1]) != () \
                or n is None or G.output_shape != tuple(G.input_shape[0]):
            raise ValueError(f"StarGANTrainer: the generator must take (images, domain labels) and return images "
                             f"of the input's shape, with an n_domains attribute; received input shape "
                             f"{G.input_shape}, output shape {G.output_shape}")
        shapes = D.output_shape
        if D.input_shape != G.output_shape or not isinstance(shapes, list) or len(shapes) != 2 \
                or tuple(shapes[1]) != (n,) or shapes[0][-1:] != (1,):
            raise ValueError(f"StarGANTrainer: the discriminator must take the generator's images "
                             f"{G.output_shape} and return (a map (H', W', 1), {n} domain logits); received input "
                             f"shape {D.input_shape}, output shapes {shapes}")
        if D.uses_batch_statistics:
            raise ValueError("StarGANTrainer: the discriminator normalises with batch statistics (BatchNorm); "
                             "expected one without (real and fake images share one pass)")

    def set_fixed_images(self, images):
        """The inputs of the per-epoch translation grid: (n, *image_shape), in the models' dtype."""
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[1:] != self.generator.output_shape:
            raise ValueError(f"StarGANTrainer: argument 'fixed_images' expected shape (n, "
                             f"{', '.join(map(str, self.generator.output_shape))}), received {images.shape}")
        self.fixed_images = images.astype(self.generator.dtype)

    def fit(self, x, epochs=None, max_steps=None, callbacks=(), progress=None, flush_denormal=True, y=None):
        """``GANTrainer.fit`` with ``y`` required: the domain of each image, ints (N,) in [0, n_domains)."""
        if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer) or y.shape != (len(x),) \
                or (y.size and (y.min() < 0 or y.max() >= self.n_domains)):
            raise ValueError(f"StarGANTrainer.fit: argument 'y' expected the domain of each image, ints "
                             f"({len(x)},) in [0, {self.n_domains}), received "
                             f"{getattr(y, 'dtype', type(y).__name__)} {getattr(y, 'shape', '')}")
        return super().fit(x, epochs, max_steps, callbacks, progress, flush_denormal, y=y)

    # -- the two updates ----------------------------------------------------------------------------------------
    def sample_targets(self, domains):
        """Target domains for a batch: its own labels in a random order (the authors' code), from the latent stream."""
        return domains[self.latent_rng.permutation(len(domains))]

    def discriminator_step(self, batch):
        G, D, objective = self.generator, self.discriminator, self.objective
        real, domains = batch["x"], batch["y"]
        n = len(real)
        fake = G.forward(real, self.sample_targets(domains), training=True)
        self.d_optimizer.zero_grad()
        out_src, out_cls = D.forward(np.concatenate([real, fake]), training=True)
        loss_real, grad_real = objective.discriminator_real(out_src[:n])
        loss_fake, grad_fake = objective.discriminator_fake(out_src[n:])
        loss_cls, grad_cls = self.classification(out_cls[:n], domains)
        grad_cls = np.concatenate([self.lambda_cls * grad_cls, np.zeros_like(grad_cls)])   # fakes: no domain loss
        D.backward((np.concatenate([grad_real, grad_fake]), grad_cls), need_input_grad=False)
        self._step_parts.setdefault("d_cls", []).append(loss_cls)
        d_loss = loss_real + loss_fake + self.lambda_cls * loss_cls
        return self._apply_discriminator_update(d_loss, out_src[:n], out_src[n:])

    def generator_step(self, batch=None):
        if not isinstance(batch, dict) or "y" not in batch:
            raise ValueError("StarGANTrainer.generator_step: argument 'batch' expected {'x': images, 'y': domains}, "
                             f"received {type(batch).__name__}")
        G, D = self.generator, self.discriminator
        real, domains = batch["x"], batch["y"]
        targets = self.sample_targets(domains)
        self.g_optimizer.zero_grad()
        fake = G.forward(real, targets, training=True)
        with D.frozen():
            out_src, out_cls = D.forward(fake, training=True)
            loss_adv, grad_src = self.objective.generator(out_src)
            loss_cls, grad_cls = self.classification(out_cls, targets)
            grad_fake = D.backward((grad_src, self.lambda_cls * grad_cls))             # (1) dL/dy from D
        reconstruction = G.forward(fake, domains, training=True)
        loss_rec, grad_rec = self.l1(reconstruction, real)
        grad_fake = grad_fake + G.backward(self.lambda_rec * grad_rec)[0]              # (2) the second pass
        G.forward(real, targets, training=True)                                        # (3) the first, again
        G.backward(grad_fake, need_input_grad=False)
        g_loss = loss_adv + self.lambda_cls * loss_cls + self.lambda_rec * loss_rec
        _check_finite("generator", g_loss, self)
        self.g_optimizer.step()
        self._step_parts.update(g_adv=loss_adv, g_cls=loss_cls, g_rec=loss_rec)
        return g_loss

    def train_step(self, real_batches):
        """GANTrainer's step; also keeps this step's loss parts (``PART_KEYS``; d_cls: the mean over the k updates)."""
        self._step_parts = {"d_cls": []}
        metrics = super().train_step(real_batches)
        self._step_parts["d_cls"] = float(np.mean(self._step_parts["d_cls"]))
        for key in PART_KEYS:
            self.parts[key].append(float(self._step_parts[key]))
        return metrics

    # -- inference ----------------------------------------------------------------------------------------------
    def translate(self, images, domains, batch_size=500):
        """G(images, domains) in inference mode (the moving average of G with ``config.ema_decay``), in batches."""
        generator = self.generator if self.generator_ema is None else self.generator_ema
        domains = np.broadcast_to(np.asarray(domains), (len(images),))
        return np.concatenate([generator.forward(images[i:i + batch_size].astype(generator.dtype, copy=False),
                                                 domains[i:i + batch_size], training=False)
                               for i in range(0, len(images), batch_size)])

    def translation_table(self, images):
        """Each image followed by its translation into every domain: (n · (1 + n_domains), *image_shape),
        row by row (save with ``nrow = 1 + n_domains``)."""
        n, d = len(images), self.n_domains
        outputs = [images.astype(self.generator.dtype, copy=False)]
        outputs += [self.translate(images, np.full(n, c)) for c in range(d)]
        return np.stack(outputs, axis=1).reshape((n * (1 + d),) + images.shape[1:])

    def generate(self, z=None):
        """The per-epoch grid: ``translation_table(fixed_images)``. With 1 + n_domains fixed images the
        square grid that ``save_image_grid`` draws has one input and its translations per row."""
        if self.fixed_images is None:
            raise ValueError("StarGANTrainer.generate: no fixed images to translate; pass 'fixed_images'")
        return self.translation_table(self.fixed_images)

    # -- state ---------------------------------------------------------------------------------------------------
    def state_dict(self):
        state = super().state_dict()
        state[SETTINGS_KEY] = np.array(json.dumps(self.settings, sort_keys=True))
        for key in PART_KEYS:
            state[f"history/{key}"] = np.asarray(self.parts[key], dtype=np.float64)
        return state

    def load_state_dict(self, state, source="state"):
        """GANTrainer's, after checking that ``state`` was saved with the same n_domains, λ_cls and λ_rec."""
        if SETTINGS_KEY not in state:
            raise ValueError(f"{source} is not a StarGAN run (no {SETTINGS_KEY!r})")
        saved = json.loads(str(state[SETTINGS_KEY]))
        if saved != self.settings:
            raise ValueError(f"{source} was saved with StarGAN settings {saved}; this trainer has {self.settings}")
        for key in PART_KEYS:
            values = state.get(f"history/{key}")
            if values is None or values.shape != (int(state["step"]),):
                raise ValueError(f"{source}: 'history/{key}' expected one value per step ({int(state['step'])}), "
                                 f"received {None if values is None else values.shape}")
        super().load_state_dict(state, source)
        self.parts = {key: [float(v) for v in state[f"history/{key}"]] for key in PART_KEYS}


def translation_metrics(trainer, images, domains, predict, classes, batch_size=500):
    """How well G translates held-out images: each image into every *other* domain, then back.

    ``images`` (N, *image_shape) with their ``domains`` (N,) in [0, n_domains); ``predict``: images →
    predicted class (a classifier that was not trained on generated images, e.g. the evaluation
    classifier's ``predict``); ``classes[d]``: the class label of domain d in that classifier.

    Returns a dict of plain floats and ints:
        ``accuracy``            share of translations x → d classified as ``classes[d]``, over all (x, d ≠ domain(x))
        ``accuracy_to/<d>``     the same for the translations into domain d (from the other domains)
        ``kept_source``         share of translations still classified as the source domain's class
        ``reconstruction_l1``   mean |x − G(G(x, d), domain(x))| over the same pairs (pixels in [-1, 1])
        ``real_accuracy``       the classifier on the real images themselves, for scale
        ``pairs``               the number of (x, d) pairs
        ``identity_l1``         mean |G(x, domain(x)) − x|: x translated into its own domain, against itself
        ``identity_l1_other``   mean |G(x, domain(x)) − x′|, x′ the next image of the same domain: how far
                                the same translation is from another image; much larger than identity_l1
                                when the translation follows its input rather than drawing a generic item
    """
    domains = np.asarray(domains)
    classes = np.asarray(classes)
    n_domains = trainer.n_domains
    if classes.shape != (n_domains,):
        raise ValueError(f"translation_metrics: argument 'classes' expected one class per domain ({n_domains},), "
                         f"received {classes.shape}")
    correct, kept, l1_sum, pairs = np.zeros(n_domains), 0, 0.0, 0
    totals = np.zeros(n_domains)
    for shift in range(1, n_domains):               # every other domain: (c + shift) mod n
        targets = (domains + shift) % n_domains
        translated = trainer.translate(images, targets, batch_size)
        back = trainer.translate(translated, domains, batch_size)
        predicted = np.asarray(predict(translated))
        hit = predicted == classes[targets]
        np.add.at(correct, targets, hit)
        np.add.at(totals, targets, 1)
        kept += int(np.sum(predicted == classes[domains]))
        l1_sum += float(np.abs(back.astype(np.float64) - images).mean(axis=tuple(range(1, images.ndim))).sum())
        pairs += len(images)
    metrics = {"accuracy": float(correct.sum() / pairs), "kept_source": kept / pairs,
               "reconstruction_l1": l1_sum / pairs, "pairs": pairs,
               "real_accuracy": float(np.mean(np.asarray(predict(images)) == classes[domains]))}
    metrics.update({f"accuracy_to/{d}": float(correct[d] / totals[d]) for d in range(n_domains) if totals[d]})
    same = trainer.translate(images, domains, batch_size).astype(np.float64)
    other = np.arange(len(images))
    for d in range(n_domains):                      # each image's partner: the next image of its domain
        rows = np.flatnonzero(domains == d)
        other[rows] = np.roll(rows, -1)
    metrics["identity_l1"] = float(np.abs(same - images).mean())
    metrics["identity_l1_other"] = float(np.abs(same - images[other]).mean())
    return metrics
