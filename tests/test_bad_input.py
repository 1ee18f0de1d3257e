"""Bad input raises ValueError/TypeError before any work, naming the layer (or loss), the argument,
and what was expected versus what was received."""

import re

import numpy as np
import pytest

from numpygan import Sequential
from numpygan.layers import (BatchNormalization, Conv2D, Conv2DTranspose, Dense, LeakyReLU, Reshape, Sigmoid)
from numpygan.losses import BinaryCrossentropy, MeanSquaredError, SparseCategoricalCrossentropy


def built(layer, input_shape, dtype=np.float32):
    layer.build(input_shape, rng=np.random.default_rng(0), dtype=dtype)
    return layer


# -- forward: the input x -------------------------------------------------------------------------

@pytest.mark.parametrize("layer,input_shape,x,match", [
    (Conv2D(2, 3), (8, 8, 3), np.zeros((2, 8, 8), np.float32),
     r"conv2d: argument 'x' expected shape \(batch, 8, 8, 3\) \(rank 4\), received \(2, 8, 8\) \(rank 3\)"),
    (Dense(3), (4,), np.zeros((2, 2, 2), np.float32),
     r"dense: argument 'x' expected shape \(batch, 4\) \(rank 2\), received \(2, 2, 2\) \(rank 3\)"),
    (BatchNormalization(), (4, 4, 2), np.zeros((2, 8), np.float32),
     r"batchnormalization: argument 'x' expected shape \(batch, 4, 4, 2\) \(rank 4\), received \(2, 8\)"),
], ids=["conv2d_rank3", "dense_rank3", "batchnorm_rank2"])
def test_wrong_rank(layer, input_shape, x, match):
    with pytest.raises(ValueError, match=match):
        built(layer, input_shape).forward(x)


@pytest.mark.parametrize("layer", [Conv2D(2, 3), Conv2DTranspose(2, 3), BatchNormalization()],
                         ids=["conv2d", "conv2d_transpose", "batchnorm"])
def test_wrong_channel_count(layer):
    layer = built(layer, (8, 8, 3))
    with pytest.raises(ValueError, match=rf"{layer.name}: argument 'x' expected shape \(batch, 8, 8, 3\) "
                                         r"\(rank 4\), received \(2, 8, 8, 1\)"):
        layer.forward(np.zeros((2, 8, 8, 1), np.float32))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("layer,input_shape", [(Dense(2), (3,)), (Sigmoid(), (3,)), (Conv2D(2, 1), (2, 2, 3))],
                         ids=["dense", "sigmoid", "conv2d"])
def test_integer_input(layer, input_shape, dtype):
    layer = built(layer, input_shape)
    with pytest.raises(TypeError, match=rf"{layer.name}: argument 'x' must have a floating dtype \(float32 or "
                                        rf"float64\), received {np.dtype(dtype)}"):
        layer.forward(np.zeros((2,) + input_shape, dtype=dtype))


def test_input_dtype_differing_from_the_weights():
    layer = built(Dense(2), (3,), dtype=np.float32)
    with pytest.raises(TypeError, match=r"dense: argument 'x' has dtype float64 but the layer's weights are float32"):
        layer.forward(np.zeros((2, 3)))


def test_input_that_is_not_an_array():
    with pytest.raises(TypeError, match=r"dense: argument 'x' must be a numpy.ndarray, received list"):
        built(Dense(2), (3,)).forward([[1.0, 2.0, 3.0]])


# -- construction: kernels, padding, arguments ----------------------------------------------------

@pytest.mark.parametrize("layer,input_shape,match", [
    (Conv2D(2, 7), (5, 5, 1),
     r"conv2d: kernel_size \(7, 7\) is larger than the padded input \(5, 5\) \(input \(5, 5\), padding 'valid'\)"),
    (Conv2D(2, 7, padding=1), (4, 4, 1),
     r"conv2d: kernel_size \(7, 7\) is larger than the padded input \(6, 6\) \(input \(4, 4\), padding 1\)"),
    (Conv2D(2, (3, 9), padding=(0, 1)), (8, 6, 1),
     r"conv2d: kernel_size \(3, 9\) is larger than the padded input \(8, 8\)"),
], ids=["valid", "explicit", "rectangular"])
def test_kernel_larger_than_the_padded_input(layer, input_shape, match):
    with pytest.raises(ValueError, match=match):
        layer.build(input_shape)
    with pytest.raises(ValueError, match=match):  # also when a model is assembled
        Sequential([type(layer)(layer.filters, layer.kernel_size, padding=layer.padding)], input_shape)


def test_transposed_padding_that_removes_the_whole_output():
    with pytest.raises(ValueError, match=r"conv2dtranspose: padding 2 removes the whole output for input \(3, 3\) "
                                         r"and kernel_size \(1, 1\) \(output would be \(-1, -1\)\)"):
        Conv2DTranspose(2, 1, padding=2).build((3, 3, 1))


