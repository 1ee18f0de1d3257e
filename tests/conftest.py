"""Shared fixtures for the tests.

Gradient checks go through ``check_gradients`` (or ``assert_gradient_error``
for checks made by hand, e.g. on losses): each records its worst relative error
under a label such as ``Conv2D`` or ``network: dcgan_generator``, and the end
of the run prints the worst error per label.
"""

import numpy as np
import pytest

from numpygan import gradcheck
from numpygan.runtime import blas_threads

# The gradient-check tolerance of the whole suite (float64, gradcheck's metric). Never loosen it.
GRADCHECK_TOL = 1e-6

_WORST_ERRORS = pytest.StashKey[dict]()


def pytest_configure(config):
    config.stash[_WORST_ERRORS] = {}


@pytest.fixture
def assert_gradient_error(request):
    """``check(label, error)``: record a gradient-check error for the summary table, then assert it ≤ 1e-6.

    For checks made by hand (e.g. a loss, or a whole GAN step, against ``numerical_gradient``).
    """
    worst = request.config.stash[_WORST_ERRORS]

    def check(label, error):
        if label not in worst or error > worst[label][0]:
            worst[label] = (float(error), request.node.nodeid)
        assert error <= GRADCHECK_TOL, f"{label}: gradient check error {error:.3e} > {GRADCHECK_TOL:g}"

    return check


@pytest.fixture
def check_gradients(assert_gradient_error):
    """``check(model, x, label, **gradcheck_kwargs)``: gradcheck, record, assert ≤ GRADCHECK_TOL."""

    def check(model, x, label, **kwargs):
        report = gradcheck(model, x, **kwargs)
        try:
            assert_gradient_error(label, report.max_rel_error)
        except AssertionError:
            raise AssertionError(f"{label}: gradient check failed (tolerance {GRADCHECK_TOL:g}):\n{report}") from None
        return report

    return check


@pytest.fixture
def build_float64():
    """``build(layer, input_shape, seed=0)``: build ``layer`` in float64 with random parameters.

    Every parameter is drawn from N(0, 1), so no term of a gradient can hide
    behind an initial zero bias or unit BatchNorm scale.
    """

    def build(layer, input_shape, seed=0):
        rng = np.random.default_rng(seed)
        layer.build(tuple(input_shape), rng=rng, dtype=np.float64)
        for param in layer.parameters().values():
            param.value[...] = rng.standard_normal(param.shape)
        return layer

    return build


def pytest_terminal_summary(terminalreporter, config):
    worst = config.stash.get(_WORST_ERRORS, {})
    if not worst:
        return
    terminalreporter.section("worst gradient-check error per layer type (float64, tolerance 1e-6)")
    width = max(len(label) for label in worst)
    for label, (error, nodeid) in sorted(worst.items()):
        terminalreporter.write_line(f"{label:<{width}}  {error:9.2e}  {nodeid}")


@pytest.fixture(scope="module")
def one_blas_thread():
    """One BLAS thread for a module of small training runs (``pytestmark = pytest.mark.usefixtures(...)``):
    spinning BLAS threads make small products many times slower when other programs share the cores."""
    with blas_threads(1):
        yield
