"""pix2pix (Isola et al. 2017): a conditional GAN for paired image-to-image translation.

G maps an input image x (an edge map) to an output image; D judges (input, image) pairs,
the two concatenated on the channels, patch by patch (a PatchGAN: a map of logits). G
minimises the adversarial loss plus λ times the L1 distance to the paired target, λ = 100
as in the paper; without the adversarial term (``adversarial=False``) it is the L1-only
baseline of the paper's Table 1, the same G trained on λ·L1 alone.

    from numpygan.data.edges import load_fashion_edges
    from numpygan.translation import patchgan_discriminator, unet_generator
    edges, images, _ = load_fashion_edges("train")
    G = unet_generator((28, 28, 1), seed=1)
    D = patchgan_discriminator((28, 28, 2), seed=2)
    trainer = Pix2PixTrainer(G, D, TrainConfig(dataset="fashion", batch_size=32, quick_fid=0))
    trainer.fit(edges, y=images)                 # batches {"x": edges, "y": images}
    outputs = trainer.translate(test_edges)      # in [-1, 1]

Everything but the two updates is ``GANTrainer``'s: the loop, checkpoints with bit-for-bit
resume, the weight average, callbacks, Ctrl-C. The pix2pix settings (λ, adversarial or not,
and the caller's description of the architecture) are saved in the state as
``pix2pix/settings`` and must match on resume.
"""

import json

import numpy as np

from ..losses import MeanAbsoluteError
from ..model import Model
from .plots import save_image_grid
from .trainer import GANTrainer, _check_finite

SETTINGS = "pix2pix/settings"
"""State-dict key of the run's pix2pix settings, a 0-d JSON string."""
L1_WEIGHT = 100.0
"""λ, the weight of the L1 term in G's loss (Isola et al. 2017)."""


