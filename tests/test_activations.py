"""The fast Sigmoid keeps subnormal numbers out of the network (they make every later product slow)."""

import numpy as np
import pytest

from numpygan.fast import Sigmoid
from numpygan.fast.activations import flush_subnormals


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_subnormals_zeroes_only_subnormal_entries(dtype):
    tiny = np.finfo(dtype).tiny
    a = np.array([tiny / 2, -tiny / 4, tiny, -tiny, 0.0, 1.0, -3.5], dtype=dtype)
    out = flush_subnormals(a)
    assert out is a
    np.testing.assert_array_equal(a, np.array([0, 0, tiny, -tiny, 0, 1, -3.5], dtype=dtype))


def test_saturated_sigmoid_gives_zeros_not_subnormals_in_float32():
    layer = Sigmoid()
    layer.build((4,))
    x = np.array([[-100.0, -88.0, -80.0, 0.0]], np.float32)   # σ(-88) ≈ 6e-39 is subnormal in float32
    y = layer.forward(x)
    grad = layer.backward(np.ones_like(y))
    tiny = np.finfo(np.float32).tiny
    for a in (y, grad):
        assert not ((np.abs(a) > 0) & (np.abs(a) < tiny)).any()
    assert y[0, 0] == 0 and y[0, 1] == 0 and y[0, 2] > 0 and y[0, 3] == np.float32(0.5)
    np.testing.assert_allclose(y[0, 2], 1 / (1 + np.exp(80.0)), rtol=1e-6)
