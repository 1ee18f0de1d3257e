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
``lsgan`` / ``lsgan-pearson`` (least squares, Mao et al. 2017, eq. 2), on D's raw output o
    L_D = mean (o_real − b)² + mean (o_fake − a)²;  L_G = mean (o_fake − c)²
    with a coding scheme (a, b, c): a the target for fakes, b for real data, c
    the value G wants D to believe for fakes. The paper's two schemes:
    ``lsgan`` a = 0, b = c = 1 (the 0-1 coding of its experiments) and
    ``lsgan-pearson`` a = −1, b = 1, c = 0 (b − c = 1 and b − a = 2, under
    which G minimises the Pearson χ² divergence between p_data + p_g and
    2 p_g, the paper's link to f-divergences). The paper puts a factor ½ on
    each term; it is left out here so that every objective's parts are plain
    batch means (a constant factor only rescales the gradients, which Adam
    undoes up to its ε).

y_real is 1 − label_smoothing (one-sided smoothing: fake targets stay 0). For
the least-squares objectives ``real_label`` is read on the scale from a (0) to
b (1), as D(x) is reported: the real target becomes a + real_label · (b − a)
(0.9 for ``lsgan`` and 0.8 for ``lsgan-pearson`` at real_label 0.9); a and c
stay as they are.
"""

import functools
import math
import numbers

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
    """Least squares on D's raw output o with the coding scheme (a, b, c) (Mao et al. 2017, eq. 2).

    L_D = mean (o_real − b′)² + mean (o_fake − a)²,  L_G = mean (o_fake − c)²,
    dL/do = 2 (o − target) / M over the M outputs of the batch. b′ = a + real_label · (b − a)
    is the real target after one-sided smoothing (b itself at real_label 1).
    ``probability`` reports (o − a) / (b − a): 0 where D scores a fake's target, 1 a real
    one's, so D(x) and D(G(z)) read as with the other objectives (the output itself for
    a = 0, b = 1).

    ``a``, ``b``, ``c``: finite numbers with a ≠ b. A D that ends in a Sigmoid
    (``from_logits=False``) outputs values in (0, 1) only, so a, b and c must lie in
    [0, 1] there; the Pearson scheme (−1, 1, 0) needs a D with a raw output.
    """

    name = "lsgan"

    def __init__(self, real_label=1.0, from_logits=True, *, a=0.0, b=1.0, c=1.0):
        super().__init__(real_label, from_logits)
        owner = type(self).__name__
        for arg, value in (("a", a), ("b", b), ("c", c)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{owner}: argument {arg!r} must be a real number, received {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{owner}: argument {arg!r} must be a finite number, received {value!r}")
        if a == b:
            raise ValueError(f"{owner}: arguments 'a' (fake target) and 'b' (real target) must differ, "
                             f"received a = b = {a}")
        if not self.from_logits and not all(0.0 <= v <= 1.0 for v in (a, b, c)):
            raise ValueError(f"{owner}: a discriminator ending in a Sigmoid outputs values in (0, 1), so "
                             f"arguments 'a', 'b', 'c' must lie in [0, 1]; received ({a}, {b}, {c}) — "
                             f"use a discriminator with a raw output")
        self.a, self.b, self.c = float(a), float(b), float(c)
        self.real_target = self.a + self.real_label * (self.b - self.a)
        scheme = (self.a, self.b, self.c)
        self.name = next((n for n, s in LSGAN_SCHEMES.items() if s == scheme), f"lsgan{scheme}")
        self.mse = MeanSquaredError(allow_nan=True)  # as BCEObjective's

    def discriminator_real(self, output):
        return self.mse(output, self.real_target)

    def discriminator_fake(self, output):
        return self.mse(output, self.a)

    def generator(self, output):
        return self.mse(output, self.c)

    def probability(self, output):
        # The least-squares D regresses its raw output onto b (real) and a (fake): mapped
        # so that a ↦ 0 and b ↦ 1, it is the number comparable to D(x) of the other objectives.
        return (output - self.a) / (self.b - self.a)

    def __repr__(self):
        return (f"LSGANObjective(a={self.a:g}, b={self.b:g}, c={self.c:g}, real_label={self.real_label:g}, "
                f"from_logits={self.from_logits})")


# The coding schemes (a, b, c) of the paper, by objective name.
LSGAN_SCHEMES = {
    "lsgan": (0.0, 1.0, 1.0),           # the 0-1 coding (its experiments)
    "lsgan-pearson": (-1.0, 1.0, 0.0),  # b − c = 1, b − a = 2: G minimises the Pearson χ² divergence
}

OBJECTIVES = {
    "bce": BCEObjective,
    "minimax": MinimaxObjective,
    **{name: functools.partial(LSGANObjective, a=a, b=b, c=c) for name, (a, b, c) in LSGAN_SCHEMES.items()},
}


def get_objective(name, real_label=1.0, from_logits=True):
    """The objective called ``name`` (``"bce"``, ``"minimax"``, ``"lsgan"``, ``"lsgan-pearson"``)."""
    if name not in OBJECTIVES:
        raise ValueError(f"get_objective: argument 'name' expected one of {tuple(OBJECTIVES)}, received {name!r}")
    return OBJECTIVES[name](real_label=real_label, from_logits=from_logits)
