"""The gradient checker itself: it measures what it claims, and it catches wrong backward passes."""

import numpy as np
import pytest

import numpygan.layers.conv2d as conv2d_module
from numpygan import Sequential, fast, gradcheck
from numpygan.gradcheck import numerical_gradient, pinned_kinks, relative_error
from numpygan.layers import BatchNormalization, Conv2D, Dense, Dropout, LeakyReLU, Tanh

# A wrong gradient must stand out by orders of magnitude, not just fail the 1e-6 tolerance.
CAUGHT = 1e-2


class SignFlippedDense(Dense):
    """Dense with one wrong sign: dW = −xᵀG (dx = G Wᵀ and db = Σ G are right)."""

    def backward(self, grad_out):
        self._check_grad(grad_out)
        self.kernel.grad -= self.x.T @ grad_out
        self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.kernel.value.T


def col2im_assigning(cols, image_shape, strides, pads):
    """col2im with the classic bug: '=' where overlapping windows must add ('+=').

    Each pixel keeps only the last window's value instead of the sum over windows.
    """
    n, ho, wo, kh, kw, c = cols.shape
    _, h, w, _ = image_shape
    (sh, sw), (top, bottom, left, right) = strides, pads
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            xp[:, a:a + (ho - 1) * sh + 1:sh, b:b + (wo - 1) * sw + 1:sw, :] = cols[:, :, :, a, b, :]
    return xp[:, top:top + h, left:left + w, :]


def float64_model(layers, input_shape, seed=0):
    return Sequential(layers, input_shape, seed=seed, dtype=np.float64)


def test_sign_flip_in_dense_kernel_gradient_is_caught():
    model = float64_model([SignFlippedDense(4, name="dense")], (5,))
    x = np.random.default_rng(0).standard_normal((3, 5))
    report = gradcheck(model, x)
    assert report["0.dense.kernel"].max_rel_error > CAUGHT
    assert report["0.dense.bias"].max_rel_error < 1e-6 and report["input"].max_rel_error < 1e-6
    assert not report.ok(1e-6)


def test_correct_dense_passes():
    model = float64_model([Dense(4)], (5,))
    assert gradcheck(model, np.random.default_rng(0).standard_normal((3, 5))).max_rel_error < 1e-6


@pytest.mark.parametrize("kernel,stride,overlapping", [(3, 2, True), (4, 1, True), (2, 2, False), (1, 3, False)],
                         ids=["k3_s2_overlap", "k4_s1_overlap", "k2_s2_disjoint", "k1_s3_disjoint"])
def test_col2im_assigning_instead_of_adding_is_caught_in_conv2d(monkeypatch, kernel, stride, overlapping):
    """Conv2D's input gradient goes through col2im; the bug only shows where windows overlap (k > s)."""
    model = float64_model([Conv2D(3, kernel, stride, "valid")], (8, 8, 1))
    assert getattr(model.layers[0], "method", "im2col") == "im2col"  # the grouping that uses col2im
    monkeypatch.setattr(conv2d_module, "col2im", col2im_assigning)
    report = gradcheck(model, np.random.default_rng(0).standard_normal((2, 8, 8, 1)))
    if overlapping:
        assert report["input"].max_rel_error > CAUGHT
    else:  # disjoint windows: '=' and '+=' coincide, and the check rightly passes
        report.assert_ok(1e-6)


@pytest.mark.parametrize("padding", ["same", "valid", 1])
def test_phase_taps_in_forward_order_are_caught_in_conv2d_transpose(monkeypatch, padding):
    """The fast Conv2DTranspose's forward runs each phase's taps in reverse order (block offset u = T−1−t);
    in forward order the forward is no longer the adjoint its backward assumes."""
    model = float64_model([fast.Conv2DTranspose(2, 4, 2, padding)], (4, 4, 3))
    correct = fast.Conv2DTranspose._phase_kernel

    def phase_kernel_unreversed(layer):
        th, tw = layer.taps_per_phase
        phased = correct(layer).copy()
        taps = phased[:th * tw * layer.input_shape[2]]          # the bias row, if any, stays last
        taps[...] = taps.reshape(th, tw, layer.input_shape[2], -1)[::-1, ::-1].reshape(taps.shape)
        return phased

    monkeypatch.setattr(fast.Conv2DTranspose, "_phase_kernel", phase_kernel_unreversed)
    report = gradcheck(model, np.random.default_rng(0).standard_normal((2, 4, 4, 3)))
    assert report.max_rel_error > CAUGHT


def test_report_names_every_tensor_and_counts_checked_elements():
    model = float64_model([Dense(3), Tanh(), Dense(2)], (4,))
    report = gradcheck(model, np.random.default_rng(0).standard_normal((2, 4)), max_per_tensor=5)
    assert [c.name for c in report.checks] == ["input"] + list(model.parameters())
    assert report["input"].checked == 5 and report["input"].size == 8
    assert report["0.dense.bias"].checked == 3  # smaller than max_per_tensor: every element
    assert "0.dense.kernel" in str(report)


def test_float32_models_are_refused():
    model = Sequential([Dense(2)], (3,), seed=0)
    with pytest.raises(TypeError, match="astype"):
        gradcheck(model, np.zeros((1, 3)))
    with pytest.raises(TypeError, match="float64"):
        gradcheck(model.astype(np.float64), np.zeros((1, 3), dtype=np.float32))


def test_checking_leaves_the_model_as_it_was():
    """Running statistics, the dropout generator's state, weights and the input are restored."""
    model = float64_model([Dense(6, use_bias=False), BatchNormalization(momentum=0.5), Dropout(0.5), Dense(1)], (4,))
    x = np.random.default_rng(0).standard_normal((5, 4))
    x_before = x.copy()
    state_before = {k: v.copy() for k, v in model.state_dict().items()}
    rng_before = model.rng.bit_generator.state
    gradcheck(model, x).assert_ok(1e-6)
    assert model.rng.bit_generator.state == rng_before
    np.testing.assert_array_equal(x, x_before)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state_before[key], err_msg=key)


