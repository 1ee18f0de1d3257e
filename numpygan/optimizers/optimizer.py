"""What every optimizer shares: the named parameters it updates, its saved state, and how an update is run."""

import numpy as np

from ..parameter import Parameter


class Optimizer:
    """Holds ``{name: Parameter}``; ``step()`` updates each value in place from its grad.

    ``params`` may be a dict (``model.parameters()``) or a list of Parameters.
    Per-parameter state (moments, velocities) lives in dicts keyed by the same
    names, so ``state_dict()`` can be saved next to the model's weights.

    Subclasses write the update rule once, in ``_update(theta, g, *slots)``, for
    one parameter's value, gradient and state arrays (``slot_names`` order);
    ``step()`` applies it to every parameter.
    """

    slot_names = ()

    def __init__(self, params, lr):
        if isinstance(params, dict):
            self.params = dict(params)
        else:
            self.params = {str(i): p for i, p in enumerate(params)}
        for name, p in self.params.items():
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__}: params[{name!r}] must be a Parameter, received {type(p).__name__}")
        self.lr = self._check_real("lr", lr, low=0.0, low_open=True)
        self.iterations = 0
        self.slots = {s: {n: np.zeros_like(p.value) for n, p in self.params.items()} for s in self.slot_names}

    def _check_real(self, name, value, low=None, high=None, low_open=False, high_open=False):
        """``value`` as a float, or a TypeError/ValueError naming argument ``name`` unless it is a finite
        real number in the interval from ``low`` to ``high`` (open ends excluded); checked before any work."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{type(self).__name__}: argument '{name}' must be a real number, "
                            f"received {type(value).__name__} {value!r}")
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"{type(self).__name__}: argument '{name}' must be finite, received {value}")
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            if high is None:
                expected = f"be {'>' if low_open else '>='} {low:g}"
            else:
                expected = f"lie in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise ValueError(f"{type(self).__name__}: argument '{name}' must {expected}, received {value}")
        return value

    def zero_grad(self):
        for p in self.params.values():
            p.zero_grad()

    def step(self):
        self.iterations += 1
        for name, p in self.params.items():
            self._update(p.value, p.grad, *(self.slots[s][name] for s in self.slot_names))

    def _update(self, theta, g, *slots):
        """Update ``theta`` (and the state arrays ``slots``) in place from the gradient ``g``."""
        raise NotImplementedError

    def state_dict(self):
        """Flat ``{key: ndarray}`` of everything needed to resume (slots and step count)."""
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for slot, arrays in self.slots.items():
            for name, arr in arrays.items():
                state[f"{slot}/{name}"] = arr
        return state

    def load_state_dict(self, state):
        expected = set(self.state_dict())
        received = set(state)
        if expected != received:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: keys differ; missing {sorted(expected - received)}, "
                f"unexpected {sorted(received - expected)}"
            )
        for slot, arrays in self.slots.items():
            for name, arr in arrays.items():
                src = state[f"{slot}/{name}"]
                if src.shape != arr.shape:
                    raise ValueError(
                        f"{type(self).__name__}.load_state_dict: '{slot}/{name}' expected shape {arr.shape}, "
                        f"received {src.shape}"
                    )
                arr[...] = src
        self.iterations = int(state["iterations"])
