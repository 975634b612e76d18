"""``weights.xlsx`` for HR: one formatted sheet per table, Chinese or English headers.

Weights are shown as percentages, coefficients with four decimals, headers in
bold on a tinted row, the header frozen, and columns wide enough for their
content (CJK characters count double). The workbook's creation date is fixed
(:data:`CREATED`), so the same tables give the same bytes.

>>> write_weights_workbook({"proposal": frame}, "weights.xlsx", lang="zh")   # doctest: +SKIP
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.artifacts import neutralise_text

__all__ = ["CREATED", "HEADERS", "SHEETS", "CODES", "header", "localise", "localise_codes",
           "write_weights_workbook"]

#: Fixed creation timestamp written into the workbook's properties (reproducible bytes).
CREATED = datetime(2000, 1, 1, 0, 0, 0)

#: Column -> (Chinese, English) header.
HEADERS: dict[str, tuple[str, str]] = {
    "indicator": ("指标代码", "Indicator id"),
    "label": ("指标", "Indicator"),
    "dimension": ("维度代码", "Dimension id"),
    "dimension_label": ("维度", "Dimension"),
    "weight": ("建议权重", "Proposed weight"),
    "ci_low": ("区间下限", "Interval low"),
    "ci_high": ("区间上限", "Interval high"),
    "last_year": ("去年权重", "Last year"),
    "change": ("变化", "Change"),
    "data_source": ("数据来源代码", "Data source id"),
    "data_source_label": ("数据来源", "Data source"),
    "review_period": ("考核周期代码", "Review period id"),
    "review_period_label": ("考核周期", "Review period"),
    "binding": ("起作用的约束", "Binding rules"),
    "target": ("融合目标", "Blended target"),
    "from_evidence": ("来自实证", "From evidence"),
    "from_ahp": ("来自专家", "From experts"),
    "from_baseline": ("来自基准", "From baseline"),
    "adjustment": ("约束调整", "Adjustment"),
    "equal": ("等权", "Equal"),
    "entropy": ("熵权", "Entropy"),
    "critic": ("CRITIC", "CRITIC"),
    "ahp": ("专家 AHP", "Experts (AHP)"),
    "lmg_revenue": ("收入增长重要性", "Importance: revenue growth"),
    "lmg_retention": ("客户留存重要性", "Importance: retention"),
    "evidence": ("实证权重", "Evidence"),
    "proposal": ("建议权重", "Proposal"),
    "model": ("模型", "Model"),
    "outcome": ("结果变量", "Outcome"),
    "coef": ("系数", "Coefficient"),
    "se": ("标准误", "Std. error"),
    "p_value": ("p 值", "p-value"),
    "std_coef": ("每标准差效应", "Effect per SD"),
    "aligned": ("方向一致效应", "Direction-aligned effect"),
    "elasticity": ("弹性", "Elasticity"),
    "elasticity_low": ("弹性下限", "Elasticity low"),
    "elasticity_high": ("弹性上限", "Elasticity high"),
    "boot_low": ("自助法下限", "Bootstrap low"),
    "boot_high": ("自助法上限", "Bootstrap high"),
    "vif": ("方差膨胀因子", "VIF"),
    "growth_ols": ("收入增长 OLS", "Growth OLS"),
    "growth_mixed": ("收入增长混合模型", "Growth mixed model"),
    "retention_glm": ("留存 GLM", "Retention GLM"),
    "expert": ("专家", "Expert"),
    "consistency_ratio": ("一致性比率 CR", "Consistency ratio"),
    "consistent": ("一致", "Consistent"),
    "worst_pair": ("最不一致的判断", "Least consistent judgment"),
    "worst_value": ("专家给值", "Given value"),
    "consistent_value": ("一致时应为", "Consistent value"),
    "suggested_value": ("建议改为", "Suggested value"),
    "n": ("样本量", "n"),
    "managers": ("客户经理数", "Managers"),
    "r_squared": ("R²", "R²"),
    "r_squared_kind": ("R² 类型", "R² kind"),
    "controls": ("控制变量", "Controls"),
    "level": ("区间水平", "Interval level"),
    "source": ("来源", "Source"),
    "message": ("说明", "Message"),
    "method": ("方法", "Method"),
    "boot_mean": ("自助法均值", "Bootstrap mean"),
    "boot_sd": ("自助法标准差", "Bootstrap SD"),
    "resamples": ("重抽样次数", "Resamples"),
}

#: Sheet key -> (Chinese, English) sheet name.
SHEETS: dict[str, tuple[str, str]] = {
    "proposal": ("建议权重", "Proposal"),
    "blend": ("融合与约束", "Blend"),
    "methods": ("方法对比", "Methods"),
    "regressions": ("回归结果", "Regressions"),
    "fit": ("模型拟合", "Model fit"),
    "ahp": ("专家一致性", "AHP consistency"),
    "diagnostics": ("共线性诊断", "Diagnostics"),
    "warnings": ("提示", "Warnings"),
}

_PERCENT = {"weight", "ci_low", "ci_high", "last_year", "change", "target", "from_evidence", "from_ahp",
            "from_baseline", "adjustment", "equal", "entropy", "critic", "ahp", "lmg_revenue", "lmg_retention",
            "evidence", "proposal", "boot_mean", "boot_sd"}
_FOUR = {"coef", "se", "std_coef", "aligned", "elasticity", "elasticity_low", "elasticity_high",
         "boot_low", "boot_high"}
_THREE = {"p_value", "consistency_ratio", "r_squared"}
_TWO = {"vif", "growth_ols", "growth_mixed", "retention_glm", "worst_value", "consistent_value",
        "suggested_value"}


#: Codes shown to readers in their language: binding rules, models, outcomes, warning sources.
CODES: dict[str, tuple[str, str]] = {
    "cap": ("变动上限", "change cap"), "min": ("指标下限", "indicator minimum"),
    "max": ("指标上限", "indicator maximum"), "band_low": ("维度下限", "dimension band low"),
    "band_high": ("维度上限", "dimension band high"),
    "growth_ols": ("收入增长 OLS", "growth OLS"), "growth_mixed": ("收入增长混合模型", "growth mixed model"),
    "retention_glm": ("留存 GLM", "retention GLM"),
    "revenue_growth": ("下季度收入增长", "next-quarter revenue growth"),
    "retention": ("下季度客户留存", "next-quarter retention"),
    "regression": ("回归", "regression"), "evidence": ("实证", "evidence"), "ahp": ("专家 AHP", "AHP"),
    "last_year": ("去年权重", "last year"), "bootstrap": ("自助法", "bootstrap"),
}
_CODE_COLUMNS = ("binding", "model", "outcome", "source")


def localise_codes(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Replace codes (binding rules such as ``cap+band_high``, model and outcome ids) by readable words."""
    out = frame.copy()
    i = 0 if lang == "zh" else 1
    for col in _CODE_COLUMNS:
        if col in out.columns:
            out[col] = [("、" if lang == "zh" else ", ").join(CODES.get(part, (part, part))[i]
                                                              for part in str(v).split("+"))
                        if isinstance(v, str) and v else v for v in out[col]]
    return out


