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
    It is computed as (1 − y)·max(z, 0) − y·min(z, 0) + log(1 + e^{−|z|}), each product
    taken as 0 where its weight (1 − y or y) is 0, so that z = +∞ with y = 1 (and −∞
    with y = 0) gives the exact loss 0, not ∞ − ∞ = NaN.

    ``epsilon`` must lie in (0, 0.5): [ε, 1 − ε] must be an interval of probabilities.
    ``allow_nan=True`` lets NaN in pred through to a NaN loss, for callers that check
    the loss themselves (the GAN trainer, which then names the step); by default it is refused.
    """

    def __init__(self, from_logits=False, epsilon=1e-7, allow_nan=False):
        self.from_logits = bool(from_logits)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.integer, np.floating)):
            raise TypeError(f"BinaryCrossentropy: argument 'epsilon' must be a real number, "
                            f"received {type(epsilon).__name__} {epsilon!r}")
        if not 0 < epsilon < 0.5:
            raise ValueError(f"BinaryCrossentropy: argument 'epsilon' must lie in (0, 0.5), received {epsilon}")
        self.epsilon = float(epsilon)
        self.allow_nan = bool(allow_nan)

    def __call__(self, pred, target):
        target = check_pred_target(type(self).__name__, pred, target, allow_nan=self.allow_nan)
        m = pred.size
        if self.from_logits:
            z = pred
            with np.errstate(invalid="ignore"):  # 0 · ∞ in a product whose weight is 0: replaced by 0
                positive = np.where(target == 1, 0, (1 - target) * np.maximum(z, 0))
                negative = np.where(target == 0, 0, target * np.minimum(z, 0))
            loss = np.mean(positive - negative + np.log1p(np.exp(-np.abs(z))))
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
