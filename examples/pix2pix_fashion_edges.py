"""pix2pix on Fashion-MNIST: draw the item from its edge map (edges2shoes in miniature).

    python examples/pix2pix_fashion_edges.py                 # pix2pix: writes runs/pix2pix_fashion_edges/
    python examples/pix2pix_fashion_edges.py --l1-only       # the L1-only baseline: runs/pix2pix_fashion_edges_l1/
    python examples/pix2pix_fashion_edges.py --resume        # continue an interrupted run
    python examples/pix2pix_fashion_edges.py --evaluate-only --compare runs/pix2pix_fashion_edges_l1

Task: the input is the item's edge map, a thresholded Sobel magnitude (numpygan.data.edges:
|∇I| > 1.0 on [0, 1] images); the target is the item. Train on the 60,000 training pairs,
evaluate on the 10,000 test pairs.
G: the U-Net of numpygan.translation.unet_generator (32 filters: 28×28×32 → 14×14×64 → 7×7×128, one
residual block at 7×7, skips at 14×14 and 28×28, instance normalisation, tanh).
D: a PatchGAN on (edges, image) pairs, Conv 64 → Conv 128 → a 7×7 map of logits (22×22-pixel patches).
L_G = BCE(D(x, G(x)), 1) + λ·mean|G(x) − y|, λ = 100; Adam(2e-4, β₁ 0.5), batch 32, 1 epoch
(1,875 steps). --l1-only trains the same G on λ·L1 alone.

After training, on the test split (pixels in [0, 1]): the L1 distance and SSIM (Gaussian window
σ 1.5) to the true item, the evaluation classifier's accuracy on the outputs against the true
class, and the classifier FID of the outputs against the test images, next to the FID of 10,000
real training images (the floor). Written to OUT/metrics.json and printed.
Pictures: OUT/epoch_NNN.png and OUT/samples.png, lines of input | output | truth for 24 test
items (two per line); with --compare OTHER_RUN, OUT/comparison.png: input | this run | other | truth.
Checkpoints: OUT/checkpoint.npz after each epoch and every --checkpoint-steps steps; Ctrl-C saves one.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from numpygan.data import DatasetUnavailableError, load_fashion_mnist
from numpygan.data.edges import load_fashion_edges
from numpygan.metrics import load_classifier
from numpygan.metrics.frechet import fid_from_features
from numpygan.metrics.ssim import ssim
from numpygan.runtime import blas_threads, keep_freed_memory
from numpygan.training import CheckpointError, NonFiniteLossError, TrainConfig, TrainingInterrupted
from numpygan.training.checkpoint import load_checkpoint, restore_trainer
from numpygan.training.pix2pix import L1_WEIGHT, Pix2PixTrainer, save_translation_grid, saved_settings
from numpygan.training.run import CHECKPOINT_NAME, RunOutputs
from numpygan.training.run_folder import RunFolder, RunFolderError
from numpygan.translation import patchgan_discriminator, unet_generator

DEFAULT_OUT = "runs/pix2pix_fashion_edges"
PREVIEW = 24          # test items in the grids
VALUE_RANGE = (-1.0, 1.0)


def build_models(architecture, seed):
    """G and D from the architecture dict saved in the checkpoints (``Pix2PixTrainer.architecture``)."""
    rng = np.random.default_rng(seed)
    G = unet_generator((28, 28, 1), 1, filters=architecture["filters"], residual_blocks=architecture["residual_blocks"],
                       norm=architecture["norm"], rng=np.random.default_rng(rng.integers(2 ** 63)))
    D = patchgan_discriminator((28, 28, 2), filters=tuple(architecture["d_filters"]), norm=architecture["norm"],
                               rng=np.random.default_rng(rng.integers(2 ** 63)))
    return G, D


class Pix2PixOutputs(RunOutputs):
    """The run folder's pictures and checkpoints (``RunOutputs``), with grids of input | output | truth."""

    def __init__(self, out, preview, every_steps, log=print):
        super().__init__(out, log)
        self.preview = preview            # (test inputs, test targets)
        self.every_steps = every_steps

    def grid(self, trainer, path):
        x, y = self.preview
        save_translation_grid(path, [x, trainer.translate(x), y], VALUE_RANGE, per_row=2)

    def on_step_end(self, trainer, metrics):
        if self.every_steps and trainer.step % self.every_steps == 0:
            self.save_checkpoint(trainer)

    def on_epoch_end(self, trainer):
        super().on_epoch_end(trainer)
        self.grid(trainer, self.epoch_grid_path(trainer.epoch))   # over RunOutputs' outputs-only grid

    def finish(self, trainer):
        super().finish(trainer)
        self.grid(trainer, self.out / "samples.png")


