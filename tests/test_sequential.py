"""Sequential: summary, the trainable switch, and saving/loading weights."""

import os

import numpy as np
import pytest

from numpygan import Sequential, models
from numpygan.layers import BatchNormalization, Dense, Dropout, LeakyReLU
from numpygan.optimizers import SGD

# Parameter counts, layer by layer:
#   DCGAN G: Dense 100·6272 + 6272 = 633,472; two Conv2DTranspose 4·4·128·128 + 128 = 262,272 each;
#            Conv2D 7·7·128·1 + 1 = 6,273                                              → 1,164,289
#   DCGAN D: Conv2D 3·3·1·64 + 64 = 640; Conv2D 3·3·64·64 + 64 = 36,928; Dense 3136 + 1 → 40,705
#   MLP G:   100·256 + 256 = 25,856; 256·512 + 512 = 131,584; 512·1024 + 1024 = 525,312;
#            1024·784 + 784 = 803,600                                                  → 1,486,352
#   MLP D:   784·1024 + 1024 = 803,840; 1024·512 + 512 = 524,800; 512·256 + 256 = 131,328; 257 → 1,460,225
REFERENCE_COUNTS = {
    "dcgan_generator": (lambda: models.dcgan_generator(seed=0), 1_164_289),
    "dcgan_discriminator": (lambda: models.dcgan_discriminator(seed=0), 40_705),
    "mlp_generator": (lambda: models.mlp_generator(seed=0), 1_486_352),
    "mlp_discriminator": (lambda: models.mlp_discriminator(seed=0), 1_460_225),
}


@pytest.mark.parametrize("name", list(REFERENCE_COUNTS))
def test_reference_model_parameter_counts(name):
    build, total = REFERENCE_COUNTS[name]
    model = build()
    assert model.count_params() == total
    text = model.summary(print_fn=None)
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total:,}" in text
    assert "Non-trainable params: 0" in text


def test_summary_lists_layers_output_shapes_and_counts():
    printed = []
    text = models.dcgan_generator(seed=0).summary(print_fn=printed.append)
    assert printed == [text]
    rows = text.splitlines()
    assert rows[0] == 'Model: "dcgan_generator"'
    expected_rows = [("0.dense (Dense)", "(None, 6272)", "633,472"),
                     ("2.reshape (Reshape)", "(None, 7, 7, 128)", "0"),
                     ("3.conv2dtranspose (Conv2DTranspose)", "(None, 14, 14, 128)", "262,272"),
                     ("5.conv2dtranspose (Conv2DTranspose)", "(None, 28, 28, 128)", "262,272"),
                     ("7.conv2d (Conv2D)", "(None, 28, 28, 1)", "6,273"),
                     ("8.sigmoid (Sigmoid)", "(None, 28, 28, 1)", "0")]
    for layer, shape, count in expected_rows:
        assert any(row.split() == layer.split() + shape.split() + [count] for row in rows), layer


def test_summary_counts_batchnorm_statistics_as_non_trainable():
    """DCGAN G with BatchNorm: no bias in the normalised layers; γ, β train, the running statistics do not.

    Trainable: 627,200 (Dense) + 2·6272 (BN) + 2·262,144 (Conv2DTranspose) + 2·(2·128) (BN) + 6,273
             = 1,170,817.   Non-trainable: 2·6272 + 2·(2·128) = 13,056.
    """
    text = models.dcgan_generator(batchnorm=True, output_activation="tanh", seed=0).summary(print_fn=None)
    assert "Trainable params: 1,170,817" in text
    assert "Non-trainable params: 13,056" in text
    assert "Total params: 1,183,873" in text


def small_model(seed=0, dropout=0.0):
    layers = [Dense(8), BatchNormalization(), LeakyReLU(0.2)]
    layers += [Dropout(dropout)] if dropout else []
    return Sequential(layers + [Dense(1)], (5,), seed=seed, dtype=np.float64)


def test_frozen_model_passes_gradient_through_but_keeps_none():
    model = small_model()
    x = np.random.default_rng(0).standard_normal((4, 5))
    g = np.random.default_rng(1).standard_normal((4, 1))
    model.forward(x, training=True)
    dx_trainable = model.backward(g)
    assert all(p.grad.any() for p in model.parameters().values())

    model.zero_grad()
    model.trainable = False
    assert not model.trainable and not any(layer.trainable for layer in model.layers)
    model.forward(x, training=True)
    dx_frozen = model.backward(g)
    np.testing.assert_array_equal(dx_frozen, dx_trainable)
    assert not any(p.grad.any() for p in model.parameters().values())

    model.trainable = True
    model.forward(x, training=True)
    model.backward(g)
    assert all(p.grad.any() for p in model.parameters().values())


