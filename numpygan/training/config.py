"""The configuration of a GAN run: one dataclass, saved as JSON in every checkpoint."""

import dataclasses
import json
import math
from typing import Optional

MODELS = ("mlp", "dcgan", "cgan-mlp", "cgan-dcgan")
# The conditional models (Mirza & Osindero 2014): "cgan-<architecture>" is G(z, y) and D(x, y) on that architecture.
CONDITIONAL_PREFIX = "cgan-"
DATASETS = ("mnist", "fashion", "arrays")
LOSSES = ("bce", "minimax", "lsgan", "lsgan-pearson")
LATENT_DISTRIBUTIONS = ("normal", "uniform")
OUTPUT_ACTIVATIONS = ("tanh", "sigmoid")
# Named DCGAN forms: the settings each one fixes, and its weight initialiser.
#   keras: the Keras tutorial (Glorot-uniform weights, no BatchNorm, sigmoid G on [0, 1] data, Dropout in D)
#   paper: the Keras tutorial's layers with Radford et al. 2015's settings (N(0, 0.02²) weights, BatchNorm in G
#          and in D except its first layer, tanh G on [-1, 1] data, no Dropout)
#   radford: those settings on the paper's own layer pattern (``models.radford_generator`` /
#          ``radford_discriminator``: transposed convolutions only, ReLU in G, widths halving per upsampling)
#   infogan: the radford layers with a fully connected hidden layer of 1,024 units in G (before the 7×7 map)
#          and in D (before the logit): InfoGAN's MNIST networks (``models.infogan_generator`` /
#          ``infogan_discriminator``)
FORMS = {
    "keras": {"batchnorm": False, "d_batchnorm": None, "output_activation": "sigmoid"},
    "paper": {"batchnorm": True, "d_batchnorm": None, "output_activation": "tanh", "d_dropout": 0.0},
    "radford": {"batchnorm": True, "d_batchnorm": None, "output_activation": "tanh", "d_dropout": 0.0},
    "infogan": {"batchnorm": True, "d_batchnorm": None, "output_activation": "tanh", "d_dropout": 0.0},
}
FORM_INITIALIZERS = {"keras": "glorot_uniform", "paper": "normal", "radford": "normal", "infogan": "normal"}
# Forms whose layers differ from the Keras tutorial's (their own builders), and so have no conditional twin yet.
OWN_LAYER_FORMS = ("radford", "infogan")
# How a conditional D takes the label, per architecture; the first is the default (README "Conditional GAN").
D_CONDITIONINGS = {"mlp": ("concat", "projection"), "dcgan": ("projection",)}
# The quick FID needs more samples than the evaluation classifier has features (metrics.classifier.FEATURE_DIM).
QUICK_FID_MIN_SAMPLES = 128