def evaluate(trainer, edges, images, labels, log=print):
    """The test metrics of ``trainer``'s G: L1, SSIM, classifier accuracy and FID (images in [0, 1])."""
    start = time.perf_counter()
    outputs = (trainer.translate(edges) + 1.0) / 2.0
    truth = (images + 1.0) / 2.0
    result = {"test_images": len(edges), "l1": float(np.abs(outputs - truth).mean()),
              "ssim": float(ssim(outputs, truth).mean())}
    try:
        classifier = load_classifier("fashion")
    except FileNotFoundError as err:
        log(f"no classifier accuracy or FID: {err}")
        return result
    out_logits, out_features = classifier.logits_and_features(outputs)
    _, true_features = classifier.logits_and_features(truth)
    train_images, _ = load_fashion_mnist("train", value_range=(0, 1), verbose=False)
    result.update(
        classifier_accuracy=float(np.mean(out_logits.argmax(axis=1) == labels)),
        classifier_accuracy_on_truth=classifier.accuracy(truth, labels),
        fid=fid_from_features(out_features, true_features),
        fid_real_train_vs_test=fid_from_features(classifier.features(train_images[:len(truth)]), true_features),
    )
    result["evaluation_seconds"] = time.perf_counter() - start
    return result


def load_translator(path):
    """A trainer holding the G of the checkpoint at ``path`` (for --compare)."""
    checkpoint = load_checkpoint(path)
    settings = saved_settings(checkpoint.state, f"checkpoint {path!r}")
    trainer = build_trainer(checkpoint.config, settings["l1_weight"], settings["adversarial"],
                            settings["architecture"])
    return restore_trainer(trainer, checkpoint)


def new_run_settings(args):
    """``(config, l1_weight, adversarial, architecture)`` of a new run from the parsed command line."""
    config = TrainConfig(model="dcgan", dataset="fashion", batch_size=args.batch_size, lr_g=args.lr,
                         lr_d=args.lr, beta_1=0.5, epochs=args.epochs or 1, max_steps=args.max_steps,
                         seed=args.seed, data_limit=args.limit, quick_fid=0,
                         progress=args.progress is not False)
    architecture = {"filters": args.filters, "residual_blocks": args.residual_blocks, "norm": "instance",
                    "d_filters": [64, 128]}
    return config, args.l1_weight, not args.l1_only, architecture


def build_trainer(config, l1_weight, adversarial, architecture):
    """The Pix2PixTrainer of these settings, its G and D drawn from ``config.seed``."""
    G, D = build_models(architecture, config.seed)
    return Pix2PixTrainer(G, D, config, l1_weight=l1_weight, adversarial=adversarial, architecture=architecture)


