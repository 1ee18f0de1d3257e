"""The metrics on cases with a known answer, and their refusal of bad input."""

import warnings

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import multivariate_normal

from numpygan.metrics import (
    SIGMAS, classifier_score, fid_from_features, frechet_distance, mode_coverage, parzen_evaluate,
    parzen_log_likelihood, precision_recall, select_sigma,
)
from numpygan.metrics.precision_recall import kth_neighbour_radii


def rng(seed=0):
    return np.random.default_rng(seed)


# -- Parzen window ---------------------------------------------------------------------------------

def test_parzen_one_centre_is_the_gaussian_log_density():
    r = rng()
    mu = r.standard_normal((1, 5))
    x = r.standard_normal((7, 5))
    sigma = 0.3
    expected = multivariate_normal(mean=mu[0], cov=sigma**2 * np.eye(5)).logpdf(x)
    np.testing.assert_allclose(parzen_log_likelihood(x, mu, sigma), expected, rtol=1e-12, atol=1e-9)


def test_parzen_of_gaussian_samples_matches_the_convolved_density():
    """Centres μ_j ~ N(0, s²I): the Parzen density's expectation is exactly N(0, (s² + σ²)I).

    The estimate at x is a mean of M i.i.d. kernels k(x; μ_j), so its relative
    standard error is sqrt((E[k²]/E[k]² − 1) / M), and with
    E[k²] = (4πσ²)^(−d/2) N(x; 0, (s² + σ²/2)I) that is known in closed form.
    The log-density may therefore differ from the analytic one by a few of
    those relative errors; we allow five times the largest over the test points.
    """
    r = rng(1)
    d, s, sigma, m = 4, 1.0, 0.5, 20_000
    centres = s * r.standard_normal((m, d))
    x = s * r.standard_normal((50, d))
    analytic = multivariate_normal(np.zeros(d), (s**2 + sigma**2) * np.eye(d)).logpdf(x)
    log_ek2 = -0.5 * d * np.log(4 * np.pi * sigma**2) + multivariate_normal(
        np.zeros(d), (s**2 + sigma**2 / 2) * np.eye(d)).logpdf(x)
    rel_se = np.sqrt((np.exp(log_ek2 - 2 * analytic) - 1) / m)
    estimate = parzen_log_likelihood(x, centres, sigma)
    assert np.all(np.abs(estimate - analytic) <= 5 * rel_se.max())


def test_parzen_block_size_and_dtype_do_not_change_the_result():
    r = rng(2)
    centres = r.random((300, 784)).astype(np.float32)
    x = r.random((40, 784))
    full = parzen_log_likelihood(x, centres, 0.2)
    tiny_blocks = parzen_log_likelihood(x, centres, 0.2, block_bytes=8 * 300 * 3)  # 3 rows per block
    np.testing.assert_allclose(tiny_blocks, full, rtol=1e-13)
    as_float64 = parzen_log_likelihood(x, centres.astype(np.float64), 0.2)
    np.testing.assert_array_equal(as_float64, full)


