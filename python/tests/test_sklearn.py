"""scikit-learn's estimator checks (scikit-learn >= 1.6; skipped without it)."""
import pytest

import smile
from conftest import SMALL

sklearn = pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

# check_estimator fits some 60 times: one member, short warm-up and sampling, a
# short deep-ensemble phase (the checks test the interface, not the fit quality).
CHECK_BUDGET = dict(SMALL, members=1, warmup=200, samples=100, de_epochs=30)

# Checks expected to fail, with the reason.
EXPECTED_FAILED = {
    "check_dtype_object": "an X of Python objects that are not numbers (a dict) raises "
                          "ValueError (this package's rule for non-numeric input); "
                          "scikit-learn expects TypeError",
    # The float32 forward pass (BLAS sgemm) rounds a row differently by its position in
    # the batch: permuted rows predict the same to about 1e-7 relative, at the edge of
    # the check's rtol 1e-7 (it failed by 4e-8 once the fit changed). A looser own check
    # is test_sample_order_invariance_float below.
    "check_methods_sample_order_invariance": "predictions of permuted rows agree to float "
                                             "rounding (about 1e-7 relative), not to 1e-7",
}


def test_sample_order_invariance_float():
    import numpy as np
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=40)
    est = smile.Regressor(**CHECK_BUDGET).fit(X, y)
    idx = rng.permutation(40)
    np.testing.assert_allclose(est.predict(X)[idx], est.predict(X[idx]), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("cls", [smile.Regressor, smile.Classifier])
def test_check_estimator(cls):
    results = check_estimator(cls(**CHECK_BUDGET), on_fail=None,
                              expected_failed_checks=EXPECTED_FAILED)
    failed = [(r["check_name"], repr(r["exception"])) for r in results
              if r["status"] == "failed"]
    assert not failed
    assert sum(r["status"] == "passed" for r in results) >= 40
