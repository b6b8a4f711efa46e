"""Linear probe on frozen node embeddings (the node-classification protocol of GRACE, GCA, BGRL, DGI).

Protocol (what every number produced here means):

1. Embeddings are frozen and preprocessed -- by default each row is L2-normalized, exactly as GRACE's
   reference evaluation does (``sklearn.preprocessing.normalize(X, norm="l2")`` in ``eval.py`` of
   CRIPAC-DIG/GRACE; Zhu et al. 2020, "Deep Graph Contrastive Representation Learning", GRL+@ICML).
2. A multinomial logistic regression is fitted on the **train** nodes only: full-batch L-BFGS
   (``torch.optim.LBFGS``, strong Wolfe line search) in float64 on the mean cross-entropy plus
   ``weight_decay * ||W||^2 / 2`` (bias unregularized). Starting from zeros, the fit is deterministic.
3. ``weight_decay`` is chosen from a grid by **validation** accuracy (ties go to the larger weight decay);
   the test accuracy of that model is reported. Test labels are never used for any choice.
4. :func:`evaluate_embeddings` repeats this over seeds of the split and reports the mean and the
   population standard deviation (``numpy.std``, ``ddof=0``) of test accuracy, as GRACE's ``eval.py`` does,
   so our ``±`` is comparable with the published ones.

Differences from GRACE's reference code, on purpose: GRACE fits one-vs-rest liblinear models and picks
``C in 2**arange(-10, 10)`` by 5-fold cross-validation inside a 10% train set, then tests on the other 90%;
we fit a single softmax model and select on a held-out validation split (10/10/80 by default, the split the
paper describes), so one validation split serves every protocol, including the public Planetoid split.

Relation to scikit-learn: for ``K >= 3`` classes, ``fit_logistic_regression(x, y, K, weight_decay)`` minimizes
the same objective as ``sklearn.linear_model.LogisticRegression(C=1 / (weight_decay * n_train))`` with the
``lbfgs`` solver (sklearn minimizes ``C * sum(CE) + ||W||^2 / 2``; divide by ``C * n_train``). For ``K = 2``
sklearn switches to a single binary weight vector ``w``; our two rows settle at ``+-w / 2``, so our penalty is
``weight_decay * ||w||^2 / 4`` and the fits agree for ``C = 2 / (weight_decay * n_train)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from gcl.node.splits import get_split_preset

__all__ = [
    "DEFAULT_WEIGHT_DECAYS",
    "LogisticRegressionModel",
    "ProbeResult",
    "ProbeSummary",
    "evaluate_embeddings",
    "fit_logistic_regression",
    "linear_probe",
    "preprocess_features",
]

Preprocess = Literal["l2", "standardize", "none"]
_PREPROCESS = ("l2", "standardize", "none")

#: Weight-decay grid of :func:`linear_probe`. In sklearn terms (``C = 1 / (weight_decay * n_train)``) with
#: Cora's 270 training nodes it spans ``C`` from about 0.004 to 370, the useful part of GRACE's
#: ``2**-10 .. 2**9`` grid for L2-normalized embeddings.
DEFAULT_WEIGHT_DECAYS: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def _compute_device(x: Tensor) -> torch.device:
    # float64 is not supported on Apple's MPS backend; everything else follows the input.
    return torch.device("cpu") if x.device.type == "mps" else x.device


# Below this many multiply-adds per logits product (n * D * K) a CPU fit runs single-threaded: BLAS threads on
# such small matrices only add synchronization, which costs 10x and more when the CPU cores are shared.
_SINGLE_THREAD_WORK = 1 << 22


@contextmanager
def _small_problem_threads(device: torch.device, work: int) -> Iterator[None]:
    old = torch.get_num_threads()
    if device.type != "cpu" or work > _SINGLE_THREAD_WORK or old == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _check_finite(x: Tensor, name: str) -> None:
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        bad_rows = (~finite).any(dim=-1).nonzero().flatten() if x.dim() == 2 else (~finite).nonzero()
        raise ValueError(
            f"{name} contains {int((~finite).sum())} NaN/inf value(s) in {bad_rows.numel()} row(s), "
            f"first row {int(bad_rows[0])}; embeddings must be finite"
        )


def preprocess_features(x: Tensor, mode: Preprocess, fit_rows: Tensor | None = None) -> Tensor:
    """Row-wise L2 normalization or column standardization of features, in float64.

    Args:
        x: Features ``[N, D]``.
        mode: ``"l2"`` (each row divided by its L2 norm; zero rows stay zero, as sklearn's ``normalize``),
            ``"standardize"`` (each column minus its mean, divided by its population std; statistics from
            ``fit_rows`` only, constant columns are left unscaled) or ``"none"``.
        fit_rows: Boolean mask ``[N]`` or index of the rows whose statistics are used by ``"standardize"``
            (the training nodes; default all rows).

    Returns:
        float64 tensor ``[N, D]`` on ``x``'s device.

    Example:
        >>> preprocess_features(torch.tensor([[3.0, 4.0], [0.0, 0.0]]), "l2")
        tensor([[0.6000, 0.8000],
                [0.0000, 0.0000]], dtype=torch.float64)
    """
    if mode not in _PREPROCESS:
        raise ValueError(f"preprocess must be one of {_PREPROCESS}, got {mode!r}")
    x = x.detach().to(torch.float64)
    if mode == "l2":
        return F.normalize(x, p=2.0, dim=1, eps=0.0).nan_to_num(0.0) if x.numel() else x
    if mode == "standardize":
        ref = x if fit_rows is None else x[fit_rows]
        mean, std = ref.mean(dim=0), ref.std(dim=0, correction=0)
        return (x - mean) / torch.where(std > 0, std, torch.ones_like(std))
    return x


@dataclass
class LogisticRegressionModel:
    """A fitted multinomial logistic regression (see :func:`fit_logistic_regression`).

    Attributes:
        weight: Coefficients ``[K, D]`` (float64; sklearn's ``coef_`` layout).
        bias: Intercepts ``[K]`` (float64; they sum to zero, like sklearn's).
        weight_decay: The L2 strength it was fitted with.
        preprocess: Preprocessing applied to inputs before the linear map.
        mean: Column means ``[D]`` used by ``"standardize"`` (``None`` otherwise).
        scale: Column scales ``[D]`` used by ``"standardize"`` (``None`` otherwise).
        n_iter: L-BFGS iterations run.
        converged: Whether L-BFGS stopped before ``max_iter``.
    """

    weight: Tensor
    bias: Tensor
    weight_decay: float
    preprocess: str = "none"
    mean: Tensor | None = None
    scale: Tensor | None = None
    n_iter: int = 0
    converged: bool = True

    def transform(self, x: Tensor) -> Tensor:
        """Preprocess ``x`` ``[M, D]`` as the training features were (float64, on the model's device)."""
        x = x.detach().to(device=self.weight.device, dtype=torch.float64)
        if self.preprocess == "l2":
            return preprocess_features(x, "l2")
        if self.preprocess == "standardize":
            return (x - self.mean) / self.scale
        return x

    def logits(self, x: Tensor) -> Tensor:
        """Class scores ``[M, K]`` for features ``[M, D]``."""
        return self.transform(x) @ self.weight.T + self.bias

    def predict_proba(self, x: Tensor) -> Tensor:
        """Class probabilities ``[M, K]`` (softmax of :meth:`logits`)."""
        return torch.softmax(self.logits(x), dim=1)

    def predict(self, x: Tensor) -> Tensor:
        """Predicted classes ``[M]`` (argmax of :meth:`logits`; first class on ties)."""
        return self.logits(x).argmax(dim=1)

    def accuracy(self, x: Tensor, y: Tensor) -> float:
        """Fraction of rows of ``x`` ``[M, D]`` whose prediction equals ``y`` ``[M]``."""
        if y.numel() == 0:
            raise ValueError("accuracy of an empty set is undefined")
        return float((self.predict(x) == y.to(self.weight.device)).double().mean())


def fit_logistic_regression(
    x_train: Tensor,
    y_train: Tensor,
    num_classes: int,
    weight_decay: float,
    *,
    max_iter: int = 500,
    tol: float = 1e-6,
    history_size: int = 20,
    preprocess: Preprocess = "none",
) -> LogisticRegressionModel:
    """Fit multinomial logistic regression by full-batch L-BFGS in float64.

    Minimizes ``mean_i CE(x_i W^T + b, y_i) + weight_decay * ||W||^2 / 2`` over ``W`` ``[K, D]`` and
    ``b`` ``[K]`` (the bias is not regularized) with ``torch.optim.LBFGS`` (strong Wolfe line search),
    starting from zeros and using closed-form gradients. The result depends only on the inputs. Equals
    ``sklearn.linear_model.LogisticRegression(C=1 / (weight_decay * n))`` for ``K >= 3`` (see module doc).

    Args:
        x_train: Training features ``[n, D]``, any real dtype and device (the fit runs on that device,
            MPS excepted: CPU).
        y_train: Class indices ``[n]`` in ``[0, num_classes)``.
        num_classes: Number of classes ``K`` (classes absent from ``y_train`` get a very negative bias).
        weight_decay: L2 strength ``>= 0``. With ``0`` and separable data there is no minimizer and the fit
            stops at ``max_iter``.
        max_iter: Maximum L-BFGS iterations.
        tol: Stop when the largest absolute gradient entry is ``<= tol`` (or the loss stops changing at
            float64 resolution, ``1e-16``).
        history_size: L-BFGS memory.
        preprocess: ``"none"``, ``"l2"`` or ``"standardize"`` (statistics from ``x_train``), applied again
            by the returned model's ``predict`` methods.

    Note:
        A small CPU problem (``n * D * K <= 2**22``) is solved with ``torch.set_num_threads(1)``, restored
        afterwards: multi-threaded BLAS on such matrices only adds synchronization (10x slower on shared
        cores). Do not fit from several Python threads at once while relying on the global thread count.

    Returns:
        The fitted :class:`LogisticRegressionModel`.

    Raises:
        ValueError: For mismatched sizes, non-finite features, labels out of range or bad settings.

    Example:
        >>> x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]])
        >>> model = fit_logistic_regression(x, torch.tensor([0, 0, 1, 1]), 2, 1e-3)
        >>> model.predict(x).tolist()
        [0, 0, 1, 1]
    """
    if not isinstance(x_train, Tensor) or x_train.dim() != 2:
        got = getattr(x_train, "shape", type(x_train))
        raise ValueError(f"x_train must be a 2-D tensor [n, D], got {got}")
    if x_train.dtype == torch.bool or x_train.is_complex():
        raise ValueError(f"x_train must hold real numbers, got dtype {x_train.dtype}")
    if not isinstance(y_train, Tensor) or y_train.dim() != 1 or y_train.dtype.is_floating_point:
        got = getattr(y_train, "dtype", type(y_train))
        raise ValueError(f"y_train must be a 1-D integer tensor [n], got {got}")
    n = x_train.shape[0]
    if y_train.shape[0] != n:
        raise ValueError(f"x_train has {n} rows but y_train has {y_train.shape[0]} labels")
    if n == 0:
        raise ValueError("x_train is empty; need at least one training row")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
    if not (isinstance(weight_decay, (int, float)) and math.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive int, got {max_iter!r}")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ValueError(f"tol must be a number > 0, got {tol!r}")
    if not isinstance(history_size, int) or history_size < 1:
        raise ValueError(f"history_size must be a positive int, got {history_size!r}")
    if preprocess not in _PREPROCESS:
        raise ValueError(f"preprocess must be one of {_PREPROCESS}, got {preprocess!r}")
    y_min, y_max = int(y_train.min()), int(y_train.max())
    if y_min < 0 or y_max >= num_classes:
        raise ValueError(f"y_train must lie in [0, {num_classes}), got labels in [{y_min}, {y_max}]")
    _check_finite(x_train, "x_train")

    device = _compute_device(x_train)
    # A fresh float64 copy (never an inference-mode tensor or a view of the caller's data).
    with torch.inference_mode(False), torch.no_grad():
        x = x_train.detach().to(device=device, dtype=torch.float64, copy=True)
        mean = scale = None
        if preprocess == "standardize":
            mean = x.mean(dim=0)
            std = x.std(dim=0, correction=0)
            scale = torch.where(std > 0, std, torch.ones_like(std))
            x = (x - mean) / scale
        elif preprocess == "l2":
            x = preprocess_features(x, "l2")
        target = F.one_hot(y_train.to(device=device, dtype=torch.long), num_classes).to(torch.float64)

        weight = torch.zeros(num_classes, x.shape[1], dtype=torch.float64, device=device)
        bias = torch.zeros(num_classes, dtype=torch.float64, device=device)
        wd = float(weight_decay)

        def closure() -> Tensor:
            logits = torch.addmm(bias, x, weight.T)
            log_p = torch.log_softmax(logits, dim=1)
            loss = -(log_p * target).sum() / n + 0.5 * wd * weight.square().sum()
            residual = (log_p.exp() - target) / n  # d mean-CE / d logits, [n, K]
            weight.grad = torch.addmm(weight, residual.T, x, beta=wd)
            bias.grad = residual.sum(dim=0)
            return loss

        optimizer = torch.optim.LBFGS(
            [weight, bias],
            lr=1.0,
            max_iter=max_iter,
            max_eval=max_iter * 5 // 4,
            tolerance_grad=tol,
            tolerance_change=1e-16,
            history_size=history_size,
            line_search_fn="strong_wolfe",
        )
        with _small_problem_threads(device, n * x.shape[1] * num_classes):
            optimizer.step(closure)
        n_iter = int(optimizer.state[weight].get("n_iter", 0))
    return LogisticRegressionModel(
        weight=weight,
        bias=bias,
        weight_decay=wd,
        preprocess=preprocess,
        mean=mean,
        scale=scale,
        n_iter=n_iter,
        converged=n_iter < max_iter,
    )


@dataclass(frozen=True)
class ProbeResult:
    """Outcome of one :func:`linear_probe` run.

    Attributes:
        test_acc: Test accuracy of the selected model, in ``[0, 1]``.
        val_acc: Validation accuracy of the selected model.
        train_acc: Training accuracy of the selected model.
        weight_decay: The selected weight decay (best validation accuracy; ties -> larger weight decay).
        val_accs: Validation accuracy of every weight decay of the grid, in grid order.
        protocol: What the numbers mean.
    """

    test_acc: float
    val_acc: float
    train_acc: float
    weight_decay: float
    val_accs: dict[float, float]
    protocol: str


def _check_mask(mask: Tensor, name: str, num_nodes: int) -> Tensor:
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != (num_nodes,):
        got = f"dtype {mask.dtype}, shape {tuple(mask.shape)}" if isinstance(mask, Tensor) else type(mask)
        raise ValueError(f"{name} must be a bool tensor of shape [{num_nodes}], got {got}")
    if not bool(mask.any()):
        raise ValueError(f"{name} selects no node")
    return mask


def _check_probe_inputs(
    embeddings: Tensor, y: Tensor, masks: Sequence[Tensor], names: Sequence[str]
) -> tuple[Tensor, Tensor, list[Tensor], int]:
    if not isinstance(embeddings, Tensor) or embeddings.dim() != 2:
        raise ValueError(
            f"embeddings must be a 2-D tensor [N, D], got {getattr(embeddings, 'shape', type(embeddings))}"
        )
    if embeddings.dtype == torch.bool or embeddings.is_complex():
        raise ValueError(f"embeddings must hold real numbers, got dtype {embeddings.dtype}")
    num_nodes = embeddings.shape[0]
    if not isinstance(y, Tensor) or y.dim() != 1 or y.dtype.is_floating_point or y.dtype == torch.bool:
        raise ValueError(f"y must be a 1-D integer tensor [N], got {getattr(y, 'dtype', type(y))}")
    if y.shape[0] != num_nodes:
        raise ValueError(f"embeddings has {num_nodes} rows but y has {y.shape[0]} labels")
    _check_finite(embeddings, "embeddings")
    device = _compute_device(embeddings)
    checked = [_check_mask(m, name, num_nodes).to(device) for m, name in zip(masks, names)]
    for i in range(len(checked)):
        for j in range(i + 1, len(checked)):
            overlap = int((checked[i] & checked[j]).sum())
            if overlap:
                raise ValueError(
                    f"{names[i]} and {names[j]} overlap in {overlap} node(s); splits must be disjoint"
                )
    y = y.to(device)
    used = y[torch.stack(checked).any(dim=0)]
    if int(used.min()) < 0:
        raise ValueError(f"y has negative labels ({int(used.min())}) on nodes selected by the masks")
    return embeddings, y, checked, int(used.max()) + 1


def _check_grid(weight_decays: Iterable[float]) -> tuple[float, ...]:
    grid = tuple(float(w) for w in weight_decays)
    if not grid:
        raise ValueError("weight_decays must not be empty")
    bad = [w for w in grid if not (math.isfinite(w) and w >= 0)]
    if bad:
        raise ValueError(f"weight_decays must be finite and >= 0, got {bad}")
    return grid


def _probe_text(grid: Sequence[float], preprocess: str) -> str:
    prep = {"l2": "L2-normalized", "standardize": "standardized", "none": "raw"}[preprocess]
    return (
        f"linear probe (L-BFGS multinomial logistic regression on {prep} frozen embeddings, trained on train "
        f"nodes, L2 weight decay from {{{', '.join(f'{w:g}' for w in grid)}}} selected on val accuracy)"
    )


def linear_probe(
    embeddings: Tensor,
    y: Tensor,
    train_mask: Tensor,
    val_mask: Tensor,
    test_mask: Tensor,
    weight_decays: Iterable[float] = DEFAULT_WEIGHT_DECAYS,
    *,
    preprocess: Preprocess = "l2",
    max_iter: int = 500,
    tol: float = 1e-6,
) -> ProbeResult:
    """Linear-probe accuracy of frozen embeddings, regularization selected on validation accuracy.

    For each ``weight_decay`` of the grid a :func:`fit_logistic_regression` model is trained on the train
    nodes only; the one with the best validation accuracy (ties: the larger weight decay, i.e. the simpler
    model) is selected and its test accuracy reported. Test labels play no part in the choice. The selected
    model is not refitted on train + val.

    Args:
        embeddings: Frozen node embeddings ``[N, D]`` on any device (detached; the fit runs on that device
            in float64).
        y: Node classes ``[N]`` (labels of nodes outside the masks are ignored). The number of classes is
            ``1 + max`` label over the masked nodes.
        train_mask: Boolean ``[N]``, nodes the probe is trained on.
        val_mask: Boolean ``[N]``, nodes that select the weight decay.
        test_mask: Boolean ``[N]``, nodes the reported accuracy is measured on (disjoint from the others).
        weight_decays: Grid of L2 strengths (see :data:`DEFAULT_WEIGHT_DECAYS`).
        preprocess: ``"l2"`` (default, GRACE's protocol), ``"standardize"`` or ``"none"``.
        max_iter: L-BFGS iteration cap per fit.
        tol: L-BFGS gradient tolerance.

    Returns:
        A :class:`ProbeResult`.

    Raises:
        ValueError: For NaN/inf embeddings, size mismatches, empty or overlapping masks, negative labels or
            a bad grid.

    Example:
        >>> x = torch.tensor([[1.0, 0.1], [0.9, -0.1], [-1.0, 0.2], [-0.8, 0.0], [1.1, 0.3], [-1.2, -0.2]])
        >>> y = torch.tensor([0, 0, 1, 1, 0, 1])
        >>> masks = [torch.tensor(m) for m in ([1, 0, 1, 0, 0, 0], [0, 1, 0, 1, 0, 0], [0, 0, 0, 0, 1, 1])]
        >>> linear_probe(x, y, *[m.bool() for m in masks]).test_acc
        1.0
    """
    grid = _check_grid(weight_decays)
    x, y, (train, val, test), num_classes = _check_probe_inputs(
        embeddings, y, (train_mask, val_mask, test_mask), ("train_mask", "val_mask", "test_mask")
    )
    num_classes = max(num_classes, 2)
    x_train, y_train = x[train], y[train]
    best: tuple[float, float, LogisticRegressionModel] | None = None
    val_accs: dict[float, float] = {}
    for wd in grid:
        model = fit_logistic_regression(
            x_train, y_train, num_classes, wd, max_iter=max_iter, tol=tol, preprocess=preprocess
        )
        acc = model.accuracy(x[val], y[val])
        val_accs[wd] = acc
        if best is None or acc > best[0] or (acc == best[0] and wd > best[1]):
            best = (acc, wd, model)
    assert best is not None
    val_acc, wd, model = best
    return ProbeResult(
        test_acc=model.accuracy(x[test], y[test]),
        val_acc=val_acc,
        train_acc=model.accuracy(x_train, y_train),
        weight_decay=wd,
        val_accs=val_accs,
        protocol=_probe_text(grid, preprocess),
    )


@dataclass(frozen=True)
class ProbeSummary:
    """Test accuracy of a linear probe over seeds, with its protocol.

    Attributes:
        mean: Mean test accuracy over runs, in ``[0, 1]``.
        std: Population standard deviation (``ddof=0``, as GRACE's ``numpy.std``) over runs.
        test_accs: Test accuracy per run.
        val_accs: Validation accuracy of the selected model per run.
        weight_decays: Selected weight decay per run.
        seeds: Split seed per run (a single entry for fixed splits, which run once).
        split: Split preset name.
        protocol: Full description, e.g. ``"linear probe (...), random 10/10/80 train/val/test split, 10
            seeds, test accuracy mean ± std (population std)"``.
        results: The :class:`ProbeResult` of every run.
    """

    mean: float
    std: float
    test_accs: tuple[float, ...]
    val_accs: tuple[float, ...]
    weight_decays: tuple[float, ...]
    seeds: tuple[int, ...]
    split: str
    protocol: str
    results: tuple[ProbeResult, ...] = field(repr=False)

    def __str__(self) -> str:
        return f"{100 * self.mean:.2f} ± {100 * self.std:.2f} % -- {self.protocol}"


def evaluate_embeddings(
    embeddings: Tensor,
    data: Data,
    split: str = "random-10-10-80",
    seeds: Iterable[int] = range(10),
    *,
    weight_decays: Iterable[float] = DEFAULT_WEIGHT_DECAYS,
    preprocess: Preprocess = "l2",
    max_iter: int = 500,
    tol: float = 1e-6,
) -> ProbeSummary:
    """Node-classification accuracy of frozen embeddings: :func:`linear_probe` over split seeds.

    For a seeded split preset (``"random-10-10-80"``) one split is drawn per seed and probed. A fixed split
    (``"public"``) is probed once: the probe starts from zeros and L-BFGS is deterministic, so further seeds
    would repeat the same number; the summary then has one run and ``std == 0``.

    Args:
        embeddings: Frozen node embeddings ``[N, D]``, ``N == data.num_nodes``.
        data: The graph; ``data.y`` ``[N]`` holds the classes (and ``train_mask`` etc. for ``"public"``).
        split: A split preset name of :data:`gcl.node.splits.SPLIT_PRESETS`.
        seeds: Split seeds (default ``range(10)``).
        weight_decays: Probe weight-decay grid.
        preprocess: Probe preprocessing (default ``"l2"``).
        max_iter: L-BFGS iteration cap per fit.
        tol: L-BFGS gradient tolerance.

    Returns:
        A :class:`ProbeSummary` (mean, population std, per-run accuracies and the protocol text).

    Raises:
        ValueError: For an unknown split, no seeds, missing ``data.y`` or any :func:`linear_probe` error.

    Example:
        >>> data = Data(num_nodes=100, y=torch.arange(100) % 2)
        >>> embeddings = F.one_hot(data.y).float() + 0.1
        >>> summary = evaluate_embeddings(embeddings, data, seeds=range(2))
        >>> summary.test_accs, summary.std
        ((1.0, 1.0), 0.0)
    """
    preset = get_split_preset(split)
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    y = getattr(data, "y", None)
    if not isinstance(y, Tensor):
        raise ValueError("data.y (node classes [N]) is required for the linear probe")
    if not isinstance(embeddings, Tensor) or embeddings.dim() != 2 or embeddings.shape[0] != data.num_nodes:
        raise ValueError(
            f"embeddings must have shape [{data.num_nodes}, D] (data.num_nodes rows), "
            f"got {tuple(getattr(embeddings, 'shape', ()))}"
        )
    grid = _check_grid(weight_decays)
    run_seeds = seeds if preset.seeded else seeds[:1]
    results = tuple(
        linear_probe(
            embeddings, y, *preset.make(data, seed), grid, preprocess=preprocess, max_iter=max_iter, tol=tol
        )
        for seed in run_seeds
    )
    accs = np.array([r.test_acc for r in results])
    runs = f"{len(run_seeds)} seeds" if preset.seeded else "1 run (fixed split, deterministic probe)"
    protocol = (
        f"{_probe_text(grid, preprocess)}, {preset.description}, {runs}, "
        "test accuracy mean ± std (population std, ddof=0)"
    )
    return ProbeSummary(
        mean=float(accs.mean()),
        std=float(accs.std()),
        test_accs=tuple(float(a) for a in accs),
        val_accs=tuple(r.val_acc for r in results),
        weight_decays=tuple(r.weight_decay for r in results),
        seeds=run_seeds,
        split=split,
        protocol=protocol,
        results=results,
    )
