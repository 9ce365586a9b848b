"""Awards of the demo applications: the commitment on an envelope with room (a demo
envelope when the seeded ones are full), the approval decision, the agreement, payments,
the aid register entry and the outcome reports their status implies."""

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.applications.enums import ApplicationStatus as S
from shared.decisions.schemas import ReasonCode
from shared.seeding.demo.identifiers import new_id
from shared.seeding.demo.presets import ACCELERATION, DEMO_PREFIX
from shared.seeding.demo.reference import EnvelopeRef, FundRef, Reference
from shared.seeding.demo.timeline import Timeline
from shared.stateaid.regimes import AidRegime

Row = dict[str, Any]
AWARDED = frozenset({S.APPROVED, S.AGREEMENT_SIGNED, S.FUNDED, S.CLOSED, S.CANCELLED})
_MEUR = 100_000_000
_DE_MINIMIS_CENTS = 300_000 * 100


class Ledger:
    """The envelopes awards draw on, and what each award adds to them."""

    def __init__(
        self, rng: random.Random, reference: Reference, moment: datetime, end: date
    ) -> None:
        self.rng = rng
        self.moment = moment
        self.end = end
        self.envelopes: list[EnvelopeRef] = [
            EnvelopeRef(e.id, e.fund_code, e.financer, e.region, e.room_cents)
            for e in reference.envelopes
        ]
        self.demo: dict[tuple[str, str], uuid.UUID] = {}
        self.held: dict[uuid.UUID, int] = defaultdict(int)
        self.paid: dict[uuid.UUID, int] = defaultdict(int)

    def envelope(self, fund: str, financer: str, region: str | None, amount: int) -> uuid.UUID:
        """An envelope of `fund` and `financer` with room for `amount` (for the whole fund
        or the site's region), or the fund's demo envelope of that financer."""
        for envelope in self.envelopes:
            fits = envelope.region in (None, region) and envelope.room_cents >= amount
            if envelope.fund_code == fund and envelope.financer == financer and fits:
                envelope.room_cents -= amount
                return envelope.id
        key = (fund, financer)
        if key not in self.demo:
            self.demo[key] = new_id(self.rng)
        return self.demo[key]

    def record(self, envelope_id: uuid.UUID, held: int, paid: int) -> None:
        """What a commitment holds on its envelope, and what was paid on it."""
        self.held[envelope_id] += held
        self.paid[envelope_id] += paid

    def demo_envelopes(self, funds: dict[str, FundRef], period: tuple[date, date]) -> list[Row]:
        """The demo envelopes opened for awards the seeded envelopes had no room for,
        sized to what they hold (rounded up to 10 M€)."""
        rows = []
        for (fund, financer), envelope_id in sorted(self.demo.items()):
            held = self.held[envelope_id]
            amount = -(-max(held, 1) // (10 * _MEUR)) * 10 * _MEUR
            rows.append(
                {
                    "id": envelope_id,
                    "fund_id": funds[fund].id,
                    "region_code": None,
                    "financer": financer,
                    "label": f"{DEMO_PREFIX}enveloppe synthétique",
                    "amount_cents": amount,
                    "committed_cents": held,
                    "paid_cents": self.paid[envelope_id],
                    "period_start": period[0],
                    "period_end": period[1],
                    "created_at": self.moment,
                    "updated_at": self.moment,
                }
            )
        return rows

    def seeded_updates(self) -> list[Row]:
        """What the awards add to the seeded envelopes (`committed_cents`, `paid_cents`)."""
        demo = set(self.demo.values())
        return [
            {"envelope_id": key, "held": held, "paid": self.paid[key]}
            for key, held in sorted(self.held.items())
            if key not in demo
        ]


def award(ledger: Ledger, application: Row, fund: FundRef, line: Timeline) -> dict[str, list[Row]]:
    """The award of an approved (or later) application: its decision, agreement and
    awarded amount on `application`, and the rows of its commitment, payments, aid
    register entry and outcome reports."""
    rng = ledger.rng
    decided = line.decided or datetime.combine(line.created.date(), time(12), tzinfo=UTC)
    share = application["requested_amount_cents"] * rng.randint(50, 100) // 100
    amount = max(share // 100_000 * 100_000, 1_000_000)
    financer = "region" if fund.code == ACCELERATION and rng.random() < 0.17 else "state"
    envelope_id = ledger.envelope(fund.code, financer, application["region_code"], amount)
    regime = AidRegime.DE_MINIMIS if amount <= _DE_MINIMIS_CENTS else AidRegime.GBER_ART17_SME
    status = application["status"]
    application["awarded_cents"] = amount
    application["decision"] = _approval(decided, amount, regime, financer)
    if line.signed is not None:
        reference = f"DEMO-CONV-{line.signed.year}-{rng.randint(1, 99_999):05d}"
        application["agreement"] = {"signed_on": line.signed.isoformat(), "reference": reference}
    payments = _payments(rng, amount, line.payments, status is S.CLOSED)
    paid = sum(p["amount_cents"] for p in payments)
    released = status is S.CANCELLED
    if released:
        application["decision"] = {
            "kind": "cancelled",
            "decided_at": (line.cancelled or decided).isoformat(),
            "reason_code": ReasonCode.OTHER.value,
            "reason_text": f"{DEMO_PREFIX}aide annulée (synthétique).",
        }
    commitment = {
        "id": new_id(rng),
        "application_id": application["id"],
        "envelope_id": envelope_id,
        "amount_cents": amount,
        "paid_cents": paid,
        "status": "released" if released else "active",
        "created_at": decided,
        "released_at": line.cancelled if released else None,
    }
    ledger.record(envelope_id, paid if released else amount, paid)
    for payment in payments:
        payment |= {"commitment_id": commitment["id"], "application_id": application["id"]}
    rows = {"budget_commitments": [commitment], "budget_payments": payments}
    nominal = paid if released else amount
    if nominal:
        rows["aid_register"] = [_grant(rng, application, fund, decided, regime, nominal)]
    reported = line.signed is not None and not released
    rows["outcomes"] = _outcomes(rng, application, line, ledger.end) if reported else []
    return rows


def _approval(decided: datetime, amount: int, regime: AidRegime, financer: str) -> Row:
    return {
        "kind": "approved",
        "decided_at": decided.isoformat(),
        "amount_cents": amount,
        "aid_form": "subsidy",
        "regime": regime.value,
        "gross_grant_equivalent_cents": amount,
        "conditions": [f"{DEMO_PREFIX}condition synthétique"],
        "financer": financer,
        "ceiling": None,
    }


def _payments(rng: random.Random, amount: int, days: list[date], whole: bool) -> list[Row]:
    """Tranches on `days`: all of the award when the file is closed, part of it otherwise."""
    if not days:
        return []
    if whole:
        first = amount * rng.randint(30, 60) // 100
        amounts = [first, amount - first]
    else:
        amounts = [amount * rng.randint(30, 90) // 100]
    return [
        {
            "id": new_id(rng),
            "amount_cents": cents,
            "paid_on": day,
            "reference": f"{DEMO_PREFIX}VIR-{rng.randint(1, 999_999):06d}",
            "recorded_by_key_id": None,
            "created_at": datetime.combine(day, time(12), tzinfo=UTC),
        }
        for cents, day in zip(amounts, days, strict=False)
        if cents > 0
    ]


def _grant(
    rng: random.Random,
    application: Row,
    fund: FundRef,
    decided: datetime,
    regime: AidRegime,
    nominal: int,
) -> Row:
    return {
        "id": new_id(rng),
        "siren": application["applicant_siren"],
        "granted_on": decided.date(),
        "regime": regime,
        "nominal_cents": nominal,
        "gross_grant_equivalent_cents": nominal,
        "source": "tidi",
        "granted_by": fund.name[:200],
        "reference": f"{DEMO_PREFIX}aide synthétique",
        "application_id": application["id"],
        "recorded_by_key_id": None,
        "created_at": decided,
    }


def _outcomes(rng: random.Random, application: Row, line: Timeline, end: date) -> list[Row]:
    """One or two reports after the agreement (most closed files have one)."""
    status, planned = application["status"], application["project_snapshot"]
    chance = {S.AGREEMENT_SIGNED: 0.3, S.FUNDED: 0.5, S.CLOSED: 0.9}.get(status, 0.0)
    if line.signed is None or rng.random() >= chance:
        return []
    last = max([line.signed, *line.payments])
    reports = []
    for count in range(rng.choice((1, 1, 2))):
        day = min(last + timedelta(days=5 + 20 * count), end)
        reports.append(
            {
                "id": new_id(rng),
                "application_id": application["id"],
                "reported_on": day,
                "jobs_created": planned["jobs_created"] * rng.randint(30, 110) // 100,
                "jobs_maintained": planned["jobs_maintained"] * rng.randint(70, 100) // 100,
                "investment_cents": planned["investment_total_cents"] * rng.randint(30, 100) // 100,
                "comment": f"{DEMO_PREFIX}rapport synthétique.",
                "reported_by_role": "territory",
                "reported_by_key_id": None,
                "created_at": datetime.combine(day, time(9 + count), tzinfo=UTC),
            }
        )
    return reports
