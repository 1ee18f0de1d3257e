"""Weight initialisers. Each draws from a ``numpy.random.Generator`` handed in.

``fan_in`` and ``fan_out`` follow Keras: for a Dense kernel (in, out) they are
``in`` and ``out``; for a convolution kernel (kh, kw, c_in, c_out) they are
``kh*kw*c_in`` and ``kh*kw*c_out``.
"""

import numpy as np


def _fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return receptive * shape[-2], receptive * shape[-1]


def glorot_uniform(shape, rng, dtype=np.float32):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def he_normal(shape, rng, dtype=np.float32):
    """N(0, 2 / fan_in), truncated at 2 standard deviations as in Keras (He et al. 2015)."""
    fan_in, _ = _fans(shape)
    std = np.sqrt(2.0 / fan_in) / 0.87962566103423978  # std of N(0,1) truncated at ±2
    w = rng.standard_normal(size=shape)
    bad = np.abs(w) > 2
    while bad.any():  # redraw the tails; converges in a few passes
        w[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(w) > 2
    return (w * std).astype(dtype)


def normal(shape, rng, dtype=np.float32, mean=0.0, stddev=0.02):
    """N(mean, stddev^2); the DCGAN paper's N(0, 0.02^2) by default."""
    return (mean + stddev * rng.standard_normal(size=shape)).astype(dtype)


def uniform(shape, rng, dtype=np.float32, minval=-0.05, maxval=0.05):
    """U(minval, maxval); Keras's ``RandomUniform`` default, the initialiser of its Embedding."""
    return rng.uniform(minval, maxval, size=shape).astype(dtype)


def zeros(shape, rng=None, dtype=np.float32):
    return np.zeros(shape, dtype=dtype)


def ones(shape, rng=None, dtype=np.float32):
    return np.ones(shape, dtype=dtype)


_BY_NAME = {
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "normal": normal,
    "uniform": uniform,
    "zeros": zeros,
    "ones": ones,
}


def get(initializer):
    """Return an initialiser from its name or pass a callable through."""
    if callable(initializer):
        return initializer
    try:
        return _BY_NAME[initializer]
    except KeyError:
        raise ValueError(
            f"initializer: expected one of {sorted(_BY_NAME)} or a callable, received {initializer!r}"
        ) from None
