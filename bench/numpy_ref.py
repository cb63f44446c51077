"""numpy reference for `npm run bench`: the assignment's layers, fully connected net,
update rules, Solver and numerical gradients written in plain numpy as a student would
(cs231n layers.py, fc_net.py, optim.py, solver.py, gradient_check.py), plus the timing
loops. The one home of the assignment's numpy code: scripts/fixtures/*.py import it by
path to generate the committed JSON fixtures. Development/benchmark only; bnlab itself
never needs Python.

Usage: python3 bench/numpy_ref.py '<json config>'   (bench/run.ts passes the config)
Prints one JSON object per line, the same fields bench/run.ts prints for bnlab.
Run with OPENBLAS_NUM_THREADS=1 (bench/run.ts sets it) for single-thread figures.
"""
import ctypes
import glob
import json
import multiprocessing
import os
import sys
import time

import numpy as np


# ---------------------------------------------------------------- layers.py
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        mu = x.mean(axis=0)
        xmu = x - mu
        var = np.mean(xmu ** 2, axis=0)
        sqrtvar = np.sqrt(var + eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        out = gamma * xhat + beta
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(xhat * dout, axis=0)
    dx = (gamma * ivar / N) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def batchnorm_backward_alt_dxhat(dout, cache):
    """The same simplified backward written through dxhat = dout * gamma (rounds differently
    from batchnorm_backward_alt; test/fixtures/cells.json was generated with this form)."""
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dx = ivar / N * (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    xmu = x - mu
    var = np.mean(xmu ** 2, axis=1, keepdims=True)
    ivar = 1.0 / np.sqrt(var + eps)
    xhat = xmu * ivar
    return gamma * xhat + beta, (xhat, gamma, ivar)


def layernorm_backward(dout, cache):
    xhat, gamma, ivar = cache
    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx = (ivar / D) * (D * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True))
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """Inverted dropout; dropout_param["p"] is the keep probability."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted), axis=1, keepdims=True)
    log_probs = shifted - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


# ---------------------------------------------------------------- fc_net.py
class FullyConnectedNet:
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax.

    dropout_keep_ratio is the keep probability (1: no dropout). bn_backward is the batch
    norm backward used by loss(); a subclass may swap in another form.
    """

    bn_backward = staticmethod(batchnorm_backward_alt)

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
            if normalization in ("batchnorm", "layernorm") and i < self.num_layers - 1:
                self.params["gamma%d" % (i + 1)] = np.ones(dims[i + 1])
                self.params["beta%d" % (i + 1)] = np.zeros(dims[i + 1])
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio} if self.use_dropout else {}
        self.bn_params = []
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        caches = []
        h = X
        for i in range(self.num_layers - 1):
            a, fc_cache = affine_forward(h, self.params["W%d" % (i + 1)], self.params["b%d" % (i + 1)])
            norm_cache = None
            if self.normalization == "batchnorm":
                a, norm_cache = batchnorm_forward(a, self.params["gamma%d" % (i + 1)], self.params["beta%d" % (i + 1)],
                                                  self.bn_params[i])
            elif self.normalization == "layernorm":
                a, norm_cache = layernorm_forward(a, self.params["gamma%d" % (i + 1)], self.params["beta%d" % (i + 1)],
                                                  self.bn_params[i])
            h, relu_cache = relu_forward(a)
            do_cache = None
            if self.use_dropout:
                h, do_cache = dropout_forward(h, self.dropout_param)
            caches.append((fc_cache, norm_cache, relu_cache, do_cache))
        L = self.num_layers
        scores, last_cache = affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])
        if mode == "test":
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        dh, grads["W%d" % L], grads["b%d" % L] = affine_backward(dscores, last_cache)
        for i in range(self.num_layers - 2, -1, -1):
            fc_cache, norm_cache, relu_cache, do_cache = caches[i]
            if self.use_dropout:
                dh = dropout_backward(dh, do_cache)
            da = relu_backward(dh, relu_cache)
            if self.normalization == "batchnorm":
                da, grads["gamma%d" % (i + 1)], grads["beta%d" % (i + 1)] = self.bn_backward(da, norm_cache)
            elif self.normalization == "layernorm":
                da, grads["gamma%d" % (i + 1)], grads["beta%d" % (i + 1)] = layernorm_backward(da, norm_cache)
            dh, grads["W%d" % (i + 1)], grads["b%d" % (i + 1)] = affine_backward(da, fc_cache)
        for i in range(self.num_layers):
            W = self.params["W%d" % (i + 1)]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads["W%d" % (i + 1)] += self.reg * W
        return loss, grads


# ---------------------------------------------------------------- optim.py
def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw ** 2
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    config["t"] += 1
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw ** 2
    mt = config["m"] / (1 - config["beta1"] ** config["t"])
    vt = config["v"] / (1 - config["beta2"] ** config["t"])
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


UPDATE_RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum, "rmsprop": rmsprop, "adam": adam}