def run(args, log=print):
    out = Path(args.out or (DEFAULT_OUT + ("_l1" if args.l1_only else "")))
    resume = args.resume
    checkpoint = None
    with RunFolder(out):
        checkpoint_path = out / CHECKPOINT_NAME
        if resume or args.evaluate_only:
            checkpoint = load_checkpoint(checkpoint_path if resume in (None, True) else resume)
            settings = saved_settings(checkpoint.state, f"checkpoint {str(checkpoint.path)!r}")
            config = checkpoint.config.replace(**{k: v for k, v in dict(
                epochs=args.epochs, max_steps=args.max_steps, progress=args.progress).items() if v is not None})
            l1_weight, adversarial = settings["l1_weight"], settings["adversarial"]
            architecture = settings["architecture"]
        else:
            if checkpoint_path.exists() and not args.overwrite:
                raise FileExistsError(f"{checkpoint_path} already exists; continue that run with --resume, start "
                                      f"afresh with --overwrite, or choose another --out folder")
            config, l1_weight, adversarial, architecture = new_run_settings(args)
        edges, images, _ = load_fashion_edges("train", VALUE_RANGE, limit=config.data_limit)
        config = config.replace(train_rows=len(edges))
        test_edges, test_images, test_labels = load_fashion_edges("test", VALUE_RANGE, verbose=False)
        if args.test_limit:
            test_edges, test_images, test_labels = (a[:args.test_limit] for a in (test_edges, test_images, test_labels))
        trainer = build_trainer(config, l1_weight, adversarial, architecture)
        trainer.fixed_inputs = test_edges[:PREVIEW]
        outputs = Pix2PixOutputs(out, (test_edges[:PREVIEW], test_images[:PREVIEW]), args.checkpoint_steps, log)
        if checkpoint is not None:
            restore_trainer(trainer, checkpoint)
            outputs.saved_step = trainer.step
        what = "pix2pix (adversarial + λ·L1)" if adversarial else "the L1-only baseline"
        if not args.evaluate_only:
            log(f"{what}, λ = {l1_weight:g}, on {len(edges)} Fashion-MNIST edge/item pairs: "
                f"{trainer.steps_per_epoch(len(edges))} steps per epoch (batch {config.batch_size}), "
                f"{config.epochs} epochs" + (f"; resuming at step {trainer.step}" if checkpoint is not None else "")
                + f" -> {out}/")
            try:
                trainer.fit(edges, y=images, callbacks=[outputs])
            except TrainingInterrupted as interruption:
                outputs.finish(trainer)
                log(f"Interrupted ({interruption.reason}): saved step {trainer.step} to {outputs.last_checkpoint}\n"
                    f"Resume with: python {sys.argv[0]} --out {out} --resume")
                return 130   # 128 + SIGINT
            outputs.finish(trainer)
            log(f"done: {trainer.step} steps, {1000 * trainer.train_seconds / max(trainer.step, 1):.0f} ms/step "
                f"({trainer.train_seconds / 60:.1f} min training)")
        metrics = evaluate(trainer, test_edges, test_images, test_labels, log)
        metrics.update(run=what, step=trainer.step, epoch=trainer.epoch, train_minutes=trainer.train_seconds / 60,
                       l1_weight=l1_weight, adversarial=adversarial)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
        log("test split: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in sorted(metrics.items())))
        if args.compare:
            other = load_translator(Path(args.compare) / CHECKPOINT_NAME
                                    if Path(args.compare).is_dir() else args.compare)
            x, y = test_edges[:PREVIEW], test_images[:PREVIEW]
            save_translation_grid(out / "comparison.png", [x, trainer.translate(x), other.translate(x), y],
                                  VALUE_RANGE, per_row=2)
            log(f"comparison grid (input | this run | {args.compare} | truth): {out / 'comparison.png'}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog=f"python {Path(sys.argv[0]).as_posix()}",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--l1-only", action="store_true", help="the baseline: G trained on λ·L1 alone, no D")
    parser.add_argument("--epochs", type=int, default=None, help="epochs over the 60,000 pairs (default 1)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in total")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam's learning rate, G and D")
    parser.add_argument("--l1-weight", type=float, default=L1_WEIGHT, help="λ, the weight of the L1 term")
    parser.add_argument("--filters", type=int, default=32, help="G's filters at 28×28 (doubled per level)")
    parser.add_argument("--residual-blocks", type=int, default=1, help="residual blocks at G's 7×7 bottleneck")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="train on the first LIMIT pairs only")
    parser.add_argument("--test-limit", type=int, default=None,
                        help="evaluate on the first TEST_LIMIT test pairs only (FID needs more than 128)")
    parser.add_argument("--checkpoint-steps", type=int, default=250, help="also save every N steps (0: off)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None)
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (default: $OPENBLAS_NUM_THREADS if set, else 1)")
    parser.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}, or ..._l1 with --l1-only)")
    parser.add_argument("--resume", nargs="?", const=True, default=None, metavar="CHECKPOINT",
                        help="continue the run in --out (or from CHECKPOINT)")
    parser.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    parser.add_argument("--evaluate-only", action="store_true", help="evaluate the checkpoint in --out, no training")
    parser.add_argument("--compare", default=None, metavar="RUN",
                        help="another run's folder or checkpoint: also write comparison.png")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    threads = args.threads
    if threads is None and not os.environ.get("OPENBLAS_NUM_THREADS"):
        threads = 1
    keep_freed_memory()
    try:
        with blas_threads(threads):
            return run(args)
    except (CheckpointError, FileExistsError, FileNotFoundError, NonFiniteLossError, DatasetUnavailableError,
            RunFolderError, ValueError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
