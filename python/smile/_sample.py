"""smile.sample: the library's samplers on a target written in Python.

The target is a Python callable on NumPy arrays, called by the C library
(include/smile_sample.h, smile_sample) through a ctypes callback. The
callback runs with the interpreter lock held, so calls run one at a time
(with n_jobs > 1 the chains' threads take turns); an exception raised in it
(KeyboardInterrupt included) stops all chains at the next step boundary and
is raised again from sample()."""
import ctypes

import numpy as np

from . import _lib

_c_float_p = ctypes.POINTER(ctypes.c_float)
_c_double_p = ctypes.POINTER(ctypes.c_double)

INFO_NONFINITE = 1 << 0
INFO_RESET = 1 << 1
INFO_SAMPLE_EMITTED = 1 << 4


class _Batch(ctypes.Structure):
    _fields_ = [("idx", ctypes.POINTER(ctypes.c_uint32)), ("size", ctypes.c_size_t),
                ("scale", ctypes.c_double), ("serial", ctypes.c_uint64),
                ("chain", ctypes.c_int)]


_LOGDENSITY_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, _c_float_p,
                                  ctypes.POINTER(_Batch), _c_double_p, _c_float_p)


class _Target(ctypes.Structure):
    _fields_ = [("dim", ctypes.c_size_t), ("logdensity_grad", _LOGDENSITY_FN),
                ("user", ctypes.c_void_p), ("logp_only_ok", ctypes.c_int)]


class _Params(ctypes.Structure):
    _fields_ = [("sampler", ctypes.c_char_p), ("params", ctypes.c_void_p),
                ("step_size", ctypes.c_double), ("n_chains", ctypes.c_int),
                ("warmup", ctypes.c_int64), ("samples", ctypes.c_int64),
                ("thin", ctypes.c_int), ("n_data", ctypes.c_size_t),
                ("batch_size", ctypes.c_size_t), ("seed", ctypes.c_uint64),
                ("threads", ctypes.c_int), ("stop", ctypes.POINTER(ctypes.c_int))]


class _Output(ctypes.Structure):
    _fields_ = [("draws", _c_float_p), ("max_draws", ctypes.c_size_t),
                ("n_draws", ctypes.POINTER(ctypes.c_int64)), ("eps", _c_double_p),
                ("energy_error", _c_double_p), ("logp", _c_double_p),
                ("flags", ctypes.POINTER(ctypes.c_uint32))]


def _declare(lib):
    if getattr(lib, "_smile_sample_declared", False):
        return
    lib.smile_sample.argtypes = [ctypes.POINTER(_Target), _c_float_p, ctypes.POINTER(_Params),
                                 ctypes.POINTER(_Output), ctypes.c_char_p, ctypes.c_size_t]
    lib.smile_sample.restype = ctypes.c_int
    lib.smile_sample_max_draws.argtypes = [ctypes.c_int64, ctypes.c_int]
    lib.smile_sample_max_draws.restype = ctypes.c_size_t
    lib._smile_sample_declared = True


