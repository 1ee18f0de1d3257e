"""The GAN training loop: alternate k discriminator steps with one generator step."""

import copy
import json
import signal
import threading
import time

import numpy as np

from ..runtime import flush_denormals
from ..io import check_state_matches
from ..model import Model
from ..models import adam as Adam  # the fast twin unless numpygan.use_reference_layers()
from .batchnorm_statistics import has_random_layers, recompute_batchnorm_statistics
from .builders import spawn_generators
from .config import TrainConfig
from .gan_losses import get_objective
from .latent import sample_latent

HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
"""Per generator step: D's loss (real + fake part), G's loss, D(x) and D(G(z)) (batch means)."""
EVALUATIONS = "evaluations"
"""State-dict prefix of ``GANTrainer.evaluations``: ``evaluations/<name>/step`` and ``.../value``."""


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or ±inf. Raised before the offending update is applied."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived; the trainer stopped after the step in progress, so its state is consistent.

    ``reason``: which of the two ("Ctrl-C" or "SIGTERM").
    """

    def __init__(self, message="training interrupted", reason="Ctrl-C"):
        super().__init__(message)
        self.reason = reason


class GANTrainer:
    """Trains ``generator`` G and ``discriminator`` D against each other (Goodfellow et al. 2014, Alg. 1).

    One *step* is k discriminator updates followed by one generator update:

    discriminator update, on a real batch x (b images) and a fake batch G(z) (b images):
        L_D = L_real(D(x)) + L_fake(D(G(z)))
        D runs forward and backward once on the stacked batch [x; G(z)], the two
        halves' loss gradients stacked likewise (as the Keras DCGAN feeds D half
        real, half fake). If D normalises with batch statistics (BatchNorm), x and
        G(z) must not share them: D then runs forward and backward on x, then
        forward and backward on G(z), each backward right after its own forward
        (the layer caches hold one forward), and the gradients accumulate. D's
        Adam takes one step; G is not touched.
    generator update, on a fresh z (``batch_size`` vectors):
        L_G = L_gen(D(G(z)))
        the gradient flows back through D into G; D is frozen for this pass
        (``trainable = False``: no gradient accumulates in D, its Adam is untouched)
        and its buffers (BatchNorm statistics) are restored afterwards, so the
        generator update changes G alone.

    The objectives (``config.loss``) are in ``gan_losses``. D's output is a logit
    unless the model says it is a probability (``output_is_probability``: a
    Sequential ending in Sigmoid). Both networks run in training mode
    (Dropout, BatchNorm batch statistics) during both updates.

    Subclassing: the two updates are ``discriminator_step(batch)`` and
    ``generator_step(batch)``, on a batch dict ``{"x": real images, ...}``
    (``fit(x, y)`` adds ``"y": labels``). A conditional GAN or pix2pix
    overrides these two methods (and ``check_models`` for other input shapes);
    the loop, checkpoints, EMA and callbacks stay as they are
    (``numpygan.training.conditional`` is such a subclass). D is frozen through
    its model interface (``Model.frozen()``), and the state saved is the
    models' ``state_dict()`` and ``random_generators()``.

    Randomness: G's and D's own generators (Dropout masks, drawn at construction
    from ``config.seed`` by ``build_gan``), the ``data_rng`` that shuffles the
    training images each epoch, and the ``latent_rng`` that draws z. All four are
    saved in checkpoints, so a resumed run continues bit for bit.
    """

    def __init__(self, generator, discriminator, config=None, g_optimizer=None, d_optimizer=None,
                 objective=None):
        config = TrainConfig() if config is None else config
        if not isinstance(config, TrainConfig):
            raise TypeError(f"GANTrainer: argument 'config' must be a TrainConfig, received {type(config).__name__}")
        self.generator, self.discriminator, self.config = generator, discriminator, config
        self.check_models()
        self.g_optimizer = g_optimizer or Adam(generator.parameters(), lr=config.lr_g,
                                               beta_1=config.beta_1, beta_2=config.beta_2)
        self.d_optimizer = d_optimizer or Adam(discriminator.parameters(), lr=config.lr_d,
                                               beta_1=config.beta_1, beta_2=config.beta_2)
        from_logits = not discriminator.output_is_probability
        self.objective = objective or get_objective(config.loss, config.real_label, from_logits=from_logits)
        streams = spawn_generators(config.seed)
        self.data_rng, self.latent_rng = streams["data"], streams["latent"]
        # The grid shown after every epoch uses the same z throughout training; it is
        # drawn from its own stream so that it does not shift the training draws.
        self.fixed_noise = sample_latent(config, config.n_samples,
                                         np.random.default_rng([config.seed, len(streams)]))
        self.epoch = 0          # completed epochs
        self.step = 0           # completed generator steps, over the whole run
        self.position = 0       # completed steps in the current epoch
        self.permutation = None  # this epoch's order of the training images
        self.history = {key: [] for key in HISTORY_KEYS}
        self.epoch_end_steps = []   # history index where each epoch ended
        # measurements taken now and then (e.g. the quick FID after each epoch): name -> [(step, value), ...]
        self.evaluations = {}
        self.train_seconds = 0.0
        # θ̄, G's weights averaged over training (config.ema_decay): a copy of G, used for inference only
        self.generator_ema = copy.deepcopy(generator) if config.ema_decay else None
        self._ema_statistics_step = None   # the step θ̄'s BatchNorm statistics were recomputed at

    def check_models(self):
        """Refuse a G and D that do not fit together: G(z) with z (N, latent_dim), D(G(z)) (N, 1).

        A subclass whose models take other inputs (labels, images) overrides this,
        usually by calling ``check_model_shapes`` with its own input shapes.
        """
        self.check_model_shapes((self.config.latent_dim,), self.generator.output_shape, "z")

    def check_model_shapes(self, generator_input, discriminator_input, described):
        """Refuse models whose per-sample ``input_shape`` differs from the one given (``described``
        says what the generator's inputs are), or a D without one output value per image."""
        generator, discriminator = self.generator, self.discriminator
        for role, model in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(model, Model):
                raise TypeError(f"{type(self).__name__}: the {role} must be a Model (e.g. a Sequential), "
                                f"received {type(model).__name__}")
        if generator.input_shape != generator_input:
            raise ValueError(f"{type(self).__name__}: the generator takes input shape {generator.input_shape} but "
                             f"config.latent_dim is {self.config.latent_dim}: expected {generator_input} "
                             f"({described})")
        if discriminator.input_shape != discriminator_input:
            raise ValueError(f"{type(self).__name__}: the generator outputs per-sample shape "
                             f"{generator.output_shape} but the discriminator expects {discriminator.input_shape}; "
                             f"expected {discriminator_input}")
        if discriminator.output_shape != (1,):
            raise ValueError(f"{type(self).__name__}: the discriminator must output one value per image, "
                             f"shape (1,), received {discriminator.output_shape}")

    # -- one update each ----------------------------------------------------------
    def sample_latent(self, n):
        """z for training, float32 (n, latent_dim), from the trainer's latent stream."""
        return sample_latent(self.config, n, self.latent_rng).astype(self.generator.dtype, copy=False)

    def discriminator_step(self, batch):
        """One update of D on the real images ``batch["x"]`` (b, *image_shape) and b fresh fakes.

        ``batch`` may also be the array of real images itself.
        Returns ``(L_D, D(x), D(G(z)))`` with D(·) the batch mean of D's output as a probability.
        """
        G, D = self.generator, self.discriminator
        real = batch["x"] if isinstance(batch, dict) else batch
        fake = G.forward(self.sample_latent(real.shape[0]), training=True)
        if D.uses_batch_statistics:
            # BatchNorm normalises each batch with its own statistics (as in the DCGAN paper)
            return self.update_discriminator((real,), (fake,))
        return self.update_discriminator_stacked((real,), (fake,))

    def update_discriminator_stacked(self, real_inputs, fake_inputs):
        """One update of D in one pass over the stacked inputs ``[real; fake]`` (each input of D
        concatenated along the batch: images, and labels for a conditional D). For a D in which no layer
        mixes samples (no BatchNorm) it gives the gradients of ``update_discriminator`` with matrix
        products twice as tall (faster per sample).

        Returns ``(L_D, D(x), D(G(z)))`` as ``discriminator_step``.
        """
        D, objective = self.discriminator, self.objective
        self.d_optimizer.zero_grad()
        n = real_inputs[0].shape[0]
        out = D.forward(*(np.concatenate([r, f]) for r, f in zip(real_inputs, fake_inputs)), training=True)
        out_real, out_fake = out[:n], out[n:]
        loss_real, grad_real = objective.discriminator_real(out_real)
        loss_fake, grad_fake = objective.discriminator_fake(out_fake)
        D.backward(np.concatenate([grad_real, grad_fake]), need_input_grad=False)  # G is not trained here
        return self._apply_discriminator_update(loss_real + loss_fake, out_real, out_fake)

    def update_discriminator(self, real_inputs, fake_inputs):
        """One update of D in two passes: ``D.forward(*real_inputs)`` then ``D.forward(*fake_inputs)``,
        each backward right after its own forward (the layer caches hold one forward), the gradients
        adding up before one optimizer step. For subclasses: a conditional D takes (images, labels).

        Returns ``(L_D, D(x), D(G(z)))`` as ``discriminator_step``.
        """
        D, objective = self.discriminator, self.objective
        self.d_optimizer.zero_grad()
        out_real = D.forward(*real_inputs, training=True)
        loss_real, grad = objective.discriminator_real(out_real)
        D.backward(grad, need_input_grad=False)  # the inputs are data (or G's output, not trained here)
        out_fake = D.forward(*fake_inputs, training=True)
        loss_fake, grad = objective.discriminator_fake(out_fake)
        D.backward(grad, need_input_grad=False)
        return self._apply_discriminator_update(loss_real + loss_fake, out_real, out_fake)

    def _apply_discriminator_update(self, d_loss, out_real, out_fake):
        """Refuse a non-finite L_D, else take D's optimizer step; return ``(L_D, D(x), D(G(z)))``."""
        _check_finite("discriminator", d_loss, self)
        self.d_optimizer.step()
        probability = self.objective.probability
        return d_loss, float(np.mean(probability(out_real))), float(np.mean(probability(out_fake)))

    def generator_step(self, batch=None):
        """One update of G on ``config.batch_size`` fresh z, through a frozen D. Returns L_G.

        ``batch`` is the real batch of the step's last discriminator update, for
        subclasses whose G reads data (labels, paired images); this one reads
        nothing from it. An int gives the number of z instead.
        """
        G, D = self.generator, self.discriminator
        n = batch if isinstance(batch, (int, np.integer)) else self.config.batch_size
        self.g_optimizer.zero_grad()
        fake = G.forward(self.sample_latent(n), training=True)
        # frozen: no gradient accumulates in D; its layers' trainable flags and buffers come back after
        with D.frozen():
            g_loss, grad = self.objective.generator(D.forward(fake, training=True))
            G.backward(D.backward(grad), need_input_grad=False)  # z is data: no dL/dz
        _check_finite("generator", g_loss, self)
        self.g_optimizer.step()
        return g_loss

    def train_step(self, real_batches):
        """k discriminator updates (one per batch dict in ``real_batches``), then one generator update.

        Returns ``{"d_loss", "g_loss", "d_real", "d_fake"}``; the D numbers are means over the k updates.
        """
        real_batches = [b if isinstance(b, dict) else {"x": b} for b in real_batches]
        d_stats = np.array([self.discriminator_step(batch) for batch in real_batches])
        g_loss = self.generator_step(real_batches[-1])
        if self.generator_ema is not None:
            self.update_generator_ema(self.step + 1)
        d_loss, d_real, d_fake = d_stats.mean(axis=0)
        return {"d_loss": float(d_loss), "g_loss": float(g_loss), "d_real": float(d_real), "d_fake": float(d_fake)}

    def update_generator_ema(self, t):
        """θ̄ ← d·θ̄ + (1 − d)·θ with d = min(ema_decay, (1 + t)/(10 + t)), after generator step t (1, 2, ...).

        BatchNorm running statistics (buffers) are copied, not averaged: they belong to the current weights.
        Where the trainer can (``recomputes_ema_statistics``), inference replaces them with statistics of θ̄'s
        own (``inference_generator``).
        """
        d = min(self.config.ema_decay, (1 + t) / (10 + t))
        current = self.generator.parameters()
        for name, average in self.generator_ema.parameters().items():
            average.value += (1 - d) * (current[name].value - average.value)
        current = self.generator.buffers()
        for name, buffer in self.generator_ema.buffers().items():
            buffer[...] = current[name]

    # -- the loop -------------------------------------------------------------------
    def steps_per_epoch(self, n_images):
        """Generator steps in one pass over ``n_images`` (each step consumes k·b real images)."""
        return n_images // (self.config.k * self.config.d_batch_size)

    def fit(self, x, epochs=None, max_steps=None, callbacks=(), progress=None, flush_denormal=True, y=None):
        """Train on images ``x`` (N, *image_shape) until ``epochs`` epochs are complete.

        ``y`` (N,), optional: labels, handed to the steps as ``batch["y"]`` (a conditional GAN).

        Continues from the trainer's state (epoch, position in the epoch), so a
        restored trainer picks up exactly where its checkpoint left off.
        ``max_steps`` stops early once ``self.step`` reaches it (counted over the
        whole run). Each callback may define ``on_step_end(trainer, metrics)`` and
        ``on_epoch_end(trainer)``. Returns ``"epochs"`` or ``"max_steps"``: why it stopped.

        Ctrl-C, or SIGTERM (``timeout``, ``kill``, a batch scheduler's stop), lets the step
        in progress finish, then raises ``TrainingInterrupted`` (a second one aborts at
        once with a plain KeyboardInterrupt). A NaN/inf
        loss raises ``NonFiniteLossError`` before that update is applied.

        ``flush_denormal``: compute with subnormal floats as 0 while training
        (``numpygan.runtime.denormals``; the mode before is restored on return). A trained
        generator's saturated outputs otherwise fill its gradients with subnormals,
        and every product that reads them slows down (figures: benchmarks/README.md).
        """
        from tqdm.auto import tqdm

        epochs = self.config.epochs if epochs is None else int(epochs)
        max_steps = self.config.max_steps if max_steps is None else int(max_steps)
        progress = self.config.progress if progress is None else bool(progress)
        self._check_images(x)
        if y is not None and (not isinstance(y, np.ndarray) or len(y) != len(x)):
            raise ValueError(f"GANTrainer.fit: argument 'y' must be an array with one label per image "
                             f"({len(x)}), received {getattr(y, 'shape', type(y).__name__)}")
        k, b = self.config.k, self.config.d_batch_size
        per_epoch = self.steps_per_epoch(len(x))
        if per_epoch == 0:
            raise ValueError(f"GANTrainer.fit: argument 'x' has {len(x)} images, fewer than one step needs "
                             f"(k · batch = {k} · {b} = {k * b})")
        if self.permutation is not None and len(self.permutation) != len(x):
            raise ValueError(f"GANTrainer.fit: the saved epoch order covers {len(self.permutation)} images but "
                             f"argument 'x' has {len(x)}; resume with the same training data")
        with flush_denormals(flush_denormal), _DeferredInterrupt() as interrupt:
            while self.epoch < epochs:
                if max_steps is not None and self.step >= max_steps:
                    return "max_steps"
                if self.permutation is None:
                    self.permutation = self.data_rng.permutation(len(x))
                bar = tqdm(total=per_epoch, initial=self.position, desc=f"epoch {self.epoch + 1}/{epochs}",
                           disable=not progress, unit="step", dynamic_ncols=True, leave=True)
                try:
                    while self.position < per_epoch:
                        if max_steps is not None and self.step >= max_steps:
                            return "max_steps"
                        start = time.perf_counter()
                        rows = self.permutation[self.position * k * b:(self.position + 1) * k * b]
                        batches = [{"x": x[rows[i * b:(i + 1) * b]]} for i in range(k)]
                        if y is not None:
                            for i, batch in enumerate(batches):
                                batch["y"] = y[rows[i * b:(i + 1) * b]]
                        metrics = self.train_step(batches)
                        self.train_seconds += time.perf_counter() - start
                        self.position += 1
                        self.step += 1
                        for key in HISTORY_KEYS:
                            self.history[key].append(metrics[key])
                        if progress and (self.position % 10 == 0 or self.position == per_epoch):
                            bar.set_postfix(self._running_means(), refresh=False)
                        bar.update(1)
                        for callback in callbacks:
                            if hasattr(callback, "on_step_end"):
                                callback.on_step_end(self, metrics)
                        interrupt.check()
                finally:
                    bar.close()
                self.epoch += 1
                self.position = 0
                self.permutation = None
                self.epoch_end_steps.append(self.step)
                for callback in callbacks:
                    if hasattr(callback, "on_epoch_end"):
                        callback.on_epoch_end(self)
                interrupt.check()
        return "epochs"

    def _running_means(self, window=50):
        names = {"d_loss": "d_loss", "g_loss": "g_loss", "d_real": "D(x)", "d_fake": "D(G(z))"}
        means = {label: f"{np.mean(self.history[key][-window:]):.3f}" for key, label in names.items()}
        means.update({name: f"{points[-1][1]:.2f}" for name, points in self.evaluations.items() if points})
        return means

    def record_evaluation(self, name, value):
        """Keep ``value`` (a float, e.g. a quick FID) under ``name`` at the current step; saved in checkpoints."""
        if not name or "/" in name:
            raise ValueError(f"GANTrainer.record_evaluation: argument 'name' expected a non-empty name without "
                             f"'/', received {name!r}")
        self.evaluations.setdefault(name, []).append((self.step, float(value)))

    def _check_images(self, x):
        shape, dtype = self.generator.output_shape, self.discriminator.dtype  # real images look like G's
        if not isinstance(x, np.ndarray):
            raise TypeError(f"GANTrainer.fit: argument 'x' must be a numpy.ndarray, received {type(x).__name__}")
        if x.ndim != 1 + len(shape) or x.shape[1:] != shape:
            raise ValueError(f"GANTrainer.fit: argument 'x' expected shape (N, {', '.join(map(str, shape))}), "
                             f"received {x.shape}")
        if x.dtype != dtype:
            raise TypeError(f"GANTrainer.fit: argument 'x' expected dtype {dtype} (the models' dtype), "
                            f"received {x.dtype}")

    # -- inference --------------------------------------------------------------------
    # Samples drawn to recompute θ̄'s BatchNorm statistics: batches of the training size from a fixed stream,
    # so that they are a function of θ̄ alone and leave the training draws untouched.
    EMA_STATISTICS_BATCHES = 16
    EMA_STATISTICS_STREAM = 1_000_003
    # False in trainers whose generators take images (the translation chapters): they keep the copied statistics.
    recomputes_ema_statistics = True

    def inference_generator(self):
        """The generator samples come from: θ̄ with ``config.ema_decay``, else G.

        θ̄'s BatchNorm layers get statistics of their own, recomputed once per step when asked for
        (``batchnorm_statistics.py``: the average batch statistics over ``EMA_STATISTICS_BATCHES`` batches
        of z), instead of the running statistics copied from G.
        """
        ema = self.generator_ema
        if ema is None:
            return self.generator
        if (self.recomputes_ema_statistics and ema.uses_batch_statistics and not has_random_layers(ema)
                and self._ema_statistics_step != self.step):
            recompute_batchnorm_statistics(ema, self.ema_statistics_batches())
            self._ema_statistics_step = self.step
        return ema

    def ema_statistics_batches(self):
        """The generator inputs (tuples) that θ̄'s BatchNorm statistics are recomputed on."""
        rng = np.random.default_rng([self.config.seed, self.EMA_STATISTICS_STREAM])
        dtype = self.generator_ema.dtype
        for _ in range(self.EMA_STATISTICS_BATCHES):
            yield (sample_latent(self.config, self.config.batch_size, rng).astype(dtype, copy=False),)

    def generate(self, z=None):
        """G(z) in inference mode (no Dropout, BatchNorm running statistics); default z: the fixed noise.

        With ``config.ema_decay``, G is the moving average of the generator's weights (``inference_generator``).
        """
        z = self.fixed_noise if z is None else z
        generator = self.inference_generator()
        return generator.forward(z.astype(generator.dtype, copy=False), training=False)

    # -- state --------------------------------------------------------------------------
    def state_dict(self):
        """Every array needed to continue the run exactly: weights, optimizer moments,
        random-generator states, position in the epoch, history. Flat ``{key: ndarray}``."""
        state = {}
        sections = [("generator", self.generator.state_dict()),
                    ("discriminator", self.discriminator.state_dict()),
                    ("g_optimizer", self.g_optimizer.state_dict()),
                    ("d_optimizer", self.d_optimizer.state_dict())]
        if self.generator_ema is not None:   # with the statistics that samples from it use
            sections.append(("generator_ema", self.inference_generator().state_dict()))
        for prefix, source in sections:
            state.update({f"{prefix}/{key}": np.asarray(value) for key, value in source.items()})
        for name, rng in self._generators().items():
            state[f"rng/{name}"] = np.array(json.dumps(rng.bit_generator.state))
        state["fixed_noise"] = self.fixed_noise
        state["epoch"] = np.array(self.epoch, dtype=np.int64)
        state["step"] = np.array(self.step, dtype=np.int64)
        state["position"] = np.array(self.position, dtype=np.int64)
        permutation = np.zeros(0, dtype=np.int64) if self.permutation is None else self.permutation
        state["permutation"] = permutation.astype(np.int64)
        for key in HISTORY_KEYS:
            state[f"history/{key}"] = np.asarray(self.history[key], dtype=np.float64)
        state["history/epoch_end_steps"] = np.asarray(self.epoch_end_steps, dtype=np.int64)
        for name, points in self.evaluations.items():
            state[f"{EVALUATIONS}/{name}/step"] = np.array([p[0] for p in points], dtype=np.int64)
            state[f"{EVALUATIONS}/{name}/value"] = np.array([p[1] for p in points], dtype=np.float64)
        state["train_seconds"] = np.array(self.train_seconds, dtype=np.float64)
        return state

    def load_state_dict(self, state, source="state"):
        """Restore from ``state_dict()`` output. Everything is checked first, and a
        mismatch (other architecture, other optimizer, missing arrays) raises
        ValueError listing every difference, with nothing changed. The evaluations
        (``evaluations/<name>/step|value``) are optional: older checkpoints have none."""
        evaluations = _evaluations_from_state(state, source)
        state = {key: value for key, value in state.items() if not key.startswith(EVALUATIONS + "/")}
        own = {key: value for key, value in self.state_dict().items() if not key.startswith(EVALUATIONS + "/")}
        check_state_matches(own, state,
                            f"{source} does not match this trainer (different model, optimizer or format):",
                            same_layout=_same_layout, describe=lambda a: f"{a.shape} {a.dtype.kind}",
                            mismatch_label="shape or type mismatch", limit=8)
        generators = self._generators()
        rng_states = {name: _rng_state(state[f"rng/{name}"], rng, f"{source}: rng/{name}")
                      for name, rng in generators.items()}

        def section(prefix):
            return {key[len(prefix) + 1:]: value for key, value in state.items() if key.startswith(prefix + "/")}

        self.generator.load_state_dict(section("generator"), source=source)
        self.discriminator.load_state_dict(section("discriminator"), source=source)
        if self.generator_ema is not None:
            self.generator_ema.load_state_dict(section("generator_ema"), source=source)
            self._ema_statistics_step = None
        self.g_optimizer.load_state_dict(section("g_optimizer"))
        self.d_optimizer.load_state_dict(section("d_optimizer"))
        for name, rng in generators.items():
            rng.bit_generator.state = rng_states[name]
        self.fixed_noise = np.array(state["fixed_noise"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.position = int(state["position"])
        self.permutation = np.array(state["permutation"]) if self.position else None
        self.history = {key: [float(v) for v in state[f"history/{key}"]] for key in HISTORY_KEYS}
        self.epoch_end_steps = [int(v) for v in state["history/epoch_end_steps"]]
        self.evaluations = evaluations
        self.train_seconds = float(state["train_seconds"])

    def _generators(self):
        """Every random generator the run draws from, by name; a generator shared by several holders counts once."""
        named = {"data": self.data_rng, "latent": self.latent_rng}
        seen = {id(self.data_rng), id(self.latent_rng)}
        for prefix, model in (("generator", self.generator), ("discriminator", self.discriminator)):
            for suffix, rng in model.random_generators().items():
                if id(rng) not in seen:
                    seen.add(id(rng))
                    named[f"{prefix}/{suffix}"] = rng
        return named


def _rng_state(text, rng, where):
    """The generator state stored as JSON in ``text``, checked to be for ``rng``'s kind of bit generator."""
    expected = rng.bit_generator.state["bit_generator"]
    try:
        rng_state = json.loads(str(text))
    except json.JSONDecodeError as err:
        raise ValueError(f"{where} is not a JSON generator state: {err}") from err
    found = rng_state.get("bit_generator") if isinstance(rng_state, dict) else None
    if found != expected:
        raise ValueError(f"{where} holds a {found} state, expected {expected}")
    return rng_state


def _evaluations_from_state(state, source):
    """``{name: [(step, value), ...]}`` from the ``evaluations/<name>/step|value`` arrays of a state dict."""
    names = sorted({key.split("/")[1] for key in state if key.startswith(EVALUATIONS + "/")})
    evaluations = {}
    for name in names:
        steps, values = (state.get(f"{EVALUATIONS}/{name}/{part}") for part in ("step", "value"))
        if (steps is None or values is None or steps.ndim != 1 or steps.shape != values.shape
                or steps.dtype.kind not in "iu" or values.dtype.kind != "f"):
            raise ValueError(f"{source}: {EVALUATIONS}/{name} needs equally long 1-d int 'step' and float "
                             f"'value' arrays")
        evaluations[name] = [(int(s), float(v)) for s, v in zip(steps, values)]
    return evaluations


def _same_layout(key, own, received):
    if key.startswith("rng/") or key in ("permutation", "train_seconds") or key.startswith("history/"):
        return own.dtype.kind == received.dtype.kind and own.ndim == received.ndim
    return own.shape == received.shape and own.dtype.kind == received.dtype.kind


def _check_finite(which, loss, trainer):
    if not np.isfinite(loss):
        raise NonFiniteLossError(
            f"the {which} loss became {loss} at step {trainer.step + 1} (epoch {trainer.epoch + 1}); "
            f"the update was not applied. Training diverged: try a lower learning rate "
            f"(lr_g={trainer.config.lr_g}, lr_d={trainer.config.lr_d}) or label smoothing."
        )


class _DeferredInterrupt:
    """Turn the first Ctrl-C (SIGINT) or SIGTERM into a flag checked between steps, so a step is
    never cut in half and the run can save before it stops.

    A second one raises KeyboardInterrupt at once. Outside the main thread (where signal
    handlers cannot be installed) both behave as usual.
    """

    SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}

    def __init__(self):
        self.requested = None   # the name of the signal that asked to stop
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = self.SIGNALS.get(signum, f"signal {signum}")
        print(f"\n{self.requested}: stopping after the current step (press Ctrl-C again to abort without saving)",
              flush=True)

    def check(self):
        if self.requested:
            raise TrainingInterrupted(f"training interrupted by {self.requested} after a completed step",
                                      reason=self.requested)

    def __exit__(self, *exc):
        for signum, previous in self._previous.items():
            if previous is not None:  # None: a handler installed from C, which cannot be restored
                signal.signal(signum, previous)
        self._previous = {}
        return False
