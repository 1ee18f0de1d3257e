"""GAN checkpoints: one .npz (no pickle) holding everything needed to continue a run exactly.

Layout (flat array names):

``format``                              0-d str, ``FORMAT``
``config``                              0-d str, the run's TrainConfig as JSON
``generator/<layer>.<param>``           G's weights and buffers (BatchNorm running statistics)
``discriminator/<layer>.<param>``       D's weights and buffers
``generator_ema/<layer>.<param>``       with ``ema_decay``: the moving average of G's weights
``g_optimizer/...``, ``d_optimizer/...``  Adam moments ``m/<param>``, ``v/<param>`` and ``iterations``
``rng/<name>``                          0-d str, a numpy Generator's ``bit_generator.state`` as JSON:
                                        ``data`` (shuffling), ``latent`` (z), ``generator/model`` and
                                        ``discriminator/model`` (Dropout masks)
``fixed_noise``                         the z of the per-epoch sample grid
``epoch``, ``step``, ``position``       completed epochs, generator steps, steps into the current epoch
``permutation``                         the current epoch's image order (empty between epochs)
``history/<d_loss|g_loss|d_real|d_fake>``  one value per generator step; ``history/epoch_end_steps``
``evaluations/<name>/step|value``       measurements at some steps, e.g. ``quick_fid`` after each epoch
                                        (optional: checkpoints from before have none)
``train_seconds``                       time spent in training steps so far
``__checksums__``                       per array: dtype, shape and SHA-256 (``numpygan.io``)

Files are written atomically (``numpygan.io.save_npz_atomic``): a crash while
saving leaves the previous checkpoint intact. A state holding NaN or inf is never
written (``NonFiniteStateError``), so the last checkpoint of a diverged run is one
it can be resumed from.

Loading refuses, with one ``CheckpointError`` line naming the file, anything that
is not exactly what was saved or could not have been saved: a damaged byte
anywhere (zip CRC-32, .npy header sizes, and the checksums; files from before the
checksums existed are read with the CRC and size checks only), NaN or inf in any
array, and counters that disagree with each other (a negative epoch, a history
whose length is not the step count, an epoch order that is not a permutation).
"""

import os

import numpy as np

from ..io import CHECKSUMS_KEY, load_npz, save_npz_atomic
from .builders import build_gan, build_generator
from .config import OPTIMIZER_FIELDS, RUN_LENGTH_FIELDS, TrainConfig
from .trainer import HISTORY_KEYS, NonFiniteLossError

FORMAT = "numpygan-gan-checkpoint/2"
"""Written by this version: with the ``__checksums__`` table, which reading it then requires."""
READABLE_FORMATS = (FORMAT, "numpygan-gan-checkpoint/1")
"""/1: the same arrays without checksums (read with the zip CRC-32 and size checks only)."""


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, from another format, or does not match the run."""


class NonFiniteStateError(NonFiniteLossError):
    """A trainer's weights or optimizer state hold NaN or inf, so it is not saved."""


def nonfinite_arrays(state):
    """Names of the floating arrays in ``{name: ndarray}`` that hold NaN or ±inf."""
    return [key for key, value in state.items()
            if value.dtype.kind in "fc" and not np.isfinite(value).all()]


def _names(keys, limit=8):
    return ", ".join(keys[:limit]) + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


class Checkpoint:
    """A loaded checkpoint: ``path``, ``config`` (TrainConfig), ``epoch``, ``step`` and the trainer ``state``."""

    def __init__(self, path, config, state):
        self.path, self.config, self.state = os.fspath(path), config, state
        self.epoch, self.step = int(state["epoch"]), int(state["step"])

    def __repr__(self):
        return f"Checkpoint({self.path!r}, model={self.config.model!r}, epoch={self.epoch}, step={self.step})"


def save_checkpoint(path, trainer):
    """Write ``trainer``'s complete state and config to ``path`` atomically; return the path."""
    state = trainer.state_dict()
    bad = nonfinite_arrays(state)
    if bad:
        raise NonFiniteStateError(
            f"not saving {os.fspath(path)!r}: NaN or inf in {_names(bad)} at step {trainer.step}; training "
            f"diverged (lr_g={trainer.config.lr_g}, lr_d={trainer.config.lr_d}). A checkpoint already there "
            f"is untouched: resume it with a lower learning rate (--resume --lr ...).")
    arrays = {"format": np.array(FORMAT), "config": np.array(trainer.config.to_json())}
    arrays.update(state)
    save_npz_atomic(path, arrays, checksums=True)
    return os.fspath(path)


