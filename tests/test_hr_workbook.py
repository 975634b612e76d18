"""HR's workbook pieces on constructed tables: weights to whole percentages, the improvement-plan list."""

from __future__ import annotations

import pandas as pd

from calibrate.steps.hr_workbook import first_low_periods, improvement_sheet, plan_window, weights_sheet


def test_weights_sheet_sums_to_100_with_a_total_row_and_marks_the_floor():
    proposal = pd.DataFrame(
        {
            "label": ["A", "B", "C"],
            "dimension_label": ["x", "x", "y"],
            "weight": [0.155, 0.155, 0.69],
            "last_year": [1 / 3, 1 / 3, 1 / 3],
        }
    )
    sheet = weights_sheet(proposal, "zh", floor=0.16)
    assert sheet["权重（%）"].tolist() == [16, 15, 69, 100]  # plain rounding: 16 + 16 + 69 = 101
    assert sheet["去年权重（%）"].tolist() == [34, 33, 33, 100]  # plain rounding: 33 x 3 = 99
    assert sheet.iloc[-1, 0] == "合计" and sheet["精确权重"].iloc[-1] == 1.0
    assert sheet["低于下限"].tolist() == ["是", "是", "", ""]


def test_improvement_list_names_reason_first_low_quarter_and_window():
    scores = pd.DataFrame(
        {
            "manager_id": ["M1", "M2", "M3"],
            "pseudonym": ["P-1", "P-2", "P-3"],
            "region": ["东", "西", "南"],
            "score": [40.0, 45.0, 70.0],
            "rank": [3, 2, 1],
            "grade": ["E", "D", "A"],
            "improvement_plan": [True, True, False],
            "current_low_run": [4, 2, 0],
        }
    )
    quarterly = pd.DataFrame(
        {
            "manager_id": ["M1"] * 4 + ["M2"] * 4 + ["M3"] * 4,
            "period": ["2024Q1", "2024Q2", "2024Q3", "2024Q4"] * 3,
            "grade": ["D", "E", "D", "E", "C", "D", "D", "D", "A", "A", "A", "A"],
        }
    )
    quarterly.loc[5, "grade"] = "C"  # M2: C in Q2 ends an earlier run
    assert first_low_periods(quarterly, ("D", "E")).to_dict() == {"M1": "2024Q1", "M2": "2024Q3"}
    sheet = improvement_sheet(
        scores, quarterly, "en", pseudonymise=True, key=None, year=2024, low_grades=("D", "E"), consecutive=2
    )
    assert sheet["Manager"].tolist() == ["P-1", "P-2"]
    assert sheet["Reason"].tolist() == ["grade D/E in 4 quarters in a row", "grade D/E in 2 quarters in a row"]
    assert sheet["First low period"].tolist() == ["2024Q1", "2024Q3"]
    assert sheet["Suggested plan window"].tolist() == [plan_window(2024, 4, 2, "en"), "2025-01 to 2025-03 (3 months)"]
    assert plan_window(2024, 4, 2, "zh") == "2025-01 至 2025-06（6 个月）"
    real = improvement_sheet(
        scores, quarterly, "en", pseudonymise=False, key=None, year=2024, low_grades=("D", "E"), consecutive=2
    )
    assert real["Manager"].tolist() == ["M1", "M2"]


def test_first_low_period_is_the_start_of_the_run_ending_at_the_last_graded_quarter():
    import pandas as pd

    from calibrate.steps.hr_workbook import first_low_periods

    rows = [
        ("M1", "2024Q1", "D"), ("M1", "2024Q2", "D"), ("M1", "2024Q4", "E"), ("M1", "2025Q1", "D"),  # gap at Q3
        ("M2", "2024Q3", "E"), ("M2", "2024Q4", "D"), ("M2", "2025Q1", "D"),  # one run of three
        ("M3", "2024Q4", "D"), ("M3", "2025Q1", "B"),  # the last quarter is not low
        ("M4", "2025Q1", None), ("M4", "2024Q4", "D"),  # an ungraded last quarter is skipped; unsorted rows
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["manager_id", "period", "grade"])
    assert first_low_periods(frame, ("D", "E")).to_dict() == {"M1": "2024Q4", "M2": "2024Q3", "M4": "2024Q4"}
