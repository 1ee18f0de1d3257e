"""Models written by hand: layers composed in plain Python, with a hand-written backward.

There is no autograd. A model is a class whose ``__init__`` assigns its layers
(and sub-models) as attributes, whose ``forward`` calls them, keeping whatever
backward needs, and whose ``backward`` applies the chain rule in reverse — the
CS231n "sandwich" style, one function per direction::

    class Residual(Model):          # y = x + tanh(x W + b), x (N, units)
        def __init__(self, units, rng=None, seed=None, dtype=np.float32):
            super().__init__(rng=rng, seed=seed, dtype=dtype)
            self.dense, self.act, self.add = Dense(units), Tanh(), Add()
            self.input_shape = self.output_shape = (units,)
            shape = self.dense.build(self.input_shape, self.rng, dtype)     # each build returns
            shape = self.act.build(shape, self.rng, dtype)                  # its output shape
            self.add.build([self.input_shape, shape], self.rng, dtype)

        def forward(self, x, training=False):
            return self.add([x, self.act(self.dense(x, training), training)], training)

        def backward(self, grad_out, need_input_grad=True):
            g_skip, g_body = self.add.backward(grad_out)      # y = x + h: both get dL/dy
            return g_skip + self.dense.backward(self.act.backward(g_body))

A branch that reads the same tensor twice gets the sum of both branches'
gradients (above: ``g_skip + ...``); ``Concatenate.backward`` splits a gradient
into the parts of its inputs. ``numpygan.composed`` has two complete examples
(a U-Net block with a skip connection, a generator with inputs z and a label).

The base class collects, from the attributes in the order they were assigned
(a list or tuple attribute counts element by element), everything that is the
same for every model: ``parameters()``, ``buffers()``, ``state_dict()`` /
``load_state_dict``, ``save_weights`` / ``load_weights``, ``get_weights`` /
``set_weights``, ``zero_grad``, ``trainable``, ``frozen()``, ``astype``,
``count_params``, ``summary`` and ``random_generators()``. Names are dotted:
``"<attribute>.<parameter>"``, e.g. ``"embedding.embeddings"`` or
``"body.0.dense.kernel"`` for a Sequential attribute.

A Model is a Layer, so models nest: a Sequential can hold a Model, a Model can
hold Sequentials. Multi-input models take ``forward(*inputs, training=False)``
and return one gradient per input from ``backward`` (None for integer inputs
such as labels, which have no gradient).
"""

from contextlib import contextmanager

import numpy as np

from .io import check_state_matches, load_npz, save_npz_atomic
from .layers.base import Layer


