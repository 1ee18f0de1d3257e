"""A complete run in an output folder: data, models, training, pictures, checkpoints, resumption.

``train(config, out)`` writes into ``out``:

``epoch_001.png`` ...   the fixed-noise sample grid after each epoch
``samples.png``         the grid at the end of the run
``losses.png``          D and G losses, D(x) and D(G(z)) over training, and the quick FID after each
                        epoch (``quick_fid.py``, when the evaluation classifier is cached) (redrawn every epoch)
``progress.gif``        the epoch grids as an animation
``checkpoint.npz``      the latest checkpoint (every ``checkpoint_every`` epochs and at the end);
                        ``checkpoint_epoch_NNN.npz`` too with ``keep_checkpoints``
``.numpygan.lock``      the lock a run holds on the folder (``run_folder.RunFolder``)
"""

import dataclasses
import os
import time
from pathlib import Path
from typing import Optional

from .builders import build_gan
from .checkpoint import CheckpointError, load_checkpoint, optimizer_changes, restore_trainer, save_checkpoint
from .conditional import trainer_for
from .data import load_training_images, load_training_labels, select_rows
from .plots import save_image_grid, save_loss_plot, save_progress_gif
from .quick_fid import NAME as QUICK_FID, quick_fid_for
from .run_folder import RunFolder, RunFolderError
from .trainer import GANTrainer, NonFiniteLossError, TrainingInterrupted

CHECKPOINT_NAME = "checkpoint.npz"


class RunSetupError(ValueError):
    """The run cannot start as asked (e.g. fewer training images than one step needs)."""


@dataclasses.dataclass
class RunResult:
    """What a run did: where it wrote, how far it got, why it stopped, how long it took."""

    out: str
    checkpoint: Optional[str]
    epoch: int
    step: int
    stopped: str            # "epochs", "max_steps" or "interrupted"
    train_seconds: float    # time inside training steps, over the whole run (resumptions included)
    wall_seconds: float     # this invocation, data loading and pictures included
    trainer: GANTrainer = dataclasses.field(repr=False)

    @property
    def ms_per_step(self):
        return 1000.0 * self.train_seconds / self.step if self.step else float("nan")


class RunOutputs:
    """Trainer callback writing the epoch grids, the loss plot and checkpoints into ``out``."""

    def __init__(self, out, log=print):
        self.out = Path(out)
        self.log = log
        self.last_checkpoint = None
        self.saved_step = None    # the step held by checkpoint.npz, if this run wrote or resumed it
        self.plotted_step = None  # the step losses.png shows

    @property
    def checkpoint_path(self):
        return self.out / CHECKPOINT_NAME

    def epoch_grid_path(self, epoch):
        return self.out / f"epoch_{epoch:03d}.png"

    def on_epoch_end(self, trainer):
        config = trainer.config
        save_image_grid(trainer.generate(), self.epoch_grid_path(trainer.epoch), value_range=config.value_range)
        self.plot_losses(trainer)
        if config.checkpoint_every and trainer.epoch % config.checkpoint_every == 0:
            self.save_checkpoint(trainer)
            if config.keep_checkpoints:
                save_checkpoint(self.out / f"checkpoint_epoch_{trainer.epoch:03d}.npz", trainer)
        if not config.progress:
            start = trainer.epoch_end_steps[-2] if len(trainer.epoch_end_steps) > 1 else 0
            means = {key: sum(values[start:]) / max(1, len(values[start:])) for key, values in trainer.history.items()}
            fid = trainer.evaluations.get(QUICK_FID, [])
            self.log(f"epoch {trainer.epoch}/{config.epochs}: d_loss {means['d_loss']:.3f}  "
                     f"g_loss {means['g_loss']:.3f}  "
                     f"D(x) {means['d_real']:.3f}  D(G(z)) {means['d_fake']:.3f}"
                     + (f"  quick FID {fid[-1][1]:.2f}" if fid and fid[-1][0] == trainer.step else ""))

    def plot_losses(self, trainer):
        save_loss_plot(trainer.history, self.out / "losses.png", trainer.epoch_end_steps,
                       evaluations=trainer.evaluations)
        self.plotted_step = trainer.step

    def save_checkpoint(self, trainer):
        self.last_checkpoint = save_checkpoint(self.checkpoint_path, trainer)
        self.saved_step = trainer.step
        return self.last_checkpoint

    def finish(self, trainer):
        """Final pictures and checkpoint (skipped if the latest one already holds this step)."""
        config = trainer.config
        if self.saved_step != trainer.step:
            self.save_checkpoint(trainer)
        save_image_grid(trainer.generate(), self.out / "samples.png", value_range=config.value_range)
        if trainer.history["d_loss"] and self.plotted_step != trainer.step:
            self.plot_losses(trainer)
        frames = [self.epoch_grid_path(e) for e in range(1, trainer.epoch + 1) if self.epoch_grid_path(e).exists()]
        if frames:
            save_progress_gif(frames, self.out / "progress.gif")


