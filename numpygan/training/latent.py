"""The generator's input: latent vectors z."""

import numbers

import numpy as np

from .config import LATENT_DISTRIBUTIONS


def latent_spec(config_or_dim):
    """``(latent_dim, distribution)`` from an int, a TrainConfig, or a config dict."""
    if isinstance(config_or_dim, numbers.Integral) and not isinstance(config_or_dim, bool):
        dim, distribution = int(config_or_dim), "normal"
    elif isinstance(config_or_dim, dict):
        if "latent_dim" not in config_or_dim:
            raise ValueError("sample_latent: argument 'config_or_dim' is a dict without 'latent_dim'")
        dim = config_or_dim["latent_dim"]
        distribution = config_or_dim.get("latent_distribution", "normal")
    elif hasattr(config_or_dim, "latent_dim"):
        dim, distribution = config_or_dim.latent_dim, getattr(config_or_dim, "latent_distribution", "normal")
    else:
        raise TypeError("sample_latent: argument 'config_or_dim' must be an int, a TrainConfig or a config dict, "
                        f"received {type(config_or_dim).__name__}")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 1:
        raise ValueError(f"sample_latent: latent_dim must be an int >= 1, received {dim!r}")
    if distribution not in LATENT_DISTRIBUTIONS:
        raise ValueError(f"sample_latent: latent_distribution must be one of {LATENT_DISTRIBUTIONS}, "
                         f"received {distribution!r}")
    return int(dim), distribution


def sample_latent(config_or_dim, n, rng=None):
    """Draw z, float32 of shape (n, latent_dim).

    ``config_or_dim``: the latent size (an int; z ~ N(0, I)), or a TrainConfig / config
    dict (as returned by ``checkpoint.load_generator``) whose ``latent_dim`` and
    ``latent_distribution`` are used: ``"normal"`` is N(0, I), ``"uniform"`` is U(−1, 1)^d.
    ``rng``: a ``numpy.random.Generator``, a seed, or None (fresh entropy).
    """
    dim, distribution = latent_spec(config_or_dim)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"sample_latent: argument 'n' must be an int >= 0, received {n!r}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    if distribution == "normal":
        return rng.standard_normal((int(n), dim), dtype=np.float32)
    z = rng.random((int(n), dim), dtype=np.float32)
    z *= 2
    z -= 1
    return z