class Model(Layer):
    """Base class for models composed of layers; subclasses write ``__init__``, ``forward``, ``backward``.

    ``rng`` (a ``numpy.random.Generator``) or ``seed``: the model's generator,
    for its layers' weights at build time and for layers that draw at training
    time (Dropout). ``dtype``: the weights' dtype.

    Building: the layers of a hand-written model are built in ``__init__``,
    each with its per-sample input shape (``layer.build(shape, self.rng,
    self.dtype)`` returns its output shape), and ``__init__`` sets
    ``self.input_shape`` and ``self.output_shape`` (a list of shapes for several
    inputs). A Sequential builds its layers itself.
    """

    output_is_probability = False
    """True if the model's output is a probability rather than a logit (a discriminator ending in a
    sigmoid); the trainer picks its loss's ``from_logits`` from it. Sequential answers from its last layer."""

    def __init__(self, rng=None, seed=None, dtype=np.float32, name=None):
        super().__init__(name)
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        # a hand-written model builds its layers in __init__; Sequential sets this False until it has
        self.built = True

    # -- the parts ----------------------------------------------------------------
    def named_children(self):
        """``[(name, layer_or_model)]`` directly inside this model, in the order the attributes were assigned."""
        children = []
        for attr, value in vars(self).items():
            if isinstance(value, Layer):
                children.append((attr, value))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
                children += [(f"{attr}.{i}", v) for i, v in enumerate(value)]
        return children

    def children(self):
        return [child for _, child in self.named_children()]

    def named_layers(self):
        """``[(dotted name, layer)]`` for every leaf layer (not a Model) inside, depth first, in order."""
        leaves = []
        for prefix, child in self.named_children():
            if isinstance(child, Model):
                leaves += [(f"{prefix}.{name}", layer) for name, layer in child.named_layers()]
            else:
                leaves.append((prefix, child))
        return leaves

    def random_generators(self):
        """``{name: numpy.random.Generator}`` the model draws from: its own (``"model"``), then any
        leaf layer's own generator (``"<dotted layer name>"``); a generator shared by several holders counts once."""
        named, seen = {}, set()
        holders = [("model", self.rng)] + [(name, getattr(layer, "rng", None)) for name, layer in self.named_layers()]
        for name, rng in holders:
            if isinstance(rng, np.random.Generator) and id(rng) not in seen:
                seen.add(id(rng))
                named[name] = rng
        return named

    # -- parameters and state -----------------------------------------------------
    def parameters(self):
        """``{"<child>.<param>": Parameter}``, children in order."""
        return {f"{prefix}.{key}": p for prefix, child in self.named_children()
                for key, p in child.parameters().items()}

    def buffers(self):
        """Non-trainable state (BatchNorm running statistics), ``{"<child>.<buffer>": array}``."""
        return {f"{prefix}.{key}": b for prefix, child in self.named_children()
                for key, b in child.buffers().items()}

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

    def astype(self, dtype):
        """Cast every weight and buffer (e.g. to float64 for gradient checks). Rebuild optimizers after."""
        for child in self.children():
            child.astype(dtype)
        self.dtype = np.dtype(dtype)
        return self

    def count_params(self):
        return int(sum(p.size for p in self.parameters().values()))

    @property
    def uses_batch_statistics(self):
        """True if any layer normalises with batch statistics in training (see ``Layer``)."""
        return any(child.uses_batch_statistics for child in self.children())

    @property
    def trainable(self):
        """True if every layer inside trains. Setting it sets every layer inside.

        A frozen model's backward still returns dL/dx (a generator trains *through*
        a frozen discriminator) but adds nothing to its parameters' gradients.
        """
        return all(child.trainable for child in self.children())

    @trainable.setter
    def trainable(self, value):
        for child in self.children():
            child.trainable = bool(value)

    @contextmanager
    def frozen(self):
        """Inside the block the model is frozen (``trainable = False``); on exit every layer's own
        ``trainable`` flag and every buffer (BatchNorm running statistics) are restored, so
        passes through the frozen model change nothing in it."""
        layers = [layer for _, layer in self.named_layers()]
        was_trainable = [layer.trainable for layer in layers]
        saved = {key: buf.copy() for key, buf in self.buffers().items()}
        self.trainable = False
        try:
            yield self
        finally:
            for layer, trainable in zip(layers, was_trainable):
                layer.trainable = trainable
            for key, buf in self.buffers().items():
                buf[...] = saved[key]

    # -- computation ------------------------------------------------------------------
    def build(self, input_shape, rng=None, dtype=np.float32):
        """A hand-written model is built in ``__init__``: check that ``input_shape`` is the one it was built for."""
        if self.input_shape is None:
            raise NotImplementedError(f"{self.name}: build the layers in __init__ and set self.input_shape, "
                                      f"or override build()")
        if _shapes(input_shape) != _shapes(self.input_shape):
            raise ValueError(f"{self.name}: built for per-sample input shape {self.input_shape}, "
                             f"received {tuple(input_shape)}")
        return self.output_shape

    def __call__(self, *inputs, training=False):
        return self.forward(*inputs, training=training)

    def forward(self, *inputs, training=False):
        raise NotImplementedError

    def backward(self, grad_out, need_input_grad=True):
        raise NotImplementedError

    # -- display ------------------------------------------------------------------------
    def summary(self, print_fn=print):
        """A Keras-style table: each part, its output shape, its parameter count, and totals."""
        rows = [("Layer (type)", "Output Shape", "Param #")]
        trainable = non_trainable = 0
        for prefix, child in self.named_children():
            n_params = sum(p.size for p in child.parameters().values())
            n_buffers = sum(b.size for b in child.buffers().values())
            trainable += n_params
            non_trainable += n_buffers
            shape = child.output_shape
            shape = str((None,) + tuple(shape)) if shape is not None else "?"
            rows.append((f"{prefix} ({type(child).__name__})", shape, f"{n_params + n_buffers:,}"))
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


def _shapes(shape):
    """A per-sample shape, or a list of them, as nested tuples of ints (for comparison)."""
    if isinstance(shape, list) or (isinstance(shape, tuple) and shape and isinstance(shape[0], (tuple, list))):
        return [tuple(int(d) for d in s) for s in shape]
    return tuple(int(d) for d in shape)
