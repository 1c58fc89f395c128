"""smile: stochastic-gradient microcanonical Langevin samplers for Bayesian
neural networks, as scikit-learn-style estimators (smile.Regressor,
smile.Classifier), and the samplers for targets written in Python
(smile.sample), over the C library libsmile (ctypes; NumPy only)."""
from ._estimators import Classifier, Regressor, load
from ._lib import Predictor, cli_path, library_path
from ._sample import SampleResult, sample

__all__ = ["Regressor", "Classifier", "load", "sample", "SampleResult", "Predictor",
           "library_path", "cli_path"]
__version__ = "0.1.0"
