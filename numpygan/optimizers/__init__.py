"""Optimizers: ``opt = Adam(model.parameters(), lr=2e-4); ...; opt.step()``."""

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "Adam", "SGD"]
