"""StarGAN on Fashion-MNIST footwear: one generator translates any shoe into a sandal, a sneaker or an ankle boot.

    python examples/stargan_fashion.py                  # writes runs/stargan_fashion/
    python examples/stargan_fashion.py --resume         # continue (or, once finished, evaluate again)

The task. Fashion-MNIST's three footwear classes are the domains: sandal (class 5),
sneaker (7) and ankle boot (9). They are alike in kind (a shoe seen from the side,
toe to the left) and differ in shape — open straps, a low closed shoe, a high shaft —
so a translation must change the shape and keep the rest (size, position, shade).
The cached Fashion evaluation classifier (``numpygan.metrics``, trained on real
images only) measures the target-domain accuracy directly: a translation into
"ankle boot" counts if the classifier says class 9. (MNIST style domains, made by
thickening or slanting strokes, would need a domain classifier of their own.)

Model (``numpygan.translation.stargan``, scaled down from the paper for 28×28 and a CPU):
G(x, c): [x | one-hot c repeated over the image] → Conv 7×7 16 → Conv 4×4 s2 32 → Conv 4×4 s2 64
→ 3 residual blocks → ConvT 32 → ConvT 16 → Conv 7×7 1 → tanh, InstanceNorm + ReLU between.
D(x): Conv 4×4 s2 32 / 64 / 128 with LeakyReLU(0.01) → D_src, a 4×4 map of real/fake
logits, and D_cls, 3 domain logits.
Losses (``numpygan.training.stargan``): L_D = L_adv + λ_cls·CE(D_cls(x), c);
L_G = L_adv + λ_cls·CE(D_cls(G(x, c')), c') + λ_rec·|x − G(G(x, c'), c)|, λ_cls = 1,
λ_rec = 10 as in the paper; the adversarial loss is LSGAN's (the paper's WGAN-GP needs
double backprop). Adam lr 1e-4, β = (0.5, 0.999), batch 16, as in the paper; 2 epochs
(18,000 training images: 2,250 steps).

Writes ``epoch_NNN.png`` (4 test images, each row: input, then to sandal | sneaker | boot),
``translations.png`` (12 test images, 4 from each domain, the same columns), ``losses.png``,
``checkpoint.npz`` (every epoch; ``--resume`` continues bit for bit) and ``metrics.json``:
on the 3,000 test images of the three classes, each translated into both other domains,
the target-domain accuracy (per target and overall) and the reconstruction L1; and each
translated into its own domain, its L1 to itself and to another image of that domain.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from numpygan.data import load_fashion_mnist
from numpygan.runtime import blas_threads
from numpygan.training import TrainConfig, save_image_grid, spawn_generators
from numpygan.training.checkpoint import CheckpointError, load_checkpoint, optimizer_changes, restore_trainer
from numpygan.training.run import CHECKPOINT_NAME, RunOutputs
from numpygan.training.run_folder import RunFolder
from numpygan.training.stargan import PART_KEYS, StarGANTrainer, translation_metrics
from numpygan.training.trainer import TrainingInterrupted
from numpygan.translation import StarGANDiscriminator, StarGANGenerator

CLASSES = (5, 7, 9)
"""Fashion-MNIST classes of the domains 0, 1, 2."""
DOMAIN_NAMES = ("sandal", "sneaker", "ankle boot")


def load_domains(split):
    """The footwear images of ``split`` in [-1, 1] and their domains 0, 1, 2 (``x[y == c]`` per class)."""
    x, y = load_fashion_mnist(split)
    keep = np.isin(y, CLASSES)
    return x[keep], np.searchsorted(CLASSES, y[keep])


def fixed_inputs(x, domains, per_domain):
    """The first ``per_domain`` images of each domain, domain after domain."""
    return np.concatenate([x[domains == d][:per_domain] for d in range(len(CLASSES))])


def build_trainer(config, fixed_images):
    streams = spawn_generators(config.seed)
    G = StarGANGenerator((28, 28, 1), len(CLASSES), rng=streams["generator"])
    D = StarGANDiscriminator((28, 28, 1), len(CLASSES), rng=streams["discriminator"])
    return StarGANTrainer(G, D, config, lambda_cls=1.0, lambda_rec=10.0, fixed_images=fixed_images)


def train_config(args, train_rows):
    """The TrainConfig of a run from the parsed command line, on ``train_rows`` training images."""
    return TrainConfig(model="dcgan", dataset="fashion", loss="lsgan", batch_size=args.batch_size, lr_g=args.lr,
                       lr_d=args.lr, beta_1=0.5, beta_2=0.999, d_dropout=0.0, epochs=args.epochs,
                       max_steps=args.max_steps, seed=args.seed, quick_fid=0, progress=args.progress,
                       data_limit=args.data_limit, train_rows=train_rows)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="passes over the 18,000 footwear images (default: 2)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in total")
    parser.add_argument("--batch-size", type=int, default=16, help="images per step (default: 16, the paper's)")
    parser.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate of G and D (default: 1e-4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-limit", type=int, default=None, help="train on the first N footwear images only")
    parser.add_argument("--eval-limit", type=int, default=None,
                        help="evaluate on the first N footwear test images only (default: all 3,000)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default: 1)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    parser.add_argument("--out", default="runs/stargan_fashion", help="output folder")
    parser.add_argument("--resume", action="store_true", help=f"continue from OUT/{CHECKPOINT_NAME}")
    parser.add_argument("--overwrite", action="store_true", help="replace a run already in OUT")
    return parser.parse_args(argv)


def main(argv=None, log=print):
    args = parse_args(argv)
    out = Path(args.out)
    with blas_threads(args.threads), RunFolder(out):
        x, domains = load_domains("train")
        if args.data_limit is not None:
            x, domains = x[:args.data_limit], domains[:args.data_limit]
        x_test, domains_test = load_domains("test")
        if args.eval_limit is not None:
            x_test, domains_test = x_test[:args.eval_limit], domains_test[:args.eval_limit]
        config = train_config(args, len(x))
        # the per-epoch grid: 1 + 3 test images (one of each domain and a second sneaker), so that
        # its square layout has one input and its three translations per row
        trainer = build_trainer(config, np.concatenate([fixed_inputs(x_test, domains_test, 1),
                                                        x_test[domains_test == 1][1:2]]))
        outputs = RunOutputs(out, log)
        if outputs.checkpoint_path.exists() and not (args.resume or args.overwrite):
            raise SystemExit(f"{outputs.checkpoint_path} already exists; continue that run with --resume, start "
                             f"afresh with --overwrite, or choose another --out folder")
        if args.resume:
            try:
                checkpoint = load_checkpoint(outputs.checkpoint_path)
                restore_trainer(trainer, checkpoint)
            except (FileNotFoundError, CheckpointError) as err:
                raise SystemExit(f"cannot resume: {err}") from None
            for key, (saved, requested) in sorted(optimizer_changes(checkpoint, config).items()):
                log(f"resuming with {key} = {requested} (the checkpoint's run used {saved})")
            outputs.saved_step = trainer.step
        per_epoch = trainer.steps_per_epoch(len(x))
        log(f"StarGAN on Fashion-MNIST footwear ({', '.join(DOMAIN_NAMES)}): {len(x)} images, {per_epoch} steps "
            f"per epoch (batch {config.batch_size}), {config.epochs} epochs"
            + (f", at most {config.max_steps} steps" if config.max_steps is not None else "")
            + (f"; resuming at step {trainer.step}" if args.resume else "") + f" -> {out}/")
        try:
            trainer.fit(x, y=domains, callbacks=[outputs])
        except TrainingInterrupted as interruption:
            outputs.finish(trainer)
            log(f"Interrupted ({interruption.reason}): saved step {trainer.step} to {outputs.last_checkpoint}\n"
                f"Resume with: python examples/stargan_fashion.py --out {out} --resume")
            return 130   # 128 + SIGINT, as the other examples and `numpygan train`
        outputs.finish(trainer)
        grid = trainer.translation_table(fixed_inputs(x_test, domains_test, 4))
        save_image_grid(grid, out / "translations.png", nrow=1 + len(CLASSES))
        metrics = evaluate(trainer, x_test, domains_test, log)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
        log(f"done: {trainer.step} steps, {1000 * trainer.train_seconds / max(trainer.step, 1):.0f} ms/step "
            f"({trainer.train_seconds:.0f} s training); grids in {out / 'translations.png'}, "
            f"metrics in {out / 'metrics.json'}")
    return 0


def evaluate(trainer, x_test, domains_test, log=print):
    """``translation_metrics`` on the test images with the cached Fashion evaluation classifier (if any)."""
    from numpygan.metrics import load_classifier

    try:
        classifier = load_classifier("fashion")

        def predict(images):               # the classifier reads pixels in [0, 1]; G's are in [-1, 1]
            return classifier.predict((images + 1) / 2)
    except FileNotFoundError as err:
        log(f"no target-domain accuracy: {err}")
        predict = None
    if predict is None:
        metrics = translation_metrics(trainer, x_test, domains_test, lambda images: np.zeros(len(images), int),
                                      CLASSES)
        metrics = {key: metrics[key] for key in ("reconstruction_l1", "pairs", "identity_l1", "identity_l1_other")}
    else:
        metrics = translation_metrics(trainer, x_test, domains_test, predict, CLASSES)
        per_target = "  ".join(f"{name} {metrics[f'accuracy_to/{d}']:.3f}" for d, name in enumerate(DOMAIN_NAMES))
        log(f"target-domain accuracy {metrics['accuracy']:.3f} ({per_target}); still the source class "
            f"{metrics['kept_source']:.3f}; the classifier on the real test images: {metrics['real_accuracy']:.3f}")
    log(f"reconstruction L1 |x - G(G(x, c'), c)| {metrics['reconstruction_l1']:.4f} over {metrics['pairs']} "
        f"translations (pixels in [-1, 1]); into its own domain an image lies at L1 {metrics['identity_l1']:.3f} "
        f"from itself and {metrics['identity_l1_other']:.3f} from another image of that domain")
    last = {key: float(np.mean(trainer.parts[key][-100:])) for key in PART_KEYS if trainer.parts[key]}
    metrics.update(step=trainer.step, epoch=trainer.epoch, train_seconds=trainer.train_seconds,
                   loss_parts_last_100_steps=last)
    return metrics


if __name__ == "__main__":
    sys.exit(main())
