"""The benchmark scripts' own logic (not speed): the iteration breakdown sums what it times, and reads right."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.breakdown import ADAM_BYTES_PER_PARAMETER, format_breakdown, numpygan_breakdown  # noqa: E402


def test_numpygan_breakdown_times_every_layer_type_and_both_optimizers():
    result = numpygan_breakdown("mlp", batch=4, repeats=2, warmup=1)
    parts = result["parts"]
    assert {"Dense", "LeakyReLU", "Dropout", "Tanh", "optimizer (Adam)", "loss"} <= set(parts)
    assert all(ms > 0 for ms in parts.values())
    # the timers nest nowhere: their sum cannot exceed the iteration they were taken in
    assert sum(parts.values()) <= result["profiled_ms"] * 1.001
    # the reference MLP GAN: G 100-256-512-1024-784, D 784-1024-512-256-1
    g = 100 * 256 + 256 + 256 * 512 + 512 + 512 * 1024 + 1024 + 1024 * 784 + 784
    d = 784 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 256 + 256 + 256 + 1
    assert result["parameters"] == g + d


def test_format_breakdown_gives_the_budget_left_after_the_matrix_products():
    ours = {"parts": {"Dense": 30.0, "optimizer (Adam)": 8.0, "Dropout": 2.0}, "profiled_ms": 42.0,
            "plain_ms": 41.0, "parameters": 1_000_000, "copy_gbs": 28.0}
    theirs = {"parts": {"matrix products": 25.0, "optimizer (Adam)": 10.0, "Dropout (bernoulli_)": 5.0},
              "profiled_ms": 45.0, "plain_ms": 40.0, "version": "x"}
    text = format_breakdown(ours, theirs, threads=1)
    # 0.8 × 40 = 32 ms allowed; Dense takes 30 of it; everything else takes 42 − 30 = 12
    assert "0.8 × PyTorch = 32.0 ms" in text and "take 30.0" in text
    assert "leaving 2.0 ms for everything else, which takes 12.0 now" in text
    assert "rest                          2.00 ms" in text          # 42 − (30 + 8 + 2)
    assert f"= {1e6 * ADAM_BYTES_PER_PARAMETER / 28e9 * 1e3:.1f} ms" in text   # 1.0 ms
    assert "Ratio now 1.02" in text


def test_format_breakdown_without_torch_says_so():
    ours = {"parts": {"Dense": 1.0}, "profiled_ms": 2.0, "plain_ms": 2.0, "parameters": 10, "copy_gbs": 1.0}
    assert "PyTorch: not installed" in format_breakdown(ours, None, threads=2)


@pytest.mark.parametrize("argv, message", [(["--threads", "0"], "--threads"), (["--batch", "0"], "--batch"),
                                           (["--repeats", "0"], "--repeats")])
def test_breakdown_rejects_bad_arguments_before_any_work(argv, message, capsys):
    from benchmarks.breakdown import main

    with pytest.raises(SystemExit):
        main(argv)
    assert message in capsys.readouterr().err


def test_mlp_products_are_the_iterations_matrix_products():
    """The products timed alone are the ones run.py counts: the same FLOPs, 34 of them for the MLP GAN."""
    from benchmarks.breakdown import mlp_products
    from benchmarks.run import iteration_flops, make_numpygan_step

    _, trainer = make_numpygan_step("mlp", 8)
    products = mlp_products(trainer.generator, trainer.discriminator, 8)
    assert len(products) == 2 * 4 + 2 * 4 + 4 + 3 + 4 + 4 + 3
    assert sum(2 * m * k * n for _, m, k, n, _, _ in products) == iteration_flops(
        trainer.generator, trainer.discriminator, 8)
    # dW = xᵀ G: (D_in, rows) · (rows, D_out) with x transposed; dx = G Wᵀ: W transposed
    assert ("D dW", 784, 16, 1024, True, False) in products
    assert ("G dx", 8, 784, 1024, False, True) in products


def test_time_products_and_format_products():
    from benchmarks.breakdown import format_products, time_products

    products = [("D forward", 4, 3, 2, False, False), ("D dW", 3, 4, 2, True, False)]
    times = time_products("numpy", products, threads=1, repeats=2)
    assert len(times) == 2 and all(t > 0 for t in times)
    text = format_products(products, [1.0, 3.0], [0.5, 1.5])
    assert "numpy   4.00 ms" in text and "torch   2.00 ms" in text and "2 matrix products" in text


def test_blas_report_names_the_kernel_and_warns_when_the_environment_forces_it(monkeypatch):
    from benchmarks import common

    monkeypatch.setattr(common, "blas_kernels", lambda: ["openblas 0.3.31, kernel Haswell"])
    for var in common.FORCING_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    assert common.blas_report() == ["BLAS kernel: openblas 0.3.31, kernel Haswell"]
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    lines = common.blas_report()
    assert len(lines) == 2 and "OPENBLAS_CORETYPE=Haswell is set" in lines[1]
    assert "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python" in lines[1]


def test_blas_report_without_threadpoolctl_says_how_to_see_the_kernel(monkeypatch):
    from benchmarks import common

    monkeypatch.setattr(common, "blas_kernels", lambda: None)
    assert "pip install threadpoolctl" in common.blas_report()[0]
