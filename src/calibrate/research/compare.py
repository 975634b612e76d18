"""Compare indicator sets: predictive validity, weight stability, rank stability and redundancy.

What is measured, for each set
------------------------------
* **Composite score.** Each indicator is standardised (z-score; mean and
  standard deviation learnt from the training managers only), turned so that
  higher is better (lower-is-better indicators such as churn change sign), a
  missing value counts as average (z = 0), and the z-scores are added up with
  the set's weights (sum 1).
* **Predictive validity** (out of sample). Managers are split into ``folds``
  groups by :func:`grouped_folds` (grouped by manager, so a manager's quarters
  are never both in the training and in the test part; the same folds with any
  scikit-learn version, fixed by ``seed``). On the
  training managers a linear model with a quarter effect predicts the
  next-quarter outcome: ``y = quarter effect + b * composite`` (one dummy per
  quarter, so season and company-wide shocks do not count as prediction); it is
  scored on the test managers. ``r2`` is the pooled out-of-sample R^2 against the quarter means
  learnt on the training part: ``1 - sum (y - y_hat)^2 / sum (y - quarter mean)^2``,
  the share of the between-manager differences in the outcome (season and
  company-wide shocks removed) that the score predicts. It can be negative (worse
  than knowing only the quarter). The ``indicators`` model regresses on the
  set's z-scored indicators themselves (free weights): the ceiling of what the
  set's information can predict linearly. ``r2_se`` is a standard error
  clustered by manager (delta method for the ratio).
* **Weight stability.** ``bootstrap`` resamples of the managers (with
  replacement; the same resamples for every set) refit the weights when they
  come from data (entropy, CRITIC, importance, a callable): ``weight_sd`` is the
  mean over indicators of the bootstrap standard deviation of the weight;
  ``weight_order_kept`` is the share of resamples that rank the indicators by
  weight exactly as the full data does. Fixed weights (template, equal) give 0
  and 1.
* **Rank stability.** ``rank_stability_bootstrap``: mean Spearman correlation
  between managers' ranks (mean composite over their quarters) under the
  full-data normalisation and weights and under each resample's.
  ``rank_stability_periods``: mean Spearman correlation of managers' composite
  scores between consecutive quarters.
* **Redundancy.** ``max_abs_corr`` (and the pair) and ``max_vif`` (and the
  indicator) among the set's indicators; see :mod:`calibrate.research.metrics`.

Weightings
----------
``"default"``: the weights written in the set's YAML. ``"equal"``: 1/k.
``"entropy"`` / ``"critic"``: :mod:`calibrate.weights.baselines`, from one row
per manager (mean over the training quarters). ``"importance"``: Johnson's
relative weights (:mod:`calibrate.weights.importance`) of the indicators for
each outcome (quarter means removed from the outcome and the indicators),
averaged over the outcomes; they carry no
sign, so an indicator that predicts in the wrong direction still gets weight. A
callable ``f(panel, indicator_set) -> weights`` receives the training rows of
the panel (a manager drawn twice in a bootstrap resample appears twice) and
returns a non-negative weight per indicator id (rescaled to sum 1).

Example
-------
>>> ds = load_dataset_for_sets("data/sample/calibrate.yaml", ["account_manager", "key_account_director"])  # doctest: +SKIP
>>> result = compare_indicator_sets(ds, load_sets(["account_manager", "key_account_director"]),
...                                 bootstrap=50)                                   # doctest: +SKIP
>>> result.to_frame()[["set", "r2_composite_next_retention"]]                      # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibrate.dataset import Dataset
from calibrate.errors import CalibrateError, ConfigError
from calibrate.indicators import IndicatorSet
from calibrate.research.metrics import indicator_redundancy, rank_stability_over_periods, spearman
from calibrate.research.sets import SetsLike, load_sets, outcome_columns, set_panels
from calibrate.results import Summary, frame_summary
from calibrate.threads import single_thread
from calibrate.weights.baselines import critic_weights, entropy_weights
from calibrate.weights.importance import relative_weights

__all__ = ["WEIGHTINGS", "MODELS", "ComparisonResult", "compare_indicator_sets"]

WEIGHTINGS = ("default", "equal", "entropy", "critic", "importance")
MODELS = ("composite", "indicators")
DEFAULT_OUTCOMES = ("next_revenue_growth", "next_retention")
WeightFunction = Callable[[pd.DataFrame, IndicatorSet], "Mapping[str, float] | pd.Series"]


@dataclass(frozen=True)
class ComparisonResult:
    """The comparison of indicator sets; :meth:`to_frame` has one row per set.

    ``validity``: one row per set x outcome x model (``composite`` or
    ``indicators``) with ``r2`` (out-of-sample R^2, at most 1), ``r2_se``, ``n_rows``.
    ``weights``: one row per set x indicator: labels, the full-data ``weight``
    and its bootstrap mean, sd and 2.5%/97.5% quantiles. ``predictions``: every test-fold
    prediction (set, outcome, model, manager_id, period, fold, observed,
    baseline, predicted), for paired comparisons. ``settings``: the arguments.
    ``per_set``: one row per set (what :meth:`to_frame` returns).
    """

    per_set: pd.DataFrame
    validity: pd.DataFrame
    weights: pd.DataFrame
    predictions: pd.DataFrame = field(repr=False)
    labels: pd.DataFrame = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def sets(self) -> list[str]:
        return list(self.per_set["set"])

    @property
    def outcomes(self) -> list[str]:
        return list(self.settings["outcomes"])

    def to_frame(self) -> pd.DataFrame:
        """One row per set: validity per outcome and model, stability and redundancy figures."""
        return self.per_set.copy()

    def label(self, set_name: str, lang: str = "en") -> str:
        """The set's label in ``lang`` (``zh`` or ``en``); followed by the set's name in brackets when
        another compared set has the same label, so every row and legend entry is told apart."""
        column = "label_zh" if lang == "zh" else "label_en"
        labels = self.labels.set_index("set")[column].astype(str)
        label = labels.loc[set_name]
        if (labels == label).sum() > 1:
            return f"{label}（{set_name}）" if lang == "zh" else f"{label} ({set_name})"
        return label

    def r2(self, set_name: str, outcome: str, model: str = "composite") -> float:
        """Out-of-sample R^2 of one set for one outcome."""
        v = self.validity
        hit = v[(v["set"] == set_name) & (v["outcome"] == outcome) & (v["model"] == model)]
        if hit.empty:
            raise CalibrateError(
                f"no result for set '{set_name}', outcome '{outcome}', model '{model}' "
                f"(sets: {', '.join(self.sets)}; outcomes: {', '.join(self.outcomes)})"
            )
        return float(hit["r2"].iloc[0])

    def ranking(self, outcome: str, model: str = "composite") -> list[str]:
        """Set names from the best to the worst out-of-sample R^2 for ``outcome``."""
        _check_choice(model, MODELS, "model")
        if outcome not in self.outcomes:
            raise CalibrateError(f"outcome '{outcome}' was not compared; use one of {', '.join(self.outcomes)}")
        v = self.validity[(self.validity["outcome"] == outcome) & (self.validity["model"] == model)]
        return list(v.sort_values("r2", ascending=False, kind="stable")["set"])

    def differences(self, reference: str, model: str = "composite") -> pd.DataFrame:
        """Each other set's gain in out-of-sample R^2 over ``reference``, with a paired standard error.

        ``delta_r2 = r2(set) - r2(reference)`` on the same rows and folds;
        ``se`` is clustered by manager (delta method), ``z = delta_r2 / se``; a
        ``z`` above 2 means the set predicts clearly better.
        """
        _check_choice(model, MODELS, "model")
        if reference not in self.sets:
            raise CalibrateError(f"reference set '{reference}' is not among the compared sets ({', '.join(self.sets)})")
        rows = []
        p = self.predictions[self.predictions["model"] == model]
        for outcome in self.outcomes:
            po = p[p["outcome"] == outcome]
            ref = po[po["set"] == reference].set_index(["manager_id", "period"])
            for name in self.sets:
                if name == reference:
                    continue
                other = po[po["set"] == name].set_index(["manager_id", "period"]).reindex(ref.index)
                delta, se = _paired_delta(ref, other)
                rows.append(
                    {
                        "set": name,
                        "reference": reference,
                        "outcome": outcome,
                        "model": model,
                        "r2": self.r2(name, outcome, model),
                        "r2_reference": self.r2(reference, outcome, model),
                        "delta_r2": delta,
                        "se": se,
                        "z": delta / se if se > 0 else np.nan,
                    }
                )
        return pd.DataFrame(
            rows, columns=["set", "reference", "outcome", "model", "r2", "r2_reference", "delta_r2", "se", "z"]
        )

    def summary(self) -> Summary:
        """One row per set (:meth:`to_frame`)."""
        return frame_summary("indicator sets compared", self.to_frame(), values=dict(self.settings))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def compare_indicator_sets(
    data: Dataset | pd.DataFrame,
    sets: Mapping[str, IndicatorSet] | SetsLike,
    *,
    weights: str | WeightFunction = "default",
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    folds: int = 5,
    bootstrap: int = 200,
    seed: int = 0,
    executor: Any = None,
) -> ComparisonResult:
    """Compare indicator sets on the same managers, quarters, folds and bootstrap resamples.

    ``data``: a :class:`Dataset` (each set's indicators are computed from it;
    use :func:`calibrate.load_dataset_for_sets` when a set reads a new
    column) or a ready panel holding every indicator id. ``sets``: name -> set,
    or a list of template names / YAML paths. ``weights``: one of
    :data:`WEIGHTINGS` or a callable (see the module docstring). ``outcomes``:
    next-quarter outcome columns of the panel (log revenue growth; retention
    0-1). ``folds``: 2 to the number of managers. ``bootstrap``: resamples of
    managers for the stability figures (0 to skip them). ``seed``: fixes the
    folds and the resamples; the figures of a set do not depend on which other
    sets are compared. ``executor`` (anything with ``map``, e.g. a Dask client's
    executor, see :mod:`calibrate.distributed`) refits the bootstrap resamples
    elsewhere, in batches of :data:`RESAMPLES_PER_TASK`; each batch runs on one
    BLAS thread wherever it runs, so the result is identical to ``executor=None``.
    """
    named = load_sets(sets)
    weighting = _check_weighting(weights)
    folds, bootstrap, seed = _check_int(folds, "folds", 2), _check_int(bootstrap, "bootstrap", 0), int(seed)
    panels = set_panels(data, named)
    first = next(iter(panels.values()))
    outcomes = outcome_columns(first, outcomes)
    for name, panel in panels.items():
        if not panel.index.equals(first.index):
            raise CalibrateError(f"indicator set '{name}' gives a panel with other rows than the first set")
    design = _Design(first, outcomes, folds, bootstrap, seed)
    parts = []
    for name, iset in named.items():
        try:
            parts.append(_evaluate(name, iset, panels[name], design, weighting, executor))
        except ConfigError as exc:
            raise ConfigError(f"indicator set '{name}': {exc}") from None
        except CalibrateError as exc:
            raise CalibrateError(f"indicator set '{name}': {exc}") from None
    labels = pd.DataFrame(
        {
            "set": list(named),
            "label_zh": [s.label("zh") for s in named.values()],
            "label_en": [s.label("en") for s in named.values()],
        }
    )
    settings = {
        "weights": _weighting_name(weighting),
        "outcomes": list(outcomes),
        "folds": folds,
        "bootstrap": bootstrap,
        "seed": seed,
        "managers": design.n_managers,
        "rows": len(first),
    }
    return ComparisonResult(
        per_set=pd.DataFrame([p["summary"] for p in parts]),
        validity=pd.concat([p["validity"] for p in parts], ignore_index=True),
        weights=pd.concat([p["weights"] for p in parts], ignore_index=True),
        predictions=pd.concat([p["predictions"] for p in parts], ignore_index=True),
        labels=labels,
        settings=settings,
    )


# --------------------------------------------------------------------------- shared design


class _Design:
    """Rows, folds and bootstrap resamples shared by every set (a paired comparison)."""

    def __init__(self, panel: pd.DataFrame, outcomes: list[str], folds: int, bootstrap: int, seed: int):
        managers = panel.index.get_level_values("manager_id").astype(str)
        periods = panel.index.get_level_values("period").astype(str)
        self.manager_names, self.manager = np.unique(np.asarray(managers), return_inverse=True)
        self.period_names, self.period = np.unique(np.asarray(periods), return_inverse=True)
        self.n_managers = len(self.manager_names)
        if self.n_managers < folds:
            raise CalibrateError(
                f"{folds} folds need at least {folds} managers; the data has {self.n_managers}: lower 'folds'"
            )
        self.outcomes = outcomes
        self.y = {o: panel[o].to_numpy(dtype=float) for o in outcomes}
        for o, y in self.y.items():
            if np.isfinite(y).sum() < 10:
                raise CalibrateError(
                    f"outcome {o} is known for only {int(np.isfinite(y).sum())} manager-quarters; "
                    f"the comparison needs at least 10 (two or more consecutive quarters per "
                    f"manager; retention needs customers_start and customers_lost), or leave "
                    f"{o} out of 'outcomes'"
                )
        self.fold = grouped_folds(self.manager, folds, seed)
        self.folds = folds
        self.rows_of = [np.flatnonzero(self.manager == m) for m in range(self.n_managers)]
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        self.draws = rng.integers(0, self.n_managers, size=(bootstrap, self.n_managers))

    def resample(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of resample ``b`` and a group code per row (each draw its own manager)."""
        picks = self.draws[b]
        rows = np.concatenate([self.rows_of[m] for m in picks])
        groups = np.repeat(np.arange(len(picks)), [len(self.rows_of[m]) for m in picks])
        return rows, groups