# ---------------------------------------------------------------- solver.py
class Solver:
    """The assignment's Solver (print statements and checkpoints left out). update_rule names
    one of UPDATE_RULES; rng is the random stream for minibatches and accuracy subsampling
    (np.random, the global stream, as in the assignment, or a RandomState)."""

    def __init__(self, model, data, update_rule="adam", optim_config=None, lr_decay=1.0, batch_size=50,
                 num_epochs=10, num_train_samples=1000, num_val_samples=None, rng=np.random):
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.update_rule = UPDATE_RULES[update_rule]
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.rng = rng
        self.optim_configs = {p: dict(optim_config or {}) for p in model.params}
        self.loss_history, self.train_acc_history, self.val_acc_history = [], [], []
        self.best_val_acc = 0
        self.best_params = {}

    def _step(self):
        num_train = self.X_train.shape[0]
        batch_mask = self.rng.choice(num_train, self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch_mask], self.y_train[batch_mask])
        self.loss_history.append(loss)
        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self.rng.choice(N, num_samples)
            N = num_samples
            X, y = X[mask], y[mask]
        num_batches = N // batch_size + (1 if N % batch_size != 0 else 0)
        y_pred = []
        for i in range(num_batches):
            scores = self.model.loss(X[i * batch_size:(i + 1) * batch_size])
            y_pred.append(np.argmax(scores, axis=1))
        return np.mean(np.hstack(y_pred) == y)

    def train(self):
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        epoch = 0
        for t in range(num_iterations):
            self._step()
            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                epoch += 1
                for k in self.optim_configs:
                    self.optim_configs[k]["learning_rate"] *= self.lr_decay
            if t == 0 or t == num_iterations - 1 or epoch_end:
                train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
                val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                if val_acc > self.best_val_acc:
                    self.best_val_acc = val_acc
                    self.best_params = {k: v.copy() for k, v in self.model.params.items()}
        self.model.params = self.best_params


