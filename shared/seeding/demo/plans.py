"""What each demo application is, before its rows: fund, status, whether its site is
fragile, its territory, relocation and planned jobs. The supported projects of the
acceleration fund (and the écoles de production) add up to the preset's figures exactly."""

import random
from dataclasses import dataclass
from typing import TypeVar

from shared.applications.enums import ApplicationStatus as S
from shared.seeding.demo.identifiers import split
from shared.seeding.demo.presets import ACCELERATION, ECOLES, SUPPORTED_STATUSES, Preset

T = TypeVar("T")
_SUPPORTED_WEIGHTS = {S.APPROVED: 15, S.AGREEMENT_SIGNED: 25, S.FUNDED: 35, S.CLOSED: 25}
_OTHER_WEIGHTS = {
    S.DRAFT: 10,
    S.SUBMITTED: 3,
    S.SCREENING: 2,
    S.ELIGIBLE: 8,
    S.INELIGIBLE: 8,
    S.UNDETERMINED: 5,
    S.SCREENING_ERROR: 1,
    S.PRESELECTED: 6,
    S.UNDER_REVIEW: 8,
    S.INFORMATION_REQUESTED: 4,
    S.APPROVED: 3,
    S.REJECTED: 12,
    S.AGREEMENT_SIGNED: 4,
    S.FUNDED: 6,
    S.CLOSED: 4,
    S.EXPIRED: 3,
    S.WITHDRAWN: 5,
    S.CANCELLED: 2,
}
_FUND_WEIGHTS = {ACCELERATION: 50, "fonds-friches": 20, "fonds-vert-ti": 18, ECOLES: 12}
_IN_TERRITORY = 2 / 3
"""A third of the acceleration fund's projects are outside any territory (domain.md)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """One application to generate (and its project)."""

    fund: str
    status: S
    fragile: bool
    territory: int | None
    relocation: bool
    jobs_created: int


def plans(rng: random.Random, preset: Preset, territories: int) -> list[Plan]:
    """Every application of the dataset: the supported ones first, then the others."""
    others = preset.applications - preset.supported - preset.ecoles
    if others < 0:
        raise ValueError(f"{preset.applications} applications cannot hold the supported ones")
    return [
        *_supported(rng, preset, territories),
        *_ecoles(rng, preset, territories),
        *(_other(rng, territories) for _ in range(others)),
    ]


def _supported(rng: random.Random, preset: Preset, territories: int) -> list[Plan]:
    n = preset.supported
    relocated = set(rng.sample(range(n), preset.relocations))
    jobs = iter(
        split(rng, preset.relocation_jobs_created, len(relocated))
        + split(
            rng, preset.supported_jobs_created - preset.relocation_jobs_created, n - len(relocated)
        )
    )
    relocation_jobs = {i: next(jobs) for i in sorted(relocated)}
    fragile = set(rng.sample(range(n), preset.fragile_supported))
    homes = _territories(rng, n, territories)
    return [
        Plan(
            fund=ACCELERATION,
            status=_weighted(rng, _SUPPORTED_WEIGHTS),
            fragile=i in fragile,
            territory=homes[i],
            relocation=i in relocated,
            jobs_created=relocation_jobs[i] if i in relocated else next(jobs),
        )
        for i in range(n)
    ]


def _territories(rng: random.Random, n: int, territories: int) -> list[int | None]:
    """Each application's territory: every territory gets one first (while there are
    enough), the rest at random; a third outside any."""
    inside = min(n, max(round(n * _IN_TERRITORY), territories))
    first = min(inside, territories)
    homes: list[int | None] = list(range(first))
    homes += [rng.randrange(territories) for _ in range(inside - first)]
    homes += [None] * (n - inside)
    rng.shuffle(homes)
    return homes


def _ecoles(rng: random.Random, preset: Preset, territories: int) -> list[Plan]:
    return [
        Plan(
            fund=ECOLES,
            status=_weighted(rng, _SUPPORTED_WEIGHTS),
            fragile=rng.random() < 0.6,
            territory=rng.randrange(territories),
            relocation=False,
            jobs_created=rng.randint(3, 15),
        )
        for _ in range(preset.ecoles)
    ]


def _other(rng: random.Random, territories: int) -> Plan:
    """An application that is not among the preset's supported ones: its fund's supported
    states are left to the other funds."""
    fund = _weighted(rng, _FUND_WEIGHTS)
    status = _weighted(rng, _OTHER_WEIGHTS)
    while fund in (ACCELERATION, ECOLES) and status in SUPPORTED_STATUSES:
        status = _weighted(rng, _OTHER_WEIGHTS)
    relocation = fund == ACCELERATION and rng.random() < 0.1
    return Plan(
        fund=fund,
        status=status,
        fragile=rng.random() < 0.6,
        territory=rng.randrange(territories) if rng.random() < _IN_TERRITORY else None,
        relocation=relocation,
        jobs_created=min(int(rng.lognormvariate(2.6, 0.9)), 2_000),
    )


def _weighted(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), list(weights.values()))[0]
