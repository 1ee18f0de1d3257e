"""Parameter: gradients accumulate across backward passes; zero_grad() is deferred but reads as zeros."""

import numpy as np
import pytest

from numpygan import Parameter


def test_gradient_terms_add_up_until_zero_grad():
    rng = np.random.default_rng(0)
    p = Parameter(np.zeros((3, 4)))
    a1, b1, a2, b2 = (rng.standard_normal(s) for s in [(3, 5), (5, 4), (3, 2), (2, 4)])
    p.add_grad_matmul(a1, b1)
    p.add_grad_matmul(a2, b2)
    p.add_grad(1.5)
    np.testing.assert_allclose(p.grad, a1 @ b1 + a2 @ b2 + 1.5)
    p.zero_grad()
    p.add_grad_matmul(a2, b2)          # after zero_grad the first term replaces the stale sum
    np.testing.assert_allclose(p.grad, a2 @ b2)
    p.zero_grad()
    p.add_grad(np.arange(4.0))         # broadcast like +=
    np.testing.assert_array_equal(p.grad, np.broadcast_to(np.arange(4.0), (3, 4)))


def test_grad_reads_zero_after_zero_grad_and_keeps_its_array():
    p = Parameter(np.ones((2, 3), np.float32))
    array = p.grad
    p.add_grad(7.0)
    p.zero_grad()
    assert p.grad is array and p.grad.dtype == np.float32
    np.testing.assert_array_equal(p.grad, 0)
    p.add_grad(2.0)                    # grad was really zeroed when read: adding gives 2, not 9
    np.testing.assert_array_equal(p.grad, 2)


def test_matmul_term_is_read_in_the_gradients_shape():
    """A conv kernel (kh, kw, C, F) takes the (kh·kw·C, F) product of its im2col columns."""
    rng = np.random.default_rng(1)
    p = Parameter(np.zeros((3, 3, 2, 5)))
    cols, g = rng.standard_normal((7, 18)), rng.standard_normal((7, 5))
    p.zero_grad()
    p.add_grad_matmul(cols.T, g)
    np.testing.assert_allclose(p.grad, (cols.T @ g).reshape(3, 3, 2, 5))
    p.add_grad_matmul(cols.T, g)
    np.testing.assert_allclose(p.grad, 2 * (cols.T @ g).reshape(3, 3, 2, 5))


def test_assigning_a_gradient_of_another_shape_or_dtype_is_refused():
    p = Parameter(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"expected shape \(2, 3\) dtype float32, received shape \(3, 2\)"):
        p.grad = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match="received shape \\(2, 3\\) dtype float64"):
        p.grad = np.zeros((2, 3))
    with pytest.raises(ValueError, match="C-contiguous"):
        p.grad = np.zeros((3, 2), np.float32).T
