"""Losses: each ``loss(pred, target)`` returns ``(value, dvalue/dpred)``, mean-reduced."""

from .binary_crossentropy import BinaryCrossentropy
from .mean_absolute_error import MeanAbsoluteError
from .mean_squared_error import MeanSquaredError
from .sparse_categorical_crossentropy import SparseCategoricalCrossentropy

__all__ = ["BinaryCrossentropy", "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy"]
