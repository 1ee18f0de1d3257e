"""Gradient checking: handwritten backward passes against central differences.

For a layer or model f with input x and parameters θ, draw a random upstream
gradient u (the shape of f(x)) and form the scalar L = Σ f(x) ⊙ u. Backward
with u gives the analytic dL/dx and dL/dθ; each is compared with a numerical
derivative from the fourth-order central difference

    dL/dw ≈ [8 (L(w+h) − L(w−h)) − (L(w+2h) − L(w−2h))] / (12 h)

whose truncation error is O(h⁴). L is evaluated relative to the unperturbed
point, as Σ (f − f₀) ⊙ u, so outputs a perturbation does not reach cancel
exactly and round-off scales with the change rather than with the size of L.
With h = 1e-3 in float64 truncation and round-off usually stay near 1e-12,
so a correct backward agrees to ≈ 1e-9 relative. Where the function curves on
a smaller scale than h (BatchNorm over a batch whose values nearly coincide),
the estimates at 2h and h disagree and the step is halved until successive
ones agree; where round-off swamps a tiny derivative at h, it is doubled
instead (``numerical_gradient``).

Per tensor, the report gives the maximum element-wise relative error
|a − n| / max(|a| + |n|, 1e-12) and the index where it occurs.

Piecewise-linear layers (ReLU, LeakyReLU) have kinks where the derivative jumps.
Where no unit sits exactly on a kink, the model agrees, in a neighbourhood of
the checked point, with the smooth function that keeps every unit on its
current side, so the two have the same derivative there. ``gradcheck``
therefore takes its differences with every kinked layer pinned to the
activation pattern of the unperturbed forward (``pinned_kinks``), and h stays
1e-3. Shrinking h whenever a perturbation carries a unit across a kink is no
substitute in whole networks: a DCGAN generator has ~10⁵ kinked units, some
always lie within 2h of their kink, and at the h that misses them all
round-off alone exceeds 1e-6 relative. Input points within ``kink_margin`` of
a kink of the first layer are still moved away from it, so the check never
rests on the convention at the kink itself.
Dropout is checked with a fixed mask: every evaluation replays the same state
of the generator that draws it.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .model import Model


def relative_error(analytic, numeric):
    """Element-wise |a − n| / max(|a| + |n|, 1e-12)."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)


def _central_difference(L, s):
    """The O(s⁴) stencil from L(offset) at offsets ±s, ±2s."""
    return (8 * (L(s) - L(-s)) - (L(2 * s) - L(-2 * s))) / (12 * s)


def _refined_difference(L, h, min_h, max_h, rtol):
    """D(s), with the step s chosen by comparing D(s) with D(2s).

    e(s) = |D(2s) − D(s)| measures D(s)'s error. Where truncation dominates it
    is 15 times that error and falls 16-fold per halving of s (256-fold from
    s = 2h to h/2); where round-off dominates it falls, erratically, as s grows.
    If e(h) > rtol·|D(h)|, e(h/2) and e(2h) tell which dominates:
    * truncation (a function that curves on a smaller scale than h: BatchNorm
      over a batch whose values nearly coincide): s is halved, down to
      ``min_h``, while e keeps falling at least 4-fold;
    * round-off (a derivative small next to L's rounding): every step up to
      ``max_h`` is tried.
    Returns (D at the step with the smallest e, that step).
    """
    def estimate(step):
        """(D(step), e(step), step); e is infinite outside [min_h, max_h]."""
        if not min_h <= step <= max_h:
            return np.nan, np.inf, step
        d = _central_difference(L, step)
        return d, abs(_central_difference(L, 2 * step) - d), step

    def converged(est):
        return est[1] <= rtol * abs(est[0])

    best = estimate(h)
    if converged(best):
        return best[0], h
    down, up = estimate(h / 2), estimate(2 * h)
    if 16 * down[1] < up[1]:
        while 4 * down[1] < best[1]:  # also stops at a non-finite value
            best = down
            if converged(best):
                break
            down = estimate(best[2] / 2)
    else:
        while up[1] < np.inf:
            if up[1] < best[1]:
                best = up
            up = estimate(2 * up[2])
    return best[0], best[2]


