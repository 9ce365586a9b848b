"""The pure rules engine: expressions as data, three-valued evaluation, rulesets, outcomes.

Nothing here performs I/O; the eligibility service builds the `EvaluationContext` and stores
the `Outcome`.
"""

from shared.eligibility.rules.aid import AidCeiling, indicative_aid_ceiling
from shared.eligibility.rules.context import EvaluationContext, ZoningFacts
from shared.eligibility.rules.engine import (
    CompiledRuleset,
    CriterionResult,
    CriterionStatus,
    Outcome,
    Verdict,
    compile_ruleset,
    evaluate_ruleset,
)
from shared.eligibility.rules.evaluate import evaluate
from shared.eligibility.rules.expressions import Expression
from shared.eligibility.rules.model import Criterion, CriterionKind, Ruleset
from shared.eligibility.rules.values import UNKNOWN, EvaluationError, Unknown
from shared.stateaid.regimes import AidRegime

__all__ = [
    "UNKNOWN",
    "AidCeiling",
    "AidRegime",
    "CompiledRuleset",
    "Criterion",
    "CriterionKind",
    "CriterionResult",
    "CriterionStatus",
    "EvaluationContext",
    "EvaluationError",
    "Expression",
    "Outcome",
    "Ruleset",
    "Unknown",
    "Verdict",
    "ZoningFacts",
    "compile_ruleset",
    "evaluate",
    "evaluate_ruleset",
    "indicative_aid_ceiling",
]
