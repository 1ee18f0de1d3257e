"""Every fast twin (numpygan.fast) computes the same function as its reference, and models use the switch.

In float64, with the same weights, input and upstream gradient, each twin's
output, dL/dx and every parameter gradient equal the reference's to 1e-12
relative (max |fast − reference| over max |reference|: the twins add the same
terms in another order). Convolutions run over tests/conv_configs.py's grid (the
fast run takes one channel layout per configuration and no 28×28, as
test_conv.py does; ``-m slow`` the rest); optimizers take several steps.
"""

import itertools

import numpy as np
import pytest
from conv_configs import conv_grid, conv_id, transpose_grid

import numpygan
from numpygan import Parameter, fast, layers, models, optimizers
from numpygan.training import GANTrainer, TrainConfig, build_gan

TOLERANCE = 1e-12
CHANNELS = ((1, 3), (3, 2), (5, 1))  # (input channels, filters); C > F gives the fast Conv2D's 'taps' grouping


def relative_error(fast_value, reference_value):
    scale = np.abs(reference_value).max(initial=0.0)
    difference = np.abs(fast_value - reference_value).max(initial=0.0)
    return difference / scale if scale > 0 else difference


def assert_equal_functions(make_reference, make_fast, input_shape, x, training=True, seed=0):
    """Both layers with the same N(0, 1) weights: y, dx (and the param grads) within TOLERANCE."""
    pair = []
    for make in (make_reference, make_fast):
        rng = np.random.default_rng(seed)
        layer = make()
        layer.build(tuple(input_shape), rng=np.random.default_rng(seed + 1), dtype=np.float64)
        for p in layer.parameters().values():
            p.value[...] = rng.standard_normal(p.shape)
        pair.append(layer)
    reference, twin = pair
    assert isinstance(twin, type(reference)) and type(twin) is not type(reference)
    results = []
    for layer in pair:
        y = layer.forward(x.copy(), training=training)
        grad = np.random.default_rng(seed + 2).standard_normal(y.shape)
        grad_copy = grad.copy()
        dx = layer.backward(grad)
        np.testing.assert_array_equal(grad, grad_copy)           # grad_out is never written to
        results.append({"y": y.copy(), "dx": dx, **{k: p.grad.copy() for k, p in layer.parameters().items()}})
    assert results[0].keys() == results[1].keys()
    for key in results[0]:
        assert results[1][key].dtype == results[0][key].dtype == np.float64, key
        error = relative_error(results[1][key], results[0][key])
        assert error <= TOLERANCE, f"{type(reference).__name__} {key}: relative difference {error:.2e}"
    return pair


def conv_cases(grid):
    params = []
    for i, (config, channels) in enumerate(itertools.product(grid, CHANNELS)):
        fast_run = config[0] != 28 and i % len(CHANNELS) == (i // len(CHANNELS)) % len(CHANNELS)
        params.append(pytest.param(*config, *channels, id=conv_id(*config, *channels),
                                   marks=() if fast_run else pytest.mark.slow))
    return params


@pytest.mark.parametrize("size,kernel,stride,padding,c,f", conv_cases(conv_grid()))
def test_conv2d(size, kernel, stride, padding, c, f):
    x = np.random.default_rng(size).standard_normal((2, size, size, c))
    assert_equal_functions(lambda: layers.Conv2D(f, kernel, stride, padding),
                           lambda: fast.Conv2D(f, kernel, stride, padding), (size, size, c), x)


@pytest.mark.parametrize("size,kernel,stride,padding,output_padding,c,f", conv_cases(transpose_grid()))
def test_conv2d_transpose(size, kernel, stride, padding, output_padding, c, f):
    x = np.random.default_rng(size).standard_normal((2, size, size, c))
    assert_equal_functions(lambda: layers.Conv2DTranspose(f, kernel, stride, padding, output_padding),
                           lambda: fast.Conv2DTranspose(f, kernel, stride, padding, output_padding),
                           (size, size, c), x)


@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("units_in,units_out", [(1, 1), (5, 4), (64, 3)], ids=["1-1", "5-4", "64-3"])
def test_dense(units_in, units_out, use_bias):
    x = np.random.default_rng(units_in).standard_normal((3, units_in))
    assert_equal_functions(lambda: layers.Dense(units_out, use_bias=use_bias),
                           lambda: fast.Dense(units_out, use_bias=use_bias), (units_in,), x)


@pytest.mark.parametrize("name", ["Dense", "Conv2D", "Conv2DTranspose"])
def test_gradients_of_several_backward_passes_add_up_after_zero_grad_as_in_the_reference(name):
    """The fast layers' weights skip zeroing (fast/parameter.py): zero_grad, two backward passes, read."""
    shape, make = ((6,), lambda kit: kit.Dense(4)) if name == "Dense" else \
        ((5, 5, 2), lambda kit: getattr(kit, name)(3, 3, 2, "same"))
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2,) + shape) for _ in range(2)]
    grads = {}
    for kit in (layers, fast):
        layer = make(kit)
        layer.build(shape, rng=np.random.default_rng(1), dtype=np.float64)
        for p in layer.parameters().values():
            p.grad += 5.0                                       # stale numbers that zero_grad must clear
        layer.zero_grad()
        for x in xs:
            y = layer.forward(x, training=True)
            layer.backward(np.ones_like(y))
        grads[kit.__name__] = {k: p.grad.copy() for k, p in layer.parameters().items()}
    for key, reference in grads["numpygan.layers"].items():
        assert relative_error(grads["numpygan.fast"][key], reference) <= TOLERANCE, key


