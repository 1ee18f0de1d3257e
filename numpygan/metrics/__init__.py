"""Sample-quality metrics for generators of 28×28 images (MNIST, Fashion-MNIST).

=====================  ==========================================================
``parzen``             Parzen-window log-likelihood, Goodfellow et al. 2014 protocol
``frechet``            Fréchet distance (FID) on the classifier's features
``classifier``         the small CNN, trained with numpygan, whose features/probabilities the others use
``classifier_score``   Inception-score analogue, exp E[KL(p(y|x) ‖ p(y))]
``coverage``           class histogram of the samples, classes covered, KL to uniform
``precision_recall``   k-NN precision and recall (Kynkäänniemi et al. 2019)
``mixture``            modes covered and high-quality share on a known 2-D mixture (ring of Gaussians)
``ssim``               structural similarity of image pairs (Wang et al. 2004), for translations (pix2pix)
``evaluate``           all of them on a ``generator_fn(n, rng)``, next to real data
``from_checkpoint``    a trained GAN checkpoint as a ``generator_fn``
``cli``                ``numpygan evaluate CHECKPOINT``
=====================  ==========================================================

Every metric takes images with pixels in [0, 1], float (N, 28, 28, 1), except ``mixture``, which takes
points (N, D) and the mixture's centres.
"""

from .classifier import Classifier, build_classifier, load_classifier, train_classifier, weights_path
from .classifier_score import classifier_score
from .coverage import Coverage, mode_coverage
from .evaluate import METRICS, Evaluation, evaluate_generator
from .frechet import feature_statistics, fid_from_features, frechet_distance
from .parzen import PAPER_TABLE_MNIST, SIGMAS, ParzenResult, parzen_evaluate, parzen_log_likelihood, select_sigma
from .mixture import MixtureCoverage, mixture_coverage
from .precision_recall import PrecisionRecall, precision_recall

# pix2pix
from .ssim import ssim, ssim_map

__all__ = [
    "parzen_log_likelihood", "parzen_evaluate", "select_sigma", "ParzenResult", "SIGMAS", "PAPER_TABLE_MNIST",
    "frechet_distance", "fid_from_features", "feature_statistics",
    "Classifier", "build_classifier", "train_classifier", "load_classifier", "weights_path",
    "classifier_score", "mode_coverage", "Coverage", "mixture_coverage", "MixtureCoverage", "precision_recall", "PrecisionRecall",
    "evaluate_generator", "Evaluation", "METRICS",
]
__all__ += ["ssim", "ssim_map"]  # pix2pix