def test_relative_error_metric():
    np.testing.assert_allclose(relative_error([1.0, 0.0, -2.0], [1.1, 0.0, -2.0]), [0.1 / 2.1, 0.0, 0.0])
    assert relative_error(1.0, -1.0) == 1.0           # opposite signs: the maximum
    assert relative_error(1e-13, 0.0) == pytest.approx(0.1)  # below 1e-12 the floor takes over


def test_fourth_order_stencil_is_exact_for_quartics():
    w = np.array([0.3, -1.7])

    def f():
        return float(np.sum(w ** 4 - 2 * w ** 3 + w))

    numeric, steps = numerical_gradient(f, w)
    np.testing.assert_allclose(numeric, 4 * w ** 3 - 6 * w ** 2 + 1, rtol=1e-10)
    np.testing.assert_array_equal(steps, 1e-3)


def test_step_shrinks_where_the_function_curves_on_a_small_scale():
    """tanh(w / 0.01) near w = 0.003 curves on a 1e-2 scale, so the O(h⁴) stencil at the fixed
    h = 1e-3 is off by more than 1e-6; refinement halves h until successive estimates agree."""
    w = np.array([0.003])

    def f():
        return float(np.tanh(w[0] / 0.01))

    exact = (1 - np.tanh(0.3) ** 2) / 0.01
    fixed, _ = numerical_gradient(f, w, rtol=np.inf)  # no refinement: the plain stencil at h
    assert relative_error(fixed[0], exact) > 1e-6
    refined, steps = numerical_gradient(f, w)
    assert steps[0] < 1e-3
    assert relative_error(refined[0], exact) < 1e-9


def test_step_grows_where_round_off_swamps_a_small_derivative():
    """L sums 20 000 terms near 1.5, so each evaluation carries ~1e-12 of rounding, while
    dL/dw ~ 1e-3: at h = 1e-3 round-off alone is ~5e-6 relative. The refinement sees D(h)
    and D(2h) disagree erratically (not 16-fold less at h/2) and takes a larger step."""
    rng = np.random.default_rng(0)
    base, v = rng.uniform(1, 2, 20000), rng.standard_normal(20000)
    w = np.array([0.5])

    def f():
        return float(np.sum(base + 1e-5 * np.sin(w[0] * v)))

    exact = 1e-5 * np.sum(v * np.cos(0.5 * v))
    plain, _ = numerical_gradient(f, w, rtol=np.inf)
    assert relative_error(plain[0], exact) > 1e-6
    refined, steps = numerical_gradient(f, w)
    assert steps[0] > 1e-3
    assert relative_error(refined[0], exact) < 5e-7


def test_kink_state_is_taken_at_the_unperturbed_point():
    """Regression: the reference kink state was read after whatever f() ran last (possibly a
    perturbed point), so every step looked like a crossing and h collapsed to min_h."""
    w = np.array([5e-4, 2.0])

    def f():
        return float(np.sum(np.maximum(w, 0.2 * w)))

    def kink_state():
        return (w > 0,)

    w[0] = -1.0
    f()          # the caller's last evaluation was at another point
    w[0] = 5e-4
    numeric, steps = numerical_gradient(f, w, indices=[1], kink_state=kink_state)
    assert steps[0] == 1e-3 and numeric[0] == pytest.approx(1.0, rel=1e-12)
    numeric, steps = numerical_gradient(f, w, indices=[0], kink_state=kink_state)
    assert steps[0] < 5e-4 / 2  # ±2h must stay on the positive side of the kink
    assert numeric[0] == pytest.approx(1.0, rel=1e-9)


def test_pinned_kinks_hold_the_activation_pattern_and_release_it():
    layer = LeakyReLU(0.2)
    layer.build((3,))
    layer.forward(np.array([[1.0, -1.0, 2.0]]))
    with pinned_kinks(layer):
        y = layer.forward(np.array([[-1.0, 1.0, 2.0]]))  # signs of the first two flipped
        np.testing.assert_array_equal(y, [[-1.0, 0.2, 2.0]])  # evaluated on the old branches
    assert layer.pinned_kinks is None
    np.testing.assert_array_equal(layer.forward(np.array([[-1.0, 1.0, 2.0]])), [[-0.2, 1.0, 2.0]])


def test_many_units_near_their_kinks_do_not_disturb_the_check():
    """A wide LeakyReLU network has units within 2h = 2e-3 of their kinks for almost every
    perturbation of the first layer's weights; the pinned check still agrees to 1e-6."""
    model = float64_model([Dense(400), LeakyReLU(0.2), Dense(300), LeakyReLU(0.2), Dense(1)], (20,), seed=3)
    x = np.random.default_rng(0).standard_normal((4, 20))
    pre = model.layers[0].forward(x)
    assert np.sum(np.abs(pre) < 2e-3) >= 1  # some unit sits within the stencil of its kink
    gradcheck(model, x, max_per_tensor=40).assert_ok(1e-6)


def test_sampling_checks_exactly_max_per_tensor_elements():
    """Regression: a random pick equal to the first or last index used to be merged away."""
    model = float64_model([Dense(40)], (30,))
    x = np.random.default_rng(0).standard_normal((2, 30))
    for seed in range(20):
        report = gradcheck(model, x, max_per_tensor=4, seed=seed)
        assert all(c.checked == min(4, c.size) for c in report.checks)
    with pytest.raises(ValueError, match="max_per_tensor"):
        gradcheck(model, x, max_per_tensor=1)
