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
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: argument 'lr' must be > 0, received {lr}")
        self.lr = float(lr)
        self.iterations = 0
        self.slots = {s: {n: np.zeros_like(p.value) for n, p in self.params.items()} for s in self.slot_names}

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