def train(config, out, resume=None, images=None, overwrite=False, log=print, resume_hint=None, callbacks=(),
          labels=None):
    """Run ``config`` (a TrainConfig), writing pictures and checkpoints into ``out``.

    ``resume``: None (a new run), True (continue from ``out/checkpoint.npz``) or a
    checkpoint path. The checkpoint's settings must equal ``config``'s except the
    run-length ones (``epochs``, ``max_steps``, ...), with which the run continues bit
    for bit, and the optimizer's (``lr_g``, ``lr_d``, ``beta_1``, ``beta_2``), which
    apply from the next update (the change is logged).
    ``images``: training images (N, 28, 28, 1) in ``config.value_range``, instead of
    loading ``config.dataset`` (use ``dataset="arrays"`` for these); ``labels``: their class labels
    (N,), for a conditional model (``cgan-*``, trained with ``ConditionalGANTrainer``).
    ``out`` is checked, created and locked first (``RunFolder``: RunFolderError if it is
    unusable or another run is writing into it). A run refuses to replace a checkpoint
    in ``out`` that is not the one it resumes, unless ``overwrite``.
    ``callbacks``: more trainer callbacks (``on_step_end``, ``on_epoch_end``), run after the outputs'.
    With ``config.quick_fid`` (and a cached classifier) the quick FID runs first after each
    epoch, so the epoch's pictures and checkpoint include it.

    Returns a RunResult. Ctrl-C or SIGTERM saves a checkpoint of the last completed step and
    returns with ``stopped == "interrupted"``; a NaN/inf loss, or NaN/inf weights or optimizer
    state at a save, raises NonFiniteLossError and leaves the last good checkpoint in place.
    """
    wall_start = time.perf_counter()
    out = Path(out)
    with RunFolder(out) as folder:
        if folder.removed:
            log(f"removed {len(folder.removed)} temporary files left in {out}/ by an interrupted save")
        return _train_in(config, out, resume, images, labels, overwrite, log, resume_hint, callbacks, wall_start)