def grouped_folds(groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold number (0 .. folds - 1) of each row; all rows of a group (manager) share one fold.

    Our own rule, so the folds do not change with the scikit-learn version: the
    groups are taken in a random order fixed by ``seed`` (``SeedSequence(seed)``'s
    first child stream, one ``random`` double per group, ties by group code) and
    each goes to the fold with the fewest rows so far (ties: the lowest fold
    number). Fold sizes in rows then differ by at most the largest group.

    >>> grouped_folds(np.array([0, 0, 1, 2, 2, 2, 3]), folds=2, seed=0).tolist()
    [1, 1, 1, 0, 0, 0, 0]
    """
    groups = np.asarray(groups, dtype=np.int64)
    sizes = np.bincount(groups)
    keys = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0]).random(len(sizes))
    rows_in = np.zeros(folds, dtype=np.int64)
    fold_of_group = np.full(len(sizes), -1, dtype=np.int64)
    for g in np.argsort(keys, kind="stable"):
        if sizes[g]:
            k = int(np.argmin(rows_in))
            fold_of_group[g] = k
            rows_in[k] += sizes[g]
    return fold_of_group[groups]


@dataclass(frozen=True)
class _Fit:
    """Normalisation and weights learnt from some rows; scores any rows."""

    mean: np.ndarray
    sd: np.ndarray
    sign: np.ndarray
    weights: np.ndarray

    def z(self, x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(self.sd) & (self.sd > 0)
        z = (x - self.mean) / np.where(ok, self.sd, 1.0) * self.sign
        z[:, ~ok] = 0.0
        return np.nan_to_num(z, nan=0.0)

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.z(x) @ self.weights


# --------------------------------------------------------------------------- one set


@dataclass(frozen=True)
class _SetWork:
    """What fitting one set on some rows needs; a plain object, so a batch of resamples can run in a worker."""

    iset: IndicatorSet
    panel: pd.DataFrame
    x: np.ndarray
    sign: np.ndarray
    fixed: np.ndarray | None
    weighting: str | WeightFunction
    design: _Design

    def fit(self, rows: np.ndarray, groups: np.ndarray) -> _Fit:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, sd = np.nanmean(self.x[rows], axis=0), np.nanstd(self.x[rows], axis=0)
        w = (
            self.fixed
            if self.fixed is not None
            else _learn_weights(self.weighting, self.iset, self.panel, self.x, rows, groups, self.design)
        )
        return _Fit(mean, sd, self.sign, w)


# Bootstrap resamples refitted per task when an executor is given (and per batch locally: the same batches).
RESAMPLES_PER_TASK = 25


def _resample_batch(task: tuple[_SetWork, np.ndarray, int, int]) -> tuple[np.ndarray, list[float]]:
    """Weights and rank correlation with the full data of resamples ``start .. stop - 1`` (one BLAS thread)."""
    work, full_rank, start, stop = task
    design = work.design
    weights, rho = [], []
    with single_thread():
        for b in range(start, stop):
            rows, groups = design.resample(b)
            f = work.fit(rows, groups)
            weights.append(f.weights)
            rho.append(spearman(full_rank, _manager_means(f.score(work.x), design.manager, design.n_managers)))
    return np.array(weights).reshape(len(weights), work.x.shape[1]), rho


def _evaluate(
    name: str,
    iset: IndicatorSet,
    panel: pd.DataFrame,
    design: _Design,
    weighting: str | WeightFunction,
    executor: Any = None,
) -> dict[str, Any]:
    ids = list(iset.ids)
    x = panel[ids].to_numpy(dtype=float)
    empty = [i for k, i in enumerate(ids) if not np.isfinite(x[:, k]).any()]
    if empty:
        raise CalibrateError(
            f"indicator(s) {', '.join(empty)} have no values in the data; check the "
            f"column or survey/360 criterion they read"
        )
    sign = np.array([1.0 if ind.higher_is_better else -1.0 for ind in iset.indicators])
    work = _SetWork(iset, panel, x, sign, _fixed_weights(iset, weighting), weighting, design)
    fit = work.fit

    validity, predictions = _validity(name, x, fit, design)
    everyone = np.arange(len(panel))
    full = fit(everyone, design.manager)
    full_scores = full.score(x)
    full_rank = _manager_means(full_scores, design.manager, design.n_managers)
    n_boot = len(design.draws)
    tasks = [
        (work, full_rank, start, min(start + RESAMPLES_PER_TASK, n_boot))
        for start in range(0, n_boot, RESAMPLES_PER_TASK)
    ]
    batches = (
        list(executor.map(_resample_batch, tasks)) if executor is not None else [_resample_batch(t) for t in tasks]
    )
    boot_w = np.concatenate([w for w, _ in batches]) if batches else np.empty((0, len(ids)))
    boot_rho = [r for _, rhos in batches for r in rhos]
    weights = _weight_table(name, iset, full.weights, boot_w)
    redundancy = indicator_redundancy(panel, ids)
    scores = pd.Series(full_scores, index=panel.index)
    summary: dict[str, Any] = {"set": name, "n_indicators": len(ids), "weights": _weighting_name(weighting)}
    for o in design.outcomes:
        for model in MODELS:
            summary[f"r2_{model}_{o}"] = float(
                validity.loc[(validity["outcome"] == o) & (validity["model"] == model), "r2"].iloc[0]
            )
    pair = redundancy.max_corr_pair
    summary.update(
        {
            "weight_sd": float(weights["boot_sd"].mean()),
            "weight_order_kept": _order_kept(full.weights, boot_w),
            "rank_stability_bootstrap": float(np.nanmean(boot_rho)) if boot_rho else np.nan,
            "rank_stability_periods": rank_stability_over_periods(scores),
            "max_abs_corr": redundancy.max_abs_corr,
            "max_corr_pair": f"{pair[0]} ~ {pair[1]}" if pair else "",
            "max_vif": redundancy.max_vif,
            "max_vif_indicator": redundancy.max_vif_indicator or "",
            "n_rows": len(panel),
            "n_managers": design.n_managers,
        }
    )
    return {"summary": summary, "validity": validity, "weights": weights, "predictions": predictions}


def _validity(
    name: str, x: np.ndarray, fit: Callable[[np.ndarray, np.ndarray], _Fit], design: _Design
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Out-of-sample predictions per fold, then pooled R^2 per outcome and model."""
    pred = {(o, m): np.full(len(x), np.nan) for o in design.outcomes for m in MODELS}
    base = {o: np.full(len(x), np.nan) for o in design.outcomes}
    for k in range(design.folds):
        train_rows = np.flatnonzero(design.fold != k)
        f = fit(train_rows, design.manager[train_rows])
        for o in design.outcomes:
            y = design.y[o]
            known = np.isfinite(y)
            tr = np.flatnonzero((design.fold != k) & known)
            te = np.flatnonzero((design.fold == k) & known)
            if not len(te):
                continue
            q_tr, q_te = design.period[tr], design.period[te]
            n_q = len(design.period_names)
            base[o][te] = _within_means(y[tr][:, None], q_tr, n_q)[q_te, 0]
            pred[(o, "composite")][te] = _fixed_effects_predict(
                f.score(x[tr])[:, None], y[tr], q_tr, f.score(x[te])[:, None], q_te, n_q
            )
            pred[(o, "indicators")][te] = _fixed_effects_predict(f.z(x[tr]), y[tr], q_tr, f.z(x[te]), q_te, n_q)
    rows, frames = [], []
    for o in design.outcomes:
        y = design.y[o]
        known = np.isfinite(y) & np.isfinite(base[o])
        for m in MODELS:
            r2, se = _r2_clustered(y[known], base[o][known], pred[(o, m)][known], design.manager[known])
            rows.append(
                {
                    "set": name,
                    "outcome": o,
                    "model": m,
                    "r2": r2,
                    "r2_se": se,
                    "n_rows": int(known.sum()),
                    "n_managers": int(len(np.unique(design.manager[known]))),
                }
            )
            frames.append(
                pd.DataFrame(
                    {
                        "set": name,
                        "outcome": o,
                        "model": m,
                        "manager_id": design.manager_names[design.manager[known]],
                        "period": design.period_names[design.period[known]],
                        "fold": design.fold[known],
                        "observed": y[known],
                        "baseline": base[o][known],
                        "predicted": pred[(o, m)][known],
                    }
                )
            )
    return pd.DataFrame(rows), pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- weights


def _check_weighting(weights: str | WeightFunction) -> str | WeightFunction:
    if callable(weights):
        return weights
    if not isinstance(weights, str) or weights not in WEIGHTINGS:
        raise ConfigError(
            f"weights {weights!r} is not one of {', '.join(WEIGHTINGS)} "
            f"(or a function of (panel, indicator_set) returning weights)"
        )
    return weights


def _weighting_name(weighting: str | WeightFunction) -> str:
    return weighting if isinstance(weighting, str) else getattr(weighting, "__name__", "custom")


def _fixed_weights(iset: IndicatorSet, weighting: str | WeightFunction) -> np.ndarray | None:
    if weighting == "equal":
        return np.full(len(iset), 1.0 / len(iset))
    if weighting == "default":
        missing = [i.id for i in iset.indicators if i.weight is None]
        if missing:
            raise ConfigError(
                f"no template weight for {', '.join(missing)}: write a 'weight' for every "
                f"indicator in the YAML, or compare with weights='equal' (or entropy, critic, "
                f"importance)"
            )
        return iset.default_weights().reindex(list(iset.ids)).to_numpy(dtype=float)
    return None


def _learn_weights(
    weighting: str | WeightFunction,
    iset: IndicatorSet,
    panel: pd.DataFrame,
    x: np.ndarray,
    rows: np.ndarray,
    groups: np.ndarray,
    design: _Design,
) -> np.ndarray:
    ids = list(iset.ids)
    if weighting in ("entropy", "critic"):
        means = _group_nanmean(x[rows], groups)
        frame = pd.DataFrame(means, columns=ids)
        frame = frame.fillna(frame.mean())
        method = entropy_weights if weighting == "entropy" else critic_weights
        w = method(frame, ids, iset.directions(), source="manager means").weights
        return w.reindex(ids).to_numpy(dtype=float)
    if weighting == "importance":
        shares = []
        for o in design.outcomes:
            y = design.y[o][rows]
            known = np.isfinite(y)
            period, n_q = design.period[rows][known], len(design.period_names)
            values = pd.DataFrame(x[rows][known], columns=ids)
            values = values.fillna(values.mean()).to_numpy()
            frame = pd.DataFrame(values - _within_means(values, period, n_q)[period], columns=ids)
            frame["_outcome"] = y[known] - _within_means(y[known][:, None], period, n_q)[period, 0]
            res = relative_weights(frame, "_outcome", ids, source=f"{o} (quarter means removed)")
            shares.append(res.normalised.reindex(ids).to_numpy(dtype=float))
        return np.mean(shares, axis=0)
    given = weighting(panel.iloc[rows], iset)
    return _checked_weights(given, ids, _weighting_name(weighting))


def _checked_weights(given: Any, ids: list[str], source: str) -> np.ndarray:
    try:
        series = pd.Series(given, dtype=float) if not isinstance(given, pd.Series) else given.astype(float)
    except (TypeError, ValueError):
        raise CalibrateError(
            f"weight function {source} must return a number per indicator id "
            f"(a dict or pandas Series), got {type(given).__name__}"
        ) from None
    missing = [i for i in ids if i not in series.index]
    if missing:
        raise CalibrateError(f"weight function {source} gave no weight for {', '.join(missing)}")
    w = series.reindex(ids).to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise CalibrateError(
            f"weight function {source} returned negative or missing weights "
            f"({dict(zip(ids, np.round(w, 4)))}); weights must be numbers >= 0"
        )
    if not w.sum() > 0:
        raise CalibrateError(f"weight function {source} returned weights that sum to 0")
    return w / w.sum()


def _weight_table(name: str, iset: IndicatorSet, full: np.ndarray, boot: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "set": name,
            "indicator": list(iset.ids),
            "label_zh": [i.label("zh") for i in iset.indicators],
            "label_en": [i.label("en") for i in iset.indicators],
            "weight": full,
        }
    )
    if len(boot):
        frame["boot_mean"] = boot.mean(axis=0)
        sd = boot.std(axis=0, ddof=1) if len(boot) > 1 else np.full(boot.shape[1], np.nan)
        frame["boot_sd"] = np.where(np.ptp(boot, axis=0) == 0, 0.0, sd)  # fixed weights: exactly 0
        frame["boot_low"] = np.quantile(boot, 0.025, axis=0)
        frame["boot_high"] = np.quantile(boot, 0.975, axis=0)
    else:
        for c in ("boot_mean", "boot_sd", "boot_low", "boot_high"):
            frame[c] = np.nan
    return frame


