"""What a demo dataset holds: the `seeds` preset reproduces the programme's headline figures
exactly (domain.md, "Seed figures"); `national` scales the same shape to any size."""

from dataclasses import dataclass
from enum import StrEnum

DEMO_PREFIX = "Démo — "
"""Every name the demo writes starts with it: the data is synthetic, never real."""
DEMO_CODE_PREFIX = "demo-"
"""The codes of demo territories."""
DEMO_VINTAGE = "demo-synthetique"
"""The vintage of the synthetic zoning lists (never an official one)."""
DEMO_SOURCE = "Démo — liste synthétique générée par tidi demo generate (non officielle)"
ACCELERATION = "fonds-acceleration"
ECOLES = "ecoles-de-production"
SUPPORTED_STATUSES = ("approved", "agreement_signed", "funded", "closed")
"""An application with an award in force: its project is supported by the fund."""


class PresetName(StrEnum):
    """The demo presets."""

    SEEDS = "seeds"
    NATIONAL = "national"


@dataclass(frozen=True, slots=True)
class Preset:
    """The targets of a demo dataset; the figures the acceleration fund's supported projects
    (an award in force) add up to are exact."""

    name: PresetName
    applications: int
    """Every application (every fund, every state, drafts included)."""
    territories: int
    epcis: int
    supported: int
    """Projects supported by the acceleration fund."""
    supported_jobs_created: int
    relocations: int
    relocation_jobs_created: int
    fragile_supported: int
    ecoles: int
    """Écoles de production supported (awards in force of that fund)."""
    sites: int
    """Labelled sites clés en main."""


SEEDS = Preset(
    name=PresetName.SEEDS,
    applications=3_000,
    territories=146,
    epcis=542,
    supported=1_416,
    supported_jobs_created=27_255,
    relocations=209,
    relocation_jobs_created=5_753,
    fragile_supported=944,
    ecoles=12,
    sites=127,
)
"""The seed figures: 1,416 projects supported by the acceleration fund, 27,255 jobs created
or to be created, 209 relocations totalling 5,753 jobs, two thirds of the projects in
fragile territories, 146 territories over 542 intercommunalités, 12 écoles de production,
127 sites clés en main (the 850 M€ endowment, 143 M€ from the Regions, is the seeded
envelopes')."""


def national(applications: int) -> Preset:
    """The national shape at `applications` applications: 183 territories, the seeds'
    proportions of supported projects, jobs, relocations and fragility."""
    ratio = applications / SEEDS.applications
    supported = max(3, round(SEEDS.supported * ratio * 0.3))
    relocations = max(1, round(supported * SEEDS.relocations / SEEDS.supported))
    return Preset(
        name=PresetName.NATIONAL,
        applications=applications,
        territories=183,
        epcis=680,
        supported=supported,
        supported_jobs_created=supported * 19,
        relocations=relocations,
        relocation_jobs_created=relocations * 27,
        fragile_supported=round(supported * 2 / 3),
        ecoles=max(1, round(applications / 1_000)),
        sites=182,
    )