def header(column: str, lang: str) -> str:
    """The reader-facing header of a column (the column name itself when unknown)."""
    pair = HEADERS.get(column)
    return column if pair is None else pair[0 if lang == "zh" else 1]


def localise(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The same table with reader-facing headers."""
    return frame.rename(columns={c: header(c, lang) for c in frame.columns})


def _width(value) -> int:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_weights_workbook(tables: Mapping[str, pd.DataFrame], path: str | Path, *, lang: str = "zh") -> Path:
    """Write ``tables`` (sheet key -> DataFrame, see :data:`SHEETS`) to an .xlsx file with HR formatting."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    zh = lang == "zh"
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    wb.set_properties({"title": "指标权重建议" if zh else "Indicator weight proposal",
                       "author": "calibrate", "created": CREATED})
    head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    fmts = {
        "pct": wb.add_format({"num_format": "0.0%"}),
        "four": wb.add_format({"num_format": "0.0000"}),
        "three": wb.add_format({"num_format": "0.000"}),
        "two": wb.add_format({"num_format": "0.00"}),
        "text": wb.add_format({}),
    }
    for key, frame in tables.items():
        name = SHEETS.get(key, (key, key))[0 if zh else 1][:31]
        ws = wb.add_worksheet(name)
        frame = localise_codes(frame, lang)
        columns = list(frame.columns)
        for j, col in enumerate(columns):
            ws.write_string(0, j, neutralise_text(header(col, lang)), head)
            kind = ("pct" if col in _PERCENT else "four" if col in _FOUR else "three" if col in _THREE
                    else "two" if col in _TWO else "text")
            values = frame[col].tolist()
            for i, v in enumerate(values, start=1):
                _write(ws, i, j, v, fmts[kind])
            shown = [_shown(v, kind) for v in values]
            width = max([_width(header(col, lang))] + [_width(s) for s in shown])
            ws.set_column(j, j, min(max(width + 2, 8), 60))
        ws.freeze_panes(1, 0)
        if len(frame):
            ws.autofilter(0, 0, len(frame), max(len(columns) - 1, 0))
    wb.close()
    return path


def _write(ws, row: int, col: int, value, fmt) -> None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value))
    elif isinstance(value, (int, float, np.integer, np.floating)):
        ws.write_number(row, col, float(value), fmt)
    else:
        ws.write_string(row, col, neutralise_text(str(value)))     # never a formula (OWASP CSV injection)


def _shown(value, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        digits = {"pct": "{:.1%}", "four": "{:.4f}", "three": "{:.3f}", "two": "{:.2f}"}.get(kind, "{:g}")
        return digits.format(float(value))
    return str(value)
