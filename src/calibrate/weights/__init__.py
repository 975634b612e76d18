"""Indicator weights from evidence: outcome regressions, relative importance, AHP, baselines, blend, bootstrap.

>>> from calibrate.loading import load_dataset                     # doctest: +SKIP
>>> from calibrate.weights import propose_weights                  # doctest: +SKIP
>>> result = propose_weights(load_dataset("data/sample/calibrate.yaml"), bootstrap=200, seed=1)  # doctest: +SKIP
>>> result.to_frame()                                              # doctest: +SKIP
"""

from __future__ import annotations

from calibrate.weights.ahp import (  # noqa: F401
    RANDOM_INDEX_TABLES,
    AHPPanelResult,
    AHPResult,
    aggregate_judgments,
    aggregate_priorities,
    ahp_panel,
    ahp_priorities,
    random_index,
    reciprocal_matrix,
)
from calibrate.weights.ahp_hierarchy import (  # noqa: F401
    HierarchicalAHPResult,
    ahp_hierarchy,
    indicator_hierarchy,
)
from calibrate.weights.baselines import BaselineWeights, critic_weights, entropy_weights, equal_weights  # noqa: F401
from calibrate.weights.blend import (  # noqa: F401
    BlendResult,
    WeightConstraints,
    blend,
    blend_target,
    closest_weights,
    weight_constraints,
)
from calibrate.weights.importance import ImportanceResult, lmg, relative_weights  # noqa: F401
from calibrate.weights.proposal import (  # noqa: F401
    WeightProposal,
    WeightSettings,
    manager_profile,
    propose_from_config,
    propose_weights,
)
from calibrate.weights.regression import (  # noqa: F401
    EvidenceImportance,
    RegressionResult,
    RegressionSuite,
    design_matrix,
    evidence_importance,
    fit_growth_mixed,
    fit_growth_ols,
    fit_retention_glm,
    outcome_regressions,
)
from calibrate.weights.uncertainty import BootstrapResult, bootstrap_inputs, bootstrap_weights  # noqa: F401
