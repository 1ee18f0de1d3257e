"""Train (once) the small CNN that numpygan's metrics use, and cache its weights.

    python examples/train_classifier.py --dataset mnist      # then: --dataset fashion

Prints the test accuracy after every epoch. The weights land in
``$NUMPYGAN_DATA`` or ``~/.cache/numpygan`` as ``classifier-v<VERSION>-<dataset>.npz (now v2)``;
``numpygan evaluate`` loads them from there. Deterministic for a ``--seed``,
and resumable: interrupt it (Ctrl-C) and run the same command again to continue
from the last completed epoch. Settings other than the defaults are for
experiments; the metrics' reported numbers use the defaults.
"""

import argparse
import sys

from numpygan.metrics.classifier import (
    DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LR, build_classifier, load_classifier, train_classifier, weights_path,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"default: {DEFAULT_EPOCHS['mnist']} (mnist), {DEFAULT_EPOCHS['fashion']} (fashion)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--lr", type=float, default=DEFAULT_LR, help="initial Adam learning rate (cosine-decayed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="default: $NUMPYGAN_DATA or ~/.cache/numpygan")
    parser.add_argument("--max-steps-per-epoch", type=int, default=None,
                        help="cut epochs short, to time a short run")
    parser.add_argument("--force", action="store_true", help="train again even if weights are cached")
    parser.add_argument("--no-resume", action="store_true", help="ignore a partial run and start afresh")
    args = parser.parse_args(argv)

    path = weights_path(args.dataset, args.cache_dir)
    if path.exists() and not args.force:
        clf = load_classifier(args.dataset, cache_dir=args.cache_dir)
        print(f"{path} exists (test accuracy {clf.info['test_accuracy']:.2%}); --force to train again")
        return 0
    build_classifier().summary()
    train_classifier(args.dataset, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                     cache_dir=args.cache_dir, resume=not args.no_resume,
                     max_steps_per_epoch=args.max_steps_per_epoch, log=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