# Fields that may change between a run and its resumption: how long to train, where
# to write and what to watch, not what is trained. Everything else must match the checkpoint.
RUN_LENGTH_FIELDS = ("epochs", "max_steps", "checkpoint_every", "keep_checkpoints", "progress", "quick_fid")
# Fields a resumed run may change on purpose (a diverged run resumed with a lower learning
# rate): Adam's hyper-parameters apply from the next update; the run says what changed.
OPTIMIZER_FIELDS = ("lr_g", "lr_d", "beta_1", "beta_2")


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a GAN run, so that a checkpoint can rebuild it.

    Model
        ``model``: ``"mlp"`` (Dense G and D) or ``"dcgan"`` (convolutional); ``"cgan-mlp"`` /
        ``"cgan-dcgan"``: the conditional GAN on that architecture, G(z, y) and D(x, y) with y a
        class label in [0, ``n_classes``) (``builders``, ``numpygan.composed``).
        ``architecture`` is the part after ``cgan-`` (the MLP or DCGAN settings below apply to it).
        ``output_activation``: the generator's last layer, ``"tanh"`` (data in
        [-1, 1]) or ``"sigmoid"`` (data in [0, 1]).
        ``g_dropout`` / ``d_dropout``: dropout rate after each hidden layer of G / D
        (MLP only; the DCGAN's rates are fixed by its builder).
        ``batchnorm``: DCGAN-paper BatchNormalization (DCGAN only), in G and D;
        ``d_batchnorm`` False keeps it out of D (None: as ``batchnorm``). D normalises
        real and fake batches separately, so after its BatchNorm every channel has the
        same batch mean and variance on both: this two-convolution D, with only a
        LeakyReLU between that BatchNorm and its Dense output, then tells a fake batch
        from a real one by little more than spatial layout (measured: D(x) ≈ D(G(z)) ≈ 0.5).
        ``form``: a named DCGAN form, ``"keras"``, ``"paper"``, ``"radford"`` or ``"infogan"`` (``FORMS``):
        it fixes the settings that define it (a contradicting one is an error) and the weight
        initialiser; None (checkpoints from before forms existed): initialiser by
        ``batchnorm``, N(0, 0.02²) with it, Glorot-uniform without. ``"radford"`` and
        ``"infogan"`` also swap the layers (``models.radford_generator`` / ``radford_discriminator``,
        ``models.infogan_generator`` / ``infogan_discriminator``).
        ``g_filters`` / ``d_filters``: DCGAN channel widths (G's 7×7 map and transposed
        convolutions; D's two convolutions); 128 / 64 in the tutorial. In the radford and infogan
        forms, the widest layer of each (G's 7×7 map, D's last convolution); the next has half.
        ``latent_dim``, ``latent_distribution``: z ~ N(0, I) (``"normal"``) or U(−1, 1) (``"uniform"``).

    Objective
        ``loss``: ``"bce"`` (non-saturating: G minimises BCE(D(G(z)), 1)),
        ``"minimax"`` (G minimises log(1 − D(G(z)))), or least squares (Mao et al. 2017)
        with the coding scheme (a, b, c) = (fake, real, G's) targets: ``"lsgan"`` (0, 1, 1)
        or ``"lsgan-pearson"`` (−1, 1, 0) (``gan_losses``).
        ``label_smoothing``: one-sided; the real target is 1 − label_smoothing (for the
        least-squares objectives a + (1 − label_smoothing)(b − a): 0.9 and 0.8 at 0.1).
        ``k``: discriminator steps per generator step.
        ``ema_decay``: keep an exponential moving average of G's weights
        (Yazıcı et al. 2019), θ̄ ← d·θ̄ + (1 − d)·θ after every generator step, with
        d = min(ema_decay, (1 + t)/(10 + t)) at step t so early averages are not
        dominated by the initial weights. The sample grids, ``numpygan sample`` and
        ``numpygan evaluate`` then use θ̄; training itself is unchanged. 0: off.

    Optimisation
        Adam with ``lr_g`` / ``lr_d``, ``beta_1``, ``beta_2``.
        ``batch_size``: images per generator step. The discriminator sees
        ``batch_size`` real and ``batch_size`` fake images per step, or, with
        ``d_half_batch``, ``batch_size // 2`` of each (the Keras-tutorial split).
        An epoch is one pass over the training images (the last partial batch is dropped).

    Data
        ``dataset``: ``"mnist"``, ``"fashion"``, or ``"arrays"`` (handed to the trainer directly).
        ``holdout_validation``: train on MNIST rows 0–49,999 only, keeping rows
        50,000–59,999 for validation (the Parzen-window protocol).
        ``data_limit``: train on the first ``data_limit`` rows only (tests, quick looks).
        ``train_rows``: how many rows, 0 .. train_rows − 1 of the training split, were
        used; filled in when the data is loaded.

    Run
        ``epochs``, ``max_steps`` (stop after this many generator steps in total),
        ``seed``, ``checkpoint_every`` (epochs), ``keep_checkpoints`` (keep one file per
        epoch besides the latest), ``n_samples`` (images in the fixed-noise grid),
        ``progress`` (tqdm bars), ``quick_fid`` (samples of the quick classifier FID after
        every epoch, ``numpygan.training.quick_fid``; 0: off).

    Conditional models
        ``n_classes``: labels are ints in [0, n_classes) (10 for MNIST and Fashion-MNIST);
        only the ``cgan-*`` models take it.
        ``d_conditioning``: how D takes the label: ``"concat"`` (its embedding beside the
        flattened image, the MLP form's default) or ``"projection"`` (a projection head on D's
        top features, Miyato & Koyama 2018; the DCGAN form's only choice). None: the form's default.
    """

    model: str = "mlp"
    dataset: str = "mnist"
    epochs: int = 10
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    loss: str = "bce"
    k: int = 1
    ema_decay: float = 0.0
    label_smoothing: float = 0.0
    latent_dim: int = 100
    latent_distribution: str = "normal"
    output_activation: str = "tanh"
    g_dropout: float = 0.0
    d_dropout: float = 0.3
    batchnorm: bool = False
    d_batchnorm: Optional[bool] = None
    form: Optional[str] = None
    g_filters: int = 128
    d_filters: int = 64
    d_half_batch: bool = False
    seed: int = 0
    holdout_validation: bool = False
    data_limit: Optional[int] = None
    train_rows: Optional[int] = None
    max_steps: Optional[int] = None
    checkpoint_every: int = 1
    keep_checkpoints: bool = False
    n_samples: int = 64
    progress: bool = True
    quick_fid: int = 2000
    n_classes: int = 10
    d_conditioning: Optional[str] = None

    def __post_init__(self):
        self.validate()

    # -- validation -------------------------------------------------------------
    def validate(self):
        """Raise ValueError/TypeError naming the first field that is out of range."""
        for name, choices in (("model", MODELS), ("dataset", DATASETS), ("loss", LOSSES),
                              ("latent_distribution", LATENT_DISTRIBUTIONS),
                              ("output_activation", OUTPUT_ACTIVATIONS)):
            value = getattr(self, name)
            if value not in choices:
                raise ValueError(f"TrainConfig.{name}: expected one of {choices}, received {value!r}")
        _integer(self, "epochs", minimum=0)
        _integer(self, "batch_size", minimum=2 if self.d_half_batch else 1)
        _integer(self, "k", minimum=1)
        _integer(self, "latent_dim", minimum=1)
        _integer(self, "seed", minimum=0)
        _integer(self, "checkpoint_every", minimum=0)
        _integer(self, "n_samples", minimum=1)
        _integer(self, "g_filters", minimum=1)
        _integer(self, "d_filters", minimum=1)
        _integer(self, "quick_fid", minimum=0)
        _integer(self, "n_classes", minimum=2)
        if not self.conditional and self.n_classes != 10:
            raise ValueError(f"TrainConfig.n_classes: only the conditional models (cgan-*) take labels; expected "
                             f"10 with model {self.model!r}, received {self.n_classes}")
        if self.d_conditioning is not None:
            if not self.conditional:
                raise ValueError(f"TrainConfig.d_conditioning: only the conditional models (cgan-*) take labels; "
                                 f"expected None with model {self.model!r}, received {self.d_conditioning!r}")
            if self.d_conditioning not in D_CONDITIONINGS[self.architecture]:
                raise ValueError(f"TrainConfig.d_conditioning: expected one of "
                                 f"{D_CONDITIONINGS[self.architecture]} or None with model {self.model!r}, "
                                 f"received {self.d_conditioning!r}")
        if 0 < self.quick_fid <= QUICK_FID_MIN_SAMPLES:
            raise ValueError(f"TrainConfig.quick_fid: expected 0 (off) or more samples than the classifier's "
                             f"{QUICK_FID_MIN_SAMPLES} features, received {self.quick_fid}")
        for name in ("data_limit", "train_rows", "max_steps"):
            if getattr(self, name) is not None:
                _integer(self, name, minimum=0 if name == "max_steps" else 1)
        for name in ("lr_g", "lr_d"):
            _real(self, name, lo=0.0, lo_open=True)
        for name in ("beta_1", "beta_2"):
            _real(self, name, lo=0.0, hi=1.0, hi_open=True)
        for name in ("g_dropout", "d_dropout"):
            _real(self, name, lo=0.0, hi=1.0, hi_open=True)
        _real(self, "label_smoothing", lo=0.0, hi=0.5, hi_open=True)
        _real(self, "ema_decay", lo=0.0, hi=1.0, hi_open=True)
        if self.d_batchnorm is not None and not isinstance(self.d_batchnorm, bool):
            raise TypeError(f"TrainConfig.d_batchnorm: expected None or a bool, received {self.d_batchnorm!r}")
        for name in ("batchnorm", "d_half_batch", "holdout_validation", "keep_checkpoints", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"TrainConfig.{name}: expected a bool, received {getattr(self, name)!r}")
        if self.holdout_validation and self.dataset != "mnist":
            raise ValueError(f"TrainConfig.holdout_validation: only defined for dataset 'mnist', "
                             f"received dataset {self.dataset!r}")
        if self.architecture == "dcgan" and self.g_dropout:
            raise ValueError("TrainConfig.g_dropout: the DCGAN generator has no dropout; expected 0, "
                             f"received {self.g_dropout}")
        if self.architecture == "mlp" and self.d_batchnorm:
            raise ValueError("TrainConfig.d_batchnorm: only the DCGAN builders take batchnorm; expected None or "
                             "False with model 'mlp'")
        if self.architecture == "mlp" and self.batchnorm:
            raise ValueError("TrainConfig.batchnorm: only the DCGAN builders take batchnorm; expected False "
                             "with model 'mlp'")
        if self.architecture == "mlp":
            for name in ("g_filters", "d_filters"):
                if getattr(self, name) != TrainConfig.__dataclass_fields__[name].default:
                    raise ValueError(f"TrainConfig.{name}: only the DCGAN has channel widths; expected "
                                     f"{TrainConfig.__dataclass_fields__[name].default} with model 'mlp', "
                                     f"received {getattr(self, name)}")
        self._validate_form()

    def _validate_form(self):
        if self.form is None:
            return
        if self.form not in FORMS:
            raise ValueError(f"TrainConfig.form: expected one of {tuple(FORMS)} or None, received {self.form!r}")
        if self.architecture != "dcgan":
            raise ValueError(f"TrainConfig.form: the forms are DCGAN forms; expected None with model "
                             f"{self.model!r}, received {self.form!r}")
        if self.conditional and self.form in OWN_LAYER_FORMS:
            raise ValueError(f"TrainConfig.form: the conditional DCGAN is built on the Keras tutorial's layers; "
                             f"expected one of {tuple(f for f in FORMS if f not in OWN_LAYER_FORMS)} or None with "
                             f"model {self.model!r}, received {self.form!r}")
        for name, required in FORMS[self.form].items():
            if getattr(self, name) != required:
                other = [f for f in FORMS if f != self.form and FORMS[f].get(name) == getattr(self, name)]
                hint = f"use form {other[0]!r}, or " if other else ""
                raise ValueError(f"TrainConfig.{name}: form {self.form!r} requires {required!r}, received "
                                 f"{getattr(self, name)!r} ({hint}leave {name} at the form's value)")
        if self.form in OWN_LAYER_FORMS:
            for name in ("g_filters", "d_filters"):
                if getattr(self, name) < 2:  # the layer next to the widest has half its channels
                    raise ValueError(f"TrainConfig.{name}: form {self.form!r} halves the width; expected at least "
                                     f"2, received {getattr(self, name)}")

    # -- derived quantities -----------------------------------------------------
    @property
    def conditional(self):
        """Whether G and D take a class label (the ``cgan-*`` models)."""
        return self.model.startswith(CONDITIONAL_PREFIX)

    @property
    def architecture(self):
        """``"mlp"`` or ``"dcgan"``: the model without its ``cgan-`` prefix."""
        return self.model[len(CONDITIONAL_PREFIX):] if self.conditional else self.model

    @property
    def discriminator_conditioning(self):
        """How a conditional D takes the label: ``d_conditioning``, or the form's default (the first of
        ``D_CONDITIONINGS``); None for an unconditional model."""
        if not self.conditional:
            return None
        return self.d_conditioning or D_CONDITIONINGS[self.architecture][0]

    @property
    def real_label(self):
        """The discriminator's target for real images, 1 − label_smoothing."""
        return 1.0 - self.label_smoothing

    @property
    def d_batch_size(self):
        """Real (and fake) images per discriminator step."""
        return self.batch_size // 2 if self.d_half_batch else self.batch_size

    @property
    def discriminator_batchnorm(self):
        """Whether D has BatchNorm: ``d_batchnorm``, or ``batchnorm`` when that is None."""
        return self.batchnorm if self.d_batchnorm is None else self.d_batchnorm

    @property
    def kernel_initializer(self):
        """The DCGAN's weight initialiser: the form's, or None (the builders' default for ``batchnorm``)."""
        return FORM_INITIALIZERS.get(self.form)

    @property
    def value_range(self):
        """The range the data is scaled to, matching the generator's output activation."""
        return (-1.0, 1.0) if self.output_activation == "tanh" else (0.0, 1.0)

    # -- (de)serialisation --------------------------------------------------------
    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json(self):
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values):
        """Build from a dict; unknown keys are refused (a typo must not pass silently)."""
        if not isinstance(values, dict):
            raise TypeError(f"TrainConfig.from_dict: expected a dict, received {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"TrainConfig.from_dict: unknown fields {unknown}; known fields are {sorted(known)}")
        return cls(**values)

    @classmethod
    def from_json(cls, text):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"TrainConfig.from_json: not valid JSON: {err}") from err
        return cls.from_dict(values)

    def replace(self, **changes):
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def differences(self, other, ignore=RUN_LENGTH_FIELDS):
        """``{field: (self's value, other's value)}`` for fields that differ, except ``ignore``."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: (mine[k], theirs[k]) for k in mine if k not in ignore and mine[k] != theirs[k]}


def _integer(config, name, minimum):
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"TrainConfig.{name}: expected an int, received {value!r}")
    if value < minimum:
        raise ValueError(f"TrainConfig.{name}: expected an int >= {minimum}, received {value}")


def _real(config, name, lo=None, hi=None, lo_open=False, hi_open=False):
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"TrainConfig.{name}: expected a finite number, received {value!r}")
    too_low = lo is not None and (value <= lo if lo_open else value < lo)
    too_high = hi is not None and (value >= hi if hi_open else value > hi)
    if too_low or too_high:
        interval = (f"in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}" if hi is not None
                    else f"{'>' if lo_open else '>='} {lo}")
        raise ValueError(f"TrainConfig.{name}: expected a value {interval}, received {value}")


# The reference runs. ``numpygan train`` and the examples start from these.
PRESETS = {
    # The MLP GAN in its tutorial form on MNIST: tanh G, Dropout(0.3) in D only, real label 0.9,
    # samples from the moving average of G's weights, batch 64, Adam 2e-4. 15 epochs (14,055 steps):
    # FID ~30 (README: quality and run time). The LSGAN comparison is made at these settings.
    "mlp_mnist_tutorial": dict(model="mlp", dataset="mnist", output_activation="tanh", g_dropout=0.0,
                               d_dropout=0.3, batch_size=64, lr_g=2e-4, lr_d=2e-4, beta_1=0.5,
                               label_smoothing=0.1, ema_decay=0.999, epochs=15),
    # The main job (`python examples/mlp_mnist.py`): the same networks and loss with batch 128 and the
    # learning rate scaled with it (2e-4 · 128/64, the linear scaling rule), 25 epochs (11,700 steps).
    # Measured per epoch (README, "The main job"): at equal time the tutorial settings reach quick FID
    # 31.8 where these reach 14; 6e-4 at batch 128 and 8e-4 at batch 256 were no better per minute.
    "mlp_mnist": dict(model="mlp", dataset="mnist", output_activation="tanh", g_dropout=0.0, d_dropout=0.3,
                      batch_size=128, lr_g=4e-4, lr_d=4e-4, beta_1=0.5, label_smoothing=0.1, ema_decay=0.999,
                      epochs=25),
    # The second MLP form: Dropout in both G and D, on Fashion-MNIST.
    "mlp_fashion": dict(model="mlp", dataset="fashion", output_activation="tanh", g_dropout=0.3, d_dropout=0.3,
                        batch_size=64, lr_g=2e-4, lr_d=2e-4, beta_1=0.5, label_smoothing=0.1, ema_decay=0.999,
                        epochs=20),
    # The Keras-tutorial DCGAN: data in [0, 1], sigmoid G, D sees 64 real + 64 fake per step
    # (937 steps per epoch; see the README for the measured time per epoch). `--form keras`.
    "dcgan_keras": dict(model="dcgan", dataset="mnist", form="keras", output_activation="sigmoid", d_dropout=0.4,
                        batch_size=128, d_half_batch=True, lr_g=2e-4, lr_d=2e-4, beta_1=0.5, ema_decay=0.999,
                        epochs=5),
    # The DCGAN paper's form (Radford et al. 2015): BatchNorm, tanh, N(0, 0.02²), no Dropout. `--form paper`.
    "dcgan_paper": dict(model="dcgan", dataset="mnist", form="paper", output_activation="tanh", batchnorm=True,
                        d_dropout=0.0, batch_size=128, d_half_batch=True, lr_g=2e-4, lr_d=2e-4, beta_1=0.5,
                        ema_decay=0.999, epochs=2),
}
# The paper's form on the tutorial's layers with a lighter G (64 channels) and a wider D (128: with 64 it
# held D(x) ≈ D(G(z)) ≈ 0.5 and gave G little signal), Adam 4e-4, 4 epochs: the default DCGAN until
# 2026-12-01 (FID 58.4 in 29 minutes on the SkylakeX machine; README). The conditional DCGAN is built on it.
PRESETS["dcgan_paper_light"] = dict(PRESETS["dcgan_paper"], g_filters=64, d_filters=128, lr_g=4e-4, lr_d=4e-4,
                                    epochs=4)
# The paper's own layers (``form="radford"``) at G 64 / D 64 channels, about 0.2 s per step on one thread
# against ~1 s for the tutorial's layers at dcgan_paper_light's widths, and Adam 1.6e-3 (quick FID after
# 3,000 steps: 66 at 4e-4, 54 at 8e-4, 49 at 1.6e-3): the default DCGAN from 2026-12-01 to 2026-12-02
# (FID 38.4 after 8 epochs, 26 minutes on the AMD machine; README "The DCGAN"). `--form radford`.
PRESETS["dcgan_radford"] = dict(PRESETS["dcgan_paper"], form="radford", g_filters=64, d_filters=64, lr_g=1.6e-3,
                                lr_d=1.6e-3, epochs=8)
# The default DCGAN (`python examples/dcgan_mnist.py`, `numpygan train --model dcgan`), chosen by quick FID
# against wall-clock minutes of training (README "The DCGAN"): the radford layers with InfoGAN's fully
# connected hidden layer (1,024 units) in G and in D (``form="infogan"``): quick FID 9.6 after one epoch
# where the radford layers are at 66 (and 26 with the hidden layer in D only), for ~1.6× the time per step.
# G's rate is twice D's (the radford layers reached quick FID 34.0 after 8 epochs that way, 39.5 at 1.6e-3 for
# both); half these rates learned at half the speed, twice them collapsed in the first epoch.
PRESETS["dcgan_mnist"] = dict(PRESETS["dcgan_paper"], form="infogan", g_filters=64, d_filters=64, lr_g=3.2e-3,
                              lr_d=1.6e-3, epochs=8)
PRESETS["dcgan_fashion"] = dict(PRESETS["dcgan_mnist"], dataset="fashion")
# `--form NAME` starts from this preset.
FORM_PRESETS = {"keras": "dcgan_keras", "paper": "dcgan_paper", "radford": "dcgan_radford",
                "infogan": "dcgan_mnist"}
# The same runs (the MLP at its tutorial settings, where README's comparison was made) with the
# least-squares objective (Mao et al. 2017, 0-1 coding a = 0, b = c = 1) in place of BCE and everything else equal, so that the two compare one change at a time. D keeps its
# raw Dense(1) output (LSGAN regresses it onto the targets) and its preset's one-sided smoothing (the
# MLP's real target is 0.9, as with BCE; the DCGAN has none). ``numpygan train --preset
# mlp_mnist_lsgan``; ``--loss lsgan-pearson`` selects the paper's other scheme (a = −1, b = 1, c = 0).
PRESETS["mlp_mnist_lsgan"] = dict(PRESETS["mlp_mnist_tutorial"], loss="lsgan")
PRESETS["dcgan_mnist_lsgan"] = dict(PRESETS["dcgan_mnist"], loss="lsgan")
# The conditional GAN (README "Conditional GAN"): the MLP and DCGAN runs above with G(z, y) and D(x, y)
# (``builders.conditional_generator`` / ``conditional_discriminator``), everything else equal, so that
# they compare with the unconditional runs; the grids hold 100 samples, each row the ten classes.
# `python examples/cgan_mnist.py` runs cgan_mnist: the tutorial settings, D conditioned by a projection head,
# 30 epochs (28,110 steps; measured 14 min 31 s wall, 30.1 ms per step, one thread, kernel SkylakeX, the other
# core busy: FID 3.5, label accuracy 98.1 %; with the label concatenated in D, 20 epochs gave 6.5 and 97.0 %; README).
PRESETS["cgan_mnist"] = dict(PRESETS["mlp_mnist_tutorial"], model="cgan-mlp", d_conditioning="projection",
                             n_samples=100, epochs=30)
PRESETS["cgan_fashion"] = dict(PRESETS["mlp_fashion"], model="cgan-mlp", d_conditioning="projection", n_samples=100,
                               epochs=10)
PRESETS["cgan_dcgan_mnist"] = dict(PRESETS["dcgan_paper_light"], model="cgan-dcgan", n_samples=100)
PRESETS["cgan_dcgan_fashion"] = dict(PRESETS["cgan_dcgan_mnist"], dataset="fashion")


def preset(name, **changes):
    """The TrainConfig of a reference run (``PRESETS``), with ``changes`` applied."""
    if name not in PRESETS:
        raise ValueError(f"preset: argument 'name' expected one of {tuple(PRESETS)}, received {name!r}")
    return TrainConfig(**{**PRESETS[name], **changes})


def preset_for(model, dataset, form=None):
    """The preset closest to ``model`` on ``dataset`` (the dataset swapped in); ``form`` picks a named
    DCGAN form's preset (``FORM_PRESETS``)."""
    if form is not None:
        if form not in FORM_PRESETS:
            raise ValueError(f"preset_for: argument 'form' expected one of {tuple(FORM_PRESETS)}, received {form!r}")
        if model not in ("dcgan", "cgan-dcgan"):
            raise ValueError(f"preset_for: argument 'form' names a DCGAN form; expected model 'dcgan' or "
                             f"'cgan-dcgan', received {model!r}")
        if model == "cgan-dcgan":
            return preset(FORM_PRESETS[form], dataset=dataset, model=model, n_samples=100)
        return preset(FORM_PRESETS[form], dataset=dataset)
    if model in ("cgan-mlp", "cgan-dcgan"):
        name = "cgan_" + ("dcgan_" if model == "cgan-dcgan" else "")
        return preset(name + ("fashion" if dataset == "fashion" else "mnist"), dataset=dataset)
    if model == "dcgan":
        return preset("dcgan_fashion" if dataset == "fashion" else "dcgan_mnist", dataset=dataset)
    return preset("mlp_fashion" if dataset == "fashion" else "mlp_mnist", dataset=dataset)
