import os
import signal

import numpy as np
import pytest

import smile

# The Ctrl-C tests send SIGINT to this process and expect KeyboardInterrupt. A
# shell's background job inherits SIGINT ignored, and Python then keeps it
# ignored (no KeyboardInterrupt ever, and those tests would run to the end of
# their long fits): Python's usual handler, whatever the parent did.
signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SMALL = dict(members=2, warmup=300, samples=200, thin=10, n_jobs=2)


def make_regression(n=120, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.1 * r.normal(size=n)
    return X, y


@pytest.fixture(scope="session")
def reg_data():
    return make_regression()


@pytest.fixture(scope="session")
def reg(reg_data):
    return smile.Regressor(**SMALL).fit(*reg_data)


@pytest.fixture(scope="session")
def clf_data():
    r = np.random.default_rng(1)
    X = r.normal(size=(150, 2))
    y = np.where(X[:, 0] > 0, "pos", np.where(X[:, 1] > 0, "up", "down"))
    return X, y


@pytest.fixture(scope="session")
def clf(clf_data):
    return smile.Classifier(**SMALL).fit(*clf_data)


@pytest.fixture(scope="session")
def smile_cli():
    path = os.path.join(ROOT, "build", "smile")
    if not os.path.exists(path):
        pytest.skip("build/smile not built")
    return path
