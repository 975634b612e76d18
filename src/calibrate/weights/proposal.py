"""The one-call weight proposal: every method, the blend within the rules, bootstrap intervals.

>>> ds = load_dataset("data/sample/calibrate.yaml")                          # doctest: +SKIP
>>> result = propose_weights(ds, bootstrap=200, seed=1)                      # doctest: +SKIP
>>> result.to_frame()                                                        # doctest: +SKIP

Sources of weights
------------------
* ``evidence``: what predicts next quarter's revenue growth and retention
  (:mod:`.regression`: LMG importance, wrong-sign effects zeroed), blended with
  ``evidence_shares``;
* ``ahp``: the experts' pairwise judgments, aggregated over the panel (AIJ,
  geometric mean of the judgments; :mod:`.ahp`). Judgments that compare
  dimensions (or carry a ``parent`` column) are hierarchical: dimensions, then
  indicators within each dimension, global priorities as the weights
  (:mod:`.ahp_hierarchy`), so sets of any size get AHP weights; the flat format
  (every pair of indicators in one matrix) works as before for up to 15;
* ``baseline``: a data-only method (``critic``, ``entropy`` or ``equal``;
  :mod:`.baselines`) computed on each manager's mean indicator values over the
  latest :data:`PROFILE_QUARTERS` quarters.

The proposal is the closest admissible weight vector to
``shares.evidence * evidence + shares.ahp * ahp + shares.baseline * baseline``
(:mod:`.blend`); its intervals come from :mod:`.uncertainty`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError, ConfigError
from calibrate.indicators import IndicatorSet
from calibrate.keys import Key, Section
from calibrate.memory import release_unused_memory
from calibrate.notes import MethodWarning, code_of, params_of
from calibrate.results import Summary, frame_summary
from calibrate.weights.ahp import AHPPanelResult, ahp_panel
from calibrate.weights.ahp_hierarchy import (
    HierarchicalAHPResult,
    ahp_hierarchy,
    indicator_hierarchy,
    is_hierarchical,
)
from calibrate.weights.ahp_input import _fmt_scale
from calibrate.weights.baselines import BaselineWeights, critic_weights, entropy_weights, equal_weights
from calibrate.weights.blend import BlendResult, blend, weight_constraints
from calibrate.weights.regression import (
    CONTROLS,
    DEFAULT_CONTROLS,
    EvidenceImportance,
    RegressionSuite,
    evidence_importance,
    outcome_regressions,
)
from calibrate.weights.uncertainty import BootstrapResult, bootstrap_inputs, bootstrap_weights, single_thread

__all__ = [
    "PROFILE_QUARTERS",
    "WeightSettings",
    "WeightProposal",
    "manager_profile",
    "propose_weights",
    "propose_from_config",
    "last_year_series",
    "METHOD_COLUMNS",
]

#: Baselines (entropy, CRITIC) use each manager's mean over the latest quarters.
PROFILE_QUARTERS = 4
#: Columns of the side-by-side methods table, in order.
METHOD_COLUMNS = (
    "equal",
    "entropy",
    "critic",
    "ahp",
    "lmg_revenue",
    "lmg_retention",
    "evidence",
    "proposal",
    "last_year",
)
_SHARE_KEYS = ("evidence", "ahp", "baseline")
_METHOD_NAMES = ("regression", "ahp", "entropy", "critic", "equal")


class _Default:
    """Marks an argument left out (where None is a meaningful value)."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()


