"""Layers with several inputs: Concatenate and Add, for multi-input models and skip connections.

Contract for several inputs (one output): ``forward(inputs, training)`` takes a
list of arrays ``[x_1, ..., x_k]`` (k ≥ 2), each (N, *input_shape[i]), and
``backward(grad_out)`` returns the list ``[dL/dx_1, ..., dL/dx_k]``.
``build`` takes the list of per-sample input shapes.
"""

import numpy as np

from .base import Layer


class Merge(Layer):
    """Base of the layers that combine k ≥ 2 inputs into one output."""

    def build(self, input_shapes, rng=None, dtype=np.float32):
        if not isinstance(input_shapes, (list, tuple)) or len(input_shapes) < 2 or not all(
                isinstance(s, (list, tuple)) for s in input_shapes):
            raise ValueError(f"{self.name}: expected a list of at least 2 per-sample input shapes, "
                             f"received {input_shapes!r}")
        shapes = [tuple(int(d) for d in s) for s in input_shapes]
        self.output_shape = self.compute_output_shape(shapes)
        self.input_shape = shapes
        self.built = True
        return self.output_shape

    def _check_inputs(self, inputs):
        """Validate the list of inputs (arrays, floating, one dtype, one batch size), building on first use."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            received = f"{len(inputs)} inputs" if isinstance(inputs, (list, tuple)) else type(inputs).__name__
            raise TypeError(f"{self.name}: argument 'inputs' must be a list of at least 2 arrays, received {received}")
        for i, x in enumerate(inputs):
            if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating) or x.ndim < 1:
                received = f"{x.dtype} shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
                raise TypeError(f"{self.name}: argument 'inputs[{i}]' must be a floating array with a batch axis, "
                                f"received {received}")
        if len({x.dtype for x in inputs}) > 1 or len({x.shape[0] for x in inputs}) > 1:
            raise ValueError(f"{self.name}: argument 'inputs' must share one dtype and one batch size, received "
                             f"{[f'{x.dtype} {x.shape}' for x in inputs]}")
        if not self.built:
            self.build([x.shape[1:] for x in inputs], dtype=inputs[0].dtype)
        received = [x.shape[1:] for x in inputs]
        if received != self.input_shape:
            raise ValueError(f"{self.name}: argument 'inputs' expected per-sample shapes {self.input_shape}, "
                             f"received {received}")


class Concatenate(Merge):
    """y = [x_1 | x_2 | ... | x_k] joined along ``axis`` (default −1: features, or channels of images).

    ``axis`` counts the batch axis as 0 (as Keras), so it is −1, −2, ... or ≥ 1;
    the inputs must agree on every other axis. E.g. z (N, 100) and a label
    embedding (N, 50) → (N, 150); a U-Net's skip (N, 14, 14, 32) and upsampled
    features (N, 14, 14, 32) → (N, 14, 14, 64).

    Backward: dL/dx_i is the slice of dL/dy that x_i filled, along the same axis.
    """

    def __init__(self, axis=-1, name=None):
        super().__init__(name)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise ValueError(f"{self.name}: argument 'axis' must be a non-zero int (0 is the batch axis), "
                             f"received {axis!r}")
        self.axis = int(axis)

    def compute_output_shape(self, input_shapes):
        rank = len(input_shapes[0])
        axis = self.axis - 1 if self.axis > 0 else self.axis   # per-sample axis
        if not -rank <= axis < rank or any(len(s) != rank for s in input_shapes):
            raise ValueError(f"{self.name}: cannot concatenate per-sample shapes {input_shapes} along axis "
                             f"{self.axis}: they must have one rank, with that axis in it")
        axis %= rank
        others = {s[:axis] + s[axis + 1:] for s in input_shapes}
        if len(others) > 1:
            raise ValueError(f"{self.name}: per-sample shapes {input_shapes} differ outside axis {self.axis}")
        shape = list(input_shapes[0])
        shape[axis] = sum(s[axis] for s in input_shapes)
        return tuple(shape)

    def forward(self, inputs, training=False):
        self._check_inputs(inputs)
        self._sizes = [x.shape[self.axis] for x in inputs]
        return self._remember_output(np.concatenate(inputs, axis=self.axis))

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if not need_input_grad:
            return None
        ends = np.cumsum(self._sizes)[:-1]
        # contiguous copies: a slice across the last axis is strided, and the layers below expect plain arrays
        return [np.ascontiguousarray(g) for g in np.split(grad_out, ends, axis=self.axis)]


class Add(Merge):
    """y = x_1 + x_2 + ... + x_k, inputs of one shape (a residual or skip connection: x + f(x)).

    Backward: dL/dx_i = dL/dy for every i. The k gradients are one read-only
    view of dL/dy: combine them with ``+``, never ``+=``.
    """

    def compute_output_shape(self, input_shapes):
        if len(set(input_shapes)) > 1:
            raise ValueError(f"{self.name}: inputs must have one shape, received per-sample shapes {input_shapes}")
        return input_shapes[0]

    def forward(self, inputs, training=False):
        self._check_inputs(inputs)
        y = inputs[0] + inputs[1]
        for x in inputs[2:]:
            y += x
        return self._remember_output(y)

    def backward(self, grad_out, need_input_grad=True):
        self._check_grad(grad_out)
        if not need_input_grad:
            return None
        shared = grad_out.view()
        shared.flags.writeable = False  # the upstream gradient is never written to, by us or below us
        return [shared] * len(self.input_shape)
