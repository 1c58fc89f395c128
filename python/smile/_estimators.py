"""scikit-learn-style estimators over a smile run directory.

Fitting runs the `smile fit` command (the fit configuration struct of
smile_fit.h is large and changes with the library; the command is its stable
interface) on a temporary CSV with the header x0..x{p-1},y; prediction goes
through the library's prediction API (smile_predictor_*) with ctypes."""
import inspect
import json
import os
import shutil
import signal
import subprocess
import tempfile
import weakref

import numpy as np

from . import _lib
from ._sample import _arviz

_CLASSES_FILE = "python_classes.json"


def _as_2d(X, what="X", n_features=None, est=None):
    if X is None:
        raise ValueError("Expected 2D array, got None: %s is required" % what)
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise ValueError("Sparse data was passed for %s, but dense data is required: sparse "
                         "input is not supported (pass X.toarray())" % what)
    if isinstance(X, np.ndarray) and X.dtype.kind in "OUSV" or not isinstance(X, np.ndarray):
        try:
            arr = np.asarray(X)
        except Exception as e:  # ragged lists etc.
            raise ValueError("%s must be a 2-D array of numbers: %s" % (what, e)) from None
    else:
        arr = X
    if arr.dtype.kind == "c":
        raise ValueError("Complex data not supported: %s must be real numbers" % what)
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError("%s must hold numbers only (%s)" % (what, e)) from None
    if arr.ndim != 2:
        raise ValueError("Expected 2D array, got %dD array instead: %s must be 2-D "
                         "[rows, features]. Reshape your data either using "
                         "array.reshape(-1, 1) if your data has a single feature or "
                         "array.reshape(1, -1) if it contains a single sample."
                         % (arr.ndim, what))
    if arr.shape[0] < 1:
        raise ValueError("Found array with 0 sample(s) (shape=%s) while a minimum of 1 is "
                         "required." % (arr.shape,))
    if arr.shape[1] < 1:
        raise ValueError("Found array with 0 feature(s) (shape=%s) while a minimum of 1 is "
                         "required." % (arr.shape,))
    if not np.all(np.isfinite(arr)):
        raise ValueError("Input %s contains NaN or infinity." % what)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError("X has %d features, but %s is expecting %d features as input."
                         % (arr.shape[1], type(est).__name__, n_features))
    return np.ascontiguousarray(arr)


def _as_1d(y, n, numeric):
    if y is None:
        raise ValueError("This estimator requires y to be passed, but the target y is None")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        import warnings
        try:
            from sklearn.exceptions import DataConversionWarning as warning
        except Exception:  # scikit-learn is optional
            warning = UserWarning
        warnings.warn("A column-vector y was passed when a 1d array was expected; it is "
                      "used as y.ravel()", warning, stacklevel=3)
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError("y must be 1-D (got shape %s)" % (arr.shape,))
    if arr.shape[0] != n:
        raise ValueError("Found input variables with inconsistent numbers of samples: "
                         "X has %d rows, y has %d" % (n, arr.shape[0]))
    if numeric:
        if arr.dtype.kind == "c":
            raise ValueError("Complex data not supported in y")
        try:
            arr = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError("y must hold numbers only (%s)" % e) from None
        if not np.all(np.isfinite(arr)):
            raise ValueError("Input y contains NaN or infinity.")
    else:
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError("Input y contains NaN or infinity.")
        if arr.dtype.kind == "O":
            if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in arr):
                raise ValueError("Input y contains NaN or None.")
    return arr


def _read_run_files(run_dir):
    files = {}
    for root, _dirs, names in os.walk(run_dir):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, run_dir)] = f.read()
    return files