@dataclass(frozen=True)
class WeightSettings:
    """The ``weights`` section of a run config, checked.

    ``shares``: weight of each source in the blend (``evidence``, ``ahp``,
    ``baseline``; non-negative, summing to 1). ``evidence_shares``: weight of
    each outcome in the evidence (``revenue_growth``, ``retention``).
    ``baseline``: ``critic``, ``entropy`` or ``equal``. ``max_change``: largest
    change of a weight from last year (0.05 = 5 points; ``None``: no cap).
    ``controls``: regression controls (see :mod:`.regression`). ``bootstrap``:
    resamples (0 = none). ``ci_level``: interval level in (0, 1).
    ``methods``: which methods to compute and show. ``weight_floor``: a proposed
    weight below this share is flagged in the reports (too small to steer behaviour).
    """

    shares: Mapping[str, float] = field(default_factory=lambda: {"evidence": 0.5, "ahp": 0.3, "baseline": 0.2})
    evidence_shares: Mapping[str, float] = field(default_factory=lambda: {"revenue_growth": 0.5, "retention": 0.5})
    baseline: str = "critic"
    max_change: float | None = 0.05
    controls: tuple[str, ...] = DEFAULT_CONTROLS
    bootstrap: int = 1000
    ci_level: float = 0.90
    methods: tuple[str, ...] = ("regression", "ahp", "entropy", "critic")
    weight_floor: float = 0.05

    def __post_init__(self) -> None:
        problems = []
        unknown = [k for k in self.shares if k not in _SHARE_KEYS]
        if unknown:
            problems.append(f"weights.shares: unknown source(s) {', '.join(unknown)} (use {', '.join(_SHARE_KEYS)})")
        values = {k: self.shares.get(k, 0) for k in _SHARE_KEYS}
        if any(not isinstance(v, (int, float)) or not v >= 0 for v in values.values()):
            problems.append(f"weights.shares must be numbers >= 0, got {dict(self.shares)}")
        elif abs(sum(values.values()) - 1) > 1e-6:
            problems.append(
                f"weights.shares must add up to 1; they add up to {sum(values.values()):.4f} "
                f"({', '.join(f'{k} {v:g}' for k, v in values.items())})"
            )
        if self.baseline not in ("critic", "entropy", "equal"):
            problems.append(f"weights.baseline must be critic, entropy or equal, got {self.baseline!r}")
        bad_methods = [m for m in self.methods if m not in _METHOD_NAMES]
        if bad_methods:
            problems.append(
                f"weights.methods: unknown method(s) {', '.join(bad_methods)} (use {', '.join(_METHOD_NAMES)})"
            )
        if values.get("evidence", 0) > 0 and "regression" not in self.methods:
            problems.append("weights.shares.evidence is above 0 but 'regression' is not in weights.methods")
        if values.get("ahp", 0) > 0 and "ahp" not in self.methods:
            problems.append("weights.shares.ahp is above 0 but 'ahp' is not in weights.methods")
        if values.get("baseline", 0) > 0 and self.baseline != "equal" and self.baseline not in self.methods:
            problems.append(f"weights.baseline is {self.baseline} but it is not in weights.methods")
        if self.max_change is not None and (
            not isinstance(self.max_change, (int, float)) or not 0 <= self.max_change <= 1
        ):
            problems.append(
                f"weights.max_change must be a share between 0 and 1 (0.05 = 5 points) or null, got {self.max_change!r}"
            )
        if not isinstance(self.bootstrap, int) or self.bootstrap < 0 or self.bootstrap == 1:
            problems.append(
                f"weights.bootstrap must be 0 (no intervals) or a whole number of resamples >= 2, "
                f"got {self.bootstrap!r}"
            )
        if not isinstance(self.ci_level, (int, float)) or not 0 < self.ci_level < 1:
            problems.append(f"weights.ci_level must be between 0 and 1 (e.g. 0.9), got {self.ci_level!r}")
        if (
            isinstance(self.weight_floor, bool)
            or not isinstance(self.weight_floor, (int, float))
            or not 0 <= self.weight_floor < 1
        ):
            problems.append(
                f"weights.weight_floor must be a share between 0 and 1 (0.05 = 5%), got {self.weight_floor!r}"
            )
        bad_controls = [c for c in self.controls if c not in CONTROLS]
        if bad_controls:
            problems.append(
                f"weights.controls: unknown control(s) {', '.join(bad_controls)} (use {', '.join(CONTROLS)})"
            )
        if problems:
            raise ConfigError("\n".join(problems))

    @classmethod
    def from_config(cls, section: Mapping) -> WeightSettings:
        """From a config's ``weights`` dict; missing keys take the defaults above (written only there)."""
        s = dict(section)
        allowed = ", ".join(sorted(f.name for f in fields(cls)))
        unknown = [f"weights: unknown key '{k}' (allowed: {allowed})" for k in s if k not in allowed.split(", ")]
        if unknown:
            raise ConfigError("\n".join(unknown))
        kwargs: dict[str, Any] = {}
        if "shares" in s:
            if not isinstance(s["shares"], Mapping):
                raise ConfigError(
                    "weights.shares must map evidence, ahp and baseline to shares, e.g. "
                    "{evidence: 0.5, ahp: 0.3, baseline: 0.2}"
                )
            kwargs["shares"] = dict(s["shares"])
        if s.get("evidence_shares") is not None:
            if not isinstance(s["evidence_shares"], Mapping):
                raise ConfigError("weights.evidence_shares must map revenue_growth and retention to shares")
            kwargs["evidence_shares"] = dict(s["evidence_shares"])
        if "controls" in s:
            controls = s["controls"]
            controls = [controls] if isinstance(controls, str) else list(controls or [])
            kwargs["controls"] = tuple(str(c) for c in controls)
        if "methods" in s:
            kwargs["methods"] = tuple(str(m) for m in (s["methods"] or ()))
        if "baseline" in s:
            kwargs["baseline"] = str(s["baseline"])
        for key, value in s.items():  # every other setting as given (checked below)
            if key not in kwargs and key not in ("shares", "evidence_shares", "controls", "methods"):
                kwargs[key] = value
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a config's ``weights`` section (plain lists and dicts)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = (
                dict(value) if isinstance(value, Mapping) else list(value) if isinstance(value, tuple) else value
            )
        return out


