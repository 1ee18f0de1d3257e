"""Parameter: gradients accumulate across backward passes until zero_grad(); new arrays are checked."""

import numpy as np
import pytest

from numpygan import Parameter
from numpygan.fast.parameter import Parameter as DeferredParameter


def test_gradient_terms_add_up_until_zero_grad():
    rng = np.random.default_rng(0)
    p = Parameter(np.zeros((3, 4)))
    a1, b1, a2, b2 = (rng.standard_normal(s) for s in [(3, 5), (5, 4), (3, 2), (2, 4)])
    p.grad += a1 @ b1
    p.add_grad(a2 @ b2)
    p.add_grad(1.5)
    np.testing.assert_allclose(p.grad, a1 @ b1 + a2 @ b2 + 1.5)
    p.zero_grad()
    np.testing.assert_array_equal(p.grad, 0)
    p.add_grad(np.arange(4.0))         # broadcast like +=
    np.testing.assert_array_equal(p.grad, np.broadcast_to(np.arange(4.0), (3, 4)))


@pytest.mark.parametrize("kind", [Parameter, DeferredParameter], ids=["reference", "deferred"])
def test_grad_reads_zero_after_zero_grad_and_keeps_its_array(kind):
    p = kind(np.ones((2, 3), np.float32))
    array = p.grad
    p.add_grad(7.0)
    p.zero_grad()
    assert p.grad is array and p.grad.dtype == np.float32
    np.testing.assert_array_equal(p.grad, 0)
    p.add_grad(2.0)                    # grad was really zeroed: adding gives 2, not 9
    np.testing.assert_array_equal(p.grad, 2)


@pytest.mark.parametrize("attribute", ["grad", "value"])
def test_assigning_an_array_of_another_shape_or_dtype_is_refused(attribute):
    p = Parameter(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=rf"Parameter.{attribute}: expected shape \(2, 3\) dtype float32, "
                                         r"received shape \(3, 2\)"):
        setattr(p, attribute, np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="received shape \\(2, 3\\) dtype float64"):
        setattr(p, attribute, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="C-contiguous"):
        setattr(p, attribute, np.zeros((3, 2), np.float32).T)
    with pytest.raises(TypeError, match=rf"Parameter.{attribute}: expected a numpy.ndarray, received list"):
        setattr(p, attribute, [[0.0] * 3] * 2)
    assert p.value.shape == p.grad.shape == (2, 3)     # nothing was replaced


def test_a_matching_array_is_accepted_and_astype_changes_the_dtype():
    p = Parameter(np.zeros((2, 3), np.float32))
    p.value = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(p.value, 1)
    p.astype(np.float64)
    assert p.value.dtype == p.grad.dtype == np.float64
    np.testing.assert_array_equal(p.value, 1)


# -- the fast twin: zero_grad() deferred to the next write -----------------------------------------------------
def test_deferred_gradient_terms_add_up_until_zero_grad():
    rng = np.random.default_rng(0)
    p = DeferredParameter(np.zeros((3, 4)))
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
    p.zero_grad()
    p.grad += 2.0                      # the reference layers' way: reading grad zeroes it first
    np.testing.assert_array_equal(p.grad, 2)


def test_deferred_matmul_term_is_read_in_the_gradients_shape():
    """A conv kernel (kh, kw, C, F) takes the (kh·kw·C, F) product of its im2col columns."""
    rng = np.random.default_rng(1)
    p = DeferredParameter(np.zeros((3, 3, 2, 5)))
    cols, g = rng.standard_normal((7, 18)), rng.standard_normal((7, 5))
    p.zero_grad()
    p.add_grad_matmul(cols.T, g)
    np.testing.assert_allclose(p.grad, (cols.T @ g).reshape(3, 3, 2, 5))
    p.add_grad_matmul(cols.T, g)
    np.testing.assert_allclose(p.grad, 2 * (cols.T @ g).reshape(3, 3, 2, 5))
    with pytest.raises(ValueError, match="C-contiguous"):
        p.grad = np.zeros((5, 2, 3, 3)).T