def load_checkpoint(path):
    """Read and check a checkpoint written by ``save_checkpoint``.

    Raises ``CheckpointError`` (a ValueError) naming the file if it is truncated,
    corrupt, not a numpygan GAN checkpoint, or holds an invalid config, and
    FileNotFoundError if it does not exist.
    """
    path = os.fspath(path)
    try:
        arrays = load_npz(path, what="checkpoint", keep_checksums=True)
    except ValueError as err:
        raise CheckpointError(str(err)) from None
    has_checksums = arrays.pop(CHECKSUMS_KEY, None) is not None
    if "format" not in arrays or "config" not in arrays:
        raise CheckpointError(f"checkpoint {path!r} is not a numpygan GAN checkpoint (no 'format'/'config' "
                              f"entries; a weights-only file from Sequential.save_weights cannot resume a run)")
    found = str(arrays.pop("format"))
    if found not in READABLE_FORMATS:
        raise CheckpointError(f"checkpoint {path!r} has format {found!r}; this version reads "
                              f"{' and '.join(map(repr, READABLE_FORMATS))}")
    if found == FORMAT and not has_checksums:
        raise CheckpointError(f"checkpoint {path!r} is corrupt: its checksum table is missing")
    try:
        config = TrainConfig.from_json(str(arrays.pop("config")))
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"checkpoint {path!r} holds an invalid run configuration: {err}") from err
    for key in ("epoch", "step", "position"):
        if key not in arrays or arrays[key].shape != () or arrays[key].dtype.kind not in "iu":
            raise CheckpointError(f"checkpoint {path!r} lacks a valid {key!r} counter; it is damaged or "
                                  f"was not written by numpygan.training")
    problem = state_problem(config, arrays)
    if problem:
        raise CheckpointError(f"checkpoint {path!r} {problem}; it is damaged or was edited, and cannot be used")
    return Checkpoint(path, config, arrays)


def state_problem(config, state):
    """What makes ``state`` (a checkpoint's arrays) impossible for a run of ``config`` to have saved, or None.

    Checks the values the layout check (``GANTrainer.load_state_dict``) does not: finiteness, the
    counters against each other, the history's length, and the epoch order.
    """
    bad = nonfinite_arrays(state)
    if bad:
        return f"holds NaN or inf in {_names(bad)}"
    epoch, step, position = (int(state[key]) for key in ("epoch", "step", "position"))
    if min(epoch, step, position) < 0:
        return f"has a negative counter (epoch {epoch}, step {step}, position {position})"
    for key in HISTORY_KEYS:
        history = state.get(f"history/{key}")
        if history is not None and history.shape != (step,):
            return f"has a history 'history/{key}' of shape {history.shape}; expected ({step},), one value per step"
    ends = state.get("history/epoch_end_steps")
    if ends is not None and (ends.shape != (epoch,) or np.any(np.diff(ends) < 0)
                             or (ends.size and (ends.min() < 0 or ends.max() > step))):
        return (f"has 'history/epoch_end_steps' {ends.tolist()[:8]} (shape {ends.shape}); expected {epoch} "
                f"non-decreasing steps in [0, {step}]")
    for name in ("g_optimizer/iterations", "d_optimizer/iterations"):
        if name in state and (state[name].shape != () or int(state[name]) < 0):
            return f"has an invalid {name!r}: {state[name]}"
    if float(state.get("train_seconds", 0.0)) < 0:
        return f"has a negative 'train_seconds': {float(state['train_seconds'])}"
    permutation = state.get("permutation")
    if position and permutation is not None:
        n = len(permutation) if permutation.ndim == 1 else -1
        if permutation.dtype.kind not in "iu" or n < 0 or (config.train_rows is not None and n != config.train_rows):
            return (f"has an epoch order 'permutation' of shape {permutation.shape} {permutation.dtype}; expected "
                    f"({config.train_rows},) integers, one per training image")
        if not np.array_equal(np.sort(permutation), np.arange(n)):
            return f"has an epoch order 'permutation' that is not a permutation of 0 .. {n - 1}"
        if position * config.k * config.d_batch_size > n:
            return (f"is at position {position} of an epoch of {n} images, past its end "
                    f"({n // (config.k * config.d_batch_size)} steps)")
    return None


