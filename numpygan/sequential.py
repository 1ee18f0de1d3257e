"""A stack of layers: forward in order, backward in reverse."""

import numpy as np

from .io import check_state_matches, load_npz, save_npz_atomic
from .layers.base import Layer


class Sequential:
    """``y = layer_L(... layer_2(layer_1(x)))``; backward applies the chain rule in reverse.

    ``input_shape`` is per sample (no batch axis), e.g. ``(100,)`` or ``(28, 28, 1)``.
    Weights are created at construction from ``rng`` (a ``numpy.random.Generator``)
    or ``seed``; the same generator is handed to layers that draw at training time
    (Dropout), so one generator's state makes a run reproducible.

    ``trainable = False`` freezes every layer: backward still returns dL/dx (so a
    generator can be trained *through* a frozen discriminator) but adds nothing to
    the frozen layers' gradients.
    """

    def __init__(self, layers, input_shape, rng=None, seed=None, dtype=np.float32, name="sequential"):
        self.name = name
        self.layers = list(layers)
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"{name}: layers[{i}] must be a Layer, received {type(layer).__name__}")
        if rng is None:
            rng = np.random.default_rng(seed)
        self.rng = rng
        self.dtype = np.dtype(dtype)
        self.input_shape = tuple(int(d) for d in input_shape)
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.build(shape, rng=rng, dtype=self.dtype)
        self.output_shape = shape
        self._names = self._unique_names()

    def _unique_names(self):
        return [f"{i}.{layer.name}" for i, layer in enumerate(self.layers)]

    # -- computation ------------------------------------------------------------
    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    __call__ = forward

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
            if layer.trainable and layer.parameters():
                return index
        return len(self.layers)

    # -- parameters and state -----------------------------------------------------
    def parameters(self):
        """``{"<index>.<layer>.<param>": Parameter}``, in layer order."""
        return {
            f"{prefix}.{key}": p
            for prefix, layer in zip(self._names, self.layers)
            for key, p in layer.parameters().items()
        }

    def buffers(self):
        return {
            f"{prefix}.{key}": b
            for prefix, layer in zip(self._names, self.layers)
            for key, b in layer.buffers().items()
        }

    def state_dict(self):
        """Every array needed to restore the model: weights and buffers (running statistics)."""
        state = {name: p.value for name, p in self.parameters().items()}
        state.update(self.buffers())
        return state

    def load_state_dict(self, state, source="state"):
        """Copy arrays in place; refuse, listing every difference, if names or shapes differ."""
        own = self.state_dict()
        check_state_matches(own, state, f"{self.name}: {source} does not match the model:")
        for key, arr in own.items():
            arr[...] = state[key]

    def save_weights(self, path):
        """Write weights and buffers to ``path`` (.npz, no pickle, atomically)."""
        save_npz_atomic(path, self.state_dict())

    def load_weights(self, path):
        self.load_state_dict(load_npz(path, what="weights file"), source=f"weights file {str(path)!r}")

    def zero_grad(self):
        for layer in self.layers:
            layer.zero_grad()

    @property
    def uses_batch_statistics(self):
        """True if any layer normalises with batch statistics in training (see ``Layer``)."""
        return any(layer.uses_batch_statistics for layer in self.layers)

    @property
    def trainable(self):
        return all(layer.trainable for layer in self.layers)

    @trainable.setter
    def trainable(self, value):
        for layer in self.layers:
            layer.trainable = bool(value)

    def astype(self, dtype):
        """Cast every weight and buffer (e.g. to float64 for gradient checks). Rebuild optimizers after."""
        for layer in self.layers:
            layer.astype(dtype)
        self.dtype = np.dtype(dtype)
        return self

    def count_params(self):
        return int(sum(p.size for p in self.parameters().values()))

    def summary(self, print_fn=print):
        """A Keras-style table: layer, output shape, parameter count, and totals."""
        rows = [("Layer (type)", "Output Shape", "Param #")]
        trainable = non_trainable = 0
        for prefix, layer in zip(self._names, self.layers):
            n_params = sum(p.size for p in layer.parameters().values())
            n_buffers = sum(b.size for b in layer.buffers().values())
            trainable += n_params
            non_trainable += n_buffers
            rows.append((f"{prefix} ({type(layer).__name__})", str((None,) + layer.output_shape),
                         f"{n_params + n_buffers:,}"))
        widths = [max(len(r[i]) for r in rows) + 2 for i in range(3)]
        rule = "─" * sum(widths)
        lines = [f'Model: "{self.name}"', rule, "".join(c.ljust(w) for c, w in zip(rows[0], widths)), rule]
        lines += ["".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows[1:]]
        lines += [
            rule,
            f"Total params: {trainable + non_trainable:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {non_trainable:,}",
            rule,
        ]
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text
