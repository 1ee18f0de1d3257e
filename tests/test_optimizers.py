"""Adam and SGD: the first steps against arithmetic written out by hand.

Every test runs twice: on the reference optimizers (``numpygan.optimizers``) and on
their fast twins (``numpygan.fast``), through the module names ``Adam`` and ``SGD``.
"""

import math
import sys

import numpy as np
import pytest

from numpygan import Parameter, fast, optimizers
from numpygan.optimizers import SGD, Adam


@pytest.fixture(autouse=True, params=[optimizers, fast], ids=["reference", "fast"])
def kit(request, monkeypatch):
    """Point this module's ``Adam`` and ``SGD`` at the reference classes or at the fast twins."""
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "Adam", request.param.Adam)
    monkeypatch.setattr(module, "SGD", request.param.SGD)
    return request.param


def parameter(values, dtype=np.float64):
    return Parameter(np.array(values, dtype=dtype))


def set_grad(p, values):
    p.grad[...] = values


def test_adam_first_two_steps_by_hand():
    """lr = 0.1, β₁ = 0.5, β₂ = 0.999, ε = 1e-8; θ₀ = [1, −2]; g₁ = [0.5, −1]; g₂ = [0.1, 2].

    Step 1:  m₁ = 0.5·0 + 0.5·g₁ = [0.25, −0.5]        v₁ = 0.999·0 + 0.001·g₁² = [0.00025, 0.001]
             m̂₁ = m₁ / (1 − 0.5) = [0.5, −1]           v̂₁ = v₁ / (1 − 0.999) = [0.25, 1]
             θ₁ = θ₀ − 0.1·m̂₁ / (√v̂₁ + ε) = [1 − 0.1·0.5/(0.5 + ε), −2 + 0.1·1/(1 + ε)] ≈ [0.9, −1.9]
    Step 2:  m₂ = 0.5·m₁ + 0.5·g₂ = [0.175, 0.75]       v₂ = 0.999·v₁ + 0.001·g₂² = [0.00025975, 0.004999]
             m̂₂ = m₂ / (1 − 0.25) = [0.23333…, 1]       v̂₂ = v₂ / (1 − 0.998001) = v₂ / 0.001999
             θ₂ = θ₁ − 0.1·m̂₂ / (√v̂₂ + ε)
    """
    eps = 1e-8
    p = parameter([1.0, -2.0])
    opt = Adam({"w": p}, lr=0.1, beta_1=0.5, beta_2=0.999, epsilon=eps)

    set_grad(p, [0.5, -1.0])
    opt.step()
    theta_1 = np.array([1 - 0.1 * 0.5 / (0.5 + eps), -2 + 0.1 * 1 / (1 + eps)])
    np.testing.assert_allclose(p.value, theta_1, rtol=1e-14)
    np.testing.assert_allclose(opt.slots["m"]["w"], [0.25, -0.5], rtol=1e-14)
    np.testing.assert_allclose(opt.slots["v"]["w"], [0.00025, 0.001], rtol=1e-14)
    np.testing.assert_allclose(p.value, [0.9, -1.9], atol=1e-8)

    set_grad(p, [0.1, 2.0])
    opt.step()
    m_2 = np.array([0.5 * 0.25 + 0.5 * 0.1, 0.5 * -0.5 + 0.5 * 2.0])                 # [0.175, 0.75]
    v_2 = np.array([0.999 * 0.00025 + 0.001 * 0.01, 0.999 * 0.001 + 0.001 * 4.0])    # [0.00025975, 0.004999]
    m_hat = m_2 / 0.75
    v_hat = v_2 / 0.001999
    theta_2 = theta_1 - 0.1 * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(opt.slots["m"]["w"], [0.175, 0.75], rtol=1e-14)
    np.testing.assert_allclose(opt.slots["v"]["w"], [0.00025975, 0.004999], rtol=1e-13)
    np.testing.assert_allclose(p.value, theta_2, rtol=1e-13)
    # the numbers: √v̂₂ = [√0.129939…, √2.500750…] = [0.360471…, 1.581376…]
    np.testing.assert_allclose(p.value, [0.9 - 0.1 * 0.233333333 / 0.360471, -1.9 - 0.1 / 1.581376], rtol=1e-6)
    assert opt.iterations == 2


def test_sgd_with_momentum_by_hand():
    """lr = 0.1, μ = 0.9; θ₀ = [1, −1]; g₁ = [1, 2]; g₂ = [−1, 0.5].

    velocity₁ = 0.9·0 − 0.1·g₁ = [−0.1, −0.2]           θ₁ = θ₀ + velocity₁ = [0.9, −1.2]
    velocity₂ = 0.9·velocity₁ − 0.1·g₂ = [−0.09 + 0.1, −0.18 − 0.05] = [0.01, −0.23]
    θ₂ = θ₁ + velocity₂ = [0.91, −1.43]
    """
    p = parameter([1.0, -1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    set_grad(p, [1.0, 2.0])
    opt.step()
    np.testing.assert_allclose(p.value, [0.9, -1.2], rtol=1e-15)
    set_grad(p, [-1.0, 0.5])
    opt.step()
    np.testing.assert_allclose(opt.slots["velocity"]["0"], [0.01, -0.23], rtol=1e-13)
    np.testing.assert_allclose(p.value, [0.91, -1.43], rtol=1e-14)


def test_sgd_nesterov_by_hand():
    """Nesterov: velocity ← μ·velocity − lr·g;  θ ← θ + μ·velocity − lr·g.  lr = 0.1, μ = 0.9, θ₀ = 1.

    g₁ = 1:  velocity₁ = −0.1;  θ₁ = 1 + 0.9·(−0.1) − 0.1 = 0.81
    g₂ = 2:  velocity₂ = 0.9·(−0.1) − 0.2 = −0.29;  θ₂ = 0.81 + 0.9·(−0.29) − 0.2 = 0.349
    """
    p = parameter([1.0])
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    for g in (1.0, 2.0):
        set_grad(p, [g])
        opt.step()
        if g == 1.0:
            np.testing.assert_allclose(p.value, [0.81], rtol=1e-14)
    np.testing.assert_allclose(p.value, [0.349], rtol=1e-14)


def test_plain_sgd_is_gradient_descent():
    p = parameter([[1.0, 2.0]])
    opt = SGD([p], lr=0.5)
    set_grad(p, [[0.2, -0.4]])
    opt.step()
    np.testing.assert_allclose(p.value, [[0.9, 2.2]], rtol=1e-15)


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=1e-3), lambda ps: SGD(ps, lr=0.1, momentum=0.9)],
                         ids=["adam", "sgd_momentum"])
