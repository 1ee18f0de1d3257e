"""The Layer contract every layer in numpygan follows.

A layer maps a batch ``x`` of shape ``(N, *input_shape)`` to ``y`` of shape
``(N, *output_shape)``. ``forward`` keeps what ``backward`` needs (its *cache*);
``backward(dL/dy)`` returns ``dL/dx`` and *adds* ``dL/dθ`` into each
``Parameter.grad``. The cache holds the most recent forward only, so every
backward must follow its own forward: run D on real, backward; then on fake,
backward — never forward twice and backward twice. A second backward after one
forward is refused (it would add the parameter gradients twice).

Rules every layer keeps:

* the upstream gradient ``grad_out`` is never written to;
* every layer's backward has the signature ``backward(grad_out, need_input_grad=True)``;
  ``need_input_grad=False`` tells the layer that nobody will use dL/dx — it is
  the first layer of a network fed with data — so a layer with parameters may
  skip that product and return None (layers without parameters ignore it);
* parameter gradients are accumulated (``Parameter.grad += term``);
  ``zero_grad()`` is the explicit reset;
* arrays are allocated with the input's dtype (float32 in training, float64 in gradchecks);
  ``grad_out`` must have the dtype of the forward's output (a float64 gradient
  into a float32 layer would otherwise come back as a float64 dL/dx);
* bad input raises before any work is done, naming the layer, the argument,
  and what was expected versus received.

Layers with several inputs (``merge.Concatenate``, ``merge.Add``) take a list:
``forward([x_1, ..., x_k])`` and ``backward(dL/dy) → [dL/dx_1, ..., dL/dx_k]``.
``Embedding`` takes integer labels and returns None for their gradient.
Layers compose into models by hand (``numpygan.model.Model``) or in a stack
(``numpygan.Sequential``), both of which are Layers themselves.
"""

import numpy as np


class Layer:
    """Base class. Subclasses override ``build``, ``forward``, ``backward`` and,
    if they own weights, ``parameters`` (and ``buffers`` for non-trainable state)."""

    uses_batch_statistics = False
    """True if, in training mode, a sample's output depends on the other samples
    of its batch (BatchNormalization). Batches then cannot be merged into one pass."""

    def __init__(self, name=None):
        self.name = name or type(self).__name__.lower()
        self.trainable = True
        self.built = False
        self.input_shape = None   # per-sample shape, batch axis excluded
        self.output_shape = None
        self._out_shape_cache = None  # full shape of the last forward's output
        self._out_dtype_cache = None  # and its dtype
        self._backward_done = False   # True once the last forward's backward has run

    # -- construction -----------------------------------------------------
    def build(self, input_shape, rng=None, dtype=np.float32):
        """Create weights for per-sample ``input_shape``; return the per-sample output shape."""
        self.input_shape = tuple(int(d) for d in input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True
        return self.output_shape

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def parameters(self):
        """Trainable tensors, ``{name: Parameter}`` in a fixed order."""
        return {}

    def buffers(self):
        """Non-trainable state saved with the weights (e.g. BatchNorm running statistics)."""
        return {}

    def zero_grad(self):
        for p in self.parameters().values():
            p.zero_grad()

    def state_dict(self):
        """Every array that defines the layer: ``{name: array}``, parameters then buffers (no copies)."""
        state = {name: p.value for name, p in self.parameters().items()}
        state.update(self.buffers())
        return state

    def get_weights(self):
        """Copies of the weights as a list, parameters then buffers, in ``state_dict`` order (Keras)."""
        return [np.array(a, copy=True) for a in self.state_dict().values()]

    def set_weights(self, weights):
        """Copy ``weights`` (a list as ``get_weights`` returns) into the existing arrays.

        Every array is checked (count, shape, dtype) before anything is written,
        so a refused call leaves the layer as it was.
        """
        own = self.state_dict()
        if not isinstance(weights, (list, tuple)) or len(weights) != len(own):
            received = f"{len(weights)} arrays" if isinstance(weights, (list, tuple)) else type(weights).__name__
            raise ValueError(f"{self.name}: argument 'weights' expected a list of {len(own)} arrays "
                             f"({', '.join(own) or 'none'}), received {received}")
        for (key, arr), new in zip(own.items(), weights):
            if not isinstance(new, np.ndarray) or new.shape != arr.shape or new.dtype != arr.dtype:
                received = (f"shape {new.shape} dtype {new.dtype}" if isinstance(new, np.ndarray)
                            else type(new).__name__)
                raise ValueError(f"{self.name}: argument 'weights' entry {key!r} expected shape {arr.shape} "
                                 f"dtype {arr.dtype}, received {received}")
        for arr, new in zip(own.values(), weights):
            arr[...] = new

    def astype(self, dtype):
        """Cast every parameter and buffer to ``dtype`` (float64 for gradient checks)."""
        for p in self.parameters().values():
            p.astype(dtype)
        for key, buf in self.buffers().items():
            setattr(self, key, buf.astype(dtype))
        return self

    # -- computation --------------------------------------------------------
    def __call__(self, x, training=False):
        return self.forward(x, training=training)

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, grad_out, need_input_grad=True):
        raise NotImplementedError

    # -- validation ---------------------------------------------------------
    def _check_input(self, x, rng=None):
        """Validate ``x`` against the layer's input shape, building the layer on first use."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self.name}: argument 'x' must be a numpy.ndarray, received {type(x).__name__}")
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(
                f"{self.name}: argument 'x' must have a floating dtype (float32 or float64), "
                f"received {x.dtype}; convert with x.astype(np.float32)"
            )
        if not self.built:
            if x.ndim < 1:
                raise ValueError(f"{self.name}: argument 'x' must have a batch axis, received a scalar")
            self.build(x.shape[1:], rng=rng, dtype=x.dtype)
        expected = (None,) + self.input_shape
        if x.ndim != len(expected) or x.shape[1:] != self.input_shape:
            raise ValueError(
                f"{self.name}: argument 'x' expected shape (batch, {', '.join(map(str, self.input_shape))}) "
                f"(rank {len(expected)}), received {x.shape} (rank {x.ndim})"
            )
        self._check_dtype(x)

    def _check_dtype(self, x):
        params = self.parameters()
        if params:
            dtype = next(iter(params.values())).dtype
            if x.dtype != dtype:
                raise TypeError(
                    f"{self.name}: argument 'x' has dtype {x.dtype} but the layer's weights are {dtype}; "
                    f"cast the input or call model.astype({x.dtype})"
                )

    def _remember_output(self, y):
        self._out_shape_cache = y.shape
        self._out_dtype_cache = y.dtype
        self._backward_done = False
        return y

    def _check_grad(self, grad_out):
        """Validate ``grad_out`` against the output of the forward it belongs to, and mark that
        forward's backward as done: a second one would add the parameter gradients again."""
        if self._out_shape_cache is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        if self._backward_done:
            raise RuntimeError(f"{self.name}: backward called twice after one forward; run forward again "
                               f"(the cache holds one forward, and its gradients were already added)")
        if not isinstance(grad_out, np.ndarray) or grad_out.shape != self._out_shape_cache:
            received = getattr(grad_out, "shape", type(grad_out).__name__)
            raise ValueError(
                f"{self.name}: argument 'grad_out' expected shape {self._out_shape_cache} "
                f"(the last forward's output), received {received}"
            )
        if grad_out.dtype != self._out_dtype_cache:
            raise TypeError(f"{self.name}: argument 'grad_out' expected dtype {self._out_dtype_cache} "
                            f"(the last forward's output), received {grad_out.dtype}")
        self._backward_done = True

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