def _write_run_files(files, run_dir):
    for rel, data in files.items():
        path = os.path.join(run_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def _load_samples(run_dir):
    sdir = os.path.join(run_dir, "samples")
    if not os.path.isdir(sdir):
        return None
    ks = sorted(int(n[len("member_"):-4]) for n in os.listdir(sdir)
                if n.startswith("member_") and n.endswith(".npy"))
    arrs = [np.load(os.path.join(sdir, "member_%d.npy" % k)) for k in ks]
    if not arrs:
        return None
    try:
        return np.stack(arrs)
    except ValueError:  # members with different sample counts
        return arrs




def _run_fit(cmd, verbose):
    """Runs the `smile fit` command; (exit status, stderr text). verbose: its
    progress and report go to this process's terminal. On an exception here
    (KeyboardInterrupt from Ctrl-C) the command gets SIGINT, which stops its
    chains at the next step boundary, and is killed if it has not ended
    within 10 s; then the exception goes on."""
    pipe = None if verbose else subprocess.PIPE
    proc = subprocess.Popen(cmd, stdout=pipe, stderr=pipe, universal_newlines=True)
    try:
        _out, err = proc.communicate()
    except BaseException:
        try:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
        except BaseException:
            proc.kill()
            proc.wait()
        raise
    return proc.returncode, err or ""


def _fit_rows(X):
    """X as a 2-D float array with at least the 2 rows a fit needs."""
    X = _as_2d(X)
    if X.shape[0] < 2:
        raise ValueError("fit needs at least 2 rows (got 1 sample, n_samples=1); smile "
                         "splits the rows into training, validation and test rows")
    return X

def _store_params(est, values):
    """Stores every constructor argument unchanged under its own name (as
    scikit-learn estimators do: no validation or conversion in __init__)."""
    for name, value in values.items():
        if name != "self" and not name.startswith("__"):
            setattr(est, name, value)

class _SmileBase:
    _estimator_type = None

    # -- scikit-learn parameter protocol (as BaseEstimator) ---------------
    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True):
        out = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for k, v in value.get_params().items():
                    out[key + "__" + k] = v
            out[key] = value
        return out

    def set_params(self, **params):
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError("Invalid parameter %r for estimator %s. Valid parameters "
                                 "are: %s." % (key, type(self).__name__, valid))
            setattr(self, key, value)
        return self

    def __repr__(self):
        sig = inspect.signature(type(self).__init__)
        parts = []
        for name in self._get_param_names():
            default = sig.parameters[name].default
            value = getattr(self, name, default)
            if value is not default and value != default:
                parts.append("%s=%r" % (name, value))
        return "%s(%s)" % (type(self).__name__, ", ".join(parts))

    # -- fitting ------------------------------------------------------------
    def _cli_args(self, n_rows=None):
        a = ["--members", str(int(self.members))]
        for opt, v in (("--warmup", self.warmup), ("--samples", self.samples)):
            if not (isinstance(v, str) and v == "auto"):  # "auto": the command's budget
                a += [opt, str(int(v))]
        a += ["--thin", str(int(self.thin)),
              "--batch", str(int(self.batch)), "--sampler", str(self.sampler),
              "--step-size", repr(float(self.step_size)),
              "--hidden", ",".join(str(int(w)) for w in
                                   ((self.hidden,) if np.isscalar(self.hidden) else self.hidden)),
              "--activation", str(self.activation), "--prior-sd", repr(float(self.prior_sd)),
              "--de-epochs", str(int(self.de_epochs)),
              "--de-patience", str(int(self.de_patience)),
              "--de-lr", repr(float(self.de_lr)), "--de-wd", repr(float(self.de_wd)),
              "--de-batch", str(int(self.de_batch)),
              "--sample-rows", str(self.sample_rows),
              "--seed", str(1 if self.random_state is None else int(self.random_state)),
              "--threads", str(int(self.n_jobs))]
        if self.split is not None:
            a += ["--split", ",".join(repr(float(f)) for f in self.split)]
        elif n_rows is not None and n_rows < 40:
            a += ["--split", "0.5,0.25"]  # small tables: >= 1 validation and test row
        if not self.verbose:
            a.append("--quiet")
        return a

    def _release(self):
        fin = self.__dict__.pop("_finalizer", None)
        pred = self.__dict__.pop("_predictor", None)
        if pred is not None:
            pred.close()
        if fin is not None:
            fin()

    def _own_dir(self):
        tmp = tempfile.mkdtemp(prefix="smile-run-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, tmp, True)
        return tmp

    def _fit_table(self, X, ycol, extra):
        self._release()
        for attr in ("run_dir_", "metrics_", "samples_", "n_features_in_", "classes_"):
            self.__dict__.pop(attr, None)
        if self.run_dir is not None:
            run_dir = os.fspath(self.run_dir)
            if os.path.exists(os.path.join(run_dir, "config.json")):
                shutil.rmtree(run_dir)  # an earlier fit's run: fit again from scratch
            os.makedirs(run_dir, exist_ok=True)
        else:
            run_dir = self._own_dir()
        work = tempfile.mkdtemp(prefix="smile-data-")
        try:
            csv = os.path.join(work, "train.csv")
            head = ",".join(["x%d" % j for j in range(X.shape[1])] + ["y"])
            with open(csv, "w") as f:  # repr: the shortest text that reads back exactly
                f.write("\n".join([head] + [",".join(map(repr, row)) + "," + yv
                                            for row, yv in zip(X.tolist(), ycol)]) + "\n")
            cmd = [_lib.cli_path(), "fit", "--data", csv, "--target", "y", "--out", run_dir]
            cmd += extra + self._cli_args(X.shape[0])
            returncode, err = _run_fit(cmd, bool(self.verbose))
        except BaseException:  # Ctrl-C included: no half-written run stays behind
            if self.run_dir is None:
                self._release()
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if returncode != 0:
            lines = [l for l in err.splitlines() if not l.startswith("smile fit: note:")]
            if returncode < 0:
                lines.insert(0, "the command was ended by signal %d" % -returncode)
            msg = "smile fit failed (exit status %d): %s" % (returncode, "\n".join(lines).strip())
            if self.run_dir is None:
                self._release()
            if returncode == 2:
                raise ValueError(msg)
            raise RuntimeError(msg)
        self._attach(run_dir)
        return self

    def _attach(self, run_dir):
        self.run_dir_ = run_dir
        if self.__dict__.get("_predictor") is None:
            self._predictor = _lib.Predictor(run_dir, threads=int(self.n_jobs))
        info = self._predictor.info
        self.n_features_in_ = int(info.n_features)
        try:
            with open(os.path.join(run_dir, "metrics.json")) as f:
                self.metrics_ = json.load(f)
        except (OSError, ValueError):
            self.metrics_ = {}
        self.samples_ = _load_samples(run_dir)

    def _pred(self):
        if "run_dir_" not in self.__dict__:
            raise _not_fitted(self)
        p = self.__dict__.get("_predictor")
        if p is None:
            p = self._predictor = _lib.Predictor(self.run_dir_, threads=int(self.n_jobs))
        return p

    def _encode(self, X):
        p = self._pred()
        X = _as_2d(X, n_features=self.n_features_in_, est=self)
        return p, p.encode(X)

    def to_arviz(self):
        """The posterior samples as an arviz.InferenceData (ArviZ is optional:
        ImportError with a hint without it): posterior["theta"] with the
        members as chains, dims (chain, draw, theta_dim_0); metrics_ in attrs."""
        if "run_dir_" not in self.__dict__:
            raise _not_fitted(self)
        az = _arviz()
        s = self.samples_
        if s is None:
            raise ValueError("%s: the run directory holds no samples" % self.run_dir_)
        if isinstance(s, list):  # members with different sample counts: the common length
            n = min(a.shape[0] for a in s)
            s = np.stack([a[:n] for a in s])
        return az.from_dict(posterior={"theta": np.asarray(s, dtype=np.float64)},
                            attrs={"run_dir": self.run_dir_,
                                   "metrics": json.dumps(self.metrics_)})

    # -- pickling -------------------------------------------------------------
    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_predictor", None)
        state.pop("_finalizer", None)
        if "run_dir_" in state:
            state["_run_files"] = _read_run_files(state["run_dir_"])
            state["_owned"] = "_finalizer" in self.__dict__
        return state

    def __setstate__(self, state):
        files = state.pop("_run_files", None)
        owned = state.pop("_owned", False)
        self.__dict__.update(state)
        if files is not None:
            if owned or not os.path.isdir(self.run_dir_):
                tmp = self._own_dir()
                _write_run_files(files, tmp)
                self.run_dir_ = tmp

    def __del__(self):
        p = self.__dict__.get("_predictor")
        if p is not None:
            p.close()


def _not_fitted(est):
    try:
        from sklearn.exceptions import NotFittedError
    except Exception:  # scikit-learn is optional
        NotFittedError = None
    msg = ("This %s instance is not fitted yet. Call 'fit' with appropriate arguments "
           "before using this estimator." % type(est).__name__)
    if NotFittedError is not None:
        return NotFittedError(msg)
    return AttributeError(msg)


class Regressor(_SmileBase):
    """Bayesian neural-network regression: a deep ensemble, then one
    stochastic-gradient sampler chain per member (`smile fit` on a table)."""
    _estimator_type = "regressor"

    def __init__(self, members=25, warmup="auto", samples="auto", thin=10, batch=256,
                 sampler="mclmc", step_size=1e-3, hidden=(16, 16, 16),
                 activation="relu", prior_sd=1.0, likelihood="hetero", sigma_link="softplus",
                 student_df=5.0, split=None, de_epochs=3000, de_patience=100, de_lr=1e-3,
                 de_wd=0.0, de_batch=0,
                 sample_rows="train+valid", random_state=1, n_jobs=0, verbose=False,
                 run_dir=None):
        _store_params(self, locals())

    def _cli_args(self, n_rows=None):
        a = super()._cli_args(n_rows) + ["--likelihood", str(self.likelihood)]
        if self.likelihood == "hetero":  # the link of the heteroscedastic head only
            a += ["--sigma-link", str(self.sigma_link),
                  "--student-df", repr(float(self.student_df))]
        return a

    def fit(self, X, y):
        X = _fit_rows(X)
        y = _as_1d(y, X.shape[0], numeric=True)
        return self._fit_table(X, [repr(float(v)) for v in y], ["--task", "regress"])

    def predict(self, X, return_std=False):
        p, x = self._encode(X)
        out = p.regress(x)
        return (out["mean"], out["sd"]) if return_std else out["mean"]

    def predict_interval(self, X, level=0.9):
        """Central predictive interval(s): (lower, upper), quantiles of the
        pooled predictive mixture. level: a number → 1-D arrays; a sequence →
        arrays [rows, levels]."""
        scalar = np.isscalar(level)
        levels = np.atleast_1d(np.asarray(level, dtype=np.float64))
        if not np.all((levels > 0) & (levels < 1)):
            raise ValueError("level must be in (0, 1), got %r" % (level,))
        p, x = self._encode(X)
        out = p.regress(x, levels=levels)
        if scalar:
            return out["lower"][:, 0], out["upper"][:, 0]
        return out["lower"], out["upper"]

    def predict_dist(self, X):
        """dict of mean, sd, sd_epistemic, sd_aleatoric."""
        p, x = self._encode(X)
        return p.regress(x)

    def log_density(self, X, y):
        """Per-row log predictive density log p(y_i | x_i) in original units."""
        p, x = self._encode(X)
        y = _as_1d(y, x.shape[0], numeric=True)
        return p.regress(x, y=y)["log_density"]

    def score(self, X, y, sample_weight=None):
        """R² of predict(X) (as scikit-learn's RegressorMixin.score)."""
        X = _as_2d(X, n_features=getattr(self, "n_features_in_", None), est=self)
        y = _as_1d(y, X.shape[0], numeric=True)
        pred = self.predict(X)
        w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, float)
        ss_res = np.sum(w * (y - pred) ** 2)
        ss_tot = np.sum(w * (y - np.average(y, weights=w)) ** 2)
        if ss_tot == 0:
            return 1.0 if ss_res == 0 else 0.0
        return float(1.0 - ss_res / ss_tot)

    def __sklearn_tags__(self):
        from sklearn.utils import RegressorTags, Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True),
                    regressor_tags=RegressorTags(poor_score=True))


