"""Binary cross-entropy, on probabilities or (the stable form) on logits."""

import numpy as np
from scipy.special import expit

from ._checks import check_pred_target


class BinaryCrossentropy:
    """L = mean over all M elements of −[y log p + (1 − y) log(1 − p)].

    Call ``loss(pred, target) -> (L, dL/dpred)``; ``target`` is y ∈ [0, 1], any
    shape that broadcasts to ``pred`` (a scalar 0.9 gives one-sided label smoothing).

    ``from_logits=False``: pred is p ∈ [0, 1]. p is clipped to [ε, 1 − ε] (ε = 1e-7
    by default, as Keras) so log never sees 0; the gradient is that of the clipped
    loss, (p − y) / (p (1 − p)) / M inside the clip and 0 outside it. A saturated
    sigmoid therefore passes no gradient back: prefer logits.

    ``from_logits=True``: pred is z, p = σ(z), and
        L = mean(max(z, 0) − z·y + log(1 + e^{−|z|}))
    which equals the definition above but never overflows (finite for z = ±1000);
        dL/dz = (σ(z) − y) / M.
    """

    def __init__(self, from_logits=False, epsilon=1e-7):
        self.from_logits = from_logits
        self.epsilon = float(epsilon)

    def __call__(self, pred, target):
        target = check_pred_target(type(self).__name__, pred, target)
        m = pred.size
        if self.from_logits:
            z = pred
            loss = np.mean(np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z))))
            grad = (expit(z) - target) / z.dtype.type(m)
            return float(loss), grad
        if pred.size and (np.nanmin(pred) < 0 or np.nanmax(pred) > 1):
            raise ValueError(
                f"BinaryCrossentropy: argument 'pred' must be probabilities in [0, 1] with from_logits=False, "
                f"received values in [{np.nanmin(pred)}, {np.nanmax(pred)}]"
            )
        eps = self.epsilon
        p = np.clip(pred, eps, 1 - eps)
        loss = -np.mean(target * np.log(p) + (1 - target) * np.log1p(-p))
        inside = (pred > eps) & (pred < 1 - eps)
        grad = np.where(inside, (p - target) / (p * (1 - p)), 0).astype(pred.dtype) / pred.dtype.type(m)
        return float(loss), grad
