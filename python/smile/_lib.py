"""ctypes binding of the prediction API of libsmile (smile_fit.h, section 6).

The shared library is looked for in the package folder (smile/_bin, where
`pip install` puts it), then at $SMILE_LIB (a file, or a folder holding
libsmile.so.0), then libsmile.so.0 on the loader's path."""
import ctypes
import os
import shutil

_HERE = os.path.dirname(os.path.abspath(__file__))
_BIN = os.path.join(_HERE, "_bin")

SMILE_OK = 0
SMILE_EINVAL = -1
SMILE_ENOMEM = -2
SMILE_EIO = -3
SMILE_EFORMAT = -4
SMILE_EUNSUPPORTED = -5
SMILE_ENUMERIC = -6
SMILE_EINTERRUPTED = -7
_INPUT_ERRORS = (SMILE_EINVAL, SMILE_EIO, SMILE_EFORMAT)

_c_double_p = ctypes.POINTER(ctypes.c_double)
_c_float_p = ctypes.POINTER(ctypes.c_float)
_c_int32_p = ctypes.POINTER(ctypes.c_int32)


class PredictorInfo(ctypes.Structure):
    _fields_ = [
        ("classify", ctypes.c_int),
        ("n_inputs", ctypes.c_size_t),
        ("n_features", ctypes.c_size_t),
        ("n_classes", ctypes.c_size_t),
        ("n_samples", ctypes.c_size_t),
        ("n_members_pooled", ctypes.c_int),
        ("y_mean", ctypes.c_double),
        ("y_sd", ctypes.c_double),
        ("task", ctypes.c_int),
        ("height", ctypes.c_size_t),
        ("width", ctypes.c_size_t),
        ("channels", ctypes.c_size_t),
        ("text", ctypes.c_int),
        ("vocab_size", ctypes.c_size_t),
        ("context", ctypes.c_size_t),
    ]


def _fields(spec):
    """ctypes fields from "name:type ..." (d = double *, i = int32 *, n = size_t, b = int)."""
    kinds = {"d": _c_double_p, "i": _c_int32_p, "n": ctypes.c_size_t, "b": ctypes.c_int}
    return [(f.split(":")[0], kinds[f.split(":")[1]]) for f in spec.split()]


class RegressionRequest(ctypes.Structure):
    _fields_ = _fields("mean:d sd:d sd_epistemic:d sd_aleatoric:d n_levels:n levels:d "
                       "lower:d upper:d y:d log_density:d standardised:b")


class ClassificationRequest(ctypes.Structure):
    _fields_ = _fields("probs:d predicted:i entropy:d mutual_info:d labels:i log_prob:d")


def _observed(q, out, field, result, values, dtype, ctype, n):
    """Points request q at the observed values (kept alive by the caller) and at a
    new output array out[result] of their log densities."""
    import numpy as np
    values = np.ascontiguousarray(values, dtype=dtype)
    out[result] = np.empty(n)
    setattr(q, field, _ptr(values, ctype))
    setattr(q, result, _ptr(out[result], ctypes.c_double))
    return values


def _candidates():
    yield os.path.join(_BIN, "libsmile.so.0.1.0")
    env = os.environ.get("SMILE_LIB")
    if env:
        if os.path.isdir(env):
            for name in ("libsmile.so.0", "libsmile.so.0.1.0", "libsmile.so"):
                yield os.path.join(env, name)
        else:
            yield env
    yield "libsmile.so.0"


_lib = None
_lib_path = None


def library():
    """The loaded libsmile (ctypes.CDLL), loaded on first use."""
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    errors = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append("%s: %s" % (path, e))
            continue
        _declare(lib)
        _lib, _lib_path = lib, path
        return lib
    raise RuntimeError("smile: libsmile.so.0 not found (looked in %s, $SMILE_LIB, the "
                       "loader's path)%s" % (_BIN, "; " + "; ".join(errors) if errors else ""))


def library_path():
    library()
    return _lib_path


def cli_path():
    """The `smile` command: $SMILE_CLI, the package's copy, the one next to the
    library ($SMILE_LIB), then PATH."""
    cands = []
    if os.environ.get("SMILE_CLI"):
        cands.append(os.environ["SMILE_CLI"])
    cands.append(os.path.join(_BIN, "smile"))
    env = os.environ.get("SMILE_LIB")
    if env:
        cands.append(os.path.join(env if os.path.isdir(env) else os.path.dirname(env), "smile"))
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    found = shutil.which("smile")
    if found:
        return found
    raise RuntimeError("smile: the `smile` command was not found (set SMILE_CLI, or put it "
                       "on PATH)")


