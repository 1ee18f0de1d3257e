"""A conditional GAN (Mirza & Osindero 2014): GANTrainer with its two steps overridden for labels.

G(z, y) draws an image of class y; D(x, y) judges whether x is a real image of
class y. Everything else — the loop, k, checkpoints and bit-for-bit resume,
the weight average, callbacks, Ctrl-C — is ``GANTrainer``'s. This module is
also the pattern for other GANs (pix2pix: a batch {"x": input, "y": target}).

    G = ConditionalGenerator(latent_dim=100, n_classes=10, seed=1)
    D = ConditionalDiscriminator(n_classes=10, seed=2)
    trainer = ConditionalGANTrainer(G, D, TrainConfig(dataset="mnist"), n_classes=10)
    trainer.fit(images, y=labels)
    trainer.generate(labels=np.arange(64) % 10)      # rows of 0–9
"""

import numpy as np

from .trainer import GANTrainer, _check_finite


class ConditionalGANTrainer(GANTrainer):
    """Trains G(z, y) and D(x, y) on images with labels: ``fit(x, y=labels)``.

    discriminator update, on ``batch = {"x": real, "y": labels}``:
        L_D = L_real(D(x, y)) + L_fake(D(G(z, y), y)), the fakes drawn for the real batch's labels;
        D runs once on [x; G(z, y)] with labels [y; y] (as GANTrainer), or, if it normalises with batch
        statistics, forward and backward on the real batch, then on the fake one.
    generator update, on config.batch_size fresh z with labels y drawn uniformly from the latent stream:
        L_G = L_gen(D(G(z, y), y)) through D frozen (``Model.frozen()``); D.backward returns
        [dL/dx, None] (labels have no gradient), and dL/dx goes into G.
    """

    def __init__(self, generator, discriminator, config=None, n_classes=None, **kwargs):
        if config is not None and n_classes is not None and getattr(config, "conditional", False) \
                and int(n_classes) != config.n_classes:
            raise ValueError(f"ConditionalGANTrainer: argument 'n_classes' ({n_classes}) contradicts the config's "
                             f"n_classes ({config.n_classes}); give one of them")
        self.n_classes = int(n_classes if n_classes is not None else getattr(config, "n_classes", 10))
        super().__init__(generator, discriminator, config, **kwargs)

    def check_models(self):
        G = self.generator
        self.check_model_shapes([(self.config.latent_dim,), ()], [G.output_shape, ()], "z and a label")

    def fit(self, x, *args, y=None, **kwargs):
        """``GANTrainer.fit`` with the labels ``y`` required: ints (N,) in [0, n_classes), checked first."""
        if y is None:
            raise TypeError("ConditionalGANTrainer.fit: argument 'y' (one class label per image) is required")
        check_labels(y, self.n_classes, "ConditionalGANTrainer.fit: argument 'y'")
        return super().fit(x, *args, y=y, **kwargs)

    def discriminator_step(self, batch):
        real, labels = batch["x"], batch["y"]
        fake = self.generator.forward(self.sample_latent(len(real)), labels, training=True)
        if self.discriminator.uses_batch_statistics:   # BatchNorm: real and fake batches normalised apart
            return self.update_discriminator((real, labels), (fake, labels))
        return self.update_discriminator_stacked((real, labels), (fake, labels))

    def generator_step(self, batch=None):
        G, D = self.generator, self.discriminator
        n = self.config.batch_size
        labels = self.latent_rng.integers(0, self.n_classes, n)
        self.g_optimizer.zero_grad()
        fake = G.forward(self.sample_latent(n), labels, training=True)
        with D.frozen():
            g_loss, grad = self.objective.generator(D.forward(fake, labels, training=True))
            grad_fake, _ = D.backward(grad)                 # [dL/dx, None]
            G.backward(grad_fake, need_input_grad=False)    # z is data, labels have no gradient
        _check_finite("generator", g_loss, self)
        self.g_optimizer.step()
        return g_loss

    def generate(self, z=None, labels=None):
        """G(z, labels) in inference mode; defaults: the fixed noise, and labels cycling through the classes
        (0, 1, ..., n_classes − 1, 0, 1, ...: as many of each, for any number of z)."""
        z = self.fixed_noise if z is None else z
        labels = np.arange(len(z)) % self.n_classes if labels is None else \
            check_labels(labels, self.n_classes, "ConditionalGANTrainer.generate: argument 'labels'")
        generator = self.inference_generator()
        return generator.forward(z.astype(generator.dtype, copy=False), labels, training=False)

    def ema_statistics_batches(self):
        """As ``GANTrainer.ema_statistics_batches``, with labels cycling through the classes."""
        labels = np.arange(self.config.batch_size) % self.n_classes
        for (z,) in super().ema_statistics_batches():
            yield z, labels


def check_labels(labels, n_classes, what="labels"):
    """``labels`` if it is an int array (N,) with values in [0, n_classes); else a one-line error naming ``what``."""
    if not isinstance(labels, np.ndarray) or labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        received = (f"{labels.dtype} shape {labels.shape}" if isinstance(labels, np.ndarray)
                    else type(labels).__name__)
        raise TypeError(f"{what}: expected an int array of shape (N,), class labels, received {received}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{what}: expected class labels in [0, {n_classes}), received values in "
                         f"[{labels.min()}, {labels.max()}]")
    return labels


def trainer_for(generator, discriminator, config, **kwargs):
    """The trainer ``config`` describes: ConditionalGANTrainer for the ``cgan-*`` models, else GANTrainer."""
    if config.conditional:
        return ConditionalGANTrainer(generator, discriminator, config, **kwargs)
    return GANTrainer(generator, discriminator, config, **kwargs)
