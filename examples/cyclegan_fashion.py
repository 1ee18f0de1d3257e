"""CycleGAN on Fashion-MNIST: sneakers ↔ ankle boots, learnt from unpaired images.

    python examples/cyclegan_fashion.py                  # writes runs/cyclegan_fashion/
    python examples/cyclegan_fashion.py --resume         # continue after Ctrl-C, or with more --epochs

Why sneaker (7) ↔ ankle boot (9): horse ↔ zebra in miniature. Both are shoes seen from the
side, toe to the left, sole at the bottom, so most of an image (the sole, the toe, the
pose) carries over; what must change is the shape (a boot has a shaft that rises to the
top of the frame, a sneaker stops at the ankle) and the texture (laces and panels against
a plain shaft). Sandals (5) would ask for holes, a change of topology, rather than a
change of shape; shirts ↔ T-shirts differ mostly in the sleeves' length alone.

Domains: the training images of each class (6,000 each) are A and B; nothing pairs them:
an epoch is one pass over A in a shuffled order, and each step's B batch is drawn on its
own. Evaluation uses the test split (1,000 of each).

Model (``numpygan.translation``, ``numpygan.training.cyclegan``):
G_AB, G_BA: ``resnet_generator`` c7s1-16 → d32 → d64 → 3 × R64 (7×7) → u32 → u16 → c7s1-1 → tanh
(InstanceNorm + ReLU, 0.27 M parameters each); D_A, D_B: ``patchgan_discriminator`` C32 → C64-IN
→ a 7×7 map of logits (22×22 patches). LSGAN objective (a, b, c) = (0, 1, 1), λ_cyc = 10,
λ_id = 5, image pools of 50, Adam(2e-4, β₁ 0.5), batch 16.

Writes: ``epoch_NNN.png`` (after every epoch) and ``translations.png`` (at the end): rows
x | G_AB(x) | G_BA(G_AB(x)) for 8 test sneakers, then b | G_BA(b) | G_AB(G_BA(b)) for 8 test
boots; ``losses.png``; ``checkpoint.npz`` (every epoch, resumable bit for bit); and
``metrics.json``: the share of translated test images the evaluation classifier assigns
to the target class, the cycle-reconstruction L1, and the FID to the target domain's test
images (``translation_metrics``), printed too.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from numpygan.models import use_reference_layers
from numpygan.runtime import blas_threads, keep_freed_memory
from numpygan.training import TrainConfig, TrainingInterrupted, load_checkpoint, restore_trainer, save_checkpoint
from numpygan.training.builders import spawn_generators
from numpygan.training.checkpoint import CheckpointError
from numpygan.training.cyclegan import (SETTINGS_KEY, CycleDiscriminators, CycleGANTrainer, CycleGenerators,
                                        class_images, translation_metrics)
from numpygan.training.plots import save_image_grid, save_loss_plot
from numpygan.training.run_folder import RunFolder, RunFolderError
from numpygan.translation import patchgan_discriminator
from numpygan.translation.resnet_generator import resnet_generator

DEFAULT_OUT = "runs/cyclegan_fashion"
CHECKPOINT = "checkpoint.npz"
# What defines the networks and the objective: saved in the checkpoint, and a resumed run rebuilds from it.
DEFAULTS = {"class_a": 7, "class_b": 9, "filters": 16, "n_blocks": 3, "d_filters": [32, 64],
            "lambda_cycle": 10.0, "pool_size": 50}
# How a new run trains, unless the command line says otherwise (a resumed run: as its checkpoint says).
RUN_DEFAULTS = {"batch_size": 16, "seed": 0, "data_limit": None}
GRID_IMAGES = 8     # test images of each domain in the grids


def load_domains(class_a, class_b, data_limit=None):
    """``{"train_a", "train_b", "test_a", "test_b"}``: Fashion-MNIST images of the two classes in [−1, 1]."""
    from numpygan.data import load_fashion_mnist

    domains = {}
    for split in ("train", "test"):
        images, labels = load_fashion_mnist(split)
        for name, label in (("a", class_a), ("b", class_b)):
            chosen = class_images(images, labels, label)
            domains[f"{split}_{name}"] = np.ascontiguousarray(chosen[:data_limit] if split == "train" else chosen)
    return domains


def build(settings, config, images_b):
    """The trainer for ``settings`` (``DEFAULTS``' keys) and ``config``; weights drawn from ``config.seed``."""
    streams = spawn_generators(config.seed)
    g_rng, d_rng = streams["generator"], streams["discriminator"]
    shape = images_b.shape[1:]
    generators = CycleGenerators(resnet_generator(shape, settings["filters"], settings["n_blocks"], rng=g_rng),
                                 resnet_generator(shape, settings["filters"], settings["n_blocks"], rng=g_rng))
    discriminators = CycleDiscriminators(patchgan_discriminator(shape, settings["d_filters"], rng=d_rng),
                                         patchgan_discriminator(shape, settings["d_filters"], rng=d_rng))
    extra = {key: settings[key] for key in ("class_a", "class_b", "filters", "n_blocks", "d_filters")}
    return CycleGANTrainer(generators, discriminators, images_b, config, lambda_cycle=settings["lambda_cycle"],
                           pool_size=settings["pool_size"], settings=extra)


def train_config(args, run, train_rows):
    """The TrainConfig of a run: ``run`` (``RUN_DEFAULTS``' keys), the run-length flags of ``args``,
    and ``train_rows`` images of domain A."""
    return TrainConfig(model="dcgan", dataset="fashion", loss="lsgan", epochs=args.epochs, max_steps=args.max_steps,
                       quick_fid=0, n_samples=GRID_IMAGES, progress=args.progress, train_rows=train_rows, **run)


def grid_rows(trainer, domains):
    """6 rows of GRID_IMAGES: a | G_AB(a) | G_BA(G_AB(a)) | b | G_BA(b) | G_AB(G_BA(b)) (test images)."""
    return np.concatenate([trainer.cycle_rows(domains["test_a"][:GRID_IMAGES], "a_to_b"),
                           trainer.cycle_rows(domains["test_b"][:GRID_IMAGES], "b_to_a")])


class EpochOutputs:
    """Callback: after every epoch the grid, the loss plot and the checkpoint."""

    def __init__(self, out, domains, log):
        self.out, self.domains, self.log = Path(out), domains, log
        self.saved_step = None

    def on_epoch_end(self, trainer):
        save_image_grid(grid_rows(trainer, self.domains), self.out / f"epoch_{trainer.epoch:03d}.png",
                        nrow=GRID_IMAGES)
        save_loss_plot(trainer.history, self.out / "losses.png", trainer.epoch_end_steps)
        self.save(trainer)
        start = trainer.epoch_end_steps[-2] if len(trainer.epoch_end_steps) > 1 else 0
        means = {key: np.mean(values[start:]) for key, values in {**trainer.history, **trainer.parts}.items()}
        self.log(f"epoch {trainer.epoch}: L_D {means['d_loss']:.3f}  L_G {means['g_loss']:.3f} (adversarial "
                 f"{means['g_adversarial']:.3f}, cycle {means['cycle']:.4f}, identity {means['identity']:.4f})  "
                 f"D(x) {means['d_real']:.3f}  D(G(x)) {means['d_fake']:.3f}")

    def save(self, trainer):
        save_checkpoint(self.out / CHECKPOINT, trainer)
        self.saved_step = trainer.step


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python examples/cyclegan_fashion.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="passes over the sneakers (default: 4, 1,500 steps)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in total")
    parser.add_argument("--batch-size", type=int, default=None, help="images of each domain per step (default: 16)")
    parser.add_argument("--seed", type=int, default=None, help="seed of every random stream (default: 0)")
    parser.add_argument("--classes", type=int, nargs=2, default=None, metavar=("A", "B"),
                        help="the Fashion-MNIST classes of domains A and B (default: 7 9, sneaker and ankle boot)")
    parser.add_argument("--filters", type=int, default=None, help="k of the generators (default: 16)")
    parser.add_argument("--n-blocks", type=int, default=None, help="residual blocks per generator (default: 3)")
    parser.add_argument("--data-limit", type=int, default=None, help="train on the first N images of each class")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="one line per epoch only")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default: 1)")
    parser.add_argument("--reference-layers", action="store_true", help="the reference layers, not the fast twins")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--resume", action="store_true", help=f"continue from OUT/{CHECKPOINT}")
    parser.add_argument("--overwrite", action="store_true", help="start afresh even if OUT holds a checkpoint")
    parser.add_argument("--no-eval", dest="evaluate", action="store_false",
                        help="skip the test-split metrics at the end")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "seed", "threads", "filters", "n_blocks", "data_limit", "max_steps"):
        value = getattr(args, name)
        if value is not None and value < (0 if name in ("epochs", "max_steps", "seed") else 1):
            parser.error(f"--{name.replace('_', '-')}: expected an int >= "
                         f"{0 if name in ('epochs', 'max_steps', 'seed') else 1}, received {value}")
    return args