def test_the_grid_exercises_both_groupings_of_the_fast_conv2d():
    methods = set()
    for size, kernel, stride, padding in conv_grid():
        for c, f in CHANNELS:
            layer = fast.Conv2D(f, kernel, stride, padding)
            layer.compute_output_shape((size, size, c))
            methods.add(layer.method)
    assert methods == {"im2col", "taps"}


@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("name", ["Conv2D", "Conv2DTranspose"])
def test_convolutions_without_bias_and_without_input_gradient(name, use_bias):
    x = np.random.default_rng(0).standard_normal((3, 7, 7, 4))
    reference, twin = assert_equal_functions(lambda: getattr(layers, name)(3, 3, 2, "same", use_bias=use_bias),
                                             lambda: getattr(fast, name)(3, 3, 2, "same", use_bias=use_bias),
                                             (7, 7, 4), x)
    grad = np.random.default_rng(9).standard_normal((3,) + reference.output_shape)
    for layer in (reference, twin):
        layer.zero_grad()
        layer.forward(x, training=True)
        assert layer.backward(grad, need_input_grad=False) is None
    for key, p in reference.parameters().items():
        assert relative_error(twin.parameters()[key].grad, p.grad) <= TOLERANCE


ACTIVATIONS = {
    "leaky_relu_0.2": (lambda: layers.LeakyReLU(0.2), lambda: fast.LeakyReLU(0.2)),
    "leaky_relu_0.01": (lambda: layers.LeakyReLU(0.01), lambda: fast.LeakyReLU(0.01)),
    "relu": (layers.ReLU, fast.ReLU),
    "sigmoid": (layers.Sigmoid, fast.Sigmoid),
}