class Pix2PixTrainer(GANTrainer):
    """Trains G(x) and D(x, y) on pairs: ``fit(inputs, y=targets)``, images (N, H, W, C) each.

    discriminator update, on ``batch = {"x": inputs x, "y": targets y}``:
        L_D = L_real(D([x | y])) + L_fake(D([x | G(x)]))
        [a | b] is the concatenation on the channels; D's output is a map of logits (N, h, w, 1)
        and the losses are means over all its elements. D runs forward and backward on the real
        pairs, then on the fake ones (``update_discriminator``).
    generator update, on the same batch:
        L_G = L_gen(D([x | G(x)])) + λ · mean |G(x) − y|
        through D frozen; of D's input gradient dL/d[x | G(x)] the last C_out channels are
        dL/dG(x). With ``adversarial=False`` L_G = λ · mean |G(x) − y| and D is neither run nor
        trained (its history entries are 0).

    ``config``: a TrainConfig for the run (batch_size, lr_g / lr_d, beta_1, epochs, seed, loss, ...);
    its model fields (``model``, ``g_filters``, ...) are not read: G and D come built, and
    ``numpygan sample`` / ``evaluate``, which rebuild the unconditional GANs, do not read these
    checkpoints. ``l1_weight``: λ (100). ``architecture``: a JSON-able description of how G and D were built
    (e.g. the builders' arguments), saved with the settings so that a resumed run can rebuild them.
    """

    recomputes_ema_statistics = False   # G takes images, not z: θ̄ keeps G's copied BatchNorm statistics

    def __init__(self, generator, discriminator, config=None, l1_weight=L1_WEIGHT, adversarial=True,
                 architecture=None, **kwargs):
        if isinstance(l1_weight, bool) or not isinstance(l1_weight, (int, float)) or not l1_weight >= 0:
            raise ValueError(f"Pix2PixTrainer: argument 'l1_weight' expected a number >= 0, received {l1_weight!r}")
        if not isinstance(adversarial, bool):
            raise TypeError(f"Pix2PixTrainer: argument 'adversarial' expected a bool, received {adversarial!r}")
        if not adversarial and not l1_weight > 0:
            raise ValueError("Pix2PixTrainer: with adversarial=False argument 'l1_weight' must be > 0 "
                             "(G would have no loss), received 0")
        self.l1_weight, self.adversarial = float(l1_weight), adversarial
        self.architecture = {} if architecture is None else dict(architecture)
        json.dumps(self.architecture)  # refuse what cannot be saved, now rather than at the first checkpoint
        self.l1 = MeanAbsoluteError()
        self.fixed_inputs = None    # the inputs ``generate()`` translates (the example's preview grid)
        super().__init__(generator, discriminator, config, **kwargs)

    def check_models(self):
        """G: (H, W, C_in) → (H, W, C_out); D: (H, W, C_in + C_out) → a map (h, w, 1)."""
        G, D = self.generator, self.discriminator
        for role, model in (("generator", G), ("discriminator", D)):
            if not isinstance(model, Model):
                raise TypeError(f"Pix2PixTrainer: the {role} must be a Model, received {type(model).__name__}")
        g_in, g_out = tuple(G.input_shape), tuple(G.output_shape)
        if len(g_in) != 3 or len(g_out) != 3 or g_in[:2] != g_out[:2]:
            raise ValueError(f"Pix2PixTrainer: the generator must map (H, W, C_in) images to (H, W, C_out) images, "
                             f"received {g_in} → {g_out}")
        expected = g_in[:2] + (g_in[2] + g_out[2],)
        if tuple(D.input_shape) != expected:
            raise ValueError(f"Pix2PixTrainer: the discriminator must take the input and the image concatenated, "
                             f"expected input shape {expected}, received {D.input_shape}")
        if len(D.output_shape) != 3 or D.output_shape[-1] != 1:
            raise ValueError(f"Pix2PixTrainer: the discriminator must output a map of logits (h, w, 1), "
                             f"received {D.output_shape}")

    def _check_images(self, x):
        """``fit``'s inputs: float (N, *G.input_shape) in the models' dtype (GANTrainer checks G's output shape)."""
        shape, dtype = tuple(self.generator.input_shape), self.generator.dtype
        if not isinstance(x, np.ndarray) or x.ndim != 1 + len(shape) or x.shape[1:] != shape or x.dtype != dtype:
            raise ValueError(f"Pix2PixTrainer.fit: argument 'x' expected {dtype} inputs (N, "
                             f"{', '.join(map(str, shape))}), received {getattr(x, 'dtype', type(x).__name__)} "
                             f"{getattr(x, 'shape', '')}")

    # -- the two updates ----------------------------------------------------------------
    def discriminator_step(self, batch):
        """One update of D on ``batch`` {"x": inputs, "y": targets}; returns ``(L_D, D(real), D(fake))``."""
        if not self.adversarial:
            return 0.0, 0.0, 0.0
        x, y = _pair(batch)
        fake = self.generator.forward(x, training=True)
        return self.update_discriminator((np.concatenate([x, y], axis=-1),),
                                         (np.concatenate([x, fake], axis=-1),))

    def generator_step(self, batch=None):
        """One update of G on ``batch`` (the step's last real batch); returns L_G."""
        G, D = self.generator, self.discriminator
        x, y = _pair(batch)
        self.g_optimizer.zero_grad()
        fake = G.forward(x, training=True)
        l1, grad_l1 = self.l1(fake, y)
        g_loss, grad = self.l1_weight * l1, grad_l1 * fake.dtype.type(self.l1_weight)
        if self.adversarial:
            with D.frozen():
                adversarial, grad_out = self.objective.generator(D.forward(np.concatenate([x, fake], axis=-1),
                                                                           training=True))
                grad = grad + D.backward(grad_out)[..., x.shape[-1]:]   # dL/dG(x): the image's channels
            g_loss += adversarial
        G.backward(grad, need_input_grad=False)   # x is data
        _check_finite("generator", g_loss, self)
        self.g_optimizer.step()
        return g_loss

    # -- inference --------------------------------------------------------------------------
    def translate(self, x, batch_size=500):
        """G(x) in inference mode, in batches; the weight average with ``config.ema_decay``."""
        generator = self.generator if self.generator_ema is None else self.generator_ema
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1:] != tuple(generator.input_shape):
            raise ValueError(f"Pix2PixTrainer.translate: argument 'x' expected shape (N, "
                             f"{', '.join(map(str, generator.input_shape))}), received {x.shape}")
        x = x.astype(generator.dtype, copy=False)
        return np.concatenate([generator.forward(x[i:i + batch_size], training=False)
                               for i in range(0, len(x), batch_size)])

    def generate(self, x=None):
        """G(x) in inference mode; default x: ``fixed_inputs`` (set by the caller, e.g. test inputs)."""
        if x is None:
            if self.fixed_inputs is None:
                raise ValueError("Pix2PixTrainer.generate: argument 'x' expected input images; no fixed_inputs set")
            x = self.fixed_inputs
        return self.translate(x)

    # -- state --------------------------------------------------------------------------------
    def settings(self):
        """``{"l1_weight", "adversarial", "architecture"}``: what this run trains, beyond the config."""
        return {"l1_weight": self.l1_weight, "adversarial": self.adversarial, "architecture": self.architecture}

    def state_dict(self):
        state = super().state_dict()
        state[SETTINGS] = np.array(json.dumps(self.settings(), sort_keys=True))
        return state

    def load_state_dict(self, state, source="state"):
        """``GANTrainer.load_state_dict``, after checking that ``state`` has this trainer's pix2pix settings."""
        saved = saved_settings(state, source)
        own = json.loads(json.dumps(self.settings()))   # as it would read back
        if saved != own:
            different = sorted(key for key in set(saved) | set(own) if saved.get(key) != own.get(key))
            raise ValueError(f"{source} was written by a pix2pix run with other settings: "
                             + "; ".join(f"{key}: saved {saved.get(key)!r}, this run {own.get(key)!r}"
                                         for key in different))
        super().load_state_dict(state, source)