def test_freezing_one_layer_leaves_the_others_training():
    model = small_model()
    model.layers[0].trainable = False
    assert not model.trainable
    model.forward(np.ones((3, 5)), training=True)
    model.backward(np.ones((3, 1)))
    params = model.parameters()
    assert not params["0.dense.kernel"].grad.any() and not params["0.dense.bias"].grad.any()
    assert params["3.dense.kernel"].grad.any()


def test_save_and_load_weights_round_trip(tmp_path):
    """Weights and BatchNorm running statistics survive; loading writes into the existing arrays,
    so an optimizer built before the load keeps updating the loaded weights."""
    source = models.dcgan_discriminator(batchnorm=True, seed=1)
    source.forward(np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32), training=True)
    path = tmp_path / "d.npz"
    source.save_weights(path)
    assert os.listdir(tmp_path) == ["d.npz"]  # no temporary file left behind

    target = models.dcgan_discriminator(batchnorm=True, seed=2)
    arrays_before = {k: v for k, v in target.state_dict().items()}
    opt = SGD(target.parameters(), lr=0.1)
    target.load_weights(path)
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key], value, err_msg=key)
        assert target.state_dict()[key] is arrays_before[key]
    x = np.random.default_rng(3).random((2, 28, 28, 1), dtype=np.float32)
    np.testing.assert_array_equal(target.forward(x), source.forward(x))

    kernel = target.parameters()["0.conv2d.kernel"]
    kernel.grad[...] = 1.0
    opt.step()
    np.testing.assert_allclose(kernel.value, source.parameters()["0.conv2d.kernel"].value - 0.1, rtol=1e-6)


def test_loading_another_models_weights_lists_every_difference(tmp_path):
    path = tmp_path / "d.npz"
    models.dcgan_discriminator(seed=0).save_weights(path)
    generator = models.dcgan_generator(seed=0)
    before = {k: v.copy() for k, v in generator.state_dict().items()}
    with pytest.raises(ValueError) as info:
        generator.load_weights(path)
    message = str(info.value)
    assert "dcgan_generator" in message and "d.npz" in message
    assert "missing: 0.dense.bias, 0.dense.kernel, 3.conv2dtranspose.bias" in message
    assert "unexpected: 0.conv2d.bias, 0.conv2d.kernel, 3.conv2d.bias, 3.conv2d.kernel" in message
    assert "shape mismatch: 7.conv2d.bias" not in message  # same shape (1,): not a mismatch
    for key, value in generator.state_dict().items():  # nothing was half-loaded
        np.testing.assert_array_equal(value, before[key])


def test_loading_weights_of_another_shape_names_the_tensor_and_both_shapes(tmp_path):
    path = tmp_path / "g.npz"
    models.mlp_generator(hidden=(128, 512, 1024), seed=0).save_weights(path)
    with pytest.raises(ValueError, match=r"shape mismatch: 0\.dense\.kernel: expected \(100, 256\), "
                                         r"received \(100, 128\); "
                                         r"0\.dense\.bias: expected \(256,\), received \(128,\)"):
        models.mlp_generator(seed=0).load_weights(path)


_unpickled = []


def _record_unpickling():
    _unpickled.append(True)
    return "payload"


class Payload:
    """An object whose unpickling would run code (here: append to a list)."""

    def __reduce__(self):
        return (_record_unpickling, ())


def test_weights_are_loaded_without_pickle(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"0.dense.kernel": np.array([Payload()], dtype=object)})  # pickled on save
    model = small_model()
    with pytest.raises(ValueError, match=r"weights file .*evil\.npz.* is corrupt or not an \.npz written by numpygan"):
        model.load_weights(path)
    assert _unpickled == []


def test_missing_and_truncated_weight_files(tmp_path):
    model = small_model()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.load_weights(tmp_path / "nothing.npz")
    path = tmp_path / "cut.npz"
    model.save_weights(path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="is corrupt"):
        model.load_weights(path)


def test_same_seed_builds_the_same_model_and_draws_the_same_dropout_masks():
    x = np.random.default_rng(0).standard_normal((6, 5))
    a, b, c = small_model(seed=7, dropout=0.5), small_model(seed=7, dropout=0.5), small_model(seed=8, dropout=0.5)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[key])
    assert a.layers[3].rng is a.rng  # the model's generator is the one Dropout draws from
    np.testing.assert_array_equal(a.forward(x, training=True), b.forward(x, training=True))
    assert not np.array_equal(a.forward(x, training=True), c.forward(x, training=True))


def test_non_layers_are_refused():
    with pytest.raises(TypeError, match=r"sequential: layers\[1\] must be a Layer, received str"):
        Sequential([Dense(2), "relu"], (3,))
