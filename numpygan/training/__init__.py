"""Training GANs: the trainer, the objectives, checkpoints, pictures, and complete runs.

::

    from numpygan.training import TrainConfig, train
    result = train(TrainConfig(epochs=5), "runs/mlp_mnist")   # MNIST, MLP GAN, pictures + checkpoints

    from numpygan.training import GANTrainer, build_gan
    config = TrainConfig(dataset="arrays", batch_size=32)
    G, D = build_gan(config)
    trainer = GANTrainer(G, D, config)
    trainer.fit(images)                                        # float32 (N, 28, 28, 1)

    from numpygan.training import load_generator, sample_latent
    G, config = load_generator("runs/mlp_mnist/checkpoint.npz")
    images = G.forward(sample_latent(config, 64, rng=0))      # in [-1, 1] if config["output_activation"] == "tanh"
"""

from .builders import build_discriminator, build_gan, build_generator, spawn_generators
from .checkpoint import (Checkpoint, CheckpointError, load_checkpoint, load_generator, load_trainer,
                         restore_trainer, save_checkpoint)
from .conditional import ConditionalGANTrainer
from .config import PRESETS, TrainConfig, preset, preset_for
from .data import HOLDOUT_ROWS, load_training_images, select_rows
from .gan_losses import BCEObjective, GANObjective, LSGANObjective, MinimaxObjective, get_objective
from .latent import sample_latent
from .pix2pix import Pix2PixTrainer
from .plots import image_grid, save_image_grid, save_loss_plot, save_progress_gif
from .quick_fid import QuickFID
from .run import RunResult, train
from .stargan import StarGANTrainer
from .trainer import HISTORY_KEYS, GANTrainer, NonFiniteLossError, TrainingInterrupted

__all__ = [
    "GANTrainer", "ConditionalGANTrainer", "TrainConfig", "PRESETS", "preset", "preset_for", "train", "RunResult",
    "NonFiniteLossError", "TrainingInterrupted", "HISTORY_KEYS",
    "GANObjective", "BCEObjective", "MinimaxObjective", "LSGANObjective", "get_objective",
    "sample_latent", "build_gan", "build_generator", "build_discriminator", "spawn_generators",
    "save_checkpoint", "load_checkpoint", "load_generator", "load_trainer", "restore_trainer",
    "Checkpoint", "CheckpointError",
    "image_grid", "save_image_grid", "save_loss_plot", "save_progress_gif",
    "load_training_images", "select_rows", "HOLDOUT_ROWS", "QuickFID",
    # image-to-image translation (their metrics: from training.pix2pix, .cyclegan, .stargan)
    "Pix2PixTrainer", "StarGANTrainer",
]
