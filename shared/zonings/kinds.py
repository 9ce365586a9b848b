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