def saved_settings(state, source="state"):
    """The pix2pix settings in a state dict or a checkpoint's arrays (``Checkpoint.state``)."""
    if SETTINGS not in state:
        raise ValueError(f"{source} is not a pix2pix run: it has no {SETTINGS!r}")
    try:
        settings = json.loads(str(state[SETTINGS]))
    except json.JSONDecodeError as err:
        raise ValueError(f"{source}: {SETTINGS} is not valid JSON: {err}") from None
    if not isinstance(settings, dict):
        raise ValueError(f"{source}: {SETTINGS} expected a JSON object, received {settings!r}")
    return settings


def _pair(batch):
    if not isinstance(batch, dict) or "x" not in batch or "y" not in batch:
        raise ValueError("Pix2PixTrainer: a batch must be a dict {'x': inputs, 'y': targets} "
                         "(train with fit(inputs, y=targets))")
    x, y = batch["x"], batch["y"]
    if not isinstance(y, np.ndarray) or y.ndim != 4 or y.shape[:3] != x.shape[:3]:
        raise ValueError(f"Pix2PixTrainer: batch['y'] expected target images (N, H, W, C) paired with the inputs "
                         f"{x.shape}, received {getattr(y, 'shape', type(y).__name__)}")
    return x, y.astype(x.dtype, copy=False)


def save_translation_grid(path, columns, value_range=(-1.0, 1.0), per_row=1, scale=2):
    """A picture whose lines are examples: column i of line j is ``columns[i][j]`` (e.g. input | output |
    truth), ``per_row`` examples side by side per line. Every column (N, H, W, C) has the same N."""
    columns = [np.asarray(c) for c in columns]
    n = len(columns[0])
    if any(len(c) != n for c in columns):
        raise ValueError(f"save_translation_grid: argument 'columns' expected equally long columns, received "
                         f"lengths {[len(c) for c in columns]}")
    tiles = np.stack(columns, axis=1).reshape((n * len(columns),) + columns[0].shape[1:])
    return save_image_grid(tiles, path, value_range=value_range, nrow=len(columns) * per_row, scale=scale)