class SampleResult:
    """What smile.sample returns.

    samples       float32 [chains, draws, d]: the emitted positions
    step_size     [chains, steps]: the step size of every step (warm-up first)
    energy_error  [chains, steps]: the step's energy error ΔE
    logp          [chains, steps]: log density (estimate) after the step
    reset         bool [chains, steps]: the step was undone (energy or
                  typical-set guard, or a non-finite value)
    nonfinite     bool [chains, steps]: a non-finite value was met
    flags         uint32 [chains, steps]: all SMILE_INFO_* flags
    warmup        number of warm-up steps at the start of each trace
    sampler       the sampler's name
    """

    def __init__(self, samples, trace, warmup, sampler):
        self.samples = samples
        self.step_size = trace["eps"]
        self.energy_error = trace["energy_error"]
        self.logp = trace["logp"]
        self.flags = trace["flags"]
        self.reset = (self.flags & INFO_RESET) != 0
        self.nonfinite = (self.flags & INFO_NONFINITE) != 0
        self.warmup = warmup
        self.sampler = sampler

    def __repr__(self):
        c, n, d = self.samples.shape
        return ("SampleResult(sampler=%r, chains=%d, draws=%d, d=%d, resets=%d)"
                % (self.sampler, c, n, d, int(self.reset.sum())))

    def to_arviz(self, var_name="x"):
        """An arviz.InferenceData: posterior[var_name] (chain, draw, dim) and
        sample_stats (step_size, energy_error, lp, reset) at the emitted steps."""
        az = _arviz()
        emitted = (self.flags & INFO_SAMPLE_EMITTED) != 0
        n = self.samples.shape[1]
        stats = {}
        for name, arr in (("step_size", self.step_size), ("energy_error", self.energy_error),
                          ("lp", self.logp), ("reset", self.reset)):
            stats[name] = np.stack([arr[k][emitted[k]][:n] for k in range(arr.shape[0])])
        return az.from_dict(posterior={var_name: np.asarray(self.samples, dtype=np.float64)},
                            sample_stats=stats)


def _arviz():
    try:
        import arviz
    except ImportError:
        raise ImportError("to_arviz() needs ArviZ, an optional dependency of smile: "
                          "pip install arviz") from None
    return arviz


def _vector(value, d, what):
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError("%s must be an array of %d numbers (%s)" % (what, d, e)) from None
    if v.shape != (d,):
        raise ValueError("%s has shape %s, expected (%d,)" % (what, v.shape, d))
    return v


def _make_callback(f, log_prior, d, n_data, state):
    """The C callback over f; state holds the first exception and the stop flag."""
    all_rows = None if n_data is None else np.arange(n_data, dtype=np.int64)

    def evaluate(x, b):
        if n_data is None:
            lp, g = f(x)
        else:
            idx = all_rows if not b.idx else \
                np.ctypeslib.as_array(b.idx, shape=(b.size,)).astype(np.int64)
            lp, g = f(x, idx)
        lp = float(lp)
        g = _vector(g, d, "the gradient returned by log_density_and_grad")
        if n_data is not None:
            lp, g = b.scale * lp, b.scale * g
            if log_prior is not None:
                lp0, g0 = log_prior(x)
                lp, g = lp + float(lp0), g + _vector(g0, d, "the gradient of log_prior")
        return lp, g

    def callback(_user, x, batch, logp, grad):
        if state["error"] is not None:
            return 1
        try:
            xv = np.ctypeslib.as_array(x, shape=(d,)).astype(np.float64)  # a copy
            lp, g = evaluate(xv, batch.contents)
            logp[0] = lp
            np.ctypeslib.as_array(grad, shape=(d,))[:] = g
            return 0
        except BaseException as e:  # KeyboardInterrupt too: stop, raise it in sample()
            state["error"] = e
            state["stop"].value = 1
            return 1

    return _LOGDENSITY_FN(callback)


