"""Softmax cross-entropy with integer class labels (for the evaluation classifier)."""

import numpy as np
from scipy.special import log_softmax, softmax


class SparseCategoricalCrossentropy:
    """L = mean_n −log softmax(z_n)[y_n];   dL/dz = (softmax(z) − onehot(y)) / N.

    ``pred`` z: logits (N, K); ``target`` y: integer labels (N,) in [0, K).
    log-softmax is computed as z − logsumexp(z), which never overflows.
    """

    def __call__(self, pred, target):
        if not isinstance(pred, np.ndarray) or pred.ndim != 2 or not np.issubdtype(pred.dtype, np.floating):
            raise ValueError(
                f"SparseCategoricalCrossentropy: argument 'pred' must be float logits of shape (N, K), "
                f"received {getattr(pred, 'shape', type(pred).__name__)}"
            )
        target = np.asarray(target)
        n, k = pred.shape
        if target.shape != (n,) or not np.issubdtype(target.dtype, np.integer):
            raise ValueError(
                f"SparseCategoricalCrossentropy: argument 'target' must be integer labels of shape ({n},), "
                f"received {target.dtype} {target.shape}"
            )
        if n and (target.min() < 0 or target.max() >= k):
            raise ValueError(
                f"SparseCategoricalCrossentropy: argument 'target' must lie in [0, {k}), "
                f"received values in [{target.min()}, {target.max()}]"
            )
        rows = np.arange(n)
        loss = -log_softmax(pred, axis=1)[rows, target].mean()
        grad = softmax(pred, axis=1)
        grad[rows, target] -= 1
        grad /= pred.dtype.type(n)
        return float(loss), grad