def numerical_gradient(f, array, indices=None, h=1e-3, kink_state=None, min_h=1e-7, max_h=None, rtol=1e-8):
    """dL/d(array[i]) for each flat index i, by fourth-order central differences.

    ``f()`` returns the scalar L and reads ``array``, which is perturbed in place
    and restored. Each derivative is estimated with steps h and 2h (whose
    stencils share the points ±2h); while the two differ by more than ``rtol``
    relative, the step moves down (to ``min_h``) or up (to ``max_h``, 8h by
    default, perturbations then reaching ±32h; h with ``kink_state``, where
    larger steps would only cross more kinks) to where they agree best: a
    function that curves on a smaller scale than h needs a smaller step, a
    derivative small next to round-off a larger one.
    ``kink_state()``, if given, returns a tuple of boolean arrays describing
    which side of each kink every unit is on; when a perturbation changes it,
    the element starts over with h/10 (down to ``min_h``).
    Returns (gradient values for ``indices``, the step of each).
    """
    if array.dtype != np.float64:
        raise TypeError(f"numerical_gradient: argument 'array' must be float64, received {array.dtype}")
    flat = array.reshape(-1)
    if indices is None:
        indices = np.arange(flat.size)
    if max_h is None:
        max_h = h if kink_state is not None else 8 * h
    base_kinks = None
    if kink_state is not None:
        f()  # the kink state of the unperturbed point: the caller's last f() may have been perturbed
        base_kinks = kink_state()
    grads = np.empty(len(indices))
    steps = np.empty(len(indices))
    for out, i in enumerate(indices):
        original = flat[i]
        start = h
        while True:
            values, crossed = {}, False

            def L(offset):
                nonlocal crossed
                if offset not in values:  # stencils at s and s/2 share points: evaluate each once
                    flat[i] = original + offset
                    values[offset] = f()
                    if base_kinks is not None and not crossed:
                        crossed = any(not np.array_equal(a, b) for a, b in zip(base_kinks, kink_state()))
                return values[offset]

            grads[out], steps[out] = _refined_difference(L, start, min_h, max_h, rtol)
            flat[i] = original
            if not crossed or start / 10 < min_h:
                break
            start /= 10
    return grads, steps


@dataclass
class TensorCheck:
    """Result for one tensor: the worst element and how many were checked."""

    name: str
    max_rel_error: float
    worst_index: tuple
    analytic: float
    numeric: float
    checked: int
    size: int


@dataclass
class GradcheckReport:
    checks: list = field(default_factory=list)

    @property
    def max_rel_error(self):
        return max((c.max_rel_error for c in self.checks), default=0.0)

    def __getitem__(self, name):
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def ok(self, tol=1e-6):
        return self.max_rel_error <= tol

    def assert_ok(self, tol=1e-6):
        if not self.ok(tol):
            raise AssertionError(f"gradient check failed (tolerance {tol:g}):\n{self}")

    def __str__(self):
        lines = [f"{'tensor':32s} {'max rel err':>12s} {'worst index':>18s} {'analytic':>13s} {'numeric':>13s} checked"]
        for c in self.checks:
            lines.append(
                f"{c.name:32s} {c.max_rel_error:12.3e} {str(c.worst_index):>18s} "
                f"{c.analytic:13.6e} {c.numeric:13.6e} {c.checked}/{c.size}"
            )
        return "\n".join(lines)


def _layers_of(model):
    """The leaf layers of a model (through nested models), or ``[model]`` for a layer."""
    if isinstance(model, Model):
        return [layer for _, layer in model.named_layers()]
    return [model]


def _first_layer(model):
    """The layer that reads a Sequential's input (through nested Sequentials); None for other models."""
    while isinstance(model, Model):
        layers = getattr(model, "layers", None)
        if not layers:
            return None
        model = layers[0]
    return model


@contextmanager
def pinned_kinks(*models):
    """Hold every kinked layer of ``models`` to the side of its kink each unit took in its last forward.

    Inside the block, forward passes evaluate the smooth branch of the network
    through the point of that last forward (see the module docstring); on exit
    the layers compute their kinks afresh again.
    """
    kinked = [layer for model in models for layer in _layers_of(model) if hasattr(layer, "kink_state")]
    for layer in kinked:
        layer.pinned_kinks = layer.kink_state().copy()
    try:
        yield
    finally:
        for layer in kinked:
            layer.pinned_kinks = None


def _move_off_kinks(model, x, margin):
    """If the model starts with a kinked activation, keep inputs ≥ margin away from 0."""
    first = _first_layer(model)
    if hasattr(first, "kink_state"):
        near = np.abs(x) < margin
        x = np.where(near, np.where(x < 0, -margin, margin), x)
    return x