@pytest.mark.parametrize("make,match", [
    (lambda: Conv2D(2, 3, padding="full"),
     r"conv2d: argument 'padding' must be 'same', 'valid', a non-negative int or a pair of them, received 'full'"),
    (lambda: Conv2D(2, 3, padding=-1), r"conv2d: argument 'padding' .* received -1"),
    (lambda: Conv2D(2, 0),
     r"conv2d: argument 'kernel_size' must be a positive int or a pair of them, received \(0, 0\)"),
    (lambda: Conv2D(2, 3, strides=(1,)), r"conv2d: argument 'strides' must be a positive int or a pair of them, "
                                         r"received \(1,\)"),
    (lambda: Conv2D(0, 3), r"conv2d: argument 'filters' must be a positive int, received 0"),
    (lambda: Conv2DTranspose(2, 3, 2, padding="same", output_padding=1),
     r"conv2dtranspose: argument 'output_padding' cannot be combined with padding='same'"),
    (lambda: Conv2DTranspose(2, 3, 2, padding="valid", output_padding=2),
     r"conv2dtranspose: argument 'output_padding' must satisfy 0 <= output_padding < strides \(2, 2\), received 2"),
    (lambda: Dense(0), r"dense: argument 'units' must be a positive int, received 0"),
    (lambda: Dense(2.5), r"dense: argument 'units' must be a positive int, received 2\.5"),
    (lambda: LeakyReLU(1.0), r"leakyrelu: argument 'alpha' must lie in \[0, 1\), received 1\.0"),
    (lambda: Reshape((5, 5)).build((24,)),
     r"reshape: cannot reshape per-sample shape \(24,\) \(24 values\) to target_shape \(5, 5\) \(25 values\)"),
    (lambda: Conv2D(2, 3).build((8, 8)),
     r"conv2d: input must be \(batch, height, width, channels\), received per-sample shape \(8, 8\)"),
    (lambda: Dense(2).build((4, 4)), r"dense: input must be \(batch, features\), received per-sample shape \(4, 4\)"),
], ids=["padding_name", "padding_negative", "kernel_zero", "strides_length", "filters_zero",
        "output_padding_with_same", "output_padding_too_large", "units_zero", "units_fraction", "alpha_one", "reshape_size",
        "conv2d_input_rank", "dense_input_rank"])
def test_bad_layer_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# -- backward: the upstream gradient --------------------------------------------------------------

@pytest.mark.parametrize("layer,input_shape", [(Dense(3), (4,)), (Conv2D(2, 3, padding="same"), (5, 5, 1)),
                                               (Conv2DTranspose(2, 4, 2, "same"), (3, 3, 2)), (Sigmoid(), (4,)),
                                               (BatchNormalization(), (4,))],
                         ids=["dense", "conv2d", "conv2d_transpose", "sigmoid", "batchnorm"])
def test_backward_with_another_batch_size(layer, input_shape):
    layer = built(layer, input_shape)
    y = layer.forward(np.zeros((3,) + input_shape, np.float32), training=True)
    shape = tuple(y.shape)
    wrong = (2,) + shape[1:]
    with pytest.raises(ValueError, match=rf"{layer.name}: argument 'grad_out' expected shape "
                                         rf"{re.escape(str(shape))} \(the last forward's output\), "
                                         rf"received {re.escape(str(wrong))}"):
        layer.backward(np.zeros(wrong, np.float32))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="dense: backward called before forward"):
        built(Dense(2), (3,)).backward(np.zeros((1, 2), np.float32))


# -- losses ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("target,received", [(1.5, r"\[1\.5, 1\.5\]"), (np.array([[-0.1], [1.0]]), r"\[-0\.1, 1\.0\]"),
                                             (np.array([[np.nan], [1.0]]), r"\[nan, ")],
                         ids=["above_one", "negative", "nan"])
@pytest.mark.parametrize("from_logits", [False, True], ids=["probabilities", "logits"])
def test_bce_target_outside_zero_one(target, received, from_logits):
    with pytest.raises(ValueError, match=rf"BinaryCrossentropy: argument 'target' must lie in \[0\.0, 1\.0\], "
                                         rf"received values in {received}"):
        BinaryCrossentropy(from_logits=from_logits)(np.full((2, 1), 0.5), target)


def test_bce_probabilities_outside_zero_one():
    with pytest.raises(ValueError, match=r"BinaryCrossentropy: argument 'pred' must be probabilities in \[0, 1\] "
                                         r"with from_logits=False, received values in \[-0\.5, 1\.5\]"):
        BinaryCrossentropy()(np.array([[1.5], [-0.5]]), 1.0)


@pytest.mark.parametrize("loss", [BinaryCrossentropy(), MeanSquaredError()], ids=["bce", "mse"])
def test_loss_target_of_another_shape(loss):
    name = type(loss).__name__
    with pytest.raises(ValueError, match=rf"{name}: argument 'target' has shape \(3, 1\), which does not broadcast "
                                         rf"to pred's shape \(2, 1\)"):
        loss(np.full((2, 1), 0.5), np.ones((3, 1)))
    with pytest.raises(ValueError, match=rf"{name}: argument 'target' shape \(2, 5\) would enlarge pred's shape"):
        loss(np.full((2, 1), 0.5), np.ones((2, 5)))


@pytest.mark.parametrize("loss", [BinaryCrossentropy(), MeanSquaredError()], ids=["bce", "mse"])
def test_loss_integer_predictions(loss):
    with pytest.raises(TypeError, match=rf"{type(loss).__name__}: argument 'pred' must be a floating numpy array, "
                                        r"received int64"):
        loss(np.ones((2, 1), dtype=np.int64), 1.0)


@pytest.mark.parametrize("target,match", [
    (np.array([0, 3]), r"argument 'target' must lie in \[0, 3\), received values in \[0, 3\]"),
    (np.array([0, -1]), r"argument 'target' must lie in \[0, 3\), received values in \[-1, 0\]"),
    (np.array([0.0, 1.0]), r"argument 'target' must be integer labels of shape \(2,\), received float64 \(2,\)"),
    (np.array([0, 1, 2]), r"argument 'target' must be integer labels of shape \(2,\), received int64 \(3,\)"),
], ids=["label_too_large", "label_negative", "float_labels", "wrong_length"])
def test_sparse_categorical_crossentropy_bad_labels(target, match):
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy: " + match):
        SparseCategoricalCrossentropy()(np.zeros((2, 3)), target)