# ---------------------------------------------------------------- gradient_check.py
def eval_numerical_gradient(f, x, h=1e-5):
    """Centred differences of the scalar f(x) for every entry of x (x is perturbed in place)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Centred differences of sum(f(x) * df) for every entry of x (x is perturbed in place)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = f(x).copy()
        x[ix] = old - h
        neg = f(x).copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def rel_error(x, y):
    return float(np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y)))))


# ---------------------------------------------------------------- timing
def median_ms(fn, warmup, reps, min_seconds):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < reps or (time.perf_counter() - start < min_seconds and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2], len(times)


def fake_data(num_train, num_val, seed):
    rs = np.random.RandomState(seed)
    return {
        "X_train": rs.randn(num_train, 3, 32, 32), "y_train": rs.randint(0, 10, num_train),
        "X_val": rs.randn(num_val, 3, 32, 32), "y_val": rs.randint(0, 10, num_val),
    }


def blas_core():
    """The OpenBLAS kernel numpy runs (e.g. SkylakeX), read from its bundled library; None when unknown."""
    here = os.path.dirname(np.__file__)
    for lib in glob.glob(os.path.join(here, "..", "numpy.libs", "*openblas*")) + glob.glob(os.path.join(here, ".libs", "*openblas*")):
        try:
            dll = ctypes.CDLL(lib)
        except OSError:
            continue
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_", "openblas_get_corename"):
            f = getattr(dll, name, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                return f().decode()
    return None


# The sweep's data and settings, set before the pool forks (the workers inherit them).
_SWEEP = {}


def sweep_run(job):
    """One run of the sweep: (index of the weight scale, normalization); as in the sequential loop."""
    i, norm = job
    sw, data, scales = _SWEEP["sw"], _SWEEP["data"], _SWEEP["scales"]
    np.random.seed(i)
    model = FullyConnectedNet(sw["hiddenDims"], normalization=norm, weight_scale=scales[i])
    solver = Solver(model, data, optim_config={"learning_rate": 1e-3}, batch_size=sw["batchSize"], num_epochs=sw["numEpochs"])
    solver.train()
    return solver.best_val_acc


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    cfg = json.loads(sys.argv[1])
    t = cfg["timing"]
    common = {"path": "numpy", "impl": "numpy %s" % np.__version__}
    if cfg.get("peak"):
        M, K, N = cfg["peak"]
        A = np.random.randn(M, K).astype(np.float32)
        B = np.random.randn(K, N).astype(np.float32)
        ms, reps = median_ms(lambda: A.dot(B), t["warmup"], t["reps"], min(t["minSeconds"], 0.5))
        emit(dict(case="peak", dtype="float32", M=M, K=K, N=N, medianMs=ms, reps=reps, gflops=2.0 * M * N * K / ms / 1e6,
                  blasCore=blas_core(), **common))
    for (M, K, N) in cfg["matmul"]:
        for dtype in cfg["dtypes"]:
            dt = np.float32 if dtype == "float32" else np.float64
            A = np.random.randn(M, K).astype(dt)
            B = np.random.randn(K, N).astype(dt)
            ms, reps = median_ms(lambda: A.dot(B), t["warmup"], t["reps"], t["minSeconds"])
            emit(dict(case="matmul", dtype=dtype, M=M, K=K, N=N, medianMs=ms, reps=reps,
                      gflops=2.0 * M * N * K / ms / 1e6, **common))
    bn = cfg.get("batchnorm")
    if bn:
        N, D = bn["N"], bn["D"]
        for dtype in cfg["dtypes"]:
            dt = np.float32 if dtype == "float32" else np.float64
            x = (np.random.randn(N, D) * 5 + 12).astype(dt)
            gamma = np.random.randn(D).astype(dt)
            beta = np.random.randn(D).astype(dt)
            dout = np.random.randn(N, D).astype(dt)
            _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
            for name, fn in (("staged", batchnorm_backward), ("alt", batchnorm_backward_alt)):
                ms, reps = median_ms(lambda: fn(dout, cache), t["warmup"], t["reps"], t["minSeconds"])
                emit(dict(case="batchnorm-backward", variant=name, dtype=dtype, N=N, D=D, medianUs=ms * 1e3, reps=reps,
                          **common))
            ms, reps = median_ms(lambda: batchnorm_forward(x, gamma, beta, {"mode": "train"}), t["warmup"], t["reps"],
                                 t["minSeconds"])
            emit(dict(case="batchnorm-forward", dtype=dtype, N=N, D=D, medianUs=ms * 1e3, reps=reps, **common))
    for step in cfg.get("trainStep", []):
        np.random.seed(0)
        data = fake_data(step["batchSize"], 1, 1)
        model = FullyConnectedNet(step["hiddenDims"], normalization=step["normalization"],
                                  weight_scale=step["weightScale"])
        configs = {p: {"learning_rate": 1e-3} for p in model.params}
        X, y = data["X_train"], data["y_train"]

        def one_step():
            loss, grads = model.loss(X, y)
            for p, w in model.params.items():
                model.params[p], configs[p] = adam(w, grads[p], configs[p])

        ms, reps = median_ms(one_step, t["warmup"], t["reps"], t["minSeconds"])
        emit(dict(case="train-step", name=step["name"], batchSize=step["batchSize"], medianMs=ms, reps=reps, **common))
        # The update alone: adam over every parameter, with one step's gradients.
        _, grads = model.loss(X, y)

        def one_update():
            for p, w in model.params.items():
                model.params[p], configs[p] = adam(w, grads[p], configs[p])

        ms, reps = median_ms(one_update, t["warmup"], t["reps"], t["minSeconds"])
        emit(dict(case="update-rule", rule="adam", name=step["name"],
                  weights=int(sum(w.size for w in model.params.values())), medianMs=ms, reps=reps, **common))
    for tr in cfg.get("training", []):
        data = fake_data(tr["numTrain"], tr["numVal"], 2)
        times = []
        for r in range(tr["repeats"]):
            np.random.seed(r)
            model = FullyConnectedNet(tr["hiddenDims"], normalization=tr["normalization"], weight_scale=tr["weightScale"])
            solver = Solver(model, data, optim_config={"learning_rate": 1e-3}, batch_size=tr["batchSize"],
                            num_epochs=tr["numEpochs"])
            # "clock": "cpu" times process CPU time (bench/cpu-ratio.ts: under load, waiting for a core does not count).
            clock = time.process_time if cfg.get("clock") == "cpu" else time.perf_counter
            t0 = clock()
            solver.train()
            times.append((clock() - t0) * 1e3)
        times.sort()
        emit(dict(case="training", name=tr["name"], medianMs=times[len(times) // 2], reps=len(times), **common))
    sw = cfg.get("sweep")
    if sw:
        data = fake_data(sw["numTrain"], sw["numVal"], 3)
        scales = np.logspace(-4, 0, num=sw["numScales"])
        _SWEEP.update(sw=sw, data=data, scales=scales)
        jobs = [(i, norm) for i in range(len(scales)) for norm in ("batchnorm", None)]
        procs = int(cfg.get("sweepProcesses") or 1)
        # sweepPoolOnly (bench/interleaved.ts, without --one-process): only the pooled sweep, unchecked against a sequential one.
        pool_only = bool(cfg.get("sweepPoolOnly")) and procs > 1
        seq = None
        if not pool_only:
            t0 = time.perf_counter()
            seq = [sweep_run(j) for j in jobs]
            emit(dict(case="sweep", runs=len(jobs), processes=1, wallMs=(time.perf_counter() - t0) * 1e3, **common))
        if procs > 1:
            # The same runs spread over a pool of processes, one BLAS thread each (the parent's
            # OPENBLAS_NUM_THREADS=1 is inherited), as a numpy user would run the sweep on these cores.
            # Timed from the pool's start, as bnlab's parallel sweep is timed from its workers' start.
            t0 = time.perf_counter()
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                par = pool.map(sweep_run, jobs, chunksize=1)
            wall = (time.perf_counter() - t0) * 1e3
            if seq is not None and par != seq:
                raise RuntimeError("the pooled sweep's results differ from the sequential ones")
            emit(dict(case="sweep", runs=len(jobs), processes=procs, wallMs=wall, **common))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
