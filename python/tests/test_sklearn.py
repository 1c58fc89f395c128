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
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("cls", [smile.Regressor, smile.Classifier])
def test_check_estimator(cls):
    results = check_estimator(cls(**CHECK_BUDGET), on_fail=None,
                              expected_failed_checks=EXPECTED_FAILED)
    failed = [(r["check_name"], repr(r["exception"])) for r in results
              if r["status"] == "failed"]
    assert not failed
    assert sum(r["status"] == "passed" for r in results) >= 40
