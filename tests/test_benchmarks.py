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


# -- benchmarks/examples.py ------------------------------------------------------------------------------------
def test_examples_benchmark_times_a_real_fit_step_and_scales_it_to_the_epoch_and_the_run(monkeypatch):
    """One cheap example (the MLP GAN of examples/mlp_mnist.py) on 200 stand-in images: 1 + 2 steps of its fit."""
    import math

    import numpy as np

    from benchmarks.examples import format_header, format_row, measure
    from numpygan.training import data as training_data
    from numpygan.training.config import preset

    asked = []

    def load(config, verbose=True):
        asked.append((config.dataset, config.data_limit))
        x = np.random.default_rng(0).uniform(-1, 1, (200, 28, 28, 1)).astype(np.float32)
        return training_data.select_rows(x, config)

    monkeypatch.setattr(training_data, "load_training_images", load)
    row = measure("mlp_mnist", steps=2, warmup=1, data_limit=200)
    assert asked == [("mnist", 200)]
    # the preset's batch and epochs; 200 images give 200 // batch steps per epoch
    config = preset("mlp_mnist")
    per_epoch = 200 // config.batch_size
    assert (row["batch"], row["steps_per_epoch"], row["epochs"], row["run_steps"]) == (
        config.batch_size, per_epoch, config.epochs, per_epoch * config.epochs)
    for key in ("ms", "cpu_ms", "s_per_epoch", "run_minutes"):
        assert math.isfinite(row[key]) and row[key] > 0, key
    assert row["s_per_epoch"] == pytest.approx(row["ms"] * per_epoch / 1e3)
    assert row["run_minutes"] == pytest.approx(row["ms"] * per_epoch * config.epochs / 6e4)
    line = format_row(dict(row, threads=1))
    assert line.startswith("python examples/mlp_mnist.py ") and line.endswith(" min")
    assert len(line) <= len(format_header()) + 4


def test_examples_benchmark_builds_each_preset_example_from_the_preset_its_script_trains(monkeypatch):
    """PRESET_OF must follow the scripts: each one's main() hands that preset to example_main."""
    from benchmarks.examples import PRESET_OF, load_example

    for name, preset_name in PRESET_OF.items():
        module = load_example(name)
        handed = []
        monkeypatch.setattr(module, "example_main", lambda preset, *args: handed.append(preset) or 0)
        assert module.main([]) == 0 and handed == [preset_name], name


@pytest.mark.parametrize("argv, message", [(["--only", "mlp_mnist", "nonsense"], "invalid choice: 'nonsense'"),
                                           (["--threads", "0"], "--threads"), (["--steps", "0"], "--steps"),
                                           (["--warmup", "-1"], "--warmup")])
def test_examples_benchmark_rejects_bad_arguments_before_any_work(argv, message, capsys):
    from benchmarks.examples import main

    with pytest.raises(SystemExit):
        main(argv)
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_examples_benchmark_measure_rejects_an_unknown_example_or_step_count():
    from benchmarks.examples import measure

    with pytest.raises(ValueError, match="argument 'name' expected one of .*received 'mlp'"):
        measure("mlp")
    with pytest.raises(ValueError, match="steps=0"):
        measure("mlp_mnist", steps=0)


def _datasets_cached():
    from numpygan.data.cache import resolve_cache_dir

    return all((resolve_cache_dir() / name).exists() for name in ("mnist.npz", "fashion-mnist.npz"))


@pytest.mark.slow
@pytest.mark.skipif(not _datasets_cached(), reason="needs MNIST and Fashion-MNIST in the cache")
@pytest.mark.parametrize("name", ["dcgan_keras", "cgan_fashion", "pix2pix_l1", "cyclegan", "stargan", "ring"])
def test_examples_benchmark_builds_every_kind_of_example_on_the_cached_data(name):
    import math

    from benchmarks.examples import measure
    from numpygan.runtime import blas_threads

    with blas_threads(1):
        row = measure(name, steps=1, warmup=0, data_limit=256)
    assert math.isfinite(row["ms"]) and row["ms"] > 0 and row["run_steps"] >= row["steps_per_epoch"] > 0