class Classifier(_SmileBase):
    """Bayesian neural-network classification (softmax likelihood) over the
    labels of y (any hashable values; classes_ holds them sorted)."""
    _estimator_type = "classifier"

    def __init__(self, members=10, warmup=50000, samples=10000, thin=10, batch=256,
                 sampler="psmile-auto", step_size=1e-3, hidden=(16, 16, 16),
                 activation="relu", prior_sd=1.0, split=None,
                 de_epochs=200, de_patience=10, de_lr=0.01, de_wd=0.005, de_batch=64,
                 sample_rows="train", random_state=1, n_jobs=0, verbose=False,
                 run_dir=None):
        _store_params(self, locals())

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(poor_score=True))

    def fit(self, X, y):
        X = _fit_rows(X)
        y = _as_1d(y, X.shape[0], numeric=False)
        if y.dtype.kind == "f" and np.any(y != np.round(y)):
            raise ValueError("Unknown label type: continuous. Classifier needs class labels "
                             "(integers or strings), not a continuous target; use Regressor")
        classes, idx = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError("Classifier can't train when only one class is present "
                             "(y has 1 class: %r)" % (classes[0],))
        self._fit_table(X, ["c%d" % i for i in idx], ["--task", "classify"])
        self.classes_ = classes
        try:
            with open(os.path.join(self.run_dir_, _CLASSES_FILE), "w") as f:
                json.dump(classes.tolist(), f)
        except (TypeError, ValueError, OSError):
            pass
        self._set_order()
        return self

    def _attach(self, run_dir):
        super()._attach(run_dir)
        self._set_order()

    def _set_order(self):
        """_order[i] = the run's class index of classes_[i]."""
        names = self._pred().class_names
        if "classes_" not in self.__dict__:
            self.classes_ = np.asarray(names)
        if all(n is not None and n.startswith("c") and n[1:].isdigit() for n in names) \
                and len(names) == len(self.classes_) \
                and sorted(int(n[1:]) for n in names) == list(range(len(names))) \
                and not np.array_equal(self.classes_, np.asarray(names)):
            order = np.empty(len(names), dtype=np.int64)
            for k, n in enumerate(names):
                order[int(n[1:])] = k
            self._order = order
        else:
            self._order = np.arange(len(names))

    def predict_proba(self, X):
        p, x = self._encode(X)
        return p.classify(x)["probs"][:, self._order]

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _labels(self, y, n):
        y = _as_1d(y, n, numeric=False)
        pos = {c: i for i, c in enumerate(self.classes_.tolist())}
        try:
            idx = np.array([pos[v] for v in y.tolist()], dtype=np.int64)
        except KeyError as e:
            raise ValueError("y holds a label the model was not fitted on: %r" % e.args[0]) \
                from None
        return idx

    def log_density(self, X, y):
        """Per-row log predictive probability of the observed label."""
        p, x = self._encode(X)
        idx = self._labels(y, x.shape[0])
        return p.classify(x, labels=self._order[idx].astype(np.int32))["log_prob"]

    def score(self, X, y, sample_weight=None):
        """Accuracy of predict(X) (as scikit-learn's ClassifierMixin.score)."""
        X = _as_2d(X, n_features=getattr(self, "n_features_in_", None), est=self)
        y = _as_1d(y, X.shape[0], numeric=False)
        hit = (self.predict(X) == y).astype(float)
        return float(np.average(hit, weights=sample_weight))


def load(run_dir, n_jobs=0):
    """Opens a run directory written by `smile fit` (or by an estimator's
    fit) as a fitted Regressor or Classifier; the directory is used in place,
    not copied or deleted. Its constructor settings are the defaults."""
    run_dir = os.fspath(run_dir)
    pred = _lib.Predictor(run_dir, threads=n_jobs)
    if pred.info.text or pred.info.task in (2, 3, 4, 5):
        kind = "text" if pred.info.text else "image"
        pred.close()
        raise ValueError("%s: a %s run; smile.load opens runs on tables (use `smile predict` "
                         "for image and text runs)" % (run_dir, kind))
    est = Classifier(n_jobs=n_jobs) if pred.info.classify else Regressor(n_jobs=n_jobs)
    est._predictor = pred
    if pred.info.classify:
        path = os.path.join(run_dir, _CLASSES_FILE)
        if os.path.exists(path):
            with open(path) as f:
                est.classes_ = np.asarray(json.load(f))
    est._attach(run_dir)
    return est
