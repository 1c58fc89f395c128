"""smile: stochastic-gradient microcanonical Langevin samplers for Bayesian
neural networks, as scikit-learn-style estimators (smile.Regressor,
smile.Classifier) over the C library libsmile (ctypes; NumPy only)."""
from ._estimators import Classifier, Regressor, load
from ._lib import Predictor, cli_path, library_path

__all__ = ["Regressor", "Classifier", "load", "Predictor", "library_path", "cli_path"]
__version__ = "0.1.0"
