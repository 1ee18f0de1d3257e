"""numpygan.runtime.parallel: element-wise passes split by rows over threads give exactly the serial result."""

import threading

import numpy as np
import pytest

from numpygan.fast import SGD, Adam, Conv2D, Conv2DTranspose, Dropout, LeakyReLU
from numpygan.fast.im2col import col2im, im2col
from numpygan.layers import im2col as reference
from numpygan.parameter import Parameter
from numpygan.runtime import parallel

LARGE = 4 * parallel.MIN_BLOCK   # elements: enough for up to four blocks


@pytest.fixture
def threads():
    """Run a test with a given thread count, restoring the previous one afterwards."""
    before = parallel.get_num_threads()
    yield parallel.set_num_threads
    parallel.set_num_threads(before)


def test_map_rows_covers_every_row_once_on_several_threads(threads):
    threads(3)
    x = np.arange(LARGE, dtype=np.float32).reshape(1024, -1)
    y = np.zeros_like(x)
    seen = []

    def double(x_rows, y_rows):
        seen.append((threading.current_thread().name, len(x_rows)))
        np.multiply(x_rows, 2, out=y_rows)

    parallel.map_rows(double, x, y)
    np.testing.assert_array_equal(y, 2 * x)
    assert sum(rows for _, rows in seen) == 1024
    # three blocks: the first on this thread, the others on the pool's workers
    assert len(seen) == 3 and threading.current_thread().name in {name for name, _ in seen}
    assert len({name for name, _ in seen}) >= 2


def test_map_rows_keeps_small_arrays_on_the_calling_thread(threads):
    threads(4)
    calls = []
    x = np.ones((64, 64), np.float32)
    parallel.map_rows(lambda rows: calls.append(threading.current_thread()), x)
    assert calls == [threading.current_thread()]


def test_map_rows_one_thread_is_one_call(threads):
    threads(1)
    calls = []
    parallel.map_rows(lambda rows: calls.append(len(rows)), np.ones((256, LARGE // 256)))
    assert calls == [256]


def test_map_rows_reraises_a_block_error(threads):
    threads(2)

    def fail_on_second_half(rows):
        if rows[0, 0] > 0:
            raise RuntimeError("block failed")

    x = np.zeros((128, LARGE // 128))
    x[64:] = 1
    with pytest.raises(RuntimeError, match="block failed"):
        parallel.map_rows(fail_on_second_half, x)


def test_map_rows_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="same number of rows"):
        parallel.map_rows(np.copyto, np.zeros((4, 2)), np.zeros((5, 2)))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects(bad):
    with pytest.raises(ValueError, match="argument 'n'"):
        parallel.set_num_threads(bad)


def test_thread_count_from_environment(monkeypatch):
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert parallel._threads_from_environment() == 3
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert parallel._threads_from_environment() == 2


def _serial_and_parallel(threads, run):
    """run() under one thread and under three; both results as lists of arrays."""
    results = []
    for n in (1, 3):
        threads(n)
        results.append([np.array(a, copy=True) for a in run()])
    return results


def _layer_pass(layer, x, grad_seed=5):
    def run():
        y = layer.forward(x, training=True)
        grad = np.random.default_rng(grad_seed).standard_normal(y.shape).astype(x.dtype)
        return [y, layer.backward(grad)]
    return run


@pytest.mark.parametrize("make", [
    lambda: LeakyReLU(0.2),
    lambda: Conv2DTranspose(8, 4, strides=2, padding="same"),
    lambda: Conv2D(8, 3, strides=2, padding="same"),
    lambda: Conv2D(2, 5, strides=1, padding="same"),    # fewer filters than channels: by taps
], ids=["leakyrelu", "conv2d_transpose", "conv2d", "conv2d_taps"])
def test_layers_give_the_same_numbers_on_several_threads(threads, make):
    x = np.random.default_rng(0).standard_normal((16, 32, 32, 64)).astype(np.float32)  # 1M elements
    layer = make()
    layer.build(x.shape[1:], np.random.default_rng(1))
    serial, split = _serial_and_parallel(threads, _layer_pass(layer, x))
    for a, b in zip(serial, split):
        np.testing.assert_array_equal(a, b)


def test_dropout_gives_the_same_mask_on_several_threads(threads):
    """The mask is drawn on the calling thread from the layer's one generator: thread count changes nothing."""
    x = np.random.default_rng(0).standard_normal((64, LARGE // 64)).astype(np.float32)
    results = []
    for n in (1, 3):
        threads(n)
        layer = Dropout(0.3, rng=np.random.default_rng(7))
        layer.build(x.shape[1:])
        results.append(_layer_pass(layer, x)())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_im2col_and_col2im_on_several_threads(threads):
    x = np.random.default_rng(0).standard_normal((16, 28, 28, 96)).astype(np.float32)

    def run():
        cols = im2col(x, (3, 3), (2, 2), (1, 2, 0, 3), (14, 14))
        return [cols, col2im(cols, x.shape, (2, 2), (1, 2, 0, 3))]

    serial, split = _serial_and_parallel(threads, run)
    for a, b in zip(serial, split):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(serial[0], reference.im2col(x, (3, 3), (2, 2), (1, 2, 0, 3), (14, 14)))
    np.testing.assert_array_equal(serial[1], reference.col2im(serial[0], x.shape, (2, 2), (1, 2, 0, 3)))


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=0.01), lambda ps: SGD(ps, lr=0.1, momentum=0.9)],
                         ids=["adam", "sgd"])
def test_optimizer_step_on_several_threads(threads, make):
    rng = np.random.default_rng(2)
    value, grads = rng.standard_normal(LARGE + 7).astype(np.float32), rng.standard_normal((3, LARGE + 7))

    def run():
        p = Parameter(value.copy())
        opt = make({"w": p})
        for g in grads:
            opt.zero_grad()
            p.add_grad(g.astype(np.float32))
            opt.step()
        return [p.value]

    serial, split = _serial_and_parallel(threads, run)
    np.testing.assert_array_equal(serial[0], split[0])


def test_blas_threads_sets_and_restores_the_element_wise_count(threads):
    from numpygan.runtime import blas_threads

    threads(3)
    with blas_threads(2):
        assert parallel.get_num_threads() == 2
    assert parallel.get_num_threads() == 3
    with blas_threads(None):
        assert parallel.get_num_threads() == 3


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_working_pool(threads):
    import os

    threads(2)
    x = np.ones((64, LARGE // 64), np.float32)
    parallel.map_rows(lambda rows: rows.__imul__(2), x)   # the pool now has its threads
    pid = os.fork()
    if pid == 0:   # child: the parent's pool threads do not exist here
        try:
            y = np.ones_like(x)
            parallel.map_rows(lambda rows: rows.__imul__(3), y)
            os._exit(0 if (y == 3).all() else 1)
        except BaseException:
            os._exit(2)
    import time

    deadline = time.monotonic() + 30
    while True:   # a child stuck on a dead pool must fail the test, not hang it
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child never finished map_rows: it waited on the parent's pool")
        time.sleep(0.01)
    assert os.WEXITSTATUS(status) == 0
    assert (x == 2).all()