@pytest.mark.parametrize("shape", [(7,), (5, 5, 3), (64, 64, 16)], ids=["dense", "image", "large_image"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation(name, shape):
    """Inputs in [−10, 10] and exact zeros (the kink); the large image is split over threads."""
    x = np.random.default_rng(1).uniform(-10, 10, (3,) + shape)
    x.reshape(-1)[::7] = 0.0
    assert_equal_functions(*ACTIVATIONS[name], shape, x)


def test_fast_sigmoid_differs_from_the_reference_only_on_subnormals():
    x = np.array([[-100.0, -88.0, -80.0, 0.0, 30.0]], np.float32)   # σ(-88) ≈ 6e-39 is subnormal in float32
    reference, twin = layers.Sigmoid(), fast.Sigmoid()
    outputs = []
    for layer in (reference, twin):
        layer.build((5,))
        outputs.append(layer.forward(x))
    tiny = np.finfo(np.float32).tiny
    subnormal = (np.abs(outputs[0]) > 0) & (np.abs(outputs[0]) < tiny)
    assert subnormal.any()
    np.testing.assert_array_equal(outputs[1], np.where(subnormal, 0, outputs[0]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("rate", [0.0, 0.3, 0.5])
def test_dropout(rate, training, dtype):
    """The same generator seed gives the same mask: y and dx are equal, in float32 bit for bit."""
    x = np.random.default_rng(1).standard_normal((4, 12, 3)).astype(dtype)
    results = []
    for make in (layers.Dropout, fast.Dropout):
        layer = make(rate, rng=np.random.default_rng(5))
        layer.build(x.shape[1:], dtype=dtype)
        for _ in range(2):                                      # the second mask is fresh in both
            y = layer.forward(x, training=training)
            dx = layer.backward(np.ones_like(y) * 3)
        results.append((y, dx))
    for a, b in zip(*results):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)


OPTIMIZERS = {
    "adam": lambda ps, kit: kit.Adam(ps, lr=0.01),
    "adam_defaults": lambda ps, kit: kit.Adam(ps),
    "sgd": lambda ps, kit: kit.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps, kit: kit.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_nesterov": lambda ps, kit: kit.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer(name):
    """Five steps on a matrix, a vector and a parameter larger than one block (70001 > block_size)."""
    rng = np.random.default_rng(0)
    shapes = {"w": (13, 7), "b": (7,), "big": (70001,)}
    values = {k: rng.standard_normal(s) for k, s in shapes.items()}
    grads = [{k: rng.standard_normal(s) for k, s in shapes.items()} for _ in range(5)]
    finals = []
    for kit in (optimizers, fast):
        params = {k: Parameter(v.copy()) for k, v in values.items()}
        opt = OPTIMIZERS[name](params, kit)
        for step in grads:
            opt.zero_grad()
            for k, p in params.items():
                p.grad += step[k]
            opt.step()
        finals.append({**{k: p.value for k, p in params.items()}, **opt.state_dict()})
    assert isinstance(opt, type(OPTIMIZERS[name]({}, optimizers)))
    assert finals[0].keys() == finals[1].keys()
    for key in finals[0]:
        error = relative_error(finals[1][key], finals[0][key])
        assert error <= TOLERANCE, f"{name} {key}: relative difference {error:.2e}"


@pytest.mark.parametrize("make", [lambda ps: fast.Adam(ps, lr=0.01),
                                  lambda ps: fast.SGD(ps, lr=0.1, momentum=0.5, nesterov=True)],
                         ids=["adam", "sgd_nesterov"])
def test_fast_optimizer_update_in_blocks_equals_whole_array_update(make):
    """The fast twins update a parameter larger than block_size block by block: the result must not depend
    on the blocking."""
    rng = np.random.default_rng(3)
    values, grads = rng.standard_normal((2, 3, 70001))
    results = []
    for block_size in (3 * 70001, 1000, 4096):
        p = Parameter(values.copy())
        opt = make({"w": p})
        opt.block_size = block_size
        for step in range(3):
            opt.zero_grad()
            p.add_grad(grads * (step + 1))
            opt.step()
        results.append(p.value.copy())
    np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_array_equal(results[2], results[0])


# -- models: the switch ----------------------------------------------------------------------------------------
BUILDERS = {
    "mlp_generator": lambda **kw: models.mlp_generator(hidden=(8, 16), dropout=0.3, **kw),
    "mlp_discriminator": lambda **kw: models.mlp_discriminator(hidden=(16, 8), output="sigmoid", **kw),
    "dcgan_generator": lambda **kw: models.dcgan_generator(**kw),
    "dcgan_discriminator": lambda **kw: models.dcgan_discriminator(**kw),
    "radford_generator": lambda **kw: models.radford_generator(filters=16, **kw),
    "radford_discriminator": lambda **kw: models.radford_discriminator(filters=16, **kw),
    "infogan_generator": lambda **kw: models.infogan_generator(filters=16, hidden=24, **kw),
    "infogan_discriminator": lambda **kw: models.infogan_discriminator(filters=16, hidden=24, **kw),
}


def kinds(model):
    """'fast' for layers from numpygan.fast, 'reference' for the others."""
    return {"fast" if type(layer).__module__.startswith("numpygan.fast") else "reference" for layer in model.layers}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_models_build_fast_twins_by_default_and_references_on_request(name):
    default, explicit_fast = BUILDERS[name](seed=0), BUILDERS[name](seed=0, fast=True)
    assert kinds(default) == kinds(explicit_fast) == {"fast", "reference"}   # Dense etc. have no twin
    assert kinds(BUILDERS[name](seed=0, fast=False)) == {"reference"}
    with numpygan.use_reference_layers():
        assert models.uses_reference_layers()
        reference = BUILDERS[name](seed=0)
        assert kinds(BUILDERS[name](seed=0, fast=True)) == {"fast", "reference"}   # explicit wins
    assert not models.uses_reference_layers()
    assert kinds(reference) == {"reference"}
    assert [layer.name for layer in reference.layers] == [layer.name for layer in default.layers]
    for (key, a), (key_b, b) in zip(reference.state_dict().items(), default.state_dict().items()):
        assert key == key_b and np.array_equal(a, b)                            # same weights from the same seed


def test_use_reference_layers_as_a_call_and_its_argument():
    try:
        numpygan.use_reference_layers()
        assert models.uses_reference_layers() and type(models.adam(BUILDERS["mlp_generator"]().parameters())) \
            is optimizers.Adam
        numpygan.use_reference_layers(False)
        assert not models.uses_reference_layers()
        assert type(models.adam({})) is fast.Adam
    finally:
        numpygan.use_reference_layers(False)
    with pytest.raises(TypeError, match="use_reference_layers: argument 'enabled' must be a bool, received str"):
        numpygan.use_reference_layers("yes")


@pytest.mark.parametrize("model", ["mlp", pytest.param("dcgan", marks=pytest.mark.slow)])
def test_training_with_references_and_with_fast_twins_gives_the_same_losses(model):
    """A few GAN steps in float32 both ways: the functions are equal, so the losses differ only by float32
    rounding in a different order (~1e-7 relative per operation, grown a little by a few Adam steps)."""
    config = TrainConfig(model=model, dataset="arrays", batch_size=8, epochs=1, progress=False, n_samples=4,
                         g_dropout=0.3 if model == "mlp" else 0.0, seed=3)
    images = np.random.default_rng(0).uniform(-1, 1, (40, 28, 28, 1)).astype(np.float32)
    histories = []
    for reference in (True, False):
        with numpygan.use_reference_layers(reference):
            trainer = GANTrainer(*build_gan(config), config)
            assert type(trainer.g_optimizer) is (optimizers.Adam if reference else fast.Adam)
            trainer.fit(images, max_steps=4, flush_denormal=False)
        histories.append(trainer.history)
    for key in ("d_loss", "g_loss"):
        assert len(histories[0][key]) == 4
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-4, err_msg=key)
