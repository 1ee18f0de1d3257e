"""GAN objectives: what D and G minimise, one batch at a time.

The discriminator's loss is split into a real part and a fake part because the
layers cache only their most recent forward pass: D runs forward and backward
on the real batch, then forward and backward on the fake batch, and the
gradients add up before one optimizer step. Each method returns
``(value, dL/dD_output)``, the gradient with respect to D's raw output.

With D's output a logit l and D(x) = σ(l):

``bce`` (non-saturating, Goodfellow et al. 2014 §3, the default)
    L_D = BCE(D(x), y_real) + BCE(D(G(z)), 0)
    L_G = BCE(D(G(z)), 1) = −mean log D(G(z))
``minimax`` (the paper's value function)
    L_D as above;  L_G = mean log(1 − D(G(z))) = −BCE(D(G(z)), 0)
    Its gradient −σ(l) vanishes when D confidently rejects the samples (σ(l) → 0),
    which is why the non-saturating form is the default.
``lsgan`` (Mao et al. 2017, a = 0, b = c = 1), on D's raw output o
    L_D = mean (o_real − y_real)² + mean (o_fake − 0)²;  L_G = mean (o_fake − 1)²

y_real is 1 − label_smoothing (one-sided smoothing: fake targets stay 0).
"""

from scipy.special import expit

from ..losses import BinaryCrossentropy, MeanSquaredError


class GANObjective:
    """Base: ``discriminator_real``, ``discriminator_fake``, ``generator``, ``probability``."""

    name = None

    def __init__(self, real_label=1.0, from_logits=True):
        if not 0.5 < real_label <= 1.0:
            raise ValueError(f"{type(self).__name__}: argument 'real_label' must lie in (0.5, 1], "
                             f"received {real_label}")
        self.real_label = float(real_label)
        self.from_logits = bool(from_logits)

    def discriminator_real(self, output):
        """D's loss on a batch of real images: (value, grad wrt output)."""
        raise NotImplementedError

    def discriminator_fake(self, output):
        """D's loss on a batch of generated images: (value, grad wrt output)."""
        raise NotImplementedError

    def generator(self, output):
        """G's loss through D's output on generated images: (value, grad wrt output)."""
        raise NotImplementedError

    def probability(self, output):
        """D's output as the number to report as D(x): σ(l) for logits, the output itself otherwise."""
        return expit(output) if self.from_logits else output


class BCEObjective(GANObjective):
    name = "bce"

    def __init__(self, real_label=1.0, from_logits=True):
        super().__init__(real_label, from_logits)
        # allow_nan: a NaN output reaches the trainer's loss check, which stops naming the step
        self.bce = BinaryCrossentropy(from_logits=from_logits, allow_nan=True)

    def discriminator_real(self, output):
        return self.bce(output, self.real_label)

    def discriminator_fake(self, output):
        return self.bce(output, 0.0)

    def generator(self, output):
        return self.bce(output, 1.0)


class MinimaxObjective(BCEObjective):
    name = "minimax"

    def generator(self, output):
        value, grad = self.bce(output, 0.0)
        return -value, -grad


class LSGANObjective(GANObjective):
    name = "lsgan"

    def __init__(self, real_label=1.0, from_logits=True):
        super().__init__(real_label, from_logits)
        self.mse = MeanSquaredError(allow_nan=True)  # as BCEObjective's

    def discriminator_real(self, output):
        return self.mse(output, self.real_label)

    def discriminator_fake(self, output):
        return self.mse(output, 0.0)

    def generator(self, output):
        return self.mse(output, 1.0)

    def probability(self, output):
        # The least-squares D regresses its raw output onto 1 (real) and 0 (fake):
        # that output is the number comparable to D(x) of the other objectives.
        return output


OBJECTIVES = {cls.name: cls for cls in (BCEObjective, MinimaxObjective, LSGANObjective)}


def get_objective(name, real_label=1.0, from_logits=True):
    """The objective called ``name`` (``"bce"``, ``"minimax"``, ``"lsgan"``)."""
    if name not in OBJECTIVES:
        raise ValueError(f"get_objective: argument 'name' expected one of {tuple(OBJECTIVES)}, received {name!r}")
    return OBJECTIVES[name](real_label=real_label, from_logits=from_logits)