def sample(log_density_and_grad, x0, sampler="psmile-auto", n_data=None, batch_size=None,
           log_prior=None, chains=None, warmup=1000, samples=1000, thin=1, step_size=None,
           random_state=1, n_jobs=1):
    """Samples a target given as a Python function with the library's samplers.

    log_density_and_grad: without n_data, f(x) -> (log p(x), ∇ log p(x)) for
      x a float64 array [d]. With n_data = N (a data set of N rows),
      f(x, idx) -> (sum over the rows idx of log p(y_i | x), its gradient),
      idx an int64 array of row numbers (all rows for full-batch samplers); the
      samplers use log_prior(x) + (N / len(idx)) f(x, idx) (log_prior: a
      function x -> (log p(x), gradient), or None for a flat prior). So a
      PyTorch or JAX model can be plugged in (return NumPy arrays or numbers).
    x0: [d] (every chain starts there) or [chains, d].
    sampler: "psmile-auto" (default), "smile-auto", "mclmc", "psmile",
      "smile", "psmile-naive", "smile-naive", "sgld", "csgld", "sghmc",
      "adasghmc". The isokinetic samplers need d >= 2.
    batch_size: rows per mini-batch (None or >= N: all rows every step);
      MCLMC always uses all rows.
    warmup, samples, thin: steps per chain (warm-up tunes the step size; of the
      sampling steps every thin-th position is kept).
    step_size: initial step size (None: the sampler's default).
    random_state: the seed; chain k uses the random streams (seed, k), so the
      result does not depend on n_jobs.
    n_jobs: threads for the chains. The callback holds the interpreter lock, so
      calls run one at a time; more threads only help when the callback
      releases it (NumPy on large arrays, PyTorch, JAX).

    Returns a SampleResult (samples [chains, draws, d] and the per-step trace).
    An exception raised by the callback (or Ctrl-C) stops the run and is raised
    here; bad settings raise ValueError with the library's message."""
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.ndim == 1:
        x0 = np.tile(x0, (1 if chains is None else int(chains), 1))
    if x0.ndim != 2 or x0.shape[1] < 1:
        raise ValueError("x0 must be [d] or [chains, d], got shape %s" % (x0.shape,))
    if chains is not None and x0.shape[0] != int(chains):
        raise ValueError("x0 has %d rows but chains=%d" % (x0.shape[0], chains))
    if not np.all(np.isfinite(x0)):
        raise ValueError("x0 contains NaN or infinity")
    if not callable(log_density_and_grad) or (log_prior is not None and not callable(log_prior)):
        raise ValueError("log_density_and_grad (and log_prior) must be callable")
    if n_data is not None and int(n_data) < 1:
        raise ValueError("n_data must be >= 1 (or None for a target without data)")
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError("batch_size must be >= 1")
    K, d = x0.shape
    warmup, samples, thin = int(warmup), int(samples), int(thin)
    lib = _lib.library()
    _declare(lib)
    max_draws = lib.smile_sample_max_draws(samples, thin) if thin >= 1 else 0
    n_steps = max(warmup + samples, 0)
    draws = np.zeros((K, max_draws, d), dtype=np.float32)
    n_draws = np.zeros(K, dtype=np.int64)
    trace = {"eps": np.full((K, n_steps), np.nan), "energy_error": np.full((K, n_steps), np.nan),
             "logp": np.full((K, n_steps), np.nan), "flags": np.zeros((K, n_steps), np.uint32)}
    state = {"error": None, "stop": ctypes.c_int(0)}
    cb = _make_callback(log_density_and_grad, log_prior, d,
                        None if n_data is None else int(n_data), state)
    target = _Target(d, cb, None, 0)
    p = _Params(sampler=str(sampler).encode(), params=None,
                step_size=0.0 if step_size is None else float(step_size), n_chains=K,
                warmup=warmup, samples=samples, thin=thin,
                n_data=0 if n_data is None else int(n_data),
                batch_size=0 if batch_size is None else int(batch_size),
                seed=1 if random_state is None else int(random_state), threads=int(n_jobs),
                stop=ctypes.pointer(state["stop"]))
    out = _Output(draws.ctypes.data_as(_c_float_p), max_draws,
                  n_draws.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
                  trace["eps"].ctypes.data_as(_c_double_p),
                  trace["energy_error"].ctypes.data_as(_c_double_p),
                  trace["logp"].ctypes.data_as(_c_double_p),
                  trace["flags"].ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)))
    x0f = np.ascontiguousarray(x0, dtype=np.float32)
    msg = ctypes.create_string_buffer(1024)
    st = lib.smile_sample(ctypes.byref(target), x0f.ctypes.data_as(_c_float_p),
                          ctypes.byref(p), ctypes.byref(out), msg, len(msg))
    if state["error"] is not None:
        raise state["error"]
    if st != _lib.SMILE_OK:
        _lib._raise(st, msg, "smile.sample")
    n = int(n_draws.min()) if K else 0
    return SampleResult(draws[:, :n], trace, warmup, str(sampler))
