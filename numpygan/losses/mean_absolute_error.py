"""Mean absolute error, the L1 loss (pix2pix's reconstruction term, CycleGAN's cycle loss)."""

import numpy as np

from ._checks import check_pred_target


class MeanAbsoluteError:
    """L = mean |pred − target|;   dL/dpred = sign(pred − target) / M over M elements.

    |u| has no derivative at u = 0; the subgradient 0 is used there (np.sign(0) = 0),
    as PyTorch's L1Loss does. ``allow_nan=True`` lets NaN in pred through to a NaN loss.
    """

    def __init__(self, allow_nan=False):
        self.allow_nan = bool(allow_nan)

    def __call__(self, pred, target):
        target = check_pred_target(type(self).__name__, pred, target, target_range=None, allow_nan=self.allow_nan)
        diff = pred - target
        return float(np.abs(diff).mean()), np.sign(diff) * pred.dtype.type(1.0 / pred.size)
