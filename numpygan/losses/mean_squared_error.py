"""Mean squared error (the least-squares GAN loss)."""

from ._checks import check_pred_target


class MeanSquaredError:
    """L = mean((pred − target)²);   dL/dpred = 2 (pred − target) / M over M elements.

    ``allow_nan=True`` lets NaN in pred through to a NaN loss (see BinaryCrossentropy).
    """

    def __init__(self, allow_nan=False):
        self.allow_nan = bool(allow_nan)

    def __call__(self, pred, target):
        target = check_pred_target(type(self).__name__, pred, target, target_range=None, allow_nan=self.allow_nan)
        diff = pred - target
        return float((diff * diff).mean()), diff * pred.dtype.type(2.0 / pred.size)