def test_parzen_is_exact_where_float32_expansion_would_cancel():
    """Points 1e-3 from a centre, in 784-D with ‖x‖² ≈ 260: float64 keeps the tiny distance."""
    r = rng(3)
    mu = r.random((1, 784))
    x = mu + 1e-3 * r.standard_normal((5, 784))
    sigma = 0.1
    # the Gaussian log-density from the differences themselves, which lose nothing
    expected = -np.sum((x - mu) ** 2, axis=1) / (2 * sigma**2) - 784 * np.log(sigma * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(parzen_log_likelihood(x, mu, sigma), expected, rtol=1e-9)


def test_select_sigma_picks_small_for_near_and_large_for_far_validation():
    r = rng(4)
    centres = r.random((200, 20))
    near = centres[:50] + 0.001 * r.standard_normal((50, 20))
    far = centres[:50] + 3.0
    sigma, scores = select_sigma(centres, near)
    assert sigma == pytest.approx(SIGMAS[0]) and max(scores, key=scores.get) == sigma
    assert select_sigma(centres, far)[0] == pytest.approx(SIGMAS[-1])


def test_parzen_evaluate_reports_mean_and_standard_error_at_the_chosen_sigma():
    r = rng(5)
    samples, validation, test = r.random((100, 10)), r.random((30, 10)), r.random((40, 10))
    result = parzen_evaluate(samples, validation, test)
    ll = parzen_log_likelihood(test, samples, result.sigma)
    assert result.mean == pytest.approx(ll.mean(), rel=1e-12)
    assert result.stderr == pytest.approx(ll.std() / np.sqrt(40), rel=1e-12)
    assert (result.n_centres, result.n_validation, result.n_test) == (100, 30, 40)
    assert result.sigma in result.validation


@pytest.mark.parametrize("bad, match", [
    (dict(x=np.full((3, 5), np.nan)), "NaN"),
    (dict(x=np.zeros((3, 6))), "columns"),
    (dict(sigma=0.0), "sigmas"),
    (dict(sigma=[0.1, 0.2]), "one number"),
    (dict(centres=np.zeros(5)), r"\(N, \.\.\.\)"),
])
def test_parzen_rejects_bad_input(bad, match):
    args = dict(x=np.zeros((3, 5)), centres=np.zeros((4, 5)), sigma=0.5)
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        parzen_log_likelihood(args["x"], args["centres"], args["sigma"])


# -- Fréchet distance ------------------------------------------------------------------------------

def random_rotation(d, seed):
    q, _ = np.linalg.qr(rng(seed).standard_normal((d, d)))
    return q


def test_fid_of_a_set_with_itself_is_zero():
    x = rng(6).standard_normal((2000, 16)) @ rng(7).standard_normal((16, 16))
    assert abs(fid_from_features(x, x)) < 1e-8


def test_frechet_distance_of_gaussians_sharing_eigenvectors_has_the_closed_form():
    """Σ₁ = Q diag(a) Qᵀ, Σ₂ = Q diag(b) Qᵀ commute: d² = ‖μ₁ − μ₂‖² + Σ_i (√a_i − √b_i)²."""
    d = 12
    q = random_rotation(d, 8)
    a, b = rng(9).uniform(0.1, 3.0, d), rng(10).uniform(0.1, 3.0, d)
    mu1, mu2 = rng(11).standard_normal(d), rng(12).standard_normal(d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_of_general_gaussians_matches_the_symmetric_form():
    """tr((Σ₁Σ₂)^{1/2}) = tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}), computed here by eigendecompositions only."""
    d = 10
    a, b = rng(13).standard_normal((d, d)), rng(14).standard_normal((d, d))
    s1, s2 = a @ a.T + 0.1 * np.eye(d), b @ b.T + 0.1 * np.eye(d)

    def psd_sqrt(m):
        w, v = np.linalg.eigh(m)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    r1 = psd_sqrt(s1)
    expected = np.trace(s1) + np.trace(s2) - 2 * np.trace(psd_sqrt(r1 @ s2 @ r1))
    assert frechet_distance(np.zeros(d), s1, np.zeros(d), s2) == pytest.approx(expected, rel=1e-9)


def test_fid_from_samples_approaches_the_closed_form():
    """Sampled features from two 3-D Gaussians; the estimate's sampling error at N = 200k is ≈ 0.01."""
    r = rng(15)
    n = 200_000
    x = r.standard_normal((n, 3)) * np.sqrt([1.0, 2.0, 0.5])
    y = r.standard_normal((n, 3)) * np.sqrt([2.0, 0.5, 0.5]) + [1.0, 0.0, 0.0]
    expected = 1.0 + (1 - np.sqrt(2)) ** 2 + (np.sqrt(2) - np.sqrt(0.5)) ** 2
    assert fid_from_features(x, y) == pytest.approx(expected, abs=0.03)


def test_features_dead_in_both_sets_change_nothing_and_warn_nothing():
    """A never-firing ReLU unit: zero column in both sets. The distance equals that without it."""
    r = rng(21)
    x, y = r.standard_normal((500, 6)), r.standard_normal((400, 6)) + 0.5
    dead = np.zeros((500, 1)), np.zeros((400, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with_dead = fid_from_features(np.hstack([x, dead[0]]), np.hstack([y, dead[1]]))
    assert with_dead == pytest.approx(fid_from_features(x, y), rel=1e-12)


@pytest.mark.filterwarnings("error")
def test_frechet_distance_of_singular_covariances():
    """Rank-deficient (PSD) covariances still give the closed form, quietly: diag(1, 0, 2) vs diag(0, 1, 2) → 2."""
    got = frechet_distance(np.zeros(3), np.diag([1.0, 0.0, 2.0]), np.zeros(3), np.diag([0.0, 1.0, 2.0]))
    assert got == pytest.approx(2.0, abs=1e-6)


def test_frechet_distance_retries_with_eps_then_gives_up(monkeypatch):
    from numpygan.metrics import frechet as frechet_module

    real_sqrtm, calls = frechet_module.linalg.sqrtm, []

    def nan_first(a):
        calls.append(a.copy())
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(frechet_module.linalg, "sqrtm", nan_first)
    s1, s2 = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])
    got = frechet_distance(np.zeros(2), s1, np.zeros(2), s2, eps=1e-3)
    np.testing.assert_allclose(calls[1], (s1 + 1e-3 * np.eye(2)) @ (s2 + 1e-3 * np.eye(2)))
    assert got == pytest.approx((1 - 3) ** 2 + (2 - 1) ** 2, abs=1e-2)

    monkeypatch.setattr(frechet_module.linalg, "sqrtm", lambda a: np.full_like(a, np.nan))
    with pytest.raises(ValueError, match="not finite"):
        frechet_distance(np.zeros(2), s1, np.zeros(2), s2)


def test_frechet_distance_refuses_a_significant_imaginary_part():
    with pytest.raises(ValueError, match="imaginary"):
        frechet_distance(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2))


def test_fid_needs_more_samples_than_dimensions():
    with pytest.raises(ValueError, match="N > D"):
        fid_from_features(np.zeros((10, 10)), np.zeros((100, 10)))


@pytest.mark.parametrize("x, y, error, match", [
    (np.full((50, 3), np.nan), np.zeros((50, 3)), ValueError, "NaN"),
    (np.zeros((50, 3)), np.zeros((50, 4)), ValueError, "dimensions differ"),
    (np.zeros(50), np.zeros((50, 3)), ValueError, "2-D"),
    ([[0.0] * 3] * 50, np.zeros((50, 3)), TypeError, "numpy array"),
])
def test_fid_rejects_bad_input(x, y, error, match):
    with pytest.raises(error, match=match):
        fid_from_features(x, y)


# -- classifier score ------------------------------------------------------------------------------

def test_score_is_k_for_confident_balanced_predictions():
    p = np.eye(10)[np.arange(1000) % 10]
    assert classifier_score(p) == pytest.approx(10.0, rel=1e-12)


def test_score_is_one_for_a_constant_classifier():
    p = np.tile(rng(16).dirichlet(np.ones(10)), (500, 1))
    assert classifier_score(p) == pytest.approx(1.0, rel=1e-12)


def test_score_matches_a_hand_computed_case():
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    marginal = np.array([0.75, 0.25])
    kl = [np.log(1 / 0.75), 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)]
    assert classifier_score(p) == pytest.approx(np.exp(np.mean(kl)), rel=1e-12)
    assert marginal.sum() == 1.0