def restore_trainer(trainer, checkpoint):
    """Load ``checkpoint`` (a Checkpoint or a path) into ``trainer``, refusing a mismatched one.

    The trainer's config may differ from the checkpoint's in the run length
    (``RUN_LENGTH_FIELDS``) and the optimizer hyper-parameters (``OPTIMIZER_FIELDS``,
    see ``optimizer_changes``); anything else is refused.
    """
    if not isinstance(checkpoint, Checkpoint):
        checkpoint = load_checkpoint(checkpoint)
    differences = checkpoint.config.differences(trainer.config, ignore=RUN_LENGTH_FIELDS + OPTIMIZER_FIELDS)
    if differences:
        raise CheckpointError(mismatch_message(checkpoint.path, differences))
    try:
        trainer.load_state_dict(checkpoint.state, source=f"checkpoint {checkpoint.path!r}")
    except ValueError as err:
        raise CheckpointError(str(err)) from err
    return trainer


def optimizer_changes(checkpoint, config):
    """``{field: (checkpoint's value, config's value)}`` for the optimizer settings a resumed run changes."""
    return {key: value for key, value in checkpoint.config.differences(config, ignore=()).items()
            if key in OPTIMIZER_FIELDS}


def mismatch_message(path, differences):
    """Explain which settings of a run differ from the checkpoint it tries to resume."""
    lines = [f"checkpoint {path!r} was written by a run with other settings:"]
    lines += [f"  {key}: checkpoint has {saved!r}, this run has {requested!r}"
              for key, (saved, requested) in sorted(differences.items())]
    lines.append("Resume without changing these settings, or start a new run in another --out folder.")
    return "\n".join(lines)


# Checkpoints of the image-to-image trainers: their models are not described by TrainConfig (they hold their
# architecture in these entries), so only their own trainers and examples can rebuild them.
TRANSLATION_SETTINGS = {"pix2pix/settings": ("pix2pix", "examples/pix2pix_fashion_edges.py"),
                        "cyclegan/settings": ("CycleGAN", "examples/cyclegan_fashion.py"),
                        "stargan/settings": ("StarGAN", "examples/stargan_fashion.py")}


def _refuse_translation_run(checkpoint):
    for key, (kind, example) in TRANSLATION_SETTINGS.items():
        if key in checkpoint.state:
            raise CheckpointError(f"checkpoint {checkpoint.path!r} is a {kind} run, not a GAN of TrainConfig's models; "
                                  f"resume or evaluate it with the example that wrote it ({example} --resume)")


def load_trainer(path):
    """A GANTrainer (ConditionalGANTrainer for a ``cgan-*`` run) rebuilt from a checkpoint's config,
    with its complete state restored."""
    from .conditional import trainer_for

    checkpoint = load_checkpoint(path)
    _refuse_translation_run(checkpoint)
    generator, discriminator = build_gan(checkpoint.config)
    return restore_trainer(trainer_for(generator, discriminator, checkpoint.config), checkpoint)


def load_generator(path, average=True):
    """``(generator, config)`` from a checkpoint: a Sequential in float32 (a ``ConditionalGenerator``,
    G(z, labels), when ``config["model"]`` is ``cgan-*``; labels in [0, ``config["n_classes"]``)) and a dict with

    the TrainConfig fields (``model``, ``dataset``, ``latent_dim``, ``latent_distribution``,
    ``output_activation`` — 'tanh' means images in [-1, 1], 'sigmoid' in [0, 1] —,
    ``train_rows`` (the run trained on rows 0 .. train_rows − 1 of the training split), ...)
    plus ``epoch`` and ``step`` reached, and ``weights``: ``"average"`` if G holds the
    moving average of the weights (runs with ``ema_decay``, unless ``average=False``),
    else ``"last"``. Draw z with ``sample_latent(config, n, rng)``.
    """
    checkpoint = load_checkpoint(path)
    _refuse_translation_run(checkpoint)
    generator = build_generator(checkpoint.config)
    prefix = "generator/"
    if average and any(key.startswith("generator_ema/") for key in checkpoint.state):
        prefix = "generator_ema/"
    weights = {key[len(prefix):]: value for key, value in checkpoint.state.items() if key.startswith(prefix)}
    try:
        generator.load_state_dict(weights, source=f"checkpoint {checkpoint.path!r}")
    except ValueError as err:
        raise CheckpointError(str(err)) from err
    config = checkpoint.config.to_dict()
    config.update(epoch=checkpoint.epoch, step=checkpoint.step,
                  weights="average" if prefix == "generator_ema/" else "last")
    return generator, config

