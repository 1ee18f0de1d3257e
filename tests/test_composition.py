"""Composition without autograd: Concatenate, Add, Embedding; hand-written Models; Sequential nesting.

Every new layer and every example model is gradchecked with respect to each
floating input and each parameter (labels, being integers, are held fixed).
"""

import numpy as np
import pytest

from numpygan import Sequential, gradcheck
from numpygan.layers import Add, BatchNormalization, Concatenate, Dense, Dropout, Embedding, Flatten, LeakyReLU, Tanh
from numpygan.model import Model
from numpygan.models import ConditionalDiscriminator, ConditionalGenerator, UNetBlock, mlp_generator


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


class Residual(Model):
    """The example of numpygan/model.py's docstring, verbatim: y = x + tanh(x W + b)."""

    def __init__(self, units, rng=None, seed=None, dtype=np.float32):
        super().__init__(rng=rng, seed=seed, dtype=dtype)
        self.dense, self.act, self.add = Dense(units), Tanh(), Add()
        self.input_shape = self.output_shape = (units,)
        shape = self.dense.build(self.input_shape, self.rng, dtype)
        shape = self.act.build(shape, self.rng, dtype)
        self.add.build([self.input_shape, shape], self.rng, dtype)

    def forward(self, x, training=False):
        return self.add([x, self.act(self.dense(x, training), training)], training)

    def backward(self, grad_out, need_input_grad=True):
        g_skip, g_body = self.add.backward(grad_out)
        return g_skip + self.dense.backward(self.act.backward(g_body))


# -- the new layers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis, shapes", [(-1, [(3,), (5,)]), (-1, [(4, 4, 2), (4, 4, 3), (4, 4, 1)]),
                                          (1, [(2, 3), (4, 3)]), (-2, [(3, 2, 2), (3, 1, 2)])],
                         ids=["features", "channels_3_inputs", "axis_1", "axis_-2"])
def test_concatenate_gradients(axis, shapes, check_gradients):
    layer = Concatenate(axis=axis)
    inputs = [rand(2, *s, seed=i) for i, s in enumerate(shapes)]
    y = layer.forward(inputs)
    np.testing.assert_array_equal(y, np.concatenate(inputs, axis=axis))
    check_gradients(layer, inputs, "Concatenate")


def test_add_gradients_and_read_only_views(check_gradients):
    layer = Add()
    inputs = [rand(3, 4, seed=i) for i in range(3)]
    np.testing.assert_array_equal(layer.forward(inputs), inputs[0] + inputs[1] + inputs[2])
    grads = layer.backward(np.ones((3, 4)))
    assert len(grads) == 3 and not grads[0].flags.writeable  # `g += ...` would write into dL/dy
    check_gradients(Add(), inputs, "Add")


def test_embedding_picks_rows_and_scatter_adds_repeated_labels(check_gradients):
    layer = Embedding(5, 3)
    layer.build((), rng=np.random.default_rng(0), dtype=np.float64)
    labels = np.array([4, 1, 4, 0])
    y = layer.forward(labels)
    np.testing.assert_array_equal(y, layer.embeddings.value[labels])
    g = rand(4, 3)
    assert layer.backward(g) is None  # labels have no gradient
    expected = np.zeros((5, 3))
    expected[4] = g[0] + g[2]
    expected[1], expected[0] = g[1], g[3]
    np.testing.assert_array_equal(layer.embeddings.grad, expected)
    report = check_gradients(layer, labels, "Embedding")
    assert [c.name for c in report.checks] == ["embeddings"]


@pytest.mark.parametrize("labels, message", [
    (np.array([0.0, 1.0]), "argument 'labels' must be an int array of shape \\(batch,\\), received float64"),
    (np.array([[1], [2]]), "received int64 shape \\(2, 1\\)"),
    (np.array([0, 5]), r"must lie in \[0, 5\) \(input_dim\), received values in \[0, 5\]"),
    (np.array([-1, 2]), r"received values in \[-1, 2\]"),
])
def test_embedding_refuses_bad_labels(labels, message):
    layer = Embedding(5, 3)
    with pytest.raises((TypeError, ValueError), match=message):
        layer.forward(labels)