@pytest.mark.parametrize("p, match", [
    (np.full((4, 3), 0.5), "sum"),
    (np.array([[1.5, -0.5]]), "non-negative"),
    (np.full((4, 3), np.nan), "NaN"),
    (np.ones(3) / 3, "2-D"),
])
def test_score_rejects_non_probabilities(p, match):
    with pytest.raises(ValueError, match=match):
        classifier_score(p)


# -- mode coverage ----------------------------------------------------------------------------------

def test_coverage_of_a_balanced_histogram():
    c = mode_coverage(np.arange(10_000) % 10)
    assert c.classes_covered == 10 and c.kl_to_uniform == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_array_equal(c.counts, np.full(10, 1000))


def test_coverage_of_total_collapse():
    c = mode_coverage(np.full(500, 7))
    assert c.classes_covered == 1 and c.kl_to_uniform == pytest.approx(np.log(10), rel=1e-12)


def test_coverage_threshold_and_kl_on_a_synthetic_histogram():
    counts = np.array([3000, 2000, 2000, 1500, 1000, 400, 99, 1, 0, 0])  # 10,000 samples
    labels = np.repeat(np.arange(10), counts)
    c = mode_coverage(labels)
    assert c.classes_covered == 5 + 1  # 400 = 4 %, 99 = 0.99 % is below 1 %
    h = counts[counts > 0] / 10_000
    assert c.kl_to_uniform == pytest.approx(np.sum(h * np.log(10 * h)), rel=1e-12)
    assert mode_coverage(labels, threshold=0.0099).classes_covered == 7