def gradcheck(model, x, *, training=True, h=1e-3, max_per_tensor=None, seed=0, kink_margin=1e-2,
              upstream=None):
    """Check ``model``'s backward against numerical derivatives; return a GradcheckReport.

    ``model``: a Layer, Sequential or Model in float64 (``model.astype(np.float64)``).
    ``x``: the input batch, float64; or a list of inputs for a model with several
    (``model.forward(*x)`` for a Model, ``layer.forward(x)`` for a layer such as
    Concatenate), whose ``backward`` returns one gradient per input. Integer
    inputs (labels) are held fixed: they have no gradient (backward returns None).
    Checks dL/d(every floating input), reported as ``"input"`` (``"input[i]"``
    for a list), and dL/dθ for every parameter.
    ``max_per_tensor``: if set, check that many randomly chosen elements of each
    tensor (always including the first and last) instead of all of them.
    The model's buffers (BatchNorm running statistics) and generators are
    restored afterwards, so checking leaves the model as it was.
    """
    several = isinstance(x, (list, tuple))
    inputs = list(x) if several else [x]
    names = [f"input[{i}]" for i in range(len(inputs))] if several else ["input"]
    for name, value in zip(names, inputs):
        if not isinstance(value, np.ndarray) or not (value.dtype == np.float64
                                                     or np.issubdtype(value.dtype, np.integer)):
            raise TypeError(f"gradcheck: argument 'x' ({name}) must be a float64 array (or integer labels), "
                            f"received {getattr(value, 'dtype', type(value).__name__)}")
    if max_per_tensor is not None and max_per_tensor < 2:
        raise ValueError(f"gradcheck: argument 'max_per_tensor' must be >= 2 (first and last element), "
                         f"received {max_per_tensor}")
    params = model.parameters()
    for name, p in params.items():
        if p.dtype != np.float64:
            raise TypeError(f"gradcheck: parameter {name!r} is {p.dtype}; call model.astype(np.float64) first")
    if isinstance(model, Model):
        rngs = list(model.random_generators().values())
    else:
        rngs = [model.rng] if isinstance(getattr(model, "rng", None), np.random.Generator) else []
    rng_states = [r.bit_generator.state for r in rngs]
    buffers = {k: v.copy() for k, v in model.buffers().items()}

    def replay_randomness():
        for r, s in zip(rngs, rng_states):
            r.bit_generator.state = s

    def forward():
        if not several:
            return model.forward(inputs[0], training=training)
        if isinstance(model, Model):
            return model.forward(*inputs, training=training)
        return model.forward(inputs, training=training)   # a layer with several inputs takes a list

    inputs = [value.copy() for value in inputs]
    if not several:
        inputs[0] = _move_off_kinks(model, inputs[0], kink_margin)
    replay_randomness()
    y = forward()
    chooser = np.random.default_rng(seed)
    u = upstream if upstream is not None else chooser.standard_normal(y.shape)

    model.zero_grad()
    input_grads = model.backward(u.copy())
    input_grads = list(input_grads) if several else [input_grads]
    if len(input_grads) != len(inputs):
        raise ValueError(f"gradcheck: backward returned {len(input_grads)} input gradients for {len(inputs)} inputs")
    tensors, analytic = [], {}
    for name, value, grad in zip(names, inputs, input_grads):
        if np.issubdtype(value.dtype, np.integer):
            continue  # labels: held fixed, no gradient
        if grad is None:
            raise ValueError(f"gradcheck: backward returned None for {name}, a floating input")
        tensors.append((name, value))
        analytic[name] = np.array(grad, copy=True)
    for name, p in params.items():
        analytic[name] = p.grad.copy()
        tensors.append((name, p.value))

    y = y.copy()  # the forward may return a view of x (Dropout at inference), which is perturbed below

    def loss():
        """L(w) − L(w₀) = Σ (f − f₀) ⊙ u: outputs a perturbation does not reach cancel
        exactly, so round-off scales with what changed, not with the size of L."""
        replay_randomness()
        return float(np.dot((forward() - y).reshape(-1), u.reshape(-1)))

    loss()  # the unperturbed forward, whose activation pattern is pinned below
    report = GradcheckReport()
    with pinned_kinks(model):
        for name, arr in tensors:
            if max_per_tensor is not None and arr.size > max_per_tensor:
                picks = chooser.choice(np.arange(1, arr.size - 1), size=max_per_tensor - 2, replace=False)
                indices = np.unique(np.concatenate([[0, arr.size - 1], picks]))
            else:
                indices = np.arange(arr.size)
            numeric, _ = numerical_gradient(loss, arr, indices, h=h)
            a = analytic[name].reshape(-1)[indices]
            err = relative_error(a, numeric)
            worst = int(np.argmax(err)) if err.size else 0
            report.checks.append(TensorCheck(
                name=name, max_rel_error=float(err[worst]) if err.size else 0.0,
                worst_index=tuple(int(v) for v in np.unravel_index(indices[worst], arr.shape)),
                analytic=float(a[worst]), numeric=float(numeric[worst]), checked=len(indices), size=arr.size,
            ))

    replay_randomness()
    for k, v in model.buffers().items():
        v[...] = buffers[k]
    return report
