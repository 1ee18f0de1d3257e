"""Input validation shared by the losses: done before any arithmetic."""

import numpy as np


def check_pred_target(owner, pred, target, target_range=(0.0, 1.0), allow_nan=False):
    """Return ``target`` as an array broadcastable to ``pred``, or raise naming the argument.

    ``pred`` must be non-empty (a mean over no elements is NaN) and, unless ``allow_nan``,
    free of NaN (the loss would be NaN with no word of why).
    """
    if not isinstance(pred, np.ndarray) or not np.issubdtype(pred.dtype, np.floating):
        raise TypeError(
            f"{owner}: argument 'pred' must be a floating numpy array, received "
            f"{getattr(pred, 'dtype', type(pred).__name__)}"
        )
    if pred.size == 0:
        raise ValueError(f"{owner}: argument 'pred' is empty (shape {pred.shape}); expected at least one element")
    if not allow_nan and np.isnan(pred).any():
        raise ValueError(f"{owner}: argument 'pred' holds {int(np.isnan(pred).sum())} NaN of {pred.size} values")
    target = np.asarray(target, dtype=pred.dtype)
    try:
        np.broadcast_shapes(target.shape, pred.shape)
    except ValueError:
        raise ValueError(
            f"{owner}: argument 'target' has shape {target.shape}, which does not broadcast to "
            f"pred's shape {pred.shape}"
        ) from None
    if np.broadcast_shapes(target.shape, pred.shape) != pred.shape:
        raise ValueError(f"{owner}: argument 'target' shape {target.shape} would enlarge pred's shape {pred.shape}")
    if target_range is not None:
        lo, hi = target_range
        if target.size and (not np.all(np.isfinite(target)) or target.min() < lo or target.max() > hi):
            raise ValueError(
                f"{owner}: argument 'target' must lie in [{lo}, {hi}], received values in "
                f"[{target.min()}, {target.max()}]"
            )
    return target
