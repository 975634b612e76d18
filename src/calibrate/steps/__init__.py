"""The steps of an annual run, in order (application layer).

Each module holds one step: its compute function, the artifacts it writes and the
drawing helpers its notebook calls. The list below is the whole pipeline; there is
no discovery: a new step is a module plus one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calibrate.steps.base import Step


def all_steps() -> dict[str, Step]:
    """Every step, keyed by notebook name, in run order."""
    from calibrate.steps import cycle, data_quality, scoring, summary, targets, weights

    steps = (data_quality.STEP, weights.STEP, targets.STEP, scoring.STEP, cycle.STEP, summary.STEP)
    return {step.notebook: step for step in steps}
