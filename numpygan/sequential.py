"""A stack of layers: forward in order, backward in reverse."""

import numpy as np

from .layers.activations import Sigmoid
from .layers.base import Layer
from .model import Model


class Sequential(Model):
    """``y = layer_L(... layer_2(layer_1(x)))``; backward applies the chain rule in reverse.

    ``input_shape`` is per sample (no batch axis), e.g. ``(100,)`` or ``(28, 28, 1)``.
    Weights are created at construction from ``rng`` (a ``numpy.random.Generator``)
    or ``seed``; the same generator is handed to layers that draw at training time
    (Dropout), so one generator's state makes a run reproducible. Without
    ``input_shape`` the layers are built by the first forward, or by an outer
    model: a Sequential is a Layer (a ``Model``), so it can be nested in another
    Sequential or used as one part of a hand-written Model.

    ``trainable = False`` freezes every layer: backward still returns dL/dx (so a
    generator can be trained *through* a frozen discriminator) but adds nothing to
    the frozen layers' gradients.
    """

    def __init__(self, layers, input_shape=None, rng=None, seed=None, dtype=np.float32, name="sequential"):
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"{name}: layers[{i}] must be a Layer, received {type(layer).__name__}")
        if len({id(layer) for layer in layers}) != len(layers):
            raise ValueError(f"{name}: the same layer instance appears twice in 'layers'; a layer caches "
                             f"one forward, so each position needs its own instance")
        super().__init__(rng=rng, seed=seed, dtype=dtype, name=name)
        self.layers = layers  # after Layer.__init__, whose ``trainable = True`` would unfreeze them
        self.built = False
        self._rng_given = rng is not None or seed is not None
        if input_shape is not None:
            self.build(input_shape, rng=self.rng, dtype=self.dtype)

    def build(self, input_shape, rng=None, dtype=None):
        """Build every layer in order from the per-sample ``input_shape``; returns the output shape.

        A Sequential made without ``rng`` or ``seed`` and built by an outer model
        adopts the outer model's generator, so one seed makes the whole model.
        """
        if self.built:
            return super().build(input_shape)
        if rng is not None and not self._rng_given:
            self.rng = rng
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        self.dtype = dtype
        self.input_shape = tuple(int(d) for d in input_shape)
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.build(shape, rng=self.rng, dtype=dtype)
        self.output_shape = shape
        self.built = True
        return shape

    def named_children(self):
        """``[("<index>.<layer name>", layer)]``: the keys of ``parameters()`` and checkpoints."""
        layers = getattr(self, "layers", ())  # none yet while Layer.__init__ runs
        return [(f"{i}.{layer.name}", layer) for i, layer in enumerate(layers)]

    # -- computation ------------------------------------------------------------
    def forward(self, x, training=False):
        if not self.built:  # build from x's per-sample shape (and dtype, unless x holds labels)
            if not isinstance(x, np.ndarray) or x.ndim < 1:
                received = f"shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
                raise TypeError(f"{self.name}: argument 'x' must be an array with a batch axis, received {received}")
            self.build(x.shape[1:], dtype=x.dtype if np.issubdtype(x.dtype, np.floating) else self.dtype)
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_out, need_input_grad=True):
        """dL/dy (N, *output_shape) → dL/dx (N, *input_shape); adds dL/dθ into every trainable Parameter.

        ``need_input_grad=False`` says nobody will use dL/dx (x is data: real
        images fed to D, or z fed to G). Backward then stops at the first layer
        with trainable parameters, which skips its dL/dx product, and returns
        None: the layers below it have nothing to learn, and their backward
        would only compute dL/dx. Every parameter gradient is the same either way.
        """
        stop = 0 if need_input_grad else self._first_trainable_layer()
        for index in range(len(self.layers) - 1, stop - 1, -1):
            if index == stop and not need_input_grad:
                self.layers[index].backward(grad_out, need_input_grad=False)
                return None
            grad_out = self.layers[index].backward(grad_out)
        return grad_out if need_input_grad else None

    def _first_trainable_layer(self):
        """Index of the first layer that learns something; len(layers) if none does."""
        for index, layer in enumerate(self.layers):
            if _learns(layer):
                return index
        return len(self.layers)

    @property
    def output_is_probability(self):
        """True if the last layer is a Sigmoid (D outputs D(x), not a logit); asked by the trainer."""
        last = self.layers[-1] if self.layers else None
        return isinstance(last, Sigmoid) or bool(getattr(last, "output_is_probability", False))



def _learns(layer):
    """True if ``layer`` (or, for a model, any layer inside it) has parameters that train."""
    if isinstance(layer, Model):
        return any(_learns(child) for child in layer.children())
    return layer.trainable and bool(layer.parameters())