_SHARE: dict[str, Any] = {"ge": 0.0, "le": 1.0}
#: The ``weights`` keys as a run config writes them: type, bounds, meaning (defaults: the fields above).
WEIGHT_KEYS = {
    "shares": Key(
        {
            "evidence": Key(float, "share of the evidence (regression) weights in the blend", **_SHARE),
            "ahp": Key(float, "share of the experts' AHP weights in the blend", **_SHARE),
            "baseline": Key(float, "share of the data baseline (entropy/CRITIC/equal) in the blend", **_SHARE),
        },
        "weight of each source in the blend, adding up to 1 (a source left out has share 0)",
        merged=False,
    ),
    "evidence_shares": Key(
        {
            "revenue_growth": Key(float, "weight of next quarter's revenue growth", **_SHARE),
            "retention": Key(float, "weight of next quarter's customer retention", **_SHARE),
        },
        "weight of each outcome in the evidence weights, adding up to 1",
        merged=False,
    ),
    "baseline": Key(Literal["critic", "entropy", "equal"], "data-only method of the baseline weights"),
    "max_change": Key(
        float | None, "largest change of one weight from last year (0.05 = 5 points); null: no cap", **_SHARE
    ),
    "controls": Key(str | list[str], "regression controls (see calibrate.weights.regression.CONTROLS)"),
    "bootstrap": Key(int, "bootstrap resamples of managers for the intervals: 0 (none) or at least 2", ge=0),
    "ci_level": Key(float, "level of the bootstrap intervals", gt=0, lt=1),
    "methods": Key(
        list[Literal["regression", "ahp", "entropy", "critic", "equal"]],
        "methods computed and shown; every source with a share above 0 needs its method",
    ),
    "weight_floor": Key(
        float, "a proposed weight below this share is flagged as too small to steer behaviour", ge=0, lt=1
    ),
}
WEIGHTS_SECTION = Section(
    "weights",
    "weight methods, blend shares, change cap, bootstrap (calibrate.weights.proposal)",
    WeightSettings().to_dict(),
    WEIGHT_KEYS,
    WeightSettings,
    WeightSettings.from_config,
)


def manager_profile(
    panel: pd.DataFrame, indicator_set: IndicatorSet, *, quarters: int = PROFILE_QUARTERS
) -> pd.DataFrame:
    """Each manager's mean indicator values over the latest ``quarters`` quarters of the panel.

    One row per manager (index ``manager_id``) with every indicator present;
    managers missing an indicator in all those quarters are left out.
    """
    ids = list(indicator_set.ids)
    frame = panel[ids].reset_index()  # the indicators only: not a copy of the whole panel
    periods = sorted(frame["period"].astype(str).unique(), key=lambda q: (q[:4], q[-1]))[-quarters:]
    recent = frame[frame["period"].astype(str).isin(periods)]
    profile = recent.groupby(recent["manager_id"].astype(str))[ids].mean().dropna()
    del frame, recent
    release_unused_memory()  # the copies are freed: give their pages back (calibrate.memory)
    return profile