def _declare(lib):
    vp = ctypes.c_void_p
    lib.smile_predictor_open.argtypes = [ctypes.POINTER(vp), ctypes.c_char_p, ctypes.c_int,
                                         ctypes.c_char_p, ctypes.c_size_t]
    lib.smile_predictor_open.restype = ctypes.c_int
    lib.smile_predictor_free.argtypes = [vp]
    lib.smile_predictor_free.restype = None
    lib.smile_predictor_get_info.argtypes = [vp]
    lib.smile_predictor_get_info.restype = PredictorInfo
    lib.smile_predictor_class_name.argtypes = [vp, ctypes.c_size_t]
    lib.smile_predictor_class_name.restype = ctypes.c_char_p
    lib.smile_predictor_target_name.argtypes = [vp]
    lib.smile_predictor_target_name.restype = ctypes.c_char_p
    lib.smile_predictor_encode.argtypes = [vp, _c_double_p, ctypes.c_size_t, _c_float_p,
                                           ctypes.c_char_p, ctypes.c_size_t]
    lib.smile_predictor_encode.restype = ctypes.c_int
    lib.smile_predictor_regress.argtypes = [vp, _c_float_p, ctypes.c_size_t,
                                            ctypes.POINTER(RegressionRequest),
                                            ctypes.c_char_p, ctypes.c_size_t]
    lib.smile_predictor_regress.restype = ctypes.c_int
    lib.smile_predictor_classify.argtypes = [vp, _c_float_p, ctypes.c_size_t,
                                             ctypes.POINTER(ClassificationRequest),
                                             ctypes.c_char_p, ctypes.c_size_t]
    lib.smile_predictor_classify.restype = ctypes.c_int


def _raise(status, msg, what):
    text = msg.value.decode("utf-8", "replace") if msg is not None else ""
    text = "%s: %s" % (what, text or "status %d" % status)
    if status in _INPUT_ERRORS:
        raise ValueError(text)
    raise RuntimeError(text)


def _ptr(a, ctype):
    return None if a is None else a.ctypes.data_as(ctypes.POINTER(ctype))


class Predictor:
    """An open run directory (smile_predictor)."""

    def __init__(self, run_dir, threads=0):
        lib = library()
        self._lib = lib
        self._p = ctypes.c_void_p()
        msg = ctypes.create_string_buffer(1024)
        st = lib.smile_predictor_open(ctypes.byref(self._p), os.fsencode(run_dir),
                                      int(threads), msg, len(msg))
        if st != SMILE_OK:
            self._p = ctypes.c_void_p()
            _raise(st, msg, "smile_predictor_open")
        self.info = lib.smile_predictor_get_info(self._p)
        self.class_names = []
        if self.info.classify:
            for k in range(self.info.n_classes):
                name = lib.smile_predictor_class_name(self._p, k)
                self.class_names.append(None if name is None else name.decode("utf-8"))
        tn = lib.smile_predictor_target_name(self._p)
        self.target_name = tn.decode("utf-8") if tn else "y"

    def close(self):
        if getattr(self, "_p", None) and self._p.value:
            self._lib.smile_predictor_free(self._p)
            self._p = ctypes.c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def encode(self, raw):
        import numpy as np
        raw = np.ascontiguousarray(raw, dtype=np.float64)
        n = raw.shape[0]
        x = np.empty((n, self.info.n_inputs), dtype=np.float32)
        msg = ctypes.create_string_buffer(1024)
        st = self._lib.smile_predictor_encode(self._p, _ptr(raw, ctypes.c_double), n,
                                              _ptr(x, ctypes.c_float), msg, len(msg))
        if st != SMILE_OK:
            _raise(st, msg, "smile_predictor_encode")
        return x

    def regress(self, x, levels=(), y=None, standardised=False):
        import numpy as np
        n = x.shape[0]
        levels = np.ascontiguousarray(levels, dtype=np.float64).reshape(-1)
        out = {k: np.empty(n) for k in ("mean", "sd", "sd_epistemic", "sd_aleatoric")}
        q = RegressionRequest()
        for k, v in out.items():
            setattr(q, k, _ptr(v, ctypes.c_double))
        q.n_levels = levels.size
        if levels.size:
            out["lower"] = np.empty((n, levels.size))
            out["upper"] = np.empty((n, levels.size))
            q.levels = _ptr(levels, ctypes.c_double)
            q.lower = _ptr(out["lower"], ctypes.c_double)
            q.upper = _ptr(out["upper"], ctypes.c_double)
        if y is not None:
            y = _observed(q, out, "y", "log_density", y, np.float64, ctypes.c_double, n)
        q.standardised = 1 if standardised else 0
        return self._request("smile_predictor_regress", x, q, out)

    def _request(self, fn, x, q, out):
        """Calls the library's prediction function fn on rows x with request q."""
        msg = ctypes.create_string_buffer(1024)
        st = getattr(self._lib, fn)(self._p, _ptr(x, ctypes.c_float), x.shape[0],
                                    ctypes.byref(q), msg, len(msg))
        if st != SMILE_OK:
            _raise(st, msg, fn)
        return out

    def classify(self, x, labels=None):
        import numpy as np
        n = x.shape[0]
        out = {"probs": np.empty((n, self.info.n_classes)),
               "predicted": np.empty(n, dtype=np.int32),
               "entropy": np.empty(n), "mutual_info": np.empty(n)}
        q = ClassificationRequest()
        q.probs = _ptr(out["probs"], ctypes.c_double)
        q.predicted = _ptr(out["predicted"], ctypes.c_int32)
        q.entropy = _ptr(out["entropy"], ctypes.c_double)
        q.mutual_info = _ptr(out["mutual_info"], ctypes.c_double)
        if labels is not None:
            labels = _observed(q, out, "labels", "log_prob", labels, np.int32, ctypes.c_int32, n)
        return self._request("smile_predictor_classify", x, q, out)