def test_merge_layers_refuse_bad_inputs():
    with pytest.raises(ValueError, match="differ outside axis -1"):
        Concatenate().forward([np.zeros((2, 3, 1)), np.zeros((2, 4, 1))])
    with pytest.raises(ValueError, match="inputs must have one shape"):
        Add().forward([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(TypeError, match="list of at least 2 arrays, received ndarray"):
        Add().forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="one dtype and one batch size"):
        Add().forward([np.zeros((2, 3)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="axis"):
        Concatenate(axis=0)
    layer = Concatenate()
    layer.forward([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"expected per-sample shapes \[\(3,\), \(4,\)\], received \[\(3,\), \(5,\)\]"):
        layer.forward([np.zeros((2, 3)), np.zeros((2, 5))])


# -- the Layer contract's new rules ---------------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: Dense(3), BatchNormalization, lambda: LeakyReLU(0.2), Concatenate],
                         ids=["dense", "batchnorm", "leaky_relu", "concatenate"])
def test_second_backward_after_one_forward_is_refused(make):
    layer = make()
    x = [rand(2, 4), rand(2, 2, seed=1)] if isinstance(layer, Concatenate) else rand(2, 4)
    y = layer.forward(x, training=True)
    layer.backward(np.ones_like(y))
    grads = {k: p.grad.copy() for k, p in layer.parameters().items()}
    with pytest.raises(RuntimeError, match=f"{layer.name}: backward called twice after one forward"):
        layer.backward(np.ones_like(y))
    for k, p in layer.parameters().items():  # nothing was added a second time
        np.testing.assert_array_equal(p.grad, grads[k])
    layer.forward(x, training=True)
    layer.backward(np.ones_like(y))  # a new forward allows a new backward


def test_grad_out_of_another_dtype_is_refused():
    layer = Dense(3)
    y = layer.forward(np.ones((2, 4), np.float32))
    with pytest.raises(TypeError, match=r"dense: argument 'grad_out' expected dtype float32 \(the last forward's "
                                        r"output\), received float64"):
        layer.backward(np.ones(y.shape, np.float64))
    assert layer.backward(np.ones(y.shape, np.float32)).dtype == np.float32  # the refusal used up nothing


def test_get_and_set_weights_on_layers_and_models():
    layer = BatchNormalization()
    layer.build((3,), dtype=np.float32)
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [(3,)] * 4  # gamma, beta, moving_mean, moving_variance (Keras order)
    weights[0][...] = 7  # copies: the layer is untouched
    assert not (layer.gamma.value == 7).any()
    layer.set_weights(weights)
    np.testing.assert_array_equal(layer.gamma.value, 7)

    a, b = mlp_generator(hidden=(4,), seed=0), mlp_generator(hidden=(4,), seed=1)
    kernel = b.parameters()["0.dense.kernel"].value
    b.set_weights(a.get_weights())
    for w, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(w, v)
    assert b.parameters()["0.dense.kernel"].value is kernel  # written in place: optimizers keep working

    before = b.get_weights()
    with pytest.raises(ValueError, match=r"expected a list of 4 arrays .*received 3 arrays"):
        b.set_weights(before[:3])
    wrong = before[:1] + [before[1].astype(np.float64)] + before[2:]
    with pytest.raises(ValueError, match=r"entry '0.dense.bias' expected shape \(4,\) dtype float32, "
                                         r"received shape \(4,\) dtype float64"):
        b.set_weights(wrong)
    with pytest.raises(ValueError, match=r"entry '2.dense.kernel' expected shape \(4, 784\)"):
        b.set_weights(before[:2] + [before[2][:2]] + before[3:])
    for w, v in zip(before, b.get_weights()):  # a refused call wrote nothing
        np.testing.assert_array_equal(w, v)


# -- hand-written models ---------------------------------------------------------------------------------------
def test_model_docstring_example_residual(check_gradients):
    model = Residual(4, seed=0, dtype=np.float64)
    assert list(model.parameters()) == ["dense.kernel", "dense.bias"]
    x = rand(3, 4)
    np.testing.assert_allclose(model(x), x + np.tanh(x @ model.dense.kernel.value + model.dense.bias.value))
    check_gradients(model, x, "model: residual")


def test_unet_block_with_a_nested_level(check_gradients):
    """Two U-Net levels (8×8 → 4×4 → 2×2 and back) with both skip connections: every input and parameter."""
    inner = UNetBlock((4, 4, 3), 2, name="inner")
    model = UNetBlock((8, 8, 2), 3, inner=inner, seed=0)
    assert model.output_shape == (8, 8, 4) and inner.output_shape == (4, 4, 6)
    assert list(model.parameters())[:4] == ["down.0.conv2d.kernel", "down.0.conv2d.bias",
                                            "inner.down.0.conv2d.kernel", "inner.down.0.conv2d.bias"]
    model.astype(np.float64)
    report = check_gradients(model, rand(2, 8, 8, 2), "model: unet_block", max_per_tensor=60)
    assert [c.name for c in report.checks] == ["input"] + list(model.parameters())


def test_conditional_generator_two_inputs(check_gradients):
    model = ConditionalGenerator(latent_dim=3, n_classes=4, embed_dim=2, hidden=(5,), image_shape=(2, 2, 1), seed=0,
                                 dtype=np.float64)
    assert model.input_shape == [(3,), ()] and model.output_shape == (2, 2, 1)
    z, labels = rand(4, 3), np.array([0, 3, 3, 1])
    report = check_gradients(model, [z, labels], "model: conditional_generator")
    assert [c.name for c in report.checks] == ["input[0]"] + list(model.parameters())
    assert list(model.parameters())[0] == "embedding.embeddings"
    # rows of unused labels get no gradient
    assert not model.embedding.embeddings.grad[2].any()


def test_conditional_discriminator_with_dropout(check_gradients):
    model = ConditionalDiscriminator(n_classes=3, embed_dim=2, hidden=(6, 4), dropout=0.3, image_shape=(3, 2, 1),
                                     seed=0, dtype=np.float64)
    x, labels = rand(5, 3, 2, 1), np.array([2, 0, 1, 1, 0])
    check_gradients(model, [x, labels], "model: conditional_discriminator")
    y = model(x, labels, training=True)
    assert model.backward(np.ones_like(y), need_input_grad=False) == [None, None]


def test_gradcheck_catches_a_wrong_skip_gradient():
    """A backward that forgets the skip term (dL/dx = down-path only) is caught on the input."""
    class Forgetful(UNetBlock):
        def backward(self, grad_out, need_input_grad=True):
            _, g_up = self.concat.backward(grad_out)
            return self.down.backward(self.up.backward(g_up))

    model = Forgetful((4, 4, 1), 2, seed=0, dtype=np.float64)
    report = gradcheck(model, rand(1, 4, 4, 1), max_per_tensor=20)
    assert report["input"].max_rel_error > 1e-2
    assert report["down.0.conv2d.kernel"].max_rel_error < 1e-6


# -- Sequential as a Layer -------------------------------------------------------------------------------------
def test_sequential_nests_and_shares_its_generator(check_gradients):
    inner = Sequential([Dense(5), LeakyReLU(0.2), Dropout(0.5)], name="block")
    model = Sequential([Flatten(), inner, Dense(2), Tanh()], (3, 2), seed=0, dtype=np.float64)
    assert inner.rng is model.rng and inner.built and inner.output_shape == (5,)
    assert list(model.parameters()) == ["1.block.0.dense.kernel", "1.block.0.dense.bias", "2.dense.kernel",
                                        "2.dense.bias"]
    assert list(model.random_generators()) == ["model"]
    check_gradients(model, rand(4, 3, 2), "network: nested sequential")
    # need_input_grad=False stops inside the nested Sequential, at its first trainable layer
    y = model(rand(4, 3, 2), training=False)
    model.zero_grad()
    assert model.backward(np.ones_like(y), need_input_grad=False) is None
    assert model.parameters()["1.block.0.dense.kernel"].grad.any()


def test_sequential_builds_lazily_and_refuses_a_rebuild_of_another_shape():
    model = Sequential([Dense(3), Tanh()], seed=0)
    assert not model.built and model.parameters() == {}
    y = model(np.ones((2, 4), np.float32))
    assert model.built and model.input_shape == (4,) and y.shape == (2, 3)
    with pytest.raises(ValueError, match=r"built for per-sample input shape \(4,\), received \(5,\)"):
        Sequential([model], (5,))
    with pytest.raises(ValueError, match="same layer instance appears twice"):
        dense = Dense(2)
        Sequential([dense, dense], (2,))


def test_frozen_restores_each_layers_flag_and_the_buffers():
    model = ConditionalDiscriminator(n_classes=3, embed_dim=2, hidden=(4,), image_shape=(2,), seed=0)
    model.body.layers[0].trainable = False   # frozen by the user: stays frozen
    before = {k: v.copy() for k, v in model.buffers().items()}
    with model.frozen():
        assert not model.trainable and not model.embedding.trainable
    assert model.embedding.trainable and not model.body.layers[0].trainable and model.body.layers[-1].trainable

    bn = Sequential([Dense(3), BatchNormalization()], (2,), seed=0)
    before = {k: v.copy() for k, v in bn.buffers().items()}
    with bn.frozen():
        bn(np.ones((4, 2), np.float32), training=True)       # moves the running statistics ...
        assert not np.array_equal(bn.buffers()["1.batchnormalization.moving_mean"],
                                  before["1.batchnormalization.moving_mean"])
    for k, v in bn.buffers().items():                          # ... which come back on exit
        np.testing.assert_array_equal(v, before[k])


def test_model_state_round_trip_and_summary(tmp_path):
    a = ConditionalGenerator(latent_dim=3, n_classes=4, embed_dim=2, hidden=(5,), image_shape=(2,), seed=0)
    b = ConditionalGenerator(latent_dim=3, n_classes=4, embed_dim=2, hidden=(5,), image_shape=(2,), seed=1)
    a.save_weights(tmp_path / "g.npz")
    b.load_weights(tmp_path / "g.npz")
    z, labels = rand(3, 3).astype(np.float32), np.array([0, 1, 2])
    np.testing.assert_array_equal(a(z, labels), b(z, labels))
    assert a.count_params() == 4 * 2 + (5 * 5 + 5) + (5 * 2 + 2)
    text = a.summary(print_fn=None)
    assert "embedding (Embedding)" in text and "body (Sequential)" in text and "Total params: 50" in text
    b64 = b.astype(np.float64)
    assert all(p.dtype == np.float64 for p in b64.parameters().values()) and b64.dtype == np.float64


def test_labels_into_a_sequential_and_generators_named_by_their_layer():
    model = Sequential([Embedding(10, 4), Dense(3)], seed=0)   # built by the first forward, from int labels
    y = model(np.array([1, 2, 9]))
    assert model.input_shape == () and y.shape == (3, 3) and y.dtype == np.float32
    assert model.backward(np.ones_like(y)) is None  # labels have no gradient
    with pytest.raises(TypeError, match="sequential: argument 'x' must be an array with a batch axis, received list"):
        Sequential([Dense(3)])([1.0, 2.0])
    own = np.random.default_rng(5)
    model = Sequential([Dense(3), Dropout(0.5, rng=own), Dropout(0.5)], (2,), seed=0)
    assert model.random_generators() == {"model": model.rng, "1.dropout": own}