@pytest.mark.parametrize("labels, error", [
    (np.array([0.0, 1.0]), TypeError),
    (np.array([0, 10]), ValueError),
    (np.array([-1, 3]), ValueError),
    (np.zeros((2, 2), dtype=int), ValueError),
    (np.array([], dtype=int), ValueError),
])
def test_coverage_rejects_bad_labels(labels, error):
    with pytest.raises(error, match="labels"):
        mode_coverage(labels)


# -- precision and recall --------------------------------------------------------------------------

def test_kth_neighbour_radii_match_brute_force():
    x = rng(17).standard_normal((300, 5))
    x[10] = x[11]  # an exact duplicate counts as a neighbour at distance 0
    expected = np.sort(cdist(x, x, "sqeuclidean") + np.diag(np.full(300, -1.0)), axis=1)[:, 3]
    np.testing.assert_allclose(kth_neighbour_radii(x, 3), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kth_neighbour_radii(x, 3, block_bytes=8 * 300 * 7), expected, rtol=1e-10, atol=1e-12)


def test_identical_clouds_have_precision_and_recall_one():
    x = rng(18).standard_normal((500, 8))
    r = precision_recall(x, x.copy())
    assert (r.precision, r.recall) == (1.0, 1.0)


def test_disjoint_clouds_have_precision_and_recall_zero():
    x = rng(19).standard_normal((500, 8))
    r = precision_recall(x, x + 100.0)
    assert (r.precision, r.recall) == (0.0, 0.0)


def test_a_generator_covering_one_of_two_modes_keeps_precision_and_halves_recall():
    """Real data: two far-apart modes; fake: the first mode only.

    No ball of one mode reaches the other, so precision is exactly that against
    the first mode alone, and recall exactly half of it (the second mode's real
    points are never covered).
    """
    r = rng(20)
    mode = r.standard_normal((400, 4))
    real = np.concatenate([mode, r.standard_normal((400, 4)) + 50.0])
    fake = r.standard_normal((400, 4))
    one_mode = precision_recall(mode, fake)
    result = precision_recall(real, fake)
    assert result.precision == one_mode.precision > 0.9
    assert result.recall == pytest.approx(one_mode.recall / 2, abs=1e-15) and one_mode.recall > 0.9


@pytest.mark.parametrize("real, fake, error, match", [
    (np.zeros((10, 3)), np.zeros((10, 4)), ValueError, "columns"),
    (np.full((10, 3), np.inf), np.zeros((10, 3)), ValueError, "NaN or infinite"),
    (np.zeros((3, 3)), np.zeros((10, 3)), ValueError, "more than k"),
    (np.zeros((10, 3)), "features", TypeError, "numpy array"),
])
def test_precision_recall_rejects_bad_input(real, fake, error, match):
    with pytest.raises(error, match=match):
        precision_recall(real, fake)