def _order_kept(full: np.ndarray, boot: np.ndarray) -> float:
    """Share of resamples ranking the indicators by weight exactly as the full data (ties share a rank)."""
    if not len(boot):
        return float("nan")
    ranks = pd.DataFrame(boot).rank(axis=1, method="min").to_numpy()
    target = pd.Series(full).rank(method="min").to_numpy()
    return float(np.mean(np.all(ranks == target, axis=1)))


# --------------------------------------------------------------------------- numerics


def _group_nanmean(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Mean of each column within each group, ignoring NaN (NaN when a group has no value)."""
    _, codes = np.unique(groups, return_inverse=True)
    n = codes.max() + 1
    out = np.empty((n, x.shape[1]))
    for j in range(x.shape[1]):
        ok = np.isfinite(x[:, j])
        total = np.bincount(codes[ok], weights=x[ok, j], minlength=n)
        count = np.bincount(codes[ok], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(count > 0, total / count, np.nan)
    return out


def _manager_means(scores: np.ndarray, manager: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(manager, weights=scores, minlength=n) / np.bincount(manager, minlength=n)


def _within_means(x: np.ndarray, period: np.ndarray, n: int) -> np.ndarray:
    """Column means per period (n x columns); a period without rows gets the overall mean."""
    count = np.bincount(period, minlength=n)
    out = np.empty((n, x.shape[1]))
    for j in range(x.shape[1]):
        total = np.bincount(period, weights=x[:, j], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(count > 0, total / count, x[:, j].mean())
    return out


def _fixed_effects_predict(
    x_train: np.ndarray,
    y_train: np.ndarray,
    q_train: np.ndarray,
    x_test: np.ndarray,
    q_test: np.ndarray,
    n_periods: int,
) -> np.ndarray:
    """Least squares of y on x with a quarter effect (within-quarter estimator), predicted on the test rows.

    Same slopes as the regression with one dummy per quarter: ``y_hat = mean_q(y) + (x - mean_q(x)) b``
    with the quarter means of the training rows.
    """
    x_bar = _within_means(x_train, q_train, n_periods)
    y_bar = _within_means(y_train[:, None], q_train, n_periods)[:, 0]
    coef, *_ = np.linalg.lstsq(x_train - x_bar[q_train], y_train - y_bar[q_train], rcond=None)
    return y_bar[q_test] + (x_test - x_bar[q_test]) @ coef


def _r2_clustered(y: np.ndarray, base: np.ndarray, pred: np.ndarray, manager: np.ndarray) -> tuple[float, float]:
    """Pooled R^2 = 1 - SSE / SS(baseline) and its manager-clustered delta-method standard error."""
    _, codes = np.unique(manager, return_inverse=True)
    a = np.bincount(codes, weights=(y - pred) ** 2)
    b = np.bincount(codes, weights=(y - base) ** 2)
    total = b.sum()
    if not total > 0:
        return float("nan"), float("nan")
    ratio = a.sum() / total
    u = (a - ratio * b) / total
    n = len(u)
    se = float(np.sqrt(n / (n - 1) * np.sum(u**2))) if n > 1 else float("nan")
    return float(1.0 - ratio), se


def _paired_delta(ref: pd.DataFrame, other: pd.DataFrame) -> tuple[float, float]:
    """R^2(other) - R^2(ref) on the same rows, with a manager-clustered delta-method standard error."""
    y, base = ref["observed"].to_numpy(), ref["baseline"].to_numpy()
    keep = np.isfinite(other["predicted"].to_numpy())
    manager = ref.index.get_level_values("manager_id").to_numpy()[keep]
    y, base = y[keep], base[keep]
    e_ref = (y - ref["predicted"].to_numpy()[keep]) ** 2
    e_other = (y - other["predicted"].to_numpy()[keep]) ** 2
    _, codes = np.unique(manager, return_inverse=True)
    gain = np.bincount(codes, weights=e_ref - e_other)
    b = np.bincount(codes, weights=(y - base) ** 2)
    total = b.sum()
    delta = gain.sum() / total
    u = (gain - delta * b) / total
    n = len(u)
    return float(delta), float(np.sqrt(n / (n - 1) * np.sum(u**2))) if n > 1 else float("nan")


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be a whole number of at least {low}, got {value!r}")
    return int(value)


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise CalibrateError(f"{name} '{value}' is not one of {', '.join(allowed)}")
