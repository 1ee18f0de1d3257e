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

Files are written atomically (``numpygan.io.save_npz_atomic``): a crash while
saving leaves the previous checkpoint intact.
"""

import os

import numpy as np

from ..io import load_npz, save_npz_atomic
from .builders import build_gan, build_generator
from .config import TrainConfig

FORMAT = "numpygan-gan-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, from another format, or does not match the run."""


class Checkpoint:
    """A loaded checkpoint: ``path``, ``config`` (TrainConfig), ``epoch``, ``step`` and the trainer ``state``."""

    def __init__(self, path, config, state):
        self.path, self.config, self.state = os.fspath(path), config, state
        self.epoch, self.step = int(state["epoch"]), int(state["step"])

    def __repr__(self):
        return f"Checkpoint({self.path!r}, model={self.config.model!r}, epoch={self.epoch}, step={self.step})"


def save_checkpoint(path, trainer):
    """Write ``trainer``'s complete state and config to ``path`` atomically; return the path."""
    arrays = {"format": np.array(FORMAT), "config": np.array(trainer.config.to_json())}
    arrays.update(trainer.state_dict())
    save_npz_atomic(path, arrays)
    return os.fspath(path)


def load_checkpoint(path):
    """Read and check a checkpoint written by ``save_checkpoint``.

    Raises ``CheckpointError`` (a ValueError) naming the file if it is truncated,
    corrupt, not a numpygan GAN checkpoint, or holds an invalid config, and
    FileNotFoundError if it does not exist.
    """
    path = os.fspath(path)
    try:
        arrays = load_npz(path, what="checkpoint")
    except ValueError as err:
        raise CheckpointError(str(err)) from err
    if "format" not in arrays or "config" not in arrays:
        raise CheckpointError(f"checkpoint {path!r} is not a numpygan GAN checkpoint (no 'format'/'config' "
                              f"entries; a weights-only file from Sequential.save_weights cannot resume a run)")
    found = str(arrays.pop("format"))
    if found != FORMAT:
        raise CheckpointError(f"checkpoint {path!r} has format {found!r}; this version reads {FORMAT!r}")
    try:
        config = TrainConfig.from_json(str(arrays.pop("config")))
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"checkpoint {path!r} holds an invalid run configuration: {err}") from err
    for key in ("epoch", "step", "position"):
        if key not in arrays or arrays[key].shape != () or arrays[key].dtype.kind not in "iu":
            raise CheckpointError(f"checkpoint {path!r} lacks a valid {key!r} counter; it is damaged or "
                                  f"was not written by numpygan.training")
    return Checkpoint(path, config, arrays)


def restore_trainer(trainer, checkpoint):
    """Load ``checkpoint`` (a Checkpoint or a path) into ``trainer``, refusing a mismatched one."""
    if not isinstance(checkpoint, Checkpoint):
        checkpoint = load_checkpoint(checkpoint)
    differences = checkpoint.config.differences(trainer.config)
    if differences:
        raise CheckpointError(mismatch_message(checkpoint.path, differences))
    try:
        trainer.load_state_dict(checkpoint.state, source=f"checkpoint {checkpoint.path!r}")
    except ValueError as err:
        raise CheckpointError(str(err)) from err
    return trainer


def mismatch_message(path, differences):
    """Explain which settings of a run differ from the checkpoint it tries to resume."""
    lines = [f"checkpoint {path!r} was written by a run with other settings:"]
    lines += [f"  {key}: checkpoint has {saved!r}, this run has {requested!r}"
              for key, (saved, requested) in sorted(differences.items())]
    lines.append("Resume without changing these settings, or start a new run in another --out folder.")
    return "\n".join(lines)


def load_trainer(path):
    """A GANTrainer rebuilt from a checkpoint's config, with its complete state restored."""
    from .trainer import GANTrainer

    checkpoint = load_checkpoint(path)
    generator, discriminator = build_gan(checkpoint.config)
    return restore_trainer(GANTrainer(generator, discriminator, checkpoint.config), checkpoint)


def load_generator(path, average=True):
    """``(generator, config)`` from a checkpoint: a Sequential in float32 and a dict with

    the TrainConfig fields (``model``, ``dataset``, ``latent_dim``, ``latent_distribution``,
    ``output_activation`` — 'tanh' means images in [-1, 1], 'sigmoid' in [0, 1] —,
    ``train_rows`` (the run trained on rows 0 .. train_rows − 1 of the training split), ...)
    plus ``epoch`` and ``step`` reached, and ``weights``: ``"average"`` if G holds the
    moving average of the weights (runs with ``ema_decay``, unless ``average=False``),
    else ``"last"``. Draw z with ``sample_latent(config, n, rng)``.
    """
    checkpoint = load_checkpoint(path)
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

