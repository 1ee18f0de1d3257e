"""The ring of Gaussians: the toy data, its mode-coverage metric on configurations with a known answer,
and the BCE-against-LSGAN example on a few steps."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from numpygan.data import ring_centres, ring_of_gaussians
from numpygan.metrics import MixtureCoverage, mixture_coverage
from numpygan.runtime import blas_threads

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ring_of_gaussians.py"
STD = 0.02


# -- data -------------------------------------------------------------------------------------------------------
def test_ring_centres_lie_on_the_circle():
    centres = ring_centres(8, 2.0)
    assert centres.shape == (8, 2) and centres.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0)
    np.testing.assert_allclose(centres[0], [2.0, 0.0])
    np.testing.assert_allclose(centres[2], [0.0, 2.0], atol=1e-15)


def test_ring_of_gaussians_draws_each_mode_with_its_spread():
    x, labels = ring_of_gaussians(40_000, rng=0, return_labels=True)
    assert x.shape == (40_000, 2) and x.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_allclose(np.bincount(labels, minlength=8) / len(x), 1 / 8, atol=0.01)
    offsets = x - ring_centres()[labels]
    np.testing.assert_allclose(offsets.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(offsets.std(axis=0), STD, rtol=0.02)
    np.testing.assert_array_equal(ring_of_gaussians(10, rng=3), ring_of_gaussians(10, rng=np.random.default_rng(3)))
    assert ring_of_gaussians(5, modes=3, radius=1.0, std=0.0, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("call, match", [
    (lambda: ring_of_gaussians(0), "'n'"), (lambda: ring_of_gaussians(5, std=-1.0), "'std'"),
    (lambda: ring_of_gaussians(5, modes=0), "'modes'"), (lambda: ring_centres(8, radius=0.0), "'radius'"),
])
def test_ring_of_gaussians_refuses_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- metric -----------------------------------------------------------------------------------------------------
def test_all_samples_at_one_mode_cover_one_mode():
    samples = np.repeat(ring_centres()[3:4], 2500, axis=0)
    quality = mixture_coverage(samples, ring_centres(), STD)
    assert isinstance(quality, MixtureCoverage)
    assert quality.modes_covered == 1 and quality.high_quality_fraction == 1.0
    np.testing.assert_array_equal(quality.counts, [0, 0, 0, 2500, 0, 0, 0, 0])


def test_real_data_covers_every_mode_with_the_gaussian_share_within_3_sigma():
    """A 2-D Gaussian holds 1 − e^(−9/2) = 98.89 % of its mass within 3σ."""
    quality = mixture_coverage(ring_of_gaussians(100_000, rng=1), ring_centres(), STD, min_count=100)
    assert quality.modes_covered == 8 and quality.n == 100_000
    assert quality.high_quality_fraction == pytest.approx(1 - np.exp(-4.5), abs=2e-3)


def test_samples_between_the_modes_or_at_the_centre_are_not_high_quality():
    centres = ring_centres()
    between = 2.0 * np.stack([np.cos(np.pi / 8 + np.arange(8) * np.pi / 4),
                              np.sin(np.pi / 8 + np.arange(8) * np.pi / 4)], axis=1)
    for samples in (np.repeat(between, 300, axis=0), np.zeros((2500, 2))):
        quality = mixture_coverage(samples, centres, STD)
        assert quality.modes_covered == 0 and quality.high_quality_fraction == 0.0


def test_the_3_sigma_radius_and_the_min_count_are_the_boundaries():
    centres = ring_centres()
    direction = np.array([0.0, 1.0])  # perpendicular to the ring at mode 0
    inside = centres[0] + 0.999 * 3 * STD * direction
    outside = centres[0] + 1.001 * 3 * STD * direction
    quality = mixture_coverage(np.array([inside, outside]), centres, STD, min_count=1)
    np.testing.assert_array_equal(quality.counts, [1, 0, 0, 0, 0, 0, 0, 0])
    assert quality.high_quality_fraction == 0.5
    # 20 samples at mode 0 count, 19 at mode 1 do not
    samples = np.concatenate([np.repeat(centres[:1], 20, axis=0), np.repeat(centres[1:2], 19, axis=0)])
    assert mixture_coverage(samples, centres, STD).modes_covered == 1
    assert mixture_coverage(samples, centres, STD, min_count=19).modes_covered == 2
    assert "1/8 modes covered" in str(mixture_coverage(samples, centres, STD))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(samples=np.zeros((4, 3))), ValueError, "'centres' must have 3 columns"),
    (dict(samples=np.zeros(4)), ValueError, "'samples' must be 2-D"),
    (dict(samples=np.full((4, 2), np.nan)), ValueError, "'samples' contains NaN"),
    (dict(std=0.0), ValueError, "'std'"),
    (dict(min_count=0), ValueError, "'min_count'"),
])
def test_mixture_coverage_refuses_bad_arguments(kwargs, error, match):
    arguments = dict(samples=np.zeros((4, 2)), centres=ring_centres(), std=STD, **{})
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        mixture_coverage(**arguments)


# -- the example ------------------------------------------------------------------------------------------------
def _example():
    spec = importlib.util.spec_from_file_location("example_ring_of_gaussians", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ring_example_runs_every_objective_and_writes_its_plots(tmp_path, capsys):
    module = _example()
    with blas_threads(1):
        rc = module.main(["--seeds", "2", "--steps", "4", "--batch-size", "16", "--latent-dim", "8", "--every", "1",
                          "--losses", "bce", "lsgan", "lsgan-pearson", "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    for loss in ("bce", "lsgan", "lsgan-pearson"):
        assert f"| {loss} | 2 |" in out      # the final scores
        assert f"| {loss} | 2 | 0." in out   # the stability table: 2 checkpoints after step 2, mean ± sd
    assert "modes covered every 1 steps: 0 0 0 0" in out
    for name in ("ring_bce.png", "ring_lsgan.png", "ring_lsgan_pearson.png", "ring_dynamics.png"):
        with Image.open(tmp_path / name) as picture:
            assert picture.size[0] > 200
    # a run is reproducible from its seed, and the seed matters
    first = module.train_ring("lsgan", 0, 2, batch_size=16, latent_dim=8)[1]
    assert np.array_equal(first, module.train_ring("lsgan", 0, 2, batch_size=16, latent_dim=8)[1])
    assert not np.array_equal(first, module.train_ring("lsgan", 1, 2, batch_size=16, latent_dim=8)[1])
    # the checkpoints score G on the final samples' z: the last one is the final score
    trainer, samples = module.train_ring("bce", 0, 4, batch_size=16, latent_dim=8, every=2)
    assert [step for step, _, _ in trainer.trajectory] == [2, 4]
    np.testing.assert_array_equal(trainer.trajectory[-1][2], samples)
    for argv in (["--seeds", "0"], ["--lr-d", "0"], ["--lr", "-1"], ["--every", "-1"]):
        with pytest.raises(SystemExit):
            module.main(argv)


def test_over_training_tells_a_hopping_generator_from_a_steady_one():
    """Known answers: G on one mode that moves each checkpoint, and G holding the same two modes."""
    module = _example()
    centres = ring_centres()

    def checkpoint(step, modes):
        samples = np.repeat(centres[modes], 2500 // len(modes), axis=0)
        return step, mixture_coverage(samples, centres, STD), samples

    hopping = [checkpoint(500 * (i + 1), [i]) for i in range(8)]    # mode i at step 500 (i + 1)
    steady = [checkpoint(500 * (i + 1), [2, 5]) for i in range(8)]
    assert module.over_training(hopping, 4000) == {"held": 1.0, "changes": 2.0, "visited": 4, "checkpoints": 4}
    assert module.over_training(steady, 4000) == {"held": 2.0, "changes": 0.0, "visited": 2, "checkpoints": 4}
    assert module.over_training(hopping[:2], 4000) is None   # no checkpoint after step 2,000
