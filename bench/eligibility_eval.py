"""Eligibility benchmark: pure evaluation throughput of the acceleration fund's ruleset.

Generates varied application contexts (eligible, ineligible and incomplete ones) up front,
then evaluates them all on one core, several times, and prints applications per second of
CPU time as JSON (best pass, and the median). With `--explain`, further passes also render
every criterion's French explanation.

    .venv/bin/python bench/eligibility_eval.py --contexts 50000 --explain

No database, no network: the rules engine is pure.
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.eligibility.rules import (  # noqa: E402
    CompiledRuleset,
    EvaluationContext,
    compile_ruleset,
)
from shared.eligibility.rules.rulesets import shipped_ruleset  # noqa: E402

SIRETS = ["73282932000074", "55210055400013", "44306184100047"] * 30 + ["73282932000075"]
NAF_CODES = ["25.62B", "24.51Z", "10.71A", "20.16Z", "33.12Z", "22.29A"] * 6 + [
    "01.11Z",
    "46.69B",
    "64.19Z",
]
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "01"]
COMMUNES = ["56121", "71076", "59183", "2A004", "97101", "38185"] * 10 + ["99999"]
ZONINGS = ["TI", "QPV", "FRR", "FRR_PLUS", "AFR_C", "AFR_A", "ACV", "PVD"]
NATURES = ["creation", "extension", "modernisation", "relocation", "training_platform"]
KEUR = 100_000


def maybe(rng: random.Random, value: Any, missing: float = 0.01) -> Any:
    return None if rng.random() < missing else value


def application(rng: random.Random) -> dict[str, Any]:
    base = rng.choice([150, 250, 400, 900, 900, 3_000, 3_000, 12_000, 12_000]) * KEUR
    energy = base * rng.choice([0, 10, 20, 35]) // 100
    return {
        "applicant_siren": "732829320",
        "requested_amount_cents": maybe(rng, base * rng.choice([5, 8, 10, 15]) // 100),
        "eligible_expense_base_cents": maybe(rng, base),
        "expense_lines": [
            {"category": "equipment", "amount_cents": base - energy},
            {"category": "energy_environment", "amount_cents": energy},
        ],
        "prior_deminimis_cents": rng.choice([0, 0, 50 * KEUR, 250 * KEUR]),
        "engagements": {
            "solidarites": ["Apprentis"] * rng.randint(0 if rng.random() < 0.03 else 1, 5),
            "transition_ecologique": ["Four électrique"] * rng.randint(1, 2),
        },
        "attestations": {
            key: maybe(rng, rng.random() < 0.98)
            for key in (
                "tax_social_ok",
                "not_started",
                "not_in_difficulty",
                "permits_obtained",
                "financing_secured",
            )
        },
        "territory_opinion": maybe(rng, rng.choice(["favourable", "neutral", "unfavourable"])),
    }


def context(rng: random.Random, today: datetime) -> EvaluationContext:
    """One application, mostly complete and eligible, with the usual ways to fall short."""
    start = today.date() + timedelta(days=rng.randint(20, 380))
    headcount = rng.choice([12, 45, 180, 900])
    return EvaluationContext.model_validate(
        {
            "application": application(rng),
            "project": {
                "nature": rng.choice(NATURES),
                "investment_total_cents": rng.choice([30, 80, 200, 900]) * 10 * KEUR,
                "planned_start": maybe(rng, start),
                "planned_end": start + timedelta(days=rng.randint(180, 740)),
                "jobs_created": rng.randint(0, 120),
                "jobs_maintained": rng.randint(0, 400),
                "relocation": {"flag": rng.random() < 0.15},
                "is_collective": rng.random() < 0.05,
            },
            "holder": {
                "kind": rng.choice(["company"] * 18 + ["association", "local_authority"]),
                "legal_form_code": rng.choice(["5710"] * 10 + ["5499"] * 5 + ["6540"]),
                "headcount": maybe(rng, headcount),
                "turnover_cents": headcount * 2 * KEUR * 100,
                "in_difficulty": maybe(rng, rng.random() < 0.03),
                "difficulty_exit_accepted": rng.random() < 0.5,
                "admin_status": "A",
            },
            "site": {
                "siret": maybe(rng, rng.choice(SIRETS)),
                "commune_insee": rng.choice(COMMUNES),
                "region_code": rng.choice(REGIONS),
                "naf_code": maybe(rng, rng.choice(NAF_CODES)),
                "admin_status": "A",
            },
            "zonings": maybe(rng, rng.sample(ZONINGS, rng.randint(0, 3))),
            "submitted_at": today,
        }
    )


def timed_pass(compiled: CompiledRuleset, contexts: list[EvaluationContext]) -> float:
    """Seconds of CPU time to evaluate every context once."""
    started = time.process_time()
    for ctx in contexts:
        compiled.evaluate(ctx)
    return time.process_time() - started


def explained_pass(compiled: CompiledRuleset, contexts: list[EvaluationContext]) -> float:
    """Seconds of CPU time to evaluate every context and render all its explanations."""
    started = time.process_time()
    for ctx in contexts:
        for result in compiled.evaluate(ctx).criteria:
            _ = result.explanation
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best one counts")
    parser.add_argument("--explain", action="store_true", help="also time the explanations")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    today = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    contexts = [context(rng, today) for _ in range(args.contexts)]
    compiled = compile_ruleset(shipped_ruleset("fonds-acceleration"))
    verdicts = Counter(str(compiled.evaluate(ctx).verdict) for ctx in contexts)

    passes = [timed_pass(compiled, contexts) for _ in range(args.repeat)]
    report: dict[str, Any] = {
        "ruleset": "fonds-acceleration v1",
        "contexts": len(contexts),
        "verdicts": dict(verdicts),
        "cpu_seconds_per_pass": [round(seconds, 3) for seconds in passes],
        "applications_per_second": round(len(contexts) / min(passes)),
        "applications_per_second_median": round(len(contexts) / statistics.median(passes)),
    }
    if args.explain:
        explained = min(explained_pass(compiled, contexts) for _ in range(args.repeat))
        report["with_explanations_per_second"] = round(len(contexts) / explained)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
