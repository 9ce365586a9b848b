"""The zoning kinds: standard library only, so the pure rules engine can name them too."""

from enum import StrEnum


class ZoningKind(StrEnum):
    """Zonings a site commune may belong to at the application date (§2 of the research)."""

    TI = "TI"
    QPV = "QPV"
    FRR = "FRR"
    FRR_PLUS = "FRR_PLUS"
    AFR_A = "AFR_A"
    AFR_C = "AFR_C"
    ACV = "ACV"
    PVD = "PVD"

    @property
    def short_label(self) -> str:
        """The name the programme's documents use (FRR+, AFR c)."""
        return _SHORT_LABELS.get(self, self.value)


_SHORT_LABELS = {
    ZoningKind.FRR_PLUS: "FRR+",
    ZoningKind.AFR_A: "AFR a",
    ZoningKind.AFR_C: "AFR c",
}

FRAGILE_ZONINGS: tuple[ZoningKind, ...] = (
    ZoningKind.FRR,
    ZoningKind.FRR_PLUS,
    ZoningKind.QPV,
    ZoningKind.ACV,
)
"""The programme's fragile territories (domain-sources.md §2): rural areas (France Ruralités
Revitalisation, FRR and FRR+), mid-sized towns (Action cœur de ville) and priority
neighbourhoods (QPV), as the acceleration fund reported them [5][18]. AFR zones are
regional-aid zones, not a fragility criterion, and stay out."""

FRAGILE_EXTENSION_ZONINGS: tuple[ZoningKind, ...] = (ZoningKind.PVD,)
"""Small towns (Petites villes de demain): a labelled extension of fragility (§2), reported
beside `FRAGILE_ZONINGS`, never counted in it."""
