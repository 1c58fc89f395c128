"""Running the fit: n_jobs and verbose reach the command, Ctrl-C stops a fit
cleanly, errors of the command become Python exceptions; use inside
scikit-learn's Pipeline and GridSearchCV."""
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import smile
from smile import _estimators
from conftest import SMALL, make_regression

TINY = dict(members=1, warmup=100, samples=100, thin=10, de_epochs=20, n_jobs=1)


@pytest.fixture
def popen_log(monkeypatch):
    """Records every command the estimators start (the Popen objects)."""
    started = []
    real = subprocess.Popen

    class Recording(real):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            started.append(self)

    monkeypatch.setattr(_estimators.subprocess, "Popen", Recording)
    return started


def test_n_jobs_and_verbose_reach_the_command(popen_log, capfd):
    X, y = make_regression(60)
    a = smile.Regressor(**dict(TINY, n_jobs=1)).fit(X, y)
    args = popen_log[-1].args
    assert args[args.index("--threads") + 1] == "1" and "--quiet" in args
    out = capfd.readouterr()
    assert out.out == "" and out.err == ""  # quiet: nothing on the terminal
    b = smile.Regressor(**dict(TINY, n_jobs=2, verbose=True)).fit(X, y)
    args = popen_log[-1].args
    assert args[args.index("--threads") + 1] == "2" and "--quiet" not in args
    out = capfd.readouterr()
    assert "lppd" in out.out  # the command's report reached the terminal
    # the threads do not change the results
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_ctrl_c_stops_fit_cleanly(popen_log, monkeypatch, tmp_path):
    """SIGINT to this process during a long fit: KeyboardInterrupt, the command
    has ended, and no temporary file or run directory is left."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals need the main thread")
    monkeypatch.setattr(_estimators.tempfile, "tempdir", str(tmp_path))
    X, y = make_regression(200)
    est = smile.Regressor(members=2, warmup=10 ** 8, samples=100, n_jobs=2,
                          sampler="psmile-auto")  # mclmc would refuse the warm-up record
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.time()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(X, y)
    finally:
        timer.cancel()
    assert time.time() - t0 < 20
    assert len(popen_log) == 1 and popen_log[0].poll() is not None  # the command ended
    assert os.listdir(tmp_path) == []  # CSV and the owned run directory removed
    assert not hasattr(est, "run_dir_")
    est.set_params(warmup=200, samples=100).fit(X, y)  # the estimator is usable again
    assert est.predict(X[:2]).shape == (2,)


def test_command_errors_become_exceptions(monkeypatch, tmp_path):
    monkeypatch.setattr(_estimators.tempfile, "tempdir", str(tmp_path))
    X, y = make_regression(60)
    with pytest.raises(ValueError, match=r"exit status 2\): .*--activation"):
        smile.Regressor(**dict(TINY, activation="swish?")).fit(X, y)
    with pytest.raises(ValueError, match="--hidden"):
        smile.Regressor(**dict(TINY, hidden=(0,))).fit(X, y)
    assert os.listdir(tmp_path) == []
    # a command that fails at run time (here: killed) gives RuntimeError
    monkeypatch.setenv("SMILE_CLI", str(tmp_path / "fake"))
    (tmp_path / "fake").write_text("#!/bin/sh\necho 'smile fit: disk on fire' >&2\nexit 1\n")
    os.chmod(tmp_path / "fake", 0o755)
    with pytest.raises(RuntimeError, match="exit status 1.*disk on fire"):
        smile.Regressor(**TINY).fit(X, y)
    (tmp_path / "fake").write_text("#!/bin/sh\nkill -9 $$\n")
    with pytest.raises(RuntimeError, match="signal 9"):
        smile.Regressor(**TINY).fit(X, y)


sklearn = pytest.importorskip("sklearn")


def test_pipeline_with_scaler():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_regression(100)
    X = X * [1.0, 100.0, 0.01] + [0.0, 5e3, -2.0]  # very different column scales
    pipe = make_pipeline(StandardScaler(), smile.Regressor(**SMALL)).fit(X, y)
    assert pipe.score(X, y) > 0.8
    assert pipe.predict(X[:5]).shape == (5,)
    mean, sd = pipe.predict(X[:5], return_std=True)
    assert np.all(sd > 0)
    r = np.random.default_rng(3)
    Xc = r.normal(size=(120, 2)) * [1.0, 50.0]
    yc = np.where(Xc[:, 0] + Xc[:, 1] / 50 > 0, "a", "b")
    clf = make_pipeline(StandardScaler(), smile.Classifier(**SMALL)).fit(Xc, yc)
    np.testing.assert_allclose(clf.predict_proba(Xc).sum(axis=1), 1.0)
    assert clf.score(Xc, yc) > 0.8


def test_grid_search():
    from sklearn.model_selection import GridSearchCV

    X, y = make_regression(80)
    gs = GridSearchCV(smile.Regressor(**TINY), {"prior_sd": [0.1, 1.0]}, cv=2)
    gs.fit(X, y)
    assert gs.best_params_["prior_sd"] in (0.1, 1.0)
    assert len(gs.cv_results_["mean_test_score"]) == 2
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    assert gs.predict(X[:3]).shape == (3,)
    r = np.random.default_rng(4)
    Xc = r.normal(size=(80, 2))
    yc = (Xc[:, 0] > 0).astype(int)
    gc = GridSearchCV(smile.Classifier(**TINY), {"hidden": [(8,), (16, 16)]}, cv=2).fit(Xc, yc)
    assert gc.best_estimator_.classes_.tolist() == [0, 1]
    assert gc.score(Xc, yc) > 0.6