def main(argv=None, domains=None, classifier=None, log=print):
    """Train (or resume), write the pictures and checkpoint, evaluate; returns the exit code.

    ``domains`` / ``classifier`` replace the Fashion-MNIST images and the evaluation classifier (tests)."""
    args = parse_args(argv)
    out = Path(args.out)
    try:
        with RunFolder(out), blas_threads(args.threads), use_reference_layers(args.reference_layers):
            keep_freed_memory()
            return _run(args, out, domains, classifier, log)
    except (CheckpointError, FileExistsError, RunFolderError) as err:
        print(f"cyclegan_fashion: error: {err}", file=sys.stderr)
        return 1


def _run(args, out, domains, classifier, log):
    path = out / CHECKPOINT
    checkpoint = load_checkpoint(path) if args.resume else None
    if checkpoint is None and path.exists() and not args.overwrite:
        raise FileExistsError(f"{path} already exists; continue that run with --resume, start afresh with "
                              f"--overwrite, or choose another --out folder")
    settings = dict(DEFAULTS)
    run = dict(RUN_DEFAULTS)
    if checkpoint is not None:   # rebuild what the checkpoint's run built, and train it as that run did
        settings.update(json.loads(str(checkpoint.state[SETTINGS_KEY])))
        run = {key: getattr(checkpoint.config, key) for key in run}
    run.update({key: getattr(args, key) for key in run if getattr(args, key) is not None})
    typed = {"filters": args.filters, "n_blocks": args.n_blocks}
    if args.classes:
        typed.update(class_a=args.classes[0], class_b=args.classes[1])
    settings.update({key: value for key, value in typed.items() if value is not None})
    if domains is None:
        domains = load_domains(settings["class_a"], settings["class_b"], run["data_limit"])
    config = train_config(args, run, len(domains["train_a"]))
    trainer = build(settings, config, domains["train_b"])
    outputs = EpochOutputs(out, domains, log)
    if checkpoint is not None:
        restore_trainer(trainer, checkpoint)
        outputs.saved_step = trainer.step
    per_epoch = trainer.steps_per_epoch(len(domains["train_a"]))
    log(f"CycleGAN, Fashion-MNIST class {settings['class_a']} ↔ {settings['class_b']}: "
        f"{len(domains['train_a'])} + {len(domains['train_b'])} images, {per_epoch} steps per epoch "
        f"(batch {config.batch_size}), {config.epochs} epochs"
        + (f"; resuming at epoch {trainer.epoch} step {trainer.step}" if checkpoint is not None else "")
        + f" -> {out}/")
    try:
        trainer.fit(domains["train_a"], callbacks=[outputs])
    except TrainingInterrupted as interruption:
        outputs.save(trainer)
        log(f"Interrupted ({interruption.reason}): saved step {trainer.step} to {path}\n"
            f"Resume with: python examples/cyclegan_fashion.py --out {out} --resume")
        return 130
    if outputs.saved_step != trainer.step:
        outputs.save(trainer)
    save_image_grid(grid_rows(trainer, domains), out / "translations.png", nrow=GRID_IMAGES)
    log(f"done: {trainer.epoch} epochs, {trainer.step} steps, {trainer.train_seconds:.0f} s training "
        f"({1000 * trainer.train_seconds / max(trainer.step, 1):.0f} ms/step); grid in {out / 'translations.png'}")
    if args.evaluate:
        evaluate(trainer, domains, settings, out, classifier, log)
    return 0


def evaluate(trainer, domains, settings, out, classifier, log):
    """The test-split metrics (``translation_metrics``), printed and written to OUT/metrics.json."""
    if classifier is None:
        from numpygan.metrics import load_classifier
        try:
            classifier = load_classifier("fashion")
        except FileNotFoundError as err:
            log(f"no metrics: {err}")
            return None
    metrics = translation_metrics(trainer, domains["test_a"], domains["test_b"], settings["class_a"],
                                  settings["class_b"], classifier)
    metrics["step"] = trainer.step
    for direction, m in metrics.items():
        if isinstance(m, dict):
            log(f"{direction}: {100 * m['target_share']:.1f} % of {m['n']} translated test images classified as "
                f"the target class (untranslated: {100 * m['source_share_as_target']:.1f} %), cycle L1 "
                f"{m['cycle_l1']:.4f}, FID to the target's test images {m['fid']:.1f} "
                f"(untranslated: {m['fid_untranslated']:.1f})")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


if __name__ == "__main__":
    sys.exit(main())
