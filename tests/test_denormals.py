"""Flushing denormals: subnormal floats read and written as 0 on this thread, BLAS's and map_rows' threads
while on; ordinary arithmetic after; GANTrainer.fit trains in the mode and restores the one before."""

import numpy as np
import pytest

from numpygan.runtime import denormals, parallel
from numpygan.layers import Dense, LeakyReLU
from numpygan.sequential import Sequential
from numpygan.training import GANTrainer, TrainConfig

SUBNORMAL = np.float32(1e-39)   # below float32's smallest normal, 1.18e-38


@pytest.fixture
def supported():
    if not denormals.set_flush_denormal(False):
        pytest.skip("flushing denormals is not supported on this platform")
    yield
    denormals.set_flush_denormal(False)


@pytest.fixture
def two_threads():
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    yield
    parallel.set_num_threads(before)


def subnormal_product():
    """A (512, 512) product of 1e-20-sized entries, 32 terms each: every entry 3.2e-39, subnormal."""
    a = np.full((512, 32), 1e-20, np.float32)
    return a @ a.T


def test_off_by_default_and_subnormals_are_kept(supported):
    assert not denormals.get_flush_denormal()
    assert SUBNORMAL * np.float32(1) == SUBNORMAL
    assert np.all(subnormal_product() > 0)


def test_on_flushes_results_and_inputs_then_off_restores(supported):
    assert denormals.set_flush_denormal(True) and denormals.get_flush_denormal()
    assert np.float32(1e-20) * np.float32(1e-20) == 0           # FTZ: a subnormal result becomes 0
    assert SUBNORMAL * np.float32(1e30) == 0                    # DAZ: a subnormal input is read as 0
    assert np.all(subnormal_product() == 0)                     # the BLAS threads as well
    assert np.isclose(np.float32(1e-20) * np.float32(1e-10), 1e-30, rtol=1e-6, atol=0)  # normal ones are kept
    assert denormals.set_flush_denormal(False) and not denormals.get_flush_denormal()
    assert np.float32(1e-20) * np.float32(1e-20) > 0
    assert np.all(subnormal_product() > 0)


def test_map_rows_threads_started_before_follow_the_mode(supported, two_threads):
    x = np.full((64, parallel.MIN_BLOCK // 16), SUBNORMAL)
    y = np.empty_like(x)

    def identity(a, b):
        np.multiply(a, np.float32(1), out=b)

    parallel.map_rows(identity, x, y)                            # the pool's thread exists, in the old mode
    assert np.all(y == SUBNORMAL)
    with denormals.flush_denormals() as in_effect:
        assert in_effect
        parallel.map_rows(identity, x, y)
        assert np.all(y == 0)                                    # both halves: the restarted thread flushes too
    parallel.map_rows(identity, x, y)
    assert np.all(y == SUBNORMAL)


def test_context_restores_the_previous_mode_even_on_error(supported):
    with pytest.raises(RuntimeError):
        with denormals.flush_denormals():
            assert denormals.get_flush_denormal()
            raise RuntimeError("inside")
    assert not denormals.get_flush_denormal()
    denormals.set_flush_denormal(True)
    with denormals.flush_denormals(False) as in_effect:
        assert in_effect and not denormals.get_flush_denormal()
    assert denormals.get_flush_denormal()


def test_unsupported_platform_changes_nothing(monkeypatch):
    monkeypatch.setattr(denormals, "_math_library", lambda: None)
    assert denormals.set_flush_denormal(True) is False
    assert denormals.get_flush_denormal() is False
    with denormals.flush_denormals() as in_effect:
        assert in_effect is False


def test_mode_must_be_a_bool():
    with pytest.raises(TypeError, match="set_flush_denormal: argument 'mode' must be a bool, received str"):
        denormals.set_flush_denormal("yes")


@pytest.mark.parametrize("flush", [True, False])
def test_fit_trains_in_the_mode_and_restores_the_one_before(supported, flush):
    config = TrainConfig(model="mlp", dataset="arrays", latent_dim=3, batch_size=8, epochs=1, seed=0,
                         progress=False)
    G = Sequential([Dense(8), LeakyReLU(0.2), Dense(2)], (3,), seed=0)
    D = Sequential([Dense(8), LeakyReLU(0.2), Dense(1)], (2,), seed=1)
    trainer = GANTrainer(G, D, config)
    seen = []

    class Probe:
        def on_step_end(self, trainer, metrics):
            seen.append(denormals.get_flush_denormal())

    x = np.random.default_rng(0).standard_normal((32, 2)).astype(np.float32)
    trainer.fit(x, callbacks=[Probe()], flush_denormal=flush)
    assert seen == [flush] * 4
    assert not denormals.get_flush_denormal()