def last_year_series(table: pd.DataFrame | None, indicator_set: IndicatorSet) -> tuple[pd.Series | None, list[str]]:
    """Last year's weights as a Series over this year's indicators (new ones at 0), with notes."""
    if table is None:
        return None, [
            MethodWarning(
                "last_year.none", "no last-year weights were given, so there is no change cap and no comparison"
            )
        ]
    s = pd.Series(table["weight"].to_numpy(dtype=float), index=table["indicator"].astype(str))
    notes = []
    dropped = [i for i in s.index if i not in indicator_set.ids]
    if dropped:
        notes.append(
            MethodWarning(
                "last_year.dropped",
                f"last year's indicator(s) {', '.join(dropped)} are not in "
                f"this year's set (their weight {s[dropped].sum():.2f} goes to the others)",
                indicators=dropped,
                weight=float(s[dropped].sum()),
            )
        )
    new = [i for i in indicator_set.ids if i not in s.index]
    if new:
        notes.append(
            MethodWarning(
                "last_year.new", f"indicator(s) {', '.join(new)} are new this year (last year 0)", indicators=new
            )
        )
    return s.reindex(list(indicator_set.ids)).fillna(0.0).rename("last_year"), notes


@dataclass(frozen=True)
class WeightProposal:
    """Everything behind a weight proposal, and the proposal itself.

    ``weights`` sum to 1; ``bootstrap`` is None when ``settings.bootstrap`` is 0.
    """

    indicator_set: IndicatorSet
    settings: WeightSettings
    blend: BlendResult
    evidence: EvidenceImportance | None
    regressions: RegressionSuite | None
    ahp: AHPPanelResult | HierarchicalAHPResult | None
    baselines: Mapping[str, BaselineWeights]
    bootstrap: BootstrapResult | None
    profile: pd.DataFrame
    warnings: tuple[str, ...]
    seed: int
    warning_sources: tuple[str, ...] = ()
    """Parallel to ``warnings``: regression, evidence, ahp, last_year or bootstrap."""

    def warnings_frame(self) -> pd.DataFrame:
        """Every warning with the part of the analysis it comes from: ``source``, ``message`` (English),
        ``code`` and ``params`` (JSON) for the page language's words (``method_warnings.<code>``)."""
        sources = list(self.warning_sources) + ["other"] * (len(self.warnings) - len(self.warning_sources))
        return pd.DataFrame(
            {
                "source": sources,
                "message": [str(w) for w in self.warnings],
                "code": [code_of(w) for w in self.warnings],
                "params": [params_of(w) for w in self.warnings],
            },
            columns=["source", "message", "code", "params"],
        )

    @property
    def weights(self) -> pd.Series:
        return self.blend.weights

    def sources(self) -> dict[str, pd.Series]:
        """Every method's weights over the indicators (a method not computed is absent)."""
        out: dict[str, pd.Series] = {}
        for name, b in self.baselines.items():
            out[name] = b.weights
        if self.ahp is not None:
            out["ahp"] = self.ahp.aij.priorities.rename("ahp")
        if self.evidence is not None:
            t = self.evidence.table
            out["lmg_revenue"] = t["lmg_revenue"]
            out["lmg_retention"] = t["lmg_retention"]
            out["evidence"] = t["evidence"]
        return out

    def methods_frame(self) -> pd.DataFrame:
        """Every method's weights side by side with the proposal and last year's weights."""
        ids = list(self.indicator_set.ids)
        frame = pd.DataFrame(index=pd.Index(ids, name="indicator"))
        sources = self.sources()
        for col in METHOD_COLUMNS:
            if col == "proposal":
                frame[col] = self.weights.reindex(ids).to_numpy()
            elif col == "last_year":
                frame[col] = self.blend.last_year.reindex(ids).to_numpy()
            elif col in sources:
                frame[col] = sources[col].reindex(ids).to_numpy(dtype=float)
        return frame.reset_index()

    def regression_frame(self) -> pd.DataFrame:
        """Every model's coefficients (see :meth:`RegressionResult.to_frame`) with bootstrap intervals
        ``boot_low``/``boot_high`` for the growth OLS and retention GLM when bootstrapped."""
        if self.regressions is None:
            return pd.DataFrame()
        frame = self.regressions.to_frame()
        frame["boot_low"] = np.nan
        frame["boot_high"] = np.nan
        if self.bootstrap is not None:
            ci = self.bootstrap.coefficient_frame().set_index(["model", "indicator"])
            keys = pd.MultiIndex.from_arrays([frame["model"], frame["indicator"]])
            frame["boot_low"] = ci["ci_low"].reindex(keys).to_numpy()
            frame["boot_high"] = ci["ci_high"].reindex(keys).to_numpy()
        return frame

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """The proposal table: indicator, label, dimension, weight, ci_low, ci_high, last_year, change,
        data_source, review_period, binding (codes), and the indicator and dimension labels of the indicator
        set in ``lang``; the words for the source and period codes are the application's (the catalogue)."""
        iset = self.indicator_set
        ids = list(iset.ids)
        lo = hi = pd.Series(np.nan, index=ids)
        if self.bootstrap is not None and "proposal" in self.bootstrap.draws:
            ci = self.bootstrap.interval("proposal").reindex(ids)
            lo, hi = ci["ci_low"], ci["ci_high"]
        b = self.blend
        return pd.DataFrame(
            {
                "indicator": ids,
                "label": [iset[i].label(lang) for i in ids],
                "dimension": [iset[i].dimension for i in ids],
                "weight": b.weights.reindex(ids).to_numpy(),
                "ci_low": lo.to_numpy(dtype=float),
                "ci_high": hi.to_numpy(dtype=float),
                "last_year": b.last_year.reindex(ids).to_numpy(),
                "change": b.change.reindex(ids).to_numpy(),
                "data_source": [iset[i].source for i in ids],
                "review_period": [iset[i].review_period for i in ids],
                "binding": b.binding.reindex(ids).to_numpy(),
                "dimension_label": [iset.dimension(iset[i].dimension).label(lang) for i in ids],
            }
        )

    def summary_text(self) -> str:
        frame = self.to_frame()
        lines = [
            f"weight proposal for {self.indicator_set.name} ({len(frame)} indicators); shares "
            + ", ".join(f"{k} {v:g}" for k, v in self.settings.shares.items())
            + f"; baseline {self.settings.baseline}; max change "
            + ("none" if self.settings.max_change is None else f"{self.settings.max_change:g}")
        ]
        width = max(len(i) for i in frame["indicator"])
        for _, r in frame.iterrows():
            ci = "" if np.isnan(r["ci_low"]) else f"  [{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
            lines.append(
                f"  {r['indicator']:<{width}}  {r['weight']:.3f}{ci}  last year {r['last_year']:.3f} "
                f"({r['change']:+.3f}){'  ' + r['binding'] if r['binding'] else ''}"
            )
        lines += [f"  ! {w}" for w in self.warnings]
        return "\n".join(lines)

    def summary(self) -> Summary:
        """The proposed weights per indicator; str() gives the text form."""
        return frame_summary(
            f"weight proposal for {self.indicator_set.name}",
            self.to_frame(),
            notes=list(self.warnings),
            text=self.summary_text(),
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def propose_weights(
    ds,
    *,
    shares: Mapping[str, float] | None = None,
    evidence_shares: Mapping[str, float] | None = None,
    baseline: str | None = None,
    max_change: float | None | _Default = DEFAULT,
    controls: Sequence[str] | None = None,
    bootstrap: int | None = None,
    seed: int = 0,
    level: float | None = None,
    methods: Sequence[str] | None = None,
    mixed: bool = True,
    panel: pd.DataFrame | None = None,
    lang: str = "en",
    executor: Any = None,
) -> WeightProposal:
    """Run every weight method on a :class:`~calibrate.dataset.Dataset`, blend them and bootstrap the result.

    Settings left out take the defaults of :class:`WeightSettings` (shares
    ``{"evidence": 0.5, "ahp": 0.3, "baseline": 0.2}``, CRITIC baseline, 5-point
    change cap, 1000 resamples, 90% intervals); ``max_change=None`` removes the cap.
    ``mixed=False`` skips the (slower) mixed model, which only serves as a
    diagnostic. ``panel`` reuses an already built indicator panel.
    ``lang`` only affects dimension names in error messages. ``executor`` (see
    :mod:`calibrate.distributed`) computes the bootstrap's chunks elsewhere, with the same result.
    """
    given: dict[str, Any] = {
        "shares": shares,
        "evidence_shares": evidence_shares,
        "baseline": baseline,
        "controls": controls,
        "bootstrap": bootstrap,
        "ci_level": level,
        "methods": methods,
    }
    section = {k: v for k, v in given.items() if v is not None}
    if max_change is not DEFAULT:
        section["max_change"] = max_change
    settings = WeightSettings.from_config(section)
    return _propose(ds, settings, seed=seed, mixed=mixed, panel=panel, lang=lang, executor=executor)


def propose_from_config(
    ds,
    config,
    *,
    panel: pd.DataFrame | None = None,
    bootstrap: int | None = None,
    mixed: bool = True,
    executor: Any = None,
) -> WeightProposal:
    """The proposal a run config asks for (its ``weights`` section, ``seed`` and ``lang``)."""
    settings = WeightSettings.from_config(config.weights)
    if bootstrap is not None:
        settings = WeightSettings(**{**settings.__dict__, "bootstrap": int(bootstrap)})
    return _propose(ds, settings, seed=config.seed, mixed=mixed, panel=panel, lang=config.lang, executor=executor)


def _propose(
    ds, settings: WeightSettings, *, seed: int, mixed: bool, panel: pd.DataFrame | None, lang: str, executor: Any = None
) -> WeightProposal:
    with single_thread():
        return _propose_inner(ds, settings, seed=seed, mixed=mixed, panel=panel, lang=lang, executor=executor)


def _propose_inner(
    ds, settings: WeightSettings, *, seed: int, mixed: bool, panel: pd.DataFrame | None, lang: str, executor: Any = None
) -> WeightProposal:
    from calibrate.panel import indicator_panel

    iset = ds.indicator_set
    ids = list(iset.ids)
    panel = indicator_panel(ds) if panel is None else panel
    notes: list[str] = []
    kinds: list[str] = []

    def note(kind: str, messages) -> None:
        for m in messages:
            notes.append(m)
            kinds.append(kind)

    last, last_notes = last_year_series(ds.last_year_weights, iset)
    note("last_year", last_notes)
    constraints = weight_constraints(iset, last, max_change=settings.max_change, lang=lang)
    constraints.check_feasible()  # before any expensive work

    profile = manager_profile(panel, iset)
    baselines: dict[str, BaselineWeights] = {"equal": equal_weights(ids)}
    directions = iset.directions()
    for name, func in (("entropy", entropy_weights), ("critic", critic_weights)):
        if name in settings.methods or settings.baseline == name:
            baselines[name] = func(
                profile, ids, directions, source=f"managers' mean indicators (latest {PROFILE_QUARTERS} quarters)"
            )

    suite = evidence = None
    if "regression" in settings.methods:
        suite = outcome_regressions(panel, iset, controls=settings.controls, level=settings.ci_level, mixed=mixed)
        evidence = evidence_importance(suite, settings.evidence_shares)
        note("regression", suite.warnings)
        note("evidence", evidence.warnings)

    panel_result = None
    matrices = None
    if "ahp" in settings.methods:
        if ds.ahp_judgments is None:
            if settings.shares.get("ahp", 0) > 0:
                raise CalibrateError(
                    "weights.shares.ahp is above 0 but there are no AHP judgments: add "
                    "'ahp_judgments' under 'data' in the config, or set weights.shares.ahp to 0"
                )
            note("ahp", [MethodWarning("ahp.none", "no AHP judgments were given; the AHP method is skipped")])
        else:
            panel_result, matrices = _ahp(ds.ahp_judgments, iset, note)

    sources: dict[str, pd.Series] = {}
    if evidence is not None:
        sources["evidence"] = evidence.evidence
    if panel_result is not None:
        sources["ahp"] = panel_result.aij.priorities
    sources["baseline"] = baselines[settings.baseline].weights
    result = blend(sources, {k: settings.shares.get(k, 0.0) for k in _SHARE_KEYS}, constraints)

    boot = None
    if settings.bootstrap and suite is not None:
        inputs = bootstrap_inputs(suite, profile, matrices)
        boot = bootstrap_weights(
            inputs,
            resamples=settings.bootstrap,
            seed=seed,
            level=settings.ci_level,
            evidence_shares=settings.evidence_shares,
            shares={k: settings.shares.get(k, 0.0) for k in _SHARE_KEYS},
            baseline=settings.baseline,
            constraints=constraints,
            executor=executor,
        )
        if boot.failed:
            note(
                "bootstrap",
                [
                    MethodWarning(
                        "bootstrap.failed",
                        f"{boot.failed} of {boot.resamples} bootstrap "
                        "resamples could not be computed (too few distinct managers) and are "
                        "left out of the intervals",
                        failed=boot.failed,
                        resamples=boot.resamples,
                    )
                ],
            )
    elif settings.bootstrap:
        note(
            "bootstrap",
            [
                MethodWarning(
                    "bootstrap.needs_regression", "bootstrap intervals need the regression method; none were computed"
                )
            ],
        )
    return WeightProposal(
        indicator_set=iset,
        settings=settings,
        blend=result,
        evidence=evidence,
        regressions=suite,
        ahp=panel_result,
        baselines=baselines,
        bootstrap=boot,
        profile=profile,
        warnings=tuple(notes),
        seed=seed,
        warning_sources=tuple(kinds),
    )


def _judgment(worst) -> dict[str, Any]:
    """A judgment to revisit as warning params: the pair, the value given, the value the others imply."""
    if worst is None:
        return {"row": "", "col": "", "given": "", "implied": float("nan"), "suggested": ""}
    return {
        "row": str(worst.row),
        "col": str(worst.col),
        "given": _fmt_scale(worst.value),
        "implied": float(worst.consistent_value),
        "suggested": _fmt_scale(worst.suggested_value),
    }


def _ahp(
    judgments: pd.DataFrame, iset: IndicatorSet, note
) -> tuple[AHPPanelResult | HierarchicalAHPResult, dict[str, pd.DataFrame] | None]:
    """The AHP panel (flat or hierarchical, as the judgments are) and each expert's matrix for the bootstrap.

    In a hierarchy an expert's bootstrap matrix is ``g_i / g_j`` of the expert's own global priorities
    (experts who judged every group only), so resampling experts moves the AHP weights as in the flat case.
    """
    ids = list(iset.ids)
    hierarchy = indicator_hierarchy(iset)
    if not is_hierarchical(judgments, hierarchy):
        result = ahp_panel(judgments, items=ids)
        for name, r in result.experts.items():
            if not r.consistent:
                note(
                    "ahp",
                    [
                        MethodWarning(
                            "ahp.inconsistent",
                            f"AHP expert {name}: consistency ratio "
                            f"{r.consistency_ratio:.3f} is above {r.threshold:g}; revisit "
                            f"{r.worst_judgment}",
                            expert=str(name),
                            cr=float(r.consistency_ratio),
                            threshold=float(r.threshold),
                            **_judgment(r.worst_judgment),
                        )
                    ],
                )
        for name, r in result.experts.items():
            if not r.complete:
                note(
                    "ahp",
                    [
                        MethodWarning(
                            "ahp.implied",
                            f"AHP expert {name} left {len(r.implied)} pair(s) out; "
                            "they are implied by the other judgments",
                            expert=str(name),
                            count=len(r.implied),
                        )
                    ],
                )
        return result, {name: r.matrix for name, r in result.experts.items()}
    result = ahp_hierarchy(judgments, hierarchy)
    for name, e in result.experts.items():
        if not e.consistent:
            note(
                "ahp",
                [
                    MethodWarning(
                        "ahp.inconsistent_group",
                        f"AHP expert {name}: consistency ratio "
                        f"{e.consistency_ratio:.3f} in {e.worst_matrix} is above "
                        f"{result.aij.threshold:g}; revisit {e.worst_judgment}",
                        expert=str(name),
                        cr=float(e.consistency_ratio),
                        group=str(e.worst_matrix),
                        threshold=float(result.aij.threshold),
                        **_judgment(e.worst_judgment),
                    )
                ],
            )
    full = {
        name: e.global_priorities.reindex(ids).to_numpy()
        for name, e in result.experts.items()
        if e.global_priorities is not None
    }
    if not full:
        note(
            "ahp",
            [
                MethodWarning(
                    "ahp.no_complete_expert",
                    "no AHP expert judged every group of the hierarchy, so the bootstrap keeps the AHP weights fixed",
                )
            ],
        )
        full = {"aggregate": result.aij.priorities.reindex(ids).to_numpy()}
    return result, {name: pd.DataFrame(g[:, None] / g[None, :], index=ids, columns=ids) for name, g in full.items()}
