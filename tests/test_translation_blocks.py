"""The image-to-image building blocks: InstanceNormalization, the L1 loss, ResidualBlock, PatchGAN.

Every backward against central differences in float64 (every input and parameter
element, ≤ 1e-6), the forward against its definition, and bad arguments.
"""

import numpy as np
import pytest

from numpygan.gradcheck import numerical_gradient, relative_error
from numpygan.layers import InstanceNormalization
from numpygan.losses import MeanAbsoluteError
from numpygan.translation import ResidualBlock, patchgan_discriminator


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "no_affine"])
@pytest.mark.parametrize("shape", [(5, 4, 3), (3, 3, 1), (6, 2), (1, 7, 2)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_instance_norm_gradients(build_float64, check_gradients, shape, batch, affine, training):
    layer = build_float64(InstanceNormalization(affine=affine), shape, seed=batch)
    x = np.random.default_rng(7).normal(2.0, 3.0, (batch,) + shape)   # off-centre, so μ and σ matter
    check_gradients(layer, x, "InstanceNormalization", training=training)


def test_instance_norm_normalises_each_map_of_each_sample_on_its_own():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (4, 6, 5, 3)) * rng.uniform(0.5, 5, (4, 1, 1, 3)) + rng.normal(0, 10, (4, 1, 1, 3))
    layer = InstanceNormalization(epsilon=1e-12, affine=False)
    y = layer(x)
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, rtol=1e-9)
    # a sample's output does not depend on the rest of the batch, and inference = training
    np.testing.assert_allclose(layer(x[1:2], training=True), y[1:2], rtol=1e-12)


def test_instance_norm_affine_is_scale_and_shift_per_channel():
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 3))
    plain, affine = InstanceNormalization(affine=False), InstanceNormalization()
    affine.build(x.shape[1:], dtype=np.float64)
    affine.gamma.value[:] = [1.0, 2.0, -0.5]
    affine.beta.value[:] = [0.0, 1.0, 3.0]
    np.testing.assert_allclose(affine(x), plain(x) * [1.0, 2.0, -0.5] + [0.0, 1.0, 3.0], rtol=1e-12)
    assert plain.parameters() == {} and set(affine.parameters()) == {"gamma", "beta"}


def test_instance_norm_refuses_bad_arguments():
    with pytest.raises(ValueError, match="argument 'epsilon' must be > 0, received 0"):
        InstanceNormalization(epsilon=0)
    with pytest.raises(ValueError, match=r"spatial axes and channels.*received per-sample shape \(5,\)"):
        InstanceNormalization()(np.zeros((2, 5)))


@pytest.mark.parametrize("shape", [(6, 1), (3, 4, 4, 2)], ids=["scores", "images"])
def test_mean_absolute_error(assert_gradient_error, shape):
    rng = np.random.default_rng(4)
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    value, grad = MeanAbsoluteError()(pred, target)
    assert value == pytest.approx(np.mean(np.abs(pred - target)), rel=1e-12)
    assert grad.shape == pred.shape and grad.dtype == pred.dtype
    numeric, _ = numerical_gradient(lambda: MeanAbsoluteError()(pred, target)[0], pred)
    assert_gradient_error("MeanAbsoluteError", relative_error(grad.reshape(-1), numeric).max())


def test_mean_absolute_error_subgradient_at_zero_and_bad_target():
    value, grad = MeanAbsoluteError()(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    assert value == 1.0
    np.testing.assert_array_equal(grad, [0.0, 0.5])
    with pytest.raises(ValueError, match="MeanAbsoluteError: argument 'target' has shape"):
        MeanAbsoluteError()(np.zeros((2, 3)), np.zeros((4,)))


@pytest.mark.parametrize("shape,batch,training", [
    ((4, 5, 2), 1, True),
    pytest.param((6, 6, 3), 2, True, marks=pytest.mark.slow),
    pytest.param((6, 6, 3), 2, False, marks=pytest.mark.slow),
])
def test_residual_block_gradients(check_gradients, shape, batch, training):
    block = ResidualBlock(shape, seed=3, dtype=np.float64)
    rng = np.random.default_rng(5)
    for p in block.parameters().values():       # N(0, 1) weights: no term hides behind a small init
        p.value[...] = rng.standard_normal(p.shape)
    check_gradients(block, rng.standard_normal((batch,) + shape), "ResidualBlock", training=training)


def test_residual_block_is_identity_plus_its_body():
    block = ResidualBlock((5, 5, 2), seed=0, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((3, 5, 5, 2))
    np.testing.assert_allclose(block(x), x + block.body(x), rtol=1e-12)
    assert block.output_shape == (5, 5, 2)
    # the convolutions feed InstanceNorm, which cancels a bias: they have none
    assert not any(name.endswith("bias") for name in block.parameters())


@pytest.mark.parametrize("norm,fast", [
    ("instance", False), ("batch", True),          # the fast run: each norm layer once, both layer sets
    pytest.param("instance", True, marks=pytest.mark.slow), pytest.param("batch", False, marks=pytest.mark.slow),
    pytest.param("none", True, marks=pytest.mark.slow), pytest.param("none", False, marks=pytest.mark.slow),
])
def test_patchgan_gradients(check_gradients, norm, fast):
    D = patchgan_discriminator((8, 8, 2), filters=(3, 4), norm=norm, seed=1, dtype=np.float64, fast=fast)
    rng = np.random.default_rng(2)
    for p in D.parameters().values():
        p.value[...] = rng.standard_normal(p.shape)
    check_gradients(D, rng.standard_normal((2, 8, 8, 2)), f"PatchGAN ({norm}{', fast' if fast else ''})")


def test_patchgan_shapes_and_bad_arguments():
    assert patchgan_discriminator().output_shape == (7, 7, 1)                # 28×28 → a 7×7 map of logits
    assert patchgan_discriminator((28, 28, 2), filters=(8, 16, 32)).output_shape == (4, 4, 1)
    with pytest.raises(ValueError, match=r"argument 'norm' expected one of .*received 'group'"):
        patchgan_discriminator(norm="group")
    with pytest.raises(ValueError, match=r"argument 'filters' expected one or more positive"):
        patchgan_discriminator(filters=())