def _train_in(config, out, resume, images, labels, overwrite, log, resume_hint, callbacks, wall_start):
    """``train`` once ``out`` is locked."""
    outputs = RunOutputs(out, log)
    checkpoint = None
    if resume:
        checkpoint = load_checkpoint(outputs.checkpoint_path if resume is True else resume)
    resumes_own = checkpoint is not None and _same_file(checkpoint.path, outputs.checkpoint_path)
    if outputs.checkpoint_path.exists() and not resumes_own and not overwrite:
        if checkpoint is None:
            raise FileExistsError(f"{outputs.checkpoint_path} already exists; continue that run with --resume, "
                                  f"start afresh with --overwrite, or choose another --out folder")
        raise FileExistsError(f"{outputs.checkpoint_path} holds another run; resuming {checkpoint.path} into "
                              f"{out} would overwrite it and mix both runs' pictures. Choose another --out "
                              f"folder, or --overwrite to replace that run")
    if config.conditional and (images is None) != (labels is None):
        raise RunSetupError(f"model {config.model!r} trains on images with labels: give both 'images' and "
                            f"'labels', or neither (to load {config.dataset!r})")
    if images is None:
        images = load_training_images(config)
        labels = load_training_labels(config) if config.conditional else None
    else:
        images = select_rows(images, config)
        labels = select_rows(labels, config) if labels is not None else None
    config = config.replace(train_rows=len(images))
    generator, discriminator = build_gan(config)
    trainer = trainer_for(generator, discriminator, config)
    per_epoch = trainer.steps_per_epoch(len(images))
    if per_epoch == 0:
        raise RunSetupError(f"--batch-size {config.batch_size} is too large: the training data has {len(images)} "
                            f"images, fewer than one step needs (k · batch = {config.k} · {config.d_batch_size} "
                            f"= {config.k * config.d_batch_size})")
    if checkpoint is not None:
        restore_trainer(trainer, checkpoint)
        for key, (saved, requested) in sorted(optimizer_changes(checkpoint, config).items()):
            log(f"resuming with {key} = {requested} (the checkpoint's run used {saved})")
        if resumes_own:
            outputs.saved_step = trainer.step
    log(f"{config.model} GAN on {config.dataset}: {len(images)} images, {per_epoch} steps per epoch "
        f"(batch {config.batch_size}, k={config.k}), {config.epochs} epochs"
        + (f", at most {config.max_steps} steps" if config.max_steps is not None else "")
        + (f"; resuming at epoch {trainer.epoch} step {trainer.step}" if checkpoint is not None else "")
        + f" -> {out}/")
    quick_fid = quick_fid_for(config, log)
    if quick_fid is not None and not quick_fid.prepare():  # no classifier: a one-line note, then off
        quick_fid = None
    try:
        stopped = trainer.fit(images, callbacks=[*([quick_fid] if quick_fid else []), outputs, *callbacks],
                              **({"y": labels} if config.conditional else {}))
    except TrainingInterrupted as interruption:
        outputs.finish(trainer)
        hint = resume_hint or "--resume"
        log(f"Interrupted ({interruption.reason}): saved epoch {trainer.epoch} + {trainer.position} steps "
            f"(step {trainer.step}) to {outputs.last_checkpoint}\nResume with: {hint}")
        stopped = "interrupted"
    except KeyboardInterrupt:
        # a second Ctrl-C, in the middle of a step: the state in memory is half-updated, so it is not saved
        where = (f"the last checkpoint, {outputs.checkpoint_path}, is intact"
                 if outputs.checkpoint_path.exists() else "no checkpoint had been written yet")
        log(f"Aborted in the middle of step {trainer.step + 1}; nothing saved, {where}.")
        raise
    except NonFiniteLossError as err:
        where = (f"the last good checkpoint, {outputs.checkpoint_path}, is untouched"
                 if outputs.checkpoint_path.exists() else "no checkpoint had been written yet")
        raise type(err)(f"{err}\nStopped; {where}.") from None
    else:
        outputs.finish(trainer)
    latest = outputs.last_checkpoint or (str(checkpoint.path) if checkpoint else None)
    result = RunResult(out=str(out), checkpoint=latest,
                       epoch=trainer.epoch, step=trainer.step, stopped=stopped,
                       train_seconds=trainer.train_seconds, wall_seconds=time.perf_counter() - wall_start,
                       trainer=trainer)
    if stopped != "interrupted":
        speed = (f"{result.ms_per_step:.1f} ms/step ({result.train_seconds:.0f} s training, "
                 if result.step else "no training step (")
        log(f"done: {result.epoch} epochs, {result.step} steps, {speed}{result.wall_seconds:.0f} s this run); "
            f"samples in {out / 'samples.png'}")
    return result


def _same_file(a, b):
    """Whether paths ``a`` and ``b`` name the same file (both existing), or the same absolute path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


__all__ = ["train", "RunResult", "RunOutputs", "RunSetupError", "RunFolderError", "CHECKPOINT_NAME", "CheckpointError"]
