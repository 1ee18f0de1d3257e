"""Embedding: integer labels to learned vectors (the label input of a conditional GAN)."""

import numpy as np

from .. import initializers
from ..parameter import Parameter
from .base import Layer


class Embedding(Layer):
    """y[n] = E[label[n]]: labels (N,) of ints in [0, input_dim) → (N, output_dim).

    E is ``embeddings`` (input_dim, output_dim), drawn from U(−0.05, 0.05) by
    default (Keras). It is a Dense layer on one-hot labels without the product:
    one_hot(label) @ E picks row label of E.

    Backward, with G = dL/dy (N, output_dim):
        dL/dE[k] = Σ_{n : label[n] = k} G[n]      (a scatter-add: ``np.add.at``; repeated labels add up)
    Labels are not differentiable: backward returns None for dL/d(label).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", name=None):
        super().__init__(name)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{self.name}: argument '{arg}' must be a positive int, received {value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)

    def build(self, input_shape=(), rng=None, dtype=np.float32):
        if tuple(input_shape) != ():
            raise ValueError(f"{self.name}: input must be labels (batch,), one int per sample, received "
                             f"per-sample shape {tuple(input_shape)}")
        rng = rng if rng is not None else np.random.default_rng()
        self.embeddings = Parameter(self.embeddings_initializer((self.input_dim, self.output_dim), rng, dtype=dtype))
        return super().build((), rng, dtype)

    def compute_output_shape(self, input_shape):
        return (self.output_dim,)

    def parameters(self):
        return {"embeddings": self.embeddings} if self.built else {}

    def forward(self, labels, training=False):
        if not isinstance(labels, np.ndarray) or not np.issubdtype(labels.dtype, np.integer) or labels.ndim != 1:
            received = f"{labels.dtype} shape {labels.shape}" if isinstance(labels, np.ndarray) else \
                type(labels).__name__
            raise TypeError(f"{self.name}: argument 'labels' must be an int array of shape (batch,), "
                            f"received {received}")
        if labels.size and (labels.min() < 0 or labels.max() >= self.input_dim):
            raise ValueError(f"{self.name}: argument 'labels' must lie in [0, {self.input_dim}) (input_dim), "
                             f"received values in [{labels.min()}, {labels.max()}]")
        if not self.built:
            self.build((), dtype=np.float32)
        self.labels = labels
        return self._remember_output(self.embeddings.value[labels])

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if self.trainable:
            np.add.at(self.embeddings.grad, self.labels, grad_out)   # dL/dE[k] += Σ_{label[n]=k} G[n]
        return None