def test_float32_parameters_stay_float32(make):
    p = parameter(np.ones((3, 2)), dtype=np.float32)
    opt = make({"w": p})
    p.grad[...] = 0.5
    opt.step()
    assert p.value.dtype == np.float32 and p.grad.dtype == np.float32
    assert all(arr.dtype == np.float32 for slot in opt.slots.values() for arr in slot.values())


def test_update_is_in_place_and_leaves_grad_alone():
    """Other holders of the weight array (a layer, a checkpoint) see the update; the gradient is the caller's."""
    p = parameter([1.0, 2.0])
    value_array = p.value
    opt = Adam({"w": p}, lr=0.1)
    set_grad(p, [1.0, 1.0])
    opt.step()
    assert p.value is value_array
    np.testing.assert_array_equal(p.grad, [1.0, 1.0])


def test_zero_grad_resets_every_parameter():
    a, b = parameter([1.0]), parameter([2.0, 3.0])
    opt = SGD({"a": a, "b": b}, lr=0.1)
    set_grad(a, [4.0])
    set_grad(b, [5.0, 6.0])
    opt.zero_grad()
    assert not a.grad.any() and not b.grad.any()


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=0.01), lambda ps: SGD(ps, lr=0.1, momentum=0.5)],
                         ids=["adam", "sgd_momentum"])
def test_state_dict_resumes_exactly(make):
    """Two steps, save, then a fresh optimizer loaded from the state continues bit for bit."""
    grads = np.random.default_rng(0).standard_normal((4, 3))
    p = parameter(np.zeros(3))
    opt = make({"w": p})
    for g in grads[:2]:
        set_grad(p, g)
        opt.step()
    state = {k: v.copy() for k, v in opt.state_dict().items()}
    resumed = parameter(p.value.copy())
    opt_resumed = make({"w": resumed})
    opt_resumed.load_state_dict(state)
    assert opt_resumed.iterations == 2
    for g in grads[2:]:
        set_grad(p, g)
        set_grad(resumed, g)
        opt.step()
        opt_resumed.step()
    np.testing.assert_array_equal(p.value, resumed.value)


def test_state_dict_refuses_other_parameters():
    opt = Adam({"w": parameter([1.0])})
    other = Adam({"v": parameter([1.0])})
    with pytest.raises(ValueError, match=r"missing \['m/w', 'v/w'\].*unexpected \['m/v', 'v/v'\]"):
        opt.load_state_dict(other.state_dict())


@pytest.mark.parametrize("make,match", [
    (lambda ps: Adam(ps, lr=0.0), r"Adam: argument 'lr' must be > 0, received 0\.0"),
    (lambda ps: Adam(ps, beta_1=1.0), r"Adam: argument 'beta_1' must lie in \[0, 1\), received 1\.0"),
    (lambda ps: Adam(ps, beta_2=-0.1), r"Adam: argument 'beta_2' must lie in \[0, 1\), received -0\.1"),
    (lambda ps: SGD(ps, lr=-1.0), r"SGD: argument 'lr' must be > 0, received -1\.0"),
    (lambda ps: SGD(ps, lr=0.1, momentum=1.0), r"SGD: argument 'momentum' must lie in \[0, 1\), received 1\.0"),
], ids=["adam_lr", "adam_beta_1", "adam_beta_2", "sgd_lr", "sgd_momentum"])
def test_bad_hyperparameters_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make({"w": parameter([1.0])})


def test_non_parameters_are_refused():
    with pytest.raises(TypeError, match=r"Adam: params\['w'\] must be a Parameter, received ndarray"):
        Adam({"w": np.zeros(2)})


def test_adam_bias_correction_makes_the_first_step_lr_sized():
    """m̂₁ = g and √v̂₁ = |g| for any gradient size: the first step is −lr·g / (|g| + ε), ≈ lr in size."""
    p = parameter([0.0, 0.0, 0.0])
    opt = Adam({"w": p}, lr=2e-4, epsilon=1e-8)
    g = np.array([1e-6, -3.0, 250.0])
    set_grad(p, g)
    opt.step()
    np.testing.assert_allclose(p.value, -2e-4 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert math.isclose(abs(p.value[2]), 2e-4, rel_tol=1e-10)


def test_a_parameter_without_gradient_since_zero_grad_gets_a_zero_gradient():
    p = parameter([1.0, -2.0])
    opt = SGD({"w": p}, lr=0.5)
    set_grad(p, [3.0, 3.0])
    opt.zero_grad()
    opt.step()                         # nothing accumulated: the stale 3.0 must not be used
    np.testing.assert_array_equal(p.value, [1.0, -2.0])
