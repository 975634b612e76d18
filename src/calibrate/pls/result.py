"""Results of a PLS path model fit: frozen dataclasses with tidy tables and a text summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from calibrate.errors import CalibrateError
from calibrate.pls.spec import PathModel
from calibrate.results import Summary, frame_summary

Table = Literal["paths", "outer", "cross_loadings", "scores", "r_squared", "total_effects", "reliability"]
TABLES: tuple[str, ...] = ("paths", "outer", "cross_loadings", "scores", "r_squared", "total_effects", "reliability")


@dataclass(frozen=True)
class PLSBootstrap:
    """Bootstrap estimates: mean, standard error and percentile interval per parameter.

    ``paths`` has columns from, to, estimate, boot_mean, std_error, lower, upper;
    ``loadings`` has lv, indicator and the same statistics; ``path_draws`` holds
    the aligned draws (one column per path, named ``"from -> to"``).
    """

    n_boot: int
    n_failed: int
    n_not_converged: int
    level: float
    seed: str
    paths: pd.DataFrame
    loadings: pd.DataFrame
    path_draws: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Paths and loadings in one long table with a ``parameter`` column."""
        paths = self.paths.rename(columns={"from": "source", "to": "target"}).assign(parameter="path")
        loads = self.loadings.rename(columns={"lv": "source", "indicator": "target"}).assign(parameter="loading")
        return pd.concat([paths, loads], ignore_index=True)[
            ["parameter", "source", "target", "estimate", "boot_mean", "std_error", "lower", "upper"]
        ]

    def summary(self) -> Summary:
        """Paths and loadings with their bootstrap intervals."""
        return frame_summary(
            f"PLS bootstrap ({self.n_boot} resamples)",
            self.to_frame(),
            values={
                "n_boot": int(self.n_boot),
                "failed": int(self.n_failed),
                "not_converged": int(self.n_not_converged),
                "level": float(self.level),
            },
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


@dataclass(frozen=True)
class PLSResult:
    """A fitted PLS path model.

    Tables (pandas): ``outer`` (lv, indicator, mode, weight, loading),
    ``cross_loadings`` (indicators x LVs), ``scores`` (rows x LVs, mean 0,
    sd 1), ``paths`` (from, to, coefficient), ``r_squared`` (per endogenous
    LV, in [0, 1]), ``total_effects`` (from, to, direct, indirect, total) and
    ``reliability`` (lv, mode, indicators, cronbach_alpha,
    composite_reliability, ave). ``bootstrap`` is set when resampling was asked for.
    ``scaled`` says whether indicators were standardized (else centred only),
    ``missing`` how gaps were handled and ``n_imputed`` how many cells were
    filled (``"mean"``) or left out (``"pairwise"``).
    """

    model: PathModel
    scheme: str
    tol: float
    max_iter: int
    iterations: int
    converged: bool
    n_obs: int
    outer: pd.DataFrame
    cross_loadings: pd.DataFrame
    scores: pd.DataFrame
    paths: pd.DataFrame
    r_squared: pd.Series
    total_effects: pd.DataFrame
    reliability: pd.DataFrame
    bootstrap: PLSBootstrap | None = None
    scaled: bool = True
    missing: str = "error"
    n_imputed: int = 0

    def path_matrix(self) -> pd.DataFrame:
        """Path coefficients as an LV x LV matrix (row = from, column = to)."""
        lvs = list(self.model.latent_variables)
        out = pd.DataFrame(0.0, index=pd.Index(lvs, name="from"), columns=pd.Index(lvs, name="to"))
        for row in self.paths.itertuples(index=False):
            out.loc[row[0], row[1]] = row[2]
        return out

    def to_frame(self, table: Table = "paths") -> pd.DataFrame:
        """One result table; ``paths`` and ``outer`` gain bootstrap columns when available."""
        if table not in TABLES:
            raise CalibrateError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
        if table == "r_squared":
            return self.r_squared.rename("r_squared").rename_axis("lv").reset_index()
        frame = getattr(self, table).copy()
        if self.bootstrap is not None and table == "paths":
            ci = self.bootstrap.paths[["from", "to", "std_error", "lower", "upper"]]
            frame = frame.merge(ci, on=["from", "to"], how="left")
        if self.bootstrap is not None and table == "outer":
            ci = self.bootstrap.loadings[["lv", "indicator", "std_error", "lower", "upper"]]
            frame = frame.merge(
                ci.rename(columns={"std_error": "loading_se", "lower": "loading_lower", "upper": "loading_upper"}),
                on=["lv", "indicator"],
                how="left",
            )
        return frame

    def summary_text(self) -> str:
        """A plain-text report: settings, paths with R², outer model and reliability."""
        state = (
            f"converged in {self.iterations} iterations"
            if self.converged
            else f"NOT converged after {self.max_iter} iterations: treat the estimates with caution"
        )
        lines = [
            f"PLS path model: {len(self.model.blocks)} latent variables, {len(self.model.indicators)} "
            f"indicators, {self.n_obs} observations",
            f"Inner weighting: {self.scheme}; {'standardized' if self.scaled else 'centred (unscaled)'} "
            f"data; tolerance {self.tol:g}; {state}",
        ]
        if self.n_imputed and self.missing == "pairwise":
            lines.append(f"Missing answers: {self.n_imputed} cell(s) left out (pairwise, available-case estimation)")
        elif self.n_imputed:
            lines.append(f"Missing answers: {self.n_imputed} cell(s) replaced by their column mean")
        lines.append("")
        paths = self.to_frame("paths")
        lines += ["Path coefficients", paths.to_string(index=False, float_format=_fmt, na_rep="n/a"), ""]
        lines += ["R-squared", self.to_frame("r_squared").to_string(index=False, float_format=_fmt, na_rep="n/a"), ""]
        lines += ["Outer model", self.outer.to_string(index=False, float_format=_fmt, na_rep="n/a"), ""]
        lines += ["Reliability", self.reliability.to_string(index=False, float_format=_fmt, na_rep="n/a")]
        if self.bootstrap is not None:
            b = self.bootstrap
            lines += [
                "",
                f"Bootstrap: {b.n_boot} resamples (seed {b.seed}), {b.level:.0%} percentile intervals, "
                f"{b.n_failed} resample(s) could not be fitted, {b.n_not_converged} did not converge",
            ]
        return "\n".join(lines)

    def summary(self) -> Summary:
        """Path coefficients; str() gives the full text report."""
        return frame_summary(
            "PLS path model",
            self.to_frame("paths"),
            text=self.summary_text(),
            values={"n_obs": int(self.n_obs), "iterations": int(self.iterations), "converged": bool(self.converged)},
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def _fmt(x: float) -> str:
    return f"{x:.3f}"
